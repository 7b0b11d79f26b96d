"""Training: the trainer, the EMA of weights, safe checkpoints and torch.distributed set-up."""

from scoresde.training.checkpoint import CheckpointError, CheckpointManager, load_checkpoint, save_checkpoint
from scoresde.training.distributed import DistInfo, cleanup_distributed, init_distributed
from scoresde.training.ema import EMA
from scoresde.training.trainer import NonFiniteLossError, TrainConfig, Trainer, TrainResult

__all__ = [
    "EMA",
    "CheckpointError",
    "CheckpointManager",
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
