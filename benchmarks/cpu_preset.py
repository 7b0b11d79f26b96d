r"""The cpu preset's ablation: each change to the 10-minute CPU run, trained and scored by the same code.

    python benchmarks/cpu_preset.py                          # every variant in order (about an hour on 2 cores)
    python benchmarks/cpu_preset.py --only today,lognormal   # some of them
    python benchmarks/cpu_preset.py --only today --from-run runs/vp_sde_cifar   # score a finished run instead

Each variant is a (U-Net, training config) pair, trained from scratch on the built-in ``shapes`` set (50 000 images,
seed 0) with the example's transform (random horizontal flips). Then n samples (default 1000) are drawn from its EMA
weights by DPM-Solver (30 steps, the same sampler and seed for every variant), scored with the shapes features
beside the real-vs-real floor at the same n (``scoresde.evaluation.score_images``), and, with ``--bpd``, the test
bits/dim are computed by the example's protocol (32 test images, probability-flow ODE, Hutchinson trace with one
Rademacher probe, rtol = atol = 1e-4, t_min = 1e-5). The table gives, per variant: training seconds, Fréchet
distance (and its ratio to the floor), the recognizable rate, the largest departure of a class from its data share
(max over classes of share/data share or its inverse: 2 means some class is at half or twice its share), and bits/dim.

Rows are appended to ``--results`` (JSON lines) as they finish, so a long run can be read while it goes on.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import json
import math
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

import scoresde as sd
from scoresde.data import load_images, random_hflip, to_float
from scoresde.evaluation import load_run, sample_images, score_images
from scoresde.nets import UNet, UNetConfig
from scoresde.training import TrainConfig, Trainer
from scoresde.viz import save_image_grid

TODAY_NET = dataclasses.replace(UNetConfig.tiny(), channels=32, channel_mult=(1, 2, 2), num_res_blocks=1)
TODAY_TRAIN = TrainConfig(steps=950, batch_size=32, lr=2e-3, warmup=50, lr_schedule="cosine", grad_clip=1.0,
                          ema_decay=0.999, ema_warmup=True, log_every=25, checkpoint_every=10_000,
                          keep_checkpoints=1, precision="fp32", progress=False, loss=sd.DSMLoss(predicts="v"))


def _train(net: UNetConfig, **changes: Any) -> TrainConfig:
    loss = changes.pop("loss", {})
    return dataclasses.replace(TODAY_TRAIN, **changes, loss=dataclasses.replace(TODAY_TRAIN.loss, **loss))


def _example_preset() -> tuple[UNetConfig, TrainConfig]:
    """The cpu preset of examples/vp_sde_cifar.py as it is now (the last row must be what users run)."""
    path = Path(__file__).resolve().parent.parent / "examples" / "vp_sde_cifar.py"
    spec = importlib.util.spec_from_file_location("vp_sde_cifar", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    preset = module.PRESETS["cpu"]
    return preset.net, dataclasses.replace(preset.train, checkpoint_every=10_000, keep_checkpoints=1, progress=False)


PATCH_NET = dataclasses.replace(TODAY_NET, patch_size=2)
EDM = {"time_distribution": "lognormal", "lognormal_mean": -1.2, "lognormal_std": 1.2, "weighting": "edm"}
NOW_NET, NOW_TRAIN = _example_preset()

VARIANTS: dict[str, tuple[str, UNetConfig, TrainConfig]] = {
    "today": ("the cpu preset before: U-Net on pixels, uniform t, ε-loss, 950 × 32", TODAY_NET, TODAY_TRAIN),
    "patch2": ("+ the U-Net on 2×2 patches (2.5× the images/s)", PATCH_NET, _train(PATCH_NET)),
    "edm": ("+ log-normal noise levels and the EDM weight", PATCH_NET, _train(PATCH_NET, loss=EDM)),
    "now": ("+ batch 16, 2000 steps, 100 warm-up steps: the cpu preset now", NOW_NET, NOW_TRAIN),
    "wide": ("(not kept) now + a wider log-normal, P_std 1.6, and 2400 steps", NOW_NET,
             dataclasses.replace(NOW_TRAIN, steps=2400, loss=dataclasses.replace(NOW_TRAIN.loss, lognormal_std=1.6))),
}


def flip_to_float(batch: Tensor, g: torch.Generator) -> Tensor:
    """The example's training transform: uint8 NHWC → float NCHW in [-1, 1], random horizontal flips."""
    return random_hflip(to_float(batch), generator=g)


def bits_per_dim(model: sd.ScoreFn, sde: sd.SDE, test: Tensor) -> tuple[float, float]:
    """The example's protocol: 32 test images, PF-ODE, Hutchinson (1 Rademacher probe), tol 1e-4, t_min 1e-5."""
    images = test[:32].permute(0, 3, 1, 2).contiguous()
    bpd = sd.bits_per_dim(model, sde, images, generator=torch.Generator().manual_seed(3), trace="hutchinson",
                          probes=1, probe="rademacher", rtol=1e-4, atol=1e-4, t_min=1e-5)
    return float(bpd.mean()), float(bpd.std() / math.sqrt(bpd.numel()))


def score(model: sd.ScoreFn, sde: sd.SDE, n: int, steps: int, grid: Path | None = None, *,
          n_reference: int | None = None, cache_dir: Path | None = None) -> dict[str, Any]:
    """Draw n samples by DPM-Solver (seed 0), score them beside the floor; the first 64 go to ``grid`` (a PNG)."""
    started = time.perf_counter()
    with torch.no_grad():
        images = sample_images(model, sde, (n, 3, 32, 32), method="dpm_solver", steps=steps, batch_size=64,
                               generator=torch.Generator().manual_seed(0), progress=False)
    sample_s = time.perf_counter() - started
    if grid is not None:
        grid.parent.mkdir(parents=True, exist_ok=True)
        save_image_grid(to_float(images[:64]), grid)
    result = score_images(images, data="shapes", data_seed=0, generator=torch.Generator().manual_seed(0),
                          n_reference=n_reference, cache_dir=cache_dir)
    m, floor = result["metrics"], result["floor"]
    hist, data_hist = m["class_histogram"], floor["class_histogram"]
    worst = max((max(hist[k] / data_hist[k], data_hist[k] / hist[k]) if hist[k] > 0 else math.inf
                 for k in data_hist if k != "none" and data_hist[k] > 0), default=math.nan)
    return {"n": n, "sample_steps": steps, "sample_seconds": round(sample_s, 1),
            "frechet": m["frechet_distance"], "floor_frechet": floor["frechet_distance"],
            "recognizable": m["recognizable_rate"], "floor_recognizable": floor["recognizable_rate"],
            "worst_class_ratio": worst, "histogram": hist, "data_histogram": data_hist}


def run_variant(name: str, args: argparse.Namespace, train_images: Tensor, test_images: Tensor) -> dict[str, Any]:
    what, net_cfg, train_cfg = VARIANTS[name]
    if args.steps is not None:
        train_cfg = dataclasses.replace(train_cfg, steps=args.steps, warmup=min(train_cfg.warmup, args.steps))
    sde = sd.VPSDE(beta_min=0.1, beta_max=20.0)
    recorded: dict[str, Any] = {}
    if args.from_run is not None:
        run = load_run(args.from_run)
        model, params = run.model, sum(p.numel() for p in run.model.parameters())
        metrics_file = args.from_run / "metrics.json"
        recorded = json.loads(metrics_file.read_text()) if metrics_file.exists() else {}
        train_s = float(recorded.get("train_seconds", float("nan")))
    else:
        torch.manual_seed(0)
        net = UNet(net_cfg)
        params = sum(p.numel() for p in net.parameters())
        with tempfile.TemporaryDirectory() as tmp:
            trainer = Trainer(net, sde, train_images, train_cfg, tmp, transform=flip_to_float)
            started = time.perf_counter()
            trainer.fit()
            train_s = time.perf_counter() - started
        model = trainer.score_model(ema=True).eval()
    row: dict[str, Any] = {"variant": name, "what": what, "params": params, "train_seconds": round(train_s, 1),
                           "steps": train_cfg.steps, "batch_size": train_cfg.batch_size,
                           **score(model, sde, args.n, args.sample_steps,
                                   args.grids / f"{name}.png" if args.grids else None,
                                   n_reference=args.n_reference, cache_dir=args.cache_dir)}
    if "test_bits_per_dim" in recorded and not args.bpd:  # the run's own, by the same protocol
        row["bpd"], row["bpd_se"] = recorded["test_bits_per_dim"]["mean"], recorded["test_bits_per_dim"]["se"]
        row["total_seconds"] = recorded.get("total_seconds")
    elif args.bpd:
        started = time.perf_counter()
        row["bpd"], row["bpd_se"] = bits_per_dim(model, sde, test_images)
        row["bpd_seconds"] = round(time.perf_counter() - started, 1)
    return row


def print_row(row: dict[str, Any]) -> None:
    bpd = f"{row['bpd']:.3f} ± {row['bpd_se']:.3f}" if "bpd" in row else "—"
    print(f"| {row['variant']} | {row['what']} | {row['params'] / 1e6:.2f}M | {row['steps']} × {row['batch_size']} | "
          f"{row['train_seconds']:.0f} | {row['frechet']:.2f} ({row['frechet'] / row['floor_frechet']:.0f}×) | "
          f"{row['recognizable']:.3f} | {row['worst_class_ratio']:.2f} | {bpd} |", flush=True)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--only", help=f"comma-separated variants (default: all of {', '.join(VARIANTS)})")
    p.add_argument("--n", type=int, default=1000, help="samples scored per variant")
    p.add_argument("--sample-steps", type=int, default=30, help="DPM-Solver steps of the scored samples")
    p.add_argument("--bpd", action="store_true", help="also test bits/dim (the example's protocol)")
    p.add_argument("--from-run", type=Path, help="score this run folder of examples/vp_sde_cifar.py instead of "
                                                 "training (with a single --only variant); its training seconds "
                                                 "and bits/dim are read from its metrics.json")
    p.add_argument("--results", type=Path, default=Path("benchmarks/results/cpu_preset.jsonl"))
    p.add_argument("--grids", type=Path, help="folder for a PNG of each variant's first 64 samples")
    p.add_argument("--steps", type=int, help="train every variant this many steps instead (a quick check)")
    p.add_argument("--n-reference", type=int, help="reference images (default: 10 000)")
    p.add_argument("--cache-dir", type=Path, help="reference feature cache (default: the data folder's)")
    args = p.parse_args(argv)
    names = args.only.split(",") if args.only else list(VARIANTS)
    unknown = [n for n in names if n not in VARIANTS]
    if unknown:
        p.error(f"unknown variants {unknown}; choose from {list(VARIANTS)}")
    if args.from_run is not None and len(names) != 1:
        p.error("--from-run scores one run: pass a single --only variant")
    train = load_images("synthetic", split="train", seed=0).images
    test = load_images("synthetic", split="test", n_synthetic=64, seed=0).images
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; {args.n} samples per variant by "
          f"DPM-Solver {args.sample_steps} steps")
    print("| variant | change | params | steps × batch | train s | Fréchet (× floor) | recognizable | "
          "worst class ratio | bits/dim |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name in names:
        row = run_variant(name, args, train, test)
        print_row(row)
        args.results.parent.mkdir(parents=True, exist_ok=True)
        with open(args.results, "a") as f:
            f.write(json.dumps({**row, "torch": torch.__version__, "date": time.strftime("%Y-%m-%d %H:%M")}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
