r"""Linear-Gaussian SDEs `dx = f(t) x dt + g(t) dw` on `t ∈ [0, T]`, `T = 1` (Song et al. 2021,
"Score-Based Generative Modeling through Stochastic Differential Equations").

Each SDE is described by its marginal coefficients, `x_t = α(t) x_0 + σ(t) ε`, `ε ~ N(0, I)`:

    VP      α = √ᾱ(t),  σ = √(1 - ᾱ(t))          f = -β/2,  g² = β
    sub-VP  α = √ᾱ(t),  σ = 1 - ᾱ(t)             f = -β/2,  g² = β (1 - ᾱ²)
    VE      α = 1,      σ = σ_min (σ_max/σ_min)^t  f = 0,     g² = dσ²/dt = 2 σ² log(σ_max/σ_min)

Drift and diffusion follow from (α, σ) for any such SDE (`coefficients_from_marginal`):
the mean obeys `dα/dt = f α` and the variance `dσ²/dt = 2 f σ² + g²`, so

    f(t) = d log α / dt,    g(t)² = dσ²/dt - 2 f(t) σ(t)².

The subclasses give the closed forms; the tests check them against this derivation.
The reverse-time SDE and the probability-flow ODE (Anderson 1982; Song et al. 2021) are
derived once, for every SDE, in `SDE.reverse`.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import Tensor

from scoresde._utils import (
    FLOAT64,
    check_batch_time,
    check_bool,
    check_callable,
    check_float_dtype,
    check_generator,
    check_int,
    check_output,
    check_positive_float,
    check_same_shape,
    check_sde,
    check_tensor,
    check_time,
    expand_like,
)
from scoresde.ddpm import DDPM
from scoresde.schedules import LinearSchedule, PiecewiseConstantSchedule, Schedule, check_lambda, softplus64

__all__ = ["SDE", "VESDE", "VPSDE", "ReverseSDE", "ScoreFn", "SubVPSDE", "coefficients_from_marginal"]

ScoreFn = Callable[[Tensor, Tensor], Tensor]
"""A score function `score_fn(x, t) -> ∇ₓ log p_t(x)`; `x` of shape `(batch, *dims)`, `t` of shape `(batch,)`."""


def coefficients_from_marginal(sde: SDE, t: Any) -> tuple[Tensor, Tensor]:
    r"""Drift `f = d log α/dt` and squared diffusion `g² = dσ²/dt - 2 f σ²` from the marginal coefficients, by autograd.

    For `x_t = α(t) x_0 + σ(t) ε` the mean obeys `dα/dt = f α` and the variance `dσ²/dt = 2 f σ² + g²`, so

        f(t) = d log α(t)/dt,    g(t)² = dσ(t)²/dt - 2 f(t) σ(t)².

    Works for any [`SDE`][scoresde.sde.SDE] that implements `_marginal`; a new SDE needs nothing else. Where
    σ(t) = 0 and σ is a square root (the VP SDE at t = 0) the autograd derivative is undefined (NaN): the closed
    forms of the subclasses hold there.

    Args:
        sde: the SDE whose marginal coefficients `(α, σ)` are differentiated.
        t: times in `[0, T]`: a number, a sequence or a tensor of shape `()` or `(batch,)`.

    Returns:
        f: the drift coefficient `f(t)`, float64 of the shape of `t`.
        g2: the squared diffusion `g(t)²`, float64 of the shape of `t`.

    Raises:
        TypeError: if `sde` is not an `SDE` or `t` is not real.
        ValueError: if `t` has more than one dimension or leaves `[0, T]`.

    References:
        Song, Sohl-Dickstein, Kingma, Kumar, Ermon & Poole 2021, "Score-Based Generative Modeling through
        Stochastic Differential Equations", ICLR, arXiv:2011.13456, eq. 5 (the SDE) and App. B (its marginals).
    """
    check_sde(sde)
    return _derived_coefficients(sde, check_time(t, sde.T))


def _derived_coefficients(sde: SDE, t: Tensor) -> tuple[Tensor, Tensor]:
    """``coefficients_from_marginal`` for a checked float64 ``t``: one autograd pass gives both."""
    tt = t.detach().clone()
    with torch.enable_grad():
        tt.requires_grad_(True)
        alpha, sigma = sde._marginal(tt)
        f = _time_derivative(torch.log(alpha), tt)
        var = sigma * sigma
        dvar = _time_derivative(var, tt)
    return f, dvar - 2.0 * f * var.detach()


def _time_derivative(y: Tensor, t: Tensor) -> Tensor:
    """dy/dt elementwise for y computed elementwise from t (zero where y does not depend on t)."""
    if not y.requires_grad:
        return torch.zeros_like(t).detach()
    (dy,) = torch.autograd.grad(y.sum(), t, retain_graph=True, allow_unused=True)
    return torch.zeros_like(t).detach() if dy is None else dy.detach()


class SDE(ABC):
    r"""A linear-Gaussian diffusion `dx = f(t) x dt + g(t) dw` with marginals `x_t = α(t) x_0 + σ(t) ε`.

    The drift and diffusion follow from the marginal coefficients (`coefficients_from_marginal`):

        f(t) = d log α/dt,    g(t)² = dσ²/dt - 2 f(t) σ(t)².

    A subclass implements `_marginal` (α, σ in float64) and `prior_std`; it may override
    `_drift_coef`, `_g2`, `_transition` and `_t_of_lambda` with closed forms. Public methods
    check their inputs; the underscored ones take float64 tensors already checked (for samplers,
    which check a whole time grid once and then call them in their loops).

    Attributes:
        T: the end time, 1; the prior `N(0, prior_std² I)` stands for `p_T`.

    References:
        Song, Sohl-Dickstein, Kingma, Kumar, Ermon & Poole 2021, "Score-Based Generative Modeling through
        Stochastic Differential Equations", ICLR, arXiv:2011.13456.
    """

    T: float = 1.0

    # --- what a subclass provides ---
    @abstractmethod
    def _marginal(self, t: Tensor) -> tuple[Tensor, Tensor]:
        """(α(t), σ(t)) for a float64 tensor t in [0, T]."""

    @property
    @abstractmethod
    def prior_std(self) -> float:
        """The standard deviation `s` of the prior `N(0, s² I)` that stands for `p_T`."""

    def _drift_coef(self, t: Tensor) -> Tensor:
        return _derived_coefficients(self, t)[0]

    def _g2(self, t: Tensor) -> Tensor:
        """g(t)², the squared diffusion (what the reverse drift uses: no square root taken and undone)."""
        return _derived_coefficients(self, t)[1]

    def _diffusion(self, t: Tensor) -> Tensor:
        return torch.sqrt(self._g2(t).clamp(min=0.0))

    def _transition(self, s: Tensor, t: Tensor) -> tuple[Tensor, Tensor]:
        """(α_t/α_s, σ_{t|s}) of p(x_t | x_s) for s ≤ t, from σ²_{t|s} = σ_t² - (α_t/α_s)² σ_s²."""
        (a_s, s_s), (a_t, s_t) = self._marginal(s), self._marginal(t)
        ratio = a_t / a_s
        return ratio, torch.sqrt((s_t * s_t - ratio * ratio * s_s * s_s).clamp(min=0.0))

    def _lambda(self, t: Tensor) -> Tensor:
        alpha, sigma = self._marginal(t)
        return torch.log(alpha) - torch.log(sigma)

    def _t_of_lambda(self, lam: Tensor) -> Tensor:
        """Generic inverse of the decreasing λ(t) by 64 bisections: absolute error ≤ 2⁻⁶⁴ T ≈ 5e-20."""
        lo, hi = torch.zeros_like(lam), torch.full_like(lam, self.T)
        for _ in range(64):
            mid = 0.5 * (lo + hi)
            above = self._lambda(mid) > lam  # λ decreasing: the root lies to the right of mid
            lo, hi = torch.where(above, mid, lo), torch.where(above, hi, mid)
        return 0.5 * (lo + hi)

    # --- coefficients ---
    def marginal(self, t: Any) -> tuple[Tensor, Tensor]:
        r"""The marginal coefficients `(α(t), σ(t))` of `x_t = α(t) x_0 + σ(t) ε`, `p_{0t}(x_t | x_0) = N(α x_0, σ² I)`.

        Args:
            t: times in `[0, T]`: a number, a sequence or a tensor of shape `()` or `(batch,)`.

        Returns:
            alpha: `α(t)`, float64 of the shape of `t`.
            sigma: `σ(t)`, float64 of the shape of `t`.

        Raises:
            TypeError: if `t` is not real.
            ValueError: if `t` has more than one dimension or leaves `[0, T]`.
        """
        return self._marginal(check_time(t, self.T))

    def drift_coef(self, t: Any) -> Tensor:
        r"""The drift coefficient `f(t) = d log α(t)/dt` of the drift `f(t)·x` (VP and sub-VP: `-β(t)/2`; VE: 0).

        Args:
            t: times in `[0, T]`: a number, a sequence or a tensor of shape `()` or `(batch,)`.

        Returns:
            `f(t)`, float64 of the shape of `t`.

        Raises:
            TypeError: if `t` is not real.
            ValueError: if `t` has more than one dimension or leaves `[0, T]`.
        """
        return self._drift_coef(check_time(t, self.T))

    def diffusion(self, t: Any) -> Tensor:
        r"""The diffusion coefficient `g(t) = √(dσ²/dt - 2 f σ²)` (VP: `√β(t)`).

        Args:
            t: times in `[0, T]`: a number, a sequence or a tensor of shape `()` or `(batch,)`.

        Returns:
            `g(t) ≥ 0`, float64 of the shape of `t`.

        Raises:
            TypeError: if `t` is not real.
            ValueError: if `t` has more than one dimension or leaves `[0, T]`.
        """
        return self._diffusion(check_time(t, self.T))

    def drift(self, x: Tensor, t: Any) -> Tensor:
        r"""The forward drift `f(t)·x`.

        Args:
            x: states of shape `(batch, *dims)`, floating-point.
            t: a time in `[0, T]`, a scalar or of shape `(batch,)`.

        Returns:
            `f(t)·x`, the shape and dtype of `x`.

        Raises:
            TypeError: if `x` is not a floating-point tensor or `t` not real.
            ValueError: if `t` leaves `[0, T]` or is not a scalar or of shape `(batch,)`.
        """
        return self._coef(self._drift_coef, x, t) * x

    def transition(self, s: Any, t: Any) -> tuple[Tensor, Tensor]:
        r"""The forward kernel `p(x_t | x_s) = N(a x_s, v² I)` for `0 ≤ s ≤ t ≤ T`:

            a = α(t)/α(s),    v² = σ(t)² - a² σ(s)².

        Composing the kernel from 0 to s with the one from s to t gives the marginal at t. Ancestral and
        DDIM-type samplers step with it.

        Args:
            s: the earlier times in `[0, T]`, a number, a sequence or a tensor of shape `()` or `(batch,)`.
            t: the later times in `[s, T]`, likewise.

        Returns:
            a: the signal factor `α(t)/α(s)`, float64 of the broadcast shape of `s` and `t`.
            v: the standard deviation `√(σ(t)² - a² σ(s)²)`, float64 of that shape.

        Raises:
            TypeError: if `s` or `t` is not real.
            ValueError: if `s` or `t` has more than one dimension or leaves `[0, T]`, or `s > t`.

        References:
            Kingma, Salimans, Poole & Ho 2021, "Variational Diffusion Models", NeurIPS, arXiv:2107.00630, eqs. 2-3.
        """
        ss, tt = check_time(s, self.T, "s"), check_time(t, self.T, "t")
        if ss.ndim == tt.ndim == 1 and len(ss) != len(tt) and 1 not in (len(ss), len(tt)):
            raise ValueError(f"s and t must have the same length or one of them length 1; got {len(ss)} and {len(tt)}")
        if (ss > tt).any():
            raise ValueError("s must be <= t (the kernel runs forward in time); got s > t")
        return self._transition(ss, tt)

    def lambda_(self, t: Any) -> Tensor:
        r"""The half log-SNR `λ(t) = log(α(t)/σ(t))`, strictly decreasing; `+inf` where σ = 0.

        Args:
            t: times in `[0, T]`: a number, a sequence or a tensor of shape `()` or `(batch,)`.

        Returns:
            `λ(t)`, float64 of the shape of `t`.

        Raises:
            TypeError: if `t` is not real.
            ValueError: if `t` has more than one dimension or leaves `[0, T]`.

        References:
            Lu et al. 2022, "DPM-Solver", arXiv:2206.00927 (λ as the time variable of the solvers).
        """
        return self._lambda(check_time(t, self.T))

    def t_of_lambda(self, lam: Any) -> Tensor:
        r"""The inverse `t(λ)` of the half log-SNR: the time at which `log(α(t)/σ(t)) = lam`.

        Closed form for VP, sub-VP and VE; otherwise 64 bisections (absolute error ≤ `2⁻⁶⁴ T`).

        Args:
            lam: values in `[λ(T), λ(0)]`, a number, a sequence or a tensor.

        Returns:
            `t(λ) ∈ [0, T]`, float64 of the shape of `lam`.

        Raises:
            TypeError: if `lam` is not real.
            ValueError: if a value is NaN or outside `[λ(T), λ(0)]`.

        References:
            Lu et al. 2022, "DPM-Solver", arXiv:2206.00927 (the time steps uniform in λ).
        """
        ends = self._lambda(torch.tensor([self.T, 0.0], dtype=FLOAT64))
        lam64 = check_lambda(lam, float(ends[0]), float(ends[1]))
        return self._t_of_lambda(lam64).clamp(0.0, self.T)

    def _coef(self, fn: Callable[[Tensor], Tensor], x: Tensor, t: Any) -> Tensor:
        """Evaluate a time coefficient for a batch ``x`` and shape it to broadcast against it."""
        check_tensor(x, "x")
        tt = check_time(t, self.T)
        check_batch_time(x, tt)
        return expand_like(fn(tt.to(x.device)), x)

    # --- distributions ---
    def perturb(self, x0: Tensor, t: Any, noise: Tensor) -> Tensor:
        r"""`x_t = α(t) x_0 + σ(t) ε`, a draw from `p_{0t}(x_t | x_0)` given the noise ε.

        Args:
            x0: the data `x_0`, shape `(batch, *dims)`, floating-point.
            t: a time in `[0, T]`, a scalar or of shape `(batch,)`.
            noise: `ε ~ N(0, I)`, the shape and dtype of `x0`.

        Returns:
            `x_t`, the shape and dtype of `x0`.

        Raises:
            TypeError: if `x0` or `noise` is not a floating-point tensor, their dtypes differ, or `t` is not real.
            ValueError: if `noise` does not have the shape of `x0`, or `t` leaves `[0, T]` or does not match the batch.

        References:
            Song, Sohl-Dickstein, Kingma, Kumar, Ermon & Poole 2021, "Score-Based Generative Modeling through
            Stochastic Differential Equations", ICLR, arXiv:2011.13456, App. B (the marginals).
        """
        check_same_shape(check_tensor(x0, "x0"), check_tensor(noise, "noise"), "x0", "noise")
        tt = check_time(t, self.T)
        check_batch_time(x0, tt, "x0")
        alpha, sigma = self._marginal(tt.to(x0.device))
        return expand_like(alpha, x0) * x0 + expand_like(sigma, x0) * noise

    def prior_sample(
        self,
        shape: Sequence[int],
        *,
        generator: torch.Generator | None = None,
        dtype: torch.dtype = torch.float32,
        device: torch.device | str | None = None,
    ) -> Tensor:
        r"""A draw `x_T ~ N(0, s² I)` from the prior, `s = prior_std`.

        Args:
            shape: the shape `(batch, *dims)`, a tuple, list or `torch.Size` of positive ints.
            generator: the source of randomness (its device is used when `device` is None).
            dtype: the dtype of the sample.
            device: the device of the sample; by default the generator's, else the CPU.

        Returns:
            `x_T`, a tensor of the given shape.

        Raises:
            TypeError: if `shape` is not a sequence of ints, `generator` not a `torch.Generator` or `dtype` not a
                floating-point dtype.
            ValueError: if an entry of `shape` is below 1.
        """
        if not isinstance(shape, (tuple, list, torch.Size)):
            raise TypeError(f"shape must be a sequence of ints such as (batch, *dims); "
                            f"got {type(shape).__name__} {shape!r}")
        dims = tuple(shape)
        for n in dims:
            check_int(n, "shape entries", minimum=1)
        check_generator(generator)
        check_float_dtype(dtype)
        if device is None and generator is not None:
            device = generator.device
        return self.prior_std * torch.randn(dims, generator=generator, dtype=dtype, device=device)

    def prior_logp(self, z: Tensor) -> Tensor:
        r"""The prior log-density `log N(z; 0, s² I) = -|z|²/(2s²) - (D/2)·log(2π s²)`, `s = prior_std`.

        D is the number of values per sample; the sum runs over all but the batch dimension.

        Args:
            z: points of shape `(batch, *dims)`, floating-point.

        Returns:
            `log N(z; 0, s² I)` per sample, shape `(batch,)`, in `z`'s dtype.

        Raises:
            TypeError: if `z` is not a floating-point tensor.
            ValueError: if `z` has no batch dimension.
        """
        check_tensor(z, "z")
        if z.ndim < 1:
            raise ValueError(f"z must have a batch dimension; got shape {tuple(z.shape)}")
        s2 = self.prior_std**2
        flat = z.reshape(z.shape[0], -1)
        return -0.5 * flat.pow(2).sum(1) / s2 - 0.5 * flat.shape[1] * math.log(2 * math.pi * s2)

    def reverse(self, score_fn: ScoreFn, *, probability_flow: bool = False) -> ReverseSDE:
        r"""The reverse-time SDE `dx = [f x - g² s] dt + g dw̄` or the probability-flow ODE `dx/dt = f x - ½ g² s`.

        Args:
            score_fn: `score_fn(x, t) ≈ ∇ₓ log p_t(x)`, t of shape `(batch,)`.
            probability_flow: the ODE (True) or the SDE (False).

        Returns:
            The [`ReverseSDE`][scoresde.sde.ReverseSDE] of this SDE.

        Raises:
            TypeError: if `score_fn` is not callable or `probability_flow` not a bool.

        References:
            - Anderson 1982, "Reverse-time diffusion equation models", Stochastic Processes and their
              Applications 12(3).
            - Song, Sohl-Dickstein, Kingma, Kumar, Ermon & Poole 2021, "Score-Based Generative Modeling through
              Stochastic Differential Equations", ICLR, arXiv:2011.13456, eqs. 6 and 13.
        """
        return ReverseSDE(self, score_fn, probability_flow=probability_flow)


class ReverseSDE:
    r"""The reverse-time process of an `SDE` given the score `s(x, t) ≈ ∇ₓ log p_t(x)`.

    Reverse SDE (Anderson 1982), run from t = T down to 0 (dt < 0, w̄ a reverse-time Wiener process):

        dx = [f(t) x - g(t)² s(x, t)] dt + g(t) dw̄

    Probability-flow ODE (Song et al. 2021, eq. 13), which has the same marginals p_t:

        dx/dt = f(t) x - ½ g(t)² s(x, t)

    Args:
        sde: the forward SDE.
        score_fn: `score_fn(x, t)` with t of shape `(batch,)`.
        probability_flow: the ODE (True) or the SDE (False).

    Raises:
        TypeError: if `sde` is not an `SDE`, `score_fn` is not callable or `probability_flow` not a bool.

    References:
        - Anderson 1982, "Reverse-time diffusion equation models", Stochastic Processes and their Applications 12(3).
        - Song, Sohl-Dickstein, Kingma, Kumar, Ermon & Poole 2021, "Score-Based Generative Modeling through
          Stochastic Differential Equations", ICLR, arXiv:2011.13456, eqs. 6 and 13.
    """

    def __init__(self, sde: SDE, score_fn: ScoreFn, *, probability_flow: bool = False) -> None:
        check_sde(sde)
        check_callable(score_fn, "score_fn", "score_fn(x, t)")
        self.sde = sde
        self.score_fn = score_fn
        self.probability_flow = check_bool(probability_flow, "probability_flow")
        self.score_weight = 0.5 if self.probability_flow else 1.0
        """c in the drift `f x - c g² s`: 1 for the reverse SDE, ½ for the probability-flow ODE."""

    def __repr__(self) -> str:
        kind = "probability-flow ODE" if self.probability_flow else "reverse SDE"
        return f"ReverseSDE({self.sde!r}, {kind})"

    def drift(self, x: Tensor, t: Any) -> Tensor:
        r"""The reverse drift `f(t) x - c g(t)² s(x, t)`, `c = 1` (SDE) or `½` (probability-flow ODE), per forward dt.

        Args:
            x: states of shape `(batch, *dims)`, floating-point.
            t: a time in `[0, T]`, a scalar or of shape `(batch,)`.

        Returns:
            The drift, the shape and dtype of `x`.

        Raises:
            TypeError: if `x` is not a floating-point tensor, `t` is not real, or `score_fn` returns no tensor.
            ValueError: if `x` has no batch dimension, `t` leaves `[0, T]` or does not match the batch, or
                `score_fn` returns another shape.
        """
        check_tensor(x, "x")
        if x.ndim < 1:
            raise ValueError(f"x must have a batch dimension, shape (batch, *dims); got shape {tuple(x.shape)}")
        tt = check_time(t, self.sde.T)
        check_batch_time(x, tt)
        t_batch = tt.to(x.device).expand(x.shape[0])
        score = check_output(self.score_fn(x, t_batch.to(x.dtype)), x, "score_fn(x, t)")
        return self._drift(x, t_batch, score)

    def _drift(self, x: Tensor, t: Tensor, score: Tensor) -> Tensor:
        """`f(t) x - c g(t)² s`, given the score `s = s(x, t)` already evaluated: the one place of this formula
        (`drift`, every sampler and `log_likelihood` call it).

        `t` is a checked float64 time: a 0-d tensor (a grid time, broadcast as a scalar) or `(batch,)` on x's
        device. The coefficients stay tensors, so nothing here waits for the device.
        """
        f, g2 = self.sde._drift_coef(t), self.sde._g2(t)
        if t.ndim:
            f, g2 = expand_like(f, x), expand_like(g2, x)
        return f * x - self.score_weight * g2 * score

    def _divergence(self, t: Tensor, dim: int, div_score: Tensor) -> Tensor:
        """`∇·(f x - c g² s) = D f(t) - c g(t)² ∇·s` per sample, given `∇·s` (the change of variables' integrand)."""
        return dim * self.sde._drift_coef(t) - self.score_weight * self.sde._g2(t) * div_score

    def diffusion(self, t: Any) -> Tensor:
        """The reverse diffusion: `g(t)` for the reverse SDE, 0 for the probability-flow ODE.

        Args:
            t: times in `[0, T]`: a number, a sequence or a tensor of shape `()` or `(batch,)`.

        Returns:
            `g(t)` or zeros, float64 of the shape of `t`.

        Raises:
            TypeError: if `t` is not real.
            ValueError: if `t` has more than one dimension or leaves `[0, T]`.
        """
        g = self.sde.diffusion(t)
        return torch.zeros_like(g) if self.probability_flow else g


def _schedule_from_args(beta_min: float | None, beta_max: float | None, schedule: Schedule | None) -> Schedule:
    if schedule is None:
        return LinearSchedule(0.1 if beta_min is None else beta_min, 20.0 if beta_max is None else beta_max)
    if not isinstance(schedule, Schedule):
        raise TypeError(f"schedule must be a scoresde Schedule; got {type(schedule).__name__}")
    if beta_min is not None or beta_max is not None:
        raise TypeError("give either beta_min/beta_max (a linear schedule) or schedule, not both")
    return schedule


class _ScheduledSDE(SDE):
    """Shared by the VP and sub-VP SDEs: a β schedule, drift -½β(t)x and the prior N(0, I)."""

    def __init__(
        self, beta_min: float | None = None, beta_max: float | None = None, *, schedule: Schedule | None = None
    ) -> None:
        self.schedule = _schedule_from_args(beta_min, beta_max, schedule)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(schedule={self.schedule!r})"

    @property
    def prior_std(self) -> float:
        """1: the prior `N(0, I)`, since `σ(T)² = 1 - ᾱ(T) ≈ 1` (VP) or `(1 - ᾱ(T))² ≈ 1` (sub-VP)."""
        return 1.0

    def _drift_coef(self, t: Tensor) -> Tensor:
        return -0.5 * self.schedule._beta(t)


class VPSDE(_ScheduledSDE):
    r"""The variance-preserving SDE `dx = -½ β(t) x dt + √β(t) dw`, the continuous-time limit of the DDPM chain.

    Marginals: `α = √ᾱ(t)`, `σ = √(1 - ᾱ(t))`, so `α² + σ² = 1`; `ᾱ(t) = exp(-∫₀ᵗ β)`.

    Args:
        beta_min: `β(0)` of the linear schedule `β(t) = β_min + (β_max - β_min) t` (default 0.1).
        beta_max: `β(1)` of the linear schedule (default 20).
        schedule: any [`Schedule`][scoresde.schedules.Schedule] instead (e.g. `CosineSchedule()`); not together
            with `beta_min`/`beta_max`.

    Raises:
        TypeError: if `schedule` is not a `Schedule`, or is given together with `beta_min`/`beta_max`.
        ValueError: if the linear schedule's bounds are not `0 < beta_min < beta_max`.

    References:
        - Song, Sohl-Dickstein, Kingma, Kumar, Ermon & Poole 2021, "Score-Based Generative Modeling through
          Stochastic Differential Equations", ICLR, arXiv:2011.13456, eq. 11.
        - Ho, Jain & Abbeel 2020, "Denoising Diffusion Probabilistic Models", NeurIPS, arXiv:2006.11239.
    """

    def _marginal(self, t: Tensor) -> tuple[Tensor, Tensor]:
        log_ab = self.schedule._log_alpha_bar(t)
        return torch.exp(0.5 * log_ab), torch.sqrt(-torch.expm1(log_ab))

    def _g2(self, t: Tensor) -> Tensor:
        return self.schedule._beta(t)

    def _transition(self, s: Tensor, t: Tensor) -> tuple[Tensor, Tensor]:
        # ᾱ_t/ᾱ_s = exp(-∫_s^t β): v² = 1 - ᾱ_t/ᾱ_s by expm1, with the integral formed directly
        dL = -self.schedule._neg_log_alpha_bar_between(s, t)
        return torch.exp(0.5 * dL), torch.sqrt(-torch.expm1(dL))

    def _lambda(self, t: Tensor) -> Tensor:
        return self.schedule._lambda(t)

    def _t_of_lambda(self, lam: Tensor) -> Tensor:
        # ᾱ = sigmoid(2λ), so -log ᾱ = softplus(-2λ)
        return self.schedule._t_of_neg_log_alpha_bar(softplus64(-2.0 * lam))

    @classmethod
    def from_ddpm(cls, betas: Any) -> VPSDE:
        r"""The VP SDE whose `ᾱ(t_i)` equals the chain's `ᾱ_i = Π_{j≤i} (1 - β_j)` exactly at `t_i = i/N`.

        `β(t) = -N log(1 - β_i)` on `((i-1)/N, i/N]`
        ([`PiecewiseConstantSchedule`][scoresde.schedules.PiecewiseConstantSchedule]); the map is exact, not the
        first-order `β(t_i) ≈ N β_i`.

        Args:
            betas: the chain: a sequence `β_1..β_N` in (0, 1) or a [`DDPM`][scoresde.ddpm.DDPM].

        Returns:
            The VP SDE on the piecewise-constant schedule.

        Raises:
            TypeError: if `betas` is not numeric.
            ValueError: if `betas` is not a non-empty 1-D sequence of finite values in (0, 1).

        References:
            Ho, Jain & Abbeel 2020, "Denoising Diffusion Probabilistic Models", NeurIPS, arXiv:2006.11239.
        """
        b = betas.betas if isinstance(betas, DDPM) else betas
        return cls(schedule=PiecewiseConstantSchedule(b))

    def to_ddpm(self, N: int) -> DDPM:
        r"""The DDPM chain that this SDE induces at `t_i = i/N`: `β_i = 1 - ᾱ(t_i)/ᾱ(t_{i-1})`, exactly.

        `VPSDE.from_ddpm(sde.to_ddpm(N))` agrees with `sde` at every `t_i`. (The common first-order
        map `β_i ≈ β(s)/N`, which Ho et al.'s linear schedule is with `s = (i-1)/(N-1)`, has an ᾱ error that
        falls like 1/N; docs/math.md gives the measured numbers.)

        Args:
            N: the number of steps, ≥ 1.

        Returns:
            The [`DDPM`][scoresde.ddpm.DDPM] with `β_1..β_N`.

        Raises:
            TypeError: if `N` is not an int.
            ValueError: if `N < 1`.

        References:
            Song, Sohl-Dickstein, Kingma, Kumar, Ermon & Poole 2021, "Score-Based Generative Modeling through
            Stochastic Differential Equations", ICLR, arXiv:2011.13456, App. B.
        """
        check_int(N, "N", minimum=1)
        grid = torch.arange(N + 1, dtype=FLOAT64) / N
        L = self.schedule._neg_log_alpha_bar(grid)
        return DDPM(-torch.expm1(-(L[1:] - L[:-1])))


class SubVPSDE(_ScheduledSDE):
    r"""The sub-VP SDE `dx = -½ β(t) x dt + √(β(t) (1 - ᾱ(t)²)) dw`.

    Marginals: `α = √ᾱ(t)`, `σ = 1 - ᾱ(t)`, a variance below the VP one at every t.

    Args:
        beta_min: `β(0)` of the linear schedule `β(t) = β_min + (β_max - β_min) t` (default 0.1).
        beta_max: `β(1)` of the linear schedule (default 20).
        schedule: any [`Schedule`][scoresde.schedules.Schedule] instead; not together with `beta_min`/`beta_max`.

    Raises:
        TypeError: if `schedule` is not a `Schedule`, or is given together with `beta_min`/`beta_max`.
        ValueError: if the linear schedule's bounds are not `0 < beta_min < beta_max`.

    References:
        Song, Sohl-Dickstein, Kingma, Kumar, Ermon & Poole 2021, "Score-Based Generative Modeling through
        Stochastic Differential Equations", ICLR, arXiv:2011.13456, eq. 29.
    """

    def _marginal(self, t: Tensor) -> tuple[Tensor, Tensor]:
        log_ab = self.schedule._log_alpha_bar(t)
        return torch.exp(0.5 * log_ab), -torch.expm1(log_ab)

    def _g2(self, t: Tensor) -> Tensor:
        return self.schedule._beta(t) * -torch.expm1(2.0 * self.schedule._log_alpha_bar(t))

    def _t_of_lambda(self, lam: Tensor) -> Tensor:
        # λ = log(√ᾱ/(1-ᾱ)). With w = e^{-λ}: √ᾱ = 2/(w + √(w² + 4)), so -log ᾱ = 2 asinh(w/2), exactly.
        return self.schedule._t_of_neg_log_alpha_bar(2.0 * torch.asinh(0.5 * torch.exp(-lam)))


class VESDE(SDE):
    r"""The variance-exploding SDE `dx = √(dσ²/dt) dw` with `σ(t) = σ_min (σ_max/σ_min)^t`.

    The continuous limit of SMLD / NCSN (Song & Ermon 2019). The marginal is `x_t = x_0 + σ(t) ε` with
    `σ(0) = σ_min`, as in Song et al.'s code: the process at t = 0 is the data smoothed by `N(0, σ_min² I)`.
    The SDE's transition from s to t has variance `σ(t)² - σ(s)²`, so from `x(0)` the kernel is the paper's
    `N(x(0), (σ(t)² - σ(0)²) I)`, and from the data it is `σ(t)²`. Here `g(t)² = 2 σ(t)² log(σ_max/σ_min)`.

    Args:
        sigma_min: `σ(0) > 0` (default 0.01).
        sigma_max: `σ(1) > sigma_min` (default 50); the prior is `N(0, σ_max² I)`.

    Raises:
        TypeError: if a bound is not a real number.
        ValueError: if a bound is not finite and positive, or `sigma_min >= sigma_max`.

    References:
        - Song, Sohl-Dickstein, Kingma, Kumar, Ermon & Poole 2021, "Score-Based Generative Modeling through
          Stochastic Differential Equations", ICLR, arXiv:2011.13456, eq. 9 and App. B.
        - Song & Ermon 2019, "Generative Modeling by Estimating Gradients of the Data Distribution", NeurIPS,
          arXiv:1907.05600.
    """

    def __init__(self, sigma_min: float = 0.01, sigma_max: float = 50.0) -> None:
        self.sigma_min = check_positive_float(sigma_min, "sigma_min")
        self.sigma_max = check_positive_float(sigma_max, "sigma_max")
        if self.sigma_min >= self.sigma_max:
            raise ValueError(f"sigma_min must be < sigma_max; got sigma_min={sigma_min}, sigma_max={sigma_max}")
        self._log_ratio = math.log(self.sigma_max / self.sigma_min)

    def __repr__(self) -> str:
        return f"VESDE(sigma_min={self.sigma_min}, sigma_max={self.sigma_max})"

    @property
    def prior_std(self) -> float:
        """`σ_max`: the prior `N(0, σ_max² I)`, since `σ(T) = σ_max ≫` the data's scale."""
        return self.sigma_max

    def _marginal(self, t: Tensor) -> tuple[Tensor, Tensor]:
        return torch.ones_like(t), self.sigma_min * torch.exp(self._log_ratio * t)

    def _drift_coef(self, t: Tensor) -> Tensor:
        return torch.zeros_like(t)

    def _g2(self, t: Tensor) -> Tensor:
        return 2.0 * self._log_ratio * self._marginal(t)[1] ** 2

    def _transition(self, s: Tensor, t: Tensor) -> tuple[Tensor, Tensor]:
        # v² = σ_t² - σ_s² = σ_t² (1 - e^{-2 log(σmax/σmin)(t - s)})
        sigma_t = self._marginal(t)[1]
        return torch.ones_like(sigma_t), sigma_t * torch.sqrt(-torch.expm1(-2.0 * self._log_ratio * (t - s)))

    def _t_of_lambda(self, lam: Tensor) -> Tensor:
        return (-lam - math.log(self.sigma_min)) / self._log_ratio
