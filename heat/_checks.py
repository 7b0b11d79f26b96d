"""The input checks that several ``heat`` modules share, run once at each public boundary.

One rule for the error type: ``TypeError`` for a value of the wrong type (a bool or a string where a number is
expected, a string where an array is), ``ValueError`` for a value of the right type out of range (NaN, negative,
of the wrong shape, an unknown name). Private to ``heat`` (the names carry no underscore because the modules of
``heat`` share them); numpy only.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypeVar, cast

import numpy as np
from numpy.typing import ArrayLike, NDArray

if TYPE_CHECKING:
    from heat.grid import Grid

Array = NDArray[np.float64]

Name = TypeVar("Name", bound=str)

REAL = (int, float, np.integer, np.floating)
"""The types a real number may have (a bool is an int, and is refused separately)."""


def check_grid(grid: Any) -> Grid:
    """``grid`` after checking it is a ``Grid`` (``TypeError`` otherwise)."""
    from heat.grid import Grid  # here, not above: heat.grid itself imports this module

    if not isinstance(grid, Grid):
        raise TypeError(f"grid must be a heat.Grid; got {type(grid).__name__}")
    return grid


def check_name(value: Any, name: str, choices: Sequence[Name]) -> Name:
    """``value`` after checking it is a string (``TypeError``) and one of ``choices`` (``ValueError``, listing them)."""
    listed = ", ".join(map(repr, choices))
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, one of {listed}; got {type(value).__name__} {value!r}")
    if value not in choices:
        raise ValueError(f"{name} must be one of {listed}; got {value!r}")
    return cast(Name, value)


def check_number(value: Any, name: str, *, low: float = -math.inf, high: float = math.inf,
                 low_open: bool = False, high_open: bool = False) -> float:
    """``value`` as a float after checking it is a real number (``TypeError``: a bool or a string is not) that is
    finite and in the interval from ``low`` to ``high``, open at an end whose flag is set (``ValueError``)."""
    if isinstance(value, bool) or not isinstance(value, REAL):
        raise TypeError(f"{name} must be a real number; got {type(value).__name__} {value!r}")
    v = float(value)
    inside = (low < v if low_open else low <= v) and (v < high if high_open else v <= high)
    if math.isfinite(v) and inside:
        return v
    if high == math.inf:
        where = f"{'>' if low_open else '>='} {low:g}"
    elif low == -math.inf:
        where = f"{'<' if high_open else '<='} {high:g}"
    else:
        where = f"in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
    raise ValueError(f"{name} must be a finite number {where}; got {value!r}")


def check_count(value: Any, name: str, *, minimum: int = 1) -> int:
    """``value`` after checking it is an int (``TypeError``: a bool or a float is not) that is >= ``minimum``
    (``ValueError``)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int >= {minimum}; got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}; got {value!r}")
    return int(value)


def as_float_array(value: ArrayLike, name: str, what: str) -> Array:
    """``value`` as a float64 array; ``TypeError`` (saying it must be ``what``) for a bool, a string, or anything
    numpy cannot read as real numbers. Shape and range are the caller's to check."""
    if isinstance(value, (bool, str)):
        raise TypeError(f"{name} must be {what}; got {value!r}")
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as err:
        shown = repr(value) if len(repr(value)) <= 80 else type(value).__name__
        raise TypeError(f"{name} must be {what}; got {shown}") from err


def check_times(times: ArrayLike, name: str = "times") -> tuple[Array, bool]:
    """``times`` as a float64 1-D array (and whether a scalar was given): finite, >= 0, strictly increasing.

    ``TypeError`` if it is not a number or a sequence of numbers; ``ValueError`` if it is empty, not 1-D, not
    finite, negative, or not strictly increasing.
    """
    arr = as_float_array(times, name, "a number or a 1-D sequence of numbers")
    scalar = arr.ndim == 0
    arr = arr.reshape(-1) if scalar else arr
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name} must be a number or a non-empty 1-D sequence; got shape {np.shape(times)}")
    if not np.isfinite(arr).all() or (arr < 0).any():
        raise ValueError(f"{name} must be finite and >= 0; got {arr.tolist() if arr.size < 8 else arr}")
    steps = np.diff(arr)
    if (steps <= 0).any():
        i = int(np.argmax(steps <= 0))
        raise ValueError(f"{name} must be strictly increasing; got {name}[{i}] = {float(arr[i])!r}, "
                         f"{name}[{i + 1}] = {float(arr[i + 1])!r}")
    return arr, scalar


def check_time(t: ArrayLike, name: str = "t", *, positive: bool = False) -> float:
    """One time as a float: ``check_times`` of one number (``ValueError`` for a sequence), > 0 if ``positive``."""
    ts, scalar = check_times(t, name)
    if not scalar or (positive and ts[0] <= 0):
        raise ValueError(f"{name} must be one number {'>' if positive else '>='} 0; got {t!r}")
    return float(ts[0])
