"""Metrics: sliced Wasserstein against exact 1-D Wasserstein distances, its invariances, MMD, moment errors,
and bad input."""

from __future__ import annotations

import math

import pytest
import torch

import scoresde as sd

F64 = torch.float64
EPS = float(torch.finfo(F64).eps)


def gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def normal_quantiles(n: int, mean: float, std: float) -> torch.Tensor:
    """The n exact quantiles of N(mean, std²) at levels (i + ½)/n: a noise-free stand-in for its samples."""
    u = (torch.arange(n, dtype=F64) + 0.5) / n
    return mean + std * torch.special.ndtri(u)


@pytest.mark.parametrize(("m", "s"), [(0.0, 1.0), (0.5, 2.0), (-1.0, 0.3), (2.0, 1.0)])
@pytest.mark.parametrize("ref_mult", [1, 5])
def test_sw2_of_1d_gaussians_is_the_exact_w2(m: float, s: float, ref_mult: int) -> None:
    # In 1-D every direction is ±1, so SW2 = W2, and W2(N(0,1), N(m,s²))² = m² + (1-s)² exactly.
    # x: n i.i.d. N(0,1) draws; y: the exact quantiles of N(m,s²) (n or 5n of them), so only x is random.
    # Monte-Carlo error (first order, quantile-process CLT): W2²_n - W2² ≈ (2/n) Σ [G(x_i) - E G] with
    # G(x) = (1-s) x²/2 - m x, so sd(W2_n) ≈ 2 √(((1-s)²/2 + m²)/n) / (2 W2) (2.4e-3 for (0.5, 2), n = 1e5;
    # measured 3.0e-3 over 20 seeds). Second order, the x-vs-N(0,1) term adds to W2² about 4.3/n on average
    # (measured, 30 seeds; max 12.3/n): bound it by e = 30/n. Tolerance: 6σ + (√(W2² + e) - W2).
    n = 100_000
    x = torch.randn(n, dtype=F64, generator=gen(1))
    y = normal_quantiles(ref_mult * n, m, s)
    exact = math.hypot(m, 1.0 - s)
    got = sd.sliced_wasserstein(x, y, 16, generator=gen(0))
    sigma = math.sqrt(((1 - s) ** 2 / 2 + m * m) / n) / exact if exact > 0 else 0.0
    excess = 30.0 / n
    tol = 6 * sigma + math.sqrt(exact**2 + excess) - exact
    assert abs(got - exact) < tol, (got, exact, tol)


def test_sw2_matches_order_statistics_by_hand() -> None:
    # x: n = 2 points, y: m = 3 points on a line. Levels (i + ½)/2 = 1/4, 3/4 -> positions 0.75, 2.25 ->
    # y's sorted indices ⌊·⌋ = 0 and 2 (the same along θ = -1, so the random signs of the directions do not matter)
    x = torch.tensor([[0.0], [10.0]], dtype=F64)
    y = torch.tensor([[3.0], [1.0], [2.0]], dtype=F64)  # sorted: 1, 2, 3
    expected = math.sqrt(((0.0 - 1.0) ** 2 + (10.0 - 3.0) ** 2) / 2)
    assert sd.sliced_wasserstein(x, y, 5, generator=gen(0)) == pytest.approx(expected, rel=1e-14)
    p1 = (abs(0.0 - 1.0) + abs(10.0 - 3.0)) / 2
    assert sd.sliced_wasserstein(x, y, 5, generator=gen(0), p=1) == pytest.approx(p1, rel=1e-14)


def test_sw_zero_symmetric_scale_equivariant_and_seeded() -> None:
    x = torch.randn(500, 3, dtype=F64, generator=gen(2))
    y = torch.randn(500, 3, dtype=F64, generator=gen(3)) * 1.5 + 0.5
    # x against itself runs the same projections on the same rows in the same order: exactly 0
    assert sd.sliced_wasserstein(x, x, generator=gen(0)) == 0.0
    # x against a permutation of x: the same numbers, but each row's projection θ·x_i may be rounded differently
    # at another position in the BLAS kernel (1.5e-17 on an AMD EPYC). Each projection is a d-term dot product of
    # a unit θ, off by at most γ_d ‖x_i‖ ≤ d u max‖x_i‖ (u = eps/2); sorting moves no value by more than the
    # largest perturbation, so every matched pair, and hence SW_2 (an RMS of them), is within 2 d u max‖x_i‖.
    bound = 2 * 3 * (EPS / 2) * float(torch.linalg.vector_norm(x, dim=1).max())
    shuffled = sd.sliced_wasserstein(x, x[torch.randperm(500, generator=gen(4))], generator=gen(0))
    assert 0.0 <= shuffled <= bound, (shuffled, bound)
    d_xy = sd.sliced_wasserstein(x, y, generator=gen(0))
    assert d_xy > 0.1
    assert sd.sliced_wasserstein(y, x, generator=gen(0)) == pytest.approx(d_xy, rel=1e-13)
    for c in (3.0, -0.5):
        assert sd.sliced_wasserstein(c * x, c * y, generator=gen(0)) == pytest.approx(abs(c) * d_xy, rel=1e-12)
    # translation by the same vector changes nothing
    shift = torch.tensor([1.0, -2.0, 3.0], dtype=F64)
    assert sd.sliced_wasserstein(x + shift, y + shift, generator=gen(0)) == pytest.approx(d_xy, rel=1e-10)
    # a fixed generator gives the same directions; explicit directions give the same number
    assert sd.sliced_wasserstein(x, y, generator=gen(0)) == d_xy
    dirs = torch.randn(256, 3, dtype=F64, generator=gen(0))
    assert sd.sliced_wasserstein(x, y, dirs) == pytest.approx(d_xy, rel=1e-13)
    assert sd.sliced_wasserstein(x, y, 7 * dirs) == pytest.approx(d_xy, rel=1e-13)  # rows are normalised


def test_sliced_wasserstein_object_equals_function_and_accepts_images() -> None:
    ref = torch.randn(300, 2, 2, generator=gen(5))  # float32 images of 2x2 = d 4
    x = torch.randn(100, 2, 2, generator=gen(6)) + 0.2
    sw = sd.SlicedWasserstein(ref, 64, generator=gen(0))
    assert sw.dim == 4
    assert sw(x) == sd.sliced_wasserstein(x, ref, 64, generator=gen(0))
    assert sw(x.reshape(100, 4)) == sw(x)


def test_sw_in_float32_and_float64_agree() -> None:
    x = torch.randn(400, 2, generator=gen(7))
    y = torch.randn(400, 2, generator=gen(8)) + 1.0
    a = sd.sliced_wasserstein(x, y, generator=gen(0))
    b = sd.sliced_wasserstein(x.double(), y.double(), generator=gen(0))
    assert a == pytest.approx(b, rel=1e-6)


def test_mmd_near_zero_for_one_distribution_and_positive_for_two() -> None:
    n = 1500
    x = torch.randn(n, 2, dtype=F64, generator=gen(10))
    y = torch.randn(n, 2, dtype=F64, generator=gen(11))
    z = torch.randn(n, 2, dtype=F64, generator=gen(12)) * torch.tensor([1.0, 0.5], dtype=F64) + 0.5
    same, diff = sd.mmd(x, y), sd.mmd(x, z)
    # unbiased: E MMD²_u = 0 under equality, with sd O(1/n) (≈ 1e-3 here for H = 5 kernels)
    assert abs(same) < 5e-3, same
    assert diff > 20 * abs(same) and diff > 0.02, (diff, same)
    assert sd.mmd(x, z, bandwidths=1.0) > 0.01
    assert sd.mmd(x, z, bandwidths=[0.5, 1.0, 2.0]) > 0.01


def test_mmd_matches_a_direct_computation_and_blocks_do_not_matter() -> None:
    x = torch.randn(70, 3, dtype=F64, generator=gen(13))
    y = torch.randn(50, 3, dtype=F64, generator=gen(14)) + 0.3
    hs = [0.7, 1.9]

    def k(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        d2 = torch.cdist(a, b) ** 2
        return sum(torch.exp(-d2 / (2 * h * h)) for h in hs)  # type: ignore[return-value]

    n, m = 70, 50
    kxx, kyy = k(x, x), k(y, y)
    direct = ((kxx.sum() - kxx.diagonal().sum()) / (n * (n - 1)) + (kyy.sum() - kyy.diagonal().sum()) / (m * (m - 1))
              - 2 * k(x, y).mean())
    assert sd.mmd(x, y, bandwidths=hs) == pytest.approx(float(direct), rel=1e-10, abs=1e-14)


def test_moment_errors() -> None:
    mean = torch.tensor([1.0, -2.0], dtype=F64)
    cov = torch.tensor([[2.0, 0.5], [0.5, 1.0]], dtype=F64)
    chol = torch.linalg.cholesky(cov)
    n = 200_000
    x = mean + torch.randn(n, 2, dtype=F64, generator=gen(15)) @ chol.T
    e_mean, e_cov = sd.moment_errors(x, mean, cov)
    # Monte-Carlo sizes: √(tr Σ / n) = 3.9e-3 and √((tr(Σ)² + ‖Σ‖_F²)/n) ≈ 7.6e-3; allow 5x
    assert e_mean < 5 * math.sqrt(3.0 / n)
    assert e_cov < 5 * math.sqrt((9.0 + 5.5) / n)
    # exact on a hand example: points (0,0), (2,2): mean (1,1), unbiased covariance [[2,2],[2,2]]
    pts = torch.tensor([[0.0, 0.0], [2.0, 2.0]], dtype=F64)
    e_mean, e_cov = sd.moment_errors(pts, torch.zeros(2, dtype=F64), torch.zeros(2, 2, dtype=F64))
    assert e_mean == pytest.approx(math.sqrt(2.0))
    assert e_cov == pytest.approx(4.0)


X2 = torch.zeros(4, 2)


@pytest.mark.parametrize(
    ("call", "exc", "match"),
    [
        pytest.param(lambda: sd.sliced_wasserstein([[0.0]], X2), TypeError, r"x must be a torch.Tensor", id="list"),
        pytest.param(lambda: sd.sliced_wasserstein(X2.long(), X2), TypeError, r"x must be a floating", id="int"),
        pytest.param(lambda: sd.sliced_wasserstein(torch.tensor(1.0), X2), ValueError, r"x must have shape",
                     id="0-d"),
        pytest.param(lambda: sd.sliced_wasserstein(torch.zeros(0, 2), X2), ValueError, r"x must hold at least 1",
                     id="empty"),
        pytest.param(lambda: sd.sliced_wasserstein(X2, torch.zeros(4, 3)), ValueError,
                     r"same number of values per point; got shapes \(4, 2\) and \(4, 3\)", id="dims"),
        pytest.param(lambda: sd.sliced_wasserstein(torch.full((4, 2), math.nan), X2), ValueError,
                     r"x must be finite", id="nan"),
        pytest.param(lambda: sd.sliced_wasserstein(X2, X2 / 0), ValueError, r"y must be finite", id="y-inf"),
        pytest.param(lambda: sd.sliced_wasserstein(X2, X2, 0), ValueError, r"projections must be an integer >= 1",
                     id="L=0"),
        pytest.param(lambda: sd.sliced_wasserstein(X2, X2, 2.5), TypeError, r"projections must be an int",
                     id="L-float"),
        pytest.param(lambda: sd.sliced_wasserstein(X2, X2, torch.zeros(3, 2)), ValueError,
                     r"projections must not contain a zero direction", id="zero-dir"),
        pytest.param(lambda: sd.sliced_wasserstein(X2, X2, torch.ones(3, 5)), ValueError,
                     r"projections must be an int or a tensor of directions of shape \(L, d\) = \(L, 2\); "
                     r"got shape \(3, 5\)", id="dir-shape"),
        pytest.param(lambda: sd.sliced_wasserstein(X2, X2, p=0.5), ValueError,
                     r"p must be a finite number >= 1; got 0.5", id="p"),
        pytest.param(lambda: sd.SlicedWasserstein(X2)(torch.zeros(3, 3)), ValueError,
                     r"x must have d = 2 values per point, like the reference; got shape \(3, 3\)", id="obj-d"),
        pytest.param(lambda: sd.mmd(torch.zeros(1, 2), X2), ValueError, r"x must hold at least 2", id="mmd-n"),
        pytest.param(lambda: sd.mmd(X2, X2), ValueError, r"median pairwise distance .* is 0", id="mmd-degenerate"),
        pytest.param(lambda: sd.mmd(X2, X2, bandwidths=-1.0), ValueError, r"bandwidths must be a finite number > 0",
                     id="mmd-h"),
        pytest.param(lambda: sd.mmd(X2, X2, bandwidths=[]), ValueError, r"bandwidths must hold at least one",
                     id="mmd-h-empty"),
        pytest.param(lambda: sd.mmd(X2, torch.zeros(4, 1)), ValueError, r"same number of values per point",
                     id="mmd-dims"),
        pytest.param(lambda: sd.moment_errors(X2, torch.zeros(3), torch.zeros(2, 2)), ValueError,
                     r"mean must have shape \(2,\) to match x of shape \(4, 2\); got shape \(3,\)", id="mean"),
        pytest.param(lambda: sd.moment_errors(X2, torch.zeros(2), torch.zeros(2, 3)), ValueError,
                     r"cov must have shape \(2, 2\)", id="cov"),
        pytest.param(lambda: sd.moment_errors(X2, [0.0, 0.0], torch.zeros(2, 2)), TypeError,
                     r"mean must be a torch.Tensor", id="mean-type"),
        pytest.param(lambda: sd.moment_errors(X2[:1], torch.zeros(2), torch.zeros(2, 2)), ValueError,
                     r"x must hold at least 2", id="moments-n"),
    ],
)
def test_bad_input(call, exc, match) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(exc, match=match):
        call()
