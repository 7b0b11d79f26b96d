r"""An exact oracle: a Gaussian mixture and its marginals under any linear-Gaussian SDE.

If `x_0 ~ Σ_k w_k N(μ_k, Σ_k)` and `x_t = α(t) x_0 + σ(t) ε`, then exactly

    p_t(x) = Σ_k w_k N(x; α μ_k, C_k),   C_k = α² Σ_k + σ² I,

so its density, score `∇ log p_t` and noise `ε = -σ ∇ log p_t` are known in closed form at
every t. Later modules (samplers, likelihood, heat) are tested and benchmarked against it.

Numerics: all in float64. Each `Σ_k = U_k diag(d_k) U_kᵀ` is diagonalised once; then
`C_k = U_k diag(α² d_k + σ²) U_kᵀ` for every (α, σ), so the inverse and log-determinant at
any t cost no further factorisation, and `log p_t` is a log-sum-exp over components.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import Tensor

from scoresde._utils import (
    FLOAT64,
    as_float64,
    check_batch_time,
    check_finite,
    check_generator,
    check_int,
    check_sde,
    check_tensor,
    check_time,
)
from scoresde.sde import SDE

__all__ = ["GaussianMixture", "ring_mixture"]


class GaussianMixture:
    r"""A Gaussian mixture `p(x) = Σ_k w_k N(x; μ_k, Σ_k)` in d dimensions, with exact marginals under any SDE.

    Under `x_t = α(t) x_0 + σ(t) ε` the marginal is again a mixture,

        p_t(x) = Σ_k w_k N(x; α μ_k, C_k),    C_k = α² Σ_k + σ² I,

    so `log p_t`, the score `∇ log p_t` and the ideal noise `-σ ∇ log p_t` are exact at every t: the oracle
    that samplers and likelihoods are tested against.

    A sample x may have shape `(batch, d)` or `(batch, *dims)` with `prod(dims) = d` (images);
    results come back in x's dtype, computed in float64.

    Args:
        weights: shape `(K,)`, positive, summing to 1 (to 1e-6; then renormalised exactly).
        means: shape `(K, d)`.
        covs: shape `(K, d, d)`, each symmetric positive definite.

    Attributes:
        weights: `w_k`, float64 `(K,)`.
        means: `μ_k`, float64 `(K, d)`.
        covs: `Σ_k`, float64 `(K, d, d)`.

    Raises:
        TypeError: if an argument is not numeric.
        ValueError: if a value is not finite, the shapes disagree, a weight is not positive, the weights do not
            sum to 1, or a covariance is not symmetric positive definite (naming the component).

    References:
        Song, Sohl-Dickstein, Kingma, Kumar, Ermon & Poole 2021, "Score-Based Generative Modeling through
        Stochastic Differential Equations", ICLR, arXiv:2011.13456 (the marginals `p_{0t}`, App. B).
    """

    def __init__(self, weights: Any, means: Any, covs: Any) -> None:
        w, mu, cov = as_float64(weights, "weights"), as_float64(means, "means"), as_float64(covs, "covs")
        for value, name in ((w, "weights"), (mu, "means"), (cov, "covs")):
            check_finite(value, name)
        if w.ndim != 1 or w.numel() == 0:
            raise ValueError(f"weights must have shape (K,) with K >= 1; got shape {tuple(w.shape)}")
        K = w.numel()
        if mu.ndim != 2 or mu.shape[0] != K:
            raise ValueError(f"means must have shape (K, d) = ({K}, d); got shape {tuple(mu.shape)}")
        d = mu.shape[1]
        if cov.shape != (K, d, d):
            raise ValueError(f"covs must have shape (K, d, d) = ({K}, {d}, {d}); got shape {tuple(cov.shape)}")
        if (w <= 0).any():
            raise ValueError(f"weights must be > 0; got {w.tolist()}")
        if abs(float(w.sum()) - 1.0) > 1e-6:
            raise ValueError(f"weights must sum to 1 (to within 1e-6); got sum {float(w.sum())!r}")
        asym = (cov - cov.transpose(1, 2)).abs().amax(dim=(1, 2))
        scale = cov.abs().amax(dim=(1, 2))
        bad = torch.nonzero(asym > 1e-10 * scale).flatten()
        if bad.numel():
            k = int(bad[0])
            raise ValueError(f"covs[{k}] must be symmetric; max |Σ - Σᵀ| = {float(asym[k]):.3g}")
        chol, info = torch.linalg.cholesky_ex(cov)
        if (info != 0).any():
            k = int(torch.nonzero(info).flatten()[0])
            raise ValueError(f"covs[{k}] must be positive definite; its smallest eigenvalue is "
                             f"{float(torch.linalg.eigvalsh(cov[k])[0]):.3g}")
        self.weights = w / w.sum()
        self.means = mu
        self.covs = cov
        self._chol = chol
        self._evals, self._evecs = torch.linalg.eigh(cov)
        if (self._evals <= 0).any():
            raise ValueError("covs must be positive definite; an eigenvalue is <= 0 in float64")
        self._cache: dict[torch.device, tuple[Tensor, Tensor, Tensor, Tensor]] = {}

    @property
    def dim(self) -> int:
        """The dimension d of the points, `means.shape[1]`."""
        return int(self.means.shape[1])

    @property
    def n_components(self) -> int:
        """The number of components K, `weights.numel()`."""
        return int(self.weights.numel())

    def __repr__(self) -> str:
        return f"GaussianMixture(K={self.n_components}, d={self.dim})"

    @property
    def mean(self) -> Tensor:
        r"""The mixture's mean `E[x] = Σ_k w_k μ_k`, float64 of shape `(d,)`."""
        return self.weights @ self.means

    @property
    def covariance(self) -> Tensor:
        r"""The mixture's covariance `Cov[x] = Σ_k w_k (Σ_k + μ_k μ_kᵀ) - E[x] E[x]ᵀ`, float64 of shape `(d, d)`."""
        second = torch.einsum("k,kij->ij", self.weights, self.covs + self.means[:, :, None] * self.means[:, None, :])
        m = self.mean
        return second - torch.outer(m, m)

    # --- sampling ---
    def sample(self, n: int, *, generator: torch.Generator | None = None) -> Tensor:
        r"""n exact draws `x = μ_k + L_k z`, `k ~ Categorical(w)`, `z ~ N(0, I)`, `L_k L_kᵀ = Σ_k` (Cholesky).

        Args:
            n: the number of draws, ≥ 1.
            generator: the source of randomness; the draws are made on its device (the CPU without one).

        Returns:
            The samples, float64 of shape `(n, d)`.

        Raises:
            TypeError: if `n` is not an int or `generator` not a `torch.Generator`.
            ValueError: if `n < 1`.
        """
        check_int(n, "n", minimum=1)
        check_generator(generator)
        dev = generator.device if generator is not None else torch.device("cpu")
        k = torch.multinomial(self.weights.to(dev), n, replacement=True, generator=generator)
        z = torch.randn(n, self.dim, dtype=FLOAT64, device=dev, generator=generator)
        return self.means.to(dev)[k] + torch.einsum("nij,nj->ni", self._chol.to(dev)[k], z)

    def marginal_mixture(self, sde: SDE, t: float) -> GaussianMixture:
        r"""The mixture `p_t` at one time t: weights `w_k`, means `α(t) μ_k`, covariances `α(t)² Σ_k + σ(t)² I`.

        Args:
            sde: the SDE whose marginal coefficients `(α(t), σ(t))` are used.
            t: one time in `[0, T]`.

        Returns:
            The [`GaussianMixture`][scoresde.analytic.GaussianMixture] `p_t`.

        Raises:
            TypeError: if `sde` is not an `SDE` or `t` not real.
            ValueError: if `t` is not a single time in `[0, T]`.
        """
        check_sde(sde)
        alpha, sigma = self._coefficients(sde, t, None)
        if alpha.numel() != 1:
            raise ValueError(f"t must be a scalar (one time) in marginal_mixture; got shape {tuple(alpha.shape)}")
        a, s = float(alpha), float(sigma)
        eye = torch.eye(self.dim, dtype=FLOAT64)
        return GaussianMixture(self.weights, a * self.means, a * a * self.covs + s * s * eye)

    # --- densities and scores ---
    def log_prob(self, x: Tensor) -> Tensor:
        """The log-density `log p(x) = log Σ_k w_k N(x; μ_k, Σ_k)` of the mixture itself (a log-sum-exp).

        Args:
            x: points of shape `(batch, d)` or `(batch, *dims)` with `prod(dims) = d`, floating-point.

        Returns:
            `log p(x)` per sample, shape `(batch,)`, in x's dtype.

        Raises:
            TypeError: if `x` is not a floating-point tensor.
            ValueError: if `x` does not hold d values per sample.
        """
        return self._evaluate(x, None, None)[0]

    def score(self, x: Tensor) -> Tensor:
        """The score `∇ₓ log p(x) = -Σ_k r_k(x) Σ_k⁻¹ (x - μ_k)` of the mixture itself, `r_k` the responsibilities.

        Args:
            x: points of shape `(batch, d)` or `(batch, *dims)` with `prod(dims) = d`, floating-point.

        Returns:
            `∇ₓ log p(x)`, the shape and dtype of x.

        Raises:
            TypeError: if `x` is not a floating-point tensor.
            ValueError: if `x` does not hold d values per sample.
        """
        return self._evaluate(x, None, None)[1]

    def marginal_log_prob(self, sde: SDE, x: Tensor, t: Any) -> Tensor:
        r"""The marginal log-density `log p_t(x) = log Σ_k w_k N(x; α μ_k, α² Σ_k + σ² I)` under `sde`.

        Args:
            sde: the SDE whose marginal coefficients `(α(t), σ(t))` are used.
            x: points of shape `(batch, d)` or `(batch, *dims)` with `prod(dims) = d`, floating-point.
            t: times in `[0, T]`, a scalar or of shape `(batch,)`.

        Returns:
            `log p_t(x)` per sample, shape `(batch,)`, in x's dtype.

        Raises:
            TypeError: if `x` is not a floating-point tensor, `sde` not an `SDE`, or `t` not real.
            ValueError: if `x` does not hold d values per sample, or `t` leaves `[0, T]` or does not match the batch.
        """
        check_sde(sde)
        return self._evaluate(x, t, sde)[0]

    def marginal_score(self, sde: SDE, x: Tensor, t: Any) -> Tensor:
        r"""The exact marginal score `∇ₓ log p_t(x) = -Σ_k r_k(x) C_k⁻¹ (x - α μ_k)`, `C_k = α² Σ_k + σ² I`.

        `r_k(x)` are the posterior component weights (responsibilities) under `p_t`.

        Args:
            sde: the SDE whose marginal coefficients `(α(t), σ(t))` are used.
            x: points of shape `(batch, d)` or `(batch, *dims)` with `prod(dims) = d`, floating-point.
            t: times in `[0, T]`, a scalar or of shape `(batch,)`.

        Returns:
            `∇ₓ log p_t(x)`, the shape and dtype of x.

        Raises:
            TypeError: if `x` is not a floating-point tensor, `sde` not an `SDE`, or `t` not real.
            ValueError: if `x` does not hold d values per sample, or `t` leaves `[0, T]` or does not match the batch.
        """
        check_sde(sde)
        return self._evaluate(x, t, sde)[1]

    def marginal_eps(self, sde: SDE, x: Tensor, t: Any) -> Tensor:
        r"""The ideal noise prediction `E[ε | x_t = x] = -σ(t) ∇ₓ log p_t(x)` (needs `σ(t) > 0`).

        Args:
            sde: the SDE whose marginal coefficients `(α(t), σ(t))` are used.
            x: points of shape `(batch, d)` or `(batch, *dims)` with `prod(dims) = d`, floating-point.
            t: times in `[0, T]`, a scalar or of shape `(batch,)`.

        Returns:
            `E[ε | x_t = x]`, the shape and dtype of x.

        Raises:
            TypeError: if `x` is not a floating-point tensor, `sde` not an `SDE`, or `t` not real.
            ValueError: if `x` does not hold d values per sample, or `t` leaves `[0, T]` or does not match the batch,
                or `σ(t) = 0` (t = 0 under VP and sub-VP).

        References:
            Vincent 2011, "A Connection Between Score Matching and Denoising Autoencoders", Neural Computation 23(7).
        """
        check_sde(sde)
        _, score, sigma = self._evaluate(x, t, sde)
        zero = sigma <= 0
        if zero.any():
            t_bad = float(check_time(t, sde.T).expand(sigma.shape)[zero.cpu()][0])
            raise ValueError(f"t must give σ(t) > 0 in marginal_eps (t > 0 under VP / sub-VP); "
                             f"got t = {t_bad!r}, where σ(t) = 0")
        return (-sigma.reshape((-1,) + (1,) * (x.ndim - 1)) * score.to(FLOAT64)).to(x.dtype)

    def score_fn(self, sde: SDE) -> Callable[[Tensor, Tensor], Tensor]:
        """The exact marginal score as a function `score_fn(x, t) = ∇ₓ log p_t(x)` for samplers and `SDE.reverse`.

        Args:
            sde: the SDE whose marginals `p_t` the score is of.

        Returns:
            `score_fn(x, t)`, calling `marginal_score(sde, x, t)`.

        Raises:
            TypeError: if `sde` is not an `SDE`.
        """
        check_sde(sde)

        def score_fn(x: Tensor, t: Tensor) -> Tensor:
            return self.marginal_score(sde, x, t)

        return score_fn

    # --- conditioning on the component: exact class posteriors and conditional scores ---
    def subset(self, components: int | Sequence[int]) -> GaussianMixture:
        r"""The mixture conditioned on its component being one of `components`: with `S` that set,

            p(x | k ∈ S) = Σ_{k∈S} w_k N(x; μ_k, Σ_k) / Σ_{k∈S} w_k.

        Its marginal score under an SDE is the exact conditional score `∇ₓ log p_t(x | k ∈ S)`; for one component
        it is that component's marginal score `-C_k⁻¹ (x - α μ_k)`.

        Args:
            components: one component index, or a non-empty sequence of distinct indices, in `0..K-1`.

        Returns:
            The [`GaussianMixture`][scoresde.analytic.GaussianMixture] of those components, weights renormalised.

        Raises:
            TypeError: if `components` is not an int or a sequence of ints (a bool is not).
            ValueError: if an index is outside `0..K-1`, repeated, or none is given.

        References:
            Dhariwal & Nichol 2021, "Diffusion Models Beat GANs on Image Synthesis", NeurIPS (class-conditional
            scores `∇ log p_t(x | y)`).
        """
        index = self._component_index(components)
        w = self.weights[index]
        return GaussianMixture(w / w.sum(), self.means[index], self.covs[index])

    def marginal_log_posterior(self, sde: SDE, x: Tensor, t: Any) -> Tensor:
        r"""The exact time-dependent classifier `log p_t(k | x) = log w_k + log N(x; α μ_k, C_k) - log p_t(x)`.

        Its gradient is the difference of scores (Bayes' rule for scores):
        `∇ₓ log p_t(k | x) = ∇ₓ log p_t(x | k) - ∇ₓ log p_t(x)`, so classifier guidance with this classifier at
        scale 1 gives the conditional score exactly. Differentiable (autograd) in `x`.

        Args:
            sde: the SDE whose marginal coefficients `(α(t), σ(t))` are used.
            x: points of shape `(batch, d)` or `(batch, *dims)` with `prod(dims) = d`, floating-point.
            t: times in `[0, T]`, a scalar or of shape `(batch,)`.

        Returns:
            `log p_t(k | x)`, shape `(batch, K)`, in x's dtype (each row's exponentials sum to 1).

        Raises:
            TypeError: if `x` is not a floating-point tensor, `sde` not an `SDE`, or `t` not real.
            ValueError: if `x` does not hold d values per sample, or `t` leaves `[0, T]` or does not match the batch.

        References:
            Song et al. 2021, "Score-Based Generative Modeling through Stochastic Differential Equations", ICLR
            (controllable generation, eq. 14: `∇ log p_t(x | y) = ∇ log p_t(x) + ∇ log p_t(y | x)`).
        """
        check_sde(sde)
        log_joint, _ = self._per_component(x, t, sde)
        return torch.log_softmax(log_joint, dim=1).to(x.dtype)

    def conditional_score_fn(self, sde: SDE) -> Callable[[Tensor, Tensor, Tensor], Tensor]:
        r"""The exact conditional score as a function `score(x, t, label)` of a batch of labels.

        For `label[i] = k ≥ 0` it is `∇ₓ log p_t(x_i | k)` (component k's marginal score); for `label[i] = -1`
        (the "null" condition of classifier-free guidance) it is the unconditional `∇ₓ log p_t(x_i)`. So it is
        the ideal conditional network that classifier-free guidance drops the condition of.

        Args:
            sde: the SDE whose marginals are used.

        Returns:
            `score(x, t, label)`, label an integer tensor of shape `(batch,)` with values in `-1..K-1`.

        Raises:
            TypeError: if `sde` is not an `SDE` (when called: a label tensor that is not of an integer dtype).
            ValueError: when called, a label outside `-1..K-1` or a label batch that does not match x.

        References:
            Ho & Salimans 2021, "Classifier-Free Diffusion Guidance", NeurIPS workshop (one network for the
            conditional and, with a null label, the unconditional score).
        """
        check_sde(sde)

        def score(x: Tensor, t: Tensor, label: Tensor) -> Tensor:
            labels = self._check_labels(label, x)
            log_joint, comp = self._per_component(x, t, sde)
            uncond = torch.einsum("nk,nkd->nd", torch.softmax(log_joint, dim=1), comp)
            picked = comp[torch.arange(comp.shape[0], device=comp.device), labels.clamp_min(0).to(comp.device)]
            out = torch.where((labels < 0).to(comp.device)[:, None], uncond, picked)
            return out.reshape(x.shape).to(x.dtype)

        return score

    def _component_index(self, components: Any) -> Tensor:
        items = [components] if isinstance(components, int) and not isinstance(components, bool) else components
        if isinstance(items, (str, bytes, bool)) or not isinstance(items, Sequence):
            raise TypeError(f"components must be an int index or a sequence of them; got {type(components).__name__} "
                            f"{components!r}")
        if len(items) == 0:
            raise ValueError(f"components must hold at least one index in 0..{self.n_components - 1}; got "
                             f"{components!r}")
        index = [check_int(k, "components", minimum=0, maximum=self.n_components - 1) for k in items]
        if len(set(index)) != len(index):
            raise ValueError(f"components must be distinct; got {list(items)!r}")
        return torch.tensor(index, dtype=torch.long)

    def _check_labels(self, label: Any, x: Tensor) -> Tensor:
        if not isinstance(label, Tensor) or label.dtype.is_floating_point or label.dtype == torch.bool:
            raise TypeError(f"label must be an integer tensor of shape (batch,); got "
                            f"{type(label).__name__ if not isinstance(label, Tensor) else label.dtype}")
        if label.shape != (x.shape[0],):
            raise ValueError(f"label must have shape (batch,) = ({x.shape[0]},); got {tuple(label.shape)}")
        if bool(((label < -1) | (label >= self.n_components)).any()):
            raise ValueError(f"label values must be in -1..{self.n_components - 1} (-1: unconditional); got "
                             f"{sorted(set(label.tolist()))}")
        return label.to(torch.long)

    def _per_component(self, x: Tensor, t: Any, sde: SDE) -> tuple[Tensor, Tensor]:
        """(log w_k + log N_k(x), each component's marginal score): shapes (n, K) and (n, K, d), float64."""
        log_joint, z, var, evecs, _ = self._components(x, t, sde)
        return log_joint, torch.einsum("nke,kde->nkd", -z / var, evecs)

    # --- the computation ---
    def _coefficients(self, sde: SDE, t: Any, x: Tensor | None) -> tuple[Tensor, Tensor]:
        """(α(t), σ(t)) for a checked `sde` and an unchecked `t` (checked here, with its batch against `x`)."""
        tt = check_time(t, sde.T)
        if x is not None:
            check_batch_time(x, tt)
        return sde._marginal(tt)

    def _flatten(self, x: Tensor) -> Tensor:
        check_tensor(x, "x")
        if x.ndim < 2 or math.prod(x.shape[1:]) != self.dim:
            raise ValueError(f"x must have shape (batch, d) or (batch, *dims) with d = {self.dim} values per "
                             f"sample; got shape {tuple(x.shape)}")
        return x.reshape(x.shape[0], self.dim).to(FLOAT64)

    def _params(self, device: torch.device) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        """(log w, μ, eigenvalues, eigenvectors) on ``device``, moved once and kept."""
        if device not in self._cache:
            self._cache[device] = tuple(  # type: ignore[assignment]
                v.to(device) for v in (torch.log(self.weights), self.means, self._evals, self._evecs)
            )
        return self._cache[device]

    def _components(self, x: Tensor, t: Any, sde: SDE | None) -> tuple[Tensor, Tensor, Tensor, Tensor, Tensor]:
        """(log w_k + log N_k(x), residuals z in each eigenbasis, variances, eigenvectors, σ) with (α, σ) = (1, 0)
        when ``sde`` is None; shapes (n, K), (n, K, d), (n, K, d), (K, d, d), (n,)."""
        x64 = self._flatten(x)
        n, dev = x64.shape[0], x64.device
        log_w, means, evals, evecs = self._params(dev)
        if sde is None:
            alpha, sigma = torch.ones(n, dtype=FLOAT64, device=dev), torch.zeros(n, dtype=FLOAT64, device=dev)
        else:
            a, s = self._coefficients(sde, t, x)
            alpha, sigma = a.to(dev).expand(n), s.to(dev).expand(n)
        # residual to each component mean, in that component's eigenbasis: (n, K, d)
        resid = x64[:, None, :] - alpha[:, None, None] * means[None]
        z = torch.einsum("nkd,kde->nke", resid, evecs)
        var = alpha[:, None, None] ** 2 * evals[None] + sigma[:, None, None] ** 2
        log_norm = -0.5 * ((z * z / var).sum(-1) + torch.log(var).sum(-1) + self.dim * math.log(2 * math.pi))
        return log_w[None] + log_norm, z, var, evecs, sigma

    def _evaluate(self, x: Tensor, t: Any, sde: SDE | None) -> tuple[Tensor, Tensor, Tensor]:
        """(log p_t(x), ∇ log p_t(x), σ) with (α, σ) = (1, 0) when ``sde`` is None."""
        log_joint, z, var, evecs, sigma = self._components(x, t, sde)
        resp = torch.softmax(log_joint, dim=1)
        score = torch.einsum("nk,nke,kde->nd", resp, -z / var, evecs)
        return torch.logsumexp(log_joint, dim=1).to(x.dtype), score.reshape(x.shape).to(x.dtype), sigma

def ring_mixture(k: int = 8, radii: tuple[float, float] = (2.0, 4.0), stds: tuple[float, float] = (0.1, 0.3)
                 ) -> GaussianMixture:
    r"""The 2-D ring of the samplers benchmark: k isotropic Gaussians of equal weight at angles `2πj/k`.

    Component j sits at radius `r_j = r_lo + (r_hi - r_lo) j/(k-1)` with standard deviation
    `s_lo + (s_hi - s_lo)·((3j mod k)/(k-1))`, so neighbours differ in width (the peer tool's target,
    ../shared/tools/peer_samplers.py, "ring2d").

    Args:
        k: the number of components, ≥ 2.
        radii: `(r_lo, r_hi)`, the radii of the first and last components.
        stds: `(s_lo, s_hi)`, the range of the standard deviations, both > 0.

    Returns:
        The [`GaussianMixture`][scoresde.analytic.GaussianMixture] in d = 2.

    Raises:
        TypeError: if `k` is not an int.
        ValueError: if `k < 2` or a standard deviation is not positive.
    """
    check_int(k, "k", minimum=2)  # a ring
    j = torch.arange(k, dtype=FLOAT64)
    angle = 2 * math.pi * j / k
    radius = radii[0] + (radii[1] - radii[0]) * j / (k - 1)
    std = stds[0] + (stds[1] - stds[0]) * torch.remainder(3 * j, k) / (k - 1)
    if not bool((std > 0).all()):
        raise ValueError(f"stds must be > 0; got {stds}")
    means = torch.stack([radius * torch.cos(angle), radius * torch.sin(angle)], 1)
    covs = std[:, None, None] ** 2 * torch.eye(2, dtype=FLOAT64)
    return GaussianMixture(torch.full((k,), 1.0 / k, dtype=FLOAT64), means, covs)
