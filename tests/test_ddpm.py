"""The discrete chain: ᾱ as a product, composed kernels vs the closed form, the posterior as a Gaussian
conditional, μ from ε, and the exact DDPM <-> VP-SDE map with its first-order approximation's 1/N error.

Tolerances: products and sums of N ≤ 1000 float64 factors carry at most ~N ulps of relative error, so
identities are asserted at rtol 1e-12 (~N·eps with margin); the map's differences of cumulative sums lose
L_i/ΔL_i ulps, and that condition number sets the tolerance there.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import scoresde as sd
from tests.problems import F64

EPS = float(torch.finfo(F64).eps)

beta_seqs = arrays(np.float64, st.integers(1, 60), elements=st.floats(1e-6, 0.5)).map(torch.from_numpy)


@given(betas=beta_seqs)
def test_alpha_bar_is_the_product_of_one_minus_beta(betas: torch.Tensor) -> None:
    chain = sd.DDPM(betas)
    prod = torch.cumprod(1 - betas, 0)
    torch.testing.assert_close(chain.alpha_bars[1:], prod, rtol=1e-12, atol=0)
    assert float(chain.alpha_bars[0]) == 1.0
    for i in (0, len(betas)):
        assert float(chain.alpha_bar(i)) == float(chain.alpha_bars[i])


@given(betas=beta_seqs)
def test_composed_one_step_kernels_equal_the_closed_form(betas: torch.Tensor) -> None:
    """x_i = a x_0 + (noise of variance v) after i steps: the step's coefficients composed give
    a = √ᾱ_i and v = 1 - ᾱ_i (mean and variance of q(x_i | x_0))."""
    chain = sd.DDPM(betas)
    one, zero = torch.ones(1, dtype=F64), torch.zeros(1, dtype=F64)
    a, v = 1.0, 0.0
    for i in range(1, len(betas) + 1):
        step_x = float(chain.step(one, i, zero))  # coefficient of x_{i-1}
        step_eps = float(chain.step(zero, i, one))  # coefficient of the fresh noise
        a, v = step_x * a, step_x**2 * v + step_eps**2
        sqrt_ab, sqrt_one_minus = chain.marginal(i)
        assert a == pytest.approx(float(sqrt_ab), rel=1e-12)
        assert v == pytest.approx(float(sqrt_one_minus) ** 2, rel=1e-12, abs=1e-300)
        assert float(chain.perturb(one, i, zero)) == pytest.approx(a, rel=1e-12)


def test_chain_monte_carlo_matches_the_closed_form() -> None:
    """The same, statistically: 20000 chains run step by step end with the closed form's mean and variance
    (tolerance 5 standard errors: SE(mean) = √(v/n), SE(var) = v √(2/n))."""
    chain = sd.DDPM(sd.linear_betas(100, 1e-3, 0.2))
    g = torch.Generator().manual_seed(0)
    n = 20000
    x = torch.full((n,), 1.5, dtype=F64)
    for i in range(1, 101):
        x = chain.step(x, i, torch.randn(n, dtype=F64, generator=g))
    a, s = chain.marginal(100)
    v = float(s) ** 2
    assert abs(float(x.mean()) - 1.5 * float(a)) < 5 * math.sqrt(v / n)
    assert abs(float(x.var()) - v) < 5 * v * math.sqrt(2 / n)


@given(betas=beta_seqs.filter(lambda b: len(b) >= 2), data=st.data())
def test_posterior_is_the_gaussian_conditional(betas: torch.Tensor, data: st.DataObject) -> None:
    """Independent derivation: given x_0, (x_{i-1}, x_i) is jointly Gaussian with Var x_{i-1} = 1 - ᾱ_{i-1} =: u,
    Cov(x_i, x_{i-1}) = √α_i u, Var x_i = 1 - ᾱ_i; conditioning gives the mean and variance."""
    chain = sd.DDPM(betas)
    i = data.draw(st.integers(2, len(betas)))
    log_ab = [math.fsum(math.log1p(-float(b)) for b in betas[:j]) for j in (i - 1, i)]
    ab_prev, ab = (math.exp(v) for v in log_ab)
    alpha = 1 - float(betas[i - 1])
    u, w = (-math.expm1(v) for v in log_ab)  # 1 - ᾱ without cancellation
    c0, ci, var = chain.posterior_coefficients(i)
    # E[x_{i-1} | x_i, x_0] = √ᾱ_{i-1} x_0 + (√α_i u / w)(x_i - √ᾱ_i x_0),  Var = u - α_i u²/w.
    # The independent formulas subtract: their error is a few ulps of the terms subtracted, not of the result.
    k = math.sqrt(alpha) * u / w
    assert float(ci) == pytest.approx(k, rel=1e-12)
    assert abs(float(c0) - (math.sqrt(ab_prev) - k * math.sqrt(ab))) <= 16 * EPS * (math.sqrt(ab_prev) + k)
    assert abs(float(var) - (u - alpha * u * u / w)) <= 16 * EPS * (u + alpha * u * u / w)


def test_posterior_at_the_first_step_is_the_data() -> None:
    """i = 1: ᾱ_0 = 1, so q(x_0 | x_1, x_0) is a point mass at x_0 (c_0 = 1, c_1 = 0, β̃_1 = 0)."""
    c0, ci, var = sd.DDPM(sd.linear_betas()).posterior_coefficients(1)
    assert (float(c0), float(ci), float(var)) == (pytest.approx(1.0, rel=1e-14), 0.0, 0.0)


@given(betas=beta_seqs.filter(lambda b: len(b) >= 2), data=st.data())
def test_posterior_mean_equals_mean_from_true_eps(betas: torch.Tensor, data: st.DataObject) -> None:
    """μ̃(x_i, x_0) = (x_i - β_i/√(1-ᾱ_i) ε)/√α_i when x_i = √ᾱ_i x_0 + √(1-ᾱ_i) ε."""
    chain = sd.DDPM(betas)
    seed = data.draw(st.integers(0, 2**31 - 1))
    g = torch.Generator().manual_seed(seed)
    x0, eps = torch.randn(8, 3, dtype=F64, generator=g), torch.randn(8, 3, dtype=F64, generator=g)
    i = torch.randint(1, len(betas) + 1, (8,), generator=g)
    xt = chain.perturb(x0, i, eps)
    mean, _ = chain.posterior(x0, xt, i)
    # two algebraically equal forms of O(1) numbers: a few dozen ulps (measured worst 4e-16 over 3000 chains)
    torch.testing.assert_close(chain.mean_from_eps(xt, i, eps), mean, rtol=1e-13, atol=1e-13)


def test_source_document_simple_update_is_not_the_mean() -> None:
    """(x_i - √β_i ε)/√α_i differs from the posterior mean except at i = 1 (where 1 - ᾱ_1 = β_1)."""
    chain = sd.DDPM(sd.linear_betas())
    g = torch.Generator().manual_seed(0)
    x0, eps = torch.randn(1, 4, dtype=F64, generator=g), torch.randn(1, 4, dtype=F64, generator=g)
    for i, equal in ((1, True), (500, False)):
        xt = chain.perturb(x0, i, eps)
        b = float(chain.betas[i - 1])
        simple = (xt - math.sqrt(b) * eps) / math.sqrt(1 - b)
        exact = chain.mean_from_eps(xt, i, eps)
        assert torch.allclose(simple, exact, rtol=1e-12, atol=1e-12) is equal


@given(betas=beta_seqs)
def test_from_ddpm_to_ddpm_round_trips(betas: torch.Tensor) -> None:
    """β_i comes back as 1 - exp(-(L(t_i) - L(t_{i-1}))), L = -log ᾱ, at the float times t_i = i/N.
    Two errors enter, each a few ulps of the numbers involved: the cumulative L_i itself (eps·L_i), and the
    rounding of t_i (eps·t_i) times the slope β(t) = N·ΔL of the neighbouring intervals (eps·i·ΔL_{i±1}).
    Relative to ΔL_i that is the condition number below; the tolerance is 4 ulps of it (the largest ratio
    seen over 5000 random sequences was 1.04)."""
    n = len(betas)
    back = sd.VPSDE.from_ddpm(betas).to_ddpm(n).betas
    dL = -torch.log1p(-betas)
    L = torch.cumsum(dL, 0)
    neighbours = torch.nn.functional.max_pool1d(dL[None, None], 3, 1, 1)[0, 0]
    cond = 1.0 + (L + torch.arange(2, n + 2) * neighbours) / dL
    assert bool(((back - betas).abs() <= 4 * EPS * cond * betas).all())


@pytest.mark.parametrize("schedule", [sd.LinearSchedule(), sd.CosineSchedule()])
def test_to_ddpm_then_from_ddpm_agrees_on_the_grid(schedule: sd.Schedule) -> None:
    sde = sd.VPSDE(schedule=schedule)
    back = sd.VPSDE.from_ddpm(sde.to_ddpm(100))
    grid = torch.arange(101, dtype=F64) / 100
    torch.testing.assert_close(back.marginal(grid)[0], sde.marginal(grid)[0], rtol=1e-12, atol=0)
    torch.testing.assert_close(back.lambda_(grid[1:]), sde.lambda_(grid[1:]), rtol=1e-11, atol=0)


def test_ho_linear_schedule_matches_the_vp_sde() -> None:
    """Ho et al.'s β 1e-4 → 0.02 (N = 1000) is the VP SDE β 0.1 → 20 to first order. Measured:
    max_i |ᾱ_i - ᾱ(i/N)| = 8.11e-4 (at i = 141); asserted below 1e-3 and above 1e-4 (a real gap)."""
    chain, sde = sd.DDPM(sd.linear_betas()), sd.VPSDE(0.1, 20.0)
    grid = torch.arange(1, 1001, dtype=F64) / 1000
    gap = (chain.alpha_bars[1:] - sde.schedule.alpha_bar(grid)).abs()
    assert 1e-4 < float(gap.max()) < 1e-3
    assert float(gap.max()) == pytest.approx(8.11e-4, rel=1e-3)
    assert int(gap.argmax()) + 1 == 141


def test_first_order_map_error_falls_like_one_over_n() -> None:
    """β_i = β((i-1)/(N-1))/N (Song et al. 2021, App. B): the error of ᾱ at t = 1 and the max over the grid
    both fall like 1/N. The slope of log error vs log N is fitted over N = 500 … 32000 (in the asymptotic range:
    from N = 125 the end-point error's slope is still -0.96) and must be -1 ± 0.05."""
    sde = sd.VPSDE(0.1, 20.0)
    ns = [500 * 2**k for k in range(7)]
    end_err, max_err = [], []
    for n in ns:
        chain = sd.DDPM(sd.linear_betas(n, 0.1 / n, 20.0 / n))
        exact = sde.schedule.alpha_bar(torch.arange(1, n + 1, dtype=F64) / n)
        diff = (chain.alpha_bars[1:] - exact).abs()
        end_err.append(float(diff[-1]))
        max_err.append(float(diff.max()))
    for errs in (end_err, max_err):
        slope = np.polyfit(np.log(ns), np.log(errs), 1)[0]
        assert slope == pytest.approx(-1.0, abs=0.05)


@settings(max_examples=30)
@given(betas=beta_seqs)
def test_exact_map_is_exact_at_every_grid_point(betas: torch.Tensor) -> None:
    n = len(betas)
    sde = sd.VPSDE.from_ddpm(betas)
    grid = torch.arange(n + 1, dtype=F64) / n
    torch.testing.assert_close(sde.schedule.log_alpha_bar(grid), sd.DDPM(betas).log_alpha_bars, rtol=1e-12, atol=1e-15)


def test_transition_of_the_chain_sde_is_one_chain_step() -> None:
    """Between t_{i-1} and t_i the kernel of VPSDE.from_ddpm(β) is q(x_i | x_{i-1}): a² = 1 - β_i, v² = β_i."""
    betas = sd.cosine_betas(200)
    sde = sd.VPSDE.from_ddpm(betas)
    grid = torch.arange(201, dtype=F64) / 200
    a, v = sde.transition(grid[:-1], grid[1:])
    torch.testing.assert_close(a**2, 1 - betas, rtol=1e-12, atol=0)
    # v² comes from differences of cumulative L: L_i/ΔL_i ≤ 52 ulps of condition here (measured 2.3e-14)
    torch.testing.assert_close(v**2, betas, rtol=1e-13, atol=0)
