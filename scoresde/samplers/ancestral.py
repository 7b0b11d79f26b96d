r"""Ancestral sampling (Ho et al. 2020) and DDIM (Song, Meng & Ermon 2021) on any grid of any SDE.

Between two grid times s < t the forward kernel is `p(x_t | x_s) = N(a x_s, v² I)`, `a = α_t/α_s`,
`v² = σ_t² - a² σ_s²` (`SDE.transition`). Given `x_0` the posterior of `x_s` is (Kingma et al. 2021, eq. 31)

    q(x_s | x_t, x_0) = N(μ, τ² I),   μ = (a σ_s²/σ_t²) x_t + (α_s v²/σ_t²) x_0,   τ² = v² σ_s²/σ_t²,

which on the DDPM grid is exactly the posterior of `DDPM.posterior`. Ancestral sampling draws from it
with `x_0` replaced by the prediction `x̂_0 = (x_t + σ_t² s)/α_t`; DDIM keeps the marginals with a noise
level `η τ`, η = 0 deterministic, η = 1 ancestral.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from scoresde._utils import check_float
from scoresde.samplers._model import CountedScore, StepCallback
from scoresde.sde import SDE


def ancestral(model: CountedScore, sde: SDE, x: Tensor, ts: Tensor, *, generator: torch.Generator | None,
              on_step: StepCallback) -> Tensor:
    r"""DDPM ancestral sampling: `x_s ~ q(x_s | x_t, x̂_0(x_t))` at each step, on any grid of any SDE.

    With `a = α_t/α_s`, `v² = σ_t² - a² σ_s²` (the forward kernel from s to t) and `x̂_0 = (x_t + σ_t² s)/α_t`,

        x_s = (a σ_s²/σ_t²) x_t + (α_s v²/σ_t²) x̂_0 + τ z,    τ² = v² σ_s²/σ_t²,    z ~ N(0, I),

    which on the DDPM grid of `VPSDE.from_ddpm` is Ho et al.'s sampler. One evaluation per step.

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
        - Ho, Jain & Abbeel 2020, "Denoising Diffusion Probabilistic Models", NeurIPS, arXiv:2006.11239, Algorithm 2.
        - Kingma, Salimans, Poole & Ho 2021, "Variational Diffusion Models", NeurIPS, arXiv:2107.00630, eq. 31.
    """
    for i in range(len(ts) - 1):
        t, s = ts[i], ts[i + 1]
        x0 = model.x0(x, t)
        (alpha_s, sigma_s), (_, sigma_t) = model.coefficients(s), model.coefficients(t)
        a, v = (float(c) for c in sde._transition(s, t))
        mean = (a * sigma_s**2 / sigma_t**2) * x + (alpha_s * v**2 / sigma_t**2) * x0
        tau = v * sigma_s / sigma_t
        x = mean + tau * torch.randn(x.shape, generator=generator, dtype=x.dtype, device=x.device)
        on_step(i + 1, s, x)
    return x


def ddim(model: CountedScore, sde: SDE, x: Tensor, ts: Tensor, *, generator: torch.Generator | None,
         on_step: StepCallback, eta: float = 0.0) -> Tensor:
    r"""DDIM: `x_s = α_s x̂_0 + √(σ_s² - c²) ε̂ + c z`, `c = η τ`, `ε̂ = (x_t - α_t x̂_0)/σ_t`, `τ = v σ_s/σ_t`.

    η = 0 is the deterministic sampler (a first-order solver of the probability-flow ODE in the
    scaled variables x/α, σ/α; DPM-Solver++ of order 1), η = 1 has the ancestral sampler's marginals.
    One evaluation per step.

    Args:
        model: the counted score, giving `score`, `x0 = (x + σ² s)/α` and `coefficients(t) = (α(t), σ(t))`.
        sde: the forward SDE.
        x: the start `x_T`, shape `(batch, *dims)`.
        ts: the decreasing float64 grid `T = t_0 > … > t_N = t_min` (checked by `sample`).
        generator: the source of the noise.
        on_step: called as `on_step(i, t_i, x_i)` after each step.
        eta: the noise level η ∈ [0, 1].

    Returns:
        `x_{t_min}`, the shape of `x`.

    Raises:
        TypeError: if `eta` is not a real number.
        ValueError: if `eta` is not in [0, 1].

    References:
        Song, Meng & Ermon 2021, "Denoising Diffusion Implicit Models", ICLR, arXiv:2010.02502, eq. 12.
    """
    eta = check_float(eta, "eta", low=0.0, high=1.0)
    for i in range(len(ts) - 1):
        t, s = ts[i], ts[i + 1]
        (alpha_t, sigma_t), (alpha_s, sigma_s) = model.coefficients(t), model.coefficients(s)
        x0 = model.x0(x, t)
        eps = (x - alpha_t * x0) / sigma_t
        _, v = (float(c) for c in sde._transition(s, t))
        c = eta * v * sigma_s / sigma_t
        x = alpha_s * x0 + math.sqrt(max(sigma_s**2 - c**2, 0.0)) * eps
        if c > 0:
            x = x + c * torch.randn(x.shape, generator=generator, dtype=x.dtype, device=x.device)
        on_step(i + 1, s, x)
    return x
