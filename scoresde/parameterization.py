r"""What a network predicts, and how each prediction becomes a score.

For `x_t = α x_0 + σ ε` under any SDE of `scoresde.sde` the four usual targets are

    eps    ε
    x0     x_0 = (x_t - σ ε)/α
    v      v = α ε - σ x_0                       (Salimans & Ho 2022, "Progressive Distillation")
    score  ∇ log p_t(x_t | x_0) = -ε/σ            (Vincent 2011; Song et al. 2021)

and each determines the others given `x_t`:  `ε = (x_t - α x_0)/σ`,  `ε = (σ x_t + α v)/(α² + σ²)`,
`ε = -σ · score`. For the exact minimisers, `E[ε | x_t] = -σ ∇ log p_t(x_t)`, so a network that
predicts the noise gives the score `s_θ = -ε_θ/σ(t)` (for VP, `-ε_θ/√(1 - ᾱ)`).

Note the sign: the score is +∇ log p (it points towards higher density). The source
document writes "score = -∇log p(x)"; that is a slip (docs/math.md).
"""

from __future__ import annotations

from typing import Any, Literal, get_args

from torch import Tensor, nn

from scoresde._utils import (
    check_batch_time,
    check_callable,
    check_choice,
    check_output,
    check_same_shape,
    check_sde,
    check_tensor,
    check_time,
    expand_like,
)
from scoresde.sde import SDE

__all__ = ["Prediction", "ScoreModel", "convert"]

Prediction = Literal["eps", "x0", "v", "score"]
"""What a network predicts: the noise `ε`, the data `x_0`, the velocity `v = α ε - σ x_0`, or the score `-ε/σ`."""
PREDICTIONS: tuple[str, ...] = get_args(Prediction)
"""The names of `Prediction`, in order."""


def eps_from(pred: Tensor, kind: str, x_t: Tensor, alpha: Tensor, sigma: Tensor) -> Tensor:
    r"""The noise `ε` that a prediction of the given kind stands for, at `x_t = α x_0 + σ ε`.

        eps    ε
        x0     ε = (x_t - α x_0)/σ
        v      ε = (σ x_t + α v)/(α² + σ²)
        score  ε = -σ · score

    No input checks beyond `kind`: a building block of [`convert`][scoresde.parameterization.convert] and of
    [`DSMLoss`][scoresde.losses.DSMLoss], not exported by `scoresde`.

    Args:
        pred: the prediction, the shape of `x_t`.
        kind: one of `"eps"`, `"x0"`, `"v"`, `"score"`.
        x_t: the noisy input, shape `(batch, *dims)`.
        alpha: `α(t)`, broadcastable against `x_t` (see `append_dims`).
        sigma: `σ(t)`, broadcastable against `x_t`.

    Returns:
        `ε`, the broadcast shape of the inputs.

    Raises:
        TypeError: if `kind` is not a string.
        ValueError: if `kind` is not one of the four names.

    References:
        - Salimans & Ho 2022, "Progressive Distillation for Fast Sampling of Diffusion Models", ICLR, arXiv:2202.00512.
        - Vincent 2011, "A Connection Between Score Matching and Denoising Autoencoders", Neural Computation 23(7).
    """
    check_choice(kind, "kind", PREDICTIONS)
    if kind == "eps":
        return pred
    if kind == "x0":
        return (x_t - alpha * pred) / sigma
    if kind == "v":
        return (sigma * x_t + alpha * pred) / (alpha * alpha + sigma * sigma)
    return -sigma * pred  # score


def from_eps(eps: Tensor, kind: str, x_t: Tensor, alpha: Tensor, sigma: Tensor) -> Tensor:
    r"""The prediction of the given kind that the noise `ε` corresponds to, at `x_t = α x_0 + σ ε`.

        eps    ε
        x0     x_0 = (x_t - σ ε)/α
        v      v = α ε - σ x_0
        score  -ε/σ

    No input checks beyond `kind`: a building block of [`convert`][scoresde.parameterization.convert] and of
    [`DSMLoss`][scoresde.losses.DSMLoss], not exported by `scoresde`.

    Args:
        eps: the noise `ε`, the shape of `x_t`.
        kind: one of `"eps"`, `"x0"`, `"v"`, `"score"`.
        x_t: the noisy input, shape `(batch, *dims)`.
        alpha: `α(t)`, broadcastable against `x_t` (see `append_dims`).
        sigma: `σ(t)`, broadcastable against `x_t`.

    Returns:
        The prediction, the broadcast shape of the inputs.

    Raises:
        TypeError: if `kind` is not a string.
        ValueError: if `kind` is not one of the four names.

    References:
        - Salimans & Ho 2022, "Progressive Distillation for Fast Sampling of Diffusion Models", ICLR, arXiv:2202.00512.
        - Vincent 2011, "A Connection Between Score Matching and Denoising Autoencoders", Neural Computation 23(7).
    """
    check_choice(kind, "kind", PREDICTIONS)
    if kind == "eps":
        return eps
    if kind == "score":
        return -eps / sigma
    x0 = (x_t - sigma * eps) / alpha
    return x0 if kind == "x0" else alpha * eps - sigma * x0  # x0 or v


def convert(sde: SDE, pred: Tensor, x_t: Tensor, t: Any, *, source: str, target: str) -> Tensor:
    r"""Convert a prediction at `(x_t, t)` from one parameterization to another, through `ε`, under `sde`.

    With `(α, σ) = sde.marginal(t)` in `x_t`'s dtype and `x_t = α x_0 + σ ε`, the result is
    `from_eps(eps_from(pred, source), target)`:

        ε = (x_t - α x_0)/σ = (σ x_t + α v)/(α² + σ²) = -σ · score,
        x_0 = (x_t - σ ε)/α,    v = α ε - σ x_0,    score = -ε/σ.

    For example `convert(sde, eps, x, t, source="eps", target="score")` is `-ε/σ(t)`.

    Args:
        sde: the SDE that defines `α(t)`, `σ(t)`.
        pred: the prediction, the shape of `x_t` (its dtype may differ: torch promotes).
        x_t: the noisy input, shape `(batch, *dims)`.
        t: a time in `[0, T]`, a scalar or of shape `(batch,)`.
        source: what `pred` is: `"eps"`, `"x0"`, `"v"` or `"score"`.
        target: what to return, one of the same four.

    Returns:
        The prediction of kind `target`, the shape of `x_t`.

    Raises:
        TypeError: if `x_t` or `pred` is not a floating-point tensor, `sde` not an `SDE`, `t` not real, or `source`
            or `target` not a string.
        ValueError: if `source` or `target` is unknown, the shapes differ, `t` leaves `[0, T]` or does not
            match the batch, or the conversion divides by `σ(t) = 0` (from `"x0"` or to `"score"`).

    References:
        - Salimans & Ho 2022, "Progressive Distillation for Fast Sampling of Diffusion Models", ICLR, arXiv:2202.00512.
        - Vincent 2011, "A Connection Between Score Matching and Denoising Autoencoders", Neural Computation 23(7).
        - Song, Sohl-Dickstein, Kingma, Kumar, Ermon & Poole 2021, "Score-Based Generative Modeling through
          Stochastic Differential Equations", ICLR, arXiv:2011.13456.
    """
    check_sde(sde)
    check_choice(source, "source", PREDICTIONS)
    check_choice(target, "target", PREDICTIONS)
    # dtypes may differ (a network under bf16 autocast); torch promotes
    check_same_shape(check_tensor(x_t, "x_t"), check_tensor(pred, "pred"), "x_t", "pred", dtype=False)
    tt = check_time(t, sde.T)
    check_batch_time(x_t, tt, "x_t")
    return _convert(sde, pred, x_t, tt, source, target)


def _convert(sde: SDE, pred: Tensor, x_t: Tensor, t: Tensor, source: str, target: str) -> Tensor:
    """`convert` for checked inputs (a float64 `t`), refusing only `σ(t) = 0` where the conversion divides by σ."""
    if source == target:
        return pred
    alpha64, sigma64 = sde._marginal(t)
    if (source == "x0" or target == "score") and bool((sigma64 == 0).any()):
        t_bad = float(t.expand(sigma64.shape)[sigma64 == 0][0])
        raise ValueError(f"t must give σ(t) > 0 to convert from {source!r} to {target!r} (it divides by σ); "
                         f"got t = {t_bad!r}, where σ(t) = 0")
    alpha, sigma = expand_like(alpha64, x_t), expand_like(sigma64, x_t)
    return from_eps(eps_from(pred, source, x_t, alpha, sigma), target, x_t, alpha, sigma)


class ScoreModel(nn.Module):
    r"""Turns a network `net(x, t)` predicting ε, `x_0`, v or the score into `score_fn(x, t)`, e.g. `s_θ = -ε_θ/σ(t)`.

    `model(x, t)` returns `s_θ(x, t) = convert(sde, net(x, t), x, t, source=predicts, target="score")`,
    e.g. `-ε_θ(x, t)/σ(t)` for an ε-network. `model.predict(x, t, "x0")` gives any other target
    (the denoiser `x̂_0`, Tweedie's formula for the exact score). The network sees the continuous
    time `t ∈ [0, T]` of shape `(batch,)`.

    Args:
        net: a module called as `net(x, t)` returning a tensor of the shape of x.
        sde: the SDE it was trained under.
        predicts: what `net` outputs: `"eps"` (default), `"x0"`, `"v"` or `"score"`.

    Raises:
        TypeError: if `net` is not callable or `sde` not an `SDE`.
        ValueError: if `predicts` is not one of the four names.

    References:
        - Song, Sohl-Dickstein, Kingma, Kumar, Ermon & Poole 2021, "Score-Based Generative Modeling through
          Stochastic Differential Equations", ICLR, arXiv:2011.13456.
        - Salimans & Ho 2022, "Progressive Distillation for Fast Sampling of Diffusion Models", ICLR, arXiv:2202.00512.
    """

    def __init__(self, net: nn.Module, sde: SDE, predicts: str = "eps") -> None:
        super().__init__()
        check_callable(net, "net", "net(x, t)")
        check_sde(sde)
        self.net = net
        self.sde = sde
        self.predicts = check_choice(predicts, "predicts", PREDICTIONS)

    def extra_repr(self) -> str:
        """The SDE and the prediction kind, shown in the module's `repr`."""
        return f"sde={self.sde!r}, predicts={self.predicts!r}"

    def predict(self, x: Tensor, t: Tensor, target: str = "score") -> Tensor:
        """The network's prediction at `(x, t)` converted to `target`, e.g. `x̂_0 = (x - σ ε_θ)/α` for `"x0"`.

        Args:
            x: noisy inputs of shape `(batch, *dims)`.
            t: times in `[0, T]`, a scalar or of shape `(batch,)`.
            target: `"eps"`, `"x0"`, `"v"` or `"score"` (default).

        Returns:
            The prediction of kind `target`, the shape of `x`.

        Raises:
            TypeError: if `x` is not a floating-point tensor or `t` not real.
            ValueError: if `target` is unknown, `x` has no batch dimension, `t` leaves `[0, T]` or does not
                match the batch, `net` returns another shape, or the conversion divides by `σ(t) = 0`.
        """
        check_choice(target, "target", PREDICTIONS)
        check_tensor(x, "x")
        if x.ndim < 1:
            raise ValueError(f"x must have a batch dimension, shape (batch, *dims); got shape {tuple(x.shape)}")
        tt = check_time(t, self.sde.T)
        check_batch_time(x, tt)
        t_batch = tt.expand(x.shape[0]) if tt.ndim == 0 else tt
        out = check_output(self.net(x, t_batch.to(device=x.device, dtype=x.dtype)), x, "net(x, t)")
        return _convert(self.sde, out, x, tt, self.predicts, target)  # checked above: not twice

    def forward(self, x: Tensor, t: Tensor) -> Tensor:
        """The score `s_θ(x, t) ≈ ∇ₓ log p_t(x)`, e.g. `-ε_θ(x, t)/σ(t)` for an ε-network.

        Args:
            x: noisy inputs of shape `(batch, *dims)`.
            t: times in `[0, T]`, a scalar or of shape `(batch,)`.

        Returns:
            `s_θ(x, t)`, the shape of `x`.

        Raises:
            TypeError: if `x` is not a floating-point tensor or `t` not real.
            ValueError: as for `predict`.
        """
        return self.predict(x, t, "score")
