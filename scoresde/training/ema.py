r"""Exponential moving average of a model's weights, the weights one samples from.

After every optimizer step, θ_EMA ← β θ_EMA + (1 - β) θ (Polyak & Juditsky 1992; used by Ho et al. 2020 and
Song et al. 2021 with β = 0.9999). With ``warmup=True`` the decay ramps up as β_n = min(β, (1 + n)/(10 + n)) after
n updates, so short runs are not dominated by the initial weights. Buffers (e.g. normalisation statistics) are
copied, not averaged.

References:
    Polyak & Juditsky 1992, "Acceleration of Stochastic Approximation by Averaging", SIAM J. Control and
    Optimization 30.
"""

from __future__ import annotations

import copy
from typing import Any

import torch
from torch import Tensor, nn

from scoresde._utils import check_bool, check_float

__all__ = ["EMA"]


class EMA:
    r"""Keeps ``module``, a frozen copy of a model whose parameters are the running average of the model's.

        θ_EMA ← β_n·θ_EMA + (1 - β_n)·θ,   β_n = β, or min(β, (1 + n)/(10 + n)) with warmup

    after the n-th optimizer step (counting from 0). Buffers are copied, not averaged. Sample from ``module``.

    Args:
        model: the model being trained (its current weights start the average).
        decay: β in [0, 1); 0 copies the weights.
        warmup: use β_n = min(β, (1 + n)/(10 + n)) at the n-th update.

    Attributes:
        module: the averaged copy of the model (in eval mode, no gradients).
        decay: β.
        warmup: whether the decay ramps up.
        updates: the number of updates so far.

    Raises:
        TypeError: ``decay`` is not a number or ``warmup`` not a bool.
        ValueError: ``decay`` is outside [0, 1).

    References:
        Polyak & Juditsky 1992, "Acceleration of Stochastic Approximation by Averaging", SIAM J. Control and
        Optimization 30; β = 0.9999 as in Ho et al. 2020 and Song et al. 2021.
    """

    def __init__(self, model: nn.Module, decay: float = 0.9999, warmup: bool = False) -> None:
        self.decay = check_float(decay, "decay", low=0.0, high=1.0, high_open=True)
        self.warmup = check_bool(warmup, "warmup")
        self.updates = 0
        self.module = copy.deepcopy(model).eval().requires_grad_(False)

    def decay_at(self, n: int) -> float:
        """The decay of the n-th update (counting from 0): ``β_n = min(β, (1 + n)/(10 + n))`` with warm-up, else β.

        Args:
            n: the update's index.

        Returns:
            β_n.
        """
        return min(self.decay, (1.0 + n) / (10.0 + n)) if self.warmup else self.decay

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        """Average in the model's weights: ``θ_EMA ← β_n·θ_EMA + (1 - β_n)·θ`` for every parameter; buffers are copied.

        Args:
            model: the model being trained, of the architecture the EMA was made from.

        Raises:
            ValueError: ``model`` has another number of parameters than the EMA copy.
        """
        beta = self.decay_at(self.updates)
        shadow: list[Tensor] = list(self.module.parameters())
        params: list[Tensor] = [p.detach() for p in model.parameters()]
        if len(shadow) != len(params):
            raise ValueError(f"model has {len(params)} parameters; the EMA copy has {len(shadow)}")
        torch._foreach_lerp_(shadow, params, 1.0 - beta)
        for b_ema, b in zip(self.module.buffers(), model.buffers(), strict=True):
            b_ema.copy_(b)
        self.updates += 1

    def state_dict(self) -> dict[str, Any]:
        """The averaged weights, the decay settings and the update count (tensors and plain types only).

        Returns:
            A dict with keys ``module``, ``decay``, ``warmup`` and ``updates``.
        """
        return {"module": self.module.state_dict(), "decay": self.decay, "warmup": self.warmup,
                "updates": self.updates}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what ``state_dict`` returned.

        Args:
            state: a dict from ``state_dict``.
        """
        self.module.load_state_dict(state["module"])
        self.decay, self.warmup, self.updates = float(state["decay"]), bool(state["warmup"]), int(state["updates"])

    def parameters(self) -> list[Tensor]:
        """The averaged parameters θ_EMA, in the order of ``model.parameters()``.

        Returns:
            The parameter tensors of ``module`` (not copies).
        """
        return list(self.module.parameters())
