r"""Distances between point sets, to score samplers against exact samples and generated features against real ones.

* `sliced_wasserstein` / `SlicedWasserstein`: the sliced Wasserstein-p distance (Rabin et al. 2011,
  "Wasserstein Barycenter and its Application to Texture Mixing"; Bonneel et al. 2015, "Sliced and Radon
  Wasserstein Barycenters of Measures"),

      SW_p(μ, ν)^p = E_θ [ W_p(θ#μ, θ#ν)^p ],   θ uniform on the unit sphere,

  estimated with L random directions. In one dimension `W_p` is a distance between quantile functions,
  `W_p(a, b)^p = ∫₀¹ |F_a⁻¹(u) - F_b⁻¹(u)|^p du`, so each direction costs one sort.
* `mmd`: the unbiased estimate of the squared maximum mean discrepancy with a sum of Gaussian kernels
  (Gretton et al. 2012, "A Kernel Two-Sample Test", eq. 3).
* `moment_errors`: the error of the sample mean and covariance against known ones.
* `feature_statistics` / `FeatureStatistics` and `frechet_distance`: the Fréchet distance between the Gaussians
  fitted to two feature sets (Dowson & Landau 1982; as FID, Heusel et al. 2017),

      d²(μ₁, Σ₁; μ₂, Σ₂) = ‖μ₁ - μ₂‖² + tr Σ₁ + tr Σ₂ - 2 tr((Σ₁^{½} Σ₂ Σ₁^{½})^{½}),

  from two symmetric eigendecompositions in float64, correct for singular covariances too.
* `kernel_distance` / `KernelDistance`: the kernel distance (KID, Bińkowski et al. 2018, "Demystifying MMD
  GANs"), the unbiased MMD² with the cubic kernel `k(a, b) = (a·b/d + 1)³`, averaged over random subsets.
* `precision_recall` / `PrecisionRecall`: the improved precision and recall (Kynkäänniemi et al. 2019, "Improved
  Precision and Recall Metric for Assessing Generative Models"): the share of each set inside the other's
  k-nearest-neighbour manifold.

A point set is a tensor of shape `(n,)` (n points on the line), `(n, d)` or `(n, *dims)` (images, flattened to
`d = prod(dims)`); for the last three entries it is a set of features (of a pretrained network, say), which
these functions take as given. Everything is computed in float64 and returned as a Python float or a small frozen
dataclass (of floats; of float64 tensors for `FeatureStatistics`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from scoresde._utils import (
    FLOAT64,
    check_finite,
    check_float,
    check_generator,
    check_int,
    check_positive_float,
    check_tensor,
)

__all__ = [
    "FeatureStatistics",
    "KernelDistance",
    "PrecisionRecall",
    "SlicedWasserstein",
    "feature_statistics",
    "frechet_distance",
    "kernel_distance",
    "mmd",
    "moment_errors",
    "precision_recall",
    "sliced_wasserstein",
]


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


def _same_width(a: Tensor, b: Tensor, x: Any, y: Any, x_name: str, y_name: str) -> None:
    """Raise ``ValueError`` unless the point sets ``a`` and ``b`` (made from ``x`` and ``y``) have the same d."""
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"{x_name} and {y_name} must have the same number of values per point; got shapes "
                         f"{tuple(x.shape)} and {tuple(y.shape)}")


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
    _same_width(pts, ref, x, y, "x", "y")
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
    _same_width(a, b, x, y, "x", "y")
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


@dataclass(frozen=True, eq=False)  # eq=False: == on tensor fields would not give a bool
class FeatureStatistics:
    r"""The mean and unbiased covariance of a feature set: the Gaussian `N(mean, cov)` fitted to it.

    Made by [`feature_statistics`][scoresde.metrics.feature_statistics]; keep it to score many sets against one
    reference with [`frechet_distance`][scoresde.metrics.frechet_distance] without recomputing the reference's
    moments.

    Attributes:
        mean: `μ = (1/n) Σ_i f_i`, float64 `(d,)`.
        cov: `Σ = Σ_i (f_i - μ)(f_i - μ)ᵀ / (n - 1)`, float64 `(d, d)`, symmetric.
        n: the number n of features it was computed from.

    References:
        Heusel, Ramsauer, Unterthiner, Nessler & Hochreiter 2017, "GANs Trained by a Two Time-Scale Update Rule
        Converge to a Local Nash Equilibrium", NeurIPS (the statistics the FID compares).
    """

    mean: Tensor
    cov: Tensor
    n: int


def _statistics(pts: Tensor) -> FeatureStatistics:
    """Mean and unbiased (n - 1) covariance of checked float64 points (n, d), n >= 2."""
    n = pts.shape[0]
    mean = pts.mean(0)
    centred = pts - mean
    cov = centred.T @ centred / (n - 1)
    return FeatureStatistics(mean=mean, cov=0.5 * (cov + cov.T), n=n)


def feature_statistics(features: Tensor) -> FeatureStatistics:
    r"""The mean `μ = (1/n) Σ_i f_i` and unbiased covariance `Σ = Σ_i (f_i - μ)(f_i - μ)ᵀ / (n - 1)` of features.

    Args:
        features: n ≥ 2 feature vectors, shape `(n, d)` (or `(n,)`, or `(n, *dims)` flattened to
            `d = prod(dims)`), finite.

    Returns:
        A [`FeatureStatistics`][scoresde.metrics.FeatureStatistics] `(mean (d,), cov (d, d), n)` in float64.
        Cost `O(n d²)`.

    Raises:
        TypeError: if `features` is not a floating-point tensor.
        ValueError: if it holds fewer than 2 points or a non-finite value.

    References:
        Heusel, Ramsauer, Unterthiner, Nessler & Hochreiter 2017, "GANs Trained by a Two Time-Scale Update Rule
        Converge to a Local Nash Equilibrium", NeurIPS (the statistics the FID compares).
    """
    return _statistics(_points(features, "features", min_n=2))


def _describe(value: Any) -> str:
    """How a Gaussian argument is named in a width-mismatch message: its feature shape or its mean's shape."""
    if isinstance(value, Tensor):
        return f"features of shape {tuple(value.shape)}"
    mean = value.mean if isinstance(value, FeatureStatistics) else value[0]
    return f"a mean of shape {tuple(mean.shape)}"


def _gaussian(value: Any, name: str) -> tuple[Tensor, Tensor]:
    """``value`` (features, FeatureStatistics or (mean, cov)) as a checked float64 (mean (d,), symmetric cov (d, d))."""
    if isinstance(value, Tensor):
        stats = _statistics(_points(value, name, min_n=2))
        return stats.mean, stats.cov
    if isinstance(value, FeatureStatistics):
        mean, cov = value.mean, value.cov
    elif isinstance(value, tuple):
        if len(value) != 2:
            raise ValueError(f"{name} as a tuple must be a (mean, cov) pair; got a tuple of {len(value)} items")
        mean, cov = value
    else:
        raise TypeError(f"{name} must be a feature tensor (n, d), a FeatureStatistics or a (mean, cov) tuple of "
                        f"tensors; got {type(value).__name__}")
    check_tensor(mean, f"the mean of {name}")
    check_tensor(cov, f"the covariance of {name}")
    if mean.ndim != 1 or mean.shape[0] == 0:
        raise ValueError(f"the mean of {name} must have shape (d,), d >= 1; got shape {tuple(mean.shape)}")
    d = mean.shape[0]
    if tuple(cov.shape) != (d, d):
        raise ValueError(f"the covariance of {name} must have shape (d, d) = ({d}, {d}) to match its mean; "
                         f"got shape {tuple(cov.shape)}")
    mu = mean.to(FLOAT64)
    c = cov.to(device=mu.device, dtype=FLOAT64)
    check_finite(mu, f"the mean of {name}")
    check_finite(c, f"the covariance of {name}")
    scale = float(c.abs().max())
    asym = float((c - c.T).abs().max())
    if asym > 1e-6 * scale:
        raise ValueError(f"the covariance of {name} must be symmetric (to a relative 1e-6 of its largest entry, "
                         f"{scale:g}); got max |Σ - Σᵀ| = {asym:g}")
    return mu, 0.5 * (c + c.T)


def frechet_distance(a: Tensor | FeatureStatistics | tuple[Tensor, Tensor],
                     b: Tensor | FeatureStatistics | tuple[Tensor, Tensor]) -> float:
    r"""The squared Fréchet (Wasserstein-2) distance between the Gaussians `N(μ₁, Σ₁)` and `N(μ₂, Σ₂)`.

        d² = ‖μ₁ - μ₂‖² + tr Σ₁ + tr Σ₂ - 2 tr((Σ₁^{½} Σ₂ Σ₁^{½})^{½})

    (Dowson & Landau 1982). Given the features of a pretrained network (Inception-v3's 2048 pool features) for
    real and generated images, it is the FID of Heusel et al. 2017; this function takes the features, or
    their statistics, as given.

    The trace term is computed with symmetric eigendecompositions only, in float64: `Σ₁^{½} = V diag(√λ) Vᵀ`
    from `Σ₁ = V diag(λ) Vᵀ` (eigenvalues that round-off made negative clipped at 0), then the eigenvalues
    `ν_i` of the symmetric positive semidefinite `M = Σ₁^{½} Σ₂ Σ₁^{½}` (symmetrised, negative `ν_i` clipped
    at 0), and `tr(M^{½}) = Σ_i √ν_i`. No complex matrix square root is taken (`sqrtm(Σ₁ Σ₂)` of a
    non-symmetric product), and singular covariances (fewer features than dimensions, n ≤ d) need no
    regularisation: their zero eigenvalues contribute zero. The result is clamped at 0, which changes only a
    round-off-negative value (for equal statistics). Its round-off is at most about `d √(ε ‖M‖)`, ε the float64
    epsilon: the eigenvalues of `M` that are zero in exact arithmetic come out as ±ε‖M‖ and add their square
    roots (a relative 3e-8 of `tr Σ₁ + tr Σ₂` measured at d = 64, rank 5).

    Args:
        a: the first Gaussian: features of shape `(n, d)` (or `(n, *dims)`, n ≥ 2, fitted by
            [`feature_statistics`][scoresde.metrics.feature_statistics]), a
            [`FeatureStatistics`][scoresde.metrics.FeatureStatistics], or a `(mean (d,), cov (d, d))` tuple.
        b: the second Gaussian, in any of these forms, with the same d.

    Returns:
        `d²` as a float, ≥ 0; symmetric in `a` and `b`, 0 for equal statistics and unchanged when both feature
        sets are rotated or translated alike. Cost `O(d³)` (two eigendecompositions and two products of d × d
        matrices), plus `O(n d²)` for each feature set given.

    Raises:
        TypeError: if `a` or `b` is none of the three forms, or a tensor in it is not floating-point.
        ValueError: if a feature set has fewer than 2 points, a mean is not `(d,)`, a covariance not `(d, d)` or
            not symmetric (to a relative 1e-6), a value is not finite, a tuple is not a pair, or the d's of `a`
            and `b` differ.

    References:
        - Dowson & Landau 1982, "The Fréchet distance between multivariate normal distributions", Journal of
          Multivariate Analysis 12(3).
        - Heusel, Ramsauer, Unterthiner, Nessler & Hochreiter 2017, "GANs Trained by a Two Time-Scale Update Rule
          Converge to a Local Nash Equilibrium", NeurIPS (the FID).
    """
    mu1, c1 = _gaussian(a, "a")
    mu2, c2 = _gaussian(b, "b")
    if mu1.shape != mu2.shape:
        raise ValueError(f"a and b must have the same feature width d; got {_describe(a)} and {_describe(b)}")
    mu2, c2 = mu2.to(mu1.device), c2.to(mu1.device)
    lam, vecs = torch.linalg.eigh(c1)
    root1 = (vecs * lam.clamp_min(0.0).sqrt()) @ vecs.T  # Σ₁^{½}
    m = root1 @ c2 @ root1
    nu = torch.linalg.eigvalsh(0.5 * (m + m.T)).clamp_min(0.0)
    diff = mu1 - mu2
    d2 = diff @ diff + torch.trace(c1) + torch.trace(c2) - 2.0 * nu.sqrt().sum()
    return max(float(d2), 0.0)


@dataclass(frozen=True)
class KernelDistance:
    r"""What [`kernel_distance`][scoresde.metrics.kernel_distance] returns: the KID and its spread over subsets.

    Attributes:
        mean: the KID, the mean over the subsets of the unbiased `MMD²_u` with the cubic kernel.
        std: the sample standard deviation (n - 1 in the denominator) of the subsets' `MMD²_u`; NaN when
            `subsets == 1`.
        se: `std / √subsets`, the standard error of `mean` as the mean over the subsets (the subsets of one call
            overlap when they are large next to the sets, so this is then an estimate of how `mean` varies with
            the draw of the subsets, not with the draw of the sets).
        subsets: the number of subsets.
        subset_size: the size m of each subset actually used, `min(subset_size, n_x, n_y)`.

    References:
        Bińkowski, Sutherland, Arbel & Gretton 2018, "Demystifying MMD GANs", ICLR.
    """

    mean: float
    std: float
    se: float
    subsets: int
    subset_size: int


def _cubic_mmd2(a: Tensor, b: Tensor) -> Tensor:
    """Unbiased MMD²_u of float64 sets a (n, d), b (m, d), n, m >= 2, with k(u, v) = (u·v/d + 1)³; a 0-d tensor."""
    n, m, d = a.shape[0], b.shape[0], a.shape[1]

    def kernel(u: Tensor, v: Tensor) -> Tensor:
        return (u @ v.T).div_(d).add_(1.0).pow_(3)

    kxx, kyy = kernel(a, a), kernel(b, b)
    sxx = kxx.sum() - kxx.diagonal().sum()
    syy = kyy.sum() - kyy.diagonal().sum()
    return sxx / (n * (n - 1)) + syy / (m * (m - 1)) - 2.0 * kernel(a, b).sum() / (n * m)


def kernel_distance(x: Tensor, y: Tensor, *, subsets: int = 100, subset_size: int = 1000,
                    generator: torch.Generator | None = None) -> KernelDistance:
    r"""The kernel distance (KID): the unbiased `MMD²_u` with a cubic kernel, averaged over random subsets.

    With `k(a, b) = (a·b/d + 1)³` (d the feature width) and subsets `x_1..m` of x and `y_1..m` of y,

        MMD²_u = Σ_{i≠j} k(x_i, x_j) / (m(m-1)) + Σ_{i≠j} k(y_i, y_j) / (m(m-1)) - 2 Σ_{i,j} k(x_i, y_j) / m²,

    an unbiased estimate of the squared MMD between the two distributions (Bińkowski et al. 2018, following
    Gretton et al. 2012's estimator); being unbiased it can come out slightly negative when they agree. It is
    computed on `subsets` pairs of subsets, each subset drawn without replacement from its set (independently
    of the other subsets) by `generator`, and averaged. As the field's implementations do, the subset size
    falls to the smaller set's size, `m = min(subset_size, n_x, n_y)`; when `subset_size` is at least both
    sizes and the sizes agree, every subset is a whole set and each `MMD²_u` is the full-sample estimate.

    Args:
        x: the first feature set, n_x ≥ 2 points of shape `(n_x, d)` (or `(n_x,)`, `(n_x, *dims)`).
        y: the second feature set, n_y ≥ 2 points of the same d.
        subsets: the number of subset pairs, ≥ 1.
        subset_size: the size of each subset before the fall to `min(n_x, n_y)`, ≥ 2.
        generator: the subsets' random generator (a fixed one makes the result reproducible).

    Returns:
        A [`KernelDistance`][scoresde.metrics.KernelDistance] `(mean, std, se, subsets, subset_size)`. Cost
        `O(subsets · m² d)`; memory `O(m² + m d)` beyond the float64 copies of the sets.

    Raises:
        TypeError: if `x` or `y` is not a floating-point tensor, `subsets` or `subset_size` is not an int (a
            bool is not), or `generator` is not a `torch.Generator`.
        ValueError: if a set has fewer than 2 points or is not finite, the d's differ, `subsets < 1` or
            `subset_size < 2`.

    References:
        - Bińkowski, Sutherland, Arbel & Gretton 2018, "Demystifying MMD GANs", ICLR (the KID, §5 and App. D).
        - Gretton, Borgwardt, Rasch, Schölkopf & Smola 2012, "A Kernel Two-Sample Test", JMLR 13, eq. 3.
    """
    a = _points(x, "x", min_n=2)
    b = _points(y, "y", min_n=2)
    _same_width(a, b, x, y, "x", "y")
    count = check_int(subsets, "subsets", minimum=1)
    size = check_int(subset_size, "subset_size", minimum=2)
    check_generator(generator)
    b = b.to(a.device)
    nx, ny = a.shape[0], b.shape[0]
    m = min(size, nx, ny)
    dev = generator.device if generator is not None else torch.device("cpu")
    values = []
    for _ in range(count):
        ix = torch.randperm(nx, generator=generator, device=dev)[:m].to(a.device)
        iy = torch.randperm(ny, generator=generator, device=dev)[:m].to(a.device)
        values.append(_cubic_mmd2(a[ix], b[iy]))
    est = torch.stack(values).cpu()
    std = float(est.std()) if count > 1 else math.nan
    return KernelDistance(mean=float(est.mean()), std=std, se=std / math.sqrt(count), subsets=count, subset_size=m)


@dataclass(frozen=True)
class PrecisionRecall:
    r"""What [`precision_recall`][scoresde.metrics.precision_recall] returns.

    Attributes:
        precision: the share of the fake points inside the real manifold, in [0, 1].
        recall: the share of the real points inside the fake manifold, in [0, 1].
        k: the neighbour rank k that set the balls' radii.

    References:
        Kynkäänniemi, Karras, Laine, Lehtinen & Aila 2019, "Improved Precision and Recall Metric for Assessing
        Generative Models", NeurIPS.
    """

    precision: float
    recall: float
    k: int


def _knn_radii(z: Tensor, k: int, block: int) -> Tensor:
    """(n,) distance of each point of z (n, d) to its k-th nearest neighbour in z, itself excluded; in blocks."""
    n = z.shape[0]
    radii = torch.empty(n, dtype=FLOAT64, device=z.device)
    for i in range(0, n, block):
        zi = z[i:i + block]
        best = torch.full((zi.shape[0], k), math.inf, dtype=FLOAT64, device=z.device)  # the k smallest so far
        for j in range(0, n, block):
            dist = torch.cdist(zi, z[j:j + block])
            if j == i:  # the diagonal block (rows and columns are cut alike): a point is not its own neighbour
                dist.fill_diagonal_(math.inf)
            near = torch.topk(dist, min(k, dist.shape[1]), dim=1, largest=False).values
            best = torch.topk(torch.cat([best, near], dim=1), k, dim=1, largest=False).values
        radii[i:i + block] = best.amax(dim=1)
    return radii


def precision_recall(real: Tensor, fake: Tensor, *, k: int = 3, batch_size: int = 2048) -> PrecisionRecall:
    r"""Improved precision and recall (Kynkäänniemi et al. 2019) of generated features against real ones.

    Each set defines a manifold, the union of closed balls around its points, the radius `r_k(φ)` of the ball
    around `φ` being the distance to its k-th nearest neighbour in the same set (itself excluded):

        manifold(Φ) = ∪_{φ ∈ Φ} {u : ‖u - φ‖ ≤ r_k(φ)},
        precision = (1/|Φ_g|) Σ_{φ_g} 1[φ_g ∈ manifold(Φ_r)],   recall = (1/|Φ_r|) Σ_{φ_r} 1[φ_r ∈ manifold(Φ_g)].

    Precision measures how many generated samples look real (fidelity), recall how much of the real data the
    generator covers (diversity). A point at exactly the radius is inside (`≤`, the closed ball), as in the
    authors' code; ties are therefore up to round-off of the distances. Duplicates are neighbours at distance 0.

    Pairwise distances are computed by `torch.cdist` in float64 on blocks of at most `batch_size` ×
    `batch_size` pairs, never the whole matrix: the k-th neighbour distances with a running `topk`, and one pass
    over the fake × real blocks for both shares.

    Args:
        real: the real features, n_r > k points of shape `(n_r, d)` (or `(n_r,)`, `(n_r, *dims)`).
        fake: the generated features, n_g > k points of the same d.
        k: the neighbour rank of the radii, ≥ 1 (3 in the paper).
        batch_size: the rows and columns of a block of distances, ≥ 1; the memory of a block is
            `8 · batch_size²` bytes (34 MB at the default).

    Returns:
        A [`PrecisionRecall`][scoresde.metrics.PrecisionRecall] `(precision, recall, k)`. Cost
        `O((n_r + n_g)² d)`: three passes, real × real, fake × fake and fake × real.

    Raises:
        TypeError: if `real` or `fake` is not a floating-point tensor, or `k` or `batch_size` is not an int (a bool
            is not).
        ValueError: if a set is not finite or holds k points or fewer, the d's differ, `k < 1` or
            `batch_size < 1`.

    References:
        Kynkäänniemi, Karras, Laine, Lehtinen & Aila 2019, "Improved Precision and Recall Metric for Assessing
        Generative Models", NeurIPS.
    """
    r = _points(real, "real")
    g = _points(fake, "fake")
    _same_width(r, g, real, fake, "real", "fake")
    kk = check_int(k, "k", minimum=1)
    block = check_int(batch_size, "batch_size", minimum=1)
    for pts, value, name in ((r, real, "real"), (g, fake, "fake")):
        if pts.shape[0] <= kk:
            raise ValueError(f"{name} must hold more than k = {kk} points (each needs k neighbours besides itself); "
                             f"got shape {tuple(value.shape)}")
    g = g.to(r.device)
    radius_r, radius_g = _knn_radii(r, kk, block), _knn_radii(g, kk, block)
    fake_in = torch.zeros(g.shape[0], dtype=torch.bool, device=r.device)
    real_in = torch.zeros(r.shape[0], dtype=torch.bool, device=r.device)
    for i in range(0, g.shape[0], block):
        gi = g[i:i + block]
        for j in range(0, r.shape[0], block):
            dist = torch.cdist(gi, r[j:j + block])
            fake_in[i:i + block] |= (dist <= radius_r[None, j:j + block]).any(dim=1)
            real_in[j:j + block] |= (dist <= radius_g[i:i + block, None]).any(dim=0)
    return PrecisionRecall(precision=float(fake_in.to(FLOAT64).mean()), recall=float(real_in.to(FLOAT64).mean()),
                           k=kk)
