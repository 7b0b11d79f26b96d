"""Sample-quality distances of feature sets: the Fréchet distance against closed forms (commuting, 2 × 2,
1-D, singular), KID against a brute-force double loop, precision/recall against a brute-force computation and
on mixtures with dropped modes, and bad input."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import scipy.linalg
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import scoresde as sd

F64 = torch.float64


def gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def orthogonal(d: int, seed: int) -> torch.Tensor:
    """A random orthogonal d × d matrix (Haar: QR of a Gaussian matrix with the signs of R's diagonal fixed)."""
    q, r = torch.linalg.qr(torch.randn(d, d, dtype=F64, generator=gen(seed)))
    return q * torch.sign(torch.diagonal(r))


def spd(d: int, seed: int, low: float = 0.2, high: float = 3.0) -> torch.Tensor:
    """A random symmetric positive definite matrix with eigenvalues in [low, high] and random eigenvectors."""
    lam = low + (high - low) * torch.rand(d, dtype=F64, generator=gen(seed))
    q = orthogonal(d, seed + 1)
    c = (q * lam) @ q.T
    return 0.5 * (c + c.T)


def trace_sqrt_product(c1: torch.Tensor, c2: torch.Tensor) -> float:
    """tr((Σ₁Σ₂)^{½}) by scipy's (Schur) sqrtm of the non-symmetric product: independent of frechet_distance."""
    root = scipy.linalg.sqrtm(c1.numpy() @ c2.numpy())
    return float(np.trace(np.real(root)))


# --- Fréchet distance ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("d", [1, 5, 64, 256])
@pytest.mark.parametrize("rotated", [False, True])
def test_frechet_commuting_covariances_closed_form(d: int, rotated: bool) -> None:
    # Σ₁ = Q diag(a) Qᵀ, Σ₂ = Q diag(b) Qᵀ commute, so tr((Σ₁^{½}Σ₂Σ₁^{½})^{½}) = Σ √(a_i b_i) and
    # d² = ‖μ₁ - μ₂‖² + Σ (√a_i - √b_i)² exactly; Q = I is the diagonal case. Also against scipy's sqrtm(Σ₁Σ₂).
    a = 0.1 + 3.0 * torch.rand(d, dtype=F64, generator=gen(d))
    b = 0.1 + 3.0 * torch.rand(d, dtype=F64, generator=gen(d + 1))
    m1, m2 = torch.randn(d, dtype=F64, generator=gen(d + 2)), torch.randn(d, dtype=F64, generator=gen(d + 3))
    q = orthogonal(d, d + 4) if rotated else torch.eye(d, dtype=F64)
    c1, c2 = (q * a) @ q.T, (q * b) @ q.T
    c1, c2 = 0.5 * (c1 + c1.T), 0.5 * (c2 + c2.T)
    exact = float(((m1 - m2) ** 2).sum() + ((a.sqrt() - b.sqrt()) ** 2).sum())
    scale = float(a.sum() + b.sum())
    got = sd.frechet_distance((m1, c1), (m2, c2))
    assert got == pytest.approx(exact, abs=1e-12 * scale * math.sqrt(d))
    via_scipy = float(((m1 - m2) ** 2).sum() + a.sum() + b.sum()) - 2.0 * trace_sqrt_product(c1, c2)
    assert got == pytest.approx(via_scipy, abs=1e-10 * scale)


@pytest.mark.parametrize(("m1", "s1", "m2", "s2"), [(0.0, 1.0, 0.0, 1.0), (0.0, 1.0, 2.0, 3.0),
                                                    (-1.5, 0.2, 0.5, 0.2), (3.0, 0.0, 1.0, 2.0)])
def test_frechet_in_one_dimension_is_the_w2_of_normals(m1: float, s1: float, m2: float, s2: float) -> None:
    # W2(N(m1, s1²), N(m2, s2²))² = (m1 - m2)² + (s1 - s2)²; s1 = 0 is a point mass (a singular covariance).
    got = sd.frechet_distance((torch.tensor([m1]), torch.tensor([[s1 * s1]])),
                              (torch.tensor([m2]), torch.tensor([[s2 * s2]])))
    assert got == pytest.approx((m1 - m2) ** 2 + (s1 - s2) ** 2, rel=1e-6, abs=1e-12)


@pytest.mark.parametrize("seed", range(5))
def test_frechet_two_by_two_against_the_trace_of_a_matrix_square_root(seed: int) -> None:
    # For a 2 × 2 PSD matrix A, tr(A^{½}) = √(tr A + 2 √det A) (the eigenvalues' square roots summed), and for
    # A = Σ₁^{½}Σ₂Σ₁^{½}: tr A = tr(Σ₁Σ₂), det A = det Σ₁ det Σ₂. A closed form without any matrix square root.
    c1, c2 = spd(2, 10 * seed), spd(2, 10 * seed + 5)
    m1, m2 = torch.randn(2, dtype=F64, generator=gen(seed)), torch.zeros(2, dtype=F64)
    cross = math.sqrt(float(torch.trace(c1 @ c2)) + 2.0 * math.sqrt(float(torch.det(c1) * torch.det(c2))))
    exact = float(m1 @ m1 + torch.trace(c1) + torch.trace(c2)) - 2.0 * cross
    assert sd.frechet_distance((m1, c1), (m2, c2)) == pytest.approx(exact, rel=1e-12, abs=1e-13)


@pytest.mark.parametrize("d", [3, 16, 128])
def test_frechet_non_commuting_covariances(d: int) -> None:
    # Two independent evaluations of the trace term: scipy's sqrtm of the non-symmetric Σ₁Σ₂ (well conditioned
    # here), and tr((Σ₂^{½}Σ₁Σ₂^{½})^{½}) with scipy's sqrtm of symmetric matrices, the other order.
    c1, c2 = spd(d, 3 * d), spd(d, 3 * d + 7, low=0.5, high=2.0)
    m1 = torch.randn(d, dtype=F64, generator=gen(d))
    m2 = torch.randn(d, dtype=F64, generator=gen(d + 1))
    base = float(((m1 - m2) ** 2).sum() + torch.trace(c1) + torch.trace(c2))
    r2 = scipy.linalg.sqrtm(c2.numpy()).real
    other_order = float(np.trace(scipy.linalg.sqrtm(r2 @ c1.numpy() @ r2).real))
    got = sd.frechet_distance((m1, c1), (m2, c2))
    scale = float(torch.trace(c1) + torch.trace(c2))
    assert got == pytest.approx(base - 2.0 * trace_sqrt_product(c1, c2), abs=1e-10 * scale)
    assert got == pytest.approx(base - 2.0 * other_order, abs=1e-10 * scale)
    assert got == pytest.approx(sd.frechet_distance((m2, c2), (m1, c1)), abs=1e-11 * scale)
    # (mean, cov) as given in float32 is computed in float64 from the float32 values
    assert sd.frechet_distance((m1.float(), c1.float()), (m2.float(), c2.float())) == pytest.approx(
        sd.frechet_distance((m1.float().double(), c1.float().double()), (m2.float().double(), c2.float().double())),
        rel=1e-12)


def test_frechet_of_features_equals_that_of_their_statistics_and_of_numpy_moments() -> None:
    x = torch.randn(300, 12, generator=gen(0)) * 2.0 + 1.0  # float32 features
    y = torch.randn(250, 12, generator=gen(1)) @ torch.randn(12, 12, generator=gen(2))
    sx, sy = sd.feature_statistics(x), sd.feature_statistics(y)
    assert (sx.mean.dtype, sx.cov.dtype, sx.n, tuple(sx.cov.shape)) == (F64, F64, 300, (12, 12))
    assert torch.equal(sx.cov, sx.cov.T)
    xn = x.double().numpy()
    np.testing.assert_allclose(sx.mean.numpy(), xn.mean(0), rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(sx.cov.numpy(), np.cov(xn, rowvar=False), rtol=1e-12, atol=1e-13)  # ddof = 1
    d_feat = sd.frechet_distance(x, y)
    assert sd.frechet_distance(sx, sy) == d_feat
    assert sd.frechet_distance((sx.mean, sx.cov), y) == d_feat
    assert sd.frechet_distance(x.reshape(300, 3, 2, 2), sy) == d_feat  # images are flattened
    with pytest.raises(dataclasses.FrozenInstanceError):
        sx.n = 3  # type: ignore[misc]


def test_frechet_is_zero_for_equal_statistics_and_symmetric() -> None:
    x = torch.randn(400, 32, dtype=F64, generator=gen(3)) @ torch.randn(32, 32, dtype=F64, generator=gen(4))
    y = torch.randn(500, 32, dtype=F64, generator=gen(5)) * 0.7 + 0.2
    scale = float(sd.feature_statistics(x).cov.trace())
    assert 0.0 <= sd.frechet_distance(x, x) <= 1e-11 * scale
    assert 0.0 <= sd.frechet_distance(x, x.clone()) <= 1e-11 * scale
    assert sd.frechet_distance(x, y) == pytest.approx(sd.frechet_distance(y, x), rel=1e-11)


def test_frechet_is_invariant_under_a_rotation_and_translation_of_both_sets() -> None:
    d = 24
    x = torch.randn(200, d, dtype=F64, generator=gen(6)) @ torch.randn(d, d, dtype=F64, generator=gen(7))
    y = torch.randn(150, d, dtype=F64, generator=gen(8)) * 1.3 + 0.5
    q, shift = orthogonal(d, 9), torch.randn(d, dtype=F64, generator=gen(10)) * 5
    ref = sd.frechet_distance(x, y)
    assert sd.frechet_distance(x @ q + shift, y @ q + shift) == pytest.approx(ref, rel=1e-10)


@pytest.mark.parametrize(("d", "k", "n"), [(64, 5, 20), (256, 10, 40), (50, 49, 30)])
def test_frechet_of_singular_covariances_equals_the_distance_in_their_subspace(d: int, k: int, n: int) -> None:
    # n < d: both sets lie in a k-dimensional subspace span(U) (plus a common offset c outside it, which cancels
    # in the mean difference). An isometry U: R^k -> R^d does not change the distance, so the d-dimensional
    # (singular, rank min(k, n - 1)) computation must equal the k-dimensional one. Round-off ~ d √(ε ‖M‖).
    u = orthogonal(d, d + k)[:, :k]
    c = torch.randn(d, dtype=F64, generator=gen(11))
    zx = torch.randn(n, k, dtype=F64, generator=gen(12)) * torch.linspace(0.5, 2.0, k, dtype=F64)
    zy = torch.randn(n, k, dtype=F64, generator=gen(13)) @ torch.randn(k, k, dtype=F64, generator=gen(14)) + 0.3
    in_subspace = sd.frechet_distance(zx, zy)
    got = sd.frechet_distance(zx @ u.T + c, zy @ u.T + c)
    scale = float(sd.feature_statistics(zx).cov.trace() + sd.feature_statistics(zy).cov.trace())
    assert math.isfinite(got) and got >= 0.0
    assert got == pytest.approx(in_subspace, abs=1e-6 * scale)
    assert sd.frechet_distance(zx @ u.T + c, zx @ u.T + c) <= 1e-6 * scale


def test_frechet_of_a_few_points_in_many_dimensions_is_finite_and_non_negative() -> None:
    x = torch.randn(8, 300, generator=gen(15))
    y = torch.randn(5, 300, generator=gen(16)) * 2
    got = sd.frechet_distance(x, y)
    assert math.isfinite(got) and got > 0.0
    assert sd.frechet_distance(x, x) >= 0.0


@settings(max_examples=40)
@given(seed=st.integers(0, 2**31 - 1), n1=st.integers(2, 12), n2=st.integers(2, 12), d=st.integers(1, 8),
       scale=st.floats(0.01, 100.0))
def test_frechet_properties(seed: int, n1: int, n2: int, d: int, scale: float) -> None:
    # Symmetry, non-negativity and rotation invariance for any sizes, singular covariances (n ≤ d) included.
    x = torch.randn(n1, d, dtype=F64, generator=gen(seed)) * scale
    y = torch.randn(n2, d, dtype=F64, generator=gen(seed + 1)) * scale + scale / 2
    sx, sy = sd.feature_statistics(x), sd.feature_statistics(y)
    size = float(sx.cov.trace() + sy.cov.trace() + ((sx.mean - sy.mean) ** 2).sum())
    tol = 1e-6 * size + 1e-300
    dxy = sd.frechet_distance(x, y)
    assert dxy >= 0.0
    assert sd.frechet_distance(y, x) == pytest.approx(dxy, abs=tol)
    q = orthogonal(d, seed + 2)
    assert sd.frechet_distance(x @ q, y @ q) == pytest.approx(dxy, abs=tol)
    assert 0.0 <= sd.frechet_distance(x, x) <= tol


# --- kernel distance (KID) ----------------------------------------------------------------------------------


def brute_force_kid(x: torch.Tensor, y: torch.Tensor) -> float:
    """The unbiased MMD²_u with k(a, b) = (a·b/d + 1)³ by a double loop over Python floats."""
    xs, ys = x.double().tolist(), y.double().tolist()
    d = len(xs[0])

    def k(a: list[float], b: list[float]) -> float:
        return (sum(p * q for p, q in zip(a, b, strict=True)) / d + 1.0) ** 3

    n, m = len(xs), len(ys)
    kxx = sum(k(xs[i], xs[j]) for i in range(n) for j in range(n) if i != j) / (n * (n - 1))
    kyy = sum(k(ys[i], ys[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    kxy = sum(k(a, b) for a in xs for b in ys) / (n * m)
    return kxx + kyy - 2.0 * kxy


@pytest.mark.parametrize("subset_size", [12, 50])
def test_kid_with_whole_sets_equals_the_brute_force_estimator(subset_size: int) -> None:
    # subset_size >= n: every subset is the whole set (drawn without replacement), each MMD²_u the same.
    x = torch.randn(12, 3, dtype=F64, generator=gen(20))
    y = torch.randn(12, 3, dtype=F64, generator=gen(21)) * 1.5 + 0.4
    exact = brute_force_kid(x, y)
    got = sd.kernel_distance(x, y, subsets=4, subset_size=subset_size, generator=gen(0))
    assert got.subset_size == 12 and got.subsets == 4
    assert got.mean == pytest.approx(exact, rel=1e-12)
    assert got.std <= 1e-12 * abs(exact) and got.se == pytest.approx(got.std / 2.0, abs=1e-300)
    assert sd.kernel_distance(x.float(), y.float(), subsets=1, subset_size=12).mean == pytest.approx(
        brute_force_kid(x.float(), y.float()), rel=1e-12)  # float32 input, float64 arithmetic
    assert math.isnan(sd.kernel_distance(x, y, subsets=1).std)
    with pytest.raises(dataclasses.FrozenInstanceError):
        got.mean = 0.0  # type: ignore[misc]


def test_kid_subset_size_falls_to_the_smaller_set() -> None:
    x = torch.randn(10, 4, generator=gen(22))
    y = torch.randn(15, 4, generator=gen(23))
    assert sd.kernel_distance(x, y, subsets=3, generator=gen(1)).subset_size == 10
    assert sd.kernel_distance(x, y, subsets=3, subset_size=7, generator=gen(1)).subset_size == 7
    assert sd.kernel_distance(x.reshape(10, 2, 2), y.reshape(15, 2, 2), subsets=2).subset_size == 10


def test_kid_is_zero_on_average_for_one_distribution() -> None:
    # MMD²_u is unbiased: over independent draws of x and y from one distribution its mean is 0. 20 draws;
    # the mean of their KIDs within 4 standard errors (of the mean over the draws) of 0.
    vals = []
    for r in range(20):
        x = torch.randn(300, 8, dtype=F64, generator=gen(100 + r))
        y = torch.randn(300, 8, dtype=F64, generator=gen(200 + r))
        vals.append(sd.kernel_distance(x, y, subsets=5, subset_size=100, generator=gen(r)).mean)
    v = torch.tensor(vals, dtype=F64)
    assert abs(float(v.mean())) < 4.0 * float(v.std()) / math.sqrt(len(vals))
    # one call on large sets with small, nearly disjoint subsets: the mean within a few of its se of 0
    one = sd.kernel_distance(torch.randn(4000, 8, generator=gen(300)), torch.randn(4000, 8, generator=gen(301)),
                             subsets=30, subset_size=100, generator=gen(2))
    assert abs(one.mean) < 4.0 * one.se
    assert one.se == pytest.approx(one.std / math.sqrt(30), rel=1e-15)


def test_kid_is_clearly_positive_for_shifted_distributions() -> None:
    x = torch.randn(2000, 16, generator=gen(30))
    y = torch.randn(2000, 16, generator=gen(31)) + 0.5
    got = sd.kernel_distance(x, y, subsets=20, subset_size=200, generator=gen(3))
    assert got.mean > 20.0 * got.se > 0.0


def test_kid_is_reproducible_with_a_seeded_generator() -> None:
    x = torch.randn(300, 5, generator=gen(40))
    y = torch.randn(250, 5, generator=gen(41)) * 1.2
    a = sd.kernel_distance(x, y, subsets=10, subset_size=50, generator=gen(7))
    b = sd.kernel_distance(x, y, subsets=10, subset_size=50, generator=gen(7))
    c = sd.kernel_distance(x, y, subsets=10, subset_size=50, generator=gen(8))
    assert a == b
    assert a.mean != c.mean


# --- precision and recall -----------------------------------------------------------------------------------


def brute_force_pr(real: torch.Tensor, fake: torch.Tensor, k: int, slack: float = 0.0) -> tuple[float, float]:
    """Precision and recall from full distance matrices by the difference formula (not cdist) and a sort, with the
    radii scaled by ``1 + slack`` (to bracket a result against round-off at the balls' edges)."""
    r, g = real.double(), fake.double()

    def dist(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return ((a[:, None, :] - b[None, :, :]) ** 2).sum(-1).sqrt()

    def radii(z: torch.Tensor) -> torch.Tensor:
        dz = dist(z, z)
        dz.fill_diagonal_(math.inf)  # itself excluded
        return dz.sort(dim=1).values[:, k - 1] * (1.0 + slack)

    d_gr = dist(g, r)
    precision = (d_gr <= radii(r)[None, :]).any(1).double().mean()
    recall = (d_gr <= radii(g)[:, None]).any(0).double().mean()
    return float(precision), float(recall)


def test_precision_recall_of_a_set_against_itself_is_one() -> None:
    x = torch.randn(300, 6, generator=gen(50))
    for k in (1, 3, 10):
        assert sd.precision_recall(x, x, k=k) == sd.PrecisionRecall(1.0, 1.0, k)
    assert sd.precision_recall(x, x.clone(), batch_size=17) == sd.PrecisionRecall(1.0, 1.0, 3)


@pytest.mark.parametrize("batch_size", [2, 7, 64, 10000])
@pytest.mark.parametrize("k", [1, 3])
def test_precision_recall_in_blocks_equals_a_brute_force_computation(batch_size: int, k: int) -> None:
    real = torch.randn(120, 5, dtype=F64, generator=gen(60))
    fake = torch.randn(90, 5, dtype=F64, generator=gen(61)) * 1.4 + 0.3
    got = sd.precision_recall(real, fake, k=k, batch_size=batch_size)
    # cdist and the difference formula round differently: a point within 1e-9 of a ball's edge may fall either
    # way, so the result is bracketed by the brute force with slightly smaller and larger balls (equal here)
    lo, hi = brute_force_pr(real, fake, k, -1e-9), brute_force_pr(real, fake, k, 1e-9)
    assert lo[0] <= got.precision <= hi[0] and lo[1] <= got.recall <= hi[1]
    assert got.k == k and 0.0 < got.precision < 1.0 and 0.0 < got.recall < 1.0


def clusters(centres: torch.Tensor, which: list[int], per: int, seed: int) -> torch.Tensor:
    """``per`` points of N(centre, I) around each of the chosen centres."""
    g = gen(seed)
    return torch.cat([centres[c] + torch.randn(per, centres.shape[1], dtype=F64, generator=g) for c in which])


def test_dropped_modes_lower_recall_and_keep_precision() -> None:
    # Five well-separated modes in the plane (centres on a circle of radius 40, unit spread); the fake set covers
    # only two of them. Recall falls to about the kept share 2/5 (a little less: the fake balls miss a few real
    # points at the edges of the kept modes, as they do for a fake set with every mode); precision stays about
    # 1, as for the fake set with every mode (the fake points lie in the real modes).
    angle = torch.arange(5, dtype=F64) * 2.0 * math.pi / 5.0
    centres = 40.0 * torch.stack([angle.cos(), angle.sin()], dim=1)
    real = clusters(centres, [0, 1, 2, 3, 4], 400, seed=70)
    dropped = sd.precision_recall(real, clusters(centres, [1, 3], 300, seed=71), batch_size=256)
    full = sd.precision_recall(real, clusters(centres, [0, 1, 2, 3, 4], 300, seed=72), batch_size=256)
    assert full.precision > 0.95 and full.recall > 0.95
    assert dropped.precision > 0.95 and abs(dropped.precision - full.precision) < 0.03
    assert 0.38 < dropped.recall <= 0.4
    assert dropped.recall == pytest.approx(0.4 * full.recall, abs=0.01)


def test_samples_off_the_data_have_no_precision() -> None:
    real = torch.randn(500, 10, generator=gen(80))
    far = torch.randn(500, 10, generator=gen(81)) + 50.0
    assert sd.precision_recall(real, far) == sd.PrecisionRecall(0.0, 0.0, 3)
    # Half of the fake set off the data: the real manifold is the same, so precision is exactly half of that of
    # the half on the data; the far points' balls (radii from their far neighbours) reach no real point and do
    # not change the near points' radii, so recall is that of the near half.
    near = torch.randn(250, 10, generator=gen(82))
    on_data = sd.precision_recall(real, near)
    mixed = sd.precision_recall(real, torch.cat([near, far[:250]]))
    assert mixed.precision == pytest.approx(0.5 * on_data.precision, rel=1e-15)
    assert mixed.recall == on_data.recall > 0.5


@pytest.mark.slow
def test_precision_recall_and_kid_on_larger_sets_in_blocks() -> None:
    real = torch.randn(4000, 256, generator=gen(90))
    fake = torch.randn(4000, 256, generator=gen(91)) * 1.1 + 0.1
    one_block = sd.precision_recall(real, fake, batch_size=4000)
    blocks = sd.precision_recall(real, fake, batch_size=1024)
    # blocks of another size may round a distance differently (cdist's matrix-product path): allow one point
    assert abs(blocks.precision - one_block.precision) <= 1 / 4000 and abs(blocks.recall - one_block.recall) <= 1 / 4000
    assert 0.0 < one_block.precision < 1.0 and 0.0 < one_block.recall < 1.0
    kid = sd.kernel_distance(real, fake, subsets=20, generator=gen(0))
    assert kid.subset_size == 1000 and kid.mean > 5 * kid.se


# --- bad input ----------------------------------------------------------------------------------------------

X = torch.randn(6, 3, generator=gen(0))
Y = torch.randn(6, 3, generator=gen(1))
MU, COV = torch.zeros(3), torch.eye(3)


@pytest.mark.parametrize(
    ("call", "exc", "match"),
    [
        # feature_statistics
        pytest.param(lambda: sd.feature_statistics(X[:1]), ValueError, r"features must hold at least 2 point",
                     id="stats-n"),
        pytest.param(lambda: sd.feature_statistics(X.numpy()), TypeError, r"features must be a torch.Tensor",
                     id="stats-numpy"),
        pytest.param(lambda: sd.feature_statistics(X.long()), TypeError, r"features must be a floating",
                     id="stats-int"),
        pytest.param(lambda: sd.feature_statistics(X / 0), ValueError, r"features must be finite", id="stats-inf"),
        # frechet_distance
        pytest.param(lambda: sd.frechet_distance(X, torch.zeros(6, 4)), ValueError,
                     r"a and b must have the same feature width d; got features of shape \(6, 3\) and features "
                     r"of shape \(6, 4\)", id="fd-width"),
        pytest.param(lambda: sd.frechet_distance((MU, COV), (torch.zeros(4), torch.eye(4))), ValueError,
                     r"same feature width d; got a mean of shape \(3,\) and a mean of shape \(4,\)",
                     id="fd-width-stats"),
        pytest.param(lambda: sd.frechet_distance(X[:1], Y), ValueError, r"a must hold at least 2 point",
                     id="fd-n"),
        pytest.param(lambda: sd.frechet_distance(X, torch.full((6, 3), math.nan)), ValueError,
                     r"b must be finite; got a non-finite value \(nan\)", id="fd-nan"),
        pytest.param(lambda: sd.frechet_distance(X.tolist(), Y), TypeError,
                     r"a must be a feature tensor \(n, d\), a FeatureStatistics or a \(mean, cov\) tuple of "
                     r"tensors; got list", id="fd-list"),
        pytest.param(lambda: sd.frechet_distance(X, Y.int()), TypeError, r"b must be a floating", id="fd-int"),
        pytest.param(lambda: sd.frechet_distance((MU, COV, 1), Y), ValueError,
                     r"a as a tuple must be a \(mean, cov\) pair; got a tuple of 3 items", id="fd-triple"),
        pytest.param(lambda: sd.frechet_distance(([0.0] * 3, COV), Y), TypeError,
                     r"the mean of a must be a torch.Tensor; got list", id="fd-mean-type"),
        pytest.param(lambda: sd.frechet_distance((MU[None], COV), Y), ValueError,
                     r"the mean of a must have shape \(d,\), d >= 1; got shape \(1, 3\)", id="fd-mean-2d"),
        pytest.param(lambda: sd.frechet_distance(X, (MU, torch.eye(4))), ValueError,
                     r"the covariance of b must have shape \(d, d\) = \(3, 3\) to match its mean; got shape "
                     r"\(4, 4\)", id="fd-cov-shape"),
        pytest.param(lambda: sd.frechet_distance(X, (MU, torch.triu(torch.ones(3, 3)))), ValueError,
                     r"the covariance of b must be symmetric .* got max \|Σ - Σᵀ\| = 1", id="fd-cov-asym"),
        pytest.param(lambda: sd.frechet_distance(X, (MU, COV * math.inf)), ValueError,
                     r"the covariance of b must be finite", id="fd-cov-inf"),
        pytest.param(lambda: sd.frechet_distance(sd.FeatureStatistics(MU * math.nan, COV, 5), Y), ValueError,
                     r"the mean of a must be finite", id="fd-stats-nan"),
        # kernel_distance
        pytest.param(lambda: sd.kernel_distance(X, torch.zeros(6, 2)), ValueError,
                     r"x and y must have the same number of values per point; got shapes \(6, 3\) and \(6, 2\)",
                     id="kid-width"),
        pytest.param(lambda: sd.kernel_distance(X, Y[:1]), ValueError, r"y must hold at least 2 point",
                     id="kid-n"),
        pytest.param(lambda: sd.kernel_distance(X * math.inf, Y), ValueError, r"x must be finite", id="kid-inf"),
        pytest.param(lambda: sd.kernel_distance(X.numpy(), Y), TypeError, r"x must be a torch.Tensor",
                     id="kid-numpy"),
        pytest.param(lambda: sd.kernel_distance(X, Y, subsets=0), ValueError,
                     r"subsets must be an integer >= 1; got 0", id="kid-subsets"),
        pytest.param(lambda: sd.kernel_distance(X, Y, subsets=True), TypeError,
                     r"subsets must be an int; got bool True", id="kid-subsets-bool"),
        pytest.param(lambda: sd.kernel_distance(X, Y, subsets=10.0), TypeError,
                     r"subsets must be an int; got float", id="kid-subsets-float"),
        pytest.param(lambda: sd.kernel_distance(X, Y, subset_size=1), ValueError,
                     r"subset_size must be an integer >= 2; got 1", id="kid-size"),
        pytest.param(lambda: sd.kernel_distance(X, Y, subset_size=False), TypeError,
                     r"subset_size must be an int; got bool", id="kid-size-bool"),
        pytest.param(lambda: sd.kernel_distance(X, Y, generator=0), TypeError,
                     r"generator must be a torch.Generator or None; got int", id="kid-generator"),
        # precision_recall
        pytest.param(lambda: sd.precision_recall(X, torch.zeros(6, 5)), ValueError,
                     r"real and fake must have the same number of values per point; got shapes \(6, 3\) and "
                     r"\(6, 5\)", id="pr-width"),
        pytest.param(lambda: sd.precision_recall(X, Y[:3]), ValueError,
                     r"fake must hold more than k = 3 points .* got shape \(3, 3\)", id="pr-n<=k"),
        pytest.param(lambda: sd.precision_recall(X, Y, k=6), ValueError,
                     r"real must hold more than k = 6 points", id="pr-k-large"),
        pytest.param(lambda: sd.precision_recall(X, Y, k=0), ValueError, r"k must be an integer >= 1; got 0",
                     id="pr-k"),
        pytest.param(lambda: sd.precision_recall(X, Y, k=True), TypeError, r"k must be an int; got bool True",
                     id="pr-k-bool"),
        pytest.param(lambda: sd.precision_recall(X, Y, k=2.0), TypeError, r"k must be an int; got float",
                     id="pr-k-float"),
        pytest.param(lambda: sd.precision_recall(X, Y, batch_size=0), ValueError,
                     r"batch_size must be an integer >= 1; got 0", id="pr-batch"),
        pytest.param(lambda: sd.precision_recall(X, Y, batch_size=True), TypeError,
                     r"batch_size must be an int; got bool", id="pr-batch-bool"),
        pytest.param(lambda: sd.precision_recall(X, Y.clone().fill_(math.nan)), ValueError,
                     r"fake must be finite", id="pr-nan"),
        pytest.param(lambda: sd.precision_recall(X.tolist(), Y), TypeError, r"real must be a torch.Tensor",
                     id="pr-list"),
        pytest.param(lambda: sd.precision_recall(torch.zeros(0, 3), Y), ValueError, r"real must hold at least 1",
                     id="pr-empty"),
    ],
)
def test_bad_input(call, exc, match) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(exc, match=match):
        call()
