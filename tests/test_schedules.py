"""Schedule identities, against exact answers and as Hypothesis properties.

Tolerances: every quantity here is a few float64 operations away from its exact value, so identities are
asserted to a small multiple of machine epsilon (2.2e-16) relative to the size of the numbers involved;
the one looser bound (quadrature) is the integrator's own error bound.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from scipy import integrate

import scoresde as sd
from tests.problems import F64, schedules

EPS = float(torch.finfo(F64).eps)
SCHEDULES = schedules()
times = st.floats(0.0, 1.0, allow_nan=False)
linear_params = st.tuples(st.floats(0.01, 5.0), st.floats(0.1, 40.0)).filter(lambda p: p[0] < p[1] - 1e-3)
cosine_params = st.tuples(st.floats(0.0, 0.05), st.floats(5.0, 2000.0))


def make_schedule(kind: str, params: tuple[float, float]) -> sd.Schedule:
    return sd.LinearSchedule(*params) if kind == "linear" else sd.CosineSchedule(*params)


schedule_strategy = st.one_of(
    linear_params.map(lambda p: make_schedule("linear", p)),
    cosine_params.map(lambda p: make_schedule("cosine", p)),
    st.sampled_from(list(SCHEDULES.values())),
)


@pytest.mark.parametrize("name", list(SCHEDULES))
def test_log_alpha_bar_is_the_integral_of_beta(name: str) -> None:
    """log ᾱ(t) = -∫₀ᵗ β, against adaptive quadrature (quad's own error estimate is the tolerance)."""
    sch = SCHEDULES[name]
    brk = [sch.t_clip] if isinstance(sch, sd.CosineSchedule) else None
    if isinstance(sch, sd.PiecewiseConstantSchedule):
        brk = list(np.arange(1, sch.N) / sch.N)
    for t in (1e-3, 0.137, 0.5, 0.9, 1.0):
        pts = [p for p in brk if p < t] if brk else None
        val, err = integrate.quad(lambda s: float(sch.beta(s)), 0.0, t, points=pts or None, limit=2000,
                                  epsabs=1e-13, epsrel=1e-13)
        assert float(-sch.log_alpha_bar(t)) == pytest.approx(val, rel=1e-11, abs=10 * err + 1e-14)


@pytest.mark.parametrize("name", [n for n in SCHEDULES if not n.startswith("piecewise")])
def test_beta_is_minus_the_derivative_of_log_alpha_bar(name: str) -> None:
    sch = SCHEDULES[name]
    t = torch.linspace(0.01, 0.99, 97, dtype=F64).requires_grad_(True)
    (d,) = torch.autograd.grad(sch.log_alpha_bar(t).sum(), t)
    torch.testing.assert_close(-d, sch.beta(t.detach()), rtol=1e-12, atol=0)


@given(sch=schedule_strategy, t=times)
def test_vp_marginal_variance_is_preserved(sch: sd.Schedule, t: float) -> None:
    """α(t)² + σ(t)² = 1 for the VP SDE of every schedule, to a few ulps."""
    alpha, sigma = sd.VPSDE(schedule=sch).marginal(t)
    assert abs(float(alpha**2 + sigma**2) - 1.0) <= 4 * EPS


@given(sch=schedule_strategy, t1=times, t2=times)
def test_sigma_increases_and_snr_decreases(sch: sd.Schedule, t1: float, t2: float) -> None:
    lo, hi = min(t1, t2), max(t1, t2)
    assert float(sch.sigma(lo)) <= float(sch.sigma(hi))
    assert float(sch.alpha_bar(lo)) >= float(sch.alpha_bar(hi))
    assert float(sch.lambda_(lo)) >= float(sch.lambda_(hi))


@given(sch=schedule_strategy, t=st.floats(1e-9, 1.0))
def test_lambda_round_trips_through_its_inverse(sch: sd.Schedule, t: float) -> None:
    """t(λ(t)) = t and λ(t(λ)) = λ; λ's conditioning near t = 0 sets the relative slack."""
    lam = sch.lambda_(t)
    t_back = sch.t_of_lambda(lam)
    assert float(t_back) == pytest.approx(t, rel=1e-12, abs=1e-15)
    assert float(sch.lambda_(t_back)) == pytest.approx(float(lam), rel=1e-12, abs=1e-12)


@given(lam=st.floats(-5.0, 30.0))
def test_t_of_lambda_then_lambda_is_identity(lam: float) -> None:
    for sch in SCHEDULES.values():
        lam_T = float(sch.lambda_(1.0))
        if lam < lam_T:
            continue
        assert float(sch.lambda_(sch.t_of_lambda(lam))) == pytest.approx(lam, rel=1e-11, abs=1e-11)


def test_lambda_limits() -> None:
    """λ(0) = +inf (σ(0) = 0) and t(+inf) = 0; λ(T) maps back to T."""
    for sch in SCHEDULES.values():
        assert float(sch.lambda_(0.0)) == math.inf
        assert float(sch.t_of_lambda(math.inf)) == 0.0
        assert float(sch.t_of_lambda(sch.lambda_(1.0))) == pytest.approx(1.0, abs=1e-12)


def test_linear_schedule_closed_form() -> None:
    sch = sd.LinearSchedule(0.1, 20.0)
    t = torch.tensor([0.0, 0.25, 1.0], dtype=F64)
    # β_min + (β_max - β_min) t against 0.1 + 19.9 t: each side is a product and a sum of non-negative terms,
    # within 2u of the exact value (u = eps/2), so they agree to 4u = 2 eps whatever the kernel
    torch.testing.assert_close(sch.beta(t), 0.1 + 19.9 * t, rtol=2 * EPS, atol=0)
    torch.testing.assert_close(sch.alpha_bar(1.0), torch.tensor(math.exp(-(0.1 + 0.5 * 19.9)), dtype=F64),
                               rtol=2 * EPS, atol=0)


def test_cosine_schedule_matches_nichol_dhariwal_before_the_clip() -> None:
    """ᾱ(t) = f(t)/f(0), f = cos²(π/2 (t+s)/(1+s)), checked in extended precision (numpy longdouble)."""
    sch = sd.CosineSchedule()
    t = np.linspace(0.0, sch.t_clip, 50)
    u = np.pi / 2 * (t.astype(np.longdouble) + 0.008) / 1.008
    u0 = np.pi / 2 * np.longdouble(0.008) / 1.008
    exact = (np.cos(u) / np.cos(u0)) ** 2
    got = sch.alpha_bar(torch.from_numpy(t)).numpy()
    # the condition number of ᾱ in t is β(t)·t: a rounding of t alone moves ᾱ by that many ulps
    cond = 1.0 + sch.beta(torch.from_numpy(t)).numpy() * t
    assert np.all(np.abs(got - exact.astype(np.float64)) <= 8 * EPS * cond * exact.astype(np.float64))
    # after the clip β is constant at beta_max and ᾱ is continuous at t_clip
    assert float(sch.beta(1.0)) == sch.beta_max
    below, above = sch.alpha_bar(sch.t_clip), sch.alpha_bar(min(sch.t_clip + 1e-12, 1.0))
    assert float(abs(below - above)) < 1e-12


def test_cosine_betas_reproduce_the_cosine_alpha_bar() -> None:
    """The discrete cosine sequence multiplies out to f(i/N)/f(0) wherever the 0.999 clip is inactive."""
    n = 1000
    chain = sd.DDPM(sd.cosine_betas(n))
    cont = sd.CosineSchedule(beta_max=1e9)  # effectively unclipped before t = 1
    i = torch.arange(1, n, dtype=F64)  # the last step is the clipped one
    unclipped = sd.cosine_betas(n)[:-1] < 0.999
    torch.testing.assert_close(chain.alpha_bars[1:n][unclipped], cont.alpha_bar(i / n)[unclipped], rtol=1e-12, atol=0)
    assert float(sd.cosine_betas(n)[-1]) == 0.999


def test_linear_betas_endpoints_and_dtype() -> None:
    b = sd.linear_betas()
    assert b.dtype == F64 and b.shape == (1000,)
    assert float(b[0]) == 1e-4 and float(b[-1]) == pytest.approx(0.02, rel=1e-15)


def test_piecewise_schedule_reproduces_the_chain_at_the_grid() -> None:
    betas = sd.cosine_betas(64)
    sch = sd.PiecewiseConstantSchedule(betas)
    chain = sd.DDPM(betas)
    grid = torch.arange(65, dtype=F64) / 64
    torch.testing.assert_close(sch.alpha_bar(grid), chain.alpha_bars, rtol=4 * EPS, atol=0)
