r"""Solvers of the heat equation ∂p/∂t = ∇·(D ∇p) (= D∇²p for a constant diffusivity D) on a ``Grid``.

One entry point, ``solve(p0, grid, times, method=..., diffusivity=...)``, returns p at each requested time:

- ``"spectral"``: exact in time, ``p(t) = V⁻¹ diag(e^{-D|k|²t}) V p0`` with V the FFT (periodic axes), the
  orthonormal DCT-II (Neumann) or DST-II (Dirichlet) of the cell-centred grid; one transform of p0 and one inverse
  per requested time, so the cost does not depend on t. Exact to round-off for any p0 the grid resolves (its
  eigen-expansion has decayed to round-off at the grid's highest wavenumber). Constant D only.
- ``"crank_nicolson"``: the second-order finite-volume Laplacian A (``laplacian``) and the trapezoidal rule
  ``(I - ½Δt A) p^{n+1} = (I + ½Δt A) p^n``, the matrix factorised once per step size (scipy SuperLU); order 2 in
  time and in space, unconditionally stable, any boundary conditions, and a diffusivity that may vary in space.
- ``"explicit"``: forward Euler ``p^{n+1} = p^n + Δt A p^n``, order 1 in time, stable only for Δt ≤ 2/ρ(A)
  (``stability_limit``, 1/(2D Σ_j h_j⁻²) for a constant D); a larger Δt is refused.

The heat equation is the Fokker–Planck equation of dx = √(2D) dw (Song et al. 2021, "Score-Based Generative
Modeling through SDEs", VE SDE with g² = 2D); ``heat.link`` makes that precise. ``backward_solve`` runs the heat
equation backwards by the same spectral factors inverted, e^{+D|k|²τ}: the ill-posed problem that sampling
avoids (docs/heat.md). numpy and scipy only.

References:
    - Crank & Nicolson 1947, "A practical method for numerical evaluation of solutions of partial differential
      equations of the heat-conduction type", Proc. Cambridge Philosophical Society 43.
    - Trefethen 2000, "Spectral Methods in MATLAB", SIAM (spectral differentiation and time stepping).
    - Evans, "Partial Differential Equations", AMS, §2.3 (the heat equation; backward uniqueness).
    - Hadamard 1923, "Lectures on Cauchy's Problem in Linear Partial Differential Equations" (well-posedness).
    - Song et al. 2021, "Score-Based Generative Modeling through Stochastic Differential Equations", ICLR
      (arXiv:2011.13456).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Literal

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from numpy.typing import ArrayLike, NDArray

from heat._checks import REAL, check_grid, check_name, check_number, check_time, check_times
from heat._spectral import SpectralBasis, grid_gradient
from heat.grid import Grid

__all__ = ["GRADIENTS", "METHODS", "Method", "backward_solve", "gradient", "laplacian", "solve", "stability_limit"]

Array = NDArray[np.float64]

Method = Literal["spectral", "crank_nicolson", "explicit"]
"""The name of a solver."""

METHODS: tuple[Method, ...] = ("spectral", "crank_nicolson", "explicit")
"""The solvers ``solve`` offers, in the order the error messages list them."""

GRADIENTS: tuple[str, ...] = ("spectral", "finite_difference")
"""The schemes by which ``gradient`` (and ``heat.score_field``) differentiates a grid field: its ``gradient=``."""


# --- input checks (once, at the public boundary; the shared ones are in heat._checks) ---
def _check_diffusivity(diffusivity: Any, grid: Grid) -> float | Array:
    """A number >= 0, or a finite array >= 0 of the grid's shape (a diffusivity that varies in space)."""
    if isinstance(diffusivity, REAL) and not isinstance(diffusivity, bool):
        return check_number(diffusivity, "diffusivity", low=0.0)
    if not isinstance(diffusivity, (np.ndarray, list, tuple)):
        raise TypeError(f"diffusivity must be a number >= 0 or an array of the grid's shape {grid.shape}; "
                        f"got {type(diffusivity).__name__}")
    field = grid.check_values(diffusivity, "diffusivity")
    if (field < 0).any():
        raise ValueError(f"diffusivity must be >= 0 everywhere; got a minimum of {float(field.min())!r}")
    return field


# --- the finite-volume Laplacian ---
def laplacian(grid: Grid, *, diffusivity: float | ArrayLike = 1.0) -> sp.csr_matrix:
    r"""The second-order finite-volume operator A ≈ ∇·(D∇·) on the cells, as a sparse (size × size) matrix.

        (A p)_i = Σ_j h_j⁻² Σ_{faces f of i along j} D_f (p_neighbour - p_i),   D_f = ½ (D_i + D_neighbour)

    The boundary conditions enter by ghost cells: periodic wraps around, Neumann (zero flux) drops the wall face,
    Dirichlet (zero value on the wall) uses the ghost -p_i, i.e. adds -2 D_i h_j⁻² p_i. For a constant D it is D
    times the standard (2d+1)-point Laplacian; A is symmetric and, for periodic and Neumann axes, its columns sum
    to zero (mass is conserved exactly).

    Args:
        grid: the grid.
        diffusivity: D ≥ 0, a number or an array of the grid's shape.

    Returns:
        A ``scipy.sparse.csr_matrix`` of shape ``(grid.size, grid.size)``, cells in C order.

    Raises:
        TypeError: ``grid`` is not a ``Grid``, or ``diffusivity`` neither a number nor an array.
        ValueError: ``diffusivity`` is negative, not finite, or an array of another shape.

    References:
        - LeVeque 2007, "Finite Difference Methods for Ordinary and Partial Differential Equations", SIAM, ch. 9 (the
          heat equation, its discretizations and their stability).
    """
    check_grid(grid)
    return _laplacian(grid, _check_diffusivity(diffusivity, grid))


def _laplacian(grid: Grid, diffusivity: float | Array) -> sp.csr_matrix:
    size = grid.size
    idx = np.arange(size).reshape(grid.shape)
    dfield = np.broadcast_to(np.asarray(diffusivity, dtype=np.float64), grid.shape).reshape(-1)
    rows: list[NDArray[np.intp]] = []
    cols: list[NDArray[np.intp]] = []
    vals: list[Array] = []
    diag = np.zeros(size)
    for j, (n, h) in enumerate(zip(grid.shape, grid.spacing, strict=True)):
        a = np.take(idx, np.arange(n - 1), axis=j).reshape(-1)
        b = np.take(idx, np.arange(1, n), axis=j).reshape(-1)
        if grid.bc[j] == "periodic":
            a = np.concatenate([a, np.take(idx, [n - 1], axis=j).reshape(-1)])
            b = np.concatenate([b, np.take(idx, [0], axis=j).reshape(-1)])
        elif grid.bc[j] == "dirichlet":
            for wall in (0, n - 1):
                cells = np.take(idx, [wall], axis=j).reshape(-1)
                np.add.at(diag, cells, -2.0 * dfield[cells] / h**2)
        c = 0.5 * (dfield[a] + dfield[b]) / h**2
        rows += [a, b]
        cols += [b, a]
        vals += [c, c]
        np.add.at(diag, a, -c)
        np.add.at(diag, b, -c)
    rows.append(np.arange(size))
    cols.append(np.arange(size))
    vals.append(diag)
    return sp.coo_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                         shape=(size, size)).tocsr()


def stability_limit(grid: Grid, *, diffusivity: float | ArrayLike = 1.0) -> float:
    r"""The largest step forward Euler may take, ``Δt_max = 2 / max_i Σ_k |A_ik| ≤ 2/ρ(A)`` (Gershgorin).

    A (``laplacian``) is symmetric with eigenvalues in [-ρ, 0], so ``p^{n+1} = (I + Δt A) p^n`` is stable iff
    Δt ρ ≤ 2, and the Gershgorin bound makes Δt ≤ Δt_max sufficient. For a constant D it is the textbook
    ``Δt_max = 1/(2D Σ_j h_j⁻²)`` (h²/(2D) in 1-D), the exact limit on periodic axes with an even number of cells.

    Args:
        grid: the grid.
        diffusivity: D ≥ 0, a number or an array of the grid's shape.

    Returns:
        Δt_max; infinite for D = 0.

    Raises:
        TypeError: ``grid`` is not a ``Grid``, or ``diffusivity`` neither a number nor an array.
        ValueError: ``diffusivity`` is negative, not finite, or an array of another shape.

    References:
        - LeVeque 2007, "Finite Difference Methods for Ordinary and Partial Differential Equations", SIAM, ch. 9 (the
          heat equation, its discretizations and their stability).
        - Gershgorin 1931, "Über die Abgrenzung der Eigenwerte einer Matrix", Izv. Akad. Nauk SSSR.
    """
    check_grid(grid)
    return _stability_limit(_laplacian(grid, _check_diffusivity(diffusivity, grid)))


def _stability_limit(a: sp.csr_matrix) -> float:
    radius = float(np.max(np.asarray(abs(a).sum(axis=1)).reshape(-1)))
    return math.inf if radius == 0 else 2.0 / radius


# --- the solvers ---
def solve(
    p0: ArrayLike,
    grid: Grid,
    times: ArrayLike,
    *,
    method: str = "spectral",
    diffusivity: float | ArrayLike = 1.0,
    dt: float | None = None,
) -> Array:
    r"""Solve ``∂p/∂t = ∇·(D∇p)`` on ``grid`` from p(0) = ``p0`` and return p at each of ``times``.

    The methods:

    - ``"spectral"``: exact in time, ``p(t) = V⁻¹ diag(e^{-D|k|²t}) V p0`` with V the FFT (periodic axes), the
      orthonormal DCT-II (Neumann) or DST-II (Dirichlet); exact to round-off for any p0 the grid resolves.
      Constant D only.
    - ``"crank_nicolson"``: ``(I - ½Δt A) p^{n+1} = (I + ½Δt A) p^n`` with the finite-volume A (``laplacian``);
      order 2 in time and space, unconditionally stable, D may vary in space.
    - ``"explicit"``: forward Euler ``p^{n+1} = p^n + Δt A p^n``, order 1 in time, stable only for
      Δt ≤ ``stability_limit``.

    Args:
        p0: the initial field, an array of the grid's shape (any finite real values: a density, a temperature,
            a Fourier mode).
        grid: the grid, which carries the boundary condition of each axis.
        times: one time t ≥ 0 or a strictly increasing 1-D sequence of them.
        method: "spectral" (exact in time, constant D), "crank_nicolson" or "explicit".
        diffusivity: D ≥ 0, a number, or (crank_nicolson, explicit) an array of the grid's shape.
        dt: the largest time step of crank_nicolson (required) and explicit (default: half of
            ``stability_limit``; a dt above the limit is refused). Each interval between requested times is cut
            into ⌈interval/dt⌉ equal steps. Not used by "spectral".

    Returns:
        float64 array of shape ``grid.shape`` for a scalar ``times``, else ``(len(times), *grid.shape)``.

    Raises:
        TypeError: ``grid`` is not a ``Grid``, or ``p0``, ``times``, ``method``, ``diffusivity`` or ``dt`` of the
            wrong type.
        ValueError: ``p0`` of another shape than the grid or not finite; times negative or not increasing; an
            unknown ``method`` (the valid ones are listed); a negative diffusivity; ``dt`` given to "spectral",
            missing for "crank_nicolson" or above the explicit stability limit; an array diffusivity with
            "spectral".

    Example:
        ```python
        grid = Grid(128, (-4, 4), "neumann")
        p = solve(p0, grid, [0.1, 0.5])                            # shape (2, 128), exact in time
        q = solve(p0, grid, 0.5, method="crank_nicolson", dt=1e-3) # shape (128,)
        ```

    References:
        - Crank & Nicolson 1947, "A practical method for numerical evaluation of solutions of partial differential
          equations of the heat-conduction type", Proc. Cambridge Philosophical Society 43.
        - Trefethen 2000, "Spectral Methods in MATLAB", SIAM.
    """
    check_grid(grid)
    p = grid.check_values(p0, "p0")
    ts, scalar = check_times(times)
    name = check_name(method, "method", METHODS)
    d = _check_diffusivity(diffusivity, grid)
    step = None if dt is None else check_number(dt, "dt", low=0.0, low_open=True)
    if name == "spectral":
        if step is not None:
            raise ValueError(f"dt is not used by method 'spectral' (exact in time); got dt={dt!r}. "
                             f"Drop it, or choose 'crank_nicolson' or 'explicit'")
        if not isinstance(d, float):
            raise ValueError("method 'spectral' needs a constant diffusivity (a number); got an array. "
                             "Use method 'crank_nicolson' or 'explicit' for a diffusivity that varies in space")
        out = _spectral(p, grid, ts, d)
    else:
        a = _laplacian(grid, d)
        if name == "crank_nicolson":
            if step is None:
                raise ValueError("method 'crank_nicolson' needs a time step; got dt=None")
            out = _crank_nicolson(p, a, ts, step)
        else:
            limit = _stability_limit(a)
            if step is None:
                step = 0.5 * limit
            elif step > limit:
                h = ", ".join(f"{v:.4g}" for v in grid.spacing)
                dmax = float(np.max(d))
                raise ValueError(f"dt = {step!r} exceeds the explicit (forward Euler) stability limit "
                                 f"dt <= 2/ρ(A) = {limit:.6g} (= 1/(2 D Σ_j h_j⁻²) with D = {dmax:.4g}, "
                                 f"h = ({h})); take dt <= {limit:.6g} or method 'crank_nicolson'")
            out = _explicit(p, a, ts, step)
    return out[0] if scalar else out


def _spectral(p0: Array, grid: Grid, times: Array, diffusivity: float) -> Array:
    basis = SpectralBasis(grid)
    coef = basis.forward(p0)
    if times.size == 1:  # the common case: coef's memory is reused and nothing is copied into a stack
        if times[0] == 0 or diffusivity == 0:
            return p0.copy()[None]
        return basis.evolve(coef, diffusivity * float(times[0]), overwrite=True)[None]
    out = np.empty((times.size, *grid.shape))
    for i, t in enumerate(times):
        out[i] = p0 if t == 0 or diffusivity == 0 else basis.evolve(coef, diffusivity * float(t))
    return out


def _substeps(interval: float, dt: float) -> tuple[int, float]:
    """⌈interval/dt⌉ equal steps (at least one), forgiving round-off in an interval that is a multiple of dt."""
    n = max(1, math.ceil(interval / dt * (1.0 - 1e-12)))
    return n, interval / n


Step = Callable[[Array], Array]


def _march(p0: Array, times: Array, dt: float, make_step: Callable[[float], Step]) -> Array:
    """The time loop: reach each requested time in equal substeps of at most dt, building the stepper of each
    substep length once (``make_step(h)``), and record the field there."""
    steps: dict[float, Step] = {}
    out = np.empty((times.size, *p0.shape))
    p, now = p0.reshape(-1).copy(), 0.0
    for i, t in enumerate(times):
        interval = float(t) - now
        if interval > 0:
            n, h = _substeps(interval, dt)
            if h not in steps:
                steps[h] = make_step(h)
            for _ in range(n):
                p = steps[h](p)
        now = float(t)
        out[i] = p.reshape(p0.shape)
    return out


def _crank_nicolson(p0: Array, a: sp.csr_matrix, times: Array, dt: float) -> Array:
    eye = sp.identity(a.shape[0], format="csr")

    def make_step(h: float) -> Step:
        # the matrix is symmetric: a minimum-degree ordering on its structure halves the fill of COLAMD
        lu = spla.splu((eye - 0.5 * h * a).tocsc(), permc_spec="MMD_AT_PLUS_A")
        rhs = (eye + 0.5 * h * a).tocsr()
        return lambda p: np.asarray(lu.solve(rhs @ p))

    return _march(p0, times, dt, make_step)


def _explicit(p0: Array, a: sp.csr_matrix, times: Array, dt: float) -> Array:
    return _march(p0, times, dt, lambda h: lambda p: p + h * (a @ p))


def backward_solve(p: ArrayLike, grid: Grid, tau: float, *, diffusivity: float = 1.0) -> Array:
    r"""The backward heat equation, naively: ``p(-τ) = V⁻¹ diag(e^{+D|k|²τ}) V p``, the spectral solve run backwards.

    This is the ill-posed problem (Hadamard): mode k is multiplied by e^{D|k|²τ}, so a perturbation of size ε in
    the grid's highest mode comes back e^{D k_max² τ} times larger (k_max² = Σ_j (π/h_j)²). With p from a
    forward solve, its round-off alone is amplified this way; the result may overflow to ±inf. It is here to be
    measured next to the reverse SDE, which undoes heat flow stably through the score (``heat.link``).

    Args:
        p: the field at the final time, of the grid's shape.
        grid: the grid.
        tau: how far back to go, τ ≥ 0.
        diffusivity: D ≥ 0.

    Returns:
        float64 array of the grid's shape (possibly with ±inf or nan where the amplification overflows).

    Raises:
        TypeError: ``grid`` is not a ``Grid``, or ``p``, ``tau`` or ``diffusivity`` of the wrong type.
        ValueError: ``p`` of another shape than the grid or not finite, ``tau`` not one number ≥ 0, or a
            diffusivity that is negative or not finite.

    References:
        - Hadamard 1923, "Lectures on Cauchy's Problem in Linear Partial Differential Equations".
        - Evans, "Partial Differential Equations", AMS, §2.3 (backward uniqueness of the heat equation).
    """
    check_grid(grid)
    field = grid.check_values(p, "p")
    s = check_time(tau, "tau")
    d = check_number(diffusivity, "diffusivity", low=0.0)
    basis = SpectralBasis(grid)
    with np.errstate(over="ignore", invalid="ignore"):
        return basis.inverse(basis.forward(field) * np.exp(basis.growth_exponent(d * s)))


def gradient(p: ArrayLike, grid: Grid, *, gradient: str = "spectral") -> Array:
    r"""The gradient ∇p of a grid field, ``∂_j p = Σ_k c_k ∂_j φ_k`` for the eigen-expansion ``p = Σ_k c_k φ_k``.

    Scheme "spectral": differentiate the eigen-expansion of each axis (FFT / DCT-II / DST-II), spectrally accurate
    for fields that satisfy the axis's boundary condition. "finite_difference": second-order central differences,
    wrapped on periodic axes and one-sided (second order) at the walls of bounded ones.

    Args:
        p: a field of the grid's shape.
        grid: the grid.
        gradient: the scheme, "spectral" or "finite_difference" (one of ``GRADIENTS``).

    Returns:
        float64 array of shape ``(d, *grid.shape)``: ``gradient(p, grid)[j]`` is ∂p/∂x_j.

    Raises:
        TypeError: ``grid`` is not a ``Grid``, ``p`` not a real array, or ``gradient`` not a string.
        ValueError: ``p`` of another shape than the grid or not finite, or an unknown ``gradient``.

    References:
        Trefethen 2000, "Spectral Methods in MATLAB", SIAM.
    """
    check_grid(grid)
    field = grid.check_values(p, "p")
    return grid_gradient(field, grid, check_name(gradient, "gradient", GRADIENTS))
