r"""Third-order multistep DPM-Solver++: scoresde's `dpm_solver(order=3)` against diffusers' `solver_order=3`.

    python benchmarks/dpm_third_order.py

The data prediction's Taylor expansion in λ gives the update `x_s = (σ_s/σ_t) x_t + α_s [c₁ x̂₀ + c₂ x̂₀' + c₃ x̂₀'']`
with `c₃ = ∫₀ʰ e^{u-h} u²/2 du`, and the quadratic through the last three data predictions has `x̂₀'' = 2 d₀₁₂` (its
second divided difference). diffusers' `multistep_dpm_solver_third_order_update` (like the reference
dpm_solver_pytorch.py) multiplies its `D2 = h² d₀₁₂` by `c₃/h²`, i.e. applies `c₃ d₀₁₂`: half the second-derivative
term. This script measures both on a 1-D Gaussian target, whose probability-flow ODE has the closed-form solution
`x_t = α_t μ + √(α_t² s² + σ_t²) z` (exact score, float64, log-SNR grid, no final denoising step):

1. the global error at t_min = 1e-3 against the number of steps, and the observed order, for the Taylor term and for
   half of it;
2. that diffusers' `DPMSolverMultistepScheduler(solver_order=3)` on its own timesteps (20 steps) equals the half-term
   variant to round-off, and not the Taylor one.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import Tensor

import scoresde as sd
import scoresde.samplers.multistep as multistep
from scoresde.interop import sde_from_scheduler, times_of

MU, S = 1.5, 0.3


@contextmanager
def half_third_term() -> Iterator[None]:
    """Run `dpm_solver` with c₃ halved: the third-order term as diffusers applies it."""
    original = multistep.phi_coefficients
    multistep.phi_coefficients = lambda h: (lambda c: (c[0], c[1], 0.5 * c[2]))(original(h))
    try:
        yield
    finally:
        multistep.phi_coefficients = original


def gaussian_score(sde: sd.SDE) -> sd.ScoreFn:
    """The exact score of N(μ, s²) diffused by `sde`: `-(x - α μ)/(α² s² + σ²)`."""
    def score(x: Tensor, t: Tensor) -> Tensor:
        a, s = sde.marginal(t.double())
        return -(x - a[:, None] * MU) / (a[:, None] ** 2 * S**2 + s[:, None] ** 2)
    return score


def convergence() -> None:
    sde = sd.VPSDE()
    z = torch.linspace(-2, 2, 9, dtype=torch.float64)[:, None]
    t_min = 1e-3
    (a_T, s_T), (a_m, s_m) = ((float(v) for v in sde.marginal(torch.tensor(t))) for t in (1.0, t_min))
    x_T = a_T * MU + math.sqrt(a_T**2 * S**2 + s_T**2) * z
    exact = a_m * MU + math.sqrt(a_m**2 * S**2 + s_m**2) * z
    steps = (8, 16, 32, 64)
    print("| third-order term | " + " | ".join(f"{n} steps" for n in steps) + " | observed order (32→64) |")
    print("|---|" + "---|" * (len(steps) + 1))
    for name, ctx in (("Taylor, c₃ · 2 d₀₁₂ (scoresde)", None), ("half, c₃ · d₀₁₂ (diffusers)", half_third_term)):
        errors = []
        for n in steps:
            with ctx() if ctx else _null():
                out = sd.sample(gaussian_score(sde), sde, x_T.clone(), method="dpm_solver", order=3, steps=n,
                                grid="logsnr", t_min=t_min, denoise=False, lower_order_final=False)
            errors.append(float((out.samples - exact).abs().max()))
        print(f"| {name} | " + " | ".join(f"{e:.2e}" for e in errors) +
              f" | {math.log2(errors[-2] / errors[-1]):.2f} |")


@contextmanager
def _null() -> Iterator[None]:
    yield


def against_diffusers(steps: int = 20) -> None:
    from diffusers import DPMSolverMultistepScheduler

    scheduler = DPMSolverMultistepScheduler(solver_order=3)
    sde, _ = sde_from_scheduler(scheduler)
    score = gaussian_score(sde)
    x = torch.linspace(-2, 2, 9, dtype=torch.float64)[:, None]
    scheduler.set_timesteps(steps)
    y = x.clone()
    for k in scheduler.timesteps:
        t = times_of(k.reshape(1), 1000).expand(len(y))
        y = scheduler.step(-sde.marginal(t)[1][:, None] * score(y, t), k, y).prev_sample
    grid = times_of(scheduler.timesteps, 1000)
    for name, ctx in (("Taylor (scoresde)", None), ("half term", half_third_term)):
        with ctx() if ctx else _null():
            out = sd.sample(score, sde, x.clone(), method="dpm_solver", order=3, grid=grid, lower_order_final=False,
                            dtype=torch.float64)
        print(f"diffusers solver_order=3, {steps} steps, vs {name}: max |difference| "
              f"{float((out.samples - y.double()).abs().max()):.1e}")


if __name__ == "__main__":
    convergence()
    print()
    against_diffusers()
