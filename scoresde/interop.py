r"""Run scoresde's samplers and likelihood on a diffusers model, and train a diffusers network with scoresde.

A diffusers DDPM-family model is an ε-, v- or x₀-network trained on the discrete chain of its scheduler:
timestep `k ∈ {0, …, N-1}` has `ᾱ_k = Π_{j≤k} (1 - β_j)` (diffusers' `alphas_cumprod[k]`). That chain is the VP SDE
observed at `t = (k + 1)/N` ([`VPSDE.from_ddpm`][scoresde.sde.VPSDE.from_ddpm], exact), so

    t = (k + 1)/N,        k = τ(t) = N t - 1,

and `from_diffusers` returns that SDE with `score_fn(x, t) = convert(sde, model(x, τ(t)), x, t, source=…,
target="score")`, e.g. `-ε_θ(x, τ(t))/σ(t)`. The model was trained at the integers `k` only, i.e. at
`t ∈ {1/N, 2/N, …, 1}`: a time between two of them is fed as the fractional timestep `N t - 1` (`"linear"`, the
default; the sinusoidal timestep embedding is smooth in it, and `log ᾱ` is linear in t between grid points) or rounded
to the nearest integer (`"nearest"`); docs/interop.md measures what each costs. A time that is a trained timestep up
to the rounding of t in its dtype is fed as that exact integer, so on the scheduler's own timesteps the model sees
exactly what diffusers gives it. Times below `1/N` (timestep 0) are refused: sample with `t_min = 1/N` (for
N = 1000 the samplers' default `t_min = 1e-3` is exactly timestep 0) and the grids never leave the trained range.

`times_of(timesteps, N)` turns a diffusers scheduler's `timesteps` into scoresde's grid; on that grid `ancestral`,
`ddim` and `dpm_solver` (with `denoise=True`, the last step to ᾱ = 1) reproduce `DDPMScheduler`, `DDIMScheduler` and
`DPMSolverMultistepScheduler` to float32 round-off (tests/test_interop.py).

diffusers is imported lazily, only here: `pip install -e ".[diffusers]"`.

References:
    - von Platen et al. 2022, "Diffusers: State-of-the-art diffusion models", https://github.com/huggingface/diffusers
      (the scheduler conventions mapped here).
    - Ho, Jain & Abbeel 2020, "Denoising Diffusion Probabilistic Models", NeurIPS, arXiv:2006.11239.
    - Salimans & Ho 2022, "Progressive Distillation for Fast Sampling of Diffusion Models", ICLR, arXiv:2202.00512
      (v-prediction).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from scoresde._utils import FLOAT64, check_bool, check_choice, check_int, check_positive_float, check_tensor
from scoresde.parameterization import ScoreModel, convert
from scoresde.sde import VPSDE

__all__ = [
    "BETA_SCHEDULES",
    "PREDICTION_TYPES",
    "DiffusersNet",
    "DiffusersScore",
    "from_diffusers",
    "load_diffusers_model",
    "scheduler_config",
    "sde_from_scheduler",
    "times_of",
]

PREDICTION_TYPES: dict[str, str] = {"epsilon": "eps", "v_prediction": "v", "sample": "x0"}
"""diffusers' `prediction_type` → scoresde's prediction kind (`Prediction`)."""
BETA_SCHEDULES: tuple[str, ...] = ("linear", "scaled_linear", "squaredcos_cap_v2")
"""The `beta_schedule`s that map (or `trained_betas`, any sequence in (0, 1))."""
INTERPOLATIONS: tuple[str, ...] = ("linear", "nearest")
"""How a time between two trained timesteps is fed to the network: the fractional `N t - 1`, or rounded."""
_VE_SCHEDULERS = ("ScoreSdeVeScheduler", "KarrasVeScheduler", "EDMEulerScheduler", "EDMDPMSolverMultistepScheduler",
                  "CMStochasticIterativeScheduler")
_INSTALL = 'pip install -e ".[diffusers]"  (or: pip install diffusers)'


def _diffusers() -> Any:
    """The diffusers package, imported on first use (an optional extra)."""
    try:
        import diffusers
    except ImportError as err:  # pragma: no cover - the extra is installed in CI
        raise ImportError(f"scoresde.interop needs diffusers: {_INSTALL}") from err
    return diffusers


# --- the scheduler: the chain and the prediction type ------------------------------------------------------------


def _read_config(scheduler_or_config: Any) -> tuple[dict[str, Any], Any]:
    """``(config, scheduler or None)`` from a scheduler, a config dict, a ``scheduler_config.json`` or its folder."""
    if isinstance(scheduler_or_config, (str, os.PathLike)):
        path = Path(scheduler_or_config)
        if path.is_dir():
            candidates = [path / "scheduler_config.json", path / "scheduler" / "scheduler_config.json"]
            found = [c for c in candidates if c.is_file()]
            if not found:
                raise ValueError(f"scheduler_or_config: no scheduler_config.json in the folder {str(path)!r} "
                                 f"(looked for {', '.join(str(c) for c in candidates)})")
            path = found[0]
        if not path.is_file():
            raise ValueError(f"scheduler_or_config: {str(path)!r} is neither a folder nor a file")
        values = json.loads(path.read_text())
        if not isinstance(values, dict):
            raise ValueError(f"scheduler_or_config: {str(path)!r} holds a JSON {type(values).__name__}, not a "
                             "scheduler config (an object)")
        return values, None
    if isinstance(scheduler_or_config, dict):
        return dict(scheduler_or_config), None
    if not isinstance(scheduler_or_config, _diffusers().SchedulerMixin):
        raise TypeError("scheduler_or_config must be a diffusers scheduler, its config (a dict), or the path of a "
                        f"scheduler_config.json or of a folder holding one; got {type(scheduler_or_config).__name__}")
    config = scheduler_or_config.config
    values = dict(config)
    values.setdefault("_class_name", type(scheduler_or_config).__name__)
    return values, scheduler_or_config


def _check_config(config: dict[str, Any]) -> str:
    """Refuse what is not a DDPM-family (VP) chain with a known prediction type; return that type."""
    name = config.get("_class_name", "the scheduler")
    has_sigmas = bool({"sigma_min", "sigma_max", "sigma_data"} & set(config))
    has_betas = bool({"beta_schedule", "trained_betas", "beta_start", "beta_end"} & set(config))
    if name in _VE_SCHEDULERS or (has_sigmas and not has_betas):
        raise ValueError(f"{name} is not a DDPM-family (variance-preserving) scheduler: scoresde.interop maps "
                         f"schedulers with a beta_schedule in {BETA_SCHEDULES} or trained_betas; a VE / Karras-σ "
                         "model (ScoreSdeVe, KarrasVe, EDM) does not fit a VP SDE (found config keys "
                         f"{sorted(k for k in config if not k.startswith('_'))})")
    prediction = config.get("prediction_type", "epsilon")
    if prediction not in PREDICTION_TYPES:
        raise ValueError(f"prediction_type must be one of {tuple(PREDICTION_TYPES)}; {name} has {prediction!r}")
    if config.get("trained_betas") is None and config.get("beta_schedule", "linear") not in BETA_SCHEDULES:
        raise ValueError(f"beta_schedule must be one of {BETA_SCHEDULES} (or trained_betas given); {name} has "
                         f"{config.get('beta_schedule')!r}")
    if config.get("timestep_type", "discrete") != "discrete":
        raise ValueError(f"{name} has timestep_type={config['timestep_type']!r}: its network takes a σ-based "
                         "timestep, not the chain's index k; only timestep_type='discrete' maps")
    if config.get("rescale_betas_zero_snr", False):
        raise ValueError(f"{name} has rescale_betas_zero_snr=True: ᾱ_N = 0 (infinite noise at the last timestep), "
                         "which a VP SDE with finite log-SNR cannot represent")
    return str(prediction)


def _alphas_cumprod(config: dict[str, Any], scheduler: Any) -> Tensor:
    """diffusers' own `alphas_cumprod` for this config (computed by diffusers, so equal to the training chain's)."""
    table = getattr(scheduler, "alphas_cumprod", None)
    if not isinstance(table, Tensor):
        keys = ("num_train_timesteps", "beta_start", "beta_end", "beta_schedule", "trained_betas")
        table = _diffusers().DDPMScheduler(**{k: config[k] for k in keys if k in config}).alphas_cumprod
    return table.detach().to("cpu", FLOAT64)


def sde_from_scheduler(scheduler_or_config: Any) -> tuple[VPSDE, str]:
    r"""The VP SDE of a diffusers scheduler's chain and the scoresde name of its prediction type.

    With diffusers' `ᾱ_0..ᾱ_{N-1}` (its float32 `alphas_cumprod`, read as float64), the chain is
    `β'_k = 1 - ᾱ_k/ᾱ_{k-1}` and the SDE is `VPSDE.from_ddpm(β')`: `ᾱ(t)` at `t = (k + 1)/N` equals diffusers'
    `alphas_cumprod[k]` to float64 rounding, i.e. exactly the chain the model was trained on.

    Args:
        scheduler_or_config: a diffusers scheduler of the DDPM family (`DDPMScheduler`, `DDIMScheduler`,
            `DPMSolverMultistepScheduler`, `EulerDiscreteScheduler`, …), its config as a dict, or the path of its
            `scheduler_config.json` (or of a folder holding one, or a pipeline folder).

    Returns:
        sde: the [`VPSDE`][scoresde.sde.VPSDE] on the chain's
            [`PiecewiseConstantSchedule`][scoresde.schedules.PiecewiseConstantSchedule].
        predicts: `"eps"`, `"v"` or `"x0"` (from `epsilon`, `v_prediction`, `sample`).

    Raises:
        TypeError: if `scheduler_or_config` is none of these.
        ValueError: for a VE / Karras-σ scheduler, a `beta_schedule` not in `BETA_SCHEDULES` (without `trained_betas`),
            a `prediction_type` not in `PREDICTION_TYPES`, `rescale_betas_zero_snr=True`, or a missing config file.

    Examples:
        >>> from scoresde.interop import sde_from_scheduler
        >>> sde, predicts = sde_from_scheduler({"beta_schedule": "linear", "num_train_timesteps": 1000})
        >>> predicts
        'eps'
    """
    config, scheduler = _read_config(scheduler_or_config)
    prediction = _check_config(config)
    abar = _alphas_cumprod(config, scheduler)
    betas = -torch.expm1(torch.log(abar) - torch.log(torch.cat([torch.ones(1, dtype=FLOAT64), abar[:-1]])))
    return VPSDE.from_ddpm(betas), PREDICTION_TYPES[prediction]


def scheduler_config(sde: VPSDE, predicts: str = "eps", **extra: Any) -> dict[str, Any]:
    """A diffusers scheduler config for a chain of `VPSDE.from_ddpm`: `trained_betas`, `num_train_timesteps` and the
    prediction type, to save beside a network trained by scoresde (`DDPMScheduler.from_config(...)`).

    The inverse of `sde_from_scheduler` up to diffusers' float32 `alphas_cumprod`.

    Args:
        sde: a VP SDE made by `VPSDE.from_ddpm` (its schedule knows the chain).
        predicts: what the network predicts: `"eps"`, `"v"` or `"x0"`.
        **extra: more config entries (e.g. `clip_sample=False`).

    Returns:
        The config dict.

    Raises:
        ValueError: if `sde` is not a VP SDE on a discrete chain, or `predicts` is not one of the three.
    """
    betas = getattr(getattr(sde, "schedule", None), "betas", None)
    if not isinstance(sde, VPSDE) or not isinstance(betas, Tensor):
        raise ValueError(f"sde must be a VPSDE made by VPSDE.from_ddpm (a discrete chain); got {sde!r}")
    names = {v: k for k, v in PREDICTION_TYPES.items()}
    check_choice(predicts, "predicts", tuple(names))
    return {"num_train_timesteps": int(betas.numel()), "trained_betas": betas.tolist(),
            "prediction_type": names[predicts], **extra}


def times_of(timesteps: Any, num_train_timesteps: int) -> Tensor:
    """The scoresde times `t = (k + 1)/N` of diffusers timesteps `k` (a scheduler's `timesteps`), as a grid for
    `sample(..., grid=times_of(scheduler.timesteps, N))`.

    Args:
        timesteps: integer timesteps in `{0, …, N-1}`, a sequence or a tensor.
        num_train_timesteps: N, the length of the chain.

    Returns:
        The times, float64 of shape `(len(timesteps),)`.

    Raises:
        TypeError: if `num_train_timesteps` is not an int.
        ValueError: if `num_train_timesteps < 1` or a timestep leaves `{0, …, N-1}`.
    """
    n = check_int(num_train_timesteps, "num_train_timesteps", minimum=1)
    k = torch.as_tensor(timesteps).detach().to("cpu", FLOAT64).reshape(-1)
    if k.numel() and not bool((k == k.round()).all()):
        raise ValueError(f"timesteps must be integers (the chain's indices k); got {k[k != k.round()][:3].tolist()}, "
                         "e.g. from Karras or Lu σs, whose noise levels are not the chain's")
    if k.numel() and (bool((k < 0).any()) or bool((k > n - 1).any())):
        raise ValueError(f"timesteps must lie in {{0, …, {n - 1}}}; got values in [{float(k.min()):g}, "
                         f"{float(k.max()):g}]")
    return (k + 1.0) / n


# --- the network ---------------------------------------------------------------------------------------------------


class DiffusersNet(nn.Module):
    r"""A diffusers network called with scoresde's continuous time: `net(x, t) = model(x, τ(t))`, `τ = N t - 1`.

    The prediction (ε, v or x₀, as the model was trained) comes back unchanged; its first `C` channels when the model
    also outputs learned variances (`out_channels = 2C`). τ is formed in float32 or wider, and a τ within
    `min(16 N ε, 0.01)` of an integer (ε of t's dtype) is fed as that integer, so a grid time `t = (k + 1)/N` rounded
    to float32 is timestep `k` exactly; otherwise `"linear"` feeds the fractional τ and `"nearest"` rounds it. x is
    cast to the model's dtype for the call and the output back to x's, so a float16 or bfloat16 model runs under
    float32 samplers (keep the samplers in float32: a time in bfloat16 is itself up to several timesteps off).

    This module is also the way to *train* a diffusers network with [`Trainer`][scoresde.training.Trainer]:
    `DSMLoss(steps=N)` on `sde_from_scheduler(...)[0]` draws `t = i/N`, which is diffusers' training at timestep
    `i - 1`.

    Args:
        model: a diffusers model (e.g. `UNet2DModel`) or any module called as `model(x, timestep, **model_kwargs)`
            returning a tensor, a tuple or an output with `.sample`.
        num_train_timesteps: N, the length of the chain the model was trained on.
        interpolation: `"linear"` (default) or `"nearest"`, for times between trained timesteps.
        model_kwargs: more keyword arguments for each call (e.g. `class_labels`).
        check_size: refuse inputs whose spatial size differs from the config's `sample_size` (default); False to
            run a convolutional model at other sizes.

    Raises:
        TypeError: if `model` is not callable, `num_train_timesteps` not an int, `model_kwargs` not a dict or
            `check_size` not a bool.
        ValueError: if `num_train_timesteps < 1` or `interpolation` is unknown.
    """

    def __init__(self, model: nn.Module, num_train_timesteps: int, *, interpolation: str = "linear",
                 model_kwargs: dict[str, Any] | None = None, check_size: bool = True) -> None:
        super().__init__()
        if not callable(model):
            raise TypeError(f"model must be a diffusers model (callable as model(x, timestep)); got "
                            f"{type(model).__name__}")
        self.model = model
        self.N = check_int(num_train_timesteps, "num_train_timesteps", minimum=1)
        self.interpolation = check_choice(interpolation, "interpolation", INTERPOLATIONS)
        if model_kwargs is not None and not isinstance(model_kwargs, dict):
            raise TypeError(f"model_kwargs must be a dict or None; got {type(model_kwargs).__name__}")
        self.model_kwargs = dict(model_kwargs or {})
        config = getattr(model, "config", None)
        self.in_channels: int | None = getattr(config, "in_channels", None)
        size = getattr(config, "sample_size", None) if check_bool(check_size, "check_size") else None
        self.sample_size: tuple[int, ...] | None = (
            None if size is None else (int(size), int(size)) if isinstance(size, int) else tuple(int(v) for v in size))

    def extra_repr(self) -> str:
        """N and the interpolation, shown in the module's `repr`."""
        return f"num_train_timesteps={self.N}, interpolation={self.interpolation!r}"

    def timestep(self, t: Tensor) -> Tensor:
        """The model's timestep input `τ(t) = N t - 1` for times `t` in `[1/N, 1]` (snapped or rounded, as above).

        Args:
            t: times, a tensor of shape `(batch,)` (or a scalar tensor).

        Returns:
            τ, float32 (float64 for a float64 t) of the shape of `t` (integral values where t is a trained time).

        Raises:
            ValueError: if a time falls outside `[1/N, 1]` beyond rounding (the model never saw it).
        """
        tol = min(16 * self.N * torch.finfo(t.dtype).eps, 0.01)
        tau = t.to(torch.promote_types(t.dtype, torch.float32)) * self.N - 1.0
        nearest = torch.round(tau)
        tau = torch.where((tau - nearest).abs() <= tol, nearest, tau)
        outside = (tau < 0) | (tau > self.N - 1)
        if bool(outside.any()):  # one host sync per call, small beside a U-Net
            bad = t[outside]
            raise ValueError(f"t must lie in [1/N, 1] = [{1.0 / self.N:g}, 1], the model's trained timesteps "
                             f"0..{self.N - 1}; got t = {float(bad.reshape(-1)[0]):.6g} (sample with "
                             f"t_min={1.0 / self.N:g})")
        return nearest if self.interpolation == "nearest" else tau

    def forward(self, x: Tensor, t: Tensor) -> Tensor:
        """The model's prediction at `(x, τ(t))`, the shape of x.

        Args:
            x: noisy inputs `(batch, C, H, W)` with C and (H, W) those of the model's config.
            t: times of shape `(batch,)` in `[1/N, 1]`.

        Returns:
            The prediction (ε, v or x₀), the shape of x.

        Raises:
            TypeError: if `x` is not a floating-point tensor.
            ValueError: if x's channels or size differ from the model's config, or a time leaves `[1/N, 1]`.
        """
        check_tensor(x, "x")
        if self.in_channels is not None and (x.ndim < 2 or x.shape[1] != self.in_channels):
            raise ValueError(f"x must have the model's {self.in_channels} channels, shape (batch, "
                             f"{self.in_channels}, H, W); got shape {tuple(x.shape)}")
        size = self.sample_size
        if size is not None and tuple(x.shape[2:]) != size:
            raise ValueError(f"x must have the model's sample size {'×'.join(map(str, size))}; got "
                             f"{'×'.join(map(str, x.shape[2:]))} (shape {tuple(x.shape)}); pass check_size=False to "
                             "run a convolutional model at another size")
        dtype = getattr(self.model, "dtype", x.dtype)
        out = self.model(x.to(dtype), self.timestep(t), **self.model_kwargs)
        out = getattr(out, "sample", out)
        if isinstance(out, (tuple, list)):
            out = out[0]
        if isinstance(out, Tensor):
            if out.ndim == x.ndim and out.shape[1] == 2 * x.shape[1]:
                out = out[:, : x.shape[1]]  # learned variances: keep the mean's prediction
            out = out.to(x.dtype)
        return out  # type: ignore[no-any-return]


class DiffusersScore(ScoreModel):
    r"""`score_fn(x, t)` of a diffusers model: [`ScoreModel`][scoresde.parameterization.ScoreModel] over a
    [`DiffusersNet`][scoresde.interop.DiffusersNet], optionally with diffusers' `clip_sample`.

    With `clip_sample = c`, the data prediction is clipped, `x̂_0 ← clamp(x̂_0, -c, c)`, and the score is the one it
    implies, `s = (α x̂_0 - x)/σ²`: every sampler's `x̂_0 = (x + σ² s)/α` is then diffusers' clipped prediction, so the
    samplers reproduce `DDPMScheduler(clip_sample=True)`. Clipping makes the score non-smooth: leave it off
    (the default) for the likelihood and the ODE samplers.

    Args:
        net: the wrapped model.
        sde: the SDE of its chain.
        predicts: `"eps"`, `"v"` or `"x0"`.
        clip_sample: None (no clipping) or the range c > 0.

    Attributes:
        t_min: `1/N`, the time of timestep 0: the smallest time to sample to or start a likelihood from.

    Raises:
        TypeError: if `clip_sample` is not None or a real number.
        ValueError: if `clip_sample <= 0`.
    """

    def __init__(self, net: DiffusersNet, sde: VPSDE, predicts: str = "eps", clip_sample: float | None = None) -> None:
        super().__init__(net, sde, predicts)
        self.clip_sample = None if clip_sample is None else check_positive_float(clip_sample, "clip_sample")
        self.t_min = 1.0 / net.N

    def extra_repr(self) -> str:
        """The SDE, the prediction kind and the clipping, shown in the module's `repr`."""
        return f"{super().extra_repr()}, clip_sample={self.clip_sample}"

    def predict(self, x: Tensor, t: Tensor, target: str = "score") -> Tensor:
        """The prediction converted to `target`, through the clipped `x̂_0` when `clip_sample` is set.

        Args:
            x: noisy inputs of shape `(batch, C, H, W)`.
            t: times in `[1/N, 1]`, a scalar or of shape `(batch,)`.
            target: `"eps"`, `"x0"`, `"v"` or `"score"` (default).

        Returns:
            The prediction of kind `target`, the shape of `x`.

        Raises:
            TypeError: if `x` is not a floating-point tensor or `t` not real.
            ValueError: if `target` is unknown or the inputs do not fit (see `DiffusersNet.forward`).
        """
        if self.clip_sample is None:
            return super().predict(x, t, target)
        x0 = super().predict(x, t, "x0").clamp(-self.clip_sample, self.clip_sample)
        return convert(self.sde, x0, x, t, source="x0", target=target)


# --- loading ---------------------------------------------------------------------------------------------------------


def load_diffusers_model(folder: str | os.PathLike[str]) -> tuple[nn.Module, Path | None]:
    """Load a diffusers model from a local folder, from safetensors only and with no network access.

    The folder is a model folder (`config.json` and `diffusion_pytorch_model.safetensors`, as written by
    `model.save_pretrained`) or a pipeline folder (`model_index.json` with a `unet` subfolder, as written by
    `pipeline.save_pretrained`). The model class is the one named in the config (`_class_name`, e.g. `UNet2DModel`).

    Args:
        folder: the folder.

    Returns:
        model: the loaded model.
        scheduler_config: the path of the folder's `scheduler_config.json` if it has one, else None.

    Raises:
        ValueError: if the folder holds no model config, no safetensors weights (a `.bin` is a pickle, not loaded),
            or names a class diffusers does not have.
    """
    root = Path(folder)
    if not root.is_dir():
        raise ValueError(f"folder {str(root)!r} is not a folder (hub ids are not downloaded: fetch the files first, "
                         "e.g. with huggingface_hub.snapshot_download, and pass the local folder)")
    model_dir, scheduler_json = root, root / "scheduler_config.json"
    if (root / "model_index.json").is_file():
        index = json.loads((root / "model_index.json").read_text())
        if not isinstance(index.get("unet"), list) or index["unet"][0] is None:
            raise ValueError(f"the pipeline folder {str(root)!r} has no 'unet' (model_index.json names "
                             f"{sorted(k for k in index if not k.startswith('_'))})")
        model_dir, scheduler_json = root / "unet", root / "scheduler" / "scheduler_config.json"
    if not (model_dir / "config.json").is_file():
        raise ValueError(f"no model config.json in {str(model_dir)!r}: pass a folder written by save_pretrained")
    weights = sorted(p.name for p in model_dir.glob("*.safetensors"))
    if not weights:
        found = sorted(p.name for p in model_dir.iterdir())
        raise ValueError(f"no .safetensors weights in {str(model_dir)!r} (found {found}); scoresde loads weights "
                         "from safetensors only (a .bin file is a pickle): re-save with save_pretrained")
    class_name = json.loads((model_dir / "config.json").read_text()).get("_class_name", "UNet2DModel")
    cls = getattr(_diffusers(), str(class_name), None)
    if cls is None or not hasattr(cls, "from_pretrained"):
        raise ValueError(f"config.json in {str(model_dir)!r} names the class {class_name!r}, which diffusers "
                         f"{_diffusers().__version__} does not have")
    # a folder saved with variant="fp16" has only diffusion_pytorch_model.fp16.safetensors
    variant = None if any(w.count(".") == 1 for w in weights) else weights[0].split(".")[-2]
    model = cls.from_pretrained(model_dir, use_safetensors=True, local_files_only=True, low_cpu_mem_usage=False,
                                variant=variant)
    return model, scheduler_json if scheduler_json.is_file() else None


def from_diffusers(model_or_folder: Any, scheduler_or_config: Any = None, *, interpolation: str = "linear",
                   clip_sample: float | None = None, model_kwargs: dict[str, Any] | None = None,
                   check_size: bool = True) -> tuple[VPSDE, DiffusersScore]:
    r"""The pair `(sde, score_fn)` of a diffusers model: the VP SDE of its training chain and its score.

    `score_fn(x, t) = convert(sde, model(x, N t - 1), x, t, source=predicts, target="score")`; on the times
    `t = (k + 1)/N` the model sees its timestep `k` exactly, between them the fractional timestep (`interpolation`).
    Every sampler, `inpaint` and `log_likelihood` then run on it; pass `t_min=score_fn.t_min` (1/N) when N ≠ 1000.

    Args:
        model_or_folder: a diffusers model (e.g. `UNet2DModel`), a pipeline (its `unet` and `scheduler`
            components), or a local folder written by `save_pretrained` (model or pipeline; safetensors only,
            no network).
        scheduler_or_config: the scheduler (DDPM family), its config dict, or the path of its
            `scheduler_config.json`; None to take the pipeline's or the folder's.
        interpolation: `"linear"` (default) or `"nearest"` for times between trained timesteps.
        clip_sample: None (default: the model's own score) or c > 0 to clip `x̂_0` to [-c, c] as diffusers'
            `clip_sample=True` does (its config's `clip_sample_range`, 1 by default).
        model_kwargs: more keyword arguments for each model call.
        check_size: refuse inputs of another spatial size than the model's `sample_size` (default).

    Returns:
        sde: the [`VPSDE`][scoresde.sde.VPSDE] whose `ᾱ((k + 1)/N)` is the scheduler's `alphas_cumprod[k]`.
        score_fn: a [`DiffusersScore`][scoresde.interop.DiffusersScore] module, `score_fn(x, t)`.

    Raises:
        TypeError: if the model is not callable (or is a scheduler) or the scheduler argument is of a wrong type.
        ValueError: if no scheduler is given or found, the scheduler does not map (see `sde_from_scheduler`), a
            pipeline has no unet, or a folder holds no loadable model.

    Examples:
        >>> import torch, scoresde as sd
        >>> from diffusers import UNet2DModel, DDPMScheduler
        >>> from scoresde.interop import from_diffusers
        >>> unet = UNet2DModel(sample_size=8, in_channels=1, out_channels=1, block_out_channels=(8, 16),
        ...                    down_block_types=("DownBlock2D", "DownBlock2D"),
        ...                    up_block_types=("UpBlock2D", "UpBlock2D"), norm_num_groups=4, layers_per_block=1)
        >>> sde, score_fn = from_diffusers(unet, DDPMScheduler())
        >>> with torch.no_grad():
        ...     out = sd.sample(score_fn, sde, (2, 1, 8, 8), method="dpm_solver", steps=5)
        >>> out.samples.shape, out.nfe
        (torch.Size([2, 1, 8, 8]), 6)
    """
    found_config: Any = None
    if isinstance(model_or_folder, (str, os.PathLike)):
        model, found_config = load_diffusers_model(model_or_folder)
    elif isinstance(model_or_folder, _diffusers().SchedulerMixin):
        raise TypeError(f"model_or_folder is a scheduler ({type(model_or_folder).__name__}); pass the model first: "
                        "from_diffusers(model, scheduler)")
    elif hasattr(model_or_folder, "components"):  # a pipeline
        components = model_or_folder.components
        if components.get("unet") is None:
            raise ValueError(f"the pipeline {type(model_or_folder).__name__} has no unet (its components: "
                             f"{sorted(components)}); scoresde.interop maps DDPM-family U-Net pipelines")
        model, found_config = components["unet"], components.get("scheduler")
    else:
        model = model_or_folder
    scheduler = scheduler_or_config if scheduler_or_config is not None else found_config
    if scheduler is None:
        raise ValueError("scheduler_or_config is needed for a bare model: pass its scheduler (e.g. DDPMScheduler()), "
                         "its config dict or its scheduler_config.json")
    sde, predicts = sde_from_scheduler(scheduler)
    net = DiffusersNet(model, sde.schedule.N, interpolation=interpolation,  # type: ignore[attr-defined]
                       model_kwargs=model_kwargs, check_size=check_size)
    return sde, DiffusersScore(net, sde, predicts, clip_sample)
