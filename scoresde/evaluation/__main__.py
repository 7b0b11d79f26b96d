r"""``python -m scoresde.evaluation PATH``: score samples with Fréchet distance, KID and precision/recall.

PATH is a training run's folder (``examples/vp_sde_cifar.py --out``: n images are sampled from its EMA weights
and written to ``samples.npz`` first), an ``.npz`` of uint8 images (``arr_0``), or a folder of PNGs. The table
gives each metric beside its floor (real images the model never saw, the same n, the same reference); the JSON
written to ``--json`` holds everything, including what was compared.

    python -m scoresde.evaluation runs/vp_sde_cifar --n 1000 --sampler dpm_solver --steps 30
    python -m scoresde.evaluation samples.npz --data cifar10 --inception-weights pt_inception-2015-12-05-6726825d.pth
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import scoresde as sd
from scoresde.data import DataError
from scoresde.evaluation.evaluate import (
    extractor_tag,
    load_run,
    read_images,
    sample_images,
    save_npz,
    score_images,
    table,
)
from scoresde.evaluation.inception import ENV_VAR, WeightsError
from scoresde.training import CheckpointError


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m scoresde.evaluation", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=__doc__.split("\n\n", 1)[1])
    p.add_argument("path", type=Path, help="a run folder, an .npz of uint8 images (arr_0), or a folder of PNGs")
    p.add_argument("--n", type=int, default=1000, help="samples to draw from a run (default 1000)")
    p.add_argument("--sampler", choices=sorted(sd.METHODS), default="dpm_solver", help="sampler for a run")
    p.add_argument("--steps", type=int, default=30, help="sampler steps for a run (default 30)")
    p.add_argument("--batch-size", type=int,
                   help="images per sampler call (default: 64 on a CPU, where larger batches run slower, 500 on a GPU)")
    p.add_argument("--data", choices=["auto", "shapes", "cifar10"], default="auto",
                   help="the data set the images imitate (auto: the run's; for files, cifar10 when Inception "
                        "features are asked for, else shapes)")
    p.add_argument("--data-seed", type=int,
                   help="the built-in set's seed (default: the run's training seed; 0 for files)")
    p.add_argument("--extractor", choices=["auto", "shapes", "inception"], default="auto",
                   help="features (auto: shapes for the built-in data, Inception for CIFAR-10)")
    p.add_argument("--reference", choices=["train", "test"], default="train", help="reference split (default train)")
    p.add_argument("--n-reference", type=int, help="reference images (default: 10000 shapes, the whole split for "
                                                    "CIFAR-10)")
    p.add_argument("--no-floor", action="store_true", help="skip the real-vs-real floor")
    p.add_argument("--inception-weights", type=Path,
                   help=f"pt_inception-2015-12-05-6726825d.pth (default: ${ENV_VAR} or the cache folder)")
    p.add_argument("--data-dir", type=Path, help="the data folder (CIFAR-10, and the reference cache)")
    p.add_argument("--cache-dir", type=Path, help="reference feature cache (default: <data folder>/reference)")
    p.add_argument("--device", default=None, help="cpu, cuda, ... (default: cuda when available)")
    p.add_argument("--seed", type=int, default=0, help="seed of the sampling and of KID's subsets")
    p.add_argument("--json", type=Path, help="where to write the results (default: <run>/evaluation.json for a "
                                             "run, else beside the input)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    import torch

    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    started = time.perf_counter()
    record: dict[str, object] = {"input": str(args.path)}
    try:
        is_run = (args.path / "config.json").is_file()
        run = load_run(args.path, device=device) if is_run else None
        wants_inception = args.extractor == "inception" or args.inception_weights is not None
        if args.data != "auto":
            data = args.data
        else:
            data = run.data if run is not None else ("cifar10" if wants_inception else "shapes")
        extractor = args.extractor if args.extractor != "auto" else ("shapes" if data == "shapes" else "inception")
        extractor_tag(extractor, inception_weights=args.inception_weights)  # missing weights: fail before sampling
        data_seed = args.data_seed if args.data_seed is not None else (run.data_seed if run is not None else 0)
        if run is not None:
            print(f"{args.path}: step {run.step} ({run.checkpoint.name}), {run.data}; sampling {args.n} images with "
                  f"{args.sampler}, {args.steps} steps")
            t0 = time.perf_counter()
            images = sample_images(run.model, run.sde, (args.n, *run.image_shape), method=args.sampler,
                                   steps=args.steps, batch_size=args.batch_size or (64 if device == "cpu" else 500),
                                   generator=torch.Generator().manual_seed(args.seed), progress=True)
            npz = save_npz(images, args.path / f"samples_{args.sampler}_{args.steps}_n{args.n}.npz")
            record["sampling"] = {"checkpoint": str(run.checkpoint), "step": run.step, "method": args.sampler,
                                  "steps": args.steps, "n": args.n, "seed": args.seed,
                                  "seconds": round(time.perf_counter() - t0, 1), "npz": str(npz)}
            out = args.json or args.path / "evaluation.json"
        else:
            images = read_images(args.path)
            out = args.json or args.path.with_name(args.path.name.removesuffix(".npz") + "_evaluation.json")
        print(f"scoring {images.shape[0]} images as {data} with {extractor} features")
        result = score_images(images, data=data, extractor=extractor, reference_split=args.reference,
                              n_reference=args.n_reference, floor=not args.no_floor, data_seed=data_seed,
                              generator=torch.Generator().manual_seed(args.seed), root=args.data_dir,
                              cache_dir=args.cache_dir, inception_weights=args.inception_weights, device=device,
                              progress=True)
    except (WeightsError, DataError, CheckpointError, OSError, ValueError, TypeError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    record.update(result)
    record["total_seconds"] = round(time.perf_counter() - started, 1)
    print(table(result))
    Path(out).write_text(json.dumps(record, indent=2) + "\n")
    print(f"wrote {out} ({record['total_seconds']} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
