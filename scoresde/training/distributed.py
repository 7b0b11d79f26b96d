r"""torch.distributed set-up for training under ``torchrun``: one process per device, DDP, rank-0 I/O.

``torchrun --nproc_per_node=K script.py`` starts K processes and sets RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR and
MASTER_PORT in each; ``init_distributed()`` reads them, joins the process group (NCCL on GPUs, gloo on CPUs) and
picks the device ``cuda:LOCAL_RANK``. Several machines join through torchrun's rendezvous, e.g. on each of N nodes:

    torchrun --nnodes=N --nproc_per_node=K --rdzv_backend=c10d --rdzv_endpoint=HOST:29500 --rdzv_id=JOB script.py

Started as a plain ``python script.py`` (no WORLD_SIZE), it is a single process and nothing is initialised.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist

__all__ = ["DistInfo", "cleanup_distributed", "init_distributed"]


@dataclass(frozen=True)
class DistInfo:
    """Where this process sits: its rank among ``world_size`` processes and its device.

    Attributes:
        rank: the global rank, 0 … world_size - 1.
        world_size: the number of processes.
        local_rank: the rank on this machine (the CUDA device index under torchrun).
        device: the device this process computes on.
    """

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    device: torch.device = torch.device("cpu")  # noqa: RUF009 - an immutable value

    @property
    def is_main(self) -> bool:
        """Rank 0: the one process that logs, writes checkpoints and shows progress."""
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        """Whether there is more than one process (``world_size > 1``): DDP and collective calls are on."""
        return self.world_size > 1


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError as err:
        raise ValueError(f"environment variable {name} must be an integer (torchrun sets it); got {value!r}") from err


def init_distributed(device: str | torch.device | None = None, backend: str | None = None) -> DistInfo:
    r"""Join the process group torchrun describes in the environment, or describe a single process.

    Args:
        device: "cpu", "cuda" or None (CUDA when available). Under torchrun with CUDA each process takes
            ``cuda:LOCAL_RANK``.
        backend: "nccl" or "gloo"; None picks NCCL for CUDA and gloo for the CPU.

    Returns:
        A ``DistInfo`` with rank, world size, local rank and device.

    Raises:
        ValueError: CUDA was asked for but is not available, or a torchrun variable (``WORLD_SIZE``, ``RANK``,
            ``LOCAL_RANK``) is not an integer.
    """
    want = torch.device(device) if device is not None else torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if want.type == "cuda" and not torch.cuda.is_available():
        raise ValueError("device 'cuda' was asked for but torch.cuda.is_available() is False; use device='cpu'")
    world = _env_int("WORLD_SIZE", 1)
    if world <= 1:
        return DistInfo(device=want)
    rank, local_rank = _env_int("RANK", 0), _env_int("LOCAL_RANK", 0)
    if want.type == "cuda":
        want = torch.device("cuda", local_rank)
        torch.cuda.set_device(want)
    if not dist.is_initialized():
        dist.init_process_group(backend or ("nccl" if want.type == "cuda" else "gloo"))
    return DistInfo(rank=rank, world_size=world, local_rank=local_rank, device=want)


def cleanup_distributed() -> None:
    """Leave the process group if this process joined one."""
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()
