r"""Inpainting: sample the unknown pixels given the known ones, with an unconditional score model.

Song et al. 2021 ("Score-Based Generative Modeling through SDEs", §5 and App. I.2) solve the reverse SDE for the
whole image and, after every predictor and corrector step at time s, overwrite the known pixels Ω with a fresh
forward perturbation of the data there,

    x_s(Ω) ← α(s) y(Ω) + σ(s) z,    z ~ N(0, I),

so that the unknown pixels are always evolved next to known pixels distributed as p_s(x(Ω) | y). This conditions
the unknown part through the score's dependence on the known part. It is exact when the two parts are independent
and an approximation otherwise (the known pixels' noise is drawn afresh, not conditioned on the unknown ones).
At the end the known pixels are set to y exactly.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from scoresde._utils import (
    check_bool,
    check_callable,
    check_choice,
    check_finite,
    check_int,
    check_positive_float,
    check_sde,
    check_tensor,
)
from scoresde.samplers._model import CountedScore, em_step, langevin_step
from scoresde.sde import SDE, ScoreFn
from scoresde.timesteps import GRIDS, time_grid

__all__ = ["INPAINT_METHODS", "inpaint"]

INPAINT_METHODS = ("pc", "euler_maruyama")
"""The reverse-SDE samplers `inpaint` runs: predictor–corrector or Euler–Maruyama alone."""


def _check_mask(mask: Any, y: Tensor) -> Tensor:
    if not isinstance(mask, Tensor):
        raise TypeError(f"mask must be a tensor (1 or True where the pixel is known); got {type(mask).__name__}")
    try:
        known = torch.broadcast_to(mask, y.shape)
    except RuntimeError as err:
        raise ValueError(f"mask of shape {tuple(mask.shape)} does not broadcast to the data's shape "
                         f"{tuple(y.shape)}") from err
    if known.dtype != torch.bool:
        if not bool(((known == 0) | (known == 1)).all()):
            raise ValueError("mask must hold only 0 and 1 (or booleans): 1 where the pixel is known")
        known = known != 0
    return known.to(y.device)


def inpaint(
    score_fn: ScoreFn,
    sde: SDE,
    y: Tensor,
    mask: Tensor,
    *,
    steps: int = 500,
    method: str = "pc",
    generator: torch.Generator | None = None,
    t_min: float = 1e-3,
    grid: str = "uniform",
    snr: float = 0.16,
    corrector_steps: int = 1,
    denoise: bool = True,
) -> Tensor:
    r"""Fill in the pixels of `y` where `mask` is 0, by the reverse SDE with the known pixels replaced.

    After every predictor and corrector step at time s the known pixels Ω are overwritten with a fresh forward
    perturbation of the data,

        x_s(Ω) ← α(s) y(Ω) + σ(s) z,    z ~ N(0, I),

    so the unknown pixels evolve next to known ones distributed as `p_s(x(Ω) | y)`; at the end the known pixels
    are set to y exactly. Exact when the two parts are independent, an approximation otherwise.

    Args:
        score_fn: the unconditional score `s(x, t) ≈ ∇ log p_t(x)`.
        sde: the forward SDE.
        y: the data, `(batch, *dims)`; its values where `mask` is 0 are ignored.
        mask: broadcastable to `y`; 1 (or True) where the pixel is known.
        steps: grid steps from T to `t_min`.
        method: `"pc"` (Euler–Maruyama predictor + Langevin corrector, Song et al.'s choice) or
            `"euler_maruyama"`.
        generator: the source of all noise.
        t_min: the last grid time, `0 < t_min < T`.
        grid: the kind of time grid, one of `GRIDS` (see [`time_grid`][scoresde.timesteps.time_grid]).
        snr: the corrector's signal-to-noise ratio (`"pc"` only).
        corrector_steps: Langevin corrector steps per grid step (`"pc"` only), ≥ 0.
        denoise: end with Tweedie's `x̂_0` at `t_min`.

    Returns:
        The completed images, the shape of `y`, equal to `y` where the mask is 1.

    Raises:
        TypeError: if `sde` is not an `SDE`, `score_fn` not callable, `y` not a floating-point tensor, `mask` not a
            tensor, `steps` or `corrector_steps` not an int, `snr` or `t_min` not a real number, `method` or `grid`
            not a string, `generator` not a `torch.Generator`, or `denoise` not a bool.
        ValueError: if `y` is not finite or has no batch dimension, `mask` does not broadcast to `y` or holds
            values other than 0 and 1, `method` or `grid` is unknown, `steps < 1`, `snr` is not positive,
            `corrector_steps < 0`, `t_min` leaves `(0, T)`, or `score_fn` returns a wrong shape or non-finite values.

    References:
        Song, Sohl-Dickstein, Kingma, Kumar, Ermon & Poole 2021, "Score-Based Generative Modeling through
        Stochastic Differential Equations", ICLR, arXiv:2011.13456, §5 and App. I.2.
    """
    check_sde(sde)
    check_callable(score_fn, "score_fn", "score_fn(x, t)")
    check_tensor(y, "y")
    check_finite(y, "y")
    if y.ndim < 2 or y.numel() == 0:
        raise ValueError(f"y must be a non-empty batch of shape (batch, *dims); got shape {tuple(y.shape)}")
    known = _check_mask(mask, y)
    check_choice(method, "method", INPAINT_METHODS)
    check_int(steps, "steps", minimum=1)
    snr = check_positive_float(snr, "snr")
    check_int(corrector_steps, "corrector_steps", minimum=0)
    check_bool(denoise, "denoise")
    ts = time_grid(sde, steps, grid=check_choice(grid, "grid", GRIDS), t_min=t_min)
    model = CountedScore(score_fn, sde)

    def replace_known(x: Tensor, t: Tensor) -> Tensor:
        alpha, sigma = (float(c) for c in sde._marginal(t))
        z = torch.randn(y.shape, generator=generator, dtype=y.dtype, device=y.device)
        return torch.where(known, alpha * y + sigma * z, x)

    x = replace_known(sde.prior_sample(tuple(y.shape), generator=generator, dtype=y.dtype, device=y.device), ts[0])
    for i in range(steps):
        t, s = ts[i], ts[i + 1]
        x = replace_known(em_step(model, x, t, s, generator), s)
        for _ in range(corrector_steps if method == "pc" else 0):
            x = replace_known(langevin_step(model, x, t, s, snr, generator), s)
    if denoise:
        x = model.x0(x, ts[-1])
    model.raise_if_non_finite()
    return torch.where(known, y, x)
