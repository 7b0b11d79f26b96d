r"""Time embeddings: a continuous time t ∈ [0, T] of shape (batch,) becomes a feature vector (batch, dim).

Two kinds, both a bank of sines and cosines of t at many frequencies:

    sinusoidal   e(t) = [sin(s t ω_0), ..., sin(s t ω_{h-1}), cos(s t ω_0), ..., cos(s t ω_{h-1})],
                 ω_k = P^{-k/(h-1)},  h = dim/2,  P = ``max_period`` (10000)
                 (Vaswani et al. 2017, "Attention is all you need", §3.5; Ho et al. 2020, DDPM).
                 The frequencies run geometrically from 1 down to 1/P, as in DDPM's
                 ``get_timestep_embedding``. With s = ``scale`` = 1000 the time t_i = i/N of the DDPM
                 index i (DESIGN.md) is embedded exactly as DDPM embeds the integer i when N = 1000.
    fourier      e(t) = [sin(2π t w_1), ..., sin(2π t w_h), cos(2π t w_1), ..., cos(2π t w_h)],
                 w_k ~ N(0, s²) drawn once and kept fixed (a buffer, saved with the weights)
                 (Tancik et al. 2020, "Fourier features let networks learn high frequency functions";
                 Song et al. 2021 use it, s = 16, for their VE models).

The module also holds what both networks share: the check of ``t`` at the public boundary and a
small frozen-dataclass base, ``NetConfig``, that gives each network's config ``from_dict`` (which
refuses unknown keys) and ``to_dict`` (plain JSON types), so a checkpoint can record an architecture
and compare it with another.

References:
    - Vaswani et al. 2017, "Attention Is All You Need", NeurIPS, §3.5 (sinusoidal positional encoding).
    - Ho, Jain & Abbeel 2020, "Denoising Diffusion Probabilistic Models", NeurIPS (the time embedding of DDPM).
    - Tancik et al. 2020, "Fourier Features Let Networks Learn High Frequency Functions in Low Dimensional
      Domains", NeurIPS.
    - Song et al. 2021, "Score-Based Generative Modeling through Stochastic Differential Equations", ICLR
      (arXiv:2011.13456): Gaussian Fourier features of t, s = 16.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any, TypeVar

import torch
from torch import Tensor, nn

from scoresde._utils import check_choice, check_int, check_positive_float, check_tensor

__all__ = ["EMBEDDINGS", "FourierEmbedding", "NetConfig", "SinusoidalEmbedding", "time_embedding"]

EMBEDDINGS: tuple[str, ...] = ("sinusoidal", "fourier")


def check_times(t: Any, batch: int | None = None, name: str = "t") -> Tensor:
    """Check that ``t`` is a floating-point tensor of shape (batch,), with ``batch`` samples if given.

    Args:
        t: the times to check.
        batch: the number of samples t must hold, or None for any.
        name: the argument's name in error messages.

    Returns:
        ``t`` itself.

    Raises:
        TypeError: ``t`` is not a floating-point tensor.
        ValueError: ``t`` is not one-dimensional, or does not hold ``batch`` times.
    """
    tt = check_tensor(t, name)
    if tt.ndim != 1 or (batch is not None and tt.shape[0] != batch):
        want = "(batch,)" if batch is None else f"(batch,) = ({batch},)"
        raise ValueError(f"{name} must have shape {want}, one time per sample; got shape {tuple(tt.shape)}")
    return tt


def check_embedding_dim(dim: Any, kind: str, name: str = "dim") -> int:
    """Check an embedding size: even (half sines, half cosines), and >= 4 for ``"sinusoidal"`` (h - 1 >= 1).

    Args:
        dim: the size to check.
        kind: ``"sinusoidal"`` or ``"fourier"``.
        name: the argument's name in error messages.

    Returns:
        ``dim`` as an int.

    Raises:
        TypeError: ``dim`` is not an int.
        ValueError: ``dim`` is odd or too small.
    """
    check_int(dim, name, minimum=1)
    smallest = 4 if kind == "sinusoidal" else 2
    if dim % 2 or dim < smallest:
        raise ValueError(f"{name} must be an even integer >= {smallest} for the {kind} time embedding "
                         f"(half sines, half cosines); got {dim}")
    return int(dim)


class SinusoidalEmbedding(nn.Module):
    r"""The sinusoidal (positional) embedding of Vaswani et al. 2017 as used by DDPM (Ho et al. 2020).

        e(t) = [sin(s·t·ω_k)]_{k<h} ⊕ [cos(s·t·ω_k)]_{k<h},   ω_k = P^(-k/(h-1)),   h = dim/2

    The frequencies run geometrically from 1 down to 1/P, as in DDPM's ``get_timestep_embedding``. Called as
    ``emb(t)`` with t of shape (batch,); returns (batch, dim) in t's dtype and device.

    Args:
        dim: output size, even and at least 4 (so that h - 1 >= 1).
        scale: s, multiplies t first; the default 1000 maps t_i = i/N to DDPM's index i when N = 1000.
        max_period: P, the longest period in units of s·t (DDPM and Vaswani et al.: 10000).

    Raises:
        TypeError: ``dim`` is not an int, or ``scale`` or ``max_period`` not a number.
        ValueError: ``dim`` is odd or below 4, or ``scale`` or ``max_period`` is not positive.

    References:
        - Vaswani et al. 2017, "Attention Is All You Need", NeurIPS, §3.5.
        - Ho, Jain & Abbeel 2020, "Denoising Diffusion Probabilistic Models", NeurIPS.
    """

    def __init__(self, dim: int, scale: float = 1000.0, max_period: float = 10000.0) -> None:
        super().__init__()
        self.dim = check_embedding_dim(dim, "sinusoidal")
        self.scale = check_positive_float(scale, "scale")
        self.max_period = check_positive_float(max_period, "max_period")

    def extra_repr(self) -> str:
        """The settings shown by ``repr`` of the module."""
        return f"dim={self.dim}, scale={self.scale:g}, max_period={self.max_period:g}"

    def frequencies(self, dtype: torch.dtype = torch.float64, device: torch.device | None = None) -> Tensor:
        """The frequencies ``ω_k = P^(-k/(h-1))``, k = 0 … h-1: from 1 down to 1/P, geometrically.

        Args:
            dtype: the dtype of the result.
            device: the device of the result.

        Returns:
            Tensor of shape ``(dim // 2,)``.
        """
        half = self.dim // 2
        k = torch.arange(half, dtype=dtype, device=device)
        return torch.exp(-math.log(self.max_period) * k / (half - 1))

    def forward(self, t: Tensor) -> Tensor:
        """The features ``[sin(s·t·ω_k), cos(s·t·ω_k)]`` of each time.

        Args:
            t: times, shape (batch,).

        Returns:
            Tensor of shape (batch, dim) in t's dtype and device.

        Raises:
            TypeError: ``t`` is not a floating-point tensor.
            ValueError: ``t`` is not one-dimensional.
        """
        check_times(t)
        angles = torch.outer(self.scale * t, self.frequencies(t.dtype, t.device))
        return torch.cat([torch.sin(angles), torch.cos(angles)], dim=1)


class FourierEmbedding(nn.Module):
    r"""Gaussian Fourier features (Tancik et al. 2020), as in Song et al. 2021's VE models.

        e(t) = [sin(2π·t·w_k)]_{k<h} ⊕ [cos(2π·t·w_k)]_{k<h},   w_k ~ N(0, s²),   h = dim/2

    The frequencies ``weight`` are drawn once, at construction, and never trained; they are a buffer,
    so they are saved in and restored from the state dict. Called as ``emb(t)`` with t of shape (batch,);
    returns (batch, dim) in t's dtype and device.

    Args:
        dim: output size, even.
        scale: s, the standard deviation of the frequencies (Song et al. 2021: 16).
        generator: the random generator for w (default: torch's global one).

    Raises:
        TypeError: ``dim`` is not an int or ``scale`` not a number.
        ValueError: ``dim`` is odd or below 2, or ``scale`` is not positive.

    References:
        - Tancik et al. 2020, "Fourier Features Let Networks Learn High Frequency Functions in Low Dimensional
          Domains", NeurIPS.
        - Song et al. 2021, "Score-Based Generative Modeling through Stochastic Differential Equations", ICLR
          (arXiv:2011.13456).
    """

    weight: Tensor

    def __init__(self, dim: int, scale: float = 16.0, generator: torch.Generator | None = None) -> None:
        super().__init__()
        self.dim = check_embedding_dim(dim, "fourier")
        self.scale = check_positive_float(scale, "scale")
        self.register_buffer("weight", scale * torch.randn(dim // 2, generator=generator))

    def extra_repr(self) -> str:
        """The settings shown by ``repr`` of the module."""
        return f"dim={self.dim}, scale={self.scale:g}"

    def forward(self, t: Tensor) -> Tensor:
        """The features ``[sin(2π·t·w_k), cos(2π·t·w_k)]`` of each time.

        Args:
            t: times, shape (batch,).

        Returns:
            Tensor of shape (batch, dim) in t's dtype and device.

        Raises:
            TypeError: ``t`` is not a floating-point tensor.
            ValueError: ``t`` is not one-dimensional.
        """
        check_times(t)
        angles = torch.outer(2 * math.pi * t, self.weight.to(t.dtype))
        return torch.cat([torch.sin(angles), torch.cos(angles)], dim=1)


def time_embedding(kind: str, dim: int, *, time_scale: float = 1000.0, fourier_scale: float = 16.0) -> nn.Module:
    """The time embedding named by ``kind``: a ``SinusoidalEmbedding`` or a ``FourierEmbedding``.

    Args:
        kind: ``"sinusoidal"`` (``e(t)`` of ``s·t``, s = ``time_scale``) or ``"fourier"`` (frequencies
            ``w_k ~ N(0, fourier_scale²)``).
        dim: output size, even (at least 4 for ``"sinusoidal"``).
        time_scale: s of the sinusoidal embedding.
        fourier_scale: the standard deviation of the Fourier embedding's frequencies.

    Returns:
        A module mapping t of shape (batch,) to (batch, dim).

    Raises:
        ValueError: an unknown ``kind`` (the valid ones are listed), or a bad ``dim`` or scale.

    References:
        - Vaswani et al. 2017, "Attention Is All You Need", NeurIPS, arXiv:1706.03762 (sinusoidal embeddings).
        - Tancik et al. 2020, "Fourier Features Let Networks Learn High Frequency Functions in Low Dimensional Domains",
          NeurIPS, arXiv:2006.10739.
    """
    check_choice(kind, "time_embedding", EMBEDDINGS)
    if kind == "sinusoidal":
        return SinusoidalEmbedding(dim, scale=time_scale)
    return FourierEmbedding(dim, scale=fourier_scale)


_C = TypeVar("_C", bound="NetConfig")


@dataclasses.dataclass(frozen=True)
class NetConfig:
    """Base of the networks' frozen config dataclasses: ``from_dict`` and ``to_dict``.

    Tuple fields are written as lists by ``to_dict`` (JSON has no tuples) and turned back into tuples by
    the subclasses' ``__post_init__``, so ``type(c).from_dict(c.to_dict()) == c``.
    """

    @classmethod
    def from_dict(cls: type[_C], d: Mapping[str, Any]) -> _C:
        """Build a config from a mapping of field names to values (the inverse of ``to_dict``).

        Args:
            d: field names and values; fields left out take their defaults.

        Returns:
            The config.

        Raises:
            TypeError: ``d`` is not a mapping.
            ValueError: ``d`` has unknown keys (the valid ones are listed), or a value is invalid.
        """
        if not isinstance(d, Mapping):
            raise TypeError(f"{cls.__name__}.from_dict needs a mapping; got {type(d).__name__}")
        valid = [f.name for f in dataclasses.fields(cls)]
        unknown = sorted(str(k) for k in d if k not in valid)
        if unknown:
            raise ValueError(f"unknown {cls.__name__} keys: {', '.join(map(repr, unknown))}; "
                             f"valid keys are {', '.join(map(repr, valid))}")
        return cls(**d)

    @classmethod
    def checked(cls: type[_C], config: Any) -> _C:
        """The config a network was given: this class's defaults for None, else `config` itself if it is one.

        Args:
            config: None or an instance of this class.

        Returns:
            The config.

        Raises:
            TypeError: ``config`` is neither None nor an instance of this class.
        """
        if config is None:
            return cls()
        if not isinstance(config, cls):
            raise TypeError(f"config must be a {cls.__name__} or None ({cls.__name__}.from_dict builds one from a "
                            f"dict); got {type(config).__name__}")
        return config

    def to_dict(self) -> dict[str, Any]:
        """The fields as plain JSON-able values (tuples become lists).

        Returns:
            A dict of field names to values.
        """
        return {f.name: _plain(getattr(self, f.name)) for f in dataclasses.fields(self)}


def _plain(value: Any) -> Any:
    return [_plain(v) for v in value] if isinstance(value, (tuple, list)) else value


def check_int_tuple(value: Any, name: str, *, allow_empty: bool = False) -> tuple[int, ...]:
    """Return ``value`` (a list or tuple of integers >= 1) as a tuple.

    Args:
        value: the value to check.
        name: the argument's name in error messages.
        allow_empty: whether an empty sequence is allowed.

    Returns:
        The integers as a tuple.

    Raises:
        TypeError: ``value`` is not a list or tuple, or holds a non-int.
        ValueError: ``value`` is empty (unless allowed) or holds an integer < 1.
    """
    if not isinstance(value, (tuple, list)):
        raise TypeError(f"{name} must be a tuple of ints; got {type(value).__name__} {value!r}")
    if not value and not allow_empty:
        raise ValueError(f"{name} must hold at least one integer; got {value!r}")
    return tuple(check_int(v, f"{name}[{i}]", minimum=1) for i, v in enumerate(value))
