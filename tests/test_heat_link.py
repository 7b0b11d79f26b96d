"""heat.link: the SDEs of scoresde are heat flow in disguise, and sampling with the grid score reverses it.

Exact answers: the time changes in closed form, the analytic GaussianMixture marginal (to round-off), its exact
score, a chi-square test of forward-perturbed samples against the grid density (with a check that the test has
power), and the reverse SDE / probability-flow ODE against the same samplers driven by the exact score."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import chisquare

import heat
import scoresde as sd

F64 = torch.float64
EPS = float(np.finfo(np.float64).eps)

# three tilted components, stds 0.5-0.8: resolved by 160 cells on [-14, 14] (h = 0.175, every std >= 3h)
GM = sd.GaussianMixture(torch.tensor([0.5, 0.3, 0.2], dtype=F64),
                        torch.tensor([[-1.5, 0.5], [1.2, -1.0], [0.5, 1.8]], dtype=F64),
                        torch.tensor([[[0.5, 0.15], [0.15, 0.4]], [[0.36, 0.0], [0.0, 0.6]],
                                      [[0.4, -0.1], [-0.1, 0.3]]], dtype=F64))
WIDE = heat.Grid((160, 160), (-14, 14), "neumann")

# (SDE, t) pairs where p_t still fits in the box; the VE SDE has σ(0) = 0.1 > 0
CASES = {
    "vp": (sd.VPSDE(), 0.3),
    "vp_gentle": (sd.VPSDE(0.1, 2.0), 1.0),
    "subvp": (sd.SubVPSDE(), 0.3),
    "ve": (sd.VESDE(0.1, 2.0), 0.8),
    "heat": (heat.HeatSDE(diffusivity=0.5, T=2.0), 2.0),
}


def density(gm: sd.GaussianMixture, grid: heat.Grid) -> np.ndarray:
    """The mixture's density at the grid's cell centres, through scoresde's own log_prob."""
    return torch.exp(gm.log_prob(torch.from_numpy(grid.points()))).numpy().reshape(grid.shape)


# --- the time changes ---------------------------------------------------------------------------------------------
def test_time_change_in_closed_form_for_ve_vp_and_the_heat_sde() -> None:
    t = np.array([0.0, 0.01, 0.3, 0.77, 1.0])
    ve = sd.VESDE(0.1, 5.0)
    sigma = 0.1 * 50.0**t
    change = heat.time_change(ve, t)
    np.testing.assert_allclose(change.tau, (sigma**2 - 0.01) / 2, rtol=1e-13, atol=1e-18)
    np.testing.assert_array_equal(change.scale, 1.0)  # α/α(0) = 1/1: no rounding anywhere, so exact
    vp = sd.VPSDE()
    alpha_bar = vp.schedule.alpha_bar(torch.from_numpy(t)).numpy()
    change = heat.time_change(vp, t)
    np.testing.assert_allclose(change.tau, (1 / alpha_bar - 1) / 2, rtol=1e-12, atol=0)
    np.testing.assert_allclose(change.scale, np.sqrt(alpha_bar), rtol=1e-14)
    change = heat.time_change(heat.HeatSDE(diffusivity=0.7, T=3.0), 3 * t)
    np.testing.assert_allclose(change.tau, 0.7 * 3 * t, rtol=1e-14)
    # τ(0) = ½ (σ(0)²/α(0)² - σ(0)²/α(0)²): exactly 0 for VP (σ(0) = 0); for VE the two σ(0) come from two calls of
    # sde.marginal, which may take different torch kernels, so allow a few ulps of σ(0)² = 0.01 (τ is clamped >= 0)
    assert float(heat.time_change(vp, 0.0).tau) == 0.0
    assert 0.0 <= float(heat.time_change(ve, 0.0).tau) <= 4 * EPS * 0.1**2


@pytest.mark.parametrize("name", ["vp", "vp_cosine", "subvp", "ve", "ve_small", "heat", "heat_slow"])
def test_heat_time_is_half_the_growth_of_e_minus_2_lambda(name: str) -> None:
    # any linear SDE: 2τ = e^{-2λ(t)} - e^{-2λ(0)} with λ = log(α/σ) (α(0) = 1 for all of them)
    sde = {"vp": sd.VPSDE(), "vp_cosine": sd.VPSDE(schedule=sd.CosineSchedule()), "subvp": sd.SubVPSDE(),
           "ve": sd.VESDE(), "ve_small": sd.VESDE(0.1, 2.0), "heat": heat.HeatSDE(),
           "heat_slow": heat.HeatSDE(0.01, 4.0)}[name]
    t = np.linspace(0.05, 1.0, 9) * sde.T
    lam = sde.lambda_(torch.from_numpy(t)).numpy()
    lam0 = float(sde.lambda_(0.0))
    np.testing.assert_allclose(heat.time_change(sde, t).tau, 0.5 * (np.exp(-2 * lam) - math.exp(-2 * lam0)),
                               rtol=1e-12)
    assert (np.diff(heat.time_change(sde, t).tau) > 0).all()


@settings(max_examples=60)
@given(name=st.sampled_from(["vp", "subvp", "ve", "ve_small", "heat"]), u=st.floats(0.0, 1.0))
def test_sde_time_inverts_time_change(name: str, u: float) -> None:
    sde = {"vp": sd.VPSDE(), "subvp": sd.SubVPSDE(), "ve": sd.VESDE(), "ve_small": sd.VESDE(0.1, 2.0),
           "heat": heat.HeatSDE(0.3, 2.0)}[name]
    t = u * sde.T
    back = float(heat.sde_time(sde, heat.time_change(sde, t).tau))
    assert abs(back - t) <= 1e-9 * max(sde.T, 1.0), (t, back)


def test_the_heat_sde_closed_forms_agree_with_the_generic_derivation() -> None:
    sde = heat.HeatSDE(diffusivity=0.4, T=2.5)
    t = torch.linspace(0.1, 2.5, 7, dtype=F64)
    f, g2 = sd.coefficients_from_marginal(sde, t)
    np.testing.assert_allclose(f.numpy(), 0.0, atol=1e-15)
    np.testing.assert_allclose(g2.numpy(), 0.8, rtol=1e-13)
    np.testing.assert_allclose(sde.t_of_lambda(sde.lambda_(t)).numpy(), t.numpy(), rtol=1e-13)
    _, v = sde.transition(0.5, t[3:])
    np.testing.assert_allclose(v.numpy() ** 2, 0.8 * (t[3:].numpy() - 0.5), rtol=1e-13)
    # √(2·0.4·2.5): two rounded products and a square root that halves their relative error
    assert math.isclose(sde.prior_std, math.sqrt(2.0), rel_tol=2 * EPS, abs_tol=0.0)


# --- forward densities --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(CASES))
def test_forward_density_is_the_analytic_marginal_to_round_off(name: str) -> None:
    sde, t = CASES[name]
    p0 = density(GM.marginal_mixture(sde, 0.0), WIDE)
    out = heat.forward_density(sde, p0, WIDE, t)
    scale = float(heat.time_change(sde, t).scale)
    assert out.grid == WIDE.scaled(scale)
    exact = density(GM.marginal_mixture(sde, t), out.grid)
    assert np.abs(out.values - exact).max() <= 1e-12, np.abs(out.values - exact).max()
    assert math.isclose(float(out.grid.integrate(out.values)), 1.0, rel_tol=1e-13)


def test_forward_density_by_crank_nicolson_converges_to_the_marginal_at_second_order() -> None:
    # h and dt halved together: both errors are second order, so the error falls by 4 per halving
    sde, t = CASES["vp_gentle"]
    tau = float(heat.time_change(sde, t).tau)
    errors, sizes = [], (40, 80, 160)
    for n in sizes:
        grid = heat.Grid((n, n), (-10, 10), "neumann")
        out = heat.forward_density(sde, density(GM, grid), grid, t, method="crank_nicolson", dt=tau * 10 / n)
        errors.append(np.abs(out.values - density(GM.marginal_mixture(sde, t), out.grid)).max())
    order = float(np.polyfit(np.log(sizes), -np.log(errors), 1)[0])
    assert 1.9 < order < 2.1, (order, errors)


@pytest.mark.parametrize("name", ["vp", "ve", "heat"])
def test_forward_perturbed_samples_follow_the_grid_density(name: str) -> None:
    """Chi-square test of x_t = α x_0 + σ ε (scoresde's own perturbation of exact data draws) against the grid
    density integrated over 8 × 8 blocks of cells; and the same test rejects the density at a wrong time."""
    sde, t = CASES[name]
    grid = heat.Grid((96, 96), (-6, 6), "neumann")
    p0 = density(GM.marginal_mixture(sde, 0.0), grid)
    n = 40_000
    g = torch.Generator().manual_seed(11)
    x0 = GM.sample(n, generator=g)
    x_t = sde.perturb(x0, t, torch.randn(n, 2, dtype=F64, generator=g)).numpy()

    def p_value(tau_factor: float) -> float:
        change = heat.time_change(sde, t)
        q = heat.solve(p0, grid, tau_factor * float(change.tau))
        a = float(change.scale)
        coarse = heat.Grid((12, 12), [(a * lo, a * hi) for lo, hi in grid.bounds], "neumann")
        expected = (q / a**2 * grid.cell_volume * a**2).reshape(12, 8, 12, 8).sum(axis=(1, 3)).ravel() * n
        observed = coarse.histogram(x_t).ravel() * n * coarse.cell_volume
        keep = expected >= 5
        obs, exp_ = observed[keep], expected[keep]
        return float(chisquare(obs, exp_ * obs.sum() / exp_.sum()).pvalue)

    assert p_value(1.0) > 1e-3
    assert p_value(1.25) < 1e-6  # power: a 25 % error in heat time is caught


# --- scores -------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["vp", "ve"])
def test_score_field_matches_the_exact_score_on_the_cells(name: str) -> None:
    sde, t = CASES[name]
    out = heat.forward_density(sde, density(GM.marginal_mixture(sde, 0.0), WIDE), WIDE, t)
    exact = GM.marginal_mixture(sde, t).score(torch.from_numpy(out.grid.points())).numpy().T.reshape(2, *WIDE.shape)
    where = out.values > 1e-6 * out.values.max()
    spectral = heat.score_field(out.values, out.grid)
    assert np.abs(spectral - exact)[:, where].max() < 1e-8
    # below the floor the score is set to zero, not to round-off noise
    assert (spectral[:, out.values <= 1e-12 * out.values.max()] == 0).all()


def test_finite_difference_scores_are_second_order() -> None:
    sde, t = CASES["vp"]
    errors = []
    for n in (80, 160, 320):
        grid = heat.Grid((n, n), (-10, 10), "neumann")
        fd = heat.forward_density(sde, density(GM.marginal_mixture(sde, 0.0), grid), grid, t)
        ex = GM.marginal_mixture(sde, t).score(torch.from_numpy(fd.grid.points())).numpy().T.reshape(2, n, n)
        inner = fd.values > 1e-3 * fd.values.max()
        errors.append(np.abs(heat.score_field(fd.values, fd.grid, gradient="finite_difference") - ex)[:, inner].max())
    order = math.log2(errors[0] / errors[1]), math.log2(errors[1] / errors[2])
    assert 1.8 < order[0] < 2.2 and 1.8 < order[1] < 2.2, (order, errors)


def test_score_fn_interpolates_the_exact_score_with_second_order_error() -> None:
    torch.set_num_threads(1)
    sde, t = CASES["vp"]
    x = GM.marginal_mixture(sde, t).sample(2000, generator=torch.Generator().manual_seed(0))
    tt = torch.full((2000,), t, dtype=F64)
    exact = GM.marginal_score(sde, x, tt)
    errors = []
    for n in (80, 160):
        grid = heat.Grid((n, n), (-14, 14), "neumann")
        fn = heat.score_fn(sde, density(GM, grid), grid)
        got = fn(x, tt)
        assert got.dtype == F64 and got.shape == x.shape
        errors.append(float((got - exact).norm(dim=1).mean()))
    assert 3.5 < errors[0] / errors[1] < 4.5 and errors[1] < 2e-3, errors
    # float32 in, float32 out; times may differ across the batch
    grid = heat.Grid((80, 80), (-14, 14), "neumann")
    fn = heat.score_fn(sde, density(GM, grid), grid)
    mixed = torch.tensor([0.1, 0.3], dtype=F64).repeat(1000)
    out32 = fn(x.float(), mixed.float())
    assert out32.dtype == torch.float32
    ref = torch.cat([fn(x[i::2], mixed[i::2]) for i in (0, 1)])
    ref = torch.stack([ref[:1000], ref[1000:]], 1).reshape(2000, 2)
    np.testing.assert_allclose(out32.numpy(), ref.numpy(), rtol=0, atol=1e-3)


# --- sampling reverses heat flow ----------------------------------------------------------------------------------
RING = sd.GaussianMixture(torch.full((6,), 1 / 6, dtype=F64),
                          torch.tensor([[2 * math.cos(a), 2 * math.sin(a)] for a in np.arange(6) * math.pi / 3],
                                       dtype=F64),
                          0.2**2 * torch.eye(2, dtype=F64).repeat(6, 1, 1))
RING_GRID = heat.Grid((96, 96), (-6, 6), "neumann")


def coarse_tv(samples: torch.Tensor, p0: np.ndarray) -> float:
    """Total variation between the samples' histogram and p0 on 24 × 24 blocks (4 × 4 cells each)."""
    coarse = heat.Grid((24, 24), (-6, 6), "neumann")
    mass = (p0 * RING_GRID.cell_volume).reshape(24, 4, 24, 4).sum(axis=(1, 3))
    return 0.5 * float(np.abs(coarse.histogram(samples.numpy()) * coarse.cell_volume - mass).sum())


def test_the_grid_score_drives_the_probability_flow_as_well_as_the_exact_score() -> None:
    torch.set_num_threads(1)
    sde = heat.HeatSDE(T=0.5)
    p0 = density(RING, RING_GRID)
    x_T = RING.marginal_mixture(sde, sde.T).sample(2000, generator=torch.Generator().manual_seed(1))
    runs = {name: sd.sample(fn, sde, x_T, method="heun", steps=60, t_min=1e-3, denoise=False).samples
            for name, fn in (("grid", heat.score_fn(sde, p0, RING_GRID)), ("exact", RING.score_fn(sde)))}
    rms = float((runs["grid"] - runs["exact"]).norm(dim=1).pow(2).mean().sqrt())
    spread = float(runs["exact"].std(0).norm())
    assert rms < 2e-3 * spread, (rms, spread)


@pytest.mark.parametrize(("method", "steps", "nfe"), [("heun", 40, 80), ("euler_maruyama", 200, 200)])
def test_reverse_heat_flow_recovers_the_initial_density(method: str, steps: int, nfe: int) -> None:
    torch.set_num_threads(1)
    p0 = density(RING, RING_GRID)
    sde = heat.HeatSDE(T=0.5)
    n = 6000
    out = heat.reverse_heat_flow(sde, p0, RING_GRID, n, method=method, steps=steps,
                                 generator=torch.Generator().manual_seed(3))
    assert out.samples.dtype == F64 and out.samples.shape == (n, 2) and out.nfe == nfe
    exact = RING.sample(n, generator=torch.Generator().manual_seed(4))
    start = heat.forward_density(sde, p0, RING_GRID, sde.T)
    x_T = heat.sample_density(start.values, start.grid, n, generator=torch.Generator().manual_seed(5))
    tv_out, tv_floor, tv_start = coarse_tv(out.samples, p0), coarse_tv(exact, p0), coarse_tv(x_T, p0)
    assert tv_start > 0.6 and tv_out < 1.3 * tv_floor, (tv_out, tv_floor, tv_start)


def test_the_probability_flow_is_stable_where_the_backward_heat_equation_explodes() -> None:
    torch.set_num_threads(1)
    sde = heat.HeatSDE(T=0.5)
    p0 = density(RING, RING_GRID)
    p_T = heat.forward_density(sde, p0, RING_GRID, sde.T).values
    # the backward PDE: a 1e-12 perturbation of p_T (and p_T's own round-off) blows up
    delta = 1e-12 * np.random.default_rng(0).standard_normal(RING_GRID.shape)
    back = heat.backward_solve(p_T, RING_GRID, 0.5)
    back_perturbed = heat.backward_solve(p_T + delta, RING_GRID, 0.5)
    with np.errstate(invalid="ignore"):
        amplification = np.abs(back_perturbed - back).max() / np.abs(delta).max()
    assert not np.isfinite(back).all() or np.abs(back - p0).max() > 1e100
    assert not np.isfinite(amplification) or amplification > 1e100
    # the probability-flow ODE with the grid score: the same-size perturbation of x_T stays that size
    fn = heat.score_fn(sde, p0, RING_GRID)
    x_T = RING.marginal_mixture(sde, sde.T).sample(500, generator=torch.Generator().manual_seed(6))
    a = sd.sample(fn, sde, x_T, method="heun", steps=40, denoise=False).samples
    b = sd.sample(fn, sde, x_T + 1e-12, method="heun", steps=40, denoise=False).samples
    assert float((a - b).abs().max()) < 1e-10


# --- bad input ----------------------------------------------------------------------------------------------------
SMALL = heat.Grid((8, 8), (-2, 2), "neumann")
ONES = np.ones((8, 8))
VP = sd.VPSDE()


@pytest.mark.parametrize(("call", "exc", "match"), [
    (lambda: heat.forward_density(VP, -ONES, SMALL, 0.5), ValueError,
     r"p0 must be a density with positive values; got maximum -1.0"),
    (lambda: heat.forward_density(VP, ONES - 2 * np.eye(8), SMALL, 0.5), ValueError,
     r"p0 must be a density, >= 0 \(up to round-off, 1e-10 of its maximum\); got a minimum of -1.0"),
    (lambda: heat.forward_density(VP, np.full((8, 8), np.inf), SMALL, 0.5), ValueError, r"p0 must be finite"),
    (lambda: heat.forward_density(VP, np.ones((8, 7)), SMALL, 0.5), ValueError,
     r"p0 must have the grid's shape \(8, 8\); got shape \(8, 7\)"),
    (lambda: heat.forward_density("vp", ONES, SMALL, 0.5), TypeError, r"sde must be a scoresde.SDE .* got str"),
    (lambda: heat.forward_density(VP, ONES, SMALL, 1.5), ValueError, r"t must lie in \[0, 1\]; got 1.5"),
    (lambda: heat.forward_density(VP, ONES, SMALL, [0.1, 0.2]), ValueError, r"t must be one number in \[0, 1\]"),
    (lambda: heat.forward_density(VP, ONES, SMALL, 0.5, method="exact"), ValueError,
     r"method must be one of 'spectral', 'crank_nicolson', 'explicit'; got 'exact'"),
    (lambda: heat.score_field(ONES, SMALL, gradient="autograd"), ValueError,
     r"gradient must be one of 'spectral', 'finite_difference'; got 'autograd'"),
    (lambda: heat.score_field(ONES, SMALL, floor=1.0), ValueError,
     r"floor must be a finite number in \[0, 1\); got 1.0"),
    (lambda: heat.score_fn(VP, ONES, SMALL, gradient="x"), ValueError, r"gradient must be one of"),
    (lambda: heat.score_fn(VP, ONES, SMALL)(torch.zeros(4, 3), torch.zeros(4)), ValueError,
     r"x must be a tensor of shape \(batch, 2\); got \(4, 3\)"),
    (lambda: heat.sample_density(ONES, SMALL, 0), ValueError, r"n must be an int >= 1; got 0"),
    (lambda: heat.sde_time(VP, -0.1), ValueError, r"tau must be finite and >= 0"),
    (lambda: heat.sde_time(heat.HeatSDE(T=1.0), 2.0), ValueError,
     r"tau must lie in \[0, τ\(T\)\] = \[0, 1\] for HeatSDE\(diffusivity=1.0, T=1.0\); got max 2.0"),
    (lambda: heat.time_change(VP, -0.5), ValueError, r"t must lie in \[0, 1\]"),
    (lambda: heat.time_change(VP, "0.5"), TypeError, r"t must be a number or a 1-D array of times; got '0.5'"),
    (lambda: heat.sde_time(VP, [[0.1]]), ValueError, r"tau must be a number or a 1-D array; got shape \(1, 1\)"),
    (lambda: heat.HeatSDE(diffusivity=-1.0), ValueError, r"diffusivity must be a finite number > 0; got -1.0"),
    (lambda: heat.HeatSDE(T=0), ValueError, r"T must be a finite number > 0; got 0"),
    # the wrong type is a TypeError, the right type out of range a ValueError
    (lambda: heat.HeatSDE(diffusivity=True), TypeError, r"diffusivity must be a real number; got bool True"),
    (lambda: heat.HeatSDE(T="1"), TypeError, r"T must be a real number; got str '1'"),
    (lambda: heat.HeatSDE(T=math.nan), ValueError, r"T must be a finite number > 0; got nan"),
    (lambda: heat.score_field(ONES, SMALL, floor=True), TypeError, r"floor must be a real number; got bool True"),
    (lambda: heat.score_field(ONES, SMALL, floor=math.nan), ValueError, r"floor must be a finite number in"),
    (lambda: heat.score_field(ONES, SMALL, gradient=None), TypeError,
     r"gradient must be a string, one of 'spectral', 'finite_difference'; got NoneType None"),
    (lambda: heat.score_field(ONES, (8, 8)), TypeError, r"grid must be a heat.Grid; got tuple"),
    (lambda: heat.forward_density(VP, ONES, SMALL, 0.5, method=2), TypeError, r"method must be a string"),
    (lambda: heat.forward_density(VP, ONES, SMALL, "0.5"), TypeError, r"t must be a number or a 1-D sequence"),
    (lambda: heat.score_fn(VP, ONES, SMALL)(np.zeros((4, 2)), torch.zeros(4)), TypeError,
     r"x must be a tensor of shape \(batch, 2\); got ndarray"),
    (lambda: heat.sample_density(ONES, SMALL, 2.0), TypeError, r"n must be an int >= 1; got float 2.0"),
    (lambda: heat.sample_density(ONES, SMALL, True), TypeError, r"n must be an int >= 1; got bool True"),
    (lambda: heat.reverse_heat_flow("vp", ONES, SMALL, 10), TypeError, r"sde must be a scoresde.SDE .* got str"),
    (lambda: heat.sde_time(VP, "0.1"), TypeError, r"tau must be a number or a 1-D array of numbers; got '0.1'"),
    (lambda: heat.sde_time(VP, math.nan), ValueError, r"tau must be finite and >= 0"),
])
def test_bad_input_is_refused_with_a_clear_message(call: Callable[[], object], exc: type[Exception], match: str
                                                   ) -> None:
    with pytest.raises(exc, match=match):
        call()


def test_round_off_negatives_from_a_spectral_solve_are_accepted_as_a_density() -> None:
    grid = heat.Grid((96, 96), (-6, 6), "dirichlet")
    p = heat.solve(density(GM, grid), grid, 0.01)
    assert p.min() < 0  # the spectral solve's round-off below zero, far out in the tails
    field = heat.score_field(p, grid)
    assert np.isfinite(field).all()


# --- heavier checks (pytest -m slow) ------------------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("name", list(CASES))
def test_many_forward_perturbed_samples_follow_the_grid_density(name: str) -> None:
    # 400 000 draws on 24 × 24 bins: a test that would see a relative density error of about 1 %
    sde, t = CASES[name]
    grid = heat.Grid((192, 192), (-12, 12), "neumann")
    n = 400_000
    g = torch.Generator().manual_seed(12)
    x_t = sde.perturb(GM.sample(n, generator=g), t, torch.randn(n, 2, dtype=F64, generator=g)).numpy()
    out = heat.forward_density(sde, density(GM.marginal_mixture(sde, 0.0), grid), grid, t)
    coarse = heat.Grid((24, 24), out.grid.bounds, "neumann")
    expected = (out.values * out.grid.cell_volume).reshape(24, 8, 24, 8).sum(axis=(1, 3)).ravel() * n
    observed = coarse.histogram(x_t).ravel() * n * coarse.cell_volume
    keep = expected >= 5
    obs, exp_ = observed[keep], expected[keep]
    assert chisquare(obs, exp_ * obs.sum() / exp_.sum()).pvalue > 1e-3


@pytest.mark.slow
@pytest.mark.parametrize(("name", "method", "steps"), [
    ("ve", "euler_maruyama", 500), ("vp_gentle", "euler_maruyama", 500), ("vp_gentle", "ode", 50),
    ("subvp", "heun", 60)])
def test_reverse_heat_flow_under_other_sdes_recovers_the_initial_density(name: str, method: str, steps: int) -> None:
    torch.set_num_threads(1)
    sde = {"ve": sd.VESDE(0.01, 2.0), "vp_gentle": sd.VPSDE(0.1, 2.0), "subvp": sd.SubVPSDE(0.1, 2.0)}[name]
    grid = heat.Grid((96, 96), (-6, 6), "neumann")
    p0 = density(RING.marginal_mixture(sde, 0.0), grid)
    n = 10_000
    out = heat.reverse_heat_flow(sde, p0, grid, n, method=method, steps=steps, t_min=1e-3,
                                 generator=torch.Generator().manual_seed(7))
    exact = RING.marginal_mixture(sde, 0.0).sample(n, generator=torch.Generator().manual_seed(8))
    assert coarse_tv(out.samples, p0) < 1.3 * coarse_tv(exact, p0)
