r"""Trainer overhead: images/s of the full training step next to a bare PyTorch loop, same U-Net, same batch.

    python benchmarks/train_throughput.py                       # tiny U-Net, batch 64, CPU
    python benchmarks/train_throughput.py --config ddpmpp --batch-size 8 --steps 3
    python benchmarks/train_throughput.py --device cuda --precision bf16 --compile   # on a GPU

The bare loop is what one would write by hand: draw t and ε, x_t = α x_0 + σ ε, MSE of the network's ε against ε,
backward, AdamW step (fused, as the trainer's) — on one fixed batch already on the device. The trainer's step adds
everything else: taking the next batch of the data set in the seeded order (uint8 → [-1, 1] and random flips), the
DSM loss module, the learning-rate warm-up, gradient clipping, the EMA update, the non-finite check and a CSV log
row every 10 steps.
Checkpoints are not counted (one every few thousand steps). The two alternate in rounds, each round timing
``--steps`` steps of each, so that drifts of a shared machine hit both; the table shows the median over rounds.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import tempfile
import time

import torch
from torch import Tensor

import scoresde as sd
from scoresde.nets import UNet, UNetConfig
from scoresde.training import TrainConfig, Trainer

CONFIGS = {"tiny": UNetConfig.tiny, "ddpmpp": UNetConfig.ddpmpp_cifar10}


def flip_to_float(batch: Tensor, g: torch.Generator) -> Tensor:
    """uint8 NCHW → [-1, 1] float with random horizontal flips (the CIFAR-10 training transform)."""
    x = batch.float().div_(127.5).sub_(1.0)
    flip = torch.rand(x.shape[0], generator=g) < 0.5
    return torch.where(sd.append_dims(flip, 4), x.flip(3), x)


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def bare_loop(net: torch.nn.Module, opt: torch.optim.Optimizer, sde: sd.SDE, x0: Tensor, steps: int,
              amp: torch.dtype | None) -> float:
    """Seconds for ``steps`` plain steps: noise, forward, MSE, backward, AdamW."""
    device = x0.device
    sync(device)
    start = time.perf_counter()
    for _ in range(steps):
        t = torch.rand(x0.shape[0], device=device) * (1 - 1e-5) + 1e-5
        alpha, sigma = (sd.append_dims(c, 4).float() for c in sde.marginal(t))
        noise = torch.randn_like(x0)
        with torch.autocast(device.type, dtype=amp, enabled=amp is not None):
            pred = net(alpha * x0 + sigma * noise, t)
        loss = (pred.float() - noise).pow(2).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    sync(device)
    return time.perf_counter() - start


def trainer_steps(trainer: Trainer, steps: int) -> float:
    """Seconds for ``steps`` more steps of ``Trainer.fit``."""
    trainer.config = dataclasses.replace(trainer.config, steps=trainer.step + steps)
    sync(trainer.dist.device)
    start = time.perf_counter()
    trainer.fit()
    sync(trainer.dist.device)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--config", choices=sorted(CONFIGS), default="tiny")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--steps", type=int, default=10, help="steps per round and loop (default 10)")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--device", default="cpu")
    p.add_argument("--precision", choices=["fp32", "bf16"], default="fp32")
    p.add_argument("--compile", action="store_true", help="torch.compile the network in both loops")
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    amp = torch.bfloat16 if args.precision == "bf16" else None
    cfg = CONFIGS[args.config]()
    sde = sd.VPSDE()
    g = torch.Generator().manual_seed(0)
    data = torch.randint(0, 256, (max(4 * args.batch_size, 256), 3, cfg.resolution, cfg.resolution),
                         dtype=torch.uint8, generator=g)

    torch.manual_seed(0)
    bare_net = UNet(cfg).to(device)
    bare_fwd = torch.compile(bare_net) if args.compile else bare_net
    bare_opt = torch.optim.AdamW(bare_net.parameters(), lr=2e-4, fused=True)  # the trainer's optimizer too
    x0 = flip_to_float(data[: args.batch_size], g).to(device)

    torch.manual_seed(0)
    out = tempfile.mkdtemp(prefix="train_throughput_")
    config = TrainConfig(steps=1, batch_size=args.batch_size, warmup=100, log_every=10, checkpoint_every=10**9,
                         progress=False, precision=args.precision, compile=args.compile)
    trainer = Trainer(UNet(cfg), sde, data, config, out, transform=flip_to_float, device=device)

    n_params = sum(p.numel() for p in bare_net.parameters())
    print(f"scoresde {sd.__version__} | torch {torch.__version__} | device {device} | threads "
          f"{torch.get_num_threads()} | U-Net {args.config} ({n_params / 1e6:.2f}M parameters) | batch "
          f"{args.batch_size} | {args.precision}{' + compile' if args.compile else ''}")
    bare_loop(bare_fwd, bare_opt, sde, x0, 2, amp)  # warm-up (and compilation)
    trainer_steps(trainer, 2)
    bare_s, train_s = [], []
    for _ in range(args.rounds):
        bare_s.append(bare_loop(bare_fwd, bare_opt, sde, x0, args.steps, amp))
        train_s.append(trainer_steps(trainer, args.steps))
    images = args.steps * args.batch_size
    bare_rate, train_rate = images / statistics.median(bare_s), images / statistics.median(train_s)
    print(f"\n{'loop':44}{'images/s':>10}{'ratio':>8}")
    print(f"{'bare: forward + backward + AdamW':44}{bare_rate:10.1f}{1.0:8.3f}")
    print(f"{'Trainer.fit: data, loss, clip, AdamW, EMA, log':44}{train_rate:10.1f}{train_rate / bare_rate:8.3f}")
    print(f"\n(median of {args.rounds} rounds of {args.steps} steps each; per-round ratios "
          + ", ".join(f"{b / t:.3f}" for b, t in zip(bare_s, train_s, strict=True)) + ")")
    return 0


if __name__ == "__main__":
    sys.exit(main())
