r"""Distances between point sets, to score samplers against exact samples.

* `sliced_wasserstein` / `SlicedWasserstein`: the sliced Wasserstein-p distance (Rabin et al. 2011,
  "Wasserstein Barycenter and its Application to Texture Mixing"; Bonneel et al. 2015, "Sliced and Radon
  Wasserstein Barycenters of Measures"),

      SW_p(μ, ν)^p = E_θ [ W_p(θ#μ, θ#ν)^p ],   θ uniform on the unit sphere,

  estimated with L random directions. In one dimension `W_p` is a distance between quantile functions,
  `W_p(a, b)^p = ∫₀¹ |F_a⁻¹(u) - F_b⁻¹(u)|^p du`, so each direction costs one sort.
* `mmd`: the unbiased estimate of the squared maximum mean discrepancy with a sum of Gaussian kernels
  (Gretton et al. 2012, "A Kernel Two-Sample Test", eq. 3).
* `moment_errors`: the error of the sample mean and covariance against known ones.

A point set is a tensor of shape `(n,)` (n points on the line), `(n, d)` or `(n, *dims)` (images, flattened to
`d = prod(dims)`). Everything is computed in float64 and returned as a Python float.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor

from scoresde._utils import FLOAT64, check_finite, check_float, check_int, check_positive_float, check_tensor

__all__ = ["SlicedWasserstein", "mmd", "moment_errors", "sliced_wasserstein"]


def _points(value: Any, name: str, *, min_n: int = 1) -> Tensor:
    """``x`` as a float64 (n, d) tensor: (n,) -> (n, 1); (n, *dims) -> (n, prod(dims))."""
    x = check_tensor(value, name)
    if x.ndim == 0:
        raise ValueError(f"{name} must have shape (n,), (n, d) or (n, *dims); got a 0-d tensor")
    n = x.shape[0]
    if n < min_n:
        raise ValueError(f"{name} must hold at least {min_n} point(s); got shape {tuple(x.shape)}")
    pts = x.reshape(n, -1) if x.ndim > 1 else x.reshape(n, 1)
    if pts.shape[1] == 0:
        raise ValueError(f"{name} must have at least one coordinate per point; got shape {tuple(x.shape)}")
    pts = pts.to(FLOAT64)
    check_finite(pts, name)
    return pts


def _directions(projections: Any, d: int, generator: torch.Generator | None, device: torch.device) -> Tensor:
    """(L, d) unit directions: ``projections`` random ones drawn from ``generator``, or the rows given."""
    dirs: Tensor
    if isinstance(projections, Tensor):
        given = check_tensor(projections, "projections")
        if given.ndim != 2 or given.shape[1] != d or given.shape[0] == 0:
            raise ValueError(f"projections must be an int or a tensor of directions of shape (L, d) = (L, {d}); "
                             f"got shape {tuple(given.shape)}")
        dirs = given.to(device=device, dtype=FLOAT64)
        check_finite(dirs, "projections")
    else:
        L = check_int(projections, "projections", minimum=1)
        dev = generator.device if generator is not None else torch.device("cpu")
        dirs = torch.randn(L, d, dtype=FLOAT64, device=dev, generator=generator).to(device)
    norms = torch.linalg.vector_norm(dirs, dim=1, keepdim=True)
    if (norms == 0).any():
        raise ValueError("projections must not contain a zero direction")
    return torch.div(dirs, norms)


def _check_p(p: Any) -> float:
    """The order p of W_p, a finite real number >= 1 (W_p is a distance only for p >= 1)."""
    return check_float(p, "p", low=1.0)


class SlicedWasserstein:
    r"""The sliced Wasserstein-p distance `SW_p(x, y)^p = (1/L) Σ_l W_p(θ_l·x, θ_l·y)^p` to a fixed reference set y.

    The reference's projections are sorted once. `SlicedWasserstein(y, ...)(x)` equals
    `sliced_wasserstein(x, y, ...)`; keep the object when many sets are scored against one large reference (a
    benchmark's exact samples).

    With m reference points and n points in x, along each direction `θ_l` the sorted projections
    `a_(1..n)` of x are matched to the reference quantiles `b_(j(i))` at levels `(i + ½)/n`,
    `j(i) = ⌊(i + ½) m / n⌋` (0-based), and

        SW_p^p ≈ (1/L) Σ_l (1/n) Σ_i |a_(i) - b_(j(i))|^p.

    When m = n this is the exact sliced distance between the two empirical measures; when m = r·n it is a
    lower-variance estimate of `SW_p(x, ν)` for the distribution ν the reference was drawn from.

    Args:
        reference: the reference set y, shape `(m,)`, `(m, d)` or `(m, *dims)`.
        projections: the number L of random directions (uniform on the sphere, drawn from `generator`),
            or a tensor `(L, d)` of directions (each row normalised here).
        generator: the random directions' generator; a fixed one gives the same directions every time.
        p: the order p ≥ 1.

    Attributes:
        directions: the unit directions `θ_l`, float64 `(L, d)`.
        p: the order p.

    Raises:
        TypeError: if `reference` or a directions tensor is not floating-point, `projections` or `p` has the
            wrong type, or `generator` is not a `torch.Generator`.
        ValueError: if `reference` is empty or not finite, `projections < 1`, a directions tensor is not `(L, d)`
            or holds a zero row, or `p < 1`.

    References:
        - Rabin, Peyré, Delon & Bernot 2011, "Wasserstein Barycenter and its Application to Texture Mixing", SSVM.
        - Bonneel, Rabin, Peyré & Pfister 2015, "Sliced and Radon Wasserstein Barycenters of Measures", Journal of
          Mathematical Imaging and Vision 51.
    """

    def __init__(self, reference: Tensor, projections: int | Tensor = 256, *,
                 generator: torch.Generator | None = None, p: float = 2.0) -> None:
        y = _points(reference, "reference")
        self.p = _check_p(p)
        if generator is not None and not isinstance(generator, torch.Generator):
            raise TypeError(f"generator must be a torch.Generator or None; got {type(generator).__name__}")
        self.directions = _directions(projections, y.shape[1], generator, y.device)
        self._sorted = torch.sort(self.directions @ y.T, dim=1).values  # (L, m)

    @property
    def dim(self) -> int:
        """The dimension d of the points, `directions.shape[1]`."""
        return int(self.directions.shape[1])

    def __call__(self, x: Tensor) -> float:
        r"""`SW_p(x, y) = ((1/L) Σ_l (1/n) Σ_i |a_(i) - b_(j(i))|^p)^{1/p}` between the points x and the reference y.

        Args:
            x: the point set, shape `(n,)`, `(n, d)` or `(n, *dims)`, with the reference's d.

        Returns:
            `SW_p` as a float.

        Raises:
            TypeError: if `x` is not a floating-point tensor.
            ValueError: if `x` is empty, not finite, or has another d.
        """
        pts = _points(x, "x")
        if pts.shape[1] != self.dim:
            raise ValueError(f"x must have d = {self.dim} values per point, like the reference; "
                             f"got shape {tuple(x.shape)}")
        pts = pts.to(self._sorted.device)
        n, m = pts.shape[0], self._sorted.shape[1]
        a = torch.sort(self.directions @ pts.T, dim=1).values  # (L, n)
        idx = torch.arange(n, device=pts.device)
        b = self._sorted if n == m else self._sorted[:, torch.clamp((2 * idx + 1) * m // (2 * n), max=m - 1)]
        diff = (a - b).abs()
        if self.p == 2.0:
            return math.sqrt(float((diff * diff).mean()))
        return math.pow(float(diff.pow(self.p).mean()), 1.0 / self.p)


def sliced_wasserstein(x: Tensor, y: Tensor, projections: int | Tensor = 256, *,
                       generator: torch.Generator | None = None, p: float = 2.0) -> float:
    r"""Sliced Wasserstein-p distance `SW_p(x, y)^p = (1/L) Σ_l W_p(θ_l·x, θ_l·y)^p` between two point sets.

    The average runs over L random unit directions `θ_l`. In one dimension `W_p` matches sorted values: the i-th
    smallest projection of x is paired with the quantile `(i + ½)/n` of y's projections (the i-th smallest when
    m = n, where the result is the exact empirical distance and symmetric in x and y). See
    [`SlicedWasserstein`][scoresde.metrics.SlicedWasserstein].

    Args:
        x: the first point set, n ≥ 1 points of shape `(n,)`, `(n, d)` or `(n, *dims)`.
        y: the second point set, m ≥ 1 points of the same d (any m).
        projections: number L of random directions, or a tensor `(L, d)` of directions.
        generator: the directions' random generator (a fixed one makes the result reproducible).
        p: the order p ≥ 1.

    Returns:
        `SW_p` as a float (same units as the points: `SW_p(c·x, c·y) = |c|·SW_p(x, y)`).

    Raises:
        TypeError: if `x` or `y` is not a floating-point tensor, `projections` or `p` has the wrong type, or
            `generator` is not a `torch.Generator`.
        ValueError: if a set is empty or not finite, the d's differ, `projections < 1` or a directions tensor
            is malformed, or `p < 1`.

    References:
        - Rabin, Peyré, Delon & Bernot 2011, "Wasserstein Barycenter and its Application to Texture Mixing", SSVM.
        - Bonneel, Rabin, Peyré & Pfister 2015, "Sliced and Radon Wasserstein Barycenters of Measures", Journal of
          Mathematical Imaging and Vision 51.
    """
    pts = _points(x, "x")
    ref = _points(y, "y")
    if pts.shape[1] != ref.shape[1]:
        raise ValueError(f"x and y must have the same number of values per point; got shapes "
                         f"{tuple(x.shape)} and {tuple(y.shape)}")
    return SlicedWasserstein(ref, projections, generator=generator, p=p)(pts)


def _median_distance(z: Tensor, max_points: int = 2000) -> float:
    """Median pairwise Euclidean distance of (an evenly strided subset of) z: the median heuristic."""
    sub = z[:: max(1, math.ceil(z.shape[0] / max_points))]
    dist = torch.cdist(sub, sub)
    iu = torch.triu_indices(sub.shape[0], sub.shape[0], offset=1, device=sub.device)
    return float(dist[iu[0], iu[1]].median())


def _kernel_sum(a: Tensor, b: Tensor, inv_two_h2: Tensor, block: int = 2048) -> float:
    """Σ_ij Σ_h exp(-‖a_i - b_j‖² / (2 h²)), in blocks so that memory stays O(block²)."""
    total = torch.zeros((), dtype=FLOAT64, device=a.device)
    a2, b2 = (a * a).sum(1), (b * b).sum(1)
    for i in range(0, a.shape[0], block):
        ai, ai2 = a[i:i + block], a2[i:i + block]
        for j in range(0, b.shape[0], block):
            bj = b[j:j + block]
            d2 = (ai2[:, None] + b2[None, j:j + block] - 2.0 * ai @ bj.T).clamp_min(0.0)
            total = total + torch.exp(-d2[None] * inv_two_h2[:, None, None]).sum()
    return float(total)


def mmd(x: Tensor, y: Tensor, bandwidths: float | Sequence[float] | None = None) -> float:
    r"""Unbiased squared maximum mean discrepancy `MMD²_u` between the samples x and y.

    With `k(a, b) = Σ_h exp(-‖a - b‖² / (2h²))`,

        MMD²_u = Σ_{i≠j} k(x_i, x_j) / (n(n-1)) + Σ_{i≠j} k(y_i, y_j) / (m(m-1)) - 2 Σ_{i,j} k(x_i, y_j) / (nm),

    an unbiased estimate of `MMD² = ‖E φ(x) - E φ(y)‖²`, zero iff the distributions agree (the Gaussian kernel
    is characteristic). Being unbiased it can come out slightly negative when they agree.

    Args:
        x: the first sample, n ≥ 2 points of shape `(n,)`, `(n, d)` or `(n, *dims)`.
        y: the second sample, m ≥ 2 points of the same d.
        bandwidths: the kernel widths h (one or several, each > 0). Default: the median heuristic, `h_med`
            times (1/4, 1/2, 1, 2, 4), `h_med` the median pairwise distance of the pooled samples (of at most
            2000 of them, evenly strided, so the default is deterministic).

    Returns:
        `MMD²_u` as a float. Cost `O((n + m)² d)`; computed in blocks, memory `O(2048²)`.

    Raises:
        TypeError: if `x` or `y` is not a floating-point tensor, or a bandwidth not a real number.
        ValueError: if a sample has fewer than 2 points or is not finite, the d's differ, a bandwidth is not
            positive, `bandwidths` is empty, or the median heuristic gives 0.

    References:
        Gretton, Borgwardt, Rasch, Schölkopf & Smola 2012, "A Kernel Two-Sample Test", JMLR 13, eq. 3.
    """
    a = _points(x, "x", min_n=2)
    b = _points(y, "y", min_n=2)
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"x and y must have the same number of values per point; got shapes "
                         f"{tuple(x.shape)} and {tuple(y.shape)}")
    b = b.to(a.device)
    if bandwidths is None:
        h_med = _median_distance(torch.cat([a, b]))
        if h_med <= 0:
            raise ValueError("bandwidths cannot be chosen by the median heuristic: the median pairwise "
                             "distance of x and y is 0; pass bandwidths explicitly")
        widths = [h_med * f for f in (0.25, 0.5, 1.0, 2.0, 4.0)]
    else:
        seq = [bandwidths] if isinstance(bandwidths, (int, float)) else list(bandwidths)
        if not seq:
            raise ValueError("bandwidths must hold at least one width; got an empty sequence")
        widths = [check_positive_float(h, "bandwidths") for h in seq]
    inv = torch.tensor([0.5 / (h * h) for h in widths], dtype=FLOAT64, device=a.device)
    n, m, H = a.shape[0], b.shape[0], len(widths)
    kxx = (_kernel_sum(a, a, inv) - n * H) / (n * (n - 1))  # k(x, x) = H on the diagonal
    kyy = (_kernel_sum(b, b, inv) - m * H) / (m * (m - 1))
    kxy = _kernel_sum(a, b, inv) / (n * m)
    return kxx + kyy - 2.0 * kxy


def moment_errors(x: Tensor, mean: Tensor, cov: Tensor) -> tuple[float, float]:
    r"""Errors `(‖x̄ - mean‖₂, ‖Ĉ - cov‖_F)` of the sample mean and covariance of x against known ones.

    Here `x̄ = (1/n) Σ x_i` and the unbiased `Ĉ = Σ (x_i - x̄)(x_i - x̄)ᵀ/(n-1)`. Their Monte-Carlo size for exact
    samples is about `√(tr cov / n)` and `√((tr(cov)² + ‖cov‖²_F)/n)` (Gaussian data).

    Args:
        x: samples of shape `(n,)`, `(n, d)` or `(n, *dims)`, n ≥ 2.
        mean: shape `(d,)` (or the shape of one sample).
        cov: shape `(d, d)`.

    Returns:
        mean_error: `‖x̄ - mean‖₂`.
        cov_error: `‖Ĉ - cov‖_F`.

    Raises:
        TypeError: if `x`, `mean` or `cov` is not a floating-point tensor.
        ValueError: if x has fewer than 2 points, a shape does not match x's d, or a value is not finite.
    """
    pts = _points(x, "x", min_n=2)
    d = pts.shape[1]
    check_tensor(mean, "mean")
    check_tensor(cov, "cov")
    if mean.numel() != d or (mean.ndim > 1 and tuple(mean.shape) != tuple(x.shape[1:])):
        raise ValueError(f"mean must have shape ({d},) to match x of shape {tuple(x.shape)}; "
                         f"got shape {tuple(mean.shape)}")
    if tuple(cov.shape) != (d, d):
        raise ValueError(f"cov must have shape ({d}, {d}) to match x of shape {tuple(x.shape)}; "
                         f"got shape {tuple(cov.shape)}")
    mu = mean.reshape(d).to(device=pts.device, dtype=FLOAT64)
    c = cov.to(device=pts.device, dtype=FLOAT64)
    check_finite(mu, "mean")
    check_finite(c, "cov")
    xbar = pts.mean(0)
    centred = pts - xbar
    chat = centred.T @ centred / (pts.shape[0] - 1)
    return float(torch.linalg.vector_norm(xbar - mu)), float(torch.linalg.matrix_norm(chat - c))
