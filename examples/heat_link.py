#!/usr/bin/env python3
r"""Forward diffusion is heat flow of the density, and sampling reverses it: three figures, with the numbers.

(a) heat_density_flow.png  a 2-D Gaussian mixture under the VP SDE at several times: the heat solver's density
                           (``heat.forward_density``), the analytic marginal (``scoresde.GaussianMixture.marginal``)
                           and the histogram of forward-perturbed samples (``sde.perturb``), side by side;
(b) heat_reverse.png       reversing heat flow: samples of the heat-flowed density carried back to t ≈ 0 by the
                           reverse SDE and the probability-flow ODE with the grid score (``heat.reverse_heat_flow``),
                           next to the backward heat equation on the grid (``heat.backward_solve``), whose error
                           explodes: the amplification of a 1e-12 perturbation, measured against e^{|k_max|² τ};
(c) heat_images.png        an image under heat dissipation (``heat.dissipate``, Rissanen et al. 2023), under Gaussian
                           noising (the VP SDE's x_t = √ᾱ x_0 + √(1-ᾱ) ε), and under blurring diffusion
                           (``heat.BlurringDiffusion``, Hoogeboom & Salimans 2022).

Usage::

    python examples/heat_link.py                  # writes docs/figures/heat_*.png (about a minute on 2 CPUs)
    python examples/heat_link.py --out /tmp/figs --quick   # smaller grids and fewer samples (a few seconds)

Only the public APIs ``import heat`` and ``import scoresde as sd`` are used.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import torch

import heat
import scoresde as sd

F64 = torch.float64
DEFAULT_OUT = Path(__file__).resolve().parents[1] / "docs" / "figures"


def mixture() -> sd.GaussianMixture:
    """Three tilted Gaussians (stds 0.35-0.7): the data of figures (a) and (b)."""
    return sd.GaussianMixture(
        torch.tensor([0.45, 0.35, 0.2], dtype=F64),
        torch.tensor([[-1.4, 0.8], [1.3, -0.6], [0.2, 1.9]], dtype=F64),
        torch.tensor([[[0.25, 0.1], [0.1, 0.2]], [[0.15, -0.06], [-0.06, 0.3]], [[0.12, 0.0], [0.0, 0.12]]],
                     dtype=F64),
    )


def on_grid(gm: sd.GaussianMixture, grid: heat.Grid) -> np.ndarray:
    """The mixture's density at the cell centres."""
    return torch.exp(gm.log_prob(torch.from_numpy(grid.points()))).numpy().reshape(grid.shape)


def extent(grid: heat.Grid) -> list[float]:
    (x0, x1), (y0, y1) = grid.bounds
    return [x0, x1, y0, y1]


def coarse_tv(points: torch.Tensor, p: np.ndarray, grid: heat.Grid, block: int) -> float:
    """Total variation between the points' histogram and p, both on blocks of block × block cells."""
    n0, n1 = grid.shape
    coarse = heat.Grid((n0 // block, n1 // block), grid.bounds, "neumann")
    mass = (p * grid.cell_volume).reshape(n0 // block, block, n1 // block, block).sum(axis=(1, 3))
    return 0.5 * float(np.abs(coarse.histogram(points.numpy()) * coarse.cell_volume - mass).sum())


# --- (a) ----------------------------------------------------------------------------------------------------------
def figure_density_flow(out: Path, quick: bool) -> dict[str, float]:
    """Write heat_density_flow.png; return the largest |heat solver - analytic marginal| over the times shown."""
    gm, sde = mixture(), sd.VPSDE()
    n_cells, n_samples = (64, 20_000) if quick else (256, 400_000)
    grid = heat.Grid((n_cells, n_cells), (-14, 14), "neumann")
    p0 = on_grid(gm, grid)
    times = [0.0, 0.1, 0.2, 0.35]
    worst = 0.0
    gen = torch.Generator().manual_seed(0)
    x0 = gm.sample(n_samples, generator=gen)
    fig, axes = plt.subplots(3, len(times), figsize=(3.0 * len(times), 8.6), constrained_layout=True)
    for col, t in enumerate(times):
        p_t = heat.forward_density(sde, p0, grid, t)
        exact = on_grid(gm.marginal_mixture(sde, t), p_t.grid)
        x_t = sde.perturb(x0, t, torch.randn(x0.shape, dtype=F64, generator=gen))
        hist = p_t.grid.histogram(x_t.numpy())
        change = heat.time_change(sde, t)
        worst = max(worst, float(np.abs(p_t.values - exact).max()))
        print(f"(a) t = {t:<4}  τ = {float(change.tau):.4f}  scale √ᾱ = {float(change.scale):.4f}  "
              f"max |heat - analytic| = {np.abs(p_t.values - exact).max():.2e} (peak {exact.max():.3f})")
        top = float(exact.max())
        for row, (field, label) in enumerate(((p_t.values, "heat solver"), (exact, "analytic marginal"),
                                              (hist, f"histogram, {n_samples} samples"))):
            ax = axes[row, col]
            ax.imshow(field.T, origin="lower", extent=extent(p_t.grid), vmin=0, vmax=top, cmap="magma")
            ax.set_xlim(-4, 4)
            ax.set_ylim(-4, 4)
            ax.set_xticks([])
            ax.set_yticks([])
            if row == 0:
                ax.set_title(f"t = {t}  (τ = {float(change.tau):.3f})")
            if col == 0:
                ax.set_ylabel(label)
        axes[0, col].text(0.03, 0.03, f"max err {np.abs(p_t.values - exact).max():.0e}", color="w", fontsize=8,
                          transform=axes[0, col].transAxes)
    fig.suptitle("VP SDE marginals = heat flow of y = x/√ᾱ in time τ = (1/ᾱ - 1)/2, rescaled")
    fig.savefig(out / "heat_density_flow.png", dpi=80 if quick else 110)
    plt.close(fig)
    return {"max |heat - analytic|": worst}


# --- (b) ----------------------------------------------------------------------------------------------------------
def figure_reverse(out: Path, quick: bool) -> dict[str, float]:
    """Write heat_reverse.png; return the total variations to p0 (reverse SDE, ODE, noise floor, no reversal)."""
    gm, sde = mixture(), heat.HeatSDE(diffusivity=1.0, T=0.5)
    n_cells, n, em_steps, ode_steps = (64, 3000, 100, 20) if quick else (128, 40_000, 500, 60)
    grid = heat.Grid((n_cells, n_cells), (-6, 6), "neumann")
    p0 = on_grid(gm, grid)
    p_T = heat.forward_density(sde, p0, grid, sde.T).values
    block = n_cells // 32

    results, tv = {}, {}
    for method, steps in (("euler_maruyama", em_steps), ("heun", ode_steps)):
        start = time.perf_counter()
        res = heat.reverse_heat_flow(sde, p0, grid, n, method=method, steps=steps,
                                     generator=torch.Generator().manual_seed(1))
        results[method] = res.samples
        tv[f"TV {method}"] = coarse_tv(res.samples, p0, grid, block)
        print(f"(b) reverse {method:<15} {res.nfe:4d} score evaluations, {time.perf_counter() - start:5.1f} s, "
              f"TV to p0 on {32}² blocks = {tv[f'TV {method}']:.4f}")
    exact = heat.sample_density(p0, grid, n, generator=torch.Generator().manual_seed(2))
    x_T = heat.sample_density(p_T, grid, n, generator=torch.Generator().manual_seed(3))
    tv["TV floor"], tv["TV no reversal"] = coarse_tv(exact, p0, grid, block), coarse_tv(x_T, p0, grid, block)
    print(f"(b) TV to p0: exact samples of p0 (the noise floor) {tv['TV floor']:.4f}, "
          f"samples of p_T (no reversal) {tv['TV no reversal']:.4f}")

    # the backward heat equation from p_T: amplification of a 1e-12 perturbation, against e^{|k_max|² τ}
    k2_max = sum((math.pi * (m - 1) / length) ** 2 for m, length in zip(grid.shape, grid.lengths, strict=True))
    delta = 1e-12 * np.random.default_rng(0).standard_normal(grid.shape)
    taus = np.linspace(0.0, 0.5, 11)  # run back from p_T, at τ = 0.5, towards p0
    measured = []
    with np.errstate(invalid="ignore", over="ignore"):
        for tau in taus:
            gap = heat.backward_solve(p_T + delta, grid, tau) - heat.backward_solve(p_T, grid, tau)
            measured.append(float(np.abs(gap).max() / np.abs(delta).max()))
        back = heat.backward_solve(p_T, grid, sde.T)
    for tau, amp in zip(taus[::2], measured[::2], strict=True):
        bound = k2_max * tau / math.log(10)
        print(f"(b) backward heat equation, τ = {tau:.2f}: amplification of a 1e-12 perturbation "
              f"{f'{amp:.3g}' if math.isfinite(amp) else 'overflow (> 1.8e308)'} (e^(|k_max|² τ) = 1e{bound:.1f})")
    err = np.abs(back - p0).max()
    print(f"(b) backward heat equation from p_T to τ = 0: max |p - p0| = "
          f"{f'{err:.3g}' if math.isfinite(err) else 'overflow (inf / nan)'}")

    fig = plt.figure(figsize=(15, 6.2), constrained_layout=True)
    axes = fig.subplots(2, 4)
    top = float(p0.max())
    panels = [
        (axes[0, 0], p0, "p0 (data)"),
        (axes[0, 1], p_T, f"p_T, heat time τ = {sde.T}"),
        (axes[0, 2], grid.histogram(results["euler_maruyama"].numpy()), f"reverse SDE ({em_steps} steps)"),
        (axes[0, 3], grid.histogram(results["heun"].numpy()), f"probability-flow ODE (Heun, {ode_steps} steps)"),
    ]
    for ax, field, title in panels:
        ax.imshow(field.T, origin="lower", extent=extent(grid), vmin=0, vmax=top, cmap="magma")
        ax.set_title(title, fontsize=10)
        ax.set_xticks([])
        ax.set_yticks([])
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for ax, back_by in ((axes[1, 0], 0.01), (axes[1, 1], 0.03)):
            field = heat.backward_solve(p_T, grid, back_by)
            error = np.abs(field - heat.forward_density(sde, p0, grid, sde.T - back_by).values)
            image = ax.imshow(np.log10(np.maximum(error, 1e-18)).T, origin="lower", extent=extent(grid),
                              cmap="viridis")
            fig.colorbar(image, ax=ax, shrink=0.8)
            ax.set_title(f"backward PDE from p_T by τ = {back_by}:\nlog10 |error|, max {error.max():.1e}",
                         fontsize=10)
            ax.set_xticks([])
            ax.set_yticks([])
    ax = fig.add_subplot(2, 4, (7, 8))
    axes[1, 2].remove()
    axes[1, 3].remove()
    finite = np.isfinite(measured)
    ax.plot(taus[finite], np.log10(np.asarray(measured)[finite]), "o-", label="measured: max|Δp(−τ)| / max|Δp_T|")
    ax.plot(taus, k2_max * taus / math.log(10), "--", label=r"$\log_{10} e^{|k_{max}|^2 \tau}$")
    ax.axhline(math.log10(np.finfo(np.float64).max), color="r", lw=0.8, label="float64 overflow")
    ax.set_xlabel("τ run backwards")
    ax.set_ylabel("log10 amplification")
    ax.set_title("backward heat equation: a 1e-12 perturbation of p_T", fontsize=10)
    ax.legend(fontsize=8)
    fig.suptitle("Undoing heat flow: through the score (stable) vs the backward heat equation (ill-posed)")
    fig.savefig(out / "heat_reverse.png", dpi=80 if quick else 110)
    plt.close(fig)
    return tv


# --- (c) ----------------------------------------------------------------------------------------------------------
def test_image(size: int) -> np.ndarray:
    """A procedural image in [-1, 1]: a disc, a bar, stripes and a checkerboard corner."""
    y, x = np.mgrid[0:size, 0:size] / size
    img = -0.8 * np.ones((size, size))
    img[(x - 0.35) ** 2 + (y - 0.35) ** 2 < 0.04] = 0.9
    img[(np.abs(x - 0.72) < 0.06) & (y > 0.15) & (y < 0.85)] = 0.5
    img[(y > 0.7) & (x < 0.55)] = np.where(np.sin(40 * x[(y > 0.7) & (x < 0.55)]) > 0, 0.8, -0.5)
    corner = (x > 0.8) & (y < 0.2)
    img[corner] = np.where((np.floor(x[corner] * 25) + np.floor(y[corner] * 25)) % 2 == 0, 1.0, -1.0)
    return img


def figure_images(out: Path, quick: bool) -> dict[str, float]:
    """Write heat_images.png; return the pixel mean before and after heat flow, and under the VP SDE at t = 0.9."""
    size = 32 if quick else 64
    img = test_image(size)
    sigmas_b = [0.0, 1.0, 2.0, 4.0, 8.0, size / 2.5]
    blurred = heat.dissipate(img, [s * s / 2 for s in sigmas_b])
    vp = sd.VPSDE()
    bdm = heat.BlurringDiffusion((size, size), sigma_blur_max=size / 4)
    ts = np.linspace(0.0, 0.9, len(sigmas_b))
    noise = np.random.default_rng(0).standard_normal((size, size))
    fig, axes = plt.subplots(3, len(sigmas_b), figsize=(2.2 * len(sigmas_b), 7.0), constrained_layout=True)
    for col, (s_b, t) in enumerate(zip(sigmas_b, ts, strict=True)):
        x_t = vp.perturb(torch.from_numpy(img)[None], float(t), torch.from_numpy(noise)[None])[0].numpy()
        rows = ((blurred[col], f"heat, σ_B = {s_b:g} px"), (x_t, f"VP noise, t = {t:.2f}"),
                (bdm.perturb(img, float(t), noise), f"blurring diff., t = {t:.2f}"))
        for row, (field, title) in enumerate(rows):
            axes[row, col].imshow(field, cmap="gray", vmin=-1.2, vmax=1.2)
            axes[row, col].set_title(title, fontsize=9)
            axes[row, col].axis("off")
    print(f"(c) heat dissipation keeps the pixel mean: {img.mean():.6f} -> {blurred[-1].mean():.6f}; "
          f"the VP SDE shrinks it to {math.sqrt(float(vp.schedule.alpha_bar(0.9))) * img.mean():.6f} at t = 0.9")
    fig.suptitle("Heat flow of the pixels (blurring models) vs Gaussian noising (heat flow of the density)")
    fig.savefig(out / "heat_images.png", dpi=80 if quick else 110)
    plt.close(fig)
    vp_mean = math.sqrt(float(vp.schedule.alpha_bar(0.9))) * img.mean()
    return {"mean": float(img.mean()), "mean after heat": float(blurred[-1].mean()), "mean under VP": vp_mean}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder for the PNG files (default docs/figures)")
    parser.add_argument("--quick", action="store_true", help="small grids and sample counts (a few seconds)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(1)
    start = time.perf_counter()
    figure_density_flow(args.out, args.quick)
    figure_reverse(args.out, args.quick)
    figure_images(args.out, args.quick)
    print(f"wrote heat_density_flow.png, heat_reverse.png, heat_images.png to {args.out} "
          f"in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
