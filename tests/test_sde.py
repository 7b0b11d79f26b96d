"""SDE identities: closed forms vs the derivation from (α, σ), λ and its inverse, priors, and the
reverse-time processes checked against the Fokker–Planck equation of the exact marginals.

Tolerances: closed forms vs autograd derivations agree to a few ulps (rtol 1e-13); Fokker–Planck residuals
use a central difference in t with step 1e-5, whose truncation error (~h² · ∂³p/∂t³) bounds them at 1e-8.
"""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

import scoresde as sd
from tests.problems import F64, random_mixture, sdes

SDES = sdes()
EPS = float(torch.finfo(F64).eps)


@pytest.mark.parametrize("name", list(SDES))
def test_closed_form_drift_and_diffusion_match_the_marginal_derivation(name: str) -> None:
    """f = d log α/dt and g² = dσ²/dt - 2fσ², derived by autograd, equal the closed forms."""
    sde = SDES[name]
    t = torch.linspace(1e-4, 1.0, 201, dtype=F64)
    f, g2 = sd.coefficients_from_marginal(sde, t)
    torch.testing.assert_close(sde.drift_coef(t), f, rtol=1e-13, atol=1e-15)
    torch.testing.assert_close(sde.diffusion(t) ** 2, g2, rtol=1e-12, atol=1e-15)


def test_closed_forms_are_the_textbook_ones() -> None:
    """VP: f = -β/2, g² = β; sub-VP: g² = β(1 - ᾱ²); VE: f = 0, g² = 2σ² log(σ_max/σ_min)."""
    t = torch.linspace(0.0, 1.0, 11, dtype=F64)
    beta = sd.LinearSchedule().beta(t)
    ab = sd.LinearSchedule().alpha_bar(t)
    torch.testing.assert_close(sd.VPSDE().drift_coef(t), -0.5 * beta, rtol=0, atol=0)
    torch.testing.assert_close(sd.VPSDE().diffusion(t) ** 2, beta, rtol=2 * EPS, atol=0)
    torch.testing.assert_close(sd.SubVPSDE().diffusion(t) ** 2, beta * (1 - ab**2), rtol=1e-13, atol=1e-300)
    ve = sd.VESDE(0.01, 50.0)
    sigma = 0.01 * (50.0 / 0.01) ** t
    torch.testing.assert_close(ve.marginal(t)[1], sigma, rtol=1e-14, atol=0)
    torch.testing.assert_close(ve.diffusion(t) ** 2, 2 * sigma**2 * math.log(5000.0), rtol=1e-13, atol=0)
    torch.testing.assert_close(ve.drift_coef(t), torch.zeros_like(t), rtol=0, atol=0)


def test_subvp_variance_is_below_vp() -> None:
    t = torch.linspace(1e-3, 1.0, 100, dtype=F64)
    assert bool((sd.SubVPSDE().marginal(t)[1] < sd.VPSDE().marginal(t)[1]).all())


@pytest.mark.parametrize("name", list(SDES))
@given(t1=st.floats(0.0, 1.0), t2=st.floats(0.0, 1.0))
def test_sigma_increases_and_snr_decreases(name: str, t1: float, t2: float) -> None:
    sde = SDES[name]
    lo, hi = sorted((t1, t2))
    (a_lo, s_lo), (a_hi, s_hi) = sde.marginal(lo), sde.marginal(hi)
    assert float(s_lo) <= float(s_hi)
    assert float(a_lo**2 * s_hi**2) >= float(a_hi**2 * s_lo**2)  # SNR(lo) >= SNR(hi), no division by σ = 0


@pytest.mark.parametrize("name", list(SDES))
@given(t=st.floats(1e-9, 1.0))
def test_lambda_round_trip_and_closed_inverse_matches_bisection(name: str, t: float) -> None:
    """t(λ(t)) = t for the closed-form inverse, and the generic bisection inverse agrees."""
    sde = SDES[name]
    lam = sde.lambda_(t)
    assert float(sde.t_of_lambda(lam)) == pytest.approx(t, rel=1e-12, abs=1e-15)
    assert float(sd.SDE._t_of_lambda(sde, lam)) == pytest.approx(t, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("name", list(SDES))
def test_lambda_is_log_alpha_over_sigma(name: str) -> None:
    sde = SDES[name]
    t = torch.linspace(1e-3, 1.0, 50, dtype=F64)
    alpha, sigma = sde.marginal(t)
    torch.testing.assert_close(sde.lambda_(t), torch.log(alpha / sigma), rtol=1e-13, atol=1e-14)


def test_perturb_is_alpha_x0_plus_sigma_noise_in_the_input_dtype() -> None:
    sde = sd.VPSDE()
    g = torch.Generator().manual_seed(0)
    x0 = torch.randn(4, 3, 8, 8, generator=g)
    noise = torch.randn(4, 3, 8, 8, generator=g)
    t = torch.tensor([0.0, 0.1, 0.5, 1.0])
    xt = sde.perturb(x0, t, noise)
    alpha, sigma = sde.marginal(t)
    assert xt.dtype == torch.float32
    expected = alpha.float()[:, None, None, None] * x0 + sigma.float()[:, None, None, None] * noise
    torch.testing.assert_close(xt, expected)
    torch.testing.assert_close(sde.perturb(x0, 0.5, noise), sde.perturb(x0, torch.full((4,), 0.5), noise))


@pytest.mark.parametrize("name", ["vp", "subvp", "ve"])
def test_prior_logp_is_the_gaussian_log_density(name: str) -> None:
    sde = SDES[name]
    z = sde.prior_sample((5, 2, 3), generator=torch.Generator().manual_seed(1), dtype=F64)
    expected = stats.multivariate_normal(mean=[0.0] * 6, cov=sde.prior_std**2).logpdf(z.reshape(5, 6).numpy())
    torch.testing.assert_close(sde.prior_logp(z), torch.from_numpy(expected), rtol=1e-12, atol=1e-12)


def test_prior_sample_is_reproducible_and_scaled() -> None:
    ve = sd.VESDE()
    a = ve.prior_sample((20000, 2), generator=torch.Generator().manual_seed(3))
    b = ve.prior_sample((20000, 2), generator=torch.Generator().manual_seed(3))
    assert torch.equal(a, b)
    # std estimate of 40000 draws: relative standard error 1/√(2·40000) = 0.35%; allow 5 of them
    assert float(a.std()) == pytest.approx(ve.prior_std, rel=5 * 0.0036)


@pytest.mark.parametrize("name", ["vp", "vp_cosine", "subvp"])
def test_prior_is_the_marginal_at_T_for_standard_normal_data(name: str) -> None:
    """Two code paths meet: for data N(0, I), the VP marginal at T is N(0, α² + σ²) = N(0, I), so prior_logp
    must equal the oracle's marginal log-density there (to round-off); sub-VP's is narrower and must differ."""
    sde = SDES[name]
    gm = sd.GaussianMixture(torch.ones(1, dtype=F64), torch.zeros(1, 3, dtype=F64), torch.eye(3, dtype=F64)[None])
    z = sde.prior_sample((50, 3), generator=torch.Generator().manual_seed(0), dtype=F64)
    gap = (sde.prior_logp(z) - gm.marginal_log_prob(sde, z, 1.0)).abs().max()
    if name.startswith("vp"):
        assert float(gap) < 1e-12
    else:
        assert float(gap) > 1e-6


def _fokker_planck_residual(sde: sd.SDE, probability_flow: bool, t: float, score_sign: float = 1.0) -> float:
    """max |∂p/∂t - RHS| over points, for RHS = -∇·(b p) - c ½g² ∇²p with b the reverse drift and
    c = 1 for the reverse SDE (so RHS is the forward Fokker–Planck operator), 0 for the ODE."""
    gm = random_mixture(3, 2, seed=11)
    x = gm.marginal_mixture(sde, t).sample(64, generator=torch.Generator().manual_seed(5)).requires_grad_(True)
    exact = gm.score_fn(sde)
    rev = sde.reverse(lambda x, t: score_sign * exact(x, t), probability_flow=probability_flow)
    p = torch.exp(gm.marginal_log_prob(sde, x, t))
    flux = rev.drift(x, t) * p[:, None]  # b p
    div = sum(torch.autograd.grad(flux[:, j].sum(), x, create_graph=True)[0][:, j] for j in range(2))
    (grad_p,) = torch.autograd.grad(p.sum(), x, create_graph=True)
    lap = sum(torch.autograd.grad(grad_p[:, j].sum(), x, retain_graph=True)[0][:, j] for j in range(2))
    g2 = float(sde.diffusion(t)) ** 2
    rhs = -div - (0.0 if probability_flow else 0.5 * g2 * lap)
    h = 1e-5
    xd = x.detach()
    p_plus, p_minus = (torch.exp(gm.marginal_log_prob(sde, xd, t + s * h)) for s in (1, -1))
    dp_dt = (p_plus - p_minus) / (2 * h)
    return float((dp_dt - rhs.detach()).abs().max() / p.detach().abs().max())


@pytest.mark.parametrize("name", ["vp", "subvp", "ve_small", "vp_cosine"])
@pytest.mark.parametrize("probability_flow", [False, True])
def test_reverse_processes_satisfy_fokker_planck(name: str, probability_flow: bool) -> None:
    """With the exact score, the reverse SDE drift f x - g² s and the ODE drift f x - ½ g² s both transport
    the exact marginals: ∂p/∂t = -∇·(b p) - ½g²∇²p (reverse SDE) and ∂p/∂t = -∇·(b p) (PF ODE).
    A wrong sign of the score or a missing ½ gives residuals of order 1."""
    for t in (0.2, 0.6):
        assert _fokker_planck_residual(SDES[name], probability_flow, t) < 1e-7


@pytest.mark.parametrize("probability_flow", [False, True])
def test_wrong_sign_of_the_score_breaks_fokker_planck(probability_flow: bool) -> None:
    """The control for the test above: the source document's -∇log p makes the residual order one."""
    assert _fokker_planck_residual(SDES["vp"], probability_flow, 0.3, score_sign=-1.0) > 0.1


def test_reverse_drift_formula_and_diffusion() -> None:
    sde = sd.VPSDE()
    x = torch.randn(6, 2, dtype=F64, generator=torch.Generator().manual_seed(0))
    t = torch.full((6,), 0.4, dtype=F64)

    def score(x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return -x

    f, g = sde.drift_coef(0.4), sde.diffusion(0.4)
    torch.testing.assert_close(sde.reverse(score).drift(x, t), f * x + g**2 * x)
    torch.testing.assert_close(sde.reverse(score, probability_flow=True).drift(x, t), f * x + 0.5 * g**2 * x)
    assert float(sde.reverse(score, probability_flow=True).diffusion(0.4)) == 0.0
    assert float(sde.reverse(score).diffusion(0.4)) == float(g)


@pytest.mark.parametrize("name", list(SDES))
@given(s=st.floats(0.0, 1.0), t=st.floats(0.0, 1.0))
def test_transition_kernels_compose_to_the_marginal(name: str, s: float, t: float) -> None:
    """p(x_t | x_0) = ∫ p(x_t | x_s) p(x_s | x_0): a_{t|s} α_s = α_t and a² σ_s² + v² = σ_t². For VE the marginal
    starts from σ(0) = σ_min, so the variance identity includes it. Tolerance: a few ulps of σ_t²."""
    sde = SDES[name]
    s, t = min(s, t), max(s, t)
    a, v = sde.transition(s, t)
    (a_s, sig_s), (a_t, sig_t) = sde.marginal(s), sde.marginal(t)
    assert float(a * a_s) == pytest.approx(float(a_t), rel=1e-13)
    assert float(a**2 * sig_s**2 + v**2) == pytest.approx(float(sig_t**2), rel=1e-12, abs=1e-300)


@pytest.mark.parametrize("name", ["vp", "vp_cosine"])
@pytest.mark.parametrize("s", [0.3, 0.9995])
def test_transition_is_accurate_for_short_steps(name: str, s: float) -> None:
    """For VP the kernel variance 1 - ᾱ_t/ᾱ_s = -expm1(-∫_s^t β) with the integral in closed form: a step of
    1e-12 keeps its digits (exact: √(β(s)Δt) to first order, error ~ Δt), where the generic σ_t² - a²σ_s²
    cancels to noise. (s = 0.9995 lies past the cosine schedule's clip time.)"""
    vp = SDES[name]
    s64 = torch.tensor(s, dtype=F64)
    t64 = s64 + 1e-12
    _, v = vp.transition(s64, t64)
    exact = math.sqrt(float(vp.drift_coef(s64)) * -2 * float(t64 - s64))
    assert float(v) == pytest.approx(exact, rel=1e-9)
    _, v_generic = sd.SDE._transition(vp, s64, t64)
    assert abs(float(v_generic) - exact) > 1e3 * abs(float(v) - exact)


@pytest.mark.parametrize("name", ["linear", "cosine"])
@given(s=st.floats(0.0, 1.0), t=st.floats(0.0, 1.0))
def test_schedule_increment_is_the_difference_of_integrals(name: str, s: float, t: float) -> None:
    sch = sd.LinearSchedule() if name == "linear" else sd.CosineSchedule()
    s64, t64 = torch.tensor(min(s, t), dtype=F64), torch.tensor(max(s, t), dtype=F64)
    direct = float(sch._neg_log_alpha_bar_between(s64, t64))
    diff = float(sch._neg_log_alpha_bar(t64) - sch._neg_log_alpha_bar(s64))
    # both are backward stable: a few ulps of L(t) plus the condition number β·t of L at each end
    cond = float(sch._neg_log_alpha_bar(t64) + sch.beta(t64) * t64 + sch.beta(s64) * s64)
    assert abs(direct - diff) <= 8 * EPS * cond + 1e-300


def test_perturb_agrees_with_the_ddpm_chain_at_grid_times() -> None:
    """The VP SDE made from a DDPM chain perturbs exactly as the chain's closed form at t_i = i/N."""
    betas = sd.linear_betas()
    chain, sde = sd.DDPM(betas), sd.VPSDE.from_ddpm(betas)
    g = torch.Generator().manual_seed(0)
    x0, noise = torch.randn(5, 7, dtype=F64, generator=g), torch.randn(5, 7, dtype=F64, generator=g)
    i = torch.tensor([1, 10, 250, 999, 1000])
    torch.testing.assert_close(sde.perturb(x0, chain.time(i), noise), chain.perturb(x0, i, noise),
                               rtol=1e-13, atol=1e-15)


def test_generic_sde_from_marginal_only() -> None:
    """A new SDE that states only its marginal gets drift, diffusion and t(λ) from the base class."""

    class Quadratic(sd.SDE):
        """σ(t) = t, α(t) = 1 - t/2: f = -1/(2 - t), g² = 2t + t²/(1 - t/2)."""

        @property
        def prior_std(self) -> float:
            return 1.0

        def _marginal(self, t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            return 1 - t / 2, t

    sde = Quadratic()
    t = torch.tensor([0.1, 0.5, 0.9], dtype=F64)
    torch.testing.assert_close(sde.drift_coef(t), -1 / (2 - t), rtol=1e-14, atol=0)
    torch.testing.assert_close(sde.diffusion(t) ** 2, 2 * t + 2 * t**2 / (2 - t), rtol=1e-14, atol=0)
    torch.testing.assert_close(sde.t_of_lambda(sde.lambda_(t)), t, rtol=1e-14, atol=0)


def test_transition_refuses_times_of_different_lengths_by_name() -> None:
    with pytest.raises(ValueError, match="s and t must have the same length"):
        sd.VPSDE().transition(torch.full((3,), 0.2), torch.full((4,), 0.5))
    a, _ = sd.VPSDE().transition(torch.full((1,), 0.2), torch.full((4,), 0.5))  # one of length 1 broadcasts
    assert a.shape == (4,)
