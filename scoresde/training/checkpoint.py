r"""Checkpoints that lose nothing: written atomically, verified by a checksum, loaded without unpickling code.

A checkpoint is a plain ``torch.save`` file of tensors and plain Python values (no pickled classes or code), so
``torch.load(path, weights_only=True)`` reads it. Writing goes to a temporary file in the same folder, which is
flushed and fsync'ed, then renamed over the target (``os.replace`` is atomic on POSIX), and the folder is fsync'ed:
a crash mid-write leaves the previous checkpoint untouched. A SHA-256 of the bytes is written next to it
(``<file>.sha256``) and checked before the file is opened, so a truncated or corrupted file is reported as such.

A training checkpoint (``Trainer.state_dict``) is resumed only by a trainer it fits (``check_resumable``): the same
format, the same network class, architecture and weight shapes, and the same training config up to the settings in
``RESUMABLE_CHANGES`` that do not change the run's trajectory. The first format, ``scoresde.training/1``, which kept
the data position as top-level ``epoch`` and ``batch_in_epoch``, is read by moving them into ``cursor``.
"""

from __future__ import annotations

import os
import re
import tempfile
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from scoresde._utils import check_int, file_sha256

if TYPE_CHECKING:
    from scoresde.training.trainer import TrainConfig

__all__ = ["CheckpointError", "CheckpointManager", "load_checkpoint", "save_checkpoint"]

_NAME = re.compile(r"^ckpt-(\d{8,})\.pt$")
CHECKPOINT_FORMAT = "scoresde.training/2"  # the data position under "cursor" (DataCursor.state_dict)
_FORMAT_1 = "scoresde.training/1"  # the data position as top-level "epoch" and "batch_in_epoch"
# settings that may change when a run is resumed; every other one shapes the trajectory and must match
RESUMABLE_CHANGES = frozenset({"steps", "log_every", "checkpoint_every", "keep_checkpoints", "sample_every",
                               "sample_count", "sample_method", "sample_steps", "max_nonfinite", "progress",
                               "precision", "compile"})


class CheckpointError(ValueError):
    """A checkpoint that cannot be used: missing, corrupt, not ours, or from a different model."""


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _atomic_write(path: Path, write: Any) -> str:
    """Write through ``write(file)`` to a temporary file, fsync, rename over ``path``; return the SHA-256."""
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        digest = file_sha256(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return digest


def save_checkpoint(state: dict[str, Any], path: str | os.PathLike[str]) -> Path:
    """Write ``state`` (tensors and plain values) to ``path`` atomically, with its SHA-256 in ``<path>.sha256``.

    The bytes go to a temporary file in the same folder, which is flushed, fsync'ed and renamed over ``path``;
    the folder is fsync'ed last. A crash mid-write leaves any previous file at ``path`` untouched.

    Args:
        state: a dict of tensors and plain Python values (readable by ``torch.load(weights_only=True)``).
        path: the file to write; its folder is created if needed.

    Returns:
        The path written.

    Raises:
        TypeError: ``state`` is not a dict.
    """
    if not isinstance(state, dict):
        raise TypeError(f"state must be a dict of tensors and plain values; got {type(state).__name__}")
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = _atomic_write(target, lambda f: torch.save(state, f))
    _atomic_write(Path(f"{target}.sha256"), lambda f: f.write(f"{digest}  {target.name}\n".encode()))
    _fsync_dir(target.parent)
    return target


def load_checkpoint(path: str | os.PathLike[str], map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Read a checkpoint with ``torch.load(weights_only=True)`` after checking its SHA-256 (when present).

    No pickled code is ever run: a file that holds objects other than tensors and plain values is refused.

    Args:
        path: the checkpoint file; a ``<path>.sha256`` beside it is checked first.
        map_location: where to put the tensors (``torch.load``'s ``map_location``).

    Returns:
        The state dict that ``save_checkpoint`` wrote.

    Raises:
        CheckpointError: the file is missing, does not match its checksum, cannot be read safely, or does
            not hold a dict.
    """
    source = Path(path)
    if not source.is_file():
        raise CheckpointError(f"checkpoint {source} does not exist (or is not a file)")
    sidecar = Path(f"{source}.sha256")
    if sidecar.is_file():
        words = sidecar.read_text().split()
        expected = words[0] if words else ""
        actual = file_sha256(source)
        if actual != expected:
            raise CheckpointError(f"checkpoint {source} is corrupt: its SHA-256 is {actual[:16]}…, the checksum "
                                  f"file {sidecar.name} says {expected[:16]}… (truncated or overwritten file)")
    try:
        state = torch.load(source, map_location=map_location, weights_only=True)
    except Exception as err:  # torch raises RuntimeError, pickle.UnpicklingError, EOFError, ...
        raise CheckpointError(f"checkpoint {source} cannot be read safely (corrupt, truncated, or holding "
                              f"objects other than tensors and plain values): {type(err).__name__}: {err}") from err
    if not isinstance(state, dict):
        raise CheckpointError(f"checkpoint {source} holds a {type(state).__name__}, not a dict of state")
    return state


class CheckpointManager:
    """Numbered checkpoints ``ckpt-<step>.pt`` in one folder, keeping the last ``keep``.

    Each file is written by ``save_checkpoint`` (atomic, with a SHA-256) and read by ``load_checkpoint``.

    Args:
        folder: where the checkpoints live.
        keep: how many of the newest to keep (older ones are deleted after a new one is safely written).

    Raises:
        TypeError: ``keep`` is not an int.
        ValueError: ``keep`` is less than 1.
    """

    def __init__(self, folder: str | os.PathLike[str], keep: int = 3) -> None:
        self.folder = Path(folder)
        self.keep = check_int(keep, "keep", minimum=1)

    def path(self, step: int) -> Path:
        """The file of the checkpoint of ``step``: ``folder/ckpt-<step>.pt``, the step zero-padded to 8 digits.

        Args:
            step: the training step.

        Returns:
            The path (the file need not exist).
        """
        return self.folder / f"ckpt-{step:08d}.pt"

    def steps(self) -> list[int]:
        """The steps of the checkpoints on disk, oldest first.

        Returns:
            The steps; empty when the folder does not exist.
        """
        if not self.folder.is_dir():
            return []
        found = (_NAME.match(p.name) for p in self.folder.iterdir())
        return sorted(int(m.group(1)) for m in found if m)

    def save(self, state: dict[str, Any], step: int) -> Path:
        """Write the checkpoint of ``step``, then delete all but the newest ``keep``.

        Args:
            state: a dict of tensors and plain values.
            step: the training step, which names the file.

        Returns:
            The path written.
        """
        path = save_checkpoint(state, self.path(step))
        for old in self.steps()[: -self.keep]:
            self.path(old).unlink(missing_ok=True)
            Path(f"{self.path(old)}.sha256").unlink(missing_ok=True)
        return path

    def load_latest(self, map_location: str | torch.device = "cpu") -> tuple[Path, dict[str, Any]] | None:
        """The newest checkpoint that loads, as (path, state); a bad newer one is reported and skipped.

        Args:
            map_location: where to put the tensors.

        Returns:
            ``(path, state)``, or None when no checkpoint loads.

        Warns:
            UserWarning: for each unusable checkpoint skipped.
        """
        for step in reversed(self.steps()):
            path = self.path(step)
            try:
                return path, load_checkpoint(path, map_location)
            except CheckpointError as err:
                warnings.warn(f"skipping unusable checkpoint: {err}", stacklevel=2)
        return None


# ------------------------------------------------------------------------------------- training checkpoints


def net_config(net: nn.Module) -> dict[str, Any] | None:
    """The architecture a checkpoint records: ``net.config.to_dict()`` when the network has one, else None.

    Args:
        net: the network.

    Returns:
        A dict of the network's config, or None.
    """
    config = getattr(net, "config", None)
    to_dict = getattr(config, "to_dict", None)
    return dict(to_dict()) if callable(to_dict) else None


def check_resumable(state: dict[str, Any], net: nn.Module, config: TrainConfig, source: str) -> dict[str, Any]:
    """The training checkpoint ``state`` in the current format, after checking that it fits ``net`` and ``config``.

    A checkpoint of the first format (``scoresde.training/1``) is returned in the current one, its top-level
    ``epoch`` and ``batch_in_epoch`` moved into ``cursor``. It fits when it holds the same network class with the
    same ``config.to_dict()`` and weight shapes, and was trained with the same config up to ``RESUMABLE_CHANGES``
    (less ``steps`` under the cosine schedule, which decays to ``steps``).

    Args:
        state: a state dict from ``Trainer.state_dict`` (or ``load_checkpoint``).
        net: the network that is to continue from it.
        config: the training config of the run that is to continue.
        source: how to name the state in error messages.

    Returns:
        ``state`` in the current format (a new dict when it was upgraded).

    Raises:
        CheckpointError: not a training checkpoint, another architecture (the differing config keys and weights are
            listed), or another training config (the differences are listed).
    """
    fmt = state.get("format")
    if fmt == _FORMAT_1 and {"epoch", "batch_in_epoch"} <= set(state):
        state = {k: v for k, v in state.items() if k not in ("epoch", "batch_in_epoch")} | {
            "format": CHECKPOINT_FORMAT, "cursor": {"epoch": state["epoch"], "batch_in_epoch": state["batch_in_epoch"]}}
    elif fmt != CHECKPOINT_FORMAT:
        raise CheckpointError(f"{source} is not a scoresde training checkpoint (format {fmt!r}, expected "
                              f"{CHECKPOINT_FORMAT!r} or {_FORMAT_1!r})")
    _check_same_net(net, state, source)
    _check_same_config(config, state["config"], source)
    return state


def _check_same_net(net: nn.Module, state: dict[str, Any], source: str) -> None:
    mine, theirs = net_config(net), state.get("net_config")
    if type(net).__name__ != state.get("net_class") or (mine is not None and mine != theirs):
        diff = sorted(k for k in set(mine or {}) | set(theirs or {}) if (mine or {}).get(k) != (theirs or {}).get(k))
        raise CheckpointError(f"{source} holds a {state.get('net_class')} with a different architecture than "
                              f"this {type(net).__name__}: config keys that differ: {', '.join(diff) or '(class)'}; "
                              + "; ".join(f"{k}: checkpoint {(theirs or {}).get(k)!r}, here {(mine or {}).get(k)!r}"
                                          for k in diff[:8]))
    expected = {k: tuple(v.shape) for k, v in net.state_dict().items()}
    found = {k: tuple(v.shape) for k, v in state["model"].items()}
    missing, unexpected = sorted(set(expected) - set(found)), sorted(set(found) - set(expected))
    reshaped = sorted(k for k in set(expected) & set(found) if expected[k] != found[k])
    if missing or unexpected or reshaped:
        parts = [f"missing: {', '.join(missing[:10])}" if missing else "",
                 f"unexpected: {', '.join(unexpected[:10])}" if unexpected else "",
                 "shape differs (checkpoint vs here): "
                 + ", ".join(f"{k} {found[k]} vs {expected[k]}" for k in reshaped[:10]) if reshaped else ""]
        raise CheckpointError(f"{source} does not fit this network's weights; "
                              + "; ".join(p for p in parts if p))


def _check_same_config(config: TrainConfig, saved: dict[str, Any], source: str) -> None:
    mine = config.to_dict()
    free = RESUMABLE_CHANGES - {"steps"} if config.lr_schedule == "cosine" else RESUMABLE_CHANGES  # decays to steps
    diff = sorted(k for k in set(mine) | set(saved) if k not in free and mine.get(k) != saved.get(k))
    if diff:
        raise CheckpointError(f"{source} was trained with a different config; resuming would not continue the same "
                              f"run. Differences: " + "; ".join(f"{k}: checkpoint {saved.get(k)!r}, here "
                                                                  f"{mine.get(k)!r}" for k in diff))
