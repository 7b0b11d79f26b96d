r"""Exact log-likelihoods through the probability-flow ODE and the instantaneous change of variables.

The probability-flow ODE of an `SDE` (Song et al. 2021, "Score-Based Generative Modeling through Stochastic
Differential Equations", eq. 13) carries `p_{t_min}` to `p_T`:

    dx/dt = h(x, t) = f(t) x - ½ g(t)² s(x, t),    s(x, t) ≈ ∇ₓ log p_t(x).

Along a solution `x(t)` of `dx/dt = h`, the density obeys the instantaneous change of variables (Chen et al. 2018,
"Neural Ordinary Differential Equations", Theorem 1):

    d log p_t(x(t)) / dt = -∇·h(x(t), t) = -( D f(t) - ½ g(t)² ∇·s(x(t), t) ),

D the number of values per sample. Integrating from `t_min` to T (Song et al. 2021, App. D.2):

    log p_{t_min}(x) = log p_T(x(T)) + ∫_{t_min}^{T} ∇·h(x(t), t) dt
                     ≈ prior_logp(x(T)) + delta_logp,

where `p_T` is replaced by the SDE's prior (`SDE.prior_logp`) and the integral is `delta_logp`. The pair
`(x, ∫∇·h)` is one augmented ODE, solved by `torchdiffeq.odeint` with an adaptive Runge–Kutta method.

The divergence `∇·s` is either exact (D vector–Jacobian products per evaluation, by autograd) or the
Skilling–Hutchinson estimate `∇·s ≈ (1/k) Σ_j v_jᵀ (∂s/∂x) v_j` with `E[v vᵀ] = I` (Skilling 1989; Hutchinson 1989),
the probes `v_j` drawn once and held fixed along the whole trajectory as in FFJORD (Grathwohl et al. 2019). Since
`x(t)` does not depend on the probes, the estimate of `∫∇·h` is then `Σ_j v_jᵀ (∫ ∂h/∂x dt) v_j / k`, unbiased for
the exact integral (up to the solver's error).

`bits_per_dim` turns this into bits per dimension for 8-bit images with uniform dequantization; its docstring
derives every constant. docs/likelihood.md gives the measured accuracy against the exact Gaussian-mixture oracle.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from scoresde._ode import ADAPTIVE_SOLVERS, solve
from scoresde._utils import (
    FLOAT64,
    check_callable,
    check_choice,
    check_finite,
    check_generator,
    check_int,
    check_output,
    check_positive_float,
    check_sde,
    check_t_min,
)
from scoresde.sde import SDE, ScoreFn

__all__ = ["PROBES", "SOLVERS", "TRACES", "LikelihoodResult", "bits_per_dim", "log_likelihood"]

TRACES = ("exact", "hutchinson")
"""The divergence estimators of `log_likelihood`: `Σ_i ∂s_i/∂x_i` by autograd, or `(1/k) Σ_j v_jᵀ (∂s/∂x) v_j`."""

PROBES = ("rademacher", "gaussian")
"""The probe distributions of the Hutchinson estimator: ±1 entries, or standard normal entries."""

SOLVERS = tuple(ADAPTIVE_SOLVERS)
"""The adaptive torchdiffeq methods `log_likelihood` accepts. Fixed-step methods are left out on purpose: a
likelihood needs the error control that `rtol`/`atol` give, and one fixed step from `t_min` to T would be silent
nonsense."""


@dataclass(frozen=True, eq=False)  # eq=False: == on tensor fields would not give a bool
class LikelihoodResult:
    r"""What `log_likelihood` returns: `logp = prior_logp + delta_logp`, the NFE and the latent `z = x(T)`.

    All tensors are detached, of shape `(batch,)` unless stated, in x's dtype.

    Attributes:
        logp: `log p_{t_min}(x)` in nats, per sample; exactly `prior_logp + delta_logp`.
        nfe: the number of score evaluations made (every evaluation of the ODE's right-hand side, rejected
            steps and the step-size initialisation included). Each evaluation also makes D vector–Jacobian
            products (`trace="exact"`) or `probes` of them (`"hutchinson"`), one backward pass each.
        prior_logp: log of the SDE's prior at the ODE's end point, `log N(z; 0, prior_std² I)`.
        delta_logp: `∫_{t_min}^{T} ∇·h(x(t), t) dt`, the change of log-density along the flow.
        z: the end point `x(T)` of the probability-flow ODE, of the shape of x (the latent).
    """

    logp: Tensor
    nfe: int
    prior_logp: Tensor
    delta_logp: Tensor
    z: Tensor


class _AugmentedFlow:
    """The right-hand side of the augmented ODE d(x, Δ)/dt = (h(x, t), ∇·h(x, t)), counting its evaluations.

    ``vectors`` is None for the exact divergence (the standard basis) or the fixed Hutchinson probes of shape
    (k, batch, *dims).
    """

    def __init__(self, score_fn: ScoreFn, sde: SDE, batch: int, dims: tuple[int, ...], vectors: Tensor | None):
        self.score_fn = score_fn
        self.flow = sde.reverse(score_fn, probability_flow=True)
        self.batch = batch
        self.dims = dims
        self.D = math.prod(dims)
        self.vectors = vectors
        self.nfe = 0

    def __call__(self, t: Tensor, state: tuple[Tensor, Tensor]) -> tuple[Tensor, Tensor]:
        x = state[0]
        # torchdiffeq hands t in the state's dtype; coefficients are computed in float64 and cast at use
        t64 = t.detach().to(FLOAT64).expand(self.batch)
        with torch.enable_grad():
            xg = x.detach().requires_grad_(True)
            score = self.score_fn(xg, t64.to(x.dtype))
            self.nfe += 1
            self._check_score(score, x, t64)
            div_s = self._divergence(score, xg)
        drift = self.flow._drift(x, t64, score.detach())
        return drift, self.flow._divergence(t64, self.D, div_s.to(FLOAT64)).to(x.dtype)

    def _check_score(self, score: Any, x: Tensor, t: Tensor) -> None:
        """The score's output, checked at every evaluation (type, shape, dtype, graph, finiteness), naming the time."""

        def when() -> str:
            return f"at t = {float(t[0]):.6g}"

        if not isinstance(score, Tensor) or score.shape != x.shape or score.dtype != x.dtype:
            check_output(score, x, "score_fn(x, t)", dtype=True, where=when())
        if not score.requires_grad:
            raise ValueError("score_fn(x, t) must be differentiable in x (log_likelihood takes its divergence by "
                             f"autograd); it returned a tensor without a graph to x {when()} "
                             "(was it run under torch.no_grad() or detached?)")
        if not bool(torch.isfinite(score).all()):
            raise ValueError(f"score_fn(x, t) must return finite values; got NaN or inf {when()}")

    def _divergence(self, score: Tensor, xg: Tensor) -> Tensor:
        """∇·s per sample, shape (batch,): exact, Σ_i e_iᵀ (∂s/∂x) e_i, or the Hutchinson mean of v_jᵀ (∂s/∂x) v_j.

        One backward pass per vector, reusing the forward's graph. (A vmapped backward, ``is_grads_batched``,
        measured 12x slower on the Gaussian-mixture oracle and at best 1.3x faster on an MLP at D = 64, so the
        plain loop serves every score function alike.)
        """
        flat = score.reshape(self.batch, self.D)
        if self.vectors is None:
            total = torch.zeros(self.batch, dtype=xg.dtype, device=xg.device)
            for i in range(self.D):
                # samples are independent, so the gradient of Σ_b s_{b,i} gives each sample's row ∂s_i/∂x
                (row,) = torch.autograd.grad(flat[:, i].sum(), xg, retain_graph=i < self.D - 1,
                                             allow_unused=True, materialize_grads=True)
                total = total + row.reshape(self.batch, self.D)[:, i]
            return total
        k = self.vectors.shape[0]
        est = torch.zeros(self.batch, dtype=xg.dtype, device=xg.device)
        for j in range(k):
            v = self.vectors[j]
            (vjp,) = torch.autograd.grad(score, xg, v, retain_graph=j < k - 1, allow_unused=True,
                                         materialize_grads=True)
            est = est + (vjp * v).reshape(self.batch, self.D).sum(1)
        return est / k


def _draw_probes(kind: str, k: int, x: Tensor, generator: torch.Generator | None) -> Tensor:
    """k probe vectors of shape (k, *x.shape), drawn on the generator's device and moved to x's."""
    device = generator.device if generator is not None else x.device
    shape = (k, *x.shape)
    if kind == "rademacher":
        bits = torch.randint(0, 2, shape, generator=generator, device=device)
        v = 2.0 * bits.to(x.dtype) - 1.0
    else:
        v = torch.randn(shape, generator=generator, device=device, dtype=x.dtype)
    return v.to(x.device)


def log_likelihood(
    score_fn: ScoreFn,
    sde: SDE,
    x: Tensor,
    *,
    trace: str = "exact",
    probes: int = 1,
    probe: str = "rademacher",
    solver: str = "dopri5",
    rtol: float = 1e-5,
    atol: float = 1e-5,
    t_min: float = 1e-5,
    generator: torch.Generator | None = None,
) -> LikelihoodResult:
    r"""`log p_{t_min}(x) = log p_T(x(T)) + ∫ ∇·h dt` in nats, by the probability-flow ODE and a change of variables.

    With the drift `h(x, t) = f(t) x - ½ g(t)² s(x, t)` of the probability-flow ODE and D values per sample,
    the augmented ODE

        dx/dt = h(x, t),    dΔ/dt = ∇·h(x, t) = D f(t) - ½ g(t)² ∇·s(x, t),    x(t_min) = x, Δ(t_min) = 0,

    is solved from `t_min` to `T = sde.T` by `torchdiffeq.odeint`, and

        log p_{t_min}(x) = log p_T(x(T)) + Δ(T) ≈ log N(x(T); 0, prior_std² I) + Δ(T)
                         = prior_logp + delta_logp.

    This is the density of the marginal at `t_min`, the time the ODE starts from, not of the data at t = 0: at
    t = 0 the score of real data (discrete pixels, data on a manifold) is unbounded and the ODE stiff, so Song et
    al. start at `t_min = 1e-5`. Two approximations remain: the solver's error (`rtol`, `atol`) and the prior in
    place of `p_T` (for the default VP SDE, `ᾱ(1) = 4.3e-5`, so `p_T` is `N(0, I)` up to `O(√ᾱ(1)·|E x|)` in
    log-density).

    The divergence `∇·s`:

    - `trace="exact"`: `Σ_i ∂s_i/∂x_i` by autograd, D vector–Jacobian products per evaluation with the basis
      vectors, one backward pass each on the forward's graph (fine for small D; its cost grows like D).
    - `trace="hutchinson"`: `(1/k) Σ_j v_jᵀ (∂s/∂x) v_j` with `k = probes` vectors `v_j`, Rademacher (±1) or
      standard Gaussian (`probe`), drawn once from `generator` before the solve and held fixed along the
      trajectory (FFJORD). Each sample gets its own probes. Unbiased: `E[v vᵀ] = I`. For a symmetric Jacobian J
      (an exact score's is a Hessian) the Rademacher probe has the smaller variance, `2 Σ_{i≠j} J_ij²` against
      `2 ‖J‖_F²` for the Gaussian one (Hutchinson 1989). The term `D f(t)` is exact; only `∇·s` is estimated.

    The score is assumed to act on each sample independently (no coupling across the batch). Nothing is
    differentiated through: the result is detached.

    Args:
        score_fn: `score_fn(x, t) -> ∇ₓ log p_t(x)`, differentiable in x; t of shape `(batch,)` in x's dtype.
        sde: the forward SDE; its `_drift_coef`, `_g2` and `prior_logp` are used.
        x: data of shape `(batch, *dims)`, float32 or float64 (the ODE runs in x's dtype).
        trace: `"exact"` or `"hutchinson"`.
        probes: k ≥ 1, the number of Hutchinson probes per sample (ignored for the exact trace).
        probe: `"rademacher"` or `"gaussian"`.
        solver: an adaptive torchdiffeq method, one of `SOLVERS` (default `"dopri5"`).
        rtol: the solver's relative tolerance (> 0), applied to x and to Δ.
        atol: the solver's absolute tolerance (> 0), applied to x and to Δ.
        t_min: the start time, `0 < t_min < T`.
        generator: the source of the Hutchinson probes (unused by the exact trace).

    Returns:
        A [`LikelihoodResult`][scoresde.likelihood.LikelihoodResult]: `logp = prior_logp + delta_logp`
            `(batch,)`, `nfe`, and the end point `z`.

    Raises:
        TypeError: for an argument of the wrong type (named, with what it got and what is allowed), or a
            `score_fn` that returns no tensor or another dtype (naming t).
        ValueError: for an argument's value out of range or an unknown name (the error lists the valid ones), or
            a `score_fn` that returns the wrong shape, no graph to x, or non-finite values (naming t).

    References:
        - Chen, Rubanova, Bettencourt & Duvenaud 2018, "Neural Ordinary Differential Equations", NeurIPS,
          arXiv:1806.07366, Theorem 1.
        - Song, Sohl-Dickstein, Kingma, Kumar, Ermon & Poole 2021, "Score-Based Generative Modeling through
          Stochastic Differential Equations", ICLR, arXiv:2011.13456, App. D.2.
        - Grathwohl, Chen, Bettencourt, Sutskever & Duvenaud 2019, "FFJORD: Free-form Continuous Dynamics for
          Scalable Reversible Generative Models", ICLR, arXiv:1810.01367.
        - Hutchinson 1989, "A stochastic estimator of the trace of the influence matrix for Laplacian smoothing
          splines"; Skilling 1989, "The eigenvalues of mega-dimensional matrices".
    """
    check_callable(score_fn, "score_fn", "score_fn(x, t)")
    check_sde(sde)
    if not isinstance(x, Tensor):
        raise TypeError(f"x must be a torch.Tensor; got {type(x).__name__}")
    if x.dtype not in (torch.float32, torch.float64):
        raise TypeError(f"x must be a float32 or float64 tensor; got dtype {x.dtype}")
    if x.ndim < 2 or x.shape[0] == 0 or x.numel() == 0:
        raise ValueError(f"x must have shape (batch, *dims) with batch >= 1 and at least one value per sample; "
                         f"got shape {tuple(x.shape)}")
    check_finite(x, "x")
    check_choice(trace, "trace", TRACES)
    check_choice(probe, "probe", PROBES)
    check_choice(solver, "solver", SOLVERS)
    check_int(probes, "probes", minimum=1)
    check_positive_float(rtol, "rtol")
    check_positive_float(atol, "atol")
    t_min = check_t_min(t_min, sde.T)
    check_generator(generator)

    x0 = x.detach()
    vectors = _draw_probes(probe, probes, x0, generator) if trace == "hutchinson" else None
    flow = _AugmentedFlow(score_fn, sde, x0.shape[0], tuple(x0.shape[1:]), vectors)
    times = torch.tensor([t_min, sde.T], dtype=FLOAT64, device=x0.device)
    state0 = (x0, torch.zeros(x0.shape[0], dtype=x0.dtype, device=x0.device))
    with torch.no_grad():
        xs, deltas = solve(flow, state0, times, solver=solver, rtol=float(rtol), atol=float(atol))
    z, delta = xs[-1].detach(), deltas[-1].detach()
    prior = sde.prior_logp(z).to(x0.dtype)
    return LikelihoodResult(logp=prior + delta, nfe=flow.nfe, prior_logp=prior, delta_logp=delta, z=z)


def bits_per_dim(
    score_fn: ScoreFn,
    sde: SDE,
    images: Tensor,
    *,
    generator: torch.Generator | None = None,
    dtype: torch.dtype = torch.float32,
    **likelihood_kwargs: Any,
) -> Tensor:
    r"""Bits per dimension `-log₂ p_v(n + u)/D = -log p_x(x)/(D log 2) + 7` of 8-bit images, uniformly dequantized.

    The model is a density `p_x` on the scaled space `[-1, 1]^D` (that of `log_likelihood`). The images are
    integers `n ∈ {0, …, 255}^D`, `D = C·H·W`. Uniform dequantization (Theis et al. 2016; Song et al. 2021,
    App. D.2) adds `u ~ U[0, 1)^D`, drawn from `generator`:

        v = n + u ∈ [0, 256)^D,    x = 2 v / 256 - 1 = v / 128 - 1 ∈ [-1, 1)^D

    (in float32, 255 + u may round up to 256, giving x = 1).

    Change of variables. The map `v ↦ x` is affine with `∂x_i/∂v_i = 2/256 = 1/128` in each of the D dimensions,
    so `|det ∂x/∂v| = (2/256)^D` and

        p_v(v) = p_x(x) · (2/256)^D,    log p_v(v) = log p_x(x) + D log(2/256) = log p_x(x) - D log 128.

    Bits per dimension is `-log₂ p_v(v) / D`, i.e. with `log₂ a = log a / log 2`,

        bpd = -(log p_x(x) + D log(2/256)) / (D log 2) = -log p_x(x) / (D log 2) + log₂ 128
            = -log p_x(x) / (D log 2) + 7.

    (Check: `p_x` uniform on `[-1, 1]^D` has `log p_x = -D log 2`, giving bpd = 1 + 7 = 8 bits, the cost of 256
    equally likely levels.) Since `P(n) = ∫_{[0,1)^D} p_v(n + u) du ≥ exp E_u[log p_v(n + u)]` (Jensen), the
    expected bpd is an upper bound on the discrete model's `-log₂ P(n) / D`. Here `log p_x` is `log_likelihood`'s
    `log p_{t_min}`.

    Args:
        score_fn: the model's score in the [-1, 1] space, as for `log_likelihood`.
        sde: the forward SDE.
        images: uint8 tensor of shape `(batch, C, H, W)` (any `(batch, *dims)` is accepted), values 0…255.
        generator: draws u first (`torch.rand` of the images' shape, in `dtype`), then the Hutchinson probes.
        dtype: float32 or float64, the dtype of x and of the ODE solve.
        **likelihood_kwargs: passed to `log_likelihood` (`trace`, `probes`, `solver`, `rtol`, ...).

    Returns:
        bpd per image, shape `(batch,)`, in `dtype`.

    Raises:
        TypeError: if `images` is not a uint8 tensor, `dtype` not float32 or float64, or `generator` not a
            `torch.Generator`; and as `log_likelihood`.
        ValueError: if `images` has no batch dimension or no values; and as `log_likelihood`.

    References:
        - Theis, van den Oord & Bethge 2016, "A note on the evaluation of generative models", ICLR, arXiv:1511.01844.
        - Song, Sohl-Dickstein, Kingma, Kumar, Ermon & Poole 2021, "Score-Based Generative Modeling through
          Stochastic Differential Equations", ICLR, arXiv:2011.13456, App. D.2.
    """
    if not isinstance(images, Tensor):
        raise TypeError(f"images must be a torch.Tensor of dtype uint8; got {type(images).__name__}")
    if images.dtype != torch.uint8:
        raise TypeError(f"images must have dtype torch.uint8 (values 0…255); got dtype {images.dtype}")
    if images.ndim < 2 or images.shape[0] == 0 or images.numel() == 0:
        raise ValueError(f"images must have shape (batch, C, H, W) with batch >= 1; got shape {tuple(images.shape)}")
    if dtype not in (torch.float32, torch.float64):
        raise TypeError(f"dtype must be torch.float32 or torch.float64; got {dtype}")
    check_generator(generator)
    device = generator.device if generator is not None else images.device
    u = torch.rand(images.shape, generator=generator, dtype=dtype, device=device).to(images.device)
    x = (images.to(dtype) + u) * (2.0 / 256.0) - 1.0
    D = math.prod(images.shape[1:])
    logp_x = log_likelihood(score_fn, sde, x, generator=generator, **likelihood_kwargs).logp
    log_pv = logp_x + D * math.log(2.0 / 256.0)
    return -log_pv / (D * math.log(2.0))
