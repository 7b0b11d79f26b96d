r"""Sample a diffusers model you already have with scoresde's samplers, offline, and measure its likelihood.

    python examples/sample_diffusers.py path/to/pipeline-folder                  # DPM-Solver++, 10 evaluations
    python examples/sample_diffusers.py path/to/folder --method ancestral --nfe 50 --clip-sample
    python examples/sample_diffusers.py path/to/folder --bpd path/to/images.npz  # bits/dim of uint8 NHWC images

The folder is one written by `save_pretrained` — a pipeline (`model_index.json`, `unet/`, `scheduler/`) or a model
folder with `--scheduler path/to/scheduler_config.json` — loaded from safetensors with no network access by
`scoresde.interop.from_diffusers`. The samples go to `--out` as a PNG grid and as `samples.npz` (uint8 `(n, H, W, C)`
under `arr_0`, as every scoring tool reads them). `--nfe` counts every network evaluation, the final denoising step
included. docs/interop.md explains the mapping.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

import scoresde as sd
from scoresde.data import to_float, to_uint8
from scoresde.evaluation import save_npz
from scoresde.interop import from_diffusers
from scoresde.viz import save_image_grid

ONE_EVALUATION_PER_STEP = ("dpm_solver", "ddim", "ancestral", "euler_maruyama")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("folder", type=Path, help="a folder written by save_pretrained (pipeline or model)")
    p.add_argument("--scheduler", type=Path, help="scheduler_config.json, for a model folder without one")
    p.add_argument("--method", default="dpm_solver", choices=ONE_EVALUATION_PER_STEP,
                   help="the sampler (one of those that evaluate the network once per step)")
    p.add_argument("--nfe", type=int, default=10, help="network evaluations, the final denoising step included")
    p.add_argument("--n", type=int, default=16, help="samples")
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--clip-sample", action="store_true", help="clip x̂₀ to [-1, 1], as diffusers' DDPM/DDIM do")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--bpd", type=Path, help="an .npz of uint8 (n, H, W, C) images: report their bits/dim")
    p.add_argument("--out", type=Path, default=Path("runs/sample_diffusers"))
    args = p.parse_args(argv)
    if args.nfe < 2:
        p.error(f"--nfe must be at least 2 (one step and the final denoising step); got {args.nfe}")

    sde, score_fn = from_diffusers(args.folder, args.scheduler, clip_sample=1.0 if args.clip_sample else None)
    score_fn.eval()
    net = score_fn.net
    shape = (args.n, net.in_channels or 3, *(net.sample_size or (32, 32)))
    print(f"loaded {type(net.model).__name__} ({sum(q.numel() for q in net.model.parameters()) / 1e6:.2f} M "
          f"parameters), predicts {score_fn.predicts}, N = {net.N}; {sde!r}")

    g = torch.Generator().manual_seed(args.seed)
    started, batches = time.perf_counter(), []
    with torch.no_grad():
        for i in range(0, args.n, args.batch):
            size = min(args.batch, args.n - i)
            result = sd.sample(score_fn, sde, (size, *shape[1:]), method=args.method, steps=args.nfe - 1,
                               t_min=score_fn.t_min, generator=g)
            batches.append(result.samples)
    images = to_uint8(torch.cat(batches))
    seconds = time.perf_counter() - started
    args.out.mkdir(parents=True, exist_ok=True)
    save_npz(images, args.out / "samples.npz")
    save_image_grid(to_float(images), args.out / "samples.png")
    summary = {"method": args.method, "nfe": args.nfe, "n": args.n, "clip_sample": args.clip_sample,
               "seconds": round(seconds, 1)}
    print(f"{args.n} samples by {args.method} at {args.nfe} evaluations in {seconds:.1f} s -> "
          f"{args.out / 'samples.png'}, {args.out / 'samples.npz'}")

    if args.bpd is not None:
        data = torch.from_numpy(np.load(args.bpd)["arr_0"]).permute(0, 3, 1, 2).contiguous()
        bpd = sd.bits_per_dim(score_fn, sde, data, generator=torch.Generator().manual_seed(args.seed),
                              trace="hutchinson", probes=1, rtol=1e-4, atol=1e-4, t_min=score_fn.t_min)
        summary["bits_per_dim"] = float(bpd.mean())
        print(f"bits/dim of {len(data)} images: {float(bpd.mean()):.3f}")
    (args.out / "summary.json").write_text(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
