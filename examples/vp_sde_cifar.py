r"""Train a score model under the VP SDE on CIFAR-10 (or the built-in data set), sample from it, and evaluate it.

    python examples/vp_sde_cifar.py                        # the CPU preset: about 10 minutes on 2 cores
    python examples/vp_sde_cifar.py --preset paper --device cuda       # Song et al. 2021, DDPM++ cont. (VP)
    torchrun --nproc_per_node=4 examples/vp_sde_cifar.py --preset paper   # the same on 4 GPUs

CIFAR-10 is read from --data-dir, $SCORESDE_DATA or ~/.cache/scoresde (the official python-version archive or its
extracted folder); --download fetches it (MD5-checked). Without it the script trains on the built-in procedural
data set and says so. Run the same command again to resume an interrupted run (Ctrl-C or SIGTERM saves first).

The output folder receives: config.json, checkpoints/, log.csv, loss.png, forward_noising.png (real images under
the forward SDE), samples_<sampler>.png and samples_ode.png (from the EMA weights, NFE in metrics.json),
inpainting.png (with --inpaint), and metrics.json: test bits/dim by the probability-flow ODE (Hutchinson trace,
stated with the number of images), next to the bits/dim of a diagonal Gaussian fitted to the training set and
computed by the same code path (whose exact value is also known, as a check of that path).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import sys
import time
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

import scoresde as sd
from scoresde.data import DataError, load_images, random_hflip, to_float, to_uint8
from scoresde.evaluation import WeightsError, sample_images, save_npz, score_images, table
from scoresde.nets import UNet, UNetConfig
from scoresde.training import (
    CheckpointError,
    TrainConfig,
    Trainer,
    cleanup_distributed,
    init_distributed,
)
from scoresde.viz import progress_bar, save_image_grid


@dataclasses.dataclass(frozen=True)
class Preset:
    """A network, a training run, and how much to sample and evaluate."""

    net: UNetConfig
    train: TrainConfig
    n_train: int | None  # built-in data set size (None: 50 000); CIFAR-10 always uses its 50 000
    n_samples: int
    sample_steps: int
    ode_tol: float
    n_eval: int
    eval_tol: float
    n_quality: int  # samples scored by Fréchet distance, KID, precision/recall (samples.npz)
    quality_sampler: tuple[str, int]  # (method, steps) that draws them
    n_reference: int | None  # reference images (None: 10 000 built-in, or the whole CIFAR-10 training set)
    note: str


PRESETS = {
    "cpu": Preset(  # each choice measured: benchmarks/cpu_preset.py, docs/training.md
        net=dataclasses.replace(UNetConfig.tiny(), patch_size=2),
        train=TrainConfig(steps=2000, batch_size=16, lr=2e-3, warmup=100, lr_schedule="cosine", grad_clip=1.0,
                          ema_decay=0.999, ema_warmup=True, log_every=50, checkpoint_every=200, keep_checkpoints=2,
                          precision="fp32", loss=sd.DSMLoss(predicts="v", time_distribution="lognormal",
                                                            weighting="edm")),
        n_train=None, n_samples=64, sample_steps=100, ode_tol=1e-3, n_eval=32, eval_tol=1e-4,
        n_quality=256, quality_sampler=("dpm_solver", 20), n_reference=None,
        note="a 1.3M-parameter U-Net on 2×2 patches, ~5 minutes of training on 2 CPU cores, then sampling, "
             "bits/dim and sample quality"),
    "paper": Preset(
        net=UNetConfig.ddpmpp_cifar10(),
        train=TrainConfig(steps=1_300_000, batch_size=128, lr=2e-4, warmup=5000, grad_clip=1.0, ema_decay=0.9999,
                          log_every=100, checkpoint_every=10_000, keep_checkpoints=3, sample_every=50_000,
                          precision="auto"),
        n_train=None, n_samples=64, sample_steps=1000, ode_tol=1e-5, n_eval=10_000, eval_tol=1e-5,
        n_quality=50_000, quality_sampler=("euler_maruyama", 1000), n_reference=None,
        note="Song et al. 2021, CIFAR-10 DDPM++ cont. (VP): Adam 2e-4, warm-up 5000, clip 1, batch 128, "
             "EMA 0.9999, 1.3M iterations, β 0.1 → 20"),
    "smoke": Preset(
        net=UNetConfig(channels=16, channel_mult=(1, 2), num_res_blocks=1, attn_resolutions=(16,), dropout=0.0),
        train=TrainConfig(steps=4, batch_size=8, lr=1e-3, warmup=2, ema_decay=0.9, log_every=2, checkpoint_every=2,
                          keep_checkpoints=2, precision="fp32", progress=False),
        n_train=64, n_samples=4, sample_steps=4, ode_tol=1e-2, n_eval=2, eval_tol=1e-2,
        n_quality=8, quality_sampler=("dpm_solver", 4), n_reference=64,
        note="seconds: for tests"),
}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], epilog="presets:\n" + "\n".join(
            f"  {name:7} {preset.note}" for name, preset in PRESETS.items()),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--preset", choices=sorted(PRESETS), default="cpu", help="configuration (default: cpu)")
    p.add_argument("--out", type=Path, default=Path("runs/vp_sde_cifar"), help="output folder")
    p.add_argument("--device", default=None, help="cpu, cuda, ... (default: cuda when available)")
    p.add_argument("--steps", type=int, help="training steps (default: the preset's)")
    p.add_argument("--batch-size", type=int, help="global batch size (default: the preset's)")
    p.add_argument("--resume", default="auto",
                   help="'auto' (the newest checkpoint in --out/checkpoints, if any), 'never', or a checkpoint path")
    p.add_argument("--sampler", choices=sorted(sd.METHODS), default="euler_maruyama",
                   help="sampler of the first sample grid (the probability-flow ODE grid is always made)")
    p.add_argument("--sample-steps", type=int, help="steps of --sampler (default: the preset's)")
    p.add_argument("--eval-images", type=int, help="test images for bits/dim (default: the preset's)")
    p.add_argument("--inpaint", action="store_true", help="also inpaint the centre of test images")
    p.add_argument("--quality-n", type=int, help="samples scored by Fréchet distance, KID and precision/recall, "
                                                  "written to samples.npz (default: the preset's; 0: none)")
    p.add_argument("--inception-weights", type=Path,
                   help="pt_inception-2015-12-05-6726825d.pth for the CIFAR-10 metrics (default: "
                        "$SCORESDE_INCEPTION_WEIGHTS or the cache folder)")
    p.add_argument("--data", choices=["auto", "cifar10", "synthetic"], default="auto",
                   help="auto: CIFAR-10 if found, else the built-in set")
    p.add_argument("--data-dir", type=Path, help="folder holding CIFAR-10 (default: $SCORESDE_DATA or the cache)")
    p.add_argument("--download", action="store_true", help="download CIFAR-10 if it is not found")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    return p.parse_args(argv)


def build_config(args: argparse.Namespace) -> tuple[Preset, TrainConfig]:
    preset = PRESETS[args.preset]
    if args.quality_n is not None and (args.quality_n < 0 or 0 < args.quality_n < 4):
        raise ValueError(f"--quality-n must be 0 (no scoring) or at least 4 (precision/recall needs k + 1 = 4 "
                         f"images); got {args.quality_n}")
    changes: dict[str, Any] = {"seed": args.seed}
    if args.steps is not None:
        changes["steps"] = args.steps
    if args.batch_size is not None:
        changes["batch_size"] = args.batch_size
    return preset, dataclasses.replace(preset.train, **changes)


def flip_to_float(batch: Tensor, g: torch.Generator) -> Tensor:
    """The training transform: uint8 NHWC → float NCHW in [-1, 1], random horizontal flips."""
    return random_hflip(to_float(batch), generator=g)


def diagonal_gaussian(train: Tensor, g: torch.Generator) -> tuple[Tensor, Tensor]:
    """Per-dimension mean and variance of the dequantized training images x = (n + u)/128 - 1."""
    x = (train.permute(0, 3, 1, 2).double() + torch.rand(train.permute(0, 3, 1, 2).shape, generator=g,
                                                          dtype=torch.float64)) / 128 - 1
    return x.mean(0), x.var(0)


def gaussian_score(sde: sd.SDE, mean: Tensor, var: Tensor) -> sd.ScoreFn:
    """The exact score of N(α m, α² v + σ²) at time t, for data N(m, diag(v))."""

    def score(x: Tensor, t: Tensor) -> Tensor:
        alpha, sigma = (sd.append_dims(c, x.ndim).to(x) for c in sde.marginal(t))
        m, v = mean.to(x), var.to(x)
        return -(x - alpha * m) / (alpha**2 * v + sigma**2)

    return score


def gaussian_bpd_exact(images: Tensor, u: Tensor, sde: sd.SDE, mean: Tensor, var: Tensor, t_min: float) -> Tensor:
    """bits/dim of the same dequantized points under p_{t_min} of the Gaussian, in closed form."""
    x = (images.double() + u) / 128 - 1
    alpha, sigma = (float(c) for c in sde.marginal(t_min))
    v = alpha**2 * var + sigma**2
    logp = -0.5 * (((x - alpha * mean) ** 2) / v + torch.log(2 * math.pi * v)).flatten(1).sum(1)
    d = x[0].numel()
    return -logp / (d * math.log(2)) + 7


def counted(score_fn: sd.ScoreFn, bar: Any) -> sd.ScoreFn:
    """The score function, advancing a progress bar by one per network evaluation (samplers and ODE solves alike)."""

    def score(x: Tensor, t: Tensor) -> Tensor:
        bar.update(1)
        return score_fn(x, t)

    return score


def forward_noising_grid(sde: sd.SDE, images: Tensor, path: Path, g: torch.Generator) -> list[float]:
    """Rows: real images; columns: x_t = α(t) x_0 + σ(t) ε at increasing t, one ε per image."""
    times = [0.0, 0.05, 0.1, 0.2, 0.3, 0.45, 0.6, 1.0]
    x0 = to_float(images)
    noise = torch.randn(x0.shape, generator=g)
    cols = [sde.perturb(x0, t, noise) for t in times]
    grid = torch.stack(cols, 1).reshape(-1, *x0.shape[1:])
    save_image_grid(grid, path, nrow=len(times))
    return times


def sample_quality(args: argparse.Namespace, preset: Preset, model: sd.ScoreModel, sde: sd.SDE, n: int,
                   data_name: str) -> dict[str, Any]:
    """Draw n samples with the preset's quality sampler, write them to samples.npz, and score them (shapes
    features on the built-in data, Inception on CIFAR-10 when its weights are there) beside the real-vs-real floor."""
    method, steps = preset.quality_sampler
    started = time.perf_counter()
    device = next(model.parameters()).device
    images = sample_images(model, sde, (n, *preset_image_shape(preset)), method=method, steps=steps,
                           batch_size=64 if device.type == "cpu" else 500,  # measured: 92 vs 58 images/s on 2 cores
                           generator=torch.Generator().manual_seed(args.seed + 4), progress=True)
    save_npz(images, args.out / "samples.npz")
    record: dict[str, Any] = {"file": "samples.npz", "n": n, "method": method, "steps": steps,
                              "sampling_seconds": round(time.perf_counter() - started, 1)}
    try:
        result = score_images(images, data=data_name, n_reference=preset.n_reference, root=args.data_dir,
                              data_seed=args.seed, generator=torch.Generator().manual_seed(args.seed + 5),
                              inception_weights=args.inception_weights, device=device, progress=True)
    except (WeightsError, DataError, ValueError) as err:
        print(f"  sample quality: not scored ({err}); samples.npz can be scored later by python -m "
              f"scoresde.evaluation")
        return {**record, "skipped": str(err)}
    print("  " + table(result).replace("\n", "\n  "))
    return {**record, **result}


def preset_image_shape(preset: Preset) -> tuple[int, int, int]:
    return (preset.net.in_channels, preset.net.resolution, preset.net.resolution)


def evaluate(args: argparse.Namespace, preset: Preset, trainer: Trainer, train_images: Tensor,
             test_images: Tensor, data_name: str) -> dict[str, Any]:
    """Sample grids, forward noising, bits/dim of model and baseline, inpainting; returns metrics."""
    out, sde, device = args.out, trainer.sde, trainer.dist.device
    g = torch.Generator().manual_seed(args.seed + 1)
    model = trainer.score_model(ema=True)
    model.eval()
    metrics: dict[str, Any] = {}

    times = forward_noising_grid(sde, train_images[:8], out / "forward_noising.png", g)
    metrics["forward_noising_times"] = times

    shape = (preset.n_samples, *to_float(train_images[:1]).shape[1:])
    x_T = sde.prior_sample(shape, generator=g).to(device)
    steps = args.sample_steps or preset.sample_steps
    samplers = {args.sampler: {"steps": steps}, "ode": {"rtol": preset.ode_tol, "atol": preset.ode_tol}}
    metrics["samples"] = {}
    for method, opts in samplers.items():
        started = time.perf_counter()
        with torch.no_grad(), progress_bar(total=opts.get("steps"), desc=f"samples_{method}.png",
                                           unit="eval") as bar:
            kwargs = {"steps": opts["steps"]} if "steps" in opts else {"rtol": opts["rtol"], "atol": opts["atol"]}
            res = sd.sample(counted(model, bar), sde, x_T, method=method,
                            generator=torch.Generator(device).manual_seed(args.seed), **kwargs)
        save_image_grid(res.samples, out / f"samples_{method}.png")
        save_npz(to_uint8(res.samples.cpu()), out / f"samples_{method}.npz")
        metrics["samples"][method] = {**opts, "nfe": res.nfe, "seconds": round(time.perf_counter() - started, 1),
                                      "file": f"samples_{method}.png", "npz": f"samples_{method}.npz"}
        print(f"  samples_{method}.png: {preset.n_samples} images, NFE {res.nfe}, "
              f"{time.perf_counter() - started:.0f} s")

    n_eval = min(args.eval_images or preset.n_eval, test_images.shape[0])
    images = test_images[:n_eval].permute(0, 3, 1, 2).contiguous()
    mean, var = diagonal_gaussian(train_images, torch.Generator().manual_seed(args.seed + 2))
    ode = {"trace": "hutchinson", "probes": 1, "probe": "rademacher", "rtol": preset.eval_tol,
           "atol": preset.eval_tol, "t_min": 1e-5}
    started = time.perf_counter()
    with progress_bar(desc="test bits/dim (probability-flow ODE)", unit="eval") as bar:
        bpd = sd.bits_per_dim(counted(model, bar), sde, images.to(device),
                              generator=torch.Generator().manual_seed(args.seed + 3), **ode)
    model_s = time.perf_counter() - started
    baseline = sd.bits_per_dim(gaussian_score(sde, mean, var), sde, images,
                               generator=torch.Generator().manual_seed(args.seed + 3), dtype=torch.float64, **ode)
    u = torch.rand(images.shape, generator=torch.Generator().manual_seed(args.seed + 3), dtype=torch.float64)
    exact = gaussian_bpd_exact(images, u, sde, mean, var, 1e-5)

    def summary(v: Tensor) -> dict[str, float]:
        return {"mean": float(v.double().mean()), "se": float(v.double().std() / math.sqrt(v.numel()))
                if v.numel() > 1 else float("nan")}

    metrics["test_bits_per_dim"] = {**summary(bpd), "n_images": n_eval, **ode, "seconds": round(model_s, 1),
                                    "method": "probability-flow ODE (dopri5) + instantaneous change of variables"}
    metrics["baseline_bits_per_dim"] = {**summary(baseline), "exact_closed_form": summary(exact)["mean"],
                                        "what": "diagonal Gaussian fitted to the dequantized training set, "
                                                "its exact score through the same bits_per_dim call"}
    print(f"  test bits/dim: model {metrics['test_bits_per_dim']['mean']:.3f} ± "
          f"{metrics['test_bits_per_dim']['se']:.3f}, diagonal-Gaussian baseline "
          f"{metrics['baseline_bits_per_dim']['mean']:.3f} (closed form {float(exact.mean()):.3f}); "
          f"{n_eval} test images, Hutchinson trace (1 Rademacher probe), {model_s:.0f} s")

    n_quality = preset.n_quality if args.quality_n is None else args.quality_n
    if n_quality:
        metrics["sample_quality"] = sample_quality(args, preset, model, sde, n_quality, data_name)

    if args.inpaint:
        y = to_float(test_images[:8]).to(device)
        mask = torch.ones_like(y[:1, :1])
        r = y.shape[-1]
        mask[..., r // 4: 3 * r // 4, r // 4: 3 * r // 4] = 0
        filled = sd.inpaint(model, sde, y, mask, steps=steps, generator=torch.Generator(device).manual_seed(args.seed))
        save_image_grid(torch.cat([y, y * mask, filled]), out / "inpainting.png", nrow=8)
        metrics["inpainting"] = {"file": "inpainting.png", "rows": "original, masked (centre 16x16), inpainted",
                                 "method": "pc", "steps": steps}
    return metrics


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    start = time.perf_counter()
    info = init_distributed(args.device)
    say = print if info.is_main else (lambda *a, **k: None)
    try:
        preset, config = build_config(args)
        train = load_images(args.data, args.data_dir, download=args.download, split="train",
                            n_synthetic=preset.n_train, seed=args.seed)
        test = load_images(args.data, args.data_dir, download=False, split="test",
                           n_synthetic=max(preset.n_eval, 64) if preset.n_train else None, seed=args.seed)
        say(train.message)
        sde = sd.VPSDE(beta_min=0.1, beta_max=20.0)
        torch.manual_seed(args.seed)
        net = UNet(preset.net)
        trainer = Trainer(net, sde, train.images, config, args.out, transform=flip_to_float, dist_info=info)
        record = {"preset": args.preset, "data": train.name, "sde": repr(sde), "net": preset.net.to_dict(),
                  "train": config.to_dict(), "world_size": info.world_size}
        resumed = resume(args, trainer)
    except (DataError, CheckpointError, ValueError, TypeError) as err:
        say(f"error: {err}", file=sys.stderr)
        cleanup_distributed()
        return 2
    if info.is_main:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "config.json").write_text(json.dumps(record, indent=2) + "\n")
    n_params = sum(p.numel() for p in net.parameters())
    say(f"{'resumed from ' + str(resumed) if resumed else 'starting'} at step {trainer.step}; preset {args.preset}: "
        f"U-Net {n_params / 1e6:.2f}M parameters, {config.steps} steps of batch {config.batch_size} on "
        f"{info.world_size} × {info.device}")
    result = trainer.fit()
    train_s = time.perf_counter() - start
    if result.interrupted:
        say(f"interrupted at step {result.step}; saved {result.checkpoint}. Run the same command to resume.")
        cleanup_distributed()
        return 130
    metrics: dict[str, Any] = {}
    if info.is_main:
        say(f"trained to step {trainer.step} in {train_s:.0f} s; evaluating (rank 0)")
        metrics = evaluate(args, preset, trainer, train.images, test.images, train.name)
        metrics = {"data": train.name, "steps": trainer.step, "train_seconds": round(train_s, 1), **metrics,
                   "total_seconds": round(time.perf_counter() - start, 1)}
        (args.out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
        say(summary(args.out, config, metrics))
    cleanup_distributed()
    return 0


def summary(out: Path, config: TrainConfig, metrics: dict[str, Any]) -> str:
    """The closing table: what was measured and where the pictures and numbers are."""
    rows = [("training", f"{metrics['steps']} steps of batch {config.batch_size} in {metrics['train_seconds']:.0f} s",
             "log.csv, loss.png, checkpoints/")]
    for method, s in metrics["samples"].items():
        rows.append((f"samples, {method}", f"{s['nfe']} evaluations, {s['seconds']:.0f} s", s["file"]))
    bpd, base = metrics["test_bits_per_dim"], metrics["baseline_bits_per_dim"]
    rows.append(("test bits/dim", f"{bpd['mean']:.3f} ± {bpd['se']:.3f} ({bpd['n_images']} images; diagonal "
                 f"Gaussian {base['mean']:.2f})", "metrics.json"))
    quality = metrics.get("sample_quality")
    if quality and "metrics" in quality:
        m, f = quality["metrics"], quality["floor"]
        text = f"Fréchet {m['frechet_distance']:.2f} (real data: {f['frechet_distance']:.2f})"
        if "recognizable_rate" in m:
            text += f", recognizable {m['recognizable_rate']:.0%} (real data: {f['recognizable_rate']:.0%})"
        rows.append((f"sample quality, n = {quality['n']}", text, quality["file"]))
    rows.append(("total", f"{metrics['total_seconds'] / 60:.1f} min", f"{out}/"))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = ["", "summary"] + ["  " + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
                               for r in rows]
    return "\n".join(lines)


def resume(args: argparse.Namespace, trainer: Trainer) -> Path | None:
    """Continue the run in --out (or from the checkpoint named), or refuse to overwrite one."""
    if args.resume == "auto":
        return trainer.resume()
    if args.resume == "never":
        if trainer.checkpoints is not None and trainer.checkpoints.steps():
            raise ValueError(f"{args.out} already holds checkpoints of a run; pass --resume auto to continue it "
                             f"or choose another --out")
        return None
    return trainer.resume(Path(args.resume))


if __name__ == "__main__":
    sys.exit(main())
