r"""Train a score network on a 2-D ring of Gaussians and check it against the exact answer.

    python examples/toy_2d.py                 # defaults: under 3 minutes on 2 CPU cores
    python examples/toy_2d.py --quick         # a few seconds (what the test suite runs)

The data is ``sd.ring_mixture()``: 8 Gaussians on a ring, radii 2–4, standard deviations 0.1–0.3 (the samplers
benchmark's 2-D target). Its density is known exactly, so the script can say how good the model is:

* samples by Euler–Maruyama and by the probability-flow ODE, each scored by the sliced Wasserstein distance SW2
  to a large set of exact samples, next to the noise floor — the SW2 of an equally large set of *exact*
  samples, which is what a perfect model would score;
* the model's negative log-likelihood (probability-flow ODE, exact trace) on exact test points, next to their
  true negative log-density. Their mean difference estimates KL(p_data || p_model) ≥ 0, paired point by point.

It writes the training log, loss curve and checkpoint, ``metrics.json``, and ``toy_2d.png`` (data, both sets of
samples, and reverse trajectories from the same noise) into the output folder.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import torch

import scoresde as sd
from scoresde.nets import MLP, MLPConfig
from scoresde.training import TrainConfig, Trainer


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--steps", type=int, default=12000, help="training steps (default 12000)")
    p.add_argument("--batch-size", type=int, default=512, help="training batch (default 512)")
    p.add_argument("--lr", type=float, default=2e-3, help="AdamW learning rate (default 2e-3)")
    p.add_argument("--hidden", type=int, default=128, help="MLP width (default 128)")
    p.add_argument("--embedding", choices=["sinusoidal", "fourier"], default="sinusoidal", help="time embedding")
    p.add_argument("--n", type=int, default=5000, help="samples drawn from the model per sampler (default 5000)")
    p.add_argument("--n-nll", type=int, default=1000, help="test points for the NLL (default 1000)")
    p.add_argument("--em-steps", type=int, default=1000, help="Euler–Maruyama steps (default 1000)")
    p.add_argument("--out", type=Path, default=Path("runs/toy_2d"), help="output folder (default runs/toy_2d)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2, help="torch CPU threads (default 2)")
    p.add_argument("--quick", action="store_true", help="a tiny run for smoke tests (seconds, poor samples)")
    args = p.parse_args(argv)
    if args.quick:
        args.steps, args.n, args.n_nll, args.em_steps = 60, 300, 20, 50
    return args


def noise_floor(target: sd.GaussianMixture, metric: sd.SlicedWasserstein, n: int, reps: int,
                g: torch.Generator) -> list[float]:
    """SW2 of ``reps`` independent sets of n exact samples: what a perfect sampler scores."""
    return [metric(target.sample(n, generator=g)) for _ in range(reps)]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    start = time.perf_counter()
    g = torch.Generator().manual_seed(args.seed)
    target = sd.ring_mixture()
    sde = sd.VPSDE()
    data = target.sample(200_000, generator=g).float()

    # ------------------------------------------------------------------ train
    torch.manual_seed(args.seed)
    net = MLP(MLPConfig(dim=2, hidden=args.hidden, depth=3, time_embedding=args.embedding))
    config = TrainConfig(steps=args.steps, batch_size=args.batch_size, lr=args.lr, warmup=min(200, args.steps),
                         ema_decay=0.999, ema_warmup=True, grad_clip=1.0, lr_schedule="cosine",
                         log_every=max(args.steps // 30, 1),
                         checkpoint_every=args.steps, keep_checkpoints=1, seed=args.seed, precision="fp32",
                         loss=sd.DSMLoss(weighting="likelihood", importance_sampling=True, t_min=1e-5))
    trainer = Trainer(net, sde, data, config, args.out)
    trainer.resume()
    if trainer.fit().interrupted:
        print(f"interrupted at step {trainer.step}; saved a checkpoint in {args.out}. Run the same command to resume.")
        return 130
    trained = time.perf_counter()
    model = trainer.score_model(ema=True)

    # ------------------------------------------------------------------ sample
    reference = target.sample(20 * args.n, generator=g)
    metric = sd.SlicedWasserstein(reference, 256, generator=torch.Generator().manual_seed(1))
    floor = noise_floor(target, metric, args.n, 10, g)
    x_T = sde.prior_sample((args.n, 2), generator=g)
    with torch.no_grad():
        em = sd.sample(model, sde, x_T, method="euler_maruyama", steps=args.em_steps, generator=g,
                       return_trajectory=True)
        ode = sd.sample(model, sde, x_T, method="ode", steps=100, rtol=1e-5, atol=1e-5, return_trajectory=True)
    sw_em, sw_ode = metric(em.samples.double()), metric(ode.samples.double())

    # ------------------------------------------------------------------ likelihood
    x_test = target.sample(args.n_nll, generator=g)
    ll = sd.log_likelihood(model, sde, x_test.float(), trace="exact", rtol=1e-5, atol=1e-5)
    true_nll = -target.log_prob(x_test)
    gap = -ll.logp.double() - true_nll
    gap_se = float(gap.std()) / math.sqrt(args.n_nll)
    done = time.perf_counter()

    metrics = {
        "train_steps": trainer.step, "train_seconds": round(trained - start, 1),
        "total_seconds": round(done - start, 1),
        "sw2_euler_maruyama": sw_em, "nfe_euler_maruyama": em.nfe,
        "sw2_ode": sw_ode, "nfe_ode": ode.nfe,
        "sw2_noise_floor_mean": sum(floor) / len(floor), "sw2_noise_floor_range": [min(floor), max(floor)],
        "n_samples": args.n, "nll_model": float(-ll.logp.double().mean()), "nll_true": float(true_nll.mean()),
        "nll_gap": float(gap.mean()), "nll_gap_se": gap_se, "n_nll": args.n_nll, "nll_nfe": ll.nfe,
    }
    (args.out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    figure(target, data, em, ode, args.out / "toy_2d.png", g)

    print(f"\ntrained {trainer.step} steps in {trained - start:.0f} s; total {done - start:.0f} s")
    print(f"{'':28}{'SW2':>9}{'NFE':>7}")
    print(f"{'Euler–Maruyama':28}{sw_em:9.4f}{em.nfe:7d}")
    print(f"{'probability-flow ODE':28}{sw_ode:9.4f}{ode.nfe:7d}")
    print(f"{'noise floor (exact samples)':28}{metrics['sw2_noise_floor_mean']:9.4f}   "
          f"range {min(floor):.4f}–{max(floor):.4f}, n = {args.n}")
    print(f"NLL (nats/point): model {metrics['nll_model']:.4f}, true {metrics['nll_true']:.4f}, "
          f"gap {metrics['nll_gap']:.4f} ± {gap_se:.4f} (paired, {args.n_nll} points, exact trace)")
    print(f"wrote {args.out}/metrics.json, {args.out}/toy_2d.png, log.csv, loss.png, checkpoints/")
    return 0


def figure(target: sd.GaussianMixture, data: torch.Tensor, em: sd.SampleResult, ode: sd.SampleResult,
           path: Path, g: torch.Generator) -> None:
    """Data, EM samples, ODE samples, and a few reverse trajectories of each from the same noise."""
    fig, axes = plt.subplots(1, 4, figsize=(14, 3.6))
    lim = 5.2
    panels = [("exact samples", data[:5000]), (f"Euler–Maruyama ({em.nfe} NFE)", em.samples),
              (f"probability-flow ODE ({ode.nfe} NFE)", ode.samples)]
    for ax, (title, pts) in zip(axes, panels, strict=False):
        p = pts.detach().float().numpy()
        ax.scatter(p[:, 0], p[:, 1], s=1, alpha=0.4, lw=0)
        ax.set_title(title, fontsize=10)
    assert em.trajectory is not None and ode.trajectory is not None
    ax = axes[3]
    for k in range(12):
        ax.plot(ode.trajectory[:, k, 0], ode.trajectory[:, k, 1], lw=1.0, color="tab:blue")
    for k in range(3):  # Brownian paths: a few are enough to see them wander and still land on the ring
        ax.plot(em.trajectory[:, k, 0], em.trajectory[:, k, 1], lw=0.4, color="tab:orange", alpha=0.8)
    ax.scatter(ode.trajectory[0, :12, 0], ode.trajectory[0, :12, 1], s=8, color="k", zorder=3, label="x_T")
    ax.set_title("trajectories: ODE (blue), EM (orange)", fontsize=10)
    ax.legend(loc="lower right", fontsize=8)
    for a in axes:
        a.set_xlim(-lim, lim)
        a.set_ylim(-lim, lim)
        a.set_aspect("equal")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    sys.exit(main())
