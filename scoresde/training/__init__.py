"""Training: the trainer, the EMA of weights, safe checkpoints and torch.distributed set-up.

One step of ``Trainer`` minimises the denoising score-matching loss of ``scoresde.losses`` on a batch,

    L(θ) = E_t E_{x_0,ε} [ w(t) · (1/D) ‖ε_θ(x_t, t) - ε‖² ],   x_t = α(t)·x_0 + σ(t)·ε,

by an AdamW step (warm-up, then a constant or cosine learning rate), and updates the EMA of the weights,
``θ_EMA ← β·θ_EMA + (1 - β)·θ`` (``EMA``), from which one samples. Checkpoints are written atomically with a SHA-256
and read without unpickling code (``save_checkpoint``, ``load_checkpoint``, ``CheckpointManager``); a run stopped
and resumed ends with the same weights as one run straight through; the position in the data lives in one small
object, ``DataCursor``, with its own ``state_dict``. Under ``torchrun``, ``init_distributed`` joins the process
group and the trainer runs DistributedDataParallel.

References:
    - Ho, Jain & Abbeel 2020, "Denoising Diffusion Probabilistic Models", NeurIPS (Algorithm 1).
    - Song et al. 2021, "Score-Based Generative Modeling through Stochastic Differential Equations", ICLR
      (arXiv:2011.13456).
    - Loshchilov & Hutter 2019, "Decoupled Weight Decay Regularization", ICLR (AdamW).
    - Polyak & Juditsky 1992, "Acceleration of Stochastic Approximation by Averaging", SIAM J. Control and
      Optimization 30.
"""

from scoresde.training.checkpoint import CheckpointError, CheckpointManager, load_checkpoint, save_checkpoint
from scoresde.training.cursor import DataCursor
from scoresde.training.distributed import DistInfo, cleanup_distributed, init_distributed
from scoresde.training.ema import EMA
from scoresde.training.trainer import NonFiniteLossError, TrainConfig, Trainer, TrainResult

__all__ = [
    "EMA",
    "CheckpointError",
    "CheckpointManager",
    "DataCursor",
    "DistInfo",
    "NonFiniteLossError",
    "TrainConfig",
    "TrainResult",
    "Trainer",
    "cleanup_distributed",
    "init_distributed",
    "load_checkpoint",
    "save_checkpoint",
]
