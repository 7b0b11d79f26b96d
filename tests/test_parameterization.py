"""ε / x0 / v / score conversions and ScoreModel.

Tolerance: each conversion is a handful of float64 operations on O(1) numbers, divided by σ or α; a round trip
through a coefficient c costs ~ulps·(1 + 1/c)², so the properties run at t where α, σ ≥ 1e-3 (1/c² ≤ 1e6), with
rtol 1e-10 (measured worst 4e-12).
"""

from __future__ import annotations

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import scoresde as sd
from tests.problems import F64, random_mixture, sdes

SDES = sdes()
KINDS = ["eps", "x0", "v", "score"]


def _batch(seed: int, shape: tuple[int, ...] = (6, 3, 4)) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, dtype=F64, generator=g), torch.randn(*shape, dtype=F64, generator=g)


@pytest.mark.parametrize("name", list(SDES))
@given(seed=st.integers(0, 2**31 - 1), t=st.floats(0.02, 0.95),
       source=st.sampled_from(KINDS), target=st.sampled_from(KINDS))
def test_conversions_round_trip(name: str, seed: int, t: float, source: str, target: str) -> None:
    """source -> target -> source is the identity (ε -> score -> ε among them)."""
    sde = SDES[name]
    x0, eps = _batch(seed)
    tt = torch.full((6,), t, dtype=F64)
    xt = sde.perturb(x0, tt, eps)
    pred = sd.convert(sde, eps, xt, tt, source="eps", target=source)
    back = sd.convert(sde, sd.convert(sde, pred, xt, tt, source=source, target=target), xt, tt,
                      source=target, target=source)
    torch.testing.assert_close(back, pred, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("name", list(SDES))
def test_conversions_give_the_true_targets(name: str) -> None:
    """From the true noise, x0 is the data, v = α ε - σ x0, and the score is -ε/σ (the conditional score
    ∇ log p(x_t | x_0) = -(x_t - α x_0)/σ², checked by autograd of the Gaussian log-density)."""
    sde = SDES[name]
    x0, eps = _batch(3)
    t = torch.linspace(0.05, 1.0, 6, dtype=F64)
    xt = sde.perturb(x0, t, eps)
    a, s = (sd.append_dims(c, xt.ndim) for c in sde.marginal(t))
    torch.testing.assert_close(sd.convert(sde, eps, xt, t, source="eps", target="x0"), x0, rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(sd.convert(sde, eps, xt, t, source="eps", target="v"), a * eps - s * x0)
    x = xt.clone().requires_grad_(True)
    log_q = -0.5 * (((x - a * x0) / s) ** 2).sum()
    (true_score,) = torch.autograd.grad(log_q, x)
    torch.testing.assert_close(sd.convert(sde, eps, xt, t, source="eps", target="score"), true_score)
    torch.testing.assert_close(sd.convert(sde, eps, xt, t, source="eps", target="score"), -eps / s)


def test_v_is_the_velocity_of_the_vp_path() -> None:
    """For VP (α² + σ² = 1), with α = cos φ, σ = sin φ: v = d x_t / dφ (Salimans & Ho 2022)."""
    sde = sd.VPSDE()
    x0, eps = _batch(4, (5, 2))
    t = torch.tensor(0.4, dtype=F64)
    a, s = sde.marginal(t)
    phi = torch.atan2(s, a)
    v = sd.convert(sde, eps, sde.perturb(x0, t, eps), t, source="eps", target="v")
    torch.testing.assert_close(v, -torch.sin(phi) * x0 + torch.cos(phi) * eps)


def test_score_model_wraps_an_eps_network() -> None:
    """A 'network' that returns the exact ε of a mixture gives exactly the mixture's score, in every
    parameterization, and its x0 prediction is the posterior mean E[x0 | x_t] (Tweedie)."""
    sde = sd.VPSDE()
    gm = random_mixture(3, 4, seed=2)

    class OracleEps(torch.nn.Module):
        def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
            return gm.marginal_eps(sde, x, t)

    g = torch.Generator().manual_seed(0)
    x = torch.randn(16, 4, dtype=F64, generator=g)
    t = torch.rand(16, dtype=F64, generator=g) * 0.9 + 0.05
    exact = gm.marginal_score(sde, x, t)
    for kind in KINDS:
        class Net(torch.nn.Module):
            def forward(self, x: torch.Tensor, t: torch.Tensor, kind: str = kind) -> torch.Tensor:
                return sd.convert(sde, gm.marginal_eps(sde, x, t), x, t, source="eps", target=kind)

        model = sd.ScoreModel(Net(), sde, predicts=kind)
        torch.testing.assert_close(model(x, t), exact, rtol=1e-9, atol=1e-9)
    model = sd.ScoreModel(OracleEps(), sde)
    a, s = (sd.append_dims(c, 2) for c in sde.marginal(t))
    tweedie = (x + s**2 * exact) / a  # E[x0 | x_t] = (x_t + σ² ∇log p_t)/α
    torch.testing.assert_close(model.predict(x, t, "x0"), tweedie, rtol=1e-10, atol=1e-10)


def test_score_model_passes_a_batch_of_times_and_keeps_the_dtype() -> None:
    seen: list[torch.Tensor] = []

    def net(x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        seen.append(t)
        return torch.zeros_like(x)

    model = sd.ScoreModel(net, sd.VESDE())
    out = model(torch.ones(3, 2, 2), 0.5)
    assert out.dtype == torch.float32 and out.shape == (3, 2, 2)
    assert seen[0].shape == (3,) and seen[0].dtype == torch.float32
    assert isinstance(model, torch.nn.Module)
