r"""The Gaussian heat kernel and the exact heat flow of a Gaussian mixture, in free space and in a box.

In free space ℝ^d the solution of ∂p/∂t = D∇²p is the convolution with the heat kernel

    K_t(x) = (4πDt)^{-d/2} exp(-|x|²/(4Dt)) = N(x; 0, 2Dt·I),

so a Gaussian N(μ, Σ) stays Gaussian, N(μ, Σ + 2Dt·I), and a mixture Σ_k w_k N(μ_k, Σ_k) flows to
Σ_k w_k N(μ_k, Σ_k + 2Dt·I) (the VE SDE with g² = 2D: Song et al. 2021; ``heat.link``).

In a box the kernel is a sum over images (the method of images). Along one axis of length L = hi - lo:

    periodic   images x' + mL,                       m ∈ ℤ, all with sign +;
    neumann    images x' + 2mL and 2lo - x' + 2mL,   sign + (a reflecting wall: zero flux);
    dirichlet  the same images, the reflected ones with sign - (an absorbing wall: zero value).

The box kernel is the product of the axis kernels, and each image is an isometry x ↦ R x + s (R a diagonal of
±1), so the box solution from the image-summed mixture at t = 0 is, exactly,

    p_t(x) = Σ_k w_k Σ_images sign · N(x; R μ_k + s, R Σ_k R + 2Dt·I),   x in the box.

``Mixture.on_grid`` evaluates that sum on a grid's cells, with every image whose contribution can exceed
e^{-50} ≈ 2e-22 of the component's peak; it is the exact answer the solvers are tested against. numpy (and
heat's shared input checks).

References:
    - Evans, "Partial Differential Equations", AMS, §2.3.1 (the fundamental solution of the heat equation).
    - Song et al. 2021, "Score-Based Generative Modeling through Stochastic Differential Equations", ICLR
      (arXiv:2011.13456): the VE SDE.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from heat._checks import as_float_array, check_grid, check_number, check_time
from heat.grid import Grid

__all__ = ["Mixture", "heat_kernel"]

Array = NDArray[np.float64]

_REACH = 10.0  # images farther than 10 standard deviations from the box add < e^{-50} of a peak


def heat_kernel(x: ArrayLike, t: float, *, diffusivity: float = 1.0) -> Array:
    r"""The free-space heat kernel ``K_t(x) = (4πDt)^{-d/2} exp(-|x|²/(4Dt))``, the Gaussian N(x; 0, 2Dt·I).

    Args:
        x: displacements, shape (..., d).
        t: time t > 0.
        diffusivity: D > 0.

    Returns:
        K_t at each displacement, shape (...).

    Raises:
        TypeError: ``x`` is not a real array, or ``t`` or ``diffusivity`` not a number.
        ValueError: ``x`` is not of shape (..., d) or not finite, ``t`` is not one number > 0, or D is not a
            finite number > 0.

    References:
        Evans, "Partial Differential Equations", AMS, §2.3.1 (the fundamental solution).
    """
    arr = as_float_array(x, "x", "a real array of shape (..., d)")
    if arr.ndim < 1 or arr.shape[-1] < 1:
        raise ValueError(f"x must have shape (..., d) with d >= 1; got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise ValueError("x must be finite")
    time = check_time(t, "t", positive=True)
    var = 2.0 * check_number(diffusivity, "diffusivity", low=0.0, low_open=True) * time
    dim = arr.shape[-1]
    return np.asarray(np.exp(-0.5 * np.sum(arr * arr, axis=-1) / var) / (2.0 * math.pi * var) ** (dim / 2))


def _gaussian(points: Array, mean: Array, cov: Array) -> Array:
    """N(x; μ, Σ) at points (n, d), by the Cholesky factor of Σ."""
    chol = np.linalg.cholesky(cov)
    z = np.linalg.solve(chol, (points - mean).T)
    log_det = 2.0 * float(np.sum(np.log(np.diag(chol))))
    return np.asarray(np.exp(-0.5 * np.sum(z * z, axis=0) - 0.5 * (mean.size * math.log(2 * math.pi) + log_det)))


class Mixture:
    r"""A Gaussian mixture ``p(x) = Σ_k w_k N(x; μ_k, Σ_k)`` and its exact heat flow.

    Heat flow for a time t adds 2Dt·I to every covariance (``evolve``), in a box with the method of images
    (``on_grid``). Any array-like works as input, including CPU tensors, e.g.
    ``Mixture(gm.weights, gm.means, gm.covs)`` for a ``scoresde.GaussianMixture`` ``gm``.

    Args:
        weights: (K,), positive, summing to 1 (to 1e-6; then renormalised).
        means: (K, d).
        covs: (K, d, d), symmetric positive definite.

    Attributes:
        weights: float64 (K,), renormalised to sum to 1.
        means: float64 (K, d).
        covs: float64 (K, d, d).

    Raises:
        TypeError: an argument is not a real array.
        ValueError: shapes that do not agree, non-finite values, weights that are not positive or do not sum to
            1, or a covariance that is not symmetric positive definite.

    References:
        - Evans, "Partial Differential Equations", AMS, §2.3.1 (heat flow convolves with the heat kernel).
        - Carslaw & Jaeger 1959, "Conduction of Heat in Solids", Oxford, §14 (the method of images in a box).
    """

    def __init__(self, weights: ArrayLike, means: ArrayLike, covs: ArrayLike) -> None:
        w = self._array(weights, "weights")
        mu = self._array(means, "means")
        cov = self._array(covs, "covs")
        if w.ndim != 1 or w.size == 0:
            raise ValueError(f"weights must have shape (K,) with K >= 1; got shape {w.shape}")
        k = w.size
        if mu.ndim != 2 or mu.shape[0] != k:
            raise ValueError(f"means must have shape (K, d) = ({k}, d); got shape {mu.shape}")
        d = mu.shape[1]
        if cov.shape != (k, d, d):
            raise ValueError(f"covs must have shape (K, d, d) = ({k}, {d}, {d}); got shape {cov.shape}")
        if (w <= 0).any() or abs(float(w.sum()) - 1.0) > 1e-6:
            raise ValueError(f"weights must be > 0 and sum to 1 (to 1e-6); got {w.tolist()}")
        for i in range(k):
            if not np.allclose(cov[i], cov[i].T, rtol=0, atol=1e-12 * np.abs(cov[i]).max()):
                raise ValueError(f"covs[{i}] must be symmetric; got {cov[i].tolist()}")
            if np.linalg.eigvalsh(cov[i])[0] <= 0:
                raise ValueError(f"covs[{i}] must be positive definite; its smallest eigenvalue is "
                                 f"{np.linalg.eigvalsh(cov[i])[0]:.3g}")
        self.weights = w / w.sum()
        self.means = mu
        self.covs = cov

    @staticmethod
    def _array(value: Any, name: str) -> Array:
        arr = as_float_array(value, name, "a real array")
        if not np.isfinite(arr).all():
            raise ValueError(f"{name} must be finite")
        return arr

    def __repr__(self) -> str:
        return f"Mixture(K={self.weights.size}, d={self.dim})"

    @property
    def dim(self) -> int:
        """The dimension d."""
        return int(self.means.shape[1])

    def evolve(self, t: float, *, diffusivity: float = 1.0) -> Mixture:
        r"""The free-space heat flow at time t: ``Σ_k w_k N(μ_k, Σ_k + 2Dt·I)``.

        Args:
            t: one time t ≥ 0.
            diffusivity: D ≥ 0.

        Returns:
            The mixture at time t.

        Raises:
            TypeError: ``t`` or ``diffusivity`` is not a number.
            ValueError: ``t`` is not one number ≥ 0, or D is negative.
        """
        var = 2.0 * check_number(diffusivity, "diffusivity", low=0.0) * check_time(t, "t")
        return Mixture(self.weights, self.means, self.covs + var * np.eye(self.dim))

    def pdf(self, points: ArrayLike) -> Array:
        r"""The density in free space, ``p(x) = Σ_k w_k N(x; μ_k, Σ_k)``.

        Args:
            points: shape (n, d).

        Returns:
            float64 array of shape (n,).

        Raises:
            TypeError: ``points`` is not a real array.
            ValueError: ``points`` is not of shape (n, d).
        """
        pts = as_float_array(points, "points", f"a real array of shape (n, {self.dim})")
        if pts.ndim != 2 or pts.shape[1] != self.dim:
            raise ValueError(f"points must have shape (n, {self.dim}); got shape {pts.shape}")
        out = np.zeros(pts.shape[0])
        for w, mu, cov in zip(self.weights, self.means, self.covs, strict=True):
            out += w * _gaussian(pts, mu, cov)
        return out

    def on_grid(self, grid: Grid, t: float = 0.0, *, diffusivity: float = 1.0) -> Array:
        r"""The exact heat flow at time t of this mixture in the grid's box, at the cell centres.

            p_t(x) = Σ_k w_k Σ_images sign · N(x; R μ_k + s, R Σ_k R + 2Dt·I)

        Each image is an isometry x ↦ R x + s (R a diagonal of ±1): along a periodic axis the shifts x + mL;
        along a Neumann or Dirichlet axis x + 2mL and the mirror images 2lo - x + 2mL, these with sign + (Neumann)
        or - (Dirichlet). At t = 0 it is the mixture folded into the box by the same images, so that
        ``solve(m.on_grid(grid), grid, t) ≈ m.on_grid(grid, t)``. A component with a diagonal covariance is
        evaluated as a product of one-dimensional image sums (exactly equal, much cheaper in 3-D).

        With Dirichlet walls the folded mixture is a density (>= 0) when every component has an axis-aligned
        covariance and its mean inside the box; a tilted component's odd image can outweigh it near a wall.

        Args:
            grid: a grid of the mixture's dimension; its bounds and boundary conditions choose the images.
            t: one time t ≥ 0.
            diffusivity: D ≥ 0.

        Returns:
            float64 array of the grid's shape.

        Raises:
            TypeError: ``grid`` is not a ``Grid``, or ``t`` or ``diffusivity`` not a number.
            ValueError: the grid's dimension is not the mixture's, ``t`` not one number ≥ 0, or D negative.
        """
        check_grid(grid)
        if grid.ndim != self.dim:
            raise ValueError(f"grid must have the mixture's dimension {self.dim}; got a {grid.ndim}-D grid")
        flowed = self.evolve(t, diffusivity=diffusivity)
        out = np.zeros(grid.shape)
        for w, mu, cov in zip(flowed.weights, flowed.means, flowed.covs, strict=True):
            if np.count_nonzero(cov - np.diag(np.diag(cov))) == 0:
                out += w * self._separable(grid, mu, np.diag(cov))
            else:
                out += w * self._full(grid, mu, cov)
        return out

    @staticmethod
    def _axis_images(grid: Grid, j: int, centre: float, std: float) -> list[tuple[float, float, float]]:
        """(position, sign, orientation ±1) of the images along axis j of a point at ``centre`` that lie within
        10 std of the box; orientation -1 marks a mirror image (x ↦ 2lo - x + 2mL)."""
        lo, hi = grid.bounds[j]
        bc = grid.bc[j]
        reach = _REACH * std
        period = (hi - lo) if bc == "periodic" else 2.0 * (hi - lo)
        bases = [(centre, 1.0, 1.0)]
        if bc != "periodic":
            bases.append((2 * lo - centre, 1.0 if bc == "neumann" else -1.0, -1.0))
        images = []
        for base, sign, orientation in bases:
            for m in range(math.floor((lo - reach - base) / period), math.ceil((hi + reach - base) / period) + 1):
                pos = base + m * period
                if lo - reach <= pos <= hi + reach:
                    images.append((pos, sign, orientation))
        return images

    def _separable(self, grid: Grid, mean: Array, var: Array) -> Array:
        out = np.ones((1,) * grid.ndim)
        for j, x in enumerate(grid.axes):
            s = math.sqrt(var[j])
            line = np.zeros_like(x)
            for pos, sign, _ in self._axis_images(grid, j, float(mean[j]), s):
                line += sign * np.exp(-0.5 * ((x - pos) / s) ** 2)
            shape = [1] * grid.ndim
            shape[j] = x.size
            out = out * (line / (math.sqrt(2 * math.pi) * s)).reshape(shape)
        return np.broadcast_to(out, grid.shape).copy()

    def _full(self, grid: Grid, mean: Array, cov: Array) -> Array:
        std = math.sqrt(float(np.linalg.eigvalsh(cov)[-1]))
        per_axis = [self._axis_images(grid, j, float(mean[j]), std) for j in range(grid.ndim)]
        pts = grid.points()
        out = np.zeros(grid.size)
        for combo in itertools.product(*per_axis):
            pos = np.array([c[0] for c in combo])
            sign = math.prod(c[1] for c in combo)
            r = np.array([c[2] for c in combo])  # R = diag(±1): a mirrored axis flips its coordinate
            out += sign * _gaussian(pts, pos, cov * np.outer(r, r))
        return out.reshape(grid.shape)
