r"""One entry point, `sample`, for every sampler; each method is a short function in its own module.

    ancestral       DDPM ancestral sampling (Ho et al. 2020) on any grid          ancestral.py
    ddim            DDIM with η (Song, Meng & Ermon 2021)                          ancestral.py
    euler_maruyama  the reverse-time SDE (Song et al. 2021)                        stochastic.py
    pc              predictor–corrector, Langevin corrector (Song et al. 2021)      stochastic.py
    ode             the probability-flow ODE through torchdiffeq                    deterministic.py
    heun            2nd-order deterministic (Karras et al. 2022, Algorithm 1)       deterministic.py
    dpm_solver      multistep DPM-Solver++ of order 2 or 3 (Lu et al. 2022)         multistep.py

and `inpaint` (inpainting.py): the reverse SDE with known pixels replaced by forward-perturbed data.

Every method runs on a grid `T = t_0 > … > t_N = t_min` (`scoresde.timesteps`) and, with
`denoise=True`, ends with one more evaluation: Tweedie's `x̂_0 = (x + σ² s)/α` at `t_min`, the
first-order step from `t_min` to t = 0. `SampleResult.nfe` counts the score evaluations made.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from scoresde._utils import check_choice, check_int, check_positive_float
from scoresde.samplers._model import CountedScore
from scoresde.samplers.ancestral import ancestral, ddim
from scoresde.samplers.deterministic import ODE_SOLVERS, heun, ode
from scoresde.samplers.inpainting import INPAINT_METHODS, inpaint
from scoresde.samplers.multistep import dpm_solver
from scoresde.samplers.stochastic import euler_maruyama, pc
from scoresde.sde import SDE, ScoreFn
from scoresde.timesteps import GRIDS, check_grid, time_grid

__all__ = ["INPAINT_METHODS", "METHODS", "ODE_SOLVERS", "SampleResult", "inpaint", "sample"]

METHODS: dict[str, Callable[..., Tensor]] = {
    "ancestral": ancestral,
    "ddim": ddim,
    "euler_maruyama": euler_maruyama,
    "pc": pc,
    "ode": ode,
    "heun": heun,
    "dpm_solver": dpm_solver,
}
"""The methods of `sample`, by name. Each is `fn(model, sde, x, ts, *, generator, on_step, **options) -> x`,
a short function that follows its paper's algorithm; add one here to make it a `method`."""


def method_options(method: str) -> tuple[str, ...]:
    """The names of the options a method takes: its keyword arguments beyond the common ones.

    The common ones are `model`, `sde`, `x`, `ts`, `generator` and `on_step`.

    Args:
        method: a key of `METHODS`.

    Returns:
        The option names, in signature order (empty for a method without options).
    """
    common = {"model", "sde", "x", "ts", "generator", "on_step"}
    params = inspect.signature(METHODS[method]).parameters
    return tuple(name for name in params if name not in common)


@dataclass(frozen=True)
class SampleResult:
    """What `sample` returns: the samples `x̂_0` (or `x_{t_min}`), the NFE, the grid and optionally the path.

    Attributes:
        samples: the final samples, the shape of `x_T`.
        nfe: the number of score evaluations made.
        times: the grid, float64 `(steps + 1,)`, from T to `t_min`.
        trajectory: x at every grid time, `(steps + 1, *shape)`, if asked for; else None.
    """

    samples: Tensor
    nfe: int
    times: Tensor
    trajectory: Tensor | None = None


def sample(
    score_fn: ScoreFn,
    sde: SDE,
    shape_or_x_T: Sequence[int] | Tensor,
    method: str = "euler_maruyama",
    steps: int = 1000,
    *,
    generator: torch.Generator | None = None,
    t_min: float = 1e-3,
    grid: str | Tensor = "quadratic",
    rho: float = 7.0,
    denoise: bool = True,
    callback: Callable[[int, Tensor, Tensor], None] | None = None,
    return_trajectory: bool = False,
    dtype: torch.dtype = torch.float32,
    device: torch.device | str | None = None,
    **options: Any,
) -> SampleResult:
    r"""Draw samples by integrating the reverse-time dynamics of `sde`, driven by `score_fn`, from T to `t_min`.

    Every method solves, on the grid `T = t_0 > … > t_N = t_min`, the reverse-time SDE or the probability-flow ODE

        dx = [f(t) x - g(t)² s(x, t)] dt + g(t) dw̄,        dx/dt = f(t) x - ½ g(t)² s(x, t),

    and with `denoise=True` ends with Tweedie's `x̂_0 = (x + σ² s)/α` at `t_min`. One step from t to s, with
    `x̂_0 = (x_t + σ_t² s)/α_t`, `ε̂ = -σ_t s`, `Δ = t - s`, `h = λ_s - λ_t`, `λ = log(α/σ)`, `z ~ N(0, I)`:

        ancestral       x_s ~ q(x_s | x_t, x̂_0), the Gaussian posterior of the forward kernel
        ddim            x_s = α_s x̂_0 + √(σ_s² - c²) ε̂ + c z,   c = η τ
        euler_maruyama  x_s = x_t - [f x_t - g² s] Δ + g √Δ z
        pc              the same predictor, then Langevin steps x ← x + ε s(x, s) + √(2ε) z at s
        ode             the probability-flow ODE, by torchdiffeq
        heun            Heun on dy/dσ̃ = (y - x̂_0)/σ̃,   y = x/α,  σ̃ = σ/α
        dpm_solver      x_s = (σ_s/σ_t) x_t + α_s [c₁(h) x̂_0 + c₂(h) x̂_0' + …],   c₁ = 1 - e^{-h}, …

    docs/samplers.md gives each method's algorithm in full and when to use which.

    Args:
        score_fn: `score_fn(x, t) ≈ ∇ₓ log p_t(x)` with t of shape `(batch,)`.
        sde: the forward SDE (`VPSDE`, `SubVPSDE`, `VESDE` or your own).
        shape_or_x_T: a shape `(batch, *dims)`, to start from `sde.prior_sample`, or the starting tensor `x_T`.
        method: one of `METHODS`: `"ancestral"`, `"ddim"`, `"euler_maruyama"`, `"pc"`, `"ode"`, `"heun"`,
            `"dpm_solver"`.
        steps: number of grid steps N ≥ 1 (for adaptive `ode` solvers, only the output grid); unused when
            `grid` is a tensor.
        generator: the source of all randomness (prior draw and noise); a fixed seed gives identical results.
        t_min: the last grid time, `0 < t_min < T` (a tensor `grid` ends where it ends).
        grid: `"uniform"`, `"quadratic"` (the default: measured best or near-best for every method at 5–50
            evaluations on the benchmark targets, docs/samplers.md), `"logsnr"`, `"karras"`, or an explicit
            decreasing tensor of times (see [`time_grid`][scoresde.timesteps.time_grid]).
        rho: the Karras grid's exponent.
        denoise: end with Tweedie's `x̂_0` at the last grid time (one more evaluation).
        callback: called as `callback(i, t_i, x_i)` after each step.
        return_trajectory: keep x at every grid time.
        dtype: the dtype of `x_T` when a shape is given.
        device: the device of `x_T` when a shape is given (default: the generator's, else the CPU).
        **options: the method's own: `eta` (ddim), `snr`, `corrector_steps` (pc), `solver`, `rtol`,
            `atol` (ode), `order`, `lower_order_final`, `solver_type` (dpm_solver).

    Returns:
        A [`SampleResult`][scoresde.samplers.SampleResult] with `samples`, `nfe`, `times` and optionally
            `trajectory`.

    Raises:
        TypeError: if `sde` is not an `SDE`, `score_fn` or `callback` not callable, `grid` neither a name nor a
            tensor, or an option is not one the method takes (the error lists its options).
        ValueError: if `method` or `grid` is unknown (the error lists the valid ones), `steps < 1`, `t_min`
            leaves `(0, T)`, a given grid does not strictly decrease inside `(0, T]`, `x_T` is not a floating
            tensor with a batch dimension, an option's value is out of range, or `score_fn` returns a wrong
            shape or non-finite values (naming the time).

    References:
        - Ho, Jain & Abbeel 2020, "Denoising Diffusion Probabilistic Models", NeurIPS, arXiv:2006.11239 (ancestral).
        - Song, Meng & Ermon 2021, "Denoising Diffusion Implicit Models", ICLR, arXiv:2010.02502 (ddim).
        - Song, Sohl-Dickstein, Kingma, Kumar, Ermon & Poole 2021, "Score-Based Generative Modeling through
          Stochastic Differential Equations", ICLR, arXiv:2011.13456 (euler_maruyama, pc, ode).
        - Karras, Aittala, Aila & Laine 2022, "Elucidating the Design Space of Diffusion-Based Generative
          Models", NeurIPS, arXiv:2206.00364 (heun).
        - Lu, Zhou, Bao, Chen, Li & Zhu 2022, "DPM-Solver++: Fast Solver for Guided Sampling of Diffusion
          Probabilistic Models", arXiv:2211.01095 (dpm_solver).

    Examples:
        >>> import torch, scoresde as sd
        >>> sde = sd.VPSDE()
        >>> gm = sd.GaussianMixture(torch.tensor([0.5, 0.5]), torch.tensor([[-2.0], [2.0]]),
        ...                         0.1 * torch.ones(2, 1, 1))
        >>> out = sd.sample(gm.score_fn(sde), sde, (64, 1), method="dpm_solver", steps=10,
        ...                 generator=torch.Generator().manual_seed(0))
        >>> out.samples.shape, out.nfe
        (torch.Size([64, 1]), 11)
    """
    if not isinstance(sde, SDE):
        raise TypeError(f"sde must be an SDE; got {type(sde).__name__}")
    if not callable(score_fn):
        raise TypeError(f"score_fn must be callable as score_fn(x, t); got {type(score_fn).__name__}")
    check_choice(method, "method", METHODS)
    check_int(steps, "steps", minimum=1)
    t_min = check_positive_float(t_min, "t_min")
    if t_min >= sde.T:
        raise ValueError(f"t_min must lie in (0, {sde.T:g}); got {t_min}")
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be callable as callback(i, t, x); got {type(callback).__name__}")
    if isinstance(grid, str):
        ts = time_grid(sde, steps, check_choice(grid, "grid", GRIDS), t_min, rho=rho)
    else:
        ts = check_grid(grid, sde.T)
    if isinstance(shape_or_x_T, Tensor):
        if not shape_or_x_T.is_floating_point() or shape_or_x_T.ndim < 1:
            raise ValueError(f"x_T must be a floating tensor of shape (batch, *dims); got dtype "
                             f"{shape_or_x_T.dtype}, shape {tuple(shape_or_x_T.shape)}")
        x = shape_or_x_T
    else:
        x = sde.prior_sample(shape_or_x_T, generator, dtype=dtype, device=device)

    model = CountedScore(score_fn, sde)
    path: list[Tensor] = [x] if return_trajectory else []

    def on_step(i: int, t: Tensor, x_i: Tensor) -> None:
        if return_trajectory:
            path.append(x_i)
        if callback is not None:
            callback(i, t, x_i)

    allowed = method_options(method)
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise TypeError(f"method {method!r} does not take option(s) {unknown}; its options are "
                        f"{', '.join(map(repr, allowed)) or 'none'}")
    x = METHODS[method](model, sde, x, ts, generator=generator, on_step=on_step, **options)
    if denoise:
        x = model.x0(x, ts[-1])
    return SampleResult(x, model.nfe, ts, torch.stack(path) if return_trajectory else None)
