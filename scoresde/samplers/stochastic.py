r"""Samplers of the reverse-time SDE (Song et al. 2021, "Score-Based Generative Modeling through SDEs").

Reverse SDE, run from t = T to `t_min`: `dx = [f(t) x - g(t)² s(x, t)] dt + g(t) dw̄`.
"""

from __future__ import annotations

import torch
from torch import Tensor

from scoresde._utils import check_float, check_int
from scoresde.samplers._model import CountedScore, StepCallback, em_step, langevin_step
from scoresde.sde import SDE


def euler_maruyama(model: CountedScore, sde: SDE, x: Tensor, ts: Tensor, *, generator: torch.Generator | None,
                   on_step: StepCallback) -> Tensor:
    r"""Euler–Maruyama on the reverse SDE: `x_s = x_t - [f(t) x_t - g(t)² s(x_t, t)] Δ + g(t) √Δ z`, `Δ = t - s`.

    Weak order 1, one score evaluation per step; `z ~ N(0, I)` drawn from `generator`.

    Args:
        model: the counted score, giving `score`, `x0 = (x + σ² s)/α` and `coefficients(t) = (α(t), σ(t))`.
        sde: the forward SDE.
        x: the start `x_T`, shape `(batch, *dims)`.
        ts: the decreasing float64 grid `T = t_0 > … > t_N = t_min` (checked by `sample`).
        generator: the source of the noise.
        on_step: called as `on_step(i, t_i, x_i)` after each step.

    Returns:
        `x_{t_min}`, the shape of `x`.

    References:
        Song, Sohl-Dickstein, Kingma, Kumar, Ermon & Poole 2021, "Score-Based Generative Modeling through
        Stochastic Differential Equations", ICLR, arXiv:2011.13456, eq. 6.
    """
    for i in range(len(ts) - 1):
        x = em_step(model, x, ts[i], ts[i + 1], generator)
        on_step(i + 1, ts[i + 1], x)
    return x


def pc(model: CountedScore, sde: SDE, x: Tensor, ts: Tensor, *, generator: torch.Generator | None,
       on_step: StepCallback, snr: float = 0.16, corrector_steps: int = 1) -> Tensor:
    r"""Predictor–corrector: an Euler–Maruyama predictor from t to s, then Langevin corrector steps at s.

    Each corrector step is

        x ← x + ε s(x, s) + √(2ε) z,    ε = 2 a² (snr ‖z‖ / ‖s(x, s)‖)²,

    with `a² = (α_s/α_t)⁻²` the one-step signal factor (`1 - β_i` on the DDPM grid, 1 for VE) and the norms
    per sample over all dimensions, averaged over the batch. NFE per step: `1 + corrector_steps`.

    Args:
        model: the counted score, giving `score`, `x0 = (x + σ² s)/α` and `coefficients(t) = (α(t), σ(t))`.
        sde: the forward SDE.
        x: the start `x_T`, shape `(batch, *dims)`.
        ts: the decreasing float64 grid `T = t_0 > … > t_N = t_min` (checked by `sample`).
        generator: the source of the noise.
        on_step: called as `on_step(i, t_i, x_i)` after each step.
        snr: the corrector's signal-to-noise ratio r > 0.
        corrector_steps: Langevin steps per grid step, ≥ 0 (0 is Euler–Maruyama).

    Returns:
        `x_{t_min}`, the shape of `x`.

    Raises:
        TypeError: if `snr` is not a real number or `corrector_steps` not an int.
        ValueError: if `snr` is not finite and positive or `corrector_steps < 0`.

    References:
        Song, Sohl-Dickstein, Kingma, Kumar, Ermon & Poole 2021, "Score-Based Generative Modeling through
        Stochastic Differential Equations", ICLR, arXiv:2011.13456, Algorithms 2 and 3.
    """
    snr = check_float(snr, "snr", low=0.0, low_open=True)
    check_int(corrector_steps, "corrector_steps", minimum=0)
    for i in range(len(ts) - 1):
        t, s = ts[i], ts[i + 1]
        x = em_step(model, x, t, s, generator)
        for _ in range(corrector_steps):
            x = langevin_step(model, x, t, s, snr, generator)
        on_step(i + 1, s, x)
    return x
