r"""Solvers of the probability-flow ODE `dx/dt = f(t) x - ½ g(t)² s(x, t)` (Song et al. 2021, eq. 13).

`ode` hands it to torchdiffeq (any of its fixed or adaptive methods); `heun` is Karras et al. 2022's
second-order Algorithm 1 in the scaled variables `y = x/α` and `σ̃ = σ/α = e^{-λ}`, where the ODE reads

    dy/dσ̃ = (y - D(y, σ̃))/σ̃,   D = x̂_0, the data prediction,

which is linear in y between evaluations of D and so integrates the Gaussian part of the flow exactly.
"""

from __future__ import annotations

import torch
from torch import Tensor

from scoresde._ode import ADAPTIVE_SOLVERS, FIXED_SOLVERS, solve
from scoresde._utils import check_choice, check_positive_float
from scoresde.samplers._model import CountedScore, StepCallback
from scoresde.sde import SDE

ODE_SOLVERS = (*ADAPTIVE_SOLVERS, *FIXED_SOLVERS)
"""The torchdiffeq methods that `sample(..., method="ode", solver=...)` accepts: the adaptive ones first (they
choose their own steps to `rtol`/`atol`; the grid says where to report), then the fixed-step ones (they step along
the grid)."""


def ode(model: CountedScore, sde: SDE, x: Tensor, ts: Tensor, *, generator: torch.Generator | None,
        on_step: StepCallback, solver: str = "dopri5", rtol: float = 1e-5, atol: float = 1e-5) -> Tensor:
    r"""The probability-flow ODE `dx/dt = f(t) x - ½ g(t)² s(x, t)` solved by `torchdiffeq.odeint`.

    Fixed-step solvers step along the grid `ts`; adaptive ones choose their own steps to `rtol`/`atol` and report
    x at the grid times. Their first step is 1% of the interval and their steps land on `t_min`, so the score is never
    evaluated outside `[t_min, T]` (`scoresde._ode.solve`, shared with `log_likelihood`).

    Args:
        model: the counted score, giving `score`, `x0 = (x + σ² s)/α` and `coefficients(t) = (α(t), σ(t))`.
        sde: the forward SDE.
        x: the start `x_T`, shape `(batch, *dims)`.
        ts: the decreasing float64 grid `T = t_0 > … > t_N = t_min` (checked by `sample`).
        generator: unused (the method is deterministic); part of the common signature.
        on_step: called as `on_step(i, t_i, x_i)` after each step.
        solver: a torchdiffeq method, one of `ODE_SOLVERS` (default `"dopri5"`).
        rtol: the relative tolerance (> 0) of the adaptive solvers.
        atol: the absolute tolerance (> 0) of the adaptive solvers.

    Returns:
        `x_{t_min}`, the shape of `x`.

    Raises:
        TypeError: if a tolerance is not a real number.
        ValueError: if `solver` is unknown (the error lists `ODE_SOLVERS`) or a tolerance is not finite and positive.

    References:
        - Song, Sohl-Dickstein, Kingma, Kumar, Ermon & Poole 2021, "Score-Based Generative Modeling through
          Stochastic Differential Equations", ICLR, arXiv:2011.13456, eq. 13.
        - Chen, Rubanova, Bettencourt & Duvenaud 2018, "Neural Ordinary Differential Equations", NeurIPS,
          arXiv:1806.07366 (torchdiffeq).
    """
    check_choice(solver, "solver", ODE_SOLVERS)
    rtol, atol = check_positive_float(rtol, "rtol"), check_positive_float(atol, "atol")

    def velocity(t: Tensor, y: Tensor) -> Tensor:
        t64 = t.detach().to(torch.float64)  # stays on x's device: nothing waits for it
        return model.flow._drift(y, t64, model.score(y, t64))

    try:
        path = solve(velocity, x, ts.to(device=x.device, dtype=x.dtype), solver=solver, rtol=rtol, atol=atol)
    except (AssertionError, RuntimeError):  # an adaptive step size driven to NaN by a non-finite score
        model.raise_if_non_finite()
        raise
    for i in range(1, len(ts)):
        on_step(i, ts[i], path[i])
    final: Tensor = path[-1]
    return final


def heun(model: CountedScore, sde: SDE, x: Tensor, ts: Tensor, *, generator: torch.Generator | None,
         on_step: StepCallback) -> Tensor:
    r"""Karras et al.'s deterministic Heun sampler on `dy/dσ̃ = (y - x̂_0)/σ̃`, `y = x/α`, `σ̃ = σ/α = e^{-λ}`.

    Each step from σ̃ to σ̃' is an Euler step and a trapezoidal correction,

        y' = y + (σ̃' - σ̃) d,              d = (y - x̂_0(y, σ̃))/σ̃,
        y  ← y + (σ̃' - σ̃) (d + d')/2,     d' = (y' - x̂_0(y', σ̃'))/σ̃',

    two evaluations per step (the slope at the new point starts the next step). Second order.

    Args:
        model: the counted score, giving `score`, `x0 = (x + σ² s)/α` and `coefficients(t) = (α(t), σ(t))`.
        sde: the forward SDE.
        x: the start `x_T`, shape `(batch, *dims)`.
        ts: the decreasing float64 grid `T = t_0 > … > t_N = t_min` (checked by `sample`).
        generator: unused (the method is deterministic); part of the common signature.
        on_step: called as `on_step(i, t_i, x_i)` after each step.

    Returns:
        `x_{t_min} = α(t_min) y`, the shape of `x`.

    References:
        Karras, Aittala, Aila & Laine 2022, "Elucidating the Design Space of Diffusion-Based Generative
        Models", NeurIPS, arXiv:2206.00364, Algorithm 1.
    """
    alpha, sigma = model.coefficients(ts[0])
    y, s_cur = x / alpha, sigma / alpha
    d_cur = (y - model.x0(x, ts[0])) / s_cur
    for i in range(len(ts) - 1):
        t_next = ts[i + 1]
        a_next, sig_next = model.coefficients(t_next)
        s_next = sig_next / a_next
        y_euler = y + (s_next - s_cur) * d_cur
        d_next = (y_euler - model.x0(a_next * y_euler, t_next)) / s_next
        y = y + (s_next - s_cur) * 0.5 * (d_cur + d_next)
        s_cur = s_next
        on_step(i + 1, t_next, a_next * y)
        if i + 1 < len(ts) - 1:  # the slope at the new point starts the next step
            d_cur = (y - model.x0(a_next * y, t_next)) / s_cur
    return a_next * y

