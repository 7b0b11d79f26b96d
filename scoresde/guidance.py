r"""Guidance as score combinators: every sampler, ``inpaint`` and ``log_likelihood`` work unchanged on them.

One convention for the guidance scale ``w`` everywhere in this package:

    s_w(x, t) = s_u(x, t) + w · (s_c(x, t) - s_u(x, t)),

so **w = 1 is the conditional score and w = 0 the unconditional one**; w > 1 extrapolates past the conditional.
Ho & Salimans (2021) write ``(1 + w') ε_c - w' ε_u``: their ``w'`` is our ``w - 1`` (their w' = 0 is our w = 1).
Classifier guidance uses the same w: ``s + w · ∇ₓ log p_t(y | x)``, and by Bayes' rule for scores,
``∇ₓ log p_t(x | y) = ∇ₓ log p_t(x) + ∇ₓ log p_t(y | x)``, so w = 1 with the exact classifier is the conditional
score again (``GaussianMixture.marginal_log_posterior`` is such a classifier; tests/test_guidance.py checks it).

For w ≠ 0, 1, ``s_w`` is not the score of any diffused distribution in general (the product
``p_t(x) p_t(y | x)^w`` does not diffuse into itself), so guided samples are not samples of ``p(x | y)^w``-like
targets; guidance trades diversity for agreement with the condition.

References:
    - Ho & Salimans 2021, "Classifier-Free Diffusion Guidance", NeurIPS workshop on deep generative models.
    - Dhariwal & Nichol 2021, "Diffusion Models Beat GANs on Image Synthesis", NeurIPS (classifier guidance).
    - Song et al. 2021, "Score-Based Generative Modeling through Stochastic Differential Equations", ICLR
      (conditional sampling with a time-dependent classifier, eq. 14).
    - Kynkäänniemi et al. 2024, "Applying Guidance in a Limited Interval Improves Sample and Distribution Quality
      in Diffusion Models", NeurIPS (the guidance interval).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor

from scoresde._utils import append_dims, check_callable, check_float

__all__ = ["ConditionalScoreFn", "classifier_free", "classifier_guidance"]

ConditionalScoreFn = Callable[[Tensor, Tensor, Tensor], Tensor]
"""A conditional score ``score(x, t, condition)``, condition of shape ``(batch, ...)``."""


def _check_interval(interval: Any) -> tuple[float, float] | None:
    if interval is None:
        return None
    if not isinstance(interval, (tuple, list)) or len(interval) != 2:
        raise TypeError(f"interval must be None or a pair (t_low, t_high); got {interval!r}")
    lo, hi = (check_float(v, "interval", low=0.0) for v in interval)
    if lo > hi:
        raise ValueError(f"interval must have t_low <= t_high; got {tuple(interval)!r}")
    return lo, hi


def _per_sample(condition: Tensor, batch: int, name: str) -> Tensor:
    """``condition`` for a batch: as given when its first dimension is the batch, else broadcast (0-d or 1 row)."""
    if not isinstance(condition, Tensor):
        raise TypeError(f"{name} must be a tensor; got {type(condition).__name__}")
    if condition.ndim == 0:
        return condition.expand(batch)
    if condition.shape[0] == batch:
        return condition
    if condition.shape[0] == 1:
        return condition.expand(batch, *condition.shape[1:])
    raise ValueError(f"{name} must have one row per sample ({batch}) or one row for all; got shape "
                     f"{tuple(condition.shape)}")


def classifier_free(model: ConditionalScoreFn, condition: Tensor, null: Tensor, *, scale: float,
                    interval: tuple[float, float] | None = None) -> Callable[[Tensor, Tensor], Tensor]:
    r"""Classifier-free guidance: ``s_w = s_u + w (s_c - s_u)`` from one conditional model, one batched call.

    Each call evaluates ``model`` once on a batch of 2B, ``(x, x)`` with ``(condition, null)``, and combines the
    halves. With ``interval = (t_low, t_high)`` the guidance acts only for ``t_low ≤ t ≤ t_high``; elsewhere the
    score is the conditional one (w = 1), as Kynkäänniemi et al. 2024 do, and when no sample of the batch is in the
    interval only the conditional half is evaluated (a batch of B).

    Args:
        model: the conditional score ``model(x, t, condition)`` (e.g. ``GaussianMixture.conditional_score_fn``,
            or a conditional network wrapped as a score).
        condition: the condition, one row per sample or one for all (0-d, or a first dimension of 1).
        null: the "no condition" input of the same kind (e.g. the null label the network was trained with).
        scale: w, a finite real number (1 conditional, 0 unconditional; Ho & Salimans' w is ours - 1).
        interval: optional ``(t_low, t_high)`` where the guidance acts.

    Returns:
        ``score_fn(x, t)`` for ``scoresde.sample`` and the other samplers.

    Raises:
        TypeError: ``model`` not callable, ``condition`` / ``null`` not tensors, ``scale`` not a real number,
            ``interval`` not a pair.
        ValueError: ``scale`` not finite, ``interval`` with t_low > t_high or a negative end.

    References:
        - Ho & Salimans 2021, "Classifier-Free Diffusion Guidance", NeurIPS workshop.
        - Kynkäänniemi et al. 2024, "Applying Guidance in a Limited Interval Improves Sample and Distribution
          Quality in Diffusion Models", NeurIPS.
    """
    check_callable(model, "model", "model(x, t, condition)")
    w = check_float(scale, "scale")
    window = _check_interval(interval)
    for name, value in (("condition", condition), ("null", null)):
        if not isinstance(value, Tensor):
            raise TypeError(f"{name} must be a tensor; got {type(value).__name__}")

    def score_fn(x: Tensor, t: Tensor) -> Tensor:
        b = x.shape[0]
        c, u = _per_sample(condition, b, "condition"), _per_sample(null, b, "null")
        tt = t.expand(b) if t.ndim == 0 else t
        scales = torch.full((b,), w, dtype=x.dtype, device=x.device)
        if window is not None:
            inside = (tt >= window[0]) & (tt <= window[1])
            if not bool(inside.any()):
                return model(x, tt, c)
            scales = torch.where(inside.to(x.device), scales, torch.ones_like(scales))
        both = model(torch.cat([x, x]), torch.cat([tt, tt]), torch.cat([c.to(x.device), u.to(x.device)]))
        s_c, s_u = both[:b], both[b:]
        return s_u + append_dims(scales, x.ndim) * (s_c - s_u)

    return score_fn


def classifier_guidance(score_fn: Callable[[Tensor, Tensor], Tensor], log_prob: Callable[[Tensor, Tensor], Tensor],
                        label: Tensor, *, scale: float) -> Callable[[Tensor, Tensor], Tensor]:
    r"""Classifier guidance: ``s_w = s + w ∇ₓ log p_t(y | x)`` with the gradient of a time-dependent classifier.

    ``log_prob(x, t)`` returns ``log p_t(k | x)`` for every class, shape ``(batch, K)`` (a log-softmax); the
    gradient of ``Σ_i log p_t(y_i | x_i)`` by autograd gives every sample's own gradient in one backward pass,
    provided the classifier treats the samples of a batch independently (eval mode: no batch statistics).

    Args:
        score_fn: the unconditional score ``s(x, t)``.
        log_prob: the classifier ``log p_t(k | x)``, differentiable in x.
        label: the wanted class per sample, an integer tensor of shape ``(batch,)`` or 0-d for all.
        scale: w, a finite real number (1 with the exact classifier gives the conditional score).

    Returns:
        ``score_fn(x, t)`` for the samplers.

    Raises:
        TypeError: ``score_fn`` or ``log_prob`` not callable, ``label`` not an integer tensor, ``scale`` not real.
        ValueError: ``scale`` not finite; when called, a label outside the classifier's classes.

    References:
        - Dhariwal & Nichol 2021, "Diffusion Models Beat GANs on Image Synthesis", NeurIPS, Algorithm 1.
        - Song et al. 2021, "Score-Based Generative Modeling through Stochastic Differential Equations", ICLR,
          eq. 14.
    """
    check_callable(score_fn, "score_fn", "score_fn(x, t)")
    check_callable(log_prob, "log_prob", "log_prob(x, t)")
    w = check_float(scale, "scale")
    if not isinstance(label, Tensor) or label.dtype.is_floating_point or label.dtype == torch.bool:
        raise TypeError(f"label must be an integer tensor; got "
                        f"{type(label).__name__ if not isinstance(label, Tensor) else label.dtype}")

    def guided(x: Tensor, t: Tensor) -> Tensor:
        y = _per_sample(label, x.shape[0], "label").to(device=x.device, dtype=torch.long)
        with torch.enable_grad():
            xg = x.detach().requires_grad_(True)
            lp = log_prob(xg, t)
            if lp.ndim != 2 or lp.shape[0] != x.shape[0]:
                raise ValueError(f"log_prob must return shape (batch, K); got {tuple(lp.shape)}")
            if bool(((y < 0) | (y >= lp.shape[1])).any()):
                raise ValueError(f"label values must be in 0..{lp.shape[1] - 1}; got {sorted(set(y.tolist()))}")
            (grad,) = torch.autograd.grad(lp.gather(1, y[:, None]).sum(), xg)
        return score_fn(x, t) + w * grad

    return guided
