r"""Guidance on the exact oracle: what the guidance scale does to samples of one component of a mixture.

    python benchmarks/guidance.py                      # ring2d (8 components), component 3, n = 4000
    python benchmarks/guidance.py --n 500 --scales 0,1,3 --steps-em 100   # a quick run

For each scale w, samples are drawn with classifier-free guidance of the exact conditional score
(``GaussianMixture.conditional_score_fn``, ``s_u + w (s_c - s_u)``) by Euler–Maruyama and by DPM-Solver, from the
same prior draws. Reported: SW2 to exact draws of the component (and the Monte-Carlo floor of exact draws of the
same size), the RMS distance of the samples to the component's mean over that of exact draws (< 1: guidance
sharpens), and the share of samples whose exact posterior at t = 0 picks the component. For the exact oracle,
classifier guidance with the exact classifier at scale w is the same score function (``s_c - s_u = ∇ log p_t(k|x)``,
Bayes' rule for scores); the script checks that the two agree to round-off at every scale.
"""

from __future__ import annotations

import argparse
import sys
import time

import torch

import scoresde as sd
from scoresde.guidance import classifier_free, classifier_guidance

F64 = torch.float64


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=4000, help="samples per cell")
    p.add_argument("--component", type=int, default=3)
    p.add_argument("--scales", default="0,1,1.5,2,4,7")
    p.add_argument("--steps-em", type=int, default=500)
    p.add_argument("--steps-dpm", type=int, default=20)
    args = p.parse_args(argv)
    started = time.perf_counter()
    gm, sde, k = sd.ring_mixture(8), sd.VPSDE(), args.component
    target = gm.subset(k)
    cond = gm.conditional_score_fn(sde)
    sw = sd.SlicedWasserstein(target.sample(5 * args.n, generator=torch.Generator().manual_seed(1)), 256,
                              generator=torch.Generator().manual_seed(2))
    floor = [sw(target.sample(args.n, generator=torch.Generator().manual_seed(10 + i))) for i in range(5)]
    exact = target.sample(args.n, generator=torch.Generator().manual_seed(3))
    mean = target.means[0]
    rms_exact = float((exact - mean).norm(dim=1).pow(2).mean().sqrt())
    x_check = gm.sample(64, generator=torch.Generator().manual_seed(4))
    t_check = torch.full((64,), 0.3, dtype=F64)
    label = torch.tensor(k)
    print(f"ring2d (8 components), component {k} (mean {mean.tolist()}, std {target.covs[0, 0, 0].sqrt():.2f}), "
          f"n = {args.n}; SW2 floor of exact draws {min(floor):.4f}-{max(floor):.4f}; "
          f"RMS distance of exact draws to the mean {rms_exact:.3f}")
    print(f"{'w':>5} {'sampler':>16} {'SW2':>8} {'RMS/exact':>10} {'posterior picks k':>18}   "
          f"|CFG - classifier guidance|")
    for w in (float(v) for v in args.scales.split(",")):
        cfg = classifier_free(cond, label, torch.tensor(-1), scale=w)
        cg = classifier_guidance(gm.score_fn(sde), lambda z, u: gm.marginal_log_posterior(sde, z, u), label, scale=w)
        agree = float((cfg(x_check, t_check) - cg(x_check, t_check)).abs().max())
        for method, steps in (("euler_maruyama", args.steps_em), ("dpm_solver", args.steps_dpm)):
            g = torch.Generator().manual_seed(0)
            x_T = sde.prior_sample((args.n, 2), generator=g, dtype=F64)
            out = sd.sample(cfg, sde, x_T, method=method, steps=steps, generator=g, dtype=F64).samples
            rms = float((out - mean).norm(dim=1).pow(2).mean().sqrt()) / rms_exact
            picks = float((gm.marginal_log_posterior(sde, out, 0.0).argmax(1) == k).double().mean())
            print(f"{w:>5g} {method + ' ' + str(steps):>16} {sw(out):>8.4f} {rms:>10.3f} {picks:>18.3f}   {agree:.1e}")
    print(f"{time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
