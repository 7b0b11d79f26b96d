r"""A time-conditioned MLP for low-dimensional data (2-D toys, small mixtures).

    e     = W_e2 SiLU(W_e1 emb(t))                         time features, emb sinusoidal or Fourier
    h_0   = x
    h_l   = SiLU(W_l h_{l-1} + b_l + P_l SiLU(e)),  l = 1..depth
    out   = W_out h_depth + b_out                          W_out, b_out zero at initialisation

The time features enter every hidden layer through their own projection P_l, the way the DDPM U-Net
adds them in every residual block (Ho et al. 2020). The output layer starts at zero, so the network
starts by predicting ε = 0, the best constant guess, and the first steps do not fight a random output.

References:
    - Ho, Jain & Abbeel 2020, "Denoising Diffusion Probabilistic Models", NeurIPS.
    - Vaswani et al. 2017, "Attention Is All You Need", NeurIPS (sinusoidal embedding); Tancik et al. 2020,
      "Fourier Features Let Networks Learn High Frequency Functions in Low Dimensional Domains", NeurIPS.
"""

from __future__ import annotations

import dataclasses
import itertools

import torch.nn.functional as F
from torch import Tensor, nn

from scoresde._utils import check_choice, check_int, check_positive_float, check_tensor
from scoresde.nets.embeddings import EMBEDDINGS, NetConfig, check_embedding_dim, check_times, time_embedding

__all__ = ["MLP", "MLPConfig"]


@dataclasses.dataclass(frozen=True)
class MLPConfig(NetConfig):
    """The architecture of an ``MLP`` (a frozen dataclass; ``from_dict`` / ``to_dict`` from ``NetConfig``).

    Attributes:
        dim: the data dimension d; the network maps (batch, d) to (batch, d).
        hidden: width of every hidden layer.
        depth: number of hidden layers, each conditioned on t.
        time_embedding: ``"sinusoidal"`` or ``"fourier"`` (``SinusoidalEmbedding``, ``FourierEmbedding``).
        embedding_dim: size of the sinusoidal / Fourier features of t (even; at least 4 for sinusoidal).
        time_scale: the sinusoidal embedding sees ``time_scale * t``.
        fourier_scale: std of the Fourier embedding's random frequencies.

    Raises:
        TypeError: a field of the wrong type.
        ValueError: a size < 1, an unknown ``time_embedding``, an odd ``embedding_dim`` or a scale <= 0.
    """

    dim: int = 2
    hidden: int = 256
    depth: int = 3
    time_embedding: str = "sinusoidal"
    embedding_dim: int = 128
    time_scale: float = 1000.0
    fourier_scale: float = 16.0

    def __post_init__(self) -> None:
        for name in ("dim", "hidden", "depth", "embedding_dim"):
            check_int(getattr(self, name), name, minimum=1)
        check_choice(self.time_embedding, "time_embedding", EMBEDDINGS)
        for name in ("time_scale", "fourier_scale"):
            object.__setattr__(self, name, check_positive_float(getattr(self, name), name))
        check_embedding_dim(self.embedding_dim, self.time_embedding, "embedding_dim")


class _Layer(nn.Module):
    """h -> SiLU(W h + b + P SiLU(e)): one hidden layer with the time features added after a projection."""

    def __init__(self, in_features: int, out_features: int, emb_features: int) -> None:
        super().__init__()
        self.linear = nn.Linear(in_features, out_features)
        self.emb_proj = nn.Linear(emb_features, out_features)

    def forward(self, h: Tensor, emb: Tensor) -> Tensor:
        return F.silu(self.linear(h) + self.emb_proj(F.silu(emb)))


class MLP(nn.Module):
    r"""A time-conditioned MLP ``net(x, t)`` for vectors: x (batch, d), t (batch,) -> (batch, d).

        e   = W_e2 SiLU(W_e1 emb(t))                          emb: sinusoidal or Fourier features of t
        h_l = SiLU(W_l h_{l-1} + b_l + P_l SiLU(e)),  l = 1 … depth,  h_0 = x
        out = W_out h_depth + b_out                           W_out, b_out zero at initialisation

    The time features enter every hidden layer through their own projection P_l, as the DDPM U-Net adds them in
    every residual block. It predicts whatever it is trained on (ε by default in ``scoresde.ScoreModel``). At
    initialisation the output is exactly zero. The config is kept as ``net.config``.

    Args:
        config: the architecture (default ``MLPConfig()``: d = 2, three hidden layers of 256).

    Raises:
        TypeError: ``config`` is not an ``MLPConfig`` (``MLPConfig.from_dict`` builds one from a dict).

    References:
        Ho, Jain & Abbeel 2020, "Denoising Diffusion Probabilistic Models", NeurIPS (time features added in
        every block).
    """

    def __init__(self, config: MLPConfig | None = None) -> None:
        super().__init__()
        config = MLPConfig.checked(config)
        self.config = config
        c = config
        self.time_embed = nn.Sequential(
            time_embedding(c.time_embedding, c.embedding_dim, time_scale=c.time_scale, fourier_scale=c.fourier_scale),
            nn.Linear(c.embedding_dim, c.hidden), nn.SiLU(), nn.Linear(c.hidden, c.hidden),
        )
        widths = [c.dim] + [c.hidden] * c.depth
        self.layers = nn.ModuleList(_Layer(n_in, n_out, c.hidden) for n_in, n_out in itertools.pairwise(widths))
        self.output = nn.Linear(c.hidden, c.dim)
        nn.init.zeros_(self.output.weight)
        nn.init.zeros_(self.output.bias)

    def forward(self, x: Tensor, t: Tensor) -> Tensor:
        """The prediction at (x, t).

        Args:
            x: inputs, shape (batch, dim), in the dtype of the network's parameters.
            t: times, shape (batch,), floating point (cast to x's dtype).

        Returns:
            Tensor of shape (batch, dim).

        Raises:
            TypeError: ``x`` or ``t`` is not a floating-point tensor, or ``x`` has another dtype than the network.
            ValueError: ``x`` is not of shape (batch, dim), or ``t`` not of shape (batch,).
        """
        self._check_inputs(x, t)
        emb = self.time_embed(t.to(x.dtype))
        h = x
        for layer in self.layers:
            h = layer(h, emb)
        out: Tensor = self.output(h)
        return out

    def _check_inputs(self, x: Tensor, t: Tensor) -> None:
        check_tensor(x, "x")
        if x.ndim != 2 or x.shape[1] != self.config.dim:
            raise ValueError(f"x must have shape (batch, dim) = (batch, {self.config.dim}); got {tuple(x.shape)}")
        check_times(t, x.shape[0])
        dtype = self.output.weight.dtype
        if x.dtype != dtype:
            raise TypeError(f"x must have the dtype of the network's parameters, {dtype} (convert the network "
                            f"with .to(dtype), or x); got {x.dtype}")
