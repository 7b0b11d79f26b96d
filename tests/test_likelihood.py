"""log_likelihood and bits_per_dim against exact answers: the Gaussian-mixture oracle's log p_{t_min}.

What is compared, and why at t_min: the probability-flow ODE starts at t_min, so what ``log_likelihood`` computes
is log p_{t_min}(x), the density of the marginal at t_min (the data convolved with N(0, σ(t_min)² I) and scaled by
α(t_min)), not the data density at t = 0. ``gm.marginal_log_prob(sde, x, t_min)`` is that density exactly.

The error has two parts, tested separately:
- the ODE solve (integration of x and of ∫∇·h): isolated by replacing the prior with the exact p_T at the same end
  point z, ``delta_logp + gm.marginal_log_prob(sde, z, T)``;
- the prior N(0, prior_std² I) in place of p_T, a property of the SDE, not of the solver (under VP β 0.1→20,
  α(1) = √ᾱ(1) = 6.6e-3, so log p_T(z) - log N(z; 0, I) ≈ α(1) zᵀ E[μ | z], of order 0.01–0.1 nats).

Measured (``python -m pytest tests/test_likelihood.py -q -s``, 2 cores), aniso16 under VP (β 0.1 → 20), 64 points,
exact trace, dopri5 at rtol = atol = 1e-5: mean |log p - exact| / d = 4.36e-4 nats (the issue's goal is 1e-3),
of which the ODE is 2.6e-5; NFE = 105. Hutchinson on 128 points, one Rademacher probe: RMS per-point error 3.87 nats;
eight: 1.20.
Bounds below are about twice (full) or four times (ODE part) the measured numbers.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import pytest
import torch

import scoresde as sd
from scoresde.likelihood import PROBES, SOLVERS, TRACES
from tests.problems import F64, aniso16_like, random_mixture

T_MIN = 1e-5
VP = sd.VPSDE(0.1, 20.0)


ANISO = aniso16_like()


@pytest.fixture(autouse=True, scope="module")
def one_thread() -> Iterator[None]:
    """These solves are thousands of tiny operations; on a 2-core machine shared with other jobs, waking the intra-op
    thread pool for each cost 6x in wall time (63 s against 11 s for this file). One thread here, restored after."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def points(gm: sd.GaussianMixture, n: int, seed: int = 1) -> torch.Tensor:
    return gm.sample(n, generator=torch.Generator().manual_seed(seed))


class Counted:
    """A score function that counts its calls and records the times it was asked about."""

    def __init__(self, score_fn: sd.ScoreFn) -> None:
        self.score_fn = score_fn
        self.calls = 0
        self.t_lo, self.t_hi = math.inf, -math.inf

    def __call__(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        self.t_lo, self.t_hi = min(self.t_lo, float(t.min())), max(self.t_hi, float(t.max()))
        return self.score_fn(x, t)


# --- exact trace against the oracle ----------------------------------------------------------------------------


def test_exact_trace_matches_the_analytic_density_on_aniso16() -> None:
    """The issue's goal: within 1e-3 nats per dimension on average (measured 4.36e-4; the ODE part 2.6e-5)."""
    x = points(ANISO, 64)
    score = Counted(ANISO.score_fn(VP))
    r = sd.log_likelihood(score, VP, x, trace="exact", rtol=1e-5, atol=1e-5, t_min=T_MIN)
    exact = ANISO.marginal_log_prob(VP, x, T_MIN)
    d = ANISO.dim
    full = (r.logp - exact).abs().mean().item() / d
    ode = (r.delta_logp + ANISO.marginal_log_prob(VP, r.z, VP.T) - exact).abs().mean().item() / d
    print(f"\naniso16 exact trace: mean |err|/d = {full:.3e} nats (ODE part {ode:.3e}), nfe = {r.nfe}")
    assert full <= 9e-4  # ≤ 1e-3, the goal; about 2x the measured 4.36e-4
    assert ode <= 1e-4  # about 4x the measured 2.6e-5
    assert r.nfe == score.calls
    torch.testing.assert_close(r.logp, r.prior_logp + r.delta_logp, rtol=0, atol=0)
    torch.testing.assert_close(r.prior_logp, VP.prior_logp(r.z), rtol=0, atol=0)
    assert r.logp.shape == (64,) and r.z.shape == x.shape and r.logp.dtype == F64


@pytest.mark.parametrize("name", ["vp", "subvp", "ve", "vp_cosine"])
@pytest.mark.parametrize("d", [1, 3])
def test_exact_trace_ode_part_on_small_mixtures(name: str, d: int) -> None:
    """VP, sub-VP, VE and a cosine VP on random 3-component mixtures, rtol = atol = 1e-5: the ODE part (exact p_T in
    place of the prior) within 2e-4 nats/dim on average (measured ≤ 7.2e-5), and within 1e-3 under the cosine
    schedule (measured 2.8e-4 at d = 1: its β has a kink where it is clipped at 999, at t = 0.998); and the full
    result equals the exact density plus the prior mismatch, computed exactly here, to within the ODE error. (That
    mismatch, not the solver, dominates the full error on these small mixtures: 3e-3 to 4e-2 nats/dim.)"""
    sde = {"vp": VP, "subvp": sd.SubVPSDE(), "ve": sd.VESDE(), "vp_cosine": sd.VPSDE(schedule=sd.CosineSchedule())}[
        name
    ]
    gm = random_mixture(3, d, seed=d)
    x = points(gm, 16)
    r = sd.log_likelihood(gm.score_fn(sde), sde, x, rtol=1e-5, atol=1e-5, t_min=T_MIN)
    exact = gm.marginal_log_prob(sde, x, T_MIN)
    p_T = gm.marginal_log_prob(sde, r.z, sde.T)
    ode_err = (r.delta_logp + p_T - exact).abs()
    assert ode_err.mean().item() / d <= (1e-3 if name == "vp_cosine" else 2e-4)
    # logp - exact = (prior - log p_T)(z) + ODE error: the mismatch is a property of the SDE, known exactly here
    torch.testing.assert_close(r.logp - exact, r.prior_logp - p_T, rtol=0, atol=float(ode_err.max()) + 1e-12)


def test_float32_input_gives_float32_and_the_same_accuracy() -> None:
    x = points(ANISO, 16)
    r = sd.log_likelihood(ANISO.score_fn(VP), VP, x.float())
    assert r.logp.dtype == torch.float32 and r.z.dtype == torch.float32
    err = (r.logp.double() - ANISO.marginal_log_prob(VP, x, T_MIN)).abs().mean().item() / ANISO.dim
    assert err <= 1e-3


def test_image_shaped_input_equals_flat_input() -> None:
    gm = random_mixture(2, 4, seed=0)
    x = points(gm, 8)
    flat = sd.log_likelihood(gm.score_fn(VP), VP, x)
    img = sd.log_likelihood(gm.score_fn(VP), VP, x.reshape(8, 1, 2, 2))
    torch.testing.assert_close(img.logp, flat.logp, rtol=1e-12, atol=1e-12)
    assert img.z.shape == (8, 1, 2, 2) and img.nfe == flat.nfe


@pytest.mark.parametrize("solver", ["dopri8", "bosh3"])
def test_other_adaptive_solvers(solver: str) -> None:
    gm = random_mixture(2, 2, seed=5)
    x = points(gm, 8)
    r = sd.log_likelihood(gm.score_fn(VP), VP, x, solver=solver, rtol=1e-6, atol=1e-6)
    ode = (r.delta_logp + gm.marginal_log_prob(VP, r.z, 1.0) - gm.marginal_log_prob(VP, x, T_MIN)).abs()
    assert ode.max().item() <= 1e-4


# --- function evaluations and the time interval ------------------------------------------------------------------


@pytest.mark.parametrize("sde", [VP, sd.VESDE()], ids=["vp", "ve"])
@pytest.mark.parametrize("trace", TRACES)
def test_nfe_is_every_score_call_and_times_stay_in_t_min_to_T(sde: sd.SDE, trace: str) -> None:
    """A counting wrapper agrees with result.nfe (rejected steps and the step-size start included), and the score is
    never asked about a time outside [t_min, T]: steps are clipped at T and the first step is capped. (torchdiffeq's
    own first-step rule probes t0 + h0 with h0 up to 100x the span under VE, and its last step overshoots T.)"""
    gm = random_mixture(2, 2, seed=0)
    score = Counted(gm.score_fn(sde))
    r = sd.log_likelihood(score, sde, points(gm, 4), trace=trace, t_min=1e-3, generator=torch.Generator())
    assert r.nfe == score.calls > 0
    assert 1e-3 <= score.t_lo and score.t_hi <= sde.T


# --- Hutchinson ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("probe", PROBES)
def test_hutchinson_is_unbiased(probe: str) -> None:
    """One aniso16 point, repeated 512 times with a probe each: the mean of the estimates of ∫∇·h equals the exact
    trace's within 4 standard errors (the probes are fixed along each trajectory, so the estimate is vᵀ(∫J)v)."""
    x = points(ANISO, 1, seed=3)
    exact = sd.log_likelihood(ANISO.score_fn(VP), VP, x, rtol=1e-6, atol=1e-6)
    n = 512
    est = sd.log_likelihood(ANISO.score_fn(VP), VP, x.expand(n, -1), trace="hutchinson", probe=probe,
                            generator=torch.Generator().manual_seed(0), rtol=1e-6, atol=1e-6)
    diff = est.delta_logp - exact.delta_logp
    se = diff.std().item() / math.sqrt(n)
    assert abs(diff.mean().item()) < 4 * se
    assert diff.std().item() > 0.1  # the probes differ across the batch


def test_hutchinson_per_point_error_for_1_and_8_probes_on_aniso16() -> None:
    """Report the per-point error (printed; in docs/likelihood.md) and check it falls like 1/√k: the 8-probe RMS
    error is 1/√8 = 0.354 of the 1-probe one, within the noise of a 128-point estimate. Measured: Rademacher
    3.87 / 1.20 nats RMS (0.242 / 0.075 nats per dimension; ratio 0.31), Gaussian 29.9 / 11.9 nats."""
    x = points(ANISO, 128)
    exact = ANISO.marginal_log_prob(VP, x, T_MIN)
    rms = {}
    for k in (1, 8):
        r = sd.log_likelihood(ANISO.score_fn(VP), VP, x, trace="hutchinson", probes=k,
                              generator=torch.Generator().manual_seed(k))
        err = r.logp - exact
        rms[k] = err.pow(2).mean().sqrt().item()
        print(f"\naniso16 Hutchinson, {k} Rademacher probe(s): RMS per-point error {rms[k]:.3f} nats "
              f"({rms[k] / ANISO.dim:.4f}/dim), mean |err| {err.abs().mean().item():.3f}, nfe {r.nfe}")
    assert 0.22 < rms[8] / rms[1] < 0.5


def test_hutchinson_is_reproducible_from_the_generator() -> None:
    gm = random_mixture(2, 3, seed=1)
    x = points(gm, 4)

    def run(seed: int) -> torch.Tensor:
        return sd.log_likelihood(gm.score_fn(VP), VP, x, trace="hutchinson", probes=2,
                                 generator=torch.Generator().manual_seed(seed)).logp

    assert torch.equal(run(0), run(0))
    assert not torch.equal(run(0), run(1))


# --- bits per dimension --------------------------------------------------------------------------------------------


def centred_mixture(seed: int = 0) -> sd.GaussianMixture:
    """A 3-component mixture in [-1, 1]^4 with diagonal covariances and mean zero. Mean zero makes the prior mismatch
    second order in α(1) (log p_T(z) - log N(z; 0, I) = α(1) zᵀ E[x_0] + O(α(1)²)), ~1e-5 nats, so bits_per_dim is
    compared with the oracle without that term; diagonal covariances make the bin probabilities products of CDFs."""
    g = torch.Generator().manual_seed(seed)
    w = torch.tensor([0.5, 0.3, 0.2], dtype=F64)
    means = 0.5 * (2 * torch.rand(3, 4, dtype=F64, generator=g) - 1)
    stds = 0.15 + 0.25 * torch.rand(3, 4, dtype=F64, generator=g)
    return sd.GaussianMixture(w, means - w @ means, torch.diag_embed(stds**2))


def images_from(gm: sd.GaussianMixture, n: int, seed: int) -> torch.Tensor:
    """uint8 images (n, 1, 2, 2) near the mixture's mass: pixel = floor(128 (x + 1))."""
    x = points(gm, n, seed)
    return ((x + 1) * 128).floor().clamp(0, 255).to(torch.uint8).reshape(n, 1, 2, 2)


def test_bits_per_dim_matches_the_change_of_variables_with_the_oracle() -> None:
    """bpd = -(log p_x(x) + D log(2/256)) / (D log 2) with x = 2(n + u)/256 - 1, computed here from the oracle's
    density with the same u (the generator's first draw). Measured: max difference 8e-5 bits (rtol 1e-6)."""
    gm = centred_mixture()
    images = images_from(gm, 16, seed=2)
    bpd = sd.bits_per_dim(gm.score_fn(VP), VP, images, generator=torch.Generator().manual_seed(7),
                          dtype=F64, rtol=1e-6, atol=1e-6)
    u = torch.rand(images.shape, generator=torch.Generator().manual_seed(7), dtype=F64)
    x = 2 * (images.to(F64) + u) / 256 - 1
    D = 4
    exact = -(gm.marginal_log_prob(VP, x, T_MIN) + D * math.log(2 / 256)) / (D * math.log(2))
    assert bpd.shape == (16,) and bpd.dtype == F64
    torch.testing.assert_close(bpd, exact, rtol=0, atol=5e-4)  # 255-for-256 would be off by log2(256/255) = 5.6e-3


def test_bits_per_dim_estimates_the_discrete_probability_of_the_pixels() -> None:
    """Independent of the Jacobian algebra: the probability of the pixel values n is P(n) = ∫ over the bin
    Π_i [n_i/128 - 1, (n_i+1)/128 - 1) of p_x, a product of normal-CDF differences per (diagonal) component, and
    bits/dim of the discrete model is -log₂ P(n) / D. E_u[bpd] ≥ that (Jensen), by a gap ½ Var_u(log p) / (D log 2) of
    a few 1e-4 bits here. Averaged over 8 images x 16 draws of u: within 4 standard errors + 1e-3 bits (measured
    difference 4e-4 ± 7e-4)."""
    gm = centred_mixture()
    n_img, reps, D = 8, 16, 4
    images = images_from(gm, n_img, seed=3)
    bpd = sd.bits_per_dim(gm.score_fn(VP), VP, images.repeat_interleave(reps, 0),
                          generator=torch.Generator().manual_seed(1), dtype=F64)
    mt = gm.marginal_mixture(VP, T_MIN)
    lo = images.reshape(n_img, 1, D).to(F64) / 128 - 1
    std = mt.covs.diagonal(dim1=1, dim2=2).sqrt()[None]
    ndtr = torch.special.ndtr
    cdf_gap = ndtr((lo + 1 / 128 - mt.means[None]) / std) - ndtr((lo - mt.means[None]) / std)
    discrete = -torch.log2((mt.weights[None] * cdf_gap.prod(-1)).sum(1)) / D
    diff = bpd.reshape(n_img, reps) - discrete[:, None]
    se = diff.std().item() / math.sqrt(n_img * reps)
    assert abs(diff.mean().item()) < 4 * se + 1e-3


def test_bits_per_dim_is_log_likelihood_plus_the_dequantization_constants() -> None:
    """The bookkeeping alone, exactly: bpd = -logp / (D log 2) + log₂ 128, with log₂ 128 = 7."""
    gm = random_mixture(2, 4, seed=4)
    images = torch.randint(0, 256, (3, 1, 2, 2), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    bpd = sd.bits_per_dim(gm.score_fn(VP), VP, images, generator=torch.Generator().manual_seed(5), dtype=F64)
    u = torch.rand(images.shape, generator=torch.Generator().manual_seed(5), dtype=F64)
    logp = sd.log_likelihood(gm.score_fn(VP), VP, (images.to(F64) + u) / 128 - 1).logp
    torch.testing.assert_close(bpd, -logp / (4 * math.log(2)) + 7, rtol=1e-14, atol=1e-12)


# --- bad input -----------------------------------------------------------------------------------------------------

GM2 = random_mixture(2, 2, seed=0)
S2 = GM2.score_fn(VP)
X2 = torch.zeros(3, 2, dtype=F64)
IMG = torch.zeros(2, 1, 2, 2, dtype=torch.uint8)
NOT_A_TENSOR: Any = [[0, 1]]
NOT_A_GENERATOR: Any = 1


def ll(**kw: object):  # type: ignore[no-untyped-def]
    """A call of log_likelihood with valid arguments except those given."""
    args = {"score_fn": S2, "sde": VP, "x": X2, **kw}
    score_fn, sde, x = args.pop("score_fn"), args.pop("sde"), args.pop("x")
    return lambda: sd.log_likelihood(score_fn, sde, x, **args)  # type: ignore[arg-type]


BAD = [
    ("score_fn", ll(score_fn=3), TypeError, r"score_fn must be callable.*int"),
    ("sde", ll(sde="vp"), TypeError, r"sde must be an SDE; got str"),
    ("x-list", ll(x=[[0.0, 0.0]]), TypeError, r"x must be a torch.Tensor; got list"),
    ("x-int", ll(x=torch.zeros(3, 2, dtype=torch.int64)), TypeError, r"x must be a float32 or float64.*int64"),
    ("x-half", ll(x=torch.zeros(3, 2, dtype=torch.float16)), TypeError, r"x must be a float32 or float64.*float16"),
    ("x-1d", ll(x=torch.zeros(3, dtype=F64)), ValueError, r"x must have shape \(batch, \*dims\).*\(3,\)"),
    ("x-empty", ll(x=torch.zeros(0, 2, dtype=F64)), ValueError, r"x must have shape.*\(0, 2\)"),
    ("x-nan", ll(x=torch.full((3, 2), math.nan, dtype=F64)), ValueError, r"x must be finite.*nan"),
    ("trace", ll(trace="stochastic"), ValueError, r"trace must be one of 'exact', 'hutchinson'; got 'stochastic'"),
    ("probe", ll(probe="uniform"), ValueError, r"probe must be one of 'rademacher', 'gaussian'; got 'uniform'"),
    ("solver", ll(solver="euler"), ValueError, r"solver must be one of 'dopri5', .*'adaptive_heun'; got 'euler'"),
    ("probes-0", ll(probes=0), ValueError, r"probes must be an integer >= 1; got 0"),
    ("probes-float", ll(probes=2.0), TypeError, r"probes must be an int; got float"),
    ("rtol", ll(rtol=0.0), ValueError, r"rtol must be a finite number > 0; got 0.0"),
    ("atol", ll(atol=-1e-5), ValueError, r"atol must be a finite number > 0; got -1e-05"),
    ("t_min-0", ll(t_min=0.0), ValueError, r"t_min must lie in \(0, 1\); got 0.0"),
    ("t_min-T", ll(t_min=1.0), ValueError, r"t_min must lie in \(0, 1\).*got 1.0"),
    ("t_min-neg", ll(t_min=-1e-3), ValueError, r"t_min must lie in \(0, 1\).*got -0.001"),
    ("t_min-nan", ll(t_min=math.nan), ValueError, r"t_min must lie in \(0, 1\).*got nan"),
    ("t_min-str", ll(t_min="1e-5"), TypeError, r"t_min must be a real number; got str"),
    ("generator", ll(generator=0), TypeError, r"generator must be a torch.Generator or None; got int"),
    ("score-shape", ll(score_fn=lambda x, t: x[:, :1] * 1.0), ValueError,
     r"score_fn\(x, t\) must return a tensor of the shape of x, \(3, 2\); got \(3, 1\) at t = 1e-05"),
    ("score-type", ll(score_fn=lambda x, t: 0.0), TypeError, r"must return a torch.Tensor.*got float at t = 1e-05"),
    ("score-dtype", ll(score_fn=lambda x, t: x.float()), TypeError, r"must return x's dtype, torch.float64; got "
     r"torch.float32 at t = 1e-05"),
    ("score-nograd", ll(score_fn=lambda x, t: x.detach()), ValueError, r"differentiable in x.*at t = 1e-05"),
    ("score-nan", ll(score_fn=lambda x, t: x * math.nan), ValueError, r"must return finite values.*at t = 1e-05"),
    ("bpd-float", lambda: sd.bits_per_dim(S2, VP, IMG.float()), TypeError, r"images must have dtype torch.uint8.*"
     r"float32"),
    ("bpd-list", lambda: sd.bits_per_dim(S2, VP, NOT_A_TENSOR), TypeError, r"images must be a torch.Tensor.*list"),
    ("bpd-1d", lambda: sd.bits_per_dim(S2, VP, torch.zeros(4, dtype=torch.uint8)), ValueError,
     r"images must have shape \(batch, C, H, W\).*\(4,\)"),
    ("bpd-dtype", lambda: sd.bits_per_dim(S2, VP, IMG, dtype=torch.float16), TypeError,
     r"dtype must be torch.float32 or torch.float64; got torch.float16"),
    ("bpd-generator", lambda: sd.bits_per_dim(S2, VP, IMG, generator=NOT_A_GENERATOR), TypeError,
     r"generator must be a torch.Generator or None; got int"),
    ("bpd-kwarg", lambda: sd.bits_per_dim(S2, VP, IMG, trace="nope"), ValueError, r"trace must be one of"),
]


@pytest.mark.parametrize(("call", "exc", "match"), [pytest.param(c, e, m, id=i) for i, c, e, m in BAD])
def test_rejects(call, exc, match) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(exc, match=match):
        call()


def test_solver_names_are_torchdiffeq_adaptive_methods() -> None:
    from torchdiffeq._impl.odeint import SOLVERS as TORCHDIFFEQ

    assert set(SOLVERS) <= set(TORCHDIFFEQ)
