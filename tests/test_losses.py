"""Denoising score matching: exact zeros, unbiasedness against the mixture oracle, the weightings and t sampling."""

from __future__ import annotations

import math

import pytest
import torch
from scipy import integrate, stats

import scoresde as sd
from scoresde.losses import DSMLoss, dsm_loss, likelihood_weight
from tests.problems import F64, random_mixture, sdes

SDES = sdes()


def point_oracle(c: torch.Tensor, sde: sd.SDE):
    """For data that is the single point c, E[ε | x_t] = (x_t - α c)/σ is the noise itself."""

    def net(x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        alpha, sigma = (sd.append_dims(v, x.ndim).to(x.dtype) for v in sde.marginal(t))
        return (x - alpha * c) / sigma

    return net


@pytest.mark.parametrize("name", SDES)
@pytest.mark.parametrize("weighting", ["simple", "likelihood"])
def test_the_loss_of_the_exact_noise_is_zero_and_of_anything_else_positive(name: str, weighting: str) -> None:
    """Point data: the ideal ε-prediction recovers ε exactly, so the loss is round-off; a perturbed one is not."""
    sde = SDES[name]
    c = torch.tensor([0.5, -1.0, 2.0], dtype=F64)
    x0 = c.expand(256, 3).clone()
    oracle = point_oracle(c, sde)
    loss = dsm_loss(oracle, sde, x0, weighting=weighting, generator=torch.Generator().manual_seed(0))
    weight = 1.0 if weighting == "simple" else 1e6  # the likelihood weight reaches ~1/t_min near t = t_min
    assert 0 <= float(loss) < 1e-20 * weight
    worse = dsm_loss(lambda x, t: oracle(x, t) + 0.01, sde, x0, weighting=weighting,
                     generator=torch.Generator().manual_seed(0))
    assert float(worse) > 1e-5


@pytest.mark.parametrize("predicts", ["x0", "v", "score"])
def test_every_parameterization_trains_the_same_eps_objective(predicts: str) -> None:
    """A network predicting x0, v or the score, converted from an ε-network, gives the ε-network's loss."""
    sde = sd.VPSDE()
    gm = random_mixture(3, 4, seed=1)
    x0 = gm.sample(128, generator=torch.Generator().manual_seed(1))

    def eps_net(x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return gm.marginal_eps(sde, x, t) + 0.1 * torch.sin(x)

    def other(x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return sd.convert(sde, eps_net(x, t), x, t, source="eps", target=predicts)

    a = dsm_loss(eps_net, sde, x0, generator=torch.Generator().manual_seed(2), reduction="none")
    b = dsm_loss(other, sde, x0, predicts=predicts, generator=torch.Generator().manual_seed(2), reduction="none")
    torch.testing.assert_close(b, a, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name", ["vp", "subvp", "ve"])
def test_dsm_is_an_unbiased_estimate_of_explicit_score_matching(name: str) -> None:
    """With ε* = E[ε | x_t] from the mixture oracle, DSM(ε* + h) - DSM(ε*) estimates E[w ||h||²/D] without bias:
    the cross term 2 h·(ε* - ε) has mean zero (Vincent 2011). Asserted within 5 standard errors, with the
    source document's sign slip (ε = +σ∇log p) as a control that must fail the same check."""
    sde = SDES[name]
    gm = random_mixture(3, 2, seed=3)
    n = 40_000
    x0 = gm.sample(n, generator=torch.Generator().manual_seed(4))
    t, _ = DSMLoss(t_min=0.05).sample_times(sde, n, generator=torch.Generator().manual_seed(5))
    noise = torch.randn(n, 2, generator=torch.Generator().manual_seed(6), dtype=F64)
    x_t = sde.perturb(x0, t, noise)
    eps_star = gm.marginal_eps(sde, x_t, t)
    h = 0.3 * torch.sin(2 * x_t) + 0.1

    cross = 2 * (h * (eps_star - noise)).mean(1)
    assert abs(float(cross.mean())) < 5 * float(cross.std()) / math.sqrt(n)
    slip = 2 * (h * (-eps_star - noise)).mean(1)  # the minus-sign score gives -ε* as the "ideal" prediction
    assert abs(float(slip.mean())) > 5 * float(slip.std()) / math.sqrt(n)

    diff = ((eps_star + h - noise) ** 2).mean(1) - ((eps_star - noise) ** 2).mean(1)
    esm = (h**2).mean(1)
    assert abs(float((diff - esm).mean())) < 5 * float((diff - esm).std()) / math.sqrt(n)


@pytest.mark.parametrize("name", ["vp", "vp_cosine", "subvp", "ve", "vp_ddpm"])
def test_likelihood_weight_is_minus_twice_the_rate_of_the_log_snr(name: str) -> None:
    sde = SDES[name]
    t = torch.linspace(0.02, 0.98, 25, dtype=F64).requires_grad_(True)
    (dlam,) = torch.autograd.grad(sde.lambda_(t).sum(), t)
    torch.testing.assert_close(likelihood_weight(sde, t.detach()), -2 * dlam, rtol=1e-9, atol=0)


def test_likelihood_weight_of_vp_is_beta_over_one_minus_alpha_bar() -> None:
    sde = sd.VPSDE()
    t = torch.linspace(1e-3, 1, 50, dtype=F64)
    beta = 0.1 + (20 - 0.1) * t
    abar = torch.exp(-(0.1 * t + 0.5 * (20 - 0.1) * t * t))
    torch.testing.assert_close(likelihood_weight(sde, t), beta / (1 - abar), rtol=1e-12, atol=0)


@pytest.mark.parametrize("name", ["vp", "subvp", "ve"])
@pytest.mark.parametrize("weighting", ["simple", "likelihood"])
def test_importance_sampling_keeps_the_expectation(name: str, weighting: str) -> None:
    """E_q[weight · f(t)] = (1/(T - t_min)) ∫ w(t) f(t) dt for both samplings, checked against quadrature."""
    sde = SDES[name]
    t_min = 1e-3

    def f(t: torch.Tensor) -> torch.Tensor:
        return 1 + torch.sin(3 * t)

    def integrand(s: float) -> float:
        ts = torch.tensor([s], dtype=F64)
        w = 1.0 if weighting == "simple" else float(likelihood_weight(sde, ts))
        return w * float(f(ts))

    exact = integrate.quad(integrand, t_min, 1.0, limit=200, points=[0.01, 0.1])[0] / (1 - t_min)
    n = 200_000
    for importance in (False, True):
        t, w = DSMLoss(weighting=weighting, importance_sampling=importance, t_min=t_min).sample_times(sde, n,
                                                                                                      generator=torch.Generator().manual_seed(7))
        values = w * f(t)
        se = float(values.std()) / math.sqrt(n)
        assert abs(float(values.mean()) - exact) < 5 * se + 1e-12 * exact


def test_importance_sampling_makes_the_likelihood_weight_constant() -> None:
    sde = sd.VPSDE()
    t, w = DSMLoss(weighting="likelihood", importance_sampling=True, t_min=1e-5).sample_times(sde, 1000,
                                                                                              generator=torch.Generator().manual_seed(8))
    lam = sde.lambda_(torch.tensor([1e-5, 1.0], dtype=F64))
    torch.testing.assert_close(w, torch.full_like(w, 2 * float(lam[0] - lam[1]) / (1 - 1e-5)), rtol=1e-9, atol=0)
    assert float(t.min()) >= 1e-5 and float(t.max()) <= 1.0
    # uniform in λ: a KS test of λ(t) against U(λ(1), λ(t_min))
    u = (sde.lambda_(t) - lam[1]) / (lam[0] - lam[1])
    assert stats.kstest(u.numpy(), "uniform").pvalue > 1e-3


@pytest.mark.parametrize("name", ["vp", "subvp", "ve"])
def test_lognormal_times_give_log_normal_noise_to_signal_ratios(name: str) -> None:
    """log(σ/α) of the drawn t is N(P_mean, P_std²) (a KS test) where the clamp to [t_min, T] does not bite."""
    sde = SDES[name]
    loss = DSMLoss(time_distribution="lognormal", lognormal_mean=-0.7, lognormal_std=0.9, t_min=1e-5)
    t, w = loss.sample_times(sde, 20_000, generator=torch.Generator().manual_seed(3))
    assert float(t.min()) >= 1e-5 and float(t.max()) <= sde.T and bool((w == 1).all())
    alpha, sigma = sde.marginal(t)
    z = ((sigma / alpha).log() - (-0.7)) / 0.9
    lo, hi = (float(((sigma_ / alpha_).log() + 0.7) / 0.9) for alpha_, sigma_ in
              zip(*sde.marginal(torch.tensor([1e-5, sde.T], dtype=F64)), strict=True))
    inside = z[(z > lo + 1e-6) & (z < hi - 1e-6)]
    assert inside.numel() > 0.99 * z.numel()
    assert stats.kstest(inside.numpy(), stats.truncnorm(lo, hi).cdf).pvalue > 1e-3


@pytest.mark.parametrize("sigma_data", [0.5, 1.0])
def test_edm_weighting_is_the_x0_weighting_of_karras_et_al(sigma_data: float) -> None:
    """w·‖ε̂ - ε‖² = λ(σ̃)·‖x̂_0 - x_0‖² with λ = (σ̃² + σ_d²)/(σ̃ σ_d)² (EDM), and the v-loss for σ_d = 1 under VP."""
    sde = sd.VPSDE()
    x0 = torch.randn(64, 3, dtype=F64, generator=torch.Generator().manual_seed(0))
    net = lambda x, t: 0.3 * torch.sin(3 * x)  # noqa: E731 - any ε-network
    loss = DSMLoss(weighting="edm", sigma_data=sigma_data, time_distribution="lognormal")
    per = loss(net, sde, x0, generator=torch.Generator().manual_seed(1), reduction="none")
    g = torch.Generator().manual_seed(1)  # the same draws, by hand
    t, _ = loss.sample_times(sde, 64, generator=g)
    eps = torch.randn(x0.shape, generator=g, dtype=F64)
    alpha, sigma = (sd.append_dims(c, 2) for c in sde.marginal(t))
    x_t = alpha * x0 + sigma * eps
    x0_hat = (x_t - sigma * net(x_t, t)) / alpha
    s = (sigma / alpha).squeeze(1)
    lam = (s**2 + sigma_data**2) / (s * sigma_data) ** 2
    torch.testing.assert_close(per, lam * (x0_hat - x0).pow(2).mean(1), rtol=1e-9, atol=0)
    if sigma_data == 1.0:
        v, v_hat = alpha * eps - sigma * x0, alpha * net(x_t, t) - sigma * x0_hat
        torch.testing.assert_close(per, (v_hat - v).pow(2).mean(1), rtol=1e-9, atol=0)


def test_discrete_time_draws_ddpm_indices_uniformly() -> None:
    """steps=N: t = i/N with i ~ U{1..N}; under VPSDE.from_ddpm the perturbation is the chain's q(x_i | x_0)."""
    betas = sd.linear_betas(10)
    sde = sd.VPSDE.from_ddpm(betas)
    t, w = DSMLoss(steps=10).sample_times(sde, 20_000, generator=torch.Generator().manual_seed(9))
    i = torch.round(t * 10)
    torch.testing.assert_close(t, i / 10, rtol=0, atol=1e-15)
    counts = torch.bincount(i.long(), minlength=11)[1:]
    assert int(counts.min()) > 0 and stats.chisquare(counts.numpy()).pvalue > 1e-3
    assert bool((w == 1).all())
    abar = torch.cumprod(1 - betas.to(F64), 0)
    alpha, _ = sde.marginal(t[:5])
    torch.testing.assert_close(alpha**2, abar[i[:5].long() - 1], rtol=1e-12, atol=0)


def test_the_same_generator_gives_the_same_loss() -> None:
    sde = sd.VPSDE()
    net = torch.nn.Linear(2, 2).double()
    x0 = torch.randn(64, 2, dtype=F64)
    a = dsm_loss(lambda x, t: net(x), sde, x0, generator=torch.Generator().manual_seed(3))
    b = dsm_loss(lambda x, t: net(x), sde, x0, generator=torch.Generator().manual_seed(3))
    assert torch.equal(a, b)


def test_the_loss_is_a_mean_over_dimensions() -> None:
    """Repeating every coordinate k times leaves the loss of a per-coordinate network unchanged."""
    sde = sd.VPSDE()
    x0 = torch.randn(32, 3, dtype=F64, generator=torch.Generator().manual_seed(0))
    zero = lambda x, t: torch.zeros_like(x)  # noqa: E731 - loss = mean ε² ≈ 1
    per = dsm_loss(zero, sde, x0, generator=torch.Generator().manual_seed(1), reduction="none")
    assert per.shape == (32,)
    big = dsm_loss(zero, sde, torch.randn(4096, 50, dtype=F64), generator=torch.Generator().manual_seed(1))
    assert abs(float(big) - 1.0) < 5 * math.sqrt(2 / (4096 * 50))


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"weighting": "elbo"}, "weighting must be one of 'simple', 'likelihood', 'edm'"),
    ({"time_distribution": "beta"}, "time_distribution must be one of 'uniform', 'lognormal'"),
    ({"lognormal_std": 0.0}, "lognormal_std must be a finite number > 0"),
    ({"sigma_data": -1.0}, "sigma_data must be a finite number > 0"),
    ({"time_distribution": "lognormal", "importance_sampling": True}, "cannot be combined"),
    ({"time_distribution": "lognormal", "steps": 10}, "cannot be combined"),
    ({"predicts": "noise"}, "predicts must be one of"),
    ({"t_min": 0.0}, "t_min must be a finite number > 0"),
    ({"steps": 0}, "steps must be an integer >= 1"),
    ({"steps": 10, "importance_sampling": True}, "cannot be combined with steps=10"),
])
def test_bad_configuration_is_refused(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        DSMLoss(**kwargs)  # type: ignore[arg-type]


def test_bad_calls_are_refused() -> None:
    sde = sd.VPSDE()
    ident = lambda x, t: x  # noqa: E731
    with pytest.raises(ValueError, match=r"t_min must lie in \(0, 1\)"):
        dsm_loss(ident, sde, torch.zeros(4, 2), t_min=2.0)
    with pytest.raises(ValueError, match=r"x0 must be a batch of shape \(batch, \*dims\); got shape \(4,\)"):
        dsm_loss(ident, sde, torch.zeros(4))
    with pytest.raises(ValueError, match=r"must return a tensor of the shape of x0, \(4, 2\); got \(4, 1\)"):
        dsm_loss(lambda x, t: x[:, :1], sde, torch.zeros(4, 2))
    with pytest.raises(TypeError, match="sde must be an SDE"):
        dsm_loss(ident, "vp", torch.zeros(4, 2))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="reduction must be one of 'mean', 'none'"):
        dsm_loss(ident, sde, torch.zeros(4, 2), reduction="sum")
