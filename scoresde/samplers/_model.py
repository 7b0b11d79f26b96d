"""The score function as the samplers see it: counted, checked, and turned into x0 / ε predictions."""

from __future__ import annotations

import torch
from torch import Tensor

from scoresde.sde import SDE, ScoreFn


class CountedScore:
    r"""Wraps ``score_fn(x, t)``: counts evaluations (the NFE), checks each output (a tensor of x's shape,
    finite; otherwise a ``ValueError`` naming the time), and gives the derived predictions

        x̂_0 = (x + σ² s)/α   (Tweedie),    ε̂ = -σ s.

    Times are float64 scalar tensors on the CPU (the grid); the network sees them as a (batch,) tensor in
    x's dtype on x's device.
    """

    def __init__(self, score_fn: ScoreFn, sde: SDE) -> None:
        self.score_fn = score_fn
        self.sde = sde
        self.nfe = 0

    def coefficients(self, t: Tensor) -> tuple[float, float]:
        """The marginal coefficients `(α(t), σ(t))` as Python floats, for a float64 scalar `t`."""
        alpha, sigma = self.sde._marginal(t)
        return float(alpha), float(sigma)

    def score(self, x: Tensor, t: Tensor) -> Tensor:
        """The score `s(x, t)` for a scalar grid time `t`, counted and checked (shape and finiteness)."""
        t_batch = t.to(device=x.device, dtype=x.dtype).expand(x.shape[0])
        out = self.score_fn(x, t_batch)
        self.nfe += 1
        if not isinstance(out, Tensor) or out.shape != x.shape:
            got = tuple(out.shape) if isinstance(out, Tensor) else type(out).__name__
            raise ValueError(f"score_fn(x, t) at t = {float(t):.6g} must return a tensor of the shape of x, "
                             f"{tuple(x.shape)}; got {got}")
        if not bool(torch.isfinite(out).all()):
            raise ValueError(f"score_fn(x, t) returned non-finite values at t = {float(t):.6g} "
                             f"(evaluation {self.nfe}); the sampler stopped there")
        return out

    def x0(self, x: Tensor, t: Tensor) -> Tensor:
        """The data prediction (Tweedie's formula) `x̂_0 = (x + σ(t)² s(x, t))/α(t)`."""
        alpha, sigma = self.coefficients(t)
        return (x + sigma * sigma * self.score(x, t)) / alpha
