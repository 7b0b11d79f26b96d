r"""Noise schedules: continuous β(t) on [0, 1] and discrete DDPM sequences β_1..β_N.

A continuous schedule is a rate β(t) > 0. Everything else follows from it:

    log ᾱ(t) = -∫₀ᵗ β(s) ds          (closed form for every schedule here)
    ᾱ(t)     = exp(log ᾱ(t)),   σ(t) = √(1 - ᾱ(t))
    λ(t)     = log(√ᾱ / σ) = ½ log(ᾱ / (1 - ᾱ))      (half the log signal-to-noise ratio)

and λ is strictly decreasing, so it has an inverse t(λ), also in closed form here.
All arithmetic is float64 (ᾱ near 1 loses digits in float32); cast at the point of use.

Discrete DDPM sequences (Ho et al. 2020; Nichol & Dhariwal 2021) are float64 tensors
`β_1..β_N` with `ᾱ_i = Π_{j≤i} (1 - β_j)`; `PiecewiseConstantSchedule` is the continuous
schedule that reproduces a discrete `ᾱ_i` exactly at `t_i = i/N` (see `scoresde.ddpm`).
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from typing import Any

import torch
from torch import Tensor

from scoresde._utils import (
    FLOAT64,
    as_float64,
    check_finite,
    check_float,
    check_int,
    check_positive_float,
    check_time,
)

__all__ = [
    "CosineSchedule",
    "LinearSchedule",
    "PiecewiseConstantSchedule",
    "Schedule",
    "cosine_betas",
    "linear_betas",
]


def softplus64(x: Tensor) -> Tensor:
    """Softplus `log(1 + eˣ) = max(x, 0) + log1p(e^{-|x|})`, without overflow and without torch's threshold cut-off.

    Args:
        x: a float64 tensor.

    Returns:
        `log(1 + eˣ)`, exact to rounding in float64, the shape of `x`.
    """
    return x.clamp(min=0) + torch.log1p(torch.exp(-x.abs()))


def half_log_snr(log_alpha_bar: Tensor) -> Tensor:
    """Half log signal-to-noise ratio `λ = ½ (log ᾱ - log(1 - ᾱ))` of the VP SDE, from `log ᾱ` without cancellation.

    `1 - ᾱ` is formed as `-expm1(log ᾱ)`, so λ keeps its digits where ᾱ is near 1 (small t).

    Args:
        log_alpha_bar: `log ᾱ ≤ 0`, a float64 tensor.

    Returns:
        `λ`, the shape of `log_alpha_bar`; `+inf` where `log ᾱ = 0`.

    References:
        Lu et al. 2022, "DPM-Solver", arXiv:2206.00927 (λ as the time variable of the solver).
    """
    return 0.5 * (log_alpha_bar - torch.log(-torch.expm1(log_alpha_bar)))


def check_lambda(lam: Any, lam_low: float, lam_high: float) -> Tensor:
    """Return `lam` as float64 after checking `lam_low ≤ lam ≤ lam_high`.

    A relative slack of 1e-12 admits values that are themselves the round-off image of an end point.

    Args:
        lam: half log-SNR values, a number, a sequence or a tensor.
        lam_low: the smallest allowed value, `λ(T)`.
        lam_high: the largest allowed value, `λ(0)` (may be `+inf`).

    Returns:
        `lam` as a float64 tensor.

    Raises:
        TypeError: if `lam` is not real.
        ValueError: if a value is NaN or outside `[lam_low, lam_high]`.
    """
    lam64 = as_float64(lam, "lam")
    slack = 1e-12 * max(1.0, abs(lam_low), abs(lam_high) if math.isfinite(lam_high) else 0.0)
    if lam64.numel() and (
        torch.isnan(lam64).any() or (lam64 < lam_low - slack).any() or (lam64 > lam_high + slack).any()
    ):
        raise ValueError(
            f"lam must lie in [λ(T), λ(0)] = [{lam_low:.6g}, {lam_high:.6g}]; "
            f"got values in [{float(lam64.min()):g}, {float(lam64.max()):g}]"
        )
    return lam64


class Schedule(ABC):
    r"""A continuous variance-preserving noise schedule, the rate `β(t) > 0` on `t ∈ [0, T]`, `T = 1`.

    Everything else follows from the rate, in float64:

        log ᾱ(t) = -∫₀ᵗ β(s) ds,    σ(t) = √(1 - ᾱ(t)),    λ(t) = log(√ᾱ(t)/σ(t)).

    Subclasses give β(t), its closed-form integral and the inverse of that integral;
    the rest (ᾱ, σ, λ and t(λ)) is derived here once.

    Attributes:
        T: the end time, 1.

    References:
        Song, Sohl-Dickstein, Kingma, Kumar, Ermon & Poole 2021, "Score-Based Generative Modeling through
        Stochastic Differential Equations", ICLR, arXiv:2011.13456 (the VP SDE, App. B).
    """

    T: float = 1.0

    # --- what a subclass provides (float64 in, float64 out, inputs already checked) ---
    @abstractmethod
    def _beta(self, t: Tensor) -> Tensor: ...

    @abstractmethod
    def _neg_log_alpha_bar(self, t: Tensor) -> Tensor:
        """L(t) = ∫₀ᵗ β(s) ds = -log ᾱ(t)."""

    @abstractmethod
    def _t_of_neg_log_alpha_bar(self, L: Tensor) -> Tensor:
        """The inverse of L(t) on [0, L(T)]."""

    def _neg_log_alpha_bar_between(self, s: Tensor, t: Tensor) -> Tensor:
        """∫_s^t β = L(t) - L(s); subclasses form it without subtracting two large L's where they can."""
        return self._neg_log_alpha_bar(t) - self._neg_log_alpha_bar(s)

    # --- unchecked helpers used inside the package ---
    def _log_alpha_bar(self, t: Tensor) -> Tensor:
        return -self._neg_log_alpha_bar(t)

    def _lambda(self, t: Tensor) -> Tensor:
        return half_log_snr(self._log_alpha_bar(t))

    # --- public API ---
    def beta(self, t: Any) -> Tensor:
        """The instantaneous noise rate `β(t) = -d log ᾱ(t)/dt`.

        Args:
            t: times in `[0, T]`: a number, a sequence or a tensor of shape `()` or `(batch,)`.

        Returns:
            `β(t)`, float64 of the shape of `t`.

        Raises:
            TypeError: if `t` is not real.
            ValueError: if `t` has more than one dimension or leaves `[0, T]`.
        """
        return self._beta(check_time(t, self.T))

    def log_alpha_bar(self, t: Any) -> Tensor:
        r"""`log ᾱ(t) = -∫₀ᵗ β(s) ds`, in closed form.

        Args:
            t: times in `[0, T]`: a number, a sequence or a tensor of shape `()` or `(batch,)`.

        Returns:
            `log ᾱ(t) ≤ 0`, float64 of the shape of `t`.

        Raises:
            TypeError: if `t` is not real.
            ValueError: if `t` has more than one dimension or leaves `[0, T]`.
        """
        return self._log_alpha_bar(check_time(t, self.T))

    def alpha_bar(self, t: Any) -> Tensor:
        r"""`ᾱ(t) = exp(-∫₀ᵗ β(s) ds)`, the signal variance of the VP SDE (the continuous `ᾱ_i = Π (1 - β_j)`).

        Args:
            t: times in `[0, T]`: a number, a sequence or a tensor of shape `()` or `(batch,)`.

        Returns:
            `ᾱ(t) ∈ (0, 1]`, float64 of the shape of `t`.

        Raises:
            TypeError: if `t` is not real.
            ValueError: if `t` has more than one dimension or leaves `[0, T]`.
        """
        return torch.exp(self.log_alpha_bar(t))

    def sigma(self, t: Any) -> Tensor:
        r"""`σ(t) = √(1 - ᾱ(t))`, the VP noise level, computed as `√(-expm1(log ᾱ))` to keep digits near `t = 0`.

        Args:
            t: times in `[0, T]`: a number, a sequence or a tensor of shape `()` or `(batch,)`.

        Returns:
            `σ(t) ∈ [0, 1)`, float64 of the shape of `t`.

        Raises:
            TypeError: if `t` is not real.
            ValueError: if `t` has more than one dimension or leaves `[0, T]`.
        """
        return torch.sqrt(-torch.expm1(self.log_alpha_bar(t)))

    def lambda_(self, t: Any) -> Tensor:
        r"""Half log-SNR `λ(t) = log(√ᾱ(t)/σ(t))` of the VP SDE with this schedule; `+inf` at `t = 0`, decreasing.

        Other SDEs on the same schedule have other λ (sub-VP: `log(√ᾱ/(1 - ᾱ))`): samplers use
        [`SDE.lambda_`][scoresde.sde.SDE.lambda_].

        Args:
            t: times in `[0, T]`: a number, a sequence or a tensor of shape `()` or `(batch,)`.

        Returns:
            `λ(t)`, float64 of the shape of `t`.

        Raises:
            TypeError: if `t` is not real.
            ValueError: if `t` has more than one dimension or leaves `[0, T]`.

        References:
            Lu et al. 2022, "DPM-Solver", arXiv:2206.00927 (λ as the solver's time variable).
        """
        return self._lambda(check_time(t, self.T))

    def t_of_lambda(self, lam: Any) -> Tensor:
        r"""The inverse `t(λ)` of the half log-SNR: `-log ᾱ = softplus(-2λ)` (as `ᾱ = sigmoid(2λ)`), then invert it.

        Args:
            lam: values in `[λ(T), +inf]`; `+inf` maps to `t = 0`.

        Returns:
            `t(λ) ∈ [0, T]`, float64 of the shape of `lam`.

        Raises:
            TypeError: if `lam` is not real.
            ValueError: if a value is NaN or below `λ(T)`.

        References:
            Lu et al. 2022, "DPM-Solver", arXiv:2206.00927 (the inverse of λ for the linear and cosine schedules).
        """
        lam64 = check_lambda(lam, float(self._lambda(torch.tensor(self.T, dtype=FLOAT64))), math.inf)
        L = softplus64(-2.0 * lam64)
        return self._t_of_neg_log_alpha_bar(L).clamp(0.0, self.T)


class LinearSchedule(Schedule):
    r"""The linear rate `β(t) = β_min + (β_max - β_min)·t` of the VP SDE (Song et al. 2021: β_min = 0.1, β_max = 20).

    The closed forms of the integral and of its inverse (the cancellation-free root of the quadratic) are

        -log ᾱ(t) = β_min t + ½ (β_max - β_min) t²,
        t(L)      = 2L / (β_min + √(β_min² + 2 (β_max - β_min) L)).

    It is the continuous limit of Ho et al.'s linear DDPM schedule `linear_betas()` (`β_i ≈ β(t_i)/N`).

    Args:
        beta_min: `β(0) > 0`.
        beta_max: `β(1) > beta_min`.

    Raises:
        TypeError: if a bound is not a real number.
        ValueError: if a bound is not finite and positive, or `beta_min >= beta_max`.

    References:
        - Song, Sohl-Dickstein, Kingma, Kumar, Ermon & Poole 2021, "Score-Based Generative Modeling through
        Stochastic Differential Equations", ICLR, arXiv:2011.13456.
        - Ho, Jain & Abbeel 2020, "Denoising Diffusion Probabilistic Models", NeurIPS, arXiv:2006.11239.
    """

    def __init__(self, beta_min: float = 0.1, beta_max: float = 20.0) -> None:
        self.beta_min = check_positive_float(beta_min, "beta_min")
        self.beta_max = check_positive_float(beta_max, "beta_max")
        if self.beta_min >= self.beta_max:
            raise ValueError(f"beta_min must be < beta_max; got beta_min={beta_min}, beta_max={beta_max}")

    def __repr__(self) -> str:
        return f"LinearSchedule(beta_min={self.beta_min}, beta_max={self.beta_max})"

    def _beta(self, t: Tensor) -> Tensor:
        return self.beta_min + (self.beta_max - self.beta_min) * t

    def _neg_log_alpha_bar(self, t: Tensor) -> Tensor:
        return self.beta_min * t + 0.5 * (self.beta_max - self.beta_min) * t * t

    def _neg_log_alpha_bar_between(self, s: Tensor, t: Tensor) -> Tensor:
        return (t - s) * (self.beta_min + 0.5 * (self.beta_max - self.beta_min) * (t + s))

    def _t_of_neg_log_alpha_bar(self, L: Tensor) -> Tensor:
        slope = self.beta_max - self.beta_min
        return 2.0 * L / (self.beta_min + torch.sqrt(self.beta_min**2 + 2.0 * slope * L))


def _cosine_u(t: Tensor, s: float) -> Tensor:
    return 0.5 * math.pi * (t + s) / (1.0 + s)


def _cosine_neg_log_alpha_bar_raw(t: Tensor, s: float, start: Tensor | float = 0.0) -> Tensor:
    r"""`-log(f(t)/f(a))`, `a = start`, with `f(t) = cos²(π/2 · (t + s)/(1 + s))`, written as
    `-2 log1p(cos Δ - 1 - tan u_a sin Δ)`, `Δ = u(t) - u(a)`, which keeps full relative precision for t near a."""
    u_a = 0.5 * math.pi * (torch.as_tensor(start, dtype=FLOAT64) + s) / (1.0 + s)
    delta = 0.5 * math.pi * (t - start) / (1.0 + s)  # u(t) - u(a), formed without subtracting the u's
    return -2.0 * torch.log1p(-2.0 * torch.sin(0.5 * delta) ** 2 - torch.tan(u_a) * torch.sin(delta))


class CosineSchedule(Schedule):
    r"""The cosine schedule `ᾱ(t) = f(t)/f(0)`, `f(t) = cos²(π/2 · (t + s)/(1 + s))`, with its rate capped at `β_max`.

    Its rate `β(t) = π/(1+s) · tan(π/2 · (t + s)/(1 + s))` is infinite at t = 1, so it must be
    clipped. Nichol & Dhariwal clip the discrete β_i at 0.999 (`cosine_betas`). DPM-Solver
    (Lu et al. 2022) computes the time where the rate reaches `cosine_beta_max = 999` (t ≈ 0.998)
    but ends its interval earlier, at a hand-picked T = 0.9946 (rate ≈ 370 there). Here the rate is
    capped at `beta_max` instead, so that time still runs over all of [0, 1]:

        β(t) = min(β_raw(t), β_max),

    and the integral stays exact: after the time `t_c` (`t_clip`) where `β_raw(t_c) = β_max`, `log ᾱ` falls
    linearly with slope β_max. So β, ᾱ, σ and λ are finite, consistent and invertible on [0, 1]. (The discrete
    0.999 clip and this cap are different remedies: they agree except in the last two steps of a 1000-step chain.)

    Args:
        s: the offset `s ≥ 0` that keeps β(0) away from 0 (Nichol & Dhariwal: 0.008).
        beta_max: the cap on the rate, above `β(0)`.

    Attributes:
        t_clip: the time `t_c` where the uncapped rate reaches `beta_max` (1 if it never does).

    Raises:
        TypeError: if `s` or `beta_max` is not a real number.
        ValueError: if `s < 0`, or `beta_max` is not finite or not above `β(0)`.

    References:
        - Nichol & Dhariwal 2021, "Improved Denoising Diffusion Probabilistic Models", ICML, arXiv:2102.09672.
        - Lu et al. 2022, "DPM-Solver", arXiv:2206.00927 (the cap `cosine_beta_max = 999`).
    """

    def __init__(self, s: float = 0.008, beta_max: float = 999.0) -> None:
        self.s = check_positive_float(s, "s", allow_zero=True)
        self.beta_max = check_positive_float(beta_max, "beta_max")
        beta0 = math.pi / (1 + self.s) * math.tan(0.5 * math.pi * self.s / (1 + self.s))
        if self.beta_max <= beta0:
            raise ValueError(f"beta_max must exceed the schedule's β(0) = {beta0:.6g}; got {beta_max}")
        u_c = math.atan(self.beta_max * (1 + self.s) / math.pi)
        self.t_clip = min(u_c * 2 * (1 + self.s) / math.pi - self.s, 1.0)
        self._L_clip = float(_cosine_neg_log_alpha_bar_raw(torch.tensor(self.t_clip, dtype=FLOAT64), self.s))

    def __repr__(self) -> str:
        return f"CosineSchedule(s={self.s}, beta_max={self.beta_max})"

    def _beta(self, t: Tensor) -> Tensor:
        raw = math.pi / (1 + self.s) * torch.tan(_cosine_u(t.clamp(max=self.t_clip), self.s))
        return torch.where(t <= self.t_clip, raw, torch.full_like(raw, self.beta_max))

    def _neg_log_alpha_bar(self, t: Tensor) -> Tensor:
        raw = _cosine_neg_log_alpha_bar_raw(t.clamp(max=self.t_clip), self.s)
        return raw + self.beta_max * (t - self.t_clip).clamp(min=0.0)

    def _neg_log_alpha_bar_between(self, s: Tensor, t: Tensor) -> Tensor:
        tc = self.t_clip
        raw = _cosine_neg_log_alpha_bar_raw(t.clamp(max=tc), self.s, start=s.clamp(max=tc))
        return raw + self.beta_max * (t.clamp(min=tc) - s.clamp(min=tc))

    def _t_of_neg_log_alpha_bar(self, L: Tensor) -> Tensor:
        # cos u = c cos u₀ with c = e^{-L/2}. Solve for Δ = u - u₀ directly (t = Δ · 2(1+s)/π has no
        # cancellation against s): sin Δ = cos u₀ (1 - c²)/(sin u + c sin u₀), cos Δ = c cos² u₀ + sin u sin u₀,
        # with sin² u = sin² u₀ + cos² u₀ (1 - c²).
        u0 = 0.5 * math.pi * self.s / (1 + self.s)
        Lc = L.clamp(max=self._L_clip)
        c, one_minus_c2 = torch.exp(-0.5 * Lc), -torch.expm1(-Lc)
        sin_u = torch.sqrt(math.sin(u0) ** 2 + math.cos(u0) ** 2 * one_minus_c2)
        denom = (sin_u + c * math.sin(u0)).clamp(min=torch.finfo(FLOAT64).tiny)  # 0 only at L = 0 when s = 0
        delta = torch.atan2(math.cos(u0) * one_minus_c2 / denom,
                            c * math.cos(u0) ** 2 + sin_u * math.sin(u0))
        t_raw = delta * 2 * (1 + self.s) / math.pi
        t_lin = self.t_clip + (L - self._L_clip) / self.beta_max
        return torch.where(L <= self._L_clip, t_raw, t_lin)


class PiecewiseConstantSchedule(Schedule):
    r"""The continuous schedule of a discrete DDPM chain `β_1..β_N`, exact at `t_i = i/N`: `ᾱ(t_i) = Π_{j≤i} (1 - β_j)`.

        β(t) = -N log(1 - β_i)   on ((i-1)/N, i/N],

    so `∫ β` over the i-th interval is `-log(1 - β_i)` and `ᾱ(t_i) = Π_{j≤i} (1 - β_j)` exactly; between grid
    points log ᾱ is linear in t. Used by [`VPSDE.from_ddpm`][scoresde.sde.VPSDE.from_ddpm]; not the first-order
    map `β(t_i) ≈ N β_i`.

    Args:
        betas: the sequence `β_1..β_N`, each in (0, 1): a sequence or a 1-D tensor.

    Raises:
        TypeError: if `betas` is not numeric.
        ValueError: if `betas` is not a non-empty 1-D sequence of finite values in (0, 1).

    References:
        Ho, Jain & Abbeel 2020, "Denoising Diffusion Probabilistic Models", NeurIPS, arXiv:2006.11239
        (the chain `ᾱ_i = Π_{j≤i} (1 - β_j)`).
    """

    def __init__(self, betas: Any) -> None:
        b = validate_betas(betas)
        self.betas = b
        self.N = b.numel()
        self.rates = -self.N * torch.log1p(-b)  # β(t) on each interval
        self.knots = torch.cat([torch.zeros(1, dtype=FLOAT64), torch.cumsum(-torch.log1p(-b), 0)])  # L(t_i)
        self._on_device: dict[torch.device, tuple[Tensor, Tensor]] = {}

    def _tables(self, device: torch.device) -> tuple[Tensor, Tensor]:
        """(rates, knots) on ``device``, copied once."""
        if device not in self._on_device:
            self._on_device[device] = (self.rates.to(device), self.knots.to(device))
        return self._on_device[device]

    def __repr__(self) -> str:
        return f"PiecewiseConstantSchedule(N={self.N})"

    def _interval(self, t: Tensor) -> Tensor:
        """Index i ∈ {1..N} of the interval ((i-1)/N, i/N] holding t (1 at t = 0)."""
        return torch.ceil(t * self.N).long().clamp(1, self.N)

    def _beta(self, t: Tensor) -> Tensor:
        return self._tables(t.device)[0][self._interval(t) - 1]

    def _neg_log_alpha_bar(self, t: Tensor) -> Tensor:
        # L(t) = L_{i-1} + (L_i - L_{i-1}) · (tN - (i-1)): at t = i/N this is L_i to one rounding
        i = self._interval(t)
        knots = self._tables(t.device)[1]
        frac = t * self.N - (i - 1).to(FLOAT64)
        return knots[i - 1] + (knots[i] - knots[i - 1]) * frac

    def _t_of_neg_log_alpha_bar(self, L: Tensor) -> Tensor:
        rates, knots = self._tables(L.device)
        i = torch.searchsorted(knots, L.contiguous()).clamp(1, self.N)
        return (i - 1).to(FLOAT64) / self.N + (L - knots[i - 1]) / rates[i - 1]


def validate_betas(betas: Any, name: str = "betas") -> Tensor:
    """Return a discrete sequence `β_1..β_N` as a 1-D float64 tensor after checking `0 < β_i < 1`.

    Args:
        betas: the sequence, a list or a tensor.
        name: the argument's name in error messages.

    Returns:
        The sequence as a float64 tensor of shape `(N,)`.

    Raises:
        TypeError: if `betas` is not numeric.
        ValueError: if it is not a non-empty 1-D sequence of finite values in (0, 1).
    """
    b = as_float64(betas, name)
    if b.ndim != 1 or b.numel() == 0:
        raise ValueError(f"{name} must be a non-empty 1-D sequence; got shape {tuple(b.shape)}")
    check_finite(b, name)
    if (b <= 0).any() or (b >= 1).any():
        raise ValueError(f"{name} must lie in the open interval (0, 1); got values in "
                         f"[{float(b.min()):g}, {float(b.max()):g}]")
    return b


def linear_betas(n: int = 1000, beta_start: float = 1e-4, beta_end: float = 0.02) -> Tensor:
    r"""Ho et al.'s linear DDPM schedule `β_i = β_start + (β_end - β_start)·(i-1)/(N-1)`, `i = 1..N`.

    With N = 1000, 1e-4 → 0.02 it is the VP SDE's `β(t) = 0.1 + 19.9 t` sampled as
    `β_i = β((i-1)/(N-1))/N` (Song et al. 2021, Appendix B); `docs/math.md` gives the measured gap.

    Args:
        n: the number of steps N ≥ 1.
        beta_start: `β_1`, in (0, 1).
        beta_end: `β_N`, in (0, 1).

    Returns:
        `β_1..β_N`, float64 of shape `(n,)`.

    Raises:
        TypeError: if `n` is not an int or a bound not a real number.
        ValueError: if `n < 1` or a bound is outside (0, 1).

    References:
        - Ho, Jain & Abbeel 2020, "Denoising Diffusion Probabilistic Models", NeurIPS, arXiv:2006.11239.
        - Song, Sohl-Dickstein, Kingma, Kumar, Ermon & Poole 2021, "Score-Based Generative Modeling through
        Stochastic Differential Equations", ICLR, arXiv:2011.13456, App. B.
    """
    check_int(n, "n", minimum=1)
    for value, name in ((beta_start, "beta_start"), (beta_end, "beta_end")):
        check_float(value, name, low=0.0, high=1.0, low_open=True, high_open=True)
    return torch.linspace(beta_start, beta_end, n, dtype=FLOAT64)


def cosine_betas(n: int = 1000, s: float = 0.008, max_beta: float = 0.999) -> Tensor:
    r"""Nichol & Dhariwal's cosine DDPM schedule `β_i = min(1 - ᾱ(i/N)/ᾱ((i-1)/N), max_beta)`.

    Here `ᾱ(t) = f(t)/f(0)`, `f(t) = cos²(π/2 · (t + s)/(1 + s))`; the clip keeps `β_N < 1`. The continuous
    counterpart is `CosineSchedule`.

    Args:
        n: the number of steps N ≥ 1.
        s: the offset `s ≥ 0` (0.008 in the paper).
        max_beta: the clip, in (0, 1).

    Returns:
        `β_1..β_N`, float64 of shape `(n,)`.

    Raises:
        TypeError: if `n` is not an int or `s`, `max_beta` not real numbers.
        ValueError: if `n < 1`, `s < 0` or `max_beta` is outside (0, 1).

    References:
        Nichol & Dhariwal 2021, "Improved Denoising Diffusion Probabilistic Models", ICML, arXiv:2102.09672.
    """
    check_int(n, "n", minimum=1)
    check_positive_float(s, "s", allow_zero=True)
    check_float(max_beta, "max_beta", low=0.0, high=1.0, low_open=True, high_open=True)
    t = torch.arange(n + 1, dtype=FLOAT64) / n
    L = _cosine_neg_log_alpha_bar_raw(t, s)
    return (-torch.expm1(-(L[1:] - L[:-1]))).clamp(max=max_beta)
