"""Inpainting by replacement (Song et al. 2021) with exact scores: known pixels kept, unknown ones conditioned."""

from __future__ import annotations

import pytest
import torch
from scipy import stats

import scoresde as sd
from tests.problems import F64, gaussian


@pytest.fixture(autouse=True)
def _one_thread() -> None:
    torch.set_num_threads(1)


def two_modes() -> sd.GaussianMixture:
    """Two tight clusters on the diagonal: the known first coordinate tells which one the second belongs to."""
    means = torch.tensor([[-2.0, -2.0], [2.0, 2.0]], dtype=F64)
    covs = 0.2**2 * torch.eye(2, dtype=F64).expand(2, 2, 2)
    return sd.GaussianMixture(torch.tensor([0.5, 0.5], dtype=F64), means, covs)


@pytest.mark.parametrize("method", ["pc", "euler_maruyama"])
def test_the_known_coordinate_selects_the_mode(method: str) -> None:
    gm, sde = two_modes(), sd.VPSDE()
    y = gm.sample(400, generator=torch.Generator().manual_seed(0))
    mask = torch.tensor([1.0, 0.0], dtype=F64)
    x = sd.inpaint(gm.score_fn(sde), sde, y, mask, steps=200, method=method, generator=torch.Generator().manual_seed(1))
    assert torch.equal(x[:, 0], y[:, 0])  # known pixels are returned exactly
    same_side = (torch.sign(x[:, 1]) == torch.sign(y[:, 0])).double().mean()
    assert float(same_side) > 0.98
    # the filled-in coordinate lands in its cluster: mean near ±2 and spread near the cluster's 0.2
    filled = x[:, 1] * torch.sign(y[:, 0])
    assert abs(float(filled.mean()) - 2.0) < 0.1 and 0.12 < float(filled.std()) < 0.3


def test_independent_coordinates_are_filled_from_their_exact_marginal() -> None:
    """For independent coordinates the replacement method is exact: a KS test of the filled coordinate."""
    gm, sde = gaussian([1.0, -0.5], [0.5, 0.8]), sd.VPSDE()
    y = gm.sample(2000, generator=torch.Generator().manual_seed(2))
    x = sd.inpaint(gm.score_fn(sde), sde, y, torch.tensor([True, False]), steps=200,
                   generator=torch.Generator().manual_seed(3))
    assert stats.kstest(x[:, 1].numpy(), stats.norm(-0.5, 0.8).cdf).pvalue > 1e-3
    # control: the same test detects a 10% error in the standard deviation
    assert stats.kstest(x[:, 1].numpy(), stats.norm(-0.5, 0.88).cdf).pvalue < 1e-3


def test_a_full_mask_returns_the_data_and_the_same_generator_the_same_result() -> None:
    gm, sde = two_modes(), sd.VPSDE()
    y = gm.sample(8, generator=torch.Generator().manual_seed(4))
    assert torch.equal(sd.inpaint(gm.score_fn(sde), sde, y, torch.ones(2), steps=5), y)
    a = sd.inpaint(gm.score_fn(sde), sde, y, torch.tensor([1, 0]), steps=20, generator=torch.Generator().manual_seed(5))
    b = sd.inpaint(gm.score_fn(sde), sde, y, torch.tensor([1, 0]), steps=20, generator=torch.Generator().manual_seed(5))
    assert torch.equal(a, b)


def test_bad_input_is_refused() -> None:
    gm, sde = two_modes(), sd.VPSDE()
    y = torch.zeros(4, 2, dtype=F64)
    score = gm.score_fn(sde)
    with pytest.raises(ValueError, match=r"mask of shape \(3,\) does not broadcast to the data's shape \(4, 2\)"):
        sd.inpaint(score, sde, y, torch.ones(3), steps=5)
    with pytest.raises(ValueError, match="mask must hold only 0 and 1"):
        sd.inpaint(score, sde, y, torch.full((2,), 0.5), steps=5)
    with pytest.raises(TypeError, match="mask must be a tensor"):
        sd.inpaint(score, sde, y, [1, 0], steps=5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="method must be one of 'pc', 'euler_maruyama'"):
        sd.inpaint(score, sde, y, torch.ones(2), steps=5, method="ode")
    with pytest.raises(ValueError, match="y must be finite"):
        sd.inpaint(score, sde, torch.full((4, 2), float("nan"), dtype=F64), torch.ones(2), steps=5)


def test_a_score_that_is_not_callable_is_refused_by_name() -> None:
    with pytest.raises(TypeError, match="score_fn must be callable"):
        sd.inpaint(None, sd.VPSDE(), torch.zeros(4, 2, dtype=F64), torch.ones(2), steps=5)  # type: ignore[arg-type]
