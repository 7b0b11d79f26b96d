r"""Time grids for samplers, `T = t_0 > t_1 > … > t_N = t_min`.

    uniform    t_i evenly spaced in t                                   (Song et al. 2021)
    quadratic  t_i = t_min + (T - t_min) (1 - i/N)²: denser near the data (Song, Meng & Ermon 2021, DDIM)
    logsnr     λ(t_i) evenly spaced, λ = log(α/σ)                        (Lu et al. 2022, DPM-Solver)
    karras     σ̃_i = (σ̃_max^{1/ρ} + i/N (σ̃_min^{1/ρ} - σ̃_max^{1/ρ}))^ρ in the scaled noise
               level σ̃ = σ/α = e^{-λ}, ρ = 7                           (Karras et al. 2022, EDM, eq. 5)

The log-SNR and Karras grids are mapped back to t through the SDE's own `t_of_lambda`, so one
grid definition serves VP, sub-VP and VE alike. Every grid is checked to be strictly decreasing:
two coinciding times would make a multistep solver divide by a zero step.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import Tensor

from scoresde._utils import FLOAT64, check_choice, check_int, check_positive_float, check_sde, check_t_min
from scoresde.sde import SDE

__all__ = ["GRIDS", "check_grid", "time_grid"]

GRIDS = ("uniform", "quadratic", "logsnr", "karras")
"""The kinds of grid of `time_grid` (its `grid` argument, and `sample`'s): uniform in t, quadratic in t, uniform in
λ = log(α/σ), and Karras et al.'s ρ-grid."""


def time_grid(sde: SDE, steps: int, *, grid: str = "uniform", t_min: float = 1e-3, rho: float = 7.0) -> Tensor:
    r"""A decreasing grid `T = t_0 > t_1 > … > t_N = t_min` of `steps + 1` times, with `u_i = i/N`:

        uniform    t_i = T + (t_min - T) u_i
        quadratic  t_i = t_min + (T - t_min) (1 - u_i)²
        logsnr     λ(t_i) = λ(T) + (λ(t_min) - λ(T)) u_i,                  λ = log(α/σ)
        karras     σ̃_i = (σ̃_max^{1/ρ} + u_i (σ̃_min^{1/ρ} - σ̃_max^{1/ρ}))^ρ,   σ̃ = σ/α = e^{-λ}

    The last two are mapped back to t by `sde.t_of_lambda`, so one definition serves every SDE.

    Args:
        sde: the SDE whose λ(t) defines the log-SNR and Karras grids.
        steps: number of steps N ≥ 1.
        grid: the kind of grid, `"uniform"`, `"quadratic"`, `"logsnr"` or `"karras"` (one of `GRIDS`).
        t_min: the last time, `0 < t_min < T`.
        rho: the Karras exponent ρ > 0 (only for `grid="karras"`).

    Returns:
        The grid, float64 of shape `(steps + 1,)`, with exact end points T and `t_min`.

    Raises:
        TypeError: if `sde` is not an `SDE`, `steps` not an int, `grid` not a string, or `t_min`, `rho` not real
            numbers.
        ValueError: if `steps < 1`, `grid` is unknown (the error lists `GRIDS`), `t_min` leaves `(0, T)`,
            `rho` is not positive, or the grid does not strictly decrease.

    References:
        - Song, Sohl-Dickstein, Kingma, Kumar, Ermon & Poole 2021, "Score-Based Generative Modeling through
          Stochastic Differential Equations", ICLR, arXiv:2011.13456 (uniform).
        - Song, Meng & Ermon 2021, "Denoising Diffusion Implicit Models", ICLR, arXiv:2010.02502 (quadratic).
        - Lu, Zhou, Bao, Chen, Li & Zhu 2022, "DPM-Solver", NeurIPS, arXiv:2206.00927 (logsnr).
        - Karras, Aittala, Aila & Laine 2022, "Elucidating the Design Space of Diffusion-Based Generative
          Models", NeurIPS, arXiv:2206.00364, eq. 5 (karras).
    """
    check_sde(sde)
    check_int(steps, "steps", minimum=1)
    check_choice(grid, "grid", GRIDS)
    t_min = check_t_min(t_min, sde.T)
    u = torch.linspace(0.0, 1.0, steps + 1, dtype=FLOAT64)  # 0 at T, 1 at t_min
    if grid == "uniform":
        ts = sde.T + (t_min - sde.T) * u
    elif grid == "quadratic":
        ts = t_min + (sde.T - t_min) * (1.0 - u) ** 2
    else:
        lam_hi, lam_lo = (float(v) for v in sde.lambda_(torch.tensor([t_min, sde.T], dtype=FLOAT64)))
        if grid == "logsnr":
            lam = lam_lo + (lam_hi - lam_lo) * u
        else:
            rho = check_positive_float(rho, "rho")
            s_max, s_min = math.exp(-lam_lo), math.exp(-lam_hi)  # σ̃ = e^{-λ}
            lam = -rho * torch.log(s_max ** (1 / rho) + u * (s_min ** (1 / rho) - s_max ** (1 / rho)))
        ts = sde.t_of_lambda(lam.clamp(lam_lo, lam_hi))
    ts[0], ts[-1] = sde.T, t_min  # exact end points (the formulas above give them only to round-off)
    return check_grid(ts, sde.T)


def check_grid(grid: Any, T: float) -> Tensor:
    """Return `grid` as float64 after checking `T ≥ t_0 > t_1 > … > t_N > 0` (1-D, at least 2 points).

    Two coinciding times would make a multistep solver divide by a zero step, so equality is refused too.

    Args:
        grid: a 1-D tensor of times.
        T: the SDE's end time.

    Returns:
        The grid, float64 on the CPU.

    Raises:
        TypeError: if `grid` is not a tensor.
        ValueError: if it is not 1-D with at least 2 times, a time is not finite or leaves `(0, T]`, or it does
            not strictly decrease (naming the first offending pair).
    """
    if not isinstance(grid, Tensor):
        raise TypeError(f"grid must be a 1-D tensor of times or one of {', '.join(map(repr, GRIDS))}; "
                        f"got {type(grid).__name__}")
    g = grid.detach().to(dtype=FLOAT64, device="cpu")
    if g.ndim != 1 or g.numel() < 2:
        raise ValueError(f"grid must be 1-D with at least 2 times; got shape {tuple(g.shape)}")
    if not bool(torch.isfinite(g).all()) or float(g.min()) <= 0 or float(g.max()) > T:
        raise ValueError(f"grid times must lie in (0, {T:g}]; got values in [{float(g.min()):g}, {float(g.max()):g}]")
    steps = g[1:] - g[:-1]
    if bool((steps >= 0).any()):
        i = int(torch.nonzero(steps >= 0)[0])
        raise ValueError(f"grid must strictly decrease (a zero or backward step breaks the solvers); "
                         f"got t[{i}] = {float(g[i])!r}, t[{i + 1}] = {float(g[i + 1])!r}")
    return g
