"""Small shared helpers: broadcasting and input checks at the public boundary.

Every public function checks its inputs once, here, and raises ``ValueError`` or
``TypeError`` naming the argument, what it got and what is allowed.
"""

from __future__ import annotations

import hashlib
import math
import os
import sys
from collections.abc import Iterable, Sequence
from typing import IO, Any

import torch
from torch import Tensor

FLOAT64 = torch.float64


def file_sha256(path: str | os.PathLike[str]) -> str:
    """The SHA-256 (hex) of a file, read in 1 MiB blocks (checkpoints, weights files)."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class _Lines:
    """A stream for tqdm when stderr is not a terminal: each refresh becomes one line, without carriage returns."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.last = ""

    def write(self, text: str) -> None:
        line = text.replace("\r", "").replace("\x1b[A", "").strip()
        if line and line != self.last:
            self.stream.write(line + "\n")
            self.last = line

    def flush(self) -> None:
        self.stream.flush()


def progress_bar(iterable: Iterable[Any] | None = None, *, total: float | None = None, desc: str | None = None,
                 unit: str = "it", disable: bool = False, **options: Any) -> Any:
    """A tqdm bar on stderr: live on a terminal; one line every 10 s (and at the end) when stderr is a file or pipe.

    A log of a long run then holds a few hundred short lines instead of megabytes of carriage-return updates.
    Used by the trainer, the samplers of ``scoresde.evaluation`` and the examples.

    Args:
        iterable: what to iterate over, or None for a bar advanced by ``update``.
        total: the expected count (None: unknown, e.g. the evaluations of an adaptive ODE solver).
        desc: the label.
        unit: what is counted.
        disable: no output at all.
        **options: other ``tqdm`` options.

    Returns:
        A ``tqdm`` instance (a context manager and an iterator).

    References:
        tqdm, da Costa-Luis et al., https://github.com/tqdm/tqdm (the bar itself).
    """
    from tqdm.auto import tqdm

    if not disable and not sys.stderr.isatty():
        options = {"file": _Lines(sys.stderr), "mininterval": 10.0, "maxinterval": 10.0, "ncols": 100, **options}
    else:
        options = {"dynamic_ncols": True, **options}
    return tqdm(iterable, total=total, desc=desc, unit=unit, disable=disable, **options)


def append_dims(v: Tensor, ndim: int) -> Tensor:
    """Append trailing singleton dimensions: shape `(batch,)` becomes `(batch, 1, …, 1)` with `ndim` dimensions.

    `append_dims(v, x.ndim)[b, 1, …, 1] = v[b]`, so a per-sample coefficient such as `σ(t)` of shape `(batch,)`
    broadcasts against `x` of shape `(batch, *dims)`: one code path serves vectors and images. A 0-d tensor
    becomes `(1, …, 1)`, which broadcasts like a scalar. (The helper of k-diffusion, written anew.)

    Args:
        v: tensor of shape `(batch,)` or `()`.
        ndim: number of dimensions wanted, at least `v.ndim`.

    Returns:
        A view of `v` with `ndim - v.ndim` trailing singleton dimensions.

    Raises:
        TypeError: if `v` is not a tensor or `ndim` not an int.
        ValueError: if `v` already has more than `ndim` dimensions.

    Examples:
        >>> import torch
        >>> append_dims(torch.ones(4), 4).shape
        torch.Size([4, 1, 1, 1])
    """
    if not isinstance(v, Tensor):
        raise TypeError(f"append_dims: v must be a torch.Tensor; got {type(v).__name__}")
    if isinstance(ndim, bool) or not isinstance(ndim, int):
        raise TypeError(f"append_dims: ndim must be an int; got {type(ndim).__name__} {ndim!r}")
    missing = ndim - v.ndim
    if missing < 0:
        raise ValueError(f"append_dims: ndim must be >= v.ndim = {v.ndim}; got ndim = {ndim}")
    return v[(...,) + (None,) * missing]


def as_float64(value: Any, name: str) -> Tensor:
    """Turn a float, a sequence or a tensor into a float64 tensor, refusing non-numbers."""
    if isinstance(value, Tensor):
        if value.is_complex() or value.dtype == torch.bool:
            raise TypeError(f"{name} must be a real tensor; got dtype {value.dtype}")
        return value.to(FLOAT64)
    if isinstance(value, bool) or isinstance(value, str):
        raise TypeError(f"{name} must be a number or a tensor; got {type(value).__name__}")
    try:
        return torch.as_tensor(value, dtype=FLOAT64)
    except (TypeError, ValueError, RuntimeError) as err:
        raise TypeError(f"{name} must be a number, a sequence of numbers or a tensor; got {value!r}") from err


def _range_text(x: Tensor) -> str:
    if x.numel() == 1:
        return repr(float(x.reshape(())))
    return f"values in [{float(x.min()):g}, {float(x.max()):g}]"


def check_finite(x: Tensor, name: str) -> None:
    """Raise ``ValueError`` if ``x`` holds NaN or infinity."""
    if not bool(torch.isfinite(x).all()):
        bad = x[~torch.isfinite(x)].flatten()[0].item()
        raise ValueError(f"{name} must be finite; got a non-finite value ({bad})")


def check_float(
    value: Any, name: str, *, low: float = -math.inf, high: float = math.inf, low_open: bool = False,
    high_open: bool = False,
) -> float:
    """Return ``value`` as a Python float after checking it is a finite real number in the given interval.

    A bool, a string or a tensor is the wrong type (``TypeError``); NaN, infinity or a number outside
    ``[low, high]`` (open at `low` with ``low_open``, at `high` with ``high_open``) is out of range (``ValueError``).
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a real number; got {type(value).__name__} {value!r}")
    v = float(value)
    below = v <= low if low_open else v < low
    above = v >= high if high_open else v > high
    if not math.isfinite(v) or below or above:
        lo = "" if low == -math.inf else f"{'>' if low_open else '>='} {low:g}"
        hi = "" if high == math.inf else f"{'<' if high_open else '<='} {high:g}"
        bounds = " and ".join(b for b in (lo, hi) if b)
        raise ValueError(f"{name} must be a finite number{' ' + bounds if bounds else ''}; got {value!r}")
    return v


def check_positive_float(value: Any, name: str, *, allow_zero: bool = False) -> float:
    """Return ``value`` as a Python float after checking it is finite and > 0 (or >= 0): `check_float`, `low=0`."""
    return check_float(value, name, low=0.0, low_open=not allow_zero)


def check_int(value: Any, name: str, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """Return ``value`` after checking it is an int (a bool is not: ``TypeError``) in ``[minimum, maximum]``
    (``ValueError``)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int; got {type(value).__name__} {value!r}")
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        if maximum is None:
            allowed = f"an integer >= {minimum}"
        elif minimum is None:
            allowed = f"an integer <= {maximum}"
        else:
            allowed = f"an integer in [{minimum}, {maximum}]"
        raise ValueError(f"{name} must be {allowed}; got {value}")
    return value


def check_bool(value: Any, name: str) -> bool:
    """Return ``value`` after checking it is a bool, not merely truthy (``TypeError`` otherwise)."""
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be a bool; got {type(value).__name__} {value!r}")
    return value


def check_callable(value: Any, name: str, call: str) -> None:
    """Check that ``value`` is callable; the ``TypeError`` shows how it is called (``call``: ``score_fn(x, t)``)."""
    if not callable(value):
        raise TypeError(f"{name} must be callable as {call}; got {type(value).__name__}")


def check_sde(sde: Any, name: str = "sde") -> None:
    """Check that ``sde`` is a ``scoresde.SDE`` (``TypeError`` otherwise)."""
    from scoresde.sde import SDE  # imported here: sde.py imports this module

    if not isinstance(sde, SDE):
        raise TypeError(f"{name} must be an SDE; got {type(sde).__name__}")


def check_t_min(t_min: Any, T: float) -> float:
    """Return ``t_min`` as a float after checking ``0 < t_min < T``: the last time of a sampler or a likelihood."""
    if isinstance(t_min, bool) or not isinstance(t_min, (int, float)):
        raise TypeError(f"t_min must be a real number; got {type(t_min).__name__} {t_min!r}")
    if not 0.0 < t_min < T:  # False for NaN too
        raise ValueError(f"t_min must lie in (0, {T:g}); got {t_min!r}")
    return float(t_min)


def check_output(out: Any, x: Tensor, call: str, *, dtype: bool = False, where: str = "", x_name: str = "x") -> Tensor:
    """Check what a user's function returned for the input ``x``.

    It must be a tensor (``TypeError``) of ``x``'s shape (``ValueError``) and, with ``dtype``, of ``x``'s dtype
    (``TypeError``). ``call`` names the function as called (``"score_fn(x, t)"``); ``where`` ends the message
    (``"at t = 0.5"``); ``x_name`` is the input's name in the message.
    """
    at = f" {where}" if where else ""
    if not isinstance(out, Tensor):
        raise TypeError(f"{call} must return a torch.Tensor of the shape of {x_name}, {tuple(x.shape)}; "
                        f"got {type(out).__name__}{at}")
    if out.shape != x.shape:
        raise ValueError(f"{call} must return a tensor of the shape of {x_name}, {tuple(x.shape)}; "
                         f"got {tuple(out.shape)}{at}")
    if dtype and out.dtype != x.dtype:
        raise TypeError(f"{call} must return {x_name}'s dtype, {x.dtype}; got {out.dtype}{at}")
    return out


def check_generator(generator: Any) -> None:
    """Check that ``generator`` is a ``torch.Generator`` or None (``TypeError`` otherwise)."""
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(f"generator must be a torch.Generator or None; got {type(generator).__name__}")


def check_float_dtype(dtype: Any, name: str = "dtype") -> torch.dtype:
    """Check that ``dtype`` is a floating-point ``torch.dtype`` (``TypeError`` otherwise)."""
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise TypeError(f"{name} must be a floating-point torch.dtype; got {dtype!r}")
    return dtype


def expand_like(c: Tensor, x: Tensor) -> Tensor:
    """A coefficient of shape ``()`` or ``(batch,)`` shaped to broadcast against ``x`` and cast to its dtype and
    device, ``append_dims(c, x.ndim).to(x)``: coefficients are computed in float64 and cast here, at use."""
    return append_dims(c, x.ndim).to(x)


def check_time(t: Any, T: float, name: str = "t") -> Tensor:
    """Return ``t`` as a float64 tensor after checking it lies in ``[0, T]``."""
    tt = as_float64(t, name)
    if tt.ndim > 1:
        raise ValueError(f"{name} must be a scalar or of shape (batch,); got shape {tuple(tt.shape)}")
    if tt.numel() and bool((torch.isnan(tt) | (tt < 0) | (tt > T)).any()):  # one wait for the device, not three
        raise ValueError(f"{name} must lie in [0, {T:g}]; got {_range_text(tt)}")
    return tt


def check_batch_time(x: Tensor, t: Tensor, x_name: str = "x", t_name: str = "t") -> None:
    """Check that a per-sample time ``t`` of shape ``(batch,)`` (or a scalar) fits ``x``."""
    if t.ndim == 0:
        return
    if x.ndim == 0 or t.shape[0] != x.shape[0]:
        raise ValueError(
            f"{t_name} must be a scalar or of shape (batch,) = ({x.shape[0] if x.ndim else '?'},) to match "
            f"{x_name} of shape {tuple(x.shape)}; got {t_name} of shape {tuple(t.shape)}"
        )


def check_tensor(x: Any, name: str) -> Tensor:
    """Check that ``x`` is a floating-point tensor."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor; got {type(x).__name__}")
    if not x.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor; got dtype {x.dtype}")
    return x


def check_same_shape(a: Tensor, b: Tensor, a_name: str, b_name: str, *, dtype: bool = True) -> None:
    """Check that two tensors have the same shape (and, unless ``dtype=False``, the same dtype, so that
    nothing is promoted silently)."""
    if a.shape != b.shape:
        raise ValueError(f"{b_name} must have the shape of {a_name}, {tuple(a.shape)}; got {tuple(b.shape)}")
    if dtype and a.dtype != b.dtype:
        raise TypeError(f"{b_name} must have the dtype of {a_name}, {a.dtype}; got {b.dtype}")


def check_choice(value: Any, name: str, choices: Iterable[str]) -> str:
    """Check that ``value`` is one of the allowed names (a non-string is a ``TypeError``); the error lists them."""
    options: Sequence[str] = tuple(choices)
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, one of {', '.join(map(repr, options))}; "
                        f"got {type(value).__name__} {value!r}")
    if value not in options:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, options))}; got {value!r}")
    return str(value)
