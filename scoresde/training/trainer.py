r"""A trainer for ε-networks that one can trust with a long run.

One step: take the next batch (a fixed, seeded order), draw t and ε, compute the denoising score-matching loss
(``scoresde.losses``) under bf16 autocast where the device supports it, back-propagate, clip the gradient norm,
take an AdamW step with linear warm-up of the learning rate, update the EMA of the weights. Around it: a tqdm bar,
a CSV log (step, loss, lr, grad_norm, images_per_s) and its loss curve, sample grids from the EMA weights, and
checkpoints of everything the next step depends on — model, EMA, optimizer, step, data position (``DataCursor``),
every RNG state — written atomically. A run stopped and resumed ends with the same weights, bit for bit on a CPU, as
one run straight through. SIGTERM and SIGINT finish the current step, save a checkpoint and return. A non-finite
loss or gradient skips the step with a warning; ``max_nonfinite`` in a row stop the run with
``NonFiniteLossError``, the last checkpoint untouched.

Under ``torchrun`` the same trainer wraps the network in DistributedDataParallel; ``batch_size`` is the global
batch, split evenly over the processes, each taking its slice of the same global batch order, so K processes see
exactly the batches one process would. Only rank 0 logs and writes checkpoints.

References:
    - Song et al. 2021, "Score-Based Generative Modeling through Stochastic Differential Equations", ICLR
      (arXiv:2011.13456): the training settings of the DDPM++ models (Adam 2e-4, warm-up 5000, clip 1,
      EMA 0.9999).
    - Loshchilov & Hutter 2019, "Decoupled Weight Decay Regularization", ICLR (AdamW); Loshchilov & Hutter 2017,
      "SGDR: Stochastic Gradient Descent with Warm Restarts", ICLR (cosine decay).
    - Polyak & Juditsky 1992, "Acceleration of Stochastic Approximation by Averaging" (the EMA of the weights).
"""

from __future__ import annotations

import csv
import dataclasses
import math
import signal
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
from torch import Tensor, nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import Dataset

from scoresde._utils import (
    check_bool,
    check_choice,
    check_float,
    check_int,
    check_positive_float,
    check_sde,
    progress_bar,
)
from scoresde.losses import DSMLoss
from scoresde.parameterization import ScoreModel
from scoresde.samplers import METHODS, sample
from scoresde.sde import SDE
from scoresde.training.checkpoint import (
    CHECKPOINT_FORMAT,
    CheckpointError,
    CheckpointManager,
    check_resumable,
    load_checkpoint,
    net_config,
)
from scoresde.training.cursor import DataCursor
from scoresde.training.distributed import DistInfo
from scoresde.training.ema import EMA
from scoresde.viz import plot_loss_curve, save_image_grid, save_scatter

__all__ = ["NonFiniteLossError", "TrainConfig", "TrainResult", "Trainer"]

PRECISIONS = ("auto", "fp32", "bf16")
LR_SCHEDULES = ("constant", "cosine")
LOG_FIELDS = ("step", "loss", "lr", "grad_norm", "images_per_s")
Transform = Callable[[Tensor, torch.Generator], Tensor]


class NonFiniteLossError(RuntimeError):
    """Raised after ``max_nonfinite`` consecutive steps with a non-finite loss or gradient (the weights and the last
    checkpoint are untouched by them)."""


@dataclass(frozen=True)
class TrainConfig:
    r"""Everything that defines a training run (the network's architecture lives in the network's own config).

    The learning rate at step n (``Trainer.lr_at``): a linear warm-up, then constant or a cosine decay,

        lr_n = lr · min(1, (n + 1)/warmup)                                     n < warmup, or "constant"
        lr_n = lr · ½ (1 + cos(π (n - warmup)/(steps - warmup)))                n >= warmup, "cosine"

    A frozen dataclass; ``to_dict`` / ``from_dict`` turn it into plain values and back.

    Attributes:
        steps: optimizer steps to reach.
        batch_size: the global batch, split evenly over the processes.
        lr: the AdamW learning rate, reached linearly over ``warmup`` steps.
        warmup: the number of warm-up steps (0: none).
        lr_schedule: after the warm-up, "constant" (Song et al. 2021) or "cosine" decay to 0 at ``steps``
            (Loshchilov & Hutter 2017).
        weight_decay: AdamW's decoupled weight decay (0 is Adam, as in Song et al. 2021).
        betas: AdamW's (β1, β2).
        adam_eps: AdamW's ε.
        grad_clip: clip the global gradient norm to this (None: no clipping, the norm is still logged).
        ema_decay: β of the EMA of the weights (``EMA``).
        ema_warmup: ramp the EMA decay up as min(β, (1 + n)/(10 + n)) (``EMA``).
        precision: "auto" (bf16 autocast on a CUDA device that supports it, else fp32), "fp32" or "bf16".
        compile: run the network through ``torch.compile``.
        seed: seeds the data order, t and ε draws, augmentation and the global torch RNG (dropout).
        log_every: CSV row and progress-bar update every this many steps.
        checkpoint_every: save a checkpoint every this many steps (one is always written at the end and on a
            signal).
        keep_checkpoints: how many of the newest checkpoints to keep.
        sample_every: write a sample grid from the EMA weights every this many steps (0: never).
        sample_count: the number of samples in a grid.
        sample_method: the ``scoresde.sample`` method of the grids.
        sample_steps: the sampler's steps for the grids.
        max_nonfinite: consecutive non-finite steps tolerated before the run stops.
        progress: show a tqdm bar (rank 0).
        loss: the ``DSMLoss`` (weighting, importance sampling, t_min, discrete steps, parameterization).

    Raises:
        TypeError: a field of the wrong type (e.g. a float where an int belongs, a ``loss`` that is not a
            ``DSMLoss``).
        ValueError: a value out of range, or an unknown ``precision``, ``lr_schedule`` or ``sample_method``.

    References:
        - Loshchilov & Hutter 2019, "Decoupled Weight Decay Regularization", ICLR (AdamW).
        - Loshchilov & Hutter 2017, "SGDR: Stochastic Gradient Descent with Warm Restarts", ICLR (cosine decay).
        - Song et al. 2021, "Score-Based Generative Modeling through Stochastic Differential Equations", ICLR
          (arXiv:2011.13456): the defaults lr 2e-4, warm-up 5000, clip 1, EMA 0.9999, Adam.
    """

    steps: int = 10_000
    batch_size: int = 128
    lr: float = 2e-4
    warmup: int = 5000
    lr_schedule: str = "constant"
    weight_decay: float = 0.0
    betas: tuple[float, float] = (0.9, 0.999)
    adam_eps: float = 1e-8
    grad_clip: float | None = 1.0
    ema_decay: float = 0.9999
    ema_warmup: bool = False
    precision: str = "auto"
    compile: bool = False
    seed: int = 0
    log_every: int = 100
    checkpoint_every: int = 5000
    keep_checkpoints: int = 3
    sample_every: int = 0
    sample_count: int = 64
    sample_method: str = "euler_maruyama"
    sample_steps: int = 200
    max_nonfinite: int = 5
    progress: bool = True
    loss: DSMLoss = field(default_factory=DSMLoss)

    def __post_init__(self) -> None:
        for name in ("steps", "batch_size", "log_every", "checkpoint_every", "keep_checkpoints", "sample_count",
                     "sample_steps", "max_nonfinite"):
            check_int(getattr(self, name), name, minimum=1)
        for name in ("warmup", "sample_every", "seed"):
            check_int(getattr(self, name), name, minimum=0)
        for name in ("lr", "adam_eps"):
            check_positive_float(getattr(self, name), name)
        check_positive_float(self.weight_decay, "weight_decay", allow_zero=True)
        if self.grad_clip is not None:
            check_positive_float(self.grad_clip, "grad_clip")
        if not isinstance(self.betas, (tuple, list)):
            raise TypeError(f"betas must be a pair of numbers (β1, β2); got {type(self.betas).__name__} "
                            f"{self.betas!r}")
        if len(self.betas) != 2:
            raise ValueError(f"betas must be two numbers in [0, 1); got {self.betas!r}")
        for i, beta in enumerate(self.betas):
            check_float(beta, f"betas[{i}]", low=0.0, high=1.0, high_open=True)
        check_float(self.ema_decay, "ema_decay", low=0.0, high=1.0, high_open=True)
        for name in ("ema_warmup", "compile", "progress"):
            check_bool(getattr(self, name), name)
        check_choice(self.precision, "precision", PRECISIONS)
        check_choice(self.lr_schedule, "lr_schedule", LR_SCHEDULES)
        check_choice(self.sample_method, "sample_method", METHODS)
        if not isinstance(self.loss, DSMLoss):
            raise TypeError(f"loss must be a DSMLoss; got {type(self.loss).__name__}")

    def to_dict(self) -> dict[str, Any]:
        """Plain values only (the loss as a nested dict), for JSON files and checkpoints.

        Returns:
            A dict of field names to values; ``betas`` as a list.
        """
        out = dataclasses.asdict(self)
        out["betas"] = list(self.betas)
        return out

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> TrainConfig:
        """The inverse of ``to_dict``; an unknown key is an error that lists the valid ones.

        Args:
            values: field names and values (``loss`` as a ``DSMLoss`` or its dict); missing fields take their
                defaults.

        Returns:
            The config.

        Raises:
            TypeError: ``values`` is not a dict, or a field has the wrong type.
            ValueError: an unknown key in ``values`` or its ``loss``, or an invalid value.
        """
        if not isinstance(values, dict):
            raise TypeError(f"a training config must be a dict; got {type(values).__name__}")
        _reject_unknown(values, [f.name for f in dataclasses.fields(cls)], "training config")
        kw = dict(values)
        if isinstance(kw.get("loss"), dict):
            _reject_unknown(kw["loss"], [f.name for f in dataclasses.fields(DSMLoss)], "loss config")
            kw["loss"] = DSMLoss(**kw["loss"])
        if "betas" in kw:
            kw["betas"] = tuple(kw["betas"])
        return cls(**kw)


def _reject_unknown(values: dict[str, Any], valid: list[str], what: str) -> None:
    unknown = sorted(set(values) - set(valid))
    if unknown:
        raise ValueError(f"unknown {what} key(s) {', '.join(map(repr, unknown))}; valid keys: {', '.join(valid)}")


@dataclass(frozen=True)
class TrainResult:
    """How ``fit`` ended: the step reached, whether a signal stopped it, and the last checkpoint written.

    Attributes:
        step: the optimizer step reached.
        interrupted: whether the run stopped before ``config.steps`` (SIGTERM or SIGINT).
        checkpoint: the last checkpoint written by this ``fit``, or None.
    """

    step: int
    interrupted: bool
    checkpoint: Path | None


class Trainer:
    r"""Trains ``net`` (predicting ε, or what ``config.loss.predicts`` says) under ``sde`` on ``data``.

    Each step minimises the denoising score-matching loss ``E_t E_{x_0,ε} [w(t)·(1/D)‖ε_θ(x_t, t) - ε‖²]``
    (``config.loss``) on the next batch, with AdamW at the learning rate ``lr_at(step)``, the global gradient norm
    clipped, then updates the EMA ``θ_EMA ← β·θ_EMA + (1 - β)·θ``. ``fit()`` runs the loop, ``resume()`` continues
    a run exactly from a checkpoint, and ``score_model()`` gives the trained score ``s_θ(x, t)``.

    Args:
        net: the network, called as ``net(x_t, t)``; a ``config.to_dict()`` on it is recorded in checkpoints.
        sde: the forward SDE.
        data: a tensor of examples ``(n, *dims)``, or a map-style ``Dataset`` whose items collate into a batch; a
            data set with ``set_epoch`` (``scoresde.data.ImageDataset``: new random flips per epoch) is told the
            epoch before each batch (``DataCursor``).
        config: a ``TrainConfig``.
        out_dir: where the log, loss curve, samples and checkpoints go (None: nothing is written).
        transform: ``transform(batch, generator) -> batch`` applied to each batch (e.g. uint8 → [-1, 1] and random
            flips); it must draw only from the generator it is given, so that runs resume exactly.
        dist_info: from ``init_distributed()``; default a single process on ``device``.
        device: used when ``dist_info`` is None (default CPU).

    Attributes:
        config: the ``TrainConfig``.
        net: the network (on the device), the weights the optimizer updates.
        ema: the ``EMA`` of the network's weights.
        optimizer: the ``torch.optim.AdamW`` optimizer.
        step: the number of optimizer steps taken.
        cursor: the ``DataCursor``, the position in the data order (``cursor.epoch``, ``cursor.batch_in_epoch``).
        dist: the ``DistInfo`` of this process.

    Raises:
        TypeError: ``net`` is not a ``torch.nn.Module``, ``sde`` not an ``SDE``, ``config`` not a ``TrainConfig``,
            or ``data`` neither a tensor nor a map-style ``Dataset`` with ``__len__``.
        ValueError: ``batch_size`` is not divisible by the number of processes or larger than the data set, or
            ``data`` is a tensor of fewer than 2 dimensions.

    Example:
        ```python
        trainer = Trainer(MLP(), VPSDE(), data, TrainConfig(steps=2000, batch_size=512), "runs/toy")
        trainer.resume()          # continue from the newest checkpoint in runs/toy, if any
        result = trainer.fit()
        score_fn = trainer.score_model()
        ```

    References:
        - Ho, Jain & Abbeel 2020, "Denoising Diffusion Probabilistic Models", NeurIPS (Algorithm 1).
        - Song et al. 2021, "Score-Based Generative Modeling through Stochastic Differential Equations", ICLR
          (arXiv:2011.13456).
        - Loshchilov & Hutter 2019, "Decoupled Weight Decay Regularization", ICLR (AdamW).
    """

    def __init__(self, net: nn.Module, sde: SDE, data: Tensor | Dataset[Any], config: TrainConfig | None = None,
                 out_dir: str | Path | None = None, *, transform: Transform | None = None,
                 dist_info: DistInfo | None = None, device: str | torch.device | None = None) -> None:
        if not isinstance(net, nn.Module):
            raise TypeError(f"net must be a torch.nn.Module; got {type(net).__name__}")
        check_sde(sde)
        self.config = config if config is not None else TrainConfig()
        if not isinstance(self.config, TrainConfig):
            raise TypeError(f"config must be a TrainConfig; got {type(self.config).__name__}")
        self.dist = dist_info or DistInfo(device=torch.device(device or "cpu"))
        cfg = self.config
        self.cursor = DataCursor(data, cfg.batch_size, cfg.seed, rank=self.dist.rank, world_size=self.dist.world_size)
        self.transform = transform
        self.sde, self.net = sde, net.to(self.dist.device)
        self.out_dir = Path(out_dir) if out_dir is not None else None
        torch.manual_seed(cfg.seed * 1000 + self.dist.rank)  # dropout draws from the global RNG
        # t and ε: the same stream on every process, each keeping its slice of the global batch's draws
        self.noise_gen = torch.Generator(self.dist.device).manual_seed(cfg.seed * 1000 + 1)
        self.aug_gen = torch.Generator().manual_seed(cfg.seed * 1000 + 2 + self.dist.rank)
        self.model: nn.Module = (DistributedDataParallel(self.net, device_ids=_device_ids(self.dist))
                                 if self.dist.distributed else self.net)
        self.forward: Callable[..., Tensor] = torch.compile(self.model) if cfg.compile else self.model
        # the fused kernel: one pass over all parameters, 3-5x faster than the default on a CPU (docs/benchmarks.md)
        fused = self.dist.device.type in ("cpu", "cuda") and all(p.is_floating_point() for p in self.net.parameters())
        self.optimizer = torch.optim.AdamW(self.net.parameters(), lr=cfg.lr, betas=cfg.betas, eps=cfg.adam_eps,
                                           weight_decay=cfg.weight_decay, fused=fused)
        self.ema = EMA(self.net, cfg.ema_decay, cfg.ema_warmup)
        self.step = 0
        self.checkpoints = CheckpointManager(self.out_dir / "checkpoints", cfg.keep_checkpoints) if self.out_dir \
            else None
        self._stop_requested = False
        self._saved_step = -1  # the step of the last checkpoint written or loaded

    # --- what the user reads ---
    @property
    def autocast_dtype(self) -> torch.dtype | None:
        """``torch.bfloat16`` when mixed precision is on ("bf16", or "auto" on a CUDA device with bf16), else None."""
        p, dev = self.config.precision, self.dist.device
        if p == "bf16" or (p == "auto" and dev.type == "cuda" and torch.cuda.is_bf16_supported()):
            return torch.bfloat16
        return None

    def score_model(self, ema: bool = True) -> ScoreModel:
        """The trained network as a score function ``s_θ(x, t)``, e.g. ``-ε_θ(x, t)/σ(t)`` for an ε-network.

        Args:
            ema: use the EMA weights (default) rather than the raw weights.

        Returns:
            A ``ScoreModel`` of the network under ``sde`` with the loss's parameterization.
        """
        return ScoreModel(self.ema.module if ema else self.net, self.sde, self.config.loss.predicts)

    def lr_at(self, step: int) -> float:
        r"""The learning rate of step n: a linear warm-up, then constant or a cosine decay to 0 at ``steps``.

            lr_n = lr · min(1, (n + 1)/warmup)                              n < warmup, or "constant"
            lr_n = lr · ½ (1 + cos(π (n - warmup)/(steps - warmup)))        n >= warmup, "cosine"

        The constant schedule is Song et al. 2021's; the cosine one is Loshchilov & Hutter 2017's (SGDR, without
        restarts).

        Args:
            step: the step index n, from 0.

        Returns:
            The learning rate.
        """
        cfg = self.config
        lr = cfg.lr * min(1.0, (step + 1) / max(cfg.warmup, 1))
        if cfg.lr_schedule == "cosine" and step >= cfg.warmup:
            lr *= 0.5 * (1.0 + math.cos(math.pi * (step - cfg.warmup) / max(cfg.steps - cfg.warmup, 1)))
        return lr

    # --- data ---
    def _next_batch(self) -> Tensor:
        batch = self.cursor.next_batch()
        if self.transform is not None:
            batch = self.transform(batch, self.aug_gen)
        return batch.to(self.dist.device, non_blocking=True)

    # --- one step ---
    def _train_step(self, x0: Tensor) -> tuple[Tensor, Tensor, bool]:
        for group in self.optimizer.param_groups:
            group["lr"] = self.lr_at(self.step)
        amp = self.autocast_dtype
        ctx = torch.autocast(self.dist.device.type, dtype=amp) if amp is not None else nullcontext()
        with ctx:
            loss = self.config.loss(self.forward, self.sde, x0, generator=self.noise_gen,
                                    shard=(self.dist.rank, self.dist.world_size))
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()  # type: ignore[no-untyped-call]
        clip = self.config.grad_clip if self.config.grad_clip is not None else math.inf
        grad_norm = torch.nn.utils.clip_grad_norm_(self.net.parameters(), clip)
        finite = bool(torch.isfinite(grad_norm)) and bool(torch.isfinite(loss))
        if finite:
            self.optimizer.step()
            self.ema.update(self.net)
        return loss.detach(), grad_norm.detach(), finite

    # --- the loop ---
    def fit(self) -> TrainResult:
        """Train until ``config.steps``; returns early (after saving) on SIGTERM/SIGINT.

        A step with a non-finite loss or gradient norm is skipped with a warning. With an ``out_dir`` a
        checkpoint is always written at the end.

        Returns:
            A ``TrainResult`` with the step reached, whether a signal stopped the run, and the last checkpoint.

        Raises:
            NonFiniteLossError: ``max_nonfinite`` steps in a row were non-finite.
        """
        cfg = self.config
        if self.out_dir is not None and self.dist.is_main:
            self.out_dir.mkdir(parents=True, exist_ok=True)
        bar = progress_bar(total=cfg.steps, initial=self.step, desc="training", unit="step",
                           disable=not (cfg.progress and self.dist.is_main))
        loss_sum = torch.zeros((), dtype=torch.float64, device=self.dist.device)
        norm_sum = torch.zeros_like(loss_sum)
        counted, bad_in_row, last_ckpt = 0, 0, None
        t_mark, step_mark = time.perf_counter(), self.step
        with self._signals_caught():
            while self.step < cfg.steps and not self._stop_agreed():
                loss, grad_norm, finite = self._train_step(self._next_batch())
                if not finite:
                    bad_in_row += 1
                    warnings.warn(f"step {self.step + 1}: non-finite loss ({float(loss):g}) or gradient norm "
                                  f"({float(grad_norm):g}); the step was skipped "
                                  f"({bad_in_row} in a row, at most {cfg.max_nonfinite})", stacklevel=2)
                    if bad_in_row >= cfg.max_nonfinite:
                        bar.close()
                        raise NonFiniteLossError(
                            f"{bad_in_row} consecutive non-finite steps at step {self.step}; stopping. The weights "
                            f"were not changed by them; the last checkpoint is intact"
                            + (f" in {self.checkpoints.folder}" if self.checkpoints else "")
                            + ". Lower lr, enable grad_clip, or check the data for NaNs.")
                    continue
                bad_in_row = 0
                self.step += 1
                loss_sum += loss.to(torch.float64)
                norm_sum += grad_norm.to(torch.float64)
                counted += 1
                bar.update(1)
                if self.step % cfg.log_every == 0 or self.step == cfg.steps:
                    now = time.perf_counter()
                    rate = (self.step - step_mark) * cfg.batch_size / max(now - t_mark, 1e-9)
                    self._log(loss_sum / counted, norm_sum / counted, rate, bar)
                    loss_sum.zero_()
                    norm_sum.zero_()
                    counted, t_mark, step_mark = 0, now, self.step
                if cfg.sample_every and self.step % cfg.sample_every == 0:
                    self.save_samples()
                if self.step % cfg.checkpoint_every == 0:
                    last_ckpt = self.save()
            interrupted = self._stop_requested or self.step < cfg.steps
            if self.checkpoints is not None and self._saved_step != self.step:  # the same on every rank
                last_ckpt = self.save()
        bar.close()
        return TrainResult(self.step, interrupted, last_ckpt)

    def _log(self, loss: Tensor, grad_norm: Tensor, rate: float, bar: Any) -> None:
        if self.dist.distributed:
            dist.all_reduce(loss)
            loss = loss / self.dist.world_size
        if not self.dist.is_main:
            return
        row = {"step": self.step, "loss": f"{float(loss):.6g}", "lr": f"{self.lr_at(self.step - 1):.6g}",
               "grad_norm": f"{float(grad_norm):.6g}", "images_per_s": f"{rate:.1f}"}
        bar.set_postfix(loss=row["loss"], img_s=row["images_per_s"], refresh=False)
        if self.out_dir is None:
            return
        log = self.out_dir / "log.csv"
        new = not log.exists()
        with open(log, "a", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=LOG_FIELDS)
            if new:
                writer.writeheader()
            writer.writerow(row)

    # --- signals ---
    @contextmanager
    def _signals_caught(self) -> Iterator[None]:
        import threading

        if threading.current_thread() is not threading.main_thread():
            yield
            return

        def request_stop(signum: int, _frame: Any) -> None:
            self._stop_requested = True

        previous = {s: signal.signal(s, request_stop) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)

    def _stop_agreed(self) -> bool:
        """Whether any process was asked to stop (all processes must leave the loop at the same step)."""
        if not self.dist.distributed:
            return self._stop_requested
        flag = torch.tensor([float(self._stop_requested)], device=self.dist.device)
        dist.all_reduce(flag)
        self._stop_requested = bool(flag.item() > 0)
        return self._stop_requested

    # --- samples ---
    @torch.no_grad()
    def save_samples(self) -> Path | None:
        """Draw ``sample_count`` samples from the EMA model and write a picture of them (rank 0).

        Images become a grid (``save_image_grid``), 2-D points a scatter plot (``save_scatter``), in
        ``out_dir/samples/step-<step>.png``.

        Returns:
            The path written, or None (no ``out_dir``, not rank 0, or examples that are neither images nor 2-D).
        """
        if self.out_dir is None or not self.dist.is_main:
            return None
        cfg = self.config
        shape = (cfg.sample_count, *self._example_shape())
        g = torch.Generator(self.dist.device).manual_seed(cfg.seed)
        out = sample(self.score_model(ema=True), self.sde, shape, method=cfg.sample_method, steps=cfg.sample_steps,
                     generator=g, device=self.dist.device)
        path = self.out_dir / "samples" / f"step-{self.step:08d}.png"
        if len(shape) == 4:
            return save_image_grid(out.samples, path)
        if shape[1:] == (2,):
            return save_scatter([(f"EMA samples, step {self.step}", out.samples)], path)
        return None

    def _example_shape(self) -> tuple[int, ...]:
        """The shape of one training example as the network sees it (after ``transform``)."""
        data = self.cursor.data
        if isinstance(data, Tensor):
            first = data[:1]
        else:
            item = data[0]
            first = (item[0] if isinstance(item, (list, tuple)) else item)[None]
        if self.transform is not None:
            first = self.transform(first, torch.Generator().manual_seed(0))
        return tuple(first.shape[1:])

    # --- checkpoints ---
    def state_dict(self) -> dict[str, Any]:
        """Everything the next step depends on, as tensors and plain values.

        Model, EMA, optimizer, step and data position, the configs, and the RNG states of every process
        (gathered from all ranks when distributed; every rank must call it).

        Returns:
            The state dict (what ``save`` writes).
        """
        rng = {"torch": torch.get_rng_state(), "noise": self.noise_gen.get_state(), "augment": self.aug_gen.get_state()}
        if self.dist.device.type == "cuda":
            rng["cuda"] = torch.cuda.get_rng_state(self.dist.device)
        rng_all = [rng]
        if self.dist.distributed:
            rng_all = [{}] * self.dist.world_size
            dist.all_gather_object(rng_all, {k: v.cpu() for k, v in rng.items()})
        return {"format": CHECKPOINT_FORMAT, "step": self.step, "cursor": self.cursor.state_dict(),
                "world_size": self.dist.world_size, "config": self.config.to_dict(),
                "net_class": type(self.net).__name__, "net_config": net_config(self.net),
                "model": self.net.state_dict(), "ema": self.ema.state_dict(),
                "optimizer": self.optimizer.state_dict(), "rng": rng_all}

    def save(self) -> Path | None:
        """Write a checkpoint of the current step (rank 0) and refresh the loss curve.

        Every rank must call it (the RNG states are gathered).

        Returns:
            The checkpoint's path on rank 0 with an ``out_dir``, else None.
        """
        state = self.state_dict()  # every rank takes part in gathering the RNG states
        self._saved_step = self.step
        path = None
        if self.checkpoints is not None and self.dist.is_main:
            path = self.checkpoints.save(state, self.step)
            log = self.out_dir / "log.csv" if self.out_dir else None
            if log is not None and log.exists():
                plot_loss_curve(log, log.with_name("loss.png"))
        if self.dist.distributed:
            dist.barrier()
        return path

    def resume(self, path: str | Path | None = None) -> Path | None:
        """Load a checkpoint (default: the newest good one in ``out_dir``) and continue from it exactly.

        Args:
            path: a checkpoint file, or None for the newest one in ``out_dir/checkpoints`` that loads.

        Returns:
            The path loaded, or None when there was none to load (a fresh start).

        Raises:
            CheckpointError: the file is unusable, or comes from another architecture or training config.
        """
        if path is None:
            found = self.checkpoints.load_latest(self.dist.device) if self.checkpoints else None
            if found is None:
                return None
            path, state = found
        else:
            state = load_checkpoint(path, self.dist.device)
        self.load_state_dict(state, source=str(path))
        return Path(path)

    def load_state_dict(self, state: dict[str, Any], source: str = "the checkpoint") -> None:
        """Restore from ``state_dict()``'s output after checking it belongs to this network and config.

        Settings that do not change the trajectory (steps, logging, checkpoint and sampling intervals,
        precision, compile: ``RESUMABLE_CHANGES``) may differ. A checkpoint of the first format
        (``scoresde.training/1``, before ``DataCursor``) loads as well. The log is cut back to the checkpoint's step.

        Args:
            state: a state dict from ``state_dict`` (or ``load_checkpoint``).
            source: how to name the state in error messages.

        Raises:
            CheckpointError: not a training checkpoint, another architecture (the differing config keys and
                weights are listed), another training config (the differences are listed), or a data position
                beyond the end of an epoch of this data set.

        Warns:
            UserWarning: the checkpoint was written by another number of processes: the weights, optimizer
                and data order continue exactly, the noise draws do not.
        """
        state = check_resumable(state, self.net, self.config, source)
        try:
            self.cursor.load_state_dict(state["cursor"])
        except (TypeError, ValueError) as err:
            raise CheckpointError(f"{source}: its data position does not fit this data set: {err}") from err
        self.net.load_state_dict(state["model"])
        self.ema.load_state_dict(state["ema"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.step = int(state["step"])
        self._saved_step = self.step
        rngs = state["rng"]
        if len(rngs) == self.dist.world_size:
            rng = rngs[self.dist.rank]
            torch.set_rng_state(rng["torch"].cpu())
            self.noise_gen.set_state(rng["noise"].cpu())
            self.aug_gen.set_state(rng["augment"].cpu())
            if "cuda" in rng and self.dist.device.type == "cuda":
                torch.cuda.set_rng_state(rng["cuda"].cpu(), self.dist.device)
        else:
            warnings.warn(f"{source} was written by {len(rngs)} processes and is resumed by "
                          f"{self.dist.world_size}: weights, optimizer and data order continue exactly, the noise "
                          f"draws do not", stacklevel=2)
        self._truncate_log()

    def _truncate_log(self) -> None:
        """Drop log rows written after the checkpoint, so that the resumed run's rows follow on."""
        if self.out_dir is None or not self.dist.is_main:
            return
        log = self.out_dir / "log.csv"
        if not log.exists():
            return
        with open(log, newline="") as f:
            rows = [r for r in csv.DictReader(f) if int(r["step"]) <= self.step]
        with open(log, "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=LOG_FIELDS)
            writer.writeheader()
            writer.writerows(rows)


def _device_ids(info: DistInfo) -> list[int] | None:
    return [info.device.index] if info.device.type == "cuda" and info.device.index is not None else None
