r"""Sampler overhead: per-image time of our samplers next to a hand-written loop, same U-Net, same NFE.

    python benchmarks/sampling_overhead.py                  # tiny U-Net, batch 16, 20 evaluations, CPU
    python benchmarks/sampling_overhead.py --config ddpmpp --batch 4 --nfe 10

The hand-written loop is Euler on the probability-flow ODE, calling the network once per step:

    x ← x + (t_{i+1} - t_i) · [f(t_i) x + ½ g(t_i)² ε_θ(x, t_i)/σ(t_i)]

with the coefficients precomputed. Ours: ``sd.sample(ScoreModel(net, sde), sde, x_T, method=method, steps=NFE,
denoise=False)`` for the probability-flow ODE through torchdiffeq's fixed-step Euler (the same arithmetic, so
the same samples up to round-off, which the script checks), DDIM and DPM-Solver++(2M) at the same NFE. Each
round times every loop once on the same x_T, in an order rotated from round to round; the table shows the median
over rounds and the ratio to the hand-written loop (above 1: faster per image).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable

import torch
from torch import Tensor

import scoresde as sd
from scoresde.nets import UNet, UNetConfig

CONFIGS = {"tiny": UNetConfig.tiny, "ddpmpp": UNetConfig.ddpmpp_cifar10}


def hand_loop(net: torch.nn.Module, sde: sd.SDE, x: Tensor, ts: Tensor) -> Tensor:
    """Euler on the PF-ODE with ε = net(x, t): one network call per step, coefficients precomputed."""
    f = [float(v) for v in sde.drift_coef(ts)]
    g2 = [float(v) ** 2 for v in sde.diffusion(ts)]
    sigma = [float(v) for v in sde.marginal(ts)[1]]
    t_net = [torch.full((x.shape[0],), float(t), dtype=x.dtype, device=x.device) for t in ts]
    for i in range(len(ts) - 1):
        eps = net(x, t_net[i])
        x = x + float(ts[i + 1] - ts[i]) * (f[i] * x + 0.5 * g2[i] * eps / sigma[i])
    return x


def timed(fn: Callable[[], Tensor]) -> tuple[float, Tensor]:
    start = time.perf_counter()
    out = fn()
    if out.is_cuda:
        torch.cuda.synchronize(out.device)
    return time.perf_counter() - start, out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--config", choices=sorted(CONFIGS), default="tiny")
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--nfe", type=int, default=20)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--device", default="cpu")
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    torch.manual_seed(0)
    cfg = CONFIGS[args.config]()
    net = UNet(cfg).to(device).eval()
    with torch.no_grad():  # a trained network's output is not zero: give the zero-initialised layers weights
        for prm in net.parameters():
            if prm.ndim > 1 and float(prm.abs().max()) == 0:
                prm.normal_(0, 0.01)
    sde = sd.VPSDE()
    model = sd.ScoreModel(net, sde)
    x_T = sde.prior_sample((args.batch, cfg.in_channels, cfg.resolution, cfg.resolution),
                           generator=torch.Generator().manual_seed(0)).to(device)
    ts = sd.time_grid(sde, args.nfe, grid="quadratic", t_min=1e-3)

    loops: dict[str, Callable[[], Tensor]] = {
        "hand-written Euler loop (PF-ODE)": lambda: hand_loop(net, sde, x_T, ts),
        "sd.sample ode, solver=euler": lambda: sd.sample(model, sde, x_T, method="ode", steps=args.nfe, solver="euler",
                                                         denoise=False).samples,
        "sd.sample ddim": lambda: sd.sample(model, sde, x_T, method="ddim", steps=args.nfe, denoise=False).samples,
        "sd.sample dpm_solver (2M)": lambda: sd.sample(model, sde, x_T, method="dpm_solver", steps=args.nfe,
                                                       denoise=False).samples,
    }
    times: dict[str, list[float]] = {name: [] for name in loops}
    outputs: dict[str, Tensor] = {}
    with torch.no_grad():
        for name, fn in loops.items():  # warm-up
            outputs[name] = fn()
        order = list(loops)
        for r in range(args.rounds):  # rotate the order each round, so no loop always runs first or last
            for name in order[r % len(order):] + order[: r % len(order)]:
                seconds, _ = timed(loops[name])
                times[name].append(seconds)
    names = list(loops)
    diff = float((outputs[names[0]] - outputs[names[1]]).abs().max())
    n_params = sum(prm.numel() for prm in net.parameters())
    print(f"scoresde {sd.__version__} | torch {torch.__version__} | device {device} | threads "
          f"{torch.get_num_threads()} | U-Net {args.config} ({n_params / 1e6:.2f}M) | batch {args.batch} | "
          f"NFE {args.nfe} | quadratic grid to t_min = 1e-3")
    base = statistics.median(times[names[0]]) / args.batch
    print(f"\n{'loop':36}{'ms/image':>10}{'vs hand loop':>14}")
    for name in names:
        per_image = statistics.median(times[name]) / args.batch
        print(f"{name:36}{1e3 * per_image:10.2f}{base / per_image:13.3f}x")
    print(f"\nmax |x_hand - x_ode(euler)| = {diff:.2e} (the same arithmetic; median of {args.rounds} rounds)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
