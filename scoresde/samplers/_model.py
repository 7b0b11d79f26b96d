"""What every sampler shares: the score as the samplers see it (counted, checked, turned into x0 / ε predictions),
the step callback's type, and the reverse-SDE steps that `euler_maruyama`, `pc` and `inpaint` all take."""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import Tensor

from scoresde._utils import check_output
from scoresde.sde import SDE, ScoreFn

StepCallback = Callable[[int, Tensor, Tensor], None]
"""`on_step(i, t_i, x_i)`: called by a sampler after step i with the new time and state."""


class CountedScore:
    r"""Wraps ``score_fn(x, t)``: counts evaluations (the NFE), checks each output, and gives the derived predictions

        x̂_0 = (x + σ² s)/α   (Tweedie),    ε̂ = -σ s,

    and the reverse drifts (`reverse_sde`, `flow`: [`ReverseSDE`][scoresde.sde.ReverseSDE]s over the counted score).

    A wrong type or shape is refused at once (the shape is known on the host). Finiteness is tracked on x's device
    without waiting for it: each evaluation folds `isfinite(out).all()` into a flag, and `raise_if_non_finite`, called
    once at the end of a sampler run, raises a ``ValueError`` naming the time of the first non-finite evaluation. (A
    check per evaluation would be a device-to-host synchronisation per step on a GPU.)

    Times are float64 scalar tensors (the grid on the CPU, or torchdiffeq's on x's device); the network sees them as a
    `(batch,)` tensor in x's dtype on x's device.
    """

    def __init__(self, score_fn: ScoreFn, sde: SDE) -> None:
        self.score_fn = score_fn
        self.sde = sde
        self.nfe = 0
        self.reverse_sde = sde.reverse(self.score)
        self.flow = sde.reverse(self.score, probability_flow=True)
        self._first_bad: Tensor | None = None  # on x's device: the 1-based evaluation of the first non-finite output
        self._times: list[Tensor] = []  # the time of each evaluation, to name it in the error

    def coefficients(self, t: Tensor) -> tuple[float, float]:
        """The marginal coefficients `(α(t), σ(t))` as Python floats, for a float64 scalar grid time `t` on the CPU."""
        alpha, sigma = self.sde._marginal(t)
        return float(alpha), float(sigma)

    def score(self, x: Tensor, t: Tensor) -> Tensor:
        """The score `s(x, t)` for a scalar time `t`, counted and checked (type and shape now, finiteness on device)."""
        if t.device.type == "cpu":  # a grid time: filled on x's device, no copy to it
            t_batch = torch.full((x.shape[0],), float(t), dtype=x.dtype, device=x.device)
        else:
            t_batch = t.to(x.dtype).expand(x.shape[0])
        out = self.score_fn(x, t_batch)
        self.nfe += 1
        self._times.append(t)
        if not isinstance(out, Tensor) or out.shape != x.shape:  # host metadata: no wait for the device
            check_output(out, x, "score_fn(x, t)", where=f"at t = {float(t):.6g}")
        bad = torch.where(torch.isfinite(out).all(), 0, self.nfe)
        self._first_bad = bad if self._first_bad is None else torch.where(self._first_bad > 0, self._first_bad, bad)
        return out

    def raise_if_non_finite(self) -> None:
        """Raise ``ValueError`` if an evaluation returned NaN or infinity, naming the time of the first (one sync)."""
        if self._first_bad is None:
            return
        first = int(self._first_bad)
        if first:
            raise ValueError(f"score_fn(x, t) returned non-finite values at t = {float(self._times[first - 1]):.6g} "
                             f"(evaluation {first} of {self.nfe})")

    def x0(self, x: Tensor, t: Tensor) -> Tensor:
        """The data prediction (Tweedie's formula) `x̂_0 = (x + σ(t)² s(x, t))/α(t)`."""
        alpha, sigma = self.coefficients(t)
        return (x + sigma * sigma * self.score(x, t)) / alpha


def em_step(model: CountedScore, x: Tensor, t: Tensor, s: Tensor, generator: torch.Generator | None) -> Tensor:
    """One Euler–Maruyama step of the reverse SDE from grid time t down to s < t:

        x_s = x_t - [f(t) x_t - g(t)² s(x_t, t)] Δ + g(t) √Δ z,    Δ = t - s,  z ~ N(0, I).
    """
    dt = float(t - s)
    drift = model.reverse_sde._drift(x, t, model.score(x, t))
    noise = torch.randn(x.shape, generator=generator, dtype=x.dtype, device=x.device)
    return x - drift * dt + math.sqrt(float(model.sde._g2(t)) * dt) * noise


def langevin_step(model: CountedScore, x: Tensor, t: Tensor, s: Tensor, snr: float,
                  generator: torch.Generator | None) -> Tensor:
    """One Langevin corrector step at grid time s after a predictor step from t:

        x ← x + ε s(x, s) + √(2ε) z,    ε = 2 a² (snr ‖z‖ / ‖s(x, s)‖)²,    a = α_t/α_s,

    with the norms per sample over all dimensions, averaged over the batch. The step size stays on x's device.
    """
    a2 = float(model.sde._transition(s, t)[0]) ** 2
    grad = model.score(x, s)
    z = torch.randn(x.shape, generator=generator, dtype=x.dtype, device=x.device)
    grad_norm = grad.reshape(x.shape[0], -1).norm(dim=1).mean()
    z_norm = z.reshape(x.shape[0], -1).norm(dim=1).mean()
    step = 2.0 * a2 * (snr * z_norm / grad_norm).double() ** 2
    out: Tensor = x + step * grad + torch.sqrt(2.0 * step) * z
    return out
