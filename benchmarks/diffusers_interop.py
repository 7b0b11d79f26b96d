r"""A diffusers model, trained by scoresde, sampled by diffusers' schedulers and by scoresde's samplers from one noise.

    python benchmarks/diffusers_interop.py                        # train (about 10 min on 2 cores), then score
    python benchmarks/diffusers_interop.py --from-folder DIR      # score a saved pipeline folder instead (12 min)
    python benchmarks/diffusers_interop.py --prediction-type v_prediction   # a v-prediction U-Net instead of ε

1. **Train** a small diffusers `UNet2DModel` (1.06 M parameters, 32×32, no attention) as diffusers' DDPM training
   does — ε-prediction (or v, `--prediction-type`) at the integer timesteps of `DDPMScheduler()` (linear β
   1e-4 … 0.02, N = 1000) — with scoresde's `Trainer`: the network is wrapped by
   `scoresde.interop.DiffusersNet` and the loss is `DSMLoss(steps=1000)` on the scheduler's VP SDE, which draws
   t = i/N, i.e. diffusers' timestep i - 1. Data: the built-in shapes (seed 0), random flips. The EMA weights are
   saved with `DDPMPipeline.save_pretrained`.
2. **Load** that folder back with `from_diffusers(folder)` (safetensors, no network).
3. **Sample** n images from the same x_T at 5, 10, 20 and 50 evaluations (NFE; scoresde's final denoising step
   counted) with diffusers' `DDPMScheduler`, `DDIMScheduler` and `DPMSolverMultistepScheduler` as their pipelines
   run them (their defaults: DDPM and DDIM clip x̂₀ to [-1, 1]) and with scoresde's `ancestral` and `dpm_solver`
   (default grid, and the log-SNR grid). Each cell is scored with the shapes features beside the real-vs-real
   floor at the same n; its samples are written as `.npz` (uint8 NHWC under `arr_0`).
4. **The cost of the time interpolation:** the ε error of the network at its trained timesteps against half-way
   between them, fed as the fractional timestep ("linear") or rounded ("nearest").
5. **bits/dim** of 32 test images by `bits_per_dim` (probability-flow ODE from t_min = 1/N, the first trained time;
   Hutchinson with one Rademacher probe, rtol = atol = 1e-4).

Prints Markdown tables, writes `--out/summary.json`, the figure `--figure` and, per cell, the samples.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import torch
from PIL import Image
from torch import Tensor

import scoresde as sd
from scoresde.data import load_images, random_hflip, to_float, to_uint8
from scoresde.evaluation import save_npz, score_images
from scoresde.interop import DiffusersNet, DiffusersScore, from_diffusers, sde_from_scheduler
from scoresde.training import TrainConfig, Trainer
from scoresde.viz import image_grid

try:
    from diffusers import DDIMScheduler, DDPMPipeline, DDPMScheduler, DPMSolverMultistepScheduler, UNet2DModel
except ImportError:  # pragma: no cover
    sys.exit('this benchmark needs diffusers: pip install -e ".[diffusers]"')

PREDICTION = {"eps": "epsilon", "v": "v_prediction"}
ROWS = ("diffusers DDPM", "diffusers DDIM", "diffusers DPM-Solver++(2M)", "scoresde ancestral",
        "scoresde dpm_solver", "scoresde dpm_solver logsnr", "scoresde ancestral +clip", "scoresde dpm_solver +clip")
"""The samplers compared. diffusers' DDPM and DDIM clip x̂₀ to [-1, 1] by default (their pipelines' setting);
DPM-Solver++ has no such option; "+clip" rows use `from_diffusers(..., clip_sample=1.0)`, the same clipping."""


def make_unet() -> UNet2DModel:
    """The small U-Net: 32×32×3, channels (32, 64, 64), one ResNet block per level, no attention."""
    torch.manual_seed(0)
    return UNet2DModel(sample_size=32, in_channels=3, out_channels=3, block_out_channels=(32, 64, 64),
                       layers_per_block=1, down_block_types=("DownBlock2D",) * 3, up_block_types=("UpBlock2D",) * 3,
                       norm_num_groups=8)


def train(args: argparse.Namespace, folder: Path) -> float:
    """Train the U-Net as diffusers' DDPM training does, with scoresde's Trainer; save the EMA pipeline."""
    scheduler = DDPMScheduler(prediction_type=args.prediction_type)
    sde, predicts = sde_from_scheduler(scheduler)
    unet = make_unet()
    config = TrainConfig(steps=args.train_steps, batch_size=16, lr=2e-3, warmup=100, lr_schedule="cosine",
                         grad_clip=1.0, ema_decay=0.999, ema_warmup=True, log_every=100, checkpoint_every=100_000,
                         keep_checkpoints=1, precision="fp32", progress=False,
                         loss=sd.DSMLoss(steps=scheduler.config.num_train_timesteps, predicts=predicts))
    images = load_images("synthetic", split="train", seed=0).images
    trainer = Trainer(DiffusersNet(unet, scheduler.config.num_train_timesteps), sde, images, config,
                      folder / "train", transform=lambda b, g: random_hflip(to_float(b), generator=g))
    started = time.perf_counter()
    trainer.fit()
    seconds = time.perf_counter() - started
    ema_unet = trainer.ema.module.model  # the DiffusersNet's UNet2DModel, with the EMA weights
    DDPMPipeline(unet=ema_unet, scheduler=scheduler).save_pretrained(folder / "pipeline")
    return seconds


def diffusers_loop(unet: UNet2DModel, scheduler: Any, x: Tensor, steps: int, seed: int) -> Tensor:
    """What a diffusers pipeline does: set the timesteps, then model call and `scheduler.step` per timestep."""
    scheduler.set_timesteps(steps)
    g = torch.Generator().manual_seed(seed)
    for t in scheduler.timesteps:
        x = scheduler.step(unet(x, t).sample, t, x, generator=g).prev_sample
    return x


def draw(row: str, unet: UNet2DModel, sde: sd.SDE, score_fns: dict[bool, Any], x_T: Tensor, nfe: int,
         batch: int) -> Tensor:
    """`n` samples (float, [-1, 1] scale) of one row at `nfe` evaluations, from `x_T`, in batches."""
    out = []
    for i in range(0, len(x_T), batch):
        x, seed = x_T[i:i + batch].clone(), 1000 + i
        if row.startswith("diffusers"):
            cls = {"diffusers DDPM": DDPMScheduler, "diffusers DDIM": DDIMScheduler}.get(row,
                                                                                        DPMSolverMultistepScheduler)
            out.append(diffusers_loop(unet, cls(prediction_type=PREDICTION[score_fns[False].predicts]), x, nfe, seed))
        else:
            method = "ancestral" if "ancestral" in row else "dpm_solver"
            grid = "logsnr" if "logsnr" in row else "quadratic"
            result = sd.sample(score_fns["+clip" in row], sde, x, method=method, steps=nfe - 1, grid=grid,
                               generator=torch.Generator().manual_seed(seed))
            assert result.nfe == nfe
            out.append(result.samples)
    return torch.cat(out)


def interpolation_cost(score_fn: DiffusersScore, sde: sd.SDE, test: Tensor, n: int = 512) -> dict[str, float]:
    """Mean squared ε error at trained timesteps and half-way between them (fractional or rounded timestep)."""
    net = score_fn.net
    g = torch.Generator().manual_seed(7)
    x0 = to_float(test[:n])
    k = torch.randint(0, net.N - 1, (len(x0),), generator=g).double()
    noise = torch.randn(x0.shape, generator=g)
    result = {}
    for name, t, how in (("at timesteps k", (k + 1) / net.N, "linear"),
                         ("half-way, linear", (k + 1.5) / net.N, "linear"),
                         ("half-way, nearest", (k + 1.5) / net.N, "nearest")):
        net.interpolation = how
        x_t = sde.perturb(x0, t, noise)
        with torch.no_grad():
            eps = torch.cat([score_fn.predict(x_t[i:i + 128], t[i:i + 128].float(), "eps")
                             for i in range(0, len(x0), 128)])
        result[name] = float((eps - noise).pow(2).mean())
    net.interpolation = "linear"
    return result


def figure(cells: dict[tuple[str, int], Tensor], nfes: list[int], path: Path) -> None:
    """Rows: samplers; columns: NFE; each cell the first 16 samples as a 4×4 grid."""
    fig, axes = plt.subplots(len(ROWS), len(nfes), figsize=(2.1 * len(nfes), 2.2 * len(ROWS)))
    for r, row in enumerate(ROWS):
        for c, nfe in enumerate(nfes):
            ax = axes[r, c]
            ax.imshow(image_grid(cells[row, nfe][:16], nrow=4))
            ax.set_xticks([])
            ax.set_yticks([])
            if r == 0:
                ax.set_title(f"{nfe} NFE")
            if c == 0:
                ax.set_ylabel(row.replace(" ", "\n", 1), fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=72)
    plt.close(fig)
    Image.open(path).convert("RGB").quantize(colors=256).save(path, optimize=True)  # a palette PNG: a third the size


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, default=Path("runs/diffusers_interop"))
    p.add_argument("--from-folder", type=Path, help="a saved pipeline folder to score instead of training")
    p.add_argument("--train-steps", type=int, default=1500, help="training steps of batch 16")
    p.add_argument("--prediction-type", default="epsilon", choices=("epsilon", "v_prediction"),
                   help="what the trained U-Net predicts (diffusers' prediction_type)")
    p.add_argument("--n", type=int, default=128, help="samples per cell")
    p.add_argument("--nfe", default="5,10,20,50")
    p.add_argument("--seed", type=int, default=0, help="seed of x_T (other seeds measure a cell's spread)")
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--bpd", type=int, default=32, help="test images for bits/dim (0: skip)")
    p.add_argument("--figure", type=Path, default=Path("docs/figures/diffusers_interop.png"))
    p.add_argument("--cache-dir", type=Path, help="reference feature cache (default: the data folder's)")
    p.add_argument("--n-reference", type=int, help="reference images (default: 10 000)")
    p.add_argument("--interp-n", type=int, default=512, help="test images for the interpolation cost")
    args = p.parse_args(argv)
    nfes = [int(v) for v in args.nfe.split(",")]
    args.out.mkdir(parents=True, exist_ok=True)
    summary: dict[str, Any] = {"torch": torch.__version__, "threads": torch.get_num_threads(), "n": args.n}

    folder = args.from_folder
    if folder is None:
        summary["train_seconds"] = round(train(args, args.out), 1)
        summary["train_steps"] = args.train_steps
        folder = args.out / "pipeline"
        print(f"trained {args.train_steps} steps × 16 in {summary['train_seconds']:.0f} s; saved {folder}")
    sde, score_fn = from_diffusers(folder)
    score_fn.eval()
    clipped = from_diffusers(folder, clip_sample=1.0)[1].eval()
    unet = score_fn.net.model
    test = load_images("synthetic", split="test", n_synthetic=512, seed=0).images

    cost = interpolation_cost(score_fn, sde, test, args.interp_n)
    summary["interpolation_eps_mse"] = cost
    print("\n| ε mean squared error | value |\n|---|---|")
    for name, value in cost.items():
        print(f"| {name} | {value:.4f} |")

    x_T = torch.randn((args.n, 3, 32, 32), generator=torch.Generator().manual_seed(args.seed))
    cells: dict[tuple[str, int], Tensor] = {}
    scores: dict[str, dict[str, Any]] = {}
    print(f"\n{args.n} samples per cell from one x_T; shapes Fréchet distance (recognizable rate)\n")
    print("| sampler | " + " | ".join(f"{v} NFE" for v in nfes) + " |\n|---|" + "---|" * len(nfes))
    floor = None
    for row in ROWS:
        line = []
        for nfe in nfes:
            started = time.perf_counter()
            with torch.no_grad():
                samples = draw(row, unet, sde, {False: score_fn, True: clipped}, x_T, nfe, args.batch)
            seconds = time.perf_counter() - started
            images = to_uint8(samples)
            cells[row, nfe] = to_float(images)
            save_npz(images, args.out / "samples" / f"{row.replace(' ', '_')}_{nfe}.npz")
            result = score_images(images, data="shapes", data_seed=0, generator=torch.Generator().manual_seed(0),
                                  floor=floor is None, cache_dir=args.cache_dir,
                                  n_reference=args.n_reference)
            floor = floor or result["floor"]
            m = result["metrics"]
            scores[f"{row} @ {nfe}"] = {"frechet": m["frechet_distance"], "recognizable": m["recognizable_rate"],
                                        "seconds": round(seconds, 1)}
            line.append(f"{m['frechet_distance']:.1f} ({m['recognizable_rate']:.3f})")
        print(f"| {row} | " + " | ".join(line) + " |", flush=True)
    summary["cells"] = scores
    summary["floor"] = {"frechet": floor["frechet_distance"], "recognizable": floor["recognizable_rate"]}
    print(f"| real images (floor, n = {args.n}) | {floor['frechet_distance']:.1f} ({floor['recognizable_rate']:.3f}) |"
          + " |" * (len(nfes) - 1))
    figure(cells, nfes, args.figure)

    if args.bpd:
        started = time.perf_counter()
        images = test[: args.bpd].permute(0, 3, 1, 2).contiguous()  # uint8 NCHW
        bpd = sd.bits_per_dim(score_fn, sde, images, generator=torch.Generator().manual_seed(3), trace="hutchinson",
                              probes=1, probe="rademacher", rtol=1e-4, atol=1e-4, t_min=score_fn.t_min)
        summary["bits_per_dim"] = {"mean": float(bpd.mean()), "se": float(bpd.std() / math.sqrt(bpd.numel())),
                                   "n": bpd.numel(), "t_min": score_fn.t_min,
                                   "seconds": round(time.perf_counter() - started, 1)}
        print(f"\nbits/dim of {bpd.numel()} test images (t_min = {score_fn.t_min:g}): {bpd.mean():.3f} ± "
              f"{bpd.std() / math.sqrt(bpd.numel()):.3f} ({summary['bits_per_dim']['seconds']:.0f} s)")
    (args.out / "summary.json").write_text(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
