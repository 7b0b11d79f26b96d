r"""Denoising score matching in ε form, with its time sampling and weightings.

For data x_0, a time t and noise ε ~ N(0, I), the network sees ``x_t = α(t)·x_0 + σ(t)·ε`` and is trained on

    L(θ) = E_t E_{x_0,ε} [ w(t) · (1/D) ‖ε_θ(x_t, t) - ε‖² ]

(Ho et al. 2020, eq. 14; Vincent 2011). The mean over the D data dimensions makes the loss independent of the image
size; multiply by D/2 for the score-matching term of the likelihood bound. Because ``ε_θ = -σ·s_θ`` and the
conditional score is ``-ε/σ``, the same loss in score form is ``w(t)·σ(t)²·‖s_θ - ∇log p_0t(x_t | x_0)‖²``, and its
minimiser is ``E[ε | x_t] = -σ(t)·∇log p_t(x_t)``.

Weightings w(t):

- ``"simple"``: ``w = 1``, Ho et al.'s L_simple;
- ``"edm"``: ``w = 1 + σ̃²/σ_data²`` with the noise-to-signal ratio σ̃ = σ/α: Karras et al. 2022's
  λ(σ̃) = (σ̃² + σ_data²)/(σ̃ σ_data)² on the x_0-error, written for the ε-error (‖ε̂ - ε‖² = ‖x̂_0 - x_0‖²/σ̃²). It
  makes the expected loss of a good denoiser about equal at every noise level, where the ε-loss (w = 1) gives the
  high noise levels, at which the layout of an image is decided, a small share; with σ_data = 1 and VP it is the
  v-loss ‖v̂ - v‖² (Salimans & Ho 2022);
- ``"likelihood"``: ``w = g(t)²/σ(t)²``, which turns the score-form weight into g(t)², the weighting under which the
  loss bounds the negative log-likelihood (Song, Durkan, Murray & Ermon 2021, Thm. 1).

The likelihood weight is -2 dλ/dt for the half log-SNR λ = log(α/σ), because

    g²/σ² = d log σ²/dt - 2 d log α/dt = d log(σ²/α²)/dt = -2 dλ/dt.

So importance sampling of t with density ``q(t) ∝ g²/σ²`` is sampling λ uniformly on [λ(T), λ(t_min)] and mapping
back by t(λ) — for any SDE — and the weight of each sample becomes the constant ``2 (λ(t_min) - λ(T)) / (T - t_min)``
(Song, Durkan, Murray & Ermon 2021, §4, sample t this way for the VP SDE).

Time sampling: ``t ~ U(t_min, T)`` for continuous time, or an index ``i ~ U{1..N}`` at ``t_i = i·T/N`` for the
discrete chain (an ``sde`` made by ``VPSDE.from_ddpm`` has exactly the chain's ᾱ_i at t_i, so this is Ho et al.'s
Algorithm 1).

Log-normal noise levels (``time_distribution="lognormal"``, Karras et al. 2022's p_train): the noise-to-signal
ratio ``σ̃ = σ(t)/α(t) = e^{-λ}`` (EDM's σ, the noise level of ``x_t/α``) is drawn as ``log σ̃ ~ N(P_mean, P_std²)``
and mapped back to ``t = t(λ)``, clamped to [t_min, T]. This changes the objective, not only its estimator: the
loss becomes ``E_{σ̃ ~ LogNormal} [w(t)·(1/D)‖ε̂ - ε‖²]``, which spends the training on the middle noise levels
where the content of an image is decided instead of on the many t near T that uniform t draws under VP (for β
0.1 → 20, half of the uniform draws have σ̃ > 3.4, where the ideal denoiser hardly depends on the image).

References:
    - Ho, Jain & Abbeel 2020, "Denoising Diffusion Probabilistic Models", NeurIPS (eq. 14, Algorithm 1).
    - Vincent 2011, "A Connection Between Score Matching and Denoising Autoencoders", Neural Computation 23.
    - Song, Durkan, Murray & Ermon 2021, "Maximum Likelihood Training of Score-Based Diffusion Models", NeurIPS
      (Theorem 1: the likelihood weighting; importance sampling of t).
    - Karras, Aittala, Aila & Laine 2022, "Elucidating the Design Space of Diffusion-Based Generative Models",
      NeurIPS (§5, log-normal p_train of the noise level).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, get_args

import torch
from torch import Tensor

from scoresde._utils import (
    FLOAT64,
    check_bool,
    check_callable,
    check_choice,
    check_float,
    check_generator,
    check_int,
    check_output,
    check_positive_float,
    check_sde,
    check_t_min,
    check_tensor,
    check_time,
    expand_like,
)
from scoresde.parameterization import PREDICTIONS, eps_from
from scoresde.sde import SDE

__all__ = ["DSMLoss", "Weighting", "dsm_loss", "likelihood_weight"]

Weighting = Literal["simple", "likelihood", "edm"]
WEIGHTINGS: tuple[str, ...] = get_args(Weighting)
TimeDistribution = Literal["uniform", "lognormal"]
TIME_DISTRIBUTIONS: tuple[str, ...] = get_args(TimeDistribution)
REDUCTIONS = ("mean", "none")


def likelihood_weight(sde: SDE, t: Any) -> Tensor:
    r"""The likelihood weighting of the ε loss, ``w(t) = g(t)²/σ(t)² = -2 dλ/dt``.

    λ = log(α/σ) is the half log-SNR. With this weight the score-form weight σ²·w becomes g², under which the
    denoising score-matching loss bounds the negative log-likelihood. For VP it is ``β(t)/(1 - ᾱ(t))``.

    Args:
        sde: the forward SDE, giving g(t)² and σ(t).
        t: times in (0, T]: a number, a sequence or a tensor of shape `()` or `(batch,)`.

    Returns:
        float64 tensor of the shape of ``t``.

    Raises:
        TypeError: ``sde`` is not an ``SDE`` or ``t`` not real.
        ValueError: ``t`` has more than one dimension or a time outside (0, T] (σ(0) = 0 under VP would divide by
            zero).

    References:
        Song, Durkan, Murray & Ermon 2021, "Maximum Likelihood Training of Score-Based Diffusion Models",
        NeurIPS, Theorem 1.
    """
    check_sde(sde)
    tt = check_time(t, sde.T)
    if bool((tt == 0).any()):
        raise ValueError("t must lie in (0, T]: the weight g²/σ² divides by σ(0)² = 0; got t = 0")
    return _likelihood_weight(sde, tt)


def _likelihood_weight(sde: SDE, t: Tensor) -> Tensor:
    """`likelihood_weight` for a checked float64 `t` in (0, T] (the training step's path: nothing waits)."""
    sigma = sde._marginal(t)[1]
    return sde._g2(t) / (sigma * sigma)


@dataclass(frozen=True)
class DSMLoss:
    r"""The denoising score-matching loss ``L(θ) = E_t E_{x_0,ε} [w(t)·(1/D)‖ε_θ(x_t, t) - ε‖²]``, configured.

    ``x_t = α(t)·x_0 + σ(t)·ε`` with one t and one ε per example. Call it as
    ``loss(net, sde, x0, generator=None, reduction="mean", shard=(0, 1))`` (``__call__``: the loss on a batch) or
    draw the times alone with ``sample_times``. The options are checked at construction.

    Attributes:
        weighting: "simple" (w = 1), "likelihood" (w = g²/σ²; Song, Durkan, Murray & Ermon 2021) or "edm"
            (w = 1 + σ̃²/σ_data², σ̃ = σ/α; Karras et al. 2022).
        importance_sampling: draw t with density ∝ g²/σ² (uniform in λ) and reweight, so that both weightings
            keep their expectation; with "likelihood" the weight becomes a constant. Continuous time only.
        t_min: the smallest time drawn, 0 < t_min < T (Song et al. use 1e-5 for VP and sub-VP).
        steps: None for continuous time t ~ U(t_min, T); an integer N for the discrete chain, t = iT/N with
            i ~ U{1..N} (t_min is then unused).
        predicts: what the network outputs, "eps" (default), "x0", "v" or "score"; it is turned into ε by
            ``eps_from`` before the loss, so every parameterization is trained on the same ε objective.
        time_distribution: "uniform" (default: t ~ U(t_min, T), or the chain's steps) or "lognormal":
            ``log σ̃ ~ N(lognormal_mean, lognormal_std²)`` for the noise-to-signal ratio σ̃ = σ/α, mapped to t
            (Karras et al. 2022's p_train). With "lognormal" the sampling density is part of the objective and
            is not divided out; it excludes ``importance_sampling`` and ``steps``.
        lognormal_mean: P_mean, the mean of log σ̃ (EDM: -1.2 for data in [-1, 1]).
        lognormal_std: P_std, the standard deviation of log σ̃ (EDM: 1.2), > 0.
        sigma_data: σ_data of the "edm" weighting, the data's standard deviation (EDM: 0.5), > 0.

    Raises:
        ValueError: an unknown ``weighting``, ``predicts`` or ``time_distribution``, ``t_min`` <= 0, ``steps`` < 1,
            ``lognormal_std`` <= 0, ``importance_sampling`` together with ``steps``, or ``"lognormal"`` together
            with either.
        TypeError: ``importance_sampling`` is not a bool, ``t_min`` not a number or ``steps`` not an int.

    Example:
        ```python
        loss_fn = DSMLoss(weighting="likelihood", importance_sampling=True)
        loss = loss_fn(net, sde, x0, generator=g)   # a scalar; reduction="none" gives one value per example
        ```

    References:
        - Vincent 2011, "A Connection Between Score Matching and Denoising Autoencoders", Neural Computation 23.
        - Ho, Jain & Abbeel 2020, "Denoising Diffusion Probabilistic Models", NeurIPS (eq. 14, Algorithm 1).
        - Song, Durkan, Murray & Ermon 2021, "Maximum Likelihood Training of Score-Based Diffusion Models",
          NeurIPS (likelihood weighting, importance sampling).
        - Karras, Aittala, Aila & Laine 2022, "Elucidating the Design Space of Diffusion-Based Generative
          Models", NeurIPS (log-normal noise levels).
    """

    weighting: str = "simple"
    importance_sampling: bool = False
    t_min: float = 1e-5
    steps: int | None = None
    predicts: str = "eps"
    time_distribution: str = "uniform"
    lognormal_mean: float = -1.2
    lognormal_std: float = 1.2
    sigma_data: float = 0.5

    def __post_init__(self) -> None:
        check_choice(self.weighting, "weighting", WEIGHTINGS)
        check_choice(self.predicts, "predicts", PREDICTIONS)
        check_bool(self.importance_sampling, "importance_sampling")
        check_positive_float(self.t_min, "t_min")
        check_choice(self.time_distribution, "time_distribution", TIME_DISTRIBUTIONS)
        check_float(self.lognormal_mean, "lognormal_mean")
        check_positive_float(self.lognormal_std, "lognormal_std")
        check_positive_float(self.sigma_data, "sigma_data")
        if self.time_distribution == "lognormal" and (self.importance_sampling or self.steps is not None):
            raise ValueError("time_distribution='lognormal' draws its own continuous times; it cannot be combined "
                             f"with importance_sampling={self.importance_sampling} or steps={self.steps}")
        if self.steps is not None:
            check_int(self.steps, "steps", minimum=1)
            if self.importance_sampling:
                raise ValueError("importance_sampling samples continuous time; it cannot be combined with "
                                 f"steps={self.steps} (the discrete chain draws i ~ U{{1..N}}); pass steps=None")

    def sample_times(self, sde: SDE, n: int, *, generator: torch.Generator | None = None,
                     device: torch.device | str | None = None) -> tuple[Tensor, Tensor]:
        r"""Draw n times and the weight of each, ``(t, w(t) / (q(t)·(T - t_min)))``.

        q is the sampling density of t: uniform on [t_min, T] (the factor is then w(t) itself), uniform in
        λ with ``importance_sampling`` (``q ∝ g²/σ²``; the likelihood weight then becomes the constant
        ``2 (λ(t_min) - λ(T)) / (T - t_min)``), or ``t = i·T/N``, ``i ~ U{1..N}`` with ``steps = N``. With
        ``time_distribution="lognormal"`` t comes from ``log σ̃ ~ N(P_mean, P_std²)`` and the weight is w(t) (the
        density is part of the objective).

        Args:
            sde: the forward SDE (its T, and λ(t) for importance sampling).
            n: the number of times.
            generator: the source of randomness.
            device: where to draw (default: the generator's device).

        Returns:
            ``(t, weight)``, both float64 of shape ``(n,)``.

        Raises:
            TypeError: ``sde`` is not an ``SDE``, ``n`` not an int or ``generator`` not a ``torch.Generator``.
            ValueError: ``n < 1`` or ``t_min`` is not below ``sde.T``.
        """
        check_sde(sde)
        check_int(n, "n", minimum=1)
        check_generator(generator)
        check_t_min(self.t_min, sde.T)
        if device is None and generator is not None:
            device = generator.device
        u = torch.rand(n, generator=generator, dtype=FLOAT64, device=device)
        if self.steps is not None:
            i = torch.floor(u * self.steps).clamp(max=self.steps - 1) + 1
            t = i * (sde.T / self.steps)
        elif self.time_distribution == "lognormal":
            z = torch.erfinv(2 * u.clamp(1e-12, 1 - 1e-12) - 1) * 2**0.5  # N(0, 1) from the same uniform draw
            lam = -(self.lognormal_mean + self.lognormal_std * z)  # λ = -log σ̃
            t = sde._t_of_lambda(lam).clamp(self.t_min, sde.T)
        elif self.importance_sampling:
            lam_hi, lam_lo = sde._lambda(torch.tensor([self.t_min, sde.T], dtype=FLOAT64, device=device))
            t = sde._t_of_lambda(lam_hi + u * (lam_lo - lam_hi)).clamp(self.t_min, sde.T)
            w_lik = _likelihood_weight(sde, t)  # = -2 dλ/dt, so q(t) = w_lik / (2 (λ_hi - λ_lo))
            inv_q = 2.0 * (lam_hi - lam_lo) / ((sde.T - self.t_min) * w_lik)
            return t, inv_q * self._weight(sde, t)
        else:
            t = self.t_min + u * (sde.T - self.t_min)
        return t, self._weight(sde, t)

    def _weight(self, sde: SDE, t: Tensor) -> Tensor:
        """w(t) of the weighting, float64 of the shape of t."""
        if self.weighting == "simple":
            return torch.ones_like(t)
        if self.weighting == "likelihood":
            return _likelihood_weight(sde, t)
        alpha, sigma = sde._marginal(t)
        return 1.0 + (sigma / (alpha * self.sigma_data)) ** 2  # edm

    def __call__(self, net: Any, sde: SDE, x0: Tensor, *, generator: torch.Generator | None = None,
                 reduction: str = "mean", shard: tuple[int, int] = (0, 1)) -> Tensor:
        r"""The loss ``w(t)·(1/D)‖ε_θ(x_t, t) - ε‖²`` on a batch x_0 of shape ``(batch, *dims)``, one t and ε each.

        Args:
            net: called as ``net(x_t, t)`` with t of shape (batch,) in x_0's dtype.
            sde: the forward SDE giving α(t), σ(t).
            x0: a batch of data.
            generator: the source of t and ε.
            reduction: "mean" (a scalar) or "none" (the weighted loss of each example, shape (batch,)).
            shard: (r, K) when x0 is slice r of a global batch of K·batch split over K processes: t and ε are
                drawn for the whole global batch and slice r is kept, so K processes with equally seeded
                generators draw what one process would for the joined batch.

        Returns:
            A scalar (``reduction="mean"``) or the weighted loss of each example, shape ``(batch,)``.

        Raises:
            TypeError: ``net`` is not callable, ``sde`` not an ``SDE``, ``x0`` not a floating-point tensor, or the
                network returns no tensor.
            ValueError: ``x0`` has fewer than 2 dimensions, an unknown ``reduction``, a bad ``shard``, or a
                network output of another shape than ``x0``.
        """
        check_callable(net, "net", "net(x_t, t)")
        check_sde(sde)
        check_tensor(x0, "x0")
        check_choice(reduction, "reduction", REDUCTIONS)
        if x0.ndim < 2:
            raise ValueError(f"x0 must be a batch of shape (batch, *dims); got shape {tuple(x0.shape)}")
        rank, world = shard
        if not 0 <= rank < world:
            raise ValueError(f"shard must be (rank, world) with 0 <= rank < world; got {shard!r}")
        b = x0.shape[0]
        rows = slice(rank * b, (rank + 1) * b)
        t, weight = (v[rows] for v in self.sample_times(sde, world * b, generator=generator, device=x0.device))
        noise = torch.randn((world * b, *x0.shape[1:]), generator=generator, dtype=x0.dtype, device=x0.device)[rows]
        alpha, sigma = (expand_like(c, x0) for c in sde._marginal(t))
        x_t = alpha * x0 + sigma * noise
        pred = check_output(net(x_t, t.to(x0.dtype)), x0, "net(x_t, t)", x_name="x0")
        eps_hat = eps_from(pred.to(x0.dtype), self.predicts, x_t, alpha, sigma)
        per_example = (eps_hat - noise).pow(2).flatten(1).mean(1) * weight.to(x0.dtype)
        return per_example.mean() if reduction == "mean" else per_example


def dsm_loss(net: Any, sde: SDE, x0: Tensor, *, generator: torch.Generator | None = None,
             reduction: str = "mean", **config: Any) -> Tensor:
    r"""The ε-MSE ``L(θ) = E_t E_{x_0,ε} [w(t)·(1/D)‖ε_θ(x_t, t) - ε‖²]`` on one batch, in one call.

    The same as ``DSMLoss(**config)(net, sde, x0, generator=generator, reduction=reduction)``.

    Args:
        net: called as ``net(x_t, t)`` with t of shape (batch,) in x_0's dtype.
        sde: the forward SDE giving α(t), σ(t).
        x0: a batch of data, shape ``(batch, *dims)``.
        generator: the source of t and ε.
        reduction: "mean" (a scalar) or "none" (the weighted loss of each example, shape (batch,)).
        **config: the options of ``DSMLoss`` (weighting, importance_sampling, t_min, steps, predicts).

    Returns:
        The loss, a scalar or one value per example.

    Raises:
        TypeError: an unknown keyword in ``config``, or a bad ``sde`` or ``x0`` (see ``DSMLoss``).
        ValueError: a bad option or input (see ``DSMLoss``).

    References:
        Ho, Jain & Abbeel 2020, "Denoising Diffusion Probabilistic Models", NeurIPS, eq. 14; Vincent 2011.
    """
    return DSMLoss(**config)(net, sde, x0, generator=generator, reduction=reduction)
