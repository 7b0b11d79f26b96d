r"""One entry point, `sample`, for every sampler; each method is a short function in the module of its family
(`ancestral.py`, `stochastic.py`, `deterministic.py`, `multistep.py`), registered by name in `METHODS`.

The methods, generated from `METHODS` (each function's first docstring line and its options):

{methods}

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

from scoresde._utils import (
    check_bool,
    check_callable,
    check_choice,
    check_generator,
    check_int,
    check_sde,
    check_t_min,
    check_tensor,
)
from scoresde.samplers._model import CountedScore
from scoresde.samplers.ancestral import ancestral, ddim
from scoresde.samplers.deterministic import ODE_SOLVERS, heun, ode
from scoresde.samplers.inpainting import INPAINT_METHODS, inpaint
from scoresde.samplers.multistep import dpm_solver
from scoresde.samplers.stochastic import euler_maruyama, pc
from scoresde.sde import SDE, ScoreFn
from scoresde.timesteps import check_grid, time_grid

__all__ = ["INPAINT_METHODS", "METHODS", "ODE_SOLVERS", "SampleResult", "inpaint", "method_options", "method_table",
           "sample"]

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
a short function that follows its paper's algorithm; add one here to make it a `method` (the tables of `sample`'s
docstring and of docs/samplers.md are generated from this registry by `method_table`)."""


def method_options(method: str) -> tuple[str, ...]:
    """The names of the options a method takes: its keyword arguments beyond the common ones.

    The common ones are `model`, `sde`, `x`, `ts`, `generator` and `on_step`.

    Args:
        method: a key of `METHODS`.

    Returns:
        The option names, in signature order (empty for a method without options).

    Raises:
        TypeError: if `method` is not a string.
        ValueError: if `method` is not a key of `METHODS` (the error lists them).
    """
    check_choice(method, "method", METHODS)
    common = {"model", "sde", "x", "ts", "generator", "on_step"}
    params = inspect.signature(METHODS[method]).parameters
    return tuple(name for name in params if name not in common)


def method_table() -> str:
    """The methods of `sample` as a Markdown table, generated from `METHODS`: each method's name, the first line of
    its docstring, and its options with their defaults.

    `sample`'s docstring and the page docs/samplers.md show this table, so a new method documents itself.

    Returns:
        The table, one row per method, in the order of `METHODS`.
    """
    rows = ["| `method` | what it does | options (defaults) |", "|---|---|---|"]
    for name, fn in METHODS.items():
        summary = _table_cell((inspect.getdoc(fn) or "").splitlines()[0])
        params = inspect.signature(fn).parameters
        options = ", ".join(f"`{p}={params[p].default!r}`" for p in method_options(name)) or "none"
        rows.append(f"| `{name}` | {summary} | {options} |")
    return "\n".join(rows)


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
    *,
    method: str = "euler_maruyama",
    steps: int = 1000,
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

    and with `denoise=True` ends with Tweedie's `x̂_0 = (x + σ² s)/α` at `t_min`. The methods (generated from
    `METHODS` by `method_table`; each method's docstring gives its update):

    {methods}

    docs/samplers.md gives each method's algorithm in full and when to use which.

    Args:
        score_fn: `score_fn(x, t) ≈ ∇ₓ log p_t(x)` with t of shape `(batch,)`.
        sde: the forward SDE (`VPSDE`, `SubVPSDE`, `VESDE` or your own).
        shape_or_x_T: a shape `(batch, *dims)`, to start from `sde.prior_sample`, or the starting tensor `x_T`.
        method: one of `METHODS` (the table above).
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
        **options: the method's own (the table above; `method_options(method)` lists them).

    Returns:
        A [`SampleResult`][scoresde.samplers.SampleResult] with `samples`, `nfe`, `times` and optionally
            `trajectory`.

    Raises:
        TypeError: for an argument or option of the wrong type (`sde` not an `SDE`, `score_fn` or `callback` not
            callable, `x_T` not a floating-point tensor, a bool where a number is expected, …), an option the method
            does not take (the error lists its options), or a `score_fn` that returns no tensor (naming the time).
        ValueError: if `method` or `grid` is unknown (the error lists the valid ones), `steps < 1`, `t_min`
            leaves `(0, T)`, a given grid does not strictly decrease inside `(0, T]`, `x_T` has no batch dimension,
            an option's value is out of range, or `score_fn` returns a wrong shape or non-finite values (naming the
            time).

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
    check_sde(sde)
    check_callable(score_fn, "score_fn", "score_fn(x, t)")
    check_choice(method, "method", METHODS)
    check_int(steps, "steps", minimum=1)
    t_min = check_t_min(t_min, sde.T)
    if callback is not None:
        check_callable(callback, "callback", "callback(i, t, x)")
    check_bool(denoise, "denoise")
    check_bool(return_trajectory, "return_trajectory")
    check_generator(generator)
    if isinstance(grid, str):
        ts = time_grid(sde, steps, grid=grid, t_min=t_min, rho=rho)
    else:
        ts = check_grid(grid, sde.T)
    if isinstance(shape_or_x_T, Tensor):
        check_tensor(shape_or_x_T, "x_T")
        if shape_or_x_T.ndim < 1:
            raise ValueError(f"x_T must have shape (batch, *dims); got shape {tuple(shape_or_x_T.shape)}")
        x = shape_or_x_T
    else:
        x = sde.prior_sample(shape_or_x_T, generator=generator, dtype=dtype, device=device)

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
    model.raise_if_non_finite()
    return SampleResult(x, model.nfe, ts, torch.stack(path) if return_trajectory else None)


def _table_cell(text: str) -> str:
    """`text` for a Markdown table cell: a `|` outside code spans escaped (inside them it is left as it is)."""
    parts = text.split("`")
    return "`".join(p if i % 2 else p.replace("|", "\\|") for i, p in enumerate(parts))


def _with_method_table(doc: str | None) -> str:
    """`doc` with its line `{methods}` replaced by `method_table()`, indented as that line is."""
    lines: list[str] = []
    for line in (doc or "").splitlines():
        if line.strip() == "{methods}":
            indent = line[: len(line) - len(line.lstrip())]
            lines.extend(indent + row for row in method_table().splitlines())
        else:
            lines.append(line)
    return "\n".join(lines)


# the generated tables, for help(); the site fills them in by docs/generated_tables.py
__doc__ = _with_method_table(__doc__)
sample.__doc__ = _with_method_table(sample.__doc__)
