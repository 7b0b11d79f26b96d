"""Small shared helpers: broadcasting and input checks at the public boundary.

Every public function checks its inputs once, here, and raises ``ValueError`` or
``TypeError`` naming the argument, what it got and what is allowed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import torch
from torch import Tensor

FLOAT64 = torch.float64


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
        raise ValueError(f"append_dims: v has {v.ndim} dimensions, more than the {ndim} asked for")
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


def check_positive_float(value: Any, name: str, *, allow_zero: bool = False) -> float:
    """Return ``value`` as a Python float after checking it is finite and > 0 (or >= 0)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a real number; got {type(value).__name__} {value!r}")
    v = float(value)
    if not math.isfinite(v) or v < 0 or (v == 0 and not allow_zero):
        allowed = "a finite number >= 0" if allow_zero else "a finite number > 0"
        raise ValueError(f"{name} must be {allowed}; got {value!r}")
    return v


def check_positive_int(value: Any, name: str) -> int:
    """Return ``value`` as an int after checking it is an integer >= 1."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int; got {type(value).__name__} {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be an integer >= 1; got {value}")
    return value


def check_time(t: Any, T: float, name: str = "t") -> Tensor:
    """Return ``t`` as a float64 tensor after checking it lies in ``[0, T]``."""
    tt = as_float64(t, name)
    if tt.ndim > 1:
        raise ValueError(f"{name} must be a scalar or of shape (batch,); got shape {tuple(tt.shape)}")
    if tt.numel() and (torch.isnan(tt).any() or (tt < 0).any() or (tt > T).any()):
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
    """Check that ``value`` is one of the allowed names; the error lists them."""
    options: Sequence[str] = tuple(choices)
    if value not in options:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, options))}; got {value!r}")
    return str(value)
