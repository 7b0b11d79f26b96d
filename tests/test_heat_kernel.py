"""heat.heat_kernel and heat.Mixture: the free-space kernel, the exact mixture flow, and the image sums that make
it exact in periodic, Neumann and Dirichlet boxes."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import multivariate_normal

import heat

MIX2 = heat.Mixture([0.25, 0.75], [[-0.5, 0.4], [0.7, -0.6]],
                    [[[0.2, 0.08], [0.08, 0.1]], [[0.05, 0.0], [0.0, 0.12]]])


@settings(max_examples=30)
@given(d=st.integers(1, 3), t=st.floats(1e-3, 10.0), diff=st.floats(0.05, 5.0), seed=st.integers(0, 1000))
def test_heat_kernel_is_the_gaussian_of_variance_2dt(d: int, t: float, diff: float, seed: int) -> None:
    x = np.random.default_rng(seed).normal(size=(20, d)) * math.sqrt(2 * diff * t)
    want = multivariate_normal(np.zeros(d), 2 * diff * t * np.eye(d)).pdf(x)
    np.testing.assert_allclose(heat.heat_kernel(x, t, diffusivity=diff), want, rtol=1e-12)


def test_heat_kernel_solves_the_heat_equation_and_is_a_semigroup() -> None:
    # ∂K/∂t = D ∇²K by central differences in t and x (relative error O(h²) ≈ 1e-8 here)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(10, 2))
    t, diff, h = 0.7, 0.4, 1e-4
    dk_dt = (heat.heat_kernel(x, t + h, diffusivity=diff) - heat.heat_kernel(x, t - h, diffusivity=diff)) / (2 * h)
    lap = sum(heat.heat_kernel(x + h * e, t, diffusivity=diff) - 2 * heat.heat_kernel(x, t, diffusivity=diff)
              + heat.heat_kernel(x - h * e, t, diffusivity=diff) for e in np.eye(2)) / h**2
    np.testing.assert_allclose(dk_dt, diff * lap, rtol=1e-6)
    # K_s * K_t = K_{s+t}, the convolution by the trapezoid rule on a wide line (spectrally accurate)
    z = np.linspace(-30, 30, 6001)
    dz = z[1] - z[0]
    for point in (0.0, 1.3, -2.2):
        conv = np.sum(heat.heat_kernel((point - z)[:, None], 0.3) * heat.heat_kernel(z[:, None], 0.9)) * dz
        assert math.isclose(conv, float(heat.heat_kernel([[point]], 1.2)[0]), rel_tol=1e-12)


def test_mixture_pdf_and_free_space_evolution_add_2dt_to_every_covariance() -> None:
    pts = np.random.default_rng(1).normal(size=(50, 2))
    want = sum(w * multivariate_normal(m, c).pdf(pts) for w, m, c in zip(MIX2.weights, MIX2.means, MIX2.covs,
                                                                            strict=True))
    np.testing.assert_allclose(MIX2.pdf(pts), want, rtol=1e-13)
    flowed = MIX2.evolve(0.25, diffusivity=2.0)
    np.testing.assert_allclose(flowed.covs, MIX2.covs + 1.0 * np.eye(2), rtol=0, atol=1e-15)
    np.testing.assert_array_equal(flowed.means, MIX2.means)


def test_on_a_wide_box_the_image_sum_is_the_free_space_density() -> None:
    grid = heat.Grid((40, 30), (-12, 12), "dirichlet")
    for t in (0.0, 0.3):
        np.testing.assert_allclose(MIX2.on_grid(grid, t).reshape(-1), MIX2.evolve(t).pdf(grid.points()),
                                   rtol=0, atol=1e-15)


@pytest.mark.parametrize("bc", ["periodic", "neumann", "dirichlet"])
def test_image_sums_conserve_mass_on_periodic_and_neumann_boxes_and_lose_it_through_dirichlet_walls(bc: str) -> None:
    grid = heat.Grid((48, 40), [(-1.5, 1.5), (-1.2, 1.2)], bc)
    masses = [float(grid.integrate(MIX2.on_grid(grid, t))) for t in (0.0, 0.05, 0.5, 2.5, 3.0)]
    if bc == "dirichlet":
        assert masses[0] < 1 and all(b < a for a, b in itertools.pairwise(masses))
        # late, only the slowest mode is left: it decays like e^{-π²(1/3² + 1/2.4²) t}
        assert math.isclose(masses[-1] / masses[-2], math.exp(-math.pi**2 * (1 / 9 + 1 / 2.4**2) * 0.5),
                            rel_tol=1e-8)
    else:
        np.testing.assert_allclose(masses, 1.0, rtol=0, atol=1e-13)


def test_neumann_image_sum_has_zero_flux_and_dirichlet_one_vanishes_at_the_wall() -> None:
    # the slope (Neumann) or the value (Dirichlet) at the wall x = 0, extrapolated from the first three cell
    # centres h/2, 3h/2, 5h/2, is the extrapolation's own error only. The image sums are even (Neumann) or odd
    # (Dirichlet) about the wall, which kills the Taylor term that would limit it, so it falls like h³ in both
    def at_wall(bc: str, n: int) -> float:
        grid = heat.Grid(n, (0.0, 2.0), bc)
        p = heat.Mixture([1.0], [[0.3]], [[[0.04]]]).on_grid(grid, 0.02)
        h = grid.spacing[0]
        return (-2 * p[0] + 3 * p[1] - p[2]) / h if bc == "neumann" else (15 * p[0] - 10 * p[1] + 3 * p[2]) / 8

    for bc, order in (("neumann", 3), ("dirichlet", 3)):
        coarse, fine = at_wall(bc, 1000), at_wall(bc, 2000)
        assert abs(coarse) < 1e-4  # against a peak of 1.29 and a largest slope of 3.2
        assert order - 0.1 < math.log2(coarse / fine) < order + 0.1, (bc, coarse, fine)
    # without the mirror images neither would hold: the free-space Gaussian has slope 0.63 at the wall
    free = heat.Mixture([1.0], [[0.3]], [[[0.04]]]).evolve(0.02)
    eps = 1e-6
    assert abs((free.pdf([[eps]]) - free.pdf([[-eps]]))[0] / (2 * eps)) > 0.5


def test_the_separable_and_the_full_image_sums_agree() -> None:
    # a covariance with a 1e-300 off-diagonal entry is evaluated by the full product of images
    for bc in ("periodic", "neumann", "dirichlet"):
        grid = heat.Grid((20, 16, 12), [(-1, 1), (-1, 1.5), (0, 1)], bc)
        cov = np.diag([0.05, 0.03, 0.02])
        tilted = cov + 1e-300 * (np.ones((3, 3)) - np.eye(3))
        a = heat.Mixture([1.0], [[0.2, 0.9, 0.1]], [cov]).on_grid(grid, 0.05)
        b = heat.Mixture([1.0], [[0.2, 0.9, 0.1]], [tilted]).on_grid(grid, 0.05)
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-13 * a.max())


def test_bad_input() -> None:
    with pytest.raises(ValueError, match=r"weights must be > 0 and sum to 1"):
        heat.Mixture([0.5, 0.6], [[0.0], [1.0]], [[[1.0]], [[1.0]]])
    with pytest.raises(ValueError, match=r"means must have shape \(K, d\) = \(2, d\); got shape \(3, 1\)"):
        heat.Mixture([0.5, 0.5], [[0.0], [1.0], [2.0]], [[[1.0]], [[1.0]]])
    with pytest.raises(ValueError, match=r"covs\[1\] must be positive definite; its smallest eigenvalue is -1"):
        heat.Mixture([0.5, 0.5], [[0.0], [1.0]], [[[1.0]], [[-1.0]]])
    with pytest.raises(ValueError, match=r"covs\[0\] must be symmetric"):
        heat.Mixture([1.0], [[0.0, 0.0]], [[[1.0, 0.5], [0.0, 1.0]]])
    with pytest.raises(ValueError, match=r"means must be finite"):
        heat.Mixture([1.0], [[math.nan]], [[[1.0]]])
    with pytest.raises(ValueError, match=r"grid must have the mixture's dimension 2; got a 1-D grid"):
        MIX2.on_grid(heat.Grid(8, (0, 1)))
    with pytest.raises(ValueError, match=r"t must be one number > 0; got 0"):
        heat.heat_kernel([[0.0]], 0)
    with pytest.raises(ValueError, match=r"t must be finite and >= 0"):
        MIX2.evolve(-1.0)
    with pytest.raises(ValueError, match=r"diffusivity must be a finite number >= 0; got -2"):
        MIX2.on_grid(heat.Grid((8, 8), (0, 1)), 0.1, diffusivity=-2)
    # the wrong type is a TypeError, the right type out of range a ValueError
    with pytest.raises(TypeError, match=r"weights must be a real array; got 'ab'"):
        heat.Mixture("ab", [[0.0]], [[[1.0]]])
    with pytest.raises(TypeError, match=r"x must be a real array of shape \(\.\.\., d\); got \[\['a'\]\]"):
        heat.heat_kernel([["a"]], 1.0)
    with pytest.raises(TypeError, match=r"diffusivity must be a real number; got bool True"):
        heat.heat_kernel([[0.0]], 1.0, diffusivity=True)
    with pytest.raises(ValueError, match=r"diffusivity must be a finite number > 0; got 0"):
        heat.heat_kernel([[0.0]], 1.0, diffusivity=0)
    with pytest.raises(ValueError, match=r"diffusivity must be a finite number >= 0; got nan"):
        MIX2.evolve(0.1, diffusivity=math.nan)
    with pytest.raises(TypeError, match=r"t must be a number or a 1-D sequence of numbers; got '1'"):
        MIX2.evolve("1")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"points must be a real array of shape \(n, 2\)"):
        MIX2.pdf("ab")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"grid must be a heat.Grid; got tuple"):
        MIX2.on_grid((8, 8))  # type: ignore[arg-type]
