r"""Uniform cell-centred grids over a box in 1, 2 or 3 dimensions, with boundary conditions as data.

A ``Grid`` of shape (n_1, …, n_d) over the box Π_j [lo_j, hi_j] has spacing h_j = (hi_j - lo_j)/n_j and its
values live at the cell centres

    x_j[i] = lo_j + (i + ½) h_j,   i = 0, …, n_j - 1,

so the walls lie on cell faces, half a cell beyond the outermost centres. Each axis carries one boundary
condition for the heat equation ∂p/∂t = D∇²p (Rissanen et al. 2023 use the Neumann one for images):

    "periodic"   p(lo) = p(hi) and ∂p(lo) = ∂p(hi): the axis is a circle of length L = hi - lo;
    "neumann"    ∂p/∂n = 0 on the walls (zero flux, mass conserved: a reflecting wall);
    "dirichlet"  p = 0 on the walls (an absorbing wall; mass leaks out).

The grid knows only geometry (coordinates, cell volume, integration, interpolation, histograms); the solvers
(``heat.solvers``) read the boundary conditions from it. numpy only.

References:
    - Evans, "Partial Differential Equations", AMS, §2.3 (the heat equation).
    - Rissanen, Heinonen & Solin 2023, "Generative Modelling With Inverse Heat Dissipation", ICLR (Neumann
      walls for images).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Literal, cast

import numpy as np
from numpy.typing import ArrayLike, NDArray

from heat._checks import as_float_array, check_count, check_name, check_number

__all__ = ["BOUNDARY_CONDITIONS", "BoundaryCondition", "Grid"]

BoundaryCondition = Literal["periodic", "neumann", "dirichlet"]
"""The name of a boundary condition."""

BOUNDARY_CONDITIONS: tuple[BoundaryCondition, ...] = ("periodic", "neumann", "dirichlet")
"""The valid boundary conditions, in the order the error messages list them."""

MAX_DIM = 3

Array = NDArray[np.float64]


def _check_pair(value: Any, name: str) -> tuple[float, float]:
    try:
        lo, hi = value
        lo_f, hi_f = float(lo), float(hi)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name} must be a pair of numbers (lo, hi); got {value!r}") from err
    if isinstance(lo, (bool, str)) or isinstance(hi, (bool, str)):
        raise TypeError(f"{name} must be a pair of numbers (lo, hi); got {value!r}")
    if not (math.isfinite(lo_f) and math.isfinite(hi_f)) or not lo_f < hi_f:
        raise ValueError(f"{name} must be finite with lo < hi; got ({lo_f!r}, {hi_f!r})")
    return lo_f, hi_f


class Grid:
    r"""A uniform cell-centred grid over a box, with one boundary condition per axis.

    Axis j of n_j cells over [lo_j, hi_j] has spacing ``h_j = (hi_j - lo_j)/n_j`` and cell centres

        x_j[i] = lo_j + (i + ½)·h_j,   i = 0, …, n_j - 1,

    so the walls lie on cell faces. Grids compare equal (and hash) by shape, bounds and boundary conditions.

    Args:
        shape: number of cells per axis, an int (1-D) or a tuple of 1 to 3 ints, each ≥ 2.
        bounds: the box, either one pair (lo, hi) used for every axis or one pair per axis.
        bc: a boundary condition for every axis ("periodic", "neumann" or "dirichlet") or one per axis.

    Attributes:
        shape: the number of cells per axis, (n_1, …, n_d).
        bounds: the box, one (lo, hi) per axis.
        bc: the boundary condition of each axis.

    Raises:
        TypeError: ``shape`` is not an int or a sequence of ints, ``bounds`` not a pair or a sequence of pairs of
            numbers, or ``bc`` not a string or a sequence of strings.
        ValueError: more than 3 axes, fewer than 2 cells on an axis, bounds of the wrong shape or not finite
            with lo < hi, or an unknown boundary condition (the valid ones are listed), or a wrong number of them.

    Example:
        ```python
        grid = Grid((128, 64), [(-4, 4), (0, 2)], ["periodic", "dirichlet"])
        x, y = grid.coordinates()          # cell centres, each of shape (128, 64)
        ```
    """

    __slots__ = ("bc", "bounds", "shape")

    shape: tuple[int, ...]
    bounds: tuple[tuple[float, float], ...]
    bc: tuple[BoundaryCondition, ...]

    def __init__(self, shape: int | Sequence[int], bounds: ArrayLike, bc: str | Sequence[str] = "periodic"
                 ) -> None:
        dims = (shape,) if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool) else shape
        if not isinstance(dims, (tuple, list)) or not dims:
            raise TypeError(f"shape must be an int or a tuple of 1 to {MAX_DIM} ints; got {shape!r}")
        if len(dims) > MAX_DIM:
            raise ValueError(f"shape must have 1 to {MAX_DIM} axes; got {len(dims)} axes {tuple(dims)}")
        for n in dims:
            check_count(n, "shape entries (cells per axis)", minimum=2)
        d = len(dims)
        arr = np.asarray(bounds, dtype=object)
        if arr.ndim == 0:
            raise TypeError(f"bounds must be one pair (lo, hi) or {d} pairs, one per axis; got {bounds!r}")
        if arr.shape == (2,):
            pairs = [_check_pair(bounds, "bounds")] * d
        elif arr.shape == (d, 2):
            pairs = [_check_pair(b, f"bounds[{j}]") for j, b in enumerate(cast(Sequence[Any], bounds))]
        else:
            raise ValueError(f"bounds must be one pair (lo, hi) or {d} pairs, one per axis; got {bounds!r}")
        if not isinstance(bc, (str, tuple, list)):
            raise TypeError(f"bc must be a string or a sequence of {d} strings; got {type(bc).__name__} {bc!r}")
        if isinstance(bc, str):
            bcs = [check_name(bc, "bc", BOUNDARY_CONDITIONS)] * d
        elif len(bc) == d:
            bcs = [check_name(b, f"bc[{j}]", BOUNDARY_CONDITIONS) for j, b in enumerate(bc)]
        else:
            raise ValueError(f"bc must be one boundary condition or a sequence of {d}, one per axis "
                             f"(each one of {', '.join(map(repr, BOUNDARY_CONDITIONS))}); got {bc!r}")
        self.shape = tuple(int(n) for n in dims)
        self.bounds = tuple(pairs)
        self.bc = tuple(bcs)

    # --- identity ---
    def __repr__(self) -> str:
        return f"Grid(shape={self.shape}, bounds={self.bounds}, bc={self.bc})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Grid):
            return NotImplemented
        return (self.shape, self.bounds, self.bc) == (other.shape, other.bounds, other.bc)

    def __hash__(self) -> int:
        return hash((self.shape, self.bounds, self.bc))

    # --- geometry ---
    @property
    def ndim(self) -> int:
        """The number of axes d."""
        return len(self.shape)

    @property
    def size(self) -> int:
        """The number of cells Π_j n_j."""
        return math.prod(self.shape)

    @property
    def lengths(self) -> tuple[float, ...]:
        """The box side lengths L_j = hi_j - lo_j."""
        return tuple(hi - lo for lo, hi in self.bounds)

    @property
    def spacing(self) -> tuple[float, ...]:
        """The cell widths h_j = L_j / n_j."""
        return tuple(length / n for length, n in zip(self.lengths, self.shape, strict=True))

    @property
    def cell_volume(self) -> float:
        """The volume of one cell, Π_j h_j."""
        return math.prod(self.spacing)

    @property
    def axes(self) -> tuple[Array, ...]:
        """The cell centres of each axis, x_j[i] = lo_j + (i + ½) h_j."""
        return tuple(np.asarray(lo + (np.arange(n) + 0.5) * h, dtype=np.float64)
                     for (lo, _), n, h in zip(self.bounds, self.shape, self.spacing, strict=True))

    def coordinates(self) -> Array:
        """The cell centres as one array: ``coordinates()[j]`` is x_j at every cell.

        Returns:
            float64 array of shape ``(d, *shape)``.
        """
        return np.stack(np.meshgrid(*self.axes, indexing="ij"))

    def points(self) -> Array:
        """The cell centres as a list of points, in C order of the cells.

        Returns:
            float64 array of shape ``(size, d)``.
        """
        return self.coordinates().reshape(self.ndim, -1).T.copy()

    def scaled(self, factor: float) -> Grid:
        r"""The grid of the points a·x: bounds multiplied by ``factor`` = a > 0, same cells and conditions.

        A density p on this grid becomes ``a^(-d)·p`` on the scaled one (``heat.link.forward_density`` uses
        it for the VP rescaling x = √ᾱ·y).

        Args:
            factor: a, a finite number > 0.

        Returns:
            The scaled grid.

        Raises:
            TypeError: ``factor`` is not a real number.
            ValueError: ``factor`` is not finite and > 0.
        """
        a = check_number(factor, "factor", low=0.0, low_open=True)
        return Grid(self.shape, [(a * lo, a * hi) for lo, hi in self.bounds], list(self.bc))

    # --- values on the grid ---
    def check_values(self, values: ArrayLike, name: str = "values", *, leading: bool = False) -> Array:
        """``values`` as a float64 array after checking its shape and that it is finite.

        Used by every public function that takes a grid field.

        Args:
            values: a real array of the grid's shape, or ``(..., *shape)`` with ``leading=True``.
            name: the argument's name in error messages.
            leading: allow leading axes before the grid's.

        Returns:
            float64 array of the shape of ``values``.

        Raises:
            TypeError: ``values`` is not a real array.
            ValueError: ``values`` has the wrong shape or a non-finite entry.
        """
        try:
            arr = np.asarray(values)
        except (TypeError, ValueError, RuntimeError) as err:  # e.g. a tensor that needs grad
            raise TypeError(f"{name} must be an array of shape {self.shape}; got {type(values).__name__}") from err
        if arr.dtype == object or not (np.issubdtype(arr.dtype, np.floating) or np.issubdtype(arr.dtype, np.integer)):
            raise TypeError(f"{name} must be a real array; got dtype {arr.dtype}")
        ok = arr.shape[arr.ndim - self.ndim:] == self.shape if leading and arr.ndim >= self.ndim else (
            arr.shape == self.shape)
        if not ok:
            want = f"(..., {str(self.shape)[1:-1].rstrip(',')})" if leading else str(self.shape)
            raise ValueError(f"{name} must have the grid's shape {want}; got shape {arr.shape}")
        out = np.asarray(arr, dtype=np.float64)
        if not np.isfinite(out).all():
            raise ValueError(f"{name} must be finite; got {int((~np.isfinite(out)).sum())} non-finite value(s)")
        return out

    def integrate(self, values: ArrayLike) -> Array:
        r"""The midpoint rule ``∫ p dx ≈ Σ_cells p · Π_j h_j`` over the last d axes.

        Args:
            values: a field of shape ``(..., *shape)``.

        Returns:
            A 0-d array for a single field, else one integral per leading index.

        Raises:
            TypeError: ``values`` is not a real array.
            ValueError: ``values`` has the wrong shape or a non-finite entry.
        """
        arr = self.check_values(values, leading=True)
        return np.asarray(arr.sum(axis=tuple(range(arr.ndim - self.ndim, arr.ndim))) * self.cell_volume)

    def interpolate(self, values: ArrayLike, points: ArrayLike) -> Array:
        r"""Multilinear interpolation of cell-centred ``values`` at ``points``.

        Along a periodic axis the coordinate is wrapped into the box and the last and first centres are
        neighbours; along a bounded axis it is clamped to the outermost centres (constant extrapolation in
        the half cell next to a wall and beyond).

        Args:
            values: a field of shape ``(..., *shape)``.
            points: shape (n, d).

        Returns:
            Shape ``(n, ...)``: one value per point and leading index.

        Raises:
            TypeError: ``values`` or ``points`` is not a real array.
            ValueError: ``values`` or ``points`` has the wrong shape, or a non-finite entry.
        """
        arr = self.check_values(values, leading=True)
        pts = as_float_array(points, "points", f"a real array of shape (n, {self.ndim})")
        if pts.ndim != 2 or pts.shape[1] != self.ndim:
            raise ValueError(f"points must have shape (n, {self.ndim}); got shape {pts.shape}")
        if not np.isfinite(pts).all():
            raise ValueError("points must be finite; got a non-finite coordinate")
        lead = arr.shape[:arr.ndim - self.ndim]
        flat = arr.reshape(-1, self.size)
        n = pts.shape[0]
        lower: list[NDArray[np.intp]] = []
        upper: list[NDArray[np.intp]] = []
        frac: list[Array] = []
        for j, ((lo, _), cells, h) in enumerate(zip(self.bounds, self.shape, self.spacing, strict=True)):
            u = (pts[:, j] - lo) / h - 0.5
            if self.bc[j] == "periodic":
                u = np.mod(u, cells)
                i0 = np.floor(u).astype(np.intp)
                w = u - i0
                i0 = np.mod(i0, cells)  # u may round up to exactly ``cells``
                i1 = np.mod(i0 + 1, cells)
            else:
                u = np.clip(u, 0.0, cells - 1.0)
                i0 = np.minimum(np.floor(u).astype(np.intp), cells - 2)
                w = u - i0
                i1 = i0 + 1
            lower.append(i0)
            upper.append(i1)
            frac.append(w)
        strides = [math.prod(self.shape[j + 1:]) for j in range(self.ndim)]
        out = np.zeros((n, flat.shape[0]))
        for corner in range(2 ** self.ndim):
            index = np.zeros(n, dtype=np.intp)
            weight = np.ones(n)
            for j in range(self.ndim):
                if corner >> j & 1:
                    index += upper[j] * strides[j]
                    weight *= frac[j]
                else:
                    index += lower[j] * strides[j]
                    weight *= 1.0 - frac[j]
            out += weight[:, None] * flat[:, index].T
        return out.reshape((n, *lead))

    def histogram(self, points: ArrayLike) -> Array:
        r"""The empirical density of ``points`` on the cells, ``count_cell / (n · cell volume)``.

        Points outside the box are wrapped along periodic axes and dropped along bounded ones (they still
        count in n, so the histogram integrates to the fraction of points inside the box).

        Args:
            points: shape (n, d), n >= 1.

        Returns:
            float64 array of the grid's shape.

        Raises:
            TypeError: ``points`` is not a real array.
            ValueError: ``points`` has the wrong shape or a non-finite coordinate.
        """
        pts = as_float_array(points, "points", f"a real array of shape (n, {self.ndim})")
        if pts.ndim != 2 or pts.shape[1] != self.ndim or pts.shape[0] == 0:
            raise ValueError(f"points must have shape (n, {self.ndim}) with n >= 1; got shape {pts.shape}")
        if not np.isfinite(pts).all():
            raise ValueError("points must be finite; got a non-finite coordinate")
        inside = np.ones(pts.shape[0], dtype=bool)
        flat = np.zeros(pts.shape[0], dtype=np.intp)
        for j, ((lo, _), cells, h) in enumerate(zip(self.bounds, self.shape, self.spacing, strict=True)):
            i = np.floor((pts[:, j] - lo) / h).astype(np.intp)
            if self.bc[j] == "periodic":
                i = np.mod(i, cells)
            else:
                inside &= (i >= 0) & (i < cells)
            flat = flat * cells + np.clip(i, 0, cells - 1)
        counts = np.bincount(flat[inside], minlength=self.size).astype(np.float64)
        return np.asarray(counts.reshape(self.shape) / (pts.shape[0] * self.cell_volume), dtype=np.float64)
