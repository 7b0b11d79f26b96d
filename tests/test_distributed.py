"""DistributedDataParallel on 2 CPU processes (gloo): the averaged gradient is the joined batch's gradient, and the
trainer under 2 processes follows the single-process run."""

from __future__ import annotations

import csv
import os
import socket
from pathlib import Path

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch import nn

import scoresde as sd
from scoresde.training import DistInfo, TrainConfig, Trainer, cleanup_distributed, init_distributed

pytestmark = pytest.mark.skipif(not dist.is_available() or not dist.is_gloo_available(),
                                reason="torch.distributed with gloo is not available")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_net() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 16), nn.SiLU(), nn.Linear(16, 2))


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.body = make_net()

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return self.body(torch.cat([x, t[:, None]], 1))


def joined_batch() -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(1)
    return torch.randn(8, 3, generator=g), torch.randn(8, 2, generator=g)


def set_env(rank: int, world: int, port: int) -> None:
    torch.set_num_threads(1)
    os.environ.update({"RANK": str(rank), "LOCAL_RANK": str(rank), "WORLD_SIZE": str(world),
                       "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port)})


def worker(rank: int, world: int, port: int, out: str) -> None:
    """One start of 2 processes (each pays torch's import) serves both tests: the gradient, then a training run."""
    set_env(rank, world, port)
    info = init_distributed("cpu")
    try:
        gradient_part(info.rank, world, out)
        trainer_part(info, out)
    finally:
        cleanup_distributed()


def gradient_part(rank: int, world: int, out: str) -> None:
    model = nn.parallel.DistributedDataParallel(make_net())
    x, y = joined_batch()
    b = x.shape[0] // world
    loss = (model(x[rank * b:(rank + 1) * b]) - y[rank * b:(rank + 1) * b]).pow(2).mean()
    loss.backward()
    torch.save([p.grad for p in model.parameters()], f"{out}/grad{rank}.pt")


def trainer_part(info: DistInfo, out: str) -> None:
    data = torch.randn(64, 2, generator=torch.Generator().manual_seed(2))
    config = TrainConfig(steps=12, batch_size=16, warmup=3, lr=1e-2, log_every=4, checkpoint_every=6,
                         progress=False, ema_decay=0.5)
    trainer = Trainer(Net(), sd.VPSDE(), data, config, f"{out}/run", dist_info=info)
    trainer.fit()
    torch.save(trainer.net.state_dict(), f"{out}/weights{info.rank}.pt")


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("ddp")
    mp.start_processes(worker, args=(2, free_port(), str(out)), nprocs=2, join=True, start_method="spawn")
    return out


def test_ddp_gradient_equals_the_gradient_of_the_joined_batch(ran: Path) -> None:
    model = make_net()
    x, y = joined_batch()
    (model(x) - y).pow(2).mean().backward()
    for rank in range(2):
        grads = torch.load(ran / f"grad{rank}.pt", weights_only=True)
        for g, p in zip(grads, model.parameters(), strict=True):
            torch.testing.assert_close(g, p.grad, rtol=1e-6, atol=1e-7)


def test_the_trainer_on_two_processes_follows_the_single_process_run(ran: Path, tmp_path: Path) -> None:
    """Same global batches and the same (t, ε) draws, so only the order of floating-point sums differs."""
    w0 = torch.load(ran / "weights0.pt", weights_only=True)
    w1 = torch.load(ran / "weights1.pt", weights_only=True)
    assert all(torch.equal(w0[k], w1[k]) for k in w0)  # DDP keeps the replicas identical

    torch.set_num_threads(1)
    data = torch.randn(64, 2, generator=torch.Generator().manual_seed(2))
    config = TrainConfig(steps=12, batch_size=16, warmup=3, lr=1e-2, log_every=4, checkpoint_every=6,
                         progress=False, ema_decay=0.5)
    single = Trainer(Net(), sd.VPSDE(), data, config, tmp_path / "single")
    single.fit()
    for k, v in single.net.state_dict().items():
        torch.testing.assert_close(w0[k], v, rtol=1e-5, atol=1e-6)
    with open(ran / "run" / "log.csv", newline="") as f:
        assert [int(r["step"]) for r in csv.DictReader(f)] == [4, 8, 12]  # rank 0 alone writes the log
    assert sorted(p.name for p in (ran / "run" / "checkpoints").iterdir() if p.suffix == ".pt") == [
        "ckpt-00000006.pt", "ckpt-00000012.pt"]
