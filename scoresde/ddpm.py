r"""The discrete DDPM Markov chain (Ho et al. 2020, "Denoising Diffusion Probabilistic Models").

With `β_1..β_N` in (0, 1), `α_i = 1 - β_i` and `ᾱ_i = Π_{j≤i} α_j` (`ᾱ_0 = 1`):

    forward step   q(x_i | x_{i-1}) = N(√α_i x_{i-1}, β_i I)                      DDPM.step
    closed form    q(x_i | x_0)     = N(√ᾱ_i x_0, (1 - ᾱ_i) I)                    DDPM.perturb
    posterior      q(x_{i-1} | x_i, x_0) = N(μ̃_i, β̃_i I),                         DDPM.posterior
                   μ̃_i = √ᾱ_{i-1} β_i/(1-ᾱ_i) x_0 + √α_i (1-ᾱ_{i-1})/(1-ᾱ_i) x_i,
                   β̃_i = (1-ᾱ_{i-1})/(1-ᾱ_i) β_i
    mean from ε    μ = (x_i - β_i/√(1-ᾱ_i) ε)/√α_i                                DDPM.mean_from_eps

The last one is `μ̃_i` with `x_0 = (x_i - √(1-ᾱ_i) ε)/√ᾱ_i` substituted. (The source document's
"simple" update `(x_i - √β_i ε)/√α_i` is not this mean: it removes `√β_i ε` where the
posterior removes `β_i/√(1-ᾱ_i) ε`; see docs/math.md.)

The chain is the VP SDE observed at `t_i = i/N`: `VPSDE.from_ddpm` and `VPSDE.to_ddpm`
map between the two exactly. All coefficients are float64; tensors are cast at the point of use.
"""

from __future__ import annotations

import numbers
from typing import Any

import torch
from torch import Tensor

from scoresde._utils import FLOAT64, check_batch_time, check_same_shape, check_tensor, expand_like
from scoresde.schedules import validate_betas

__all__ = ["DDPM"]


class DDPM:
    r"""A discrete DDPM chain `q(x_i | x_{i-1}) = N(√(1 - β_i) x_{i-1}, β_i I)` given by its variances `β_1..β_N`.

    Its marginals are `q(x_i | x_0) = N(√ᾱ_i x_0, (1 - ᾱ_i) I)` with `ᾱ_i = Π_{j≤i} (1 - β_j)`.
    Indices are the paper's: `i ∈ {1, …, N}` for the noisy states, `i = 0` for the data. An index
    argument is an `int` or an integer tensor of shape `(batch,)` (one index per sample).

    Args:
        betas: the sequence `β_1..β_N`, each in (0, 1); e.g. `scoresde.linear_betas()`.

    Attributes:
        betas: `β_1..β_N`, float64, shape `(N,)`.
        N: the number of steps.
        alphas: `α_i = 1 - β_i`, shape `(N,)`.
        log_alpha_bars: `log ᾱ_0..log ᾱ_N`, the cumulative sums of `log(1 - β_j)`, shape `(N + 1,)`; entry 0 is 0.
        alpha_bars: `ᾱ_0..ᾱ_N`, shape `(N + 1,)`.

    Raises:
        TypeError: if `betas` is not numeric.
        ValueError: if `betas` is not a non-empty 1-D sequence of finite values in (0, 1).

    References:
        Ho, Jain & Abbeel 2020, "Denoising Diffusion Probabilistic Models", NeurIPS, arXiv:2006.11239
        (eqs. 2, 4, 6-7 and 11).
    """

    def __init__(self, betas: Any) -> None:
        self.betas = validate_betas(betas)
        self.N = self.betas.numel()
        self.alphas = 1.0 - self.betas
        self.log_alpha_bars = torch.cat(
            [torch.zeros(1, dtype=FLOAT64), torch.cumsum(torch.log1p(-self.betas), 0)]
        )
        self.alpha_bars = torch.exp(self.log_alpha_bars)
        # 1 - ᾱ_i without cancellation near ᾱ_i = 1
        self._one_minus_alpha_bars = -torch.expm1(self.log_alpha_bars)

    def __repr__(self) -> str:
        return f"DDPM(N={self.N}, beta_1={float(self.betas[0]):g}, beta_N={float(self.betas[-1]):g})"

    # --- indices ---
    def _index(self, i: Any, low: int) -> Tensor:
        """``i`` as a CPU long tensor (the tables live on the CPU; results move to x's device later)."""
        if isinstance(i, Tensor):
            if i.is_floating_point() or i.is_complex() or i.dtype == torch.bool:
                raise TypeError(f"i must be an int or an integer tensor; got a tensor of dtype {i.dtype}")
            idx = i.detach().to(device="cpu", dtype=torch.long)
        elif isinstance(i, bool) or not isinstance(i, numbers.Integral):
            raise TypeError(f"i must be an int or an integer tensor; got {type(i).__name__} {i!r}")
        else:
            idx = torch.tensor(int(i), dtype=torch.long)
        if idx.ndim > 1:
            raise ValueError(f"i must be a scalar or of shape (batch,); got shape {tuple(idx.shape)}")
        if idx.numel() and ((idx < low).any() or (idx > self.N).any()):
            raise ValueError(f"i must lie in {{{low}, …, {self.N}}}; got values in "
                             f"[{int(idx.min())}, {int(idx.max())}]")
        return idx

    def _checked(self, x: Any, x_name: str, other: Any, other_name: str, i: Any, low: int) -> Tensor:
        """Check a pair of same-shaped floating tensors and an index ``i`` in ``{low..N}`` that fits their batch;
        return the index (``_index``)."""
        check_same_shape(check_tensor(x, x_name), check_tensor(other, other_name), x_name, other_name)
        idx = self._index(i, low)
        check_batch_time(x, idx, x_name, "i")
        return idx

    def time(self, i: Any) -> Tensor:
        """The SDE time `t_i = i/N` at which index i sits (the chain is the VP SDE observed there).

        Args:
            i: an index in `{0..N}`: an int or an integer tensor of shape `(batch,)`.

        Returns:
            `t_i`, float64 of the shape of `i`.

        Raises:
            TypeError: if `i` is not an int or an integer tensor.
            ValueError: if `i` has more than one dimension or leaves `{0..N}`.
        """
        return self._index(i, 0).to(FLOAT64) / self.N

    def alpha_bar(self, i: Any) -> Tensor:
        """`ᾱ_i = Π_{j≤i} (1 - β_j)`, the signal variance of `q(x_i | x_0)`; `ᾱ_0 = 1`.

        Args:
            i: an index in `{0..N}`: an int or an integer tensor of shape `(batch,)`.

        Returns:
            `ᾱ_i`, float64 of the shape of `i`.

        Raises:
            TypeError: if `i` is not an int or an integer tensor.
            ValueError: if `i` has more than one dimension or leaves `{0..N}`.

        References:
            Ho, Jain & Abbeel 2020, "Denoising Diffusion Probabilistic Models", NeurIPS, arXiv:2006.11239, eq. 4.
        """
        return self.alpha_bars[self._index(i, 0)]

    def marginal(self, i: Any) -> tuple[Tensor, Tensor]:
        """The coefficients `(√ᾱ_i, √(1-ᾱ_i))` of `x_i = √ᾱ_i x_0 + √(1-ᾱ_i) ε`.

        Args:
            i: an index in `{0..N}`: an int or an integer tensor of shape `(batch,)`.

        Returns:
            signal: `√ᾱ_i`, float64 of the shape of `i`.
            noise: `√(1 - ᾱ_i)`, float64 of the shape of `i` (formed without cancellation near `ᾱ_i = 1`).

        Raises:
            TypeError: if `i` is not an int or an integer tensor.
            ValueError: if `i` has more than one dimension or leaves `{0..N}`.

        References:
            Ho, Jain & Abbeel 2020, "Denoising Diffusion Probabilistic Models", NeurIPS, arXiv:2006.11239, eq. 4.
        """
        return self._marginal(self._index(i, 0))

    def _marginal(self, idx: Tensor) -> tuple[Tensor, Tensor]:
        """`marginal` for a checked index tensor."""
        return torch.exp(0.5 * self.log_alpha_bars[idx]), torch.sqrt(self._one_minus_alpha_bars[idx])

    # --- sampling the chain ---
    def step(self, x_prev: Tensor, i: Any, noise: Tensor) -> Tensor:
        r"""One forward step `x_i = √(1-β_i) x_{i-1} + √β_i ε`, a draw from `q(x_i | x_{i-1})`.

        Args:
            x_prev: `x_{i-1}`, shape `(batch, *dims)`.
            i: index in `{1..N}`: an int or an integer tensor of shape `(batch,)`.
            noise: `ε ~ N(0, I)`, the shape and dtype of `x_prev`.

        Returns:
            `x_i`, the shape and dtype of `x_prev`.

        Raises:
            TypeError: if `i` is not an int or an integer tensor, a tensor argument is not floating-point, or the
                two tensors differ in dtype.
            ValueError: if `i` has more than one dimension or leaves `{1..N}`.
            ValueError: if `noise` does not have the shape of `x_prev`, or `i` not its batch size.

        References:
            Ho, Jain & Abbeel 2020, "Denoising Diffusion Probabilistic Models", NeurIPS, arXiv:2006.11239, eq. 2.
        """
        idx = self._checked(x_prev, "x_prev", noise, "noise", i, 1)
        return (expand_like(torch.sqrt(self.alphas[idx - 1]), x_prev) * x_prev
                + expand_like(torch.sqrt(self.betas[idx - 1]), x_prev) * noise)

    def perturb(self, x0: Tensor, i: Any, noise: Tensor) -> Tensor:
        r"""The closed form `x_i = √ᾱ_i x_0 + √(1-ᾱ_i) ε`, a draw from `q(x_i | x_0)`.

        Args:
            x0: the data `x_0`, shape `(batch, *dims)`.
            i: index in `{0..N}`: an int or an integer tensor of shape `(batch,)`.
            noise: `ε ~ N(0, I)`, the shape and dtype of `x0`.

        Returns:
            `x_i`, the shape and dtype of `x0`.

        Raises:
            TypeError: if `i` is not an int or an integer tensor, a tensor argument is not floating-point, or the
                two tensors differ in dtype.
            ValueError: if `i` has more than one dimension or leaves `{0..N}`.
            ValueError: if `noise` does not have the shape of `x0`, or `i` not its batch size.

        References:
            Ho, Jain & Abbeel 2020, "Denoising Diffusion Probabilistic Models", NeurIPS, arXiv:2006.11239, eq. 4.
        """
        idx = self._checked(x0, "x0", noise, "noise", i, 0)
        a, s = self._marginal(idx)
        return expand_like(a, x0) * x0 + expand_like(s, x0) * noise

    # --- the reverse direction ---
    def posterior_coefficients(self, i: Any) -> tuple[Tensor, Tensor, Tensor]:
        r"""The coefficients of the posterior `q(x_{i-1} | x_i, x_0) = N(c_0 x_0 + c_i x_i, β̃_i I)`:

            c_0 = √ᾱ_{i-1} β_i/(1-ᾱ_i),   c_i = √α_i (1-ᾱ_{i-1})/(1-ᾱ_i),   β̃_i = (1-ᾱ_{i-1})/(1-ᾱ_i) β_i.

        Args:
            i: index in `{1..N}`: an int or an integer tensor of shape `(batch,)`.

        Returns:
            c_0: the weight of `x_0` in the mean, float64 of the shape of `i`.
            c_i: the weight of `x_i` in the mean, float64 of the shape of `i`.
            var: the variance `β̃_i`, float64 of the shape of `i`.

        Raises:
            TypeError: if `i` is not an int or an integer tensor.
            ValueError: if `i` has more than one dimension or leaves `{1..N}`.

        References:
            Ho, Jain & Abbeel 2020, "Denoising Diffusion Probabilistic Models", NeurIPS, arXiv:2006.11239, eqs. 6-7.
        """
        idx = self._index(i, 1)
        beta, alpha = self.betas[idx - 1], self.alphas[idx - 1]
        one_minus_prev, one_minus = self._one_minus_alpha_bars[idx - 1], self._one_minus_alpha_bars[idx]
        c0 = torch.exp(0.5 * self.log_alpha_bars[idx - 1]) * beta / one_minus
        ci = torch.sqrt(alpha) * one_minus_prev / one_minus
        return c0, ci, one_minus_prev / one_minus * beta

    def posterior(self, x0: Tensor, x_t: Tensor, i: Any) -> tuple[Tensor, Tensor]:
        r"""Mean `μ̃_i = c_0 x_0 + c_i x_i` and variance `β̃_i` of the posterior `q(x_{i-1} | x_i, x_0)`.

        The coefficients are those of `posterior_coefficients`.

        Args:
            x0: the data `x_0`, shape `(batch, *dims)`.
            x_t: the noisy state `x_i`, the shape and dtype of `x0`.
            i: index in `{1..N}`: an int or an integer tensor of shape `(batch,)`.

        Returns:
            mean: `μ̃_i(x_i, x_0)`, the shape and dtype of `x_t`.
            var: `β̃_i`, float64 of the shape of `i`.

        Raises:
            TypeError: if `i` is not an int or an integer tensor, a tensor argument is not floating-point, or the
                two tensors differ in dtype.
            ValueError: if `i` has more than one dimension or leaves `{1..N}`.
            ValueError: if `x_t` does not have the shape of `x0`, or `i` not its batch size.

        References:
            Ho, Jain & Abbeel 2020, "Denoising Diffusion Probabilistic Models", NeurIPS, arXiv:2006.11239, eqs. 6-7.
        """
        idx = self._checked(x0, "x0", x_t, "x_t", i, 1)
        c0, ci, var = self.posterior_coefficients(idx)
        return expand_like(c0, x_t) * x0 + expand_like(ci, x_t) * x_t, var

    def mean_from_eps(self, x_t: Tensor, i: Any, eps: Tensor) -> Tensor:
        r"""The DDPM mean `μ = (x_i - β_i/√(1-ᾱ_i) ε)/√α_i`: the posterior mean with `x_0` written through `ε`.

        Equal to `posterior(x0, x_t, i)[0]` when ε is the noise that made `x_i` from `x_0`; with a network's
        `ε_θ(x_i, i)` it is Ho et al.'s `μ_θ`. (The source document's `(x_i - √β_i ε)/√α_i` is not this mean.)

        Args:
            x_t: the noisy state `x_i`, shape `(batch, *dims)`.
            i: index in `{1..N}`: an int or an integer tensor of shape `(batch,)`.
            eps: the noise (or its prediction) `ε`, the shape and dtype of `x_t`.

        Returns:
            `μ`, the shape and dtype of `x_t`.

        Raises:
            TypeError: if `i` is not an int or an integer tensor, a tensor argument is not floating-point, or the
                two tensors differ in dtype.
            ValueError: if `i` has more than one dimension or leaves `{1..N}`.
            ValueError: if `eps` does not have the shape of `x_t`, or `i` not its batch size.

        References:
            Ho, Jain & Abbeel 2020, "Denoising Diffusion Probabilistic Models", NeurIPS, arXiv:2006.11239, eq. 11.
        """
        idx = self._checked(x_t, "x_t", eps, "eps", i, 1)
        eps_coef = self.betas[idx - 1] / torch.sqrt(self._one_minus_alpha_bars[idx])
        inv_sqrt_alpha = 1.0 / torch.sqrt(self.alphas[idx - 1])
        return expand_like(inv_sqrt_alpha, x_t) * (x_t - expand_like(eps_coef, x_t) * eps)
