"""Score networks: a time-conditioned MLP for vectors and a DDPM++-style U-Net for images.

Both are called as ``net(x, t)`` with t of shape (batch,) and return a tensor of the shape of x; wrap one in
``scoresde.ScoreModel`` to get a score, e.g. ``s_θ(x, t) = -ε_θ(x, t)/σ(t)`` for an ε-network. Each is built from a
frozen config dataclass (``MLPConfig``, ``UNetConfig``) with ``from_dict`` / ``to_dict``, kept on the network as
``net.config``. Time enters through ``SinusoidalEmbedding`` or ``FourierEmbedding`` (``time_embedding``).

References:
    - Song et al. 2021, "Score-Based Generative Modeling through Stochastic Differential Equations", ICLR
      (arXiv:2011.13456), App. H: the DDPM++ architecture.
    - Ho, Jain & Abbeel 2020, "Denoising Diffusion Probabilistic Models", NeurIPS: the DDPM U-Net.
"""

from scoresde.nets.embeddings import EMBEDDINGS, FourierEmbedding, NetConfig, SinusoidalEmbedding, time_embedding
from scoresde.nets.mlp import MLP, MLPConfig
from scoresde.nets.unet import RESAMPLE, UNet, UNetConfig, num_groups

__all__ = [
    "EMBEDDINGS",
    "MLP",
    "RESAMPLE",
    "FourierEmbedding",
    "MLPConfig",
    "NetConfig",
    "SinusoidalEmbedding",
    "UNet",
    "UNetConfig",
    "num_groups",
    "time_embedding",
]
