r"""Sample-quality metrics on the shapes features: the real-vs-real floors, feature throughput, and a run's scores.

    python benchmarks/evaluation.py                              # floors at n = 1k, 5k, 10k and throughput
    python benchmarks/evaluation.py --run runs/vp_sde_cifar --n 1000 --sampler dpm_solver --steps 30

The floor of a metric at n is its value for n real images the model never saw (the test split of seed 0)
against the reference (10 000 images of the training split), both with i.i.d. labels
(``synthetic_images(..., balanced=False)``): what a perfect model scores at that n.
Fréchet distance and KID are biased upwards at small n (the Fréchet distance by about tr(Σ)/n), so a score
means something only beside the floor at the same n. With ``--run``, n images are sampled from the run's EMA
weights, written to ``samples_<sampler>_<steps>_n<n>.npz`` in the run folder, and scored beside the floor at that n.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import torch

from scoresde.data import synthetic_images
from scoresde.evaluation import (
    Features,
    extract,
    load_run,
    quality,
    reference_features,
    sample_images,
    save_npz,
    score_images,
    table,
)


def floors(ns: list[int], n_reference: int, cache: Path | None) -> list[dict[str, Any]]:
    real = reference_features("shapes", "train", "shapes", n_reference, cache_dir=cache)
    rows = []
    for n in ns:
        held_out = reference_features("shapes", "test", "shapes", n, cache_dir=cache)
        rows.append(quality(real, held_out, generator=torch.Generator().manual_seed(0)))
    return rows


def spread(n: int, draws: int, n_reference: int, cache: Path | None) -> dict[str, tuple[float, float]]:
    """Mean and standard deviation of each floor metric over ``draws`` disjoint held-out sets of n images: how much
    a score moves from one sample set to the next (KID's standard error over subsets does not include this)."""
    real = reference_features("shapes", "train", "shapes", n_reference, cache_dir=cache)
    pool = extract(synthetic_images(n * draws, 11, 32, "test", balanced=False)[0], "shapes")
    assert pool.probs is not None  # the shapes extractor gives class probabilities
    rows = [quality(real, Features(pool.features[i * n:(i + 1) * n], pool.probs[i * n:(i + 1) * n]),
                    generator=torch.Generator().manual_seed(i)) for i in range(draws)]
    keys = ("frechet_distance", "kid", "precision", "recall", "recognizable_rate")
    return {k: (float(torch.tensor([r[k] for r in rows]).mean()), float(torch.tensor([r[k] for r in rows]).std()))
            for k in keys}


def throughput(n: int) -> tuple[float, float]:
    """Seconds to generate n built-in images, and to extract their shapes features (and probabilities)."""
    started = time.perf_counter()
    images, _ = synthetic_images(n, 3, 32, "test", balanced=False)
    generated = time.perf_counter()
    extract(images, "shapes")
    return generated - started, time.perf_counter() - generated


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--ns", default="1000,5000,10000", help="sample sizes of the floors")
    p.add_argument("--n-reference", type=int, default=10_000)
    p.add_argument("--cache-dir", type=Path, help="reference feature cache (default: the data folder's)")
    p.add_argument("--spread", type=int, default=5, help="disjoint held-out sets for the floor's spread (0: skip)")
    p.add_argument("--run", type=Path, help="a run folder of examples/vp_sde_cifar.py to sample and score")
    p.add_argument("--n", type=int, default=1000, help="samples drawn from --run")
    p.add_argument("--sampler", default="dpm_solver")
    p.add_argument("--steps", type=int, default=30)
    args = p.parse_args(argv)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")

    gen_s, feat_s = throughput(10_000)
    print(f"\nthroughput: 10 000 images generated in {gen_s:.1f} s, shapes features in {feat_s:.1f} s "
          f"({10_000 / feat_s:.0f} images/s)")

    ns = [int(v) for v in args.ns.split(",")]
    print(f"\nreal-vs-real floors (the first n test-split images vs {args.n_reference} training-split images, "
          "i.i.d. labels):")
    print(f"{'n':>7} {'Fréchet':>9} {'KID×1e3':>16} {'precision':>10} {'recall':>8} {'recognizable':>13}")
    for n, row in zip(ns, floors(ns, args.n_reference, args.cache_dir), strict=True):
        print(f"{n:>7} {row['frechet_distance']:>9.3f} {row['kid'] * 1e3:>8.4f} ± {row['kid_se'] * 1e3:<6.4f}"
              f"{row['precision']:>10.3f} {row['recall']:>8.3f} {row['recognizable_rate']:>13.3f}")

    if args.spread:
        print(f"\nspread of the floor at n = 1000 over {args.spread} disjoint held-out sets (seed 11), mean ± sd:")
        for key, (mean, sd) in spread(1000, args.spread, args.n_reference, args.cache_dir).items():
            scale = 1e3 if key == "kid" else 1.0
            print(f"  {key + (' ×1e3' if key == 'kid' else ''):<22} {mean * scale:9.4f} ± {sd * scale:.4f}")

    if args.run is not None:
        run = load_run(args.run)
        started = time.perf_counter()
        images = sample_images(run.model, run.sde, (args.n, *run.image_shape), method=args.sampler,
                               steps=args.steps, generator=torch.Generator().manual_seed(0), progress=True)
        sample_s = time.perf_counter() - started
        save_npz(images, args.run / f"samples_{args.sampler}_{args.steps}_n{args.n}.npz")
        result = score_images(images, data=run.data, n_reference=args.n_reference, data_seed=run.data_seed,
                              generator=torch.Generator().manual_seed(0), cache_dir=args.cache_dir)
        print(f"\n{args.run} (step {run.step}), {args.n} samples by {args.sampler} with {args.steps} steps in "
              f"{sample_s:.0f} s:")
        print(table(result))
        ratio = result["metrics"]["frechet_distance"] / result["floor"]["frechet_distance"]
        print(f"Fréchet distance / floor: {ratio:.0f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
