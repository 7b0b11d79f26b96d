#!/usr/bin/env python3
r"""Build every figure of the docs with one command: fixed seeds, the public APIs only, PNGs in docs/figures/.

=========================== =========================================================== ==========================
file                        what it shows                                               computed by
=========================== =========================================================== ==========================
schedules.png               β(t), ᾱ(t), σ(t) = √(1-ᾱ) and the half log-SNR λ(t) of the  ``figure_schedules``
                            linear VP SDE (β 0.1 → 20) and the cosine schedule, with the
                            discrete DDPM chains (N = 1000) as points at t_i = i/N
forward_noising.png         one image of the built-in ``shapes`` set under the VP SDE   ``figure_forward_noising``
                            (x_t = √ᾱ x_0 + √(1-ᾱ) ε) and under heat dissipation of its
                            pixels (``heat.dissipate``)
trajectories_2d.png         reverse paths on a 2-D mixture from the same x_T: reverse   ``figure_trajectories``
                            SDE (Euler–Maruyama) vs probability-flow ODE (RK4), exact
                            score, with their end clouds and SW2 to exact samples
heat_density_flow.png       the VP SDE marginals as heat flow (solver vs analytic vs     ``figure_heat_density_flow``
                            histogram)                                                  (examples/heat_link.py)
heat_reverse.png            reversing heat flow through the score vs the ill-posed      ``figure_heat_reverse``
                            backward heat equation                                      (examples/heat_link.py)
heat_images.png             heat flow of the pixels vs Gaussian noising vs blurring     ``figure_heat_images``
                            diffusion                                                   (examples/heat_link.py)
samplers_error_vs_nfe.png   SW2 against score evaluations for the samplers and the best ``figure_samplers``
                            peers, from benchmarks/results/*.json                       (benchmarks/plot_samplers.py)
simple_vs_exact.png         the source document's "simple" reverse update vs the DDPM   ``figure_simple_vs_exact``
                            posterior mean over the N = 1000 chain, exact ε̂, the same
                            noise; SW2 of each to exact samples (docs/math.md §4)
score_field.png             the score ∇ log p_t(x) of a 2-D mixture as arrows over the  ``figure_score_field``
                            density p_t at several t: the direction towards the data
                            (docs/math.md §5)
shapes_classifier.png       what the shapes classifier says about real test images and  ``figure_shapes_classifier``
                            about the same data melted, blurred, as blobs and as
                            ghosts (docs/evaluation.md §2)
=========================== =========================================================== ==========================

Every figure function prints nothing and returns the numbers it measured; ``main`` prints one line per figure
(name, seconds, numbers) and the total time. Torch runs on one thread (deterministic, and fastest on a busy
2-core machine); all randomness comes from seeded ``torch.Generator``s (and, in examples/heat_link.py, seeded
``numpy.random.default_rng``), so two runs write identical files.

Usage::

    python docs/make_figures.py                          # every figure into docs/figures/ (about a minute, 2 CPUs)
    python docs/make_figures.py --quick --out /tmp/figs  # reduced sizes, a few seconds (what the tests run)
    python docs/make_figures.py --only schedules,score_field
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import importlib.util
import io
import math
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure
from torch import Tensor

import heat
import scoresde as sd
import scoresde.data

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "docs" / "figures"
BENCH_RUNS = tuple(ROOT / "benchmarks" / "results" / f"{name}.json" for name in ("aniso", "ring", "nodenoise"))
F64 = torch.float64
Numbers = dict[str, float]
FigureFn = Callable[[Path, bool], Numbers]


# --- helpers ------------------------------------------------------------------------------------------------------
def save(fig: Figure, out: Path, name: str, quick: bool) -> None:
    """Write ``fig`` as ``out/name`` (lower resolution in quick mode) and free it."""
    fig.savefig(out / name, dpi=80 if quick else 120)
    plt.close(fig)


@functools.cache
def script(relative: str) -> ModuleType:
    """Import a script of this repository (examples/, benchmarks/) by its path, once."""
    path = ROOT / relative
    spec = importlib.util.spec_from_file_location(f"make_figures_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def gen(seed: int) -> torch.Generator:
    """A CPU generator with a fixed seed."""
    return torch.Generator().manual_seed(seed)


def plane(lim: float, n: int) -> tuple[np.ndarray, np.ndarray, Tensor]:
    """An n × n grid of [-lim, lim]²: the meshgrid X, Y and the points as a float64 (n², 2) tensor."""
    axis = np.linspace(-lim, lim, n)
    X, Y = np.meshgrid(axis, axis)
    return X, Y, torch.from_numpy(np.stack([X.ravel(), Y.ravel()], axis=1))


def shade_density(ax: Axes, gm: sd.GaussianMixture, lim: float, n: int, decades: float = 4.0) -> None:
    """Filled contours of the mixture's log-density over [-lim, lim]², from its peak down ``decades`` powers of ten
    (a log scale, so that narrow and wide components both show)."""
    X, Y, points = plane(lim, n)
    log_p = gm.log_prob(points).numpy().reshape(X.shape) / math.log(10)
    top = float(log_p.max())
    ax.contourf(X, Y, log_p, levels=np.linspace(top - decades, top, 9), cmap="Greys", alpha=0.55,
                vmin=top - decades, vmax=top + 0.5 * decades)  # the peak a mid grey, so arrows on it stay visible


def sliced_w2(samples: Tensor, gm: sd.GaussianMixture, seed: int, floor_sets: int = 5) -> tuple[float, float]:
    """SW2 of ``samples`` to 5n exact draws of ``gm`` (256 fixed directions), and the noise floor: the mean SW2 of
    ``floor_sets`` sets of n exact draws against the same reference."""
    n = samples.shape[0]
    sw = sd.SlicedWasserstein(gm.sample(5 * n, generator=gen(seed)), 256, generator=gen(seed + 1))
    floor = sum(sw(gm.sample(n, generator=gen(seed + 2 + k))) for k in range(floor_sets)) / floor_sets
    return sw(samples), floor


def show_image(ax: Axes, image: np.ndarray, title: str) -> None:
    """An RGB image (3, H, W) in [-1, 1], clipped, without ticks."""
    ax.imshow(np.clip((np.moveaxis(image, 0, -1) + 1) / 2, 0, 1), interpolation="nearest")
    ax.set_title(title, fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])


# --- 1. schedules -------------------------------------------------------------------------------------------------
def figure_schedules(out: Path, quick: bool) -> Numbers:
    r"""β(t), ᾱ(t), σ(t) and λ(t) of the linear VP SDE (Song et al. 2021, β 0.1 → 20) and the cosine schedule
    (Nichol & Dhariwal 2021), with Ho et al. 2020's linear DDPM betas (1e-4 → 0.02) and ``cosine_betas`` as points
    at t_i = i/N. β is compared as the rate: the continuous β(t) against N β_i."""
    t = torch.linspace(0.0, 1.0, 201 if quick else 2001, dtype=F64)
    cases = (("linear", sd.LinearSchedule(0.1, 20.0), sd.linear_betas(1000, 1e-4, 0.02), "C0"),
             ("cosine", sd.CosineSchedule(), sd.cosine_betas(1000), "C3"))
    fig, axes = plt.subplots(1, 4, figsize=(16, 3.9), layout="constrained")
    numbers: Numbers = {}
    last_lambda: dict[str, float] = {}
    for name, schedule, betas, color in cases:
        ddpm = sd.DDPM(betas)
        i = torch.cat([torch.tensor([1]), torch.arange(50, ddpm.N + 1, 50)])
        t_i = ddpm.time(i).numpy()
        alpha, sigma = ddpm.marginal(i)
        continuous = (schedule.beta(t), schedule.alpha_bar(t), schedule.sigma(t), schedule.lambda_(t))
        discrete = (ddpm.N * ddpm.betas[i - 1], ddpm.alpha_bar(i), sigma, torch.log(alpha / sigma))
        for ax, curve, points in zip(axes, continuous, discrete, strict=True):
            ax.plot(t.numpy(), curve.numpy(), color=color, lw=1.6, label=f"{name}: continuous (VPSDE)")
            ax.plot(t_i, points.numpy(), "o", color=color, mfc="none", ms=4.5,
                    label=f"{name}: DDPM, N = {ddpm.N} (every 50th i)")
        last_lambda[name] = float(discrete[3][-1])
        all_i = torch.arange(ddpm.N + 1)
        gap = (ddpm.alpha_bar(all_i) - schedule.alpha_bar(ddpm.time(all_i))).abs().max()
        numbers[f"max |ᾱ_i - ᾱ(i/N)| {name}"] = float(gap)
    titles = (r"rate $\beta(t)$ and $N\beta_i$", r"$\bar\alpha(t) = e^{-\int_0^t\beta(s)\,ds}$ and $\bar\alpha_i$",
              r"noise level $\sigma(t) = \sqrt{1-\bar\alpha(t)}$",
              r"half log-SNR $\lambda(t) = \log(\sqrt{\bar\alpha}/\sigma)$")
    for ax, title in zip(axes, titles, strict=True):
        ax.set_title(title, fontsize=11)
        ax.set_xlabel("t   (DDPM index i at t = i/N)")
        ax.grid(alpha=0.3)
    axes[0].set_yscale("log")
    axes[0].set_ylabel(r"$\beta$")
    axes[3].axhline(0, color="0.5", lw=0.8)
    axes[2].legend(fontsize=8, loc="lower right")
    axes[3].annotate(r"last $\beta_i$ clipped at 0.999", xy=(1.0, last_lambda["cosine"]), xytext=(0.3, -9),
                     fontsize=8, arrowprops={"arrowstyle": "->", "color": "0.4"})
    fig.suptitle(r"Noise schedules: the DDPM chains (points) against the continuous schedules (lines) at $t_i = i/N$",
                 fontsize=12)
    save(fig, out, "schedules.png", quick)
    return numbers


# --- 2. forward noising -------------------------------------------------------------------------------------------
def figure_forward_noising(out: Path, quick: bool) -> Numbers:
    r"""One ``shapes`` image forward-noised by the VP SDE, x_t = √ᾱ(t) x_0 + √(1-ᾱ(t)) ε (one fixed ε), and its
    pixels under heat flow u(τ) = e^{τΔ} u_0 with Neumann walls, a Gaussian blur of σ_B = √(2τ) pixels
    (``heat.dissipate``; Rissanen et al. 2023)."""
    data = scoresde.data.load_images("synthetic", n_synthetic=4, seed=0)
    x0 = scoresde.data.to_float(data.images[3:4]).to(F64)  # a striped disc: sharp edges and a high frequency
    sde = sd.VPSDE()
    times = (0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0)
    blur_px = (0.0, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0)
    noise = torch.randn(x0.shape, dtype=F64, generator=gen(0))
    heat_rows = heat.dissipate(x0[0].numpy(), [s * s / 2 for s in blur_px])
    fig, axes = plt.subplots(2, len(times), figsize=(1.85 * len(times), 4.6), layout="constrained")
    for col, (t, s_b) in enumerate(zip(times, blur_px, strict=True)):
        alpha, sigma = (float(v) for v in sde.marginal(t))
        x_t = sde.perturb(x0, t, noise)[0].numpy()
        show_image(axes[0, col], x_t, f"t = {t:g}\n" + rf"$\sqrt{{\bar\alpha}}$ = {alpha:.3f}, $\sigma$ = {sigma:.3f}")
        show_image(axes[1, col], heat_rows[col], rf"$\tau$ = {s_b * s_b / 2:g} px²" + f"\nblur σ_B = {s_b:g} px")
    vp_label = r"$x_t = \sqrt{\bar\alpha}\,x_0 + \sqrt{1-\bar\alpha}\,\varepsilon$"
    axes[0, 0].set_ylabel(f"VP SDE\n{vp_label}", fontsize=10)
    axes[1, 0].set_ylabel("heat flow of the pixels\n" + r"$u(\tau) = e^{\tau\Delta}u_0$", fontsize=10)
    fig.suptitle("Forward processes: Gaussian noising (heat flow of the density) vs heat flow of the image",
                 fontsize=11)
    save(fig, out, "forward_noising.png", quick)
    return {"pixel mean": float(x0.mean()), "after heat flow": float(heat_rows[-1].mean()),
            "pixel std of x_1 (prior: 1)": float(sde.perturb(x0, 1.0, noise).std())}


# --- 3. trajectories ----------------------------------------------------------------------------------------------
def reverse_paths(score_fn: sd.ScoreFn, sde: sd.SDE, x_T: Tensor, method: str, steps: int, keep: int,
                  **options: Any) -> tuple[Tensor, Tensor]:
    """Run ``sd.sample`` from x_T (no final denoising step); return the samples and the paths of the first
    ``keep`` of them, shape (steps + 1, keep, 2), recorded by the callback."""
    path = [x_T[:keep].clone()]
    res = sd.sample(score_fn, sde, x_T, method=method, steps=steps, generator=gen(11), denoise=False,
                    callback=lambda i, t, x: path.append(x[:keep].clone()), **options)
    return res.samples, torch.stack(path)


def figure_trajectories(out: Path, quick: bool) -> Numbers:
    r"""Reverse-time paths on the 8-component ring mixture (``sd.ring_mixture``) under the VP SDE, all from the same
    x_T and on the exact score: Euler–Maruyama on the reverse SDE dx = [f x - g² ∇log p_t] dt + g dw̄ (Anderson 1982;
    Song et al. 2021) vs RK4 on the probability-flow ODE dx/dt = f x - ½ g² ∇log p_t (Song et al. 2021, eq. 13)."""
    gm, sde = sd.ring_mixture(), sd.VPSDE()
    score_fn = gm.score_fn(sde)
    n, keep, em_steps, ode_steps = (500, 12, 200, 25) if quick else (10_000, 16, 1000, 100)
    x_T = sde.prior_sample((n, 2), generator=gen(10), dtype=F64)
    runs = (("reverse SDE, Euler–Maruyama", f"{em_steps} steps", reverse_paths(
                score_fn, sde, x_T, "euler_maruyama", em_steps, keep)),
            ("probability-flow ODE, RK4", f"{ode_steps} steps, {4 * ode_steps} NFE", reverse_paths(
                score_fn, sde, x_T, "ode", ode_steps, keep, solver="rk4")))
    fig, axes = plt.subplots(1, 2, figsize=(11, 5.6), layout="constrained")
    colors = plt.get_cmap("tab20")(np.arange(keep) % 20)
    numbers: Numbers = {}
    for ax, (title, detail, (samples, paths)) in zip(axes, runs, strict=True):
        shade_density(ax, gm, 5.0, 150 if quick else 400)
        ax.scatter(*samples.T.numpy(), s=1.5, color="tab:blue", alpha=0.2, lw=0)
        stride = max(1, (paths.shape[0] - 1) // 100)  # about 100 points of each path: the SDE's are rough
        for k in range(keep):
            ax.plot(*paths[::stride, k].T.numpy(), color=colors[k], lw=0.8, alpha=0.85)
            ax.plot(*paths[0, k].numpy(), "o", color=colors[k], ms=4, mec="k", mew=0.5)
            ax.plot(*paths[-1, k].numpy(), "*", color=colors[k], ms=9, mec="k", mew=0.5)
        sw2, floor = sliced_w2(samples, gm, 100)
        numbers[f"SW2 {title.split(',')[0]}"] = sw2
        numbers["floor"] = floor
        ax.set_title(f"{title} ({detail})\nSW2 of {n} end points to exact samples = {sw2:.3f} (floor {floor:.3f})",
                     fontsize=10)
        ax.set(xlim=(-5, 5), ylim=(-5, 5), aspect="equal", xlabel="$x_1$", ylabel="$x_2$")
    fig.suptitle(r"Reverse paths from the same $x_T \sim \mathcal{N}(0, I)$ (circles) to $t = 10^{-3}$ (stars), "
                 r"exact score $\nabla\log p_t$;" + "\n" + r"blue: all end points; grey: the data density $p_0$ "
                 "(log scale, 4 decades)", fontsize=11)
    save(fig, out, "trajectories_2d.png", quick)
    return numbers


# --- 4. heat (examples/heat_link.py) ------------------------------------------------------------------------------
def heat_link_figure(function: str, out: Path, quick: bool) -> Numbers:
    """Call ``examples/heat_link.py``'s figure function of that name; its detailed lines are not printed here."""
    with contextlib.redirect_stdout(io.StringIO()):
        numbers: Numbers = getattr(script("examples/heat_link.py"), function)(out, quick)
    return numbers


def figure_heat_density_flow(out: Path, quick: bool) -> Numbers:
    """heat_density_flow.png: ``figure_density_flow`` of examples/heat_link.py."""
    return heat_link_figure("figure_density_flow", out, quick)


def figure_heat_reverse(out: Path, quick: bool) -> Numbers:
    """heat_reverse.png: ``figure_reverse`` of examples/heat_link.py."""
    return heat_link_figure("figure_reverse", out, quick)


def figure_heat_images(out: Path, quick: bool) -> Numbers:
    """heat_images.png: ``figure_images`` of examples/heat_link.py."""
    return heat_link_figure("figure_images", out, quick)


# --- 5. samplers --------------------------------------------------------------------------------------------------
SAMPLER_ROWS = (
    *(f"{method} / quadratic" for method in ("ancestral", "ddim", "euler_maruyama", "pc", "ode:solver=rk4", "heun",
                                             "dpm_solver:order=2", "dpm_solver:order=3")),
    "dpm_solver:order=2 / quadratic (no denoise)",
    "peer: diffusers UniPC (bh2)",
    "peer: k-diff sample_dpmpp_2m",
)
"""The rows drawn: ours on the quadratic grid, DPM-Solver++(2M) without the final denoising step, and the two peers
with the lowest error at 5-20 NFE on aniso16 (diffusers' UniPC, k-diffusion's DPM++(2M))."""


def figure_samplers(out: Path, quick: bool) -> Numbers:
    """SW2 against NFE from the benchmark runs' JSON (benchmarks/results/), drawn by benchmarks/plot_samplers.py."""
    missing = [str(p) for p in BENCH_RUNS if not p.is_file()]
    if missing:
        raise FileNotFoundError(f"samplers_error_vs_nfe.png needs the benchmark results {missing} "
                                "(see benchmarks/results/README.md)")
    data = script("benchmarks/plot_samplers.py").plot(BENCH_RUNS, out / "samplers_error_vs_nfe.png", SAMPLER_ROWS,
                                                      exact=True, ymax=3.0, dpi=80 if quick else 120)
    numbers: Numbers = {}
    for target, entry in data.items():
        at10 = {label: dict(points).get(10, math.nan) for label, points in entry["rows"] if label in SAMPLER_ROWS}
        numbers[f"{target} floor"] = entry["floor"]["mean"]
        numbers[f"{target} dpm_solver:order=2 @10"] = at10["dpm_solver:order=2 / quadratic"]
        numbers[f"{target} best peer @10"] = min(v for k, v in at10.items() if k.startswith("peer"))
    return numbers


# --- 6. the "simple" update vs the DDPM mean ----------------------------------------------------------------------
def mode_spread(points: Tensor, gm: sd.GaussianMixture) -> float:
    """The mean distance from each point to the nearest component mean of ``gm``."""
    return float(torch.cdist(points, gm.means).min(dim=1).values.mean())


def reverse_chains(gm: sd.GaussianMixture, ddpm: sd.DDPM, x_N: Tensor, generator: torch.Generator
                   ) -> tuple[Tensor, Tensor]:
    r"""Run the DDPM chain from x_N down to x_0 twice, with the exact ε̂_i(x) = -√(1-ᾱ_i) ∇log p_{t_i}(x) and the same
    noise z_i in both (z_1 = 0, Ho et al. 2020, Algorithm 2, with their σ_i² = β_i):

        exact    x_{i-1} = (x_i - β_i/√(1-ᾱ_i) ε̂)/√α_i + √β_i z_i      (``DDPM.mean_from_eps``)
        simple   x_{i-1} = (x_i - √β_i ε̂)/√(1-β_i) + √β_i z_i         (the source document's update)
    """
    sde = sd.VPSDE.from_ddpm(ddpm)  # its marginal at t_i = i/N is the chain's q(x_i | x_0), exactly
    exact, simple = x_N.clone(), x_N.clone()
    for i in range(ddpm.N, 0, -1):
        t_i, beta = float(ddpm.time(i)), float(ddpm.betas[i - 1])
        z = torch.randn(x_N.shape, dtype=F64, generator=generator) if i > 1 else torch.zeros_like(x_N)
        exact = ddpm.mean_from_eps(exact, i, gm.marginal_eps(sde, exact, t_i)) + math.sqrt(beta) * z
        simple = (simple - math.sqrt(beta) * gm.marginal_eps(sde, simple, t_i)) / math.sqrt(1 - beta)
        simple = simple + math.sqrt(beta) * z
    return exact, simple


def figure_simple_vs_exact(out: Path, quick: bool) -> Numbers:
    r"""Slip 1 of the source document (docs/math.md §4): its reverse step removes √β_i ε̂ where the posterior mean
    of Ho et al. 2020 removes β_i/√(1-ᾱ_i) ε̂, up to 1/r_i ≈ 10 times less. Both chains run on the ring mixture
    with the exact ε̂, from the same x_N and with the same noise; SW2 to fresh exact samples."""
    gm, ddpm = sd.ring_mixture(), sd.DDPM(sd.linear_betas())
    n = 500 if quick else 10_000
    exact, simple = reverse_chains(gm, ddpm, torch.randn(n, 2, dtype=F64, generator=gen(20)), gen(21))
    data = gm.sample(n, generator=gen(22))
    (sw_exact, floor), (sw_simple, _) = sliced_w2(exact, gm, 200), sliced_w2(simple, gm, 200)
    fig, axes = plt.subplots(1, 4, figsize=(17, 4.5), layout="constrained")
    exact_step = (r"$\frac{1}{\sqrt{\alpha_i}}(x_i - \frac{\beta_i}{\sqrt{1-\bar\alpha_i}}\hat\varepsilon)"
                  r" + \sqrt{\beta_i}z$")
    simple_step = r"$\frac{1}{\sqrt{1-\beta_i}}(x_i - \sqrt{\beta_i}\,\hat\varepsilon) + \sqrt{\beta_i}z$"
    clouds = ((data, "data: exact samples of $p_0$", f"noise floor SW2 = {floor:.3f}", "0.3"),
              (exact, f"exact mean: {exact_step}", f"SW2 = {sw_exact:.3f}", "tab:blue"),
              (simple, f"simple: {simple_step}", f"SW2 = {sw_simple:.3f}", "tab:red"))
    spreads = [mode_spread(points, gm) for points, *_ in clouds]
    for ax, (points, title, score, color), spread in zip(axes[:3], clouds, spreads, strict=True):
        ax.scatter(*points.T.numpy(), s=2, color=color, alpha=0.4, lw=0)
        ax.set(xlim=(-5, 5), ylim=(-5, 5), aspect="equal", xlabel="$x_1$", ylabel="$x_2$")
        ax.set_title(f"{title}\n{score}\nmean distance to the nearest mode {spread:.3f}", fontsize=10)
    i = np.arange(1, ddpm.N + 1)
    one_minus = 1 - ddpm.alpha_bars[1:].numpy()
    betas = ddpm.betas.numpy()
    axes[3].semilogy(i, np.sqrt(betas), color="tab:red", label=r"simple: $\sqrt{\beta_i}$")
    axes[3].semilogy(i, betas / np.sqrt(one_minus), color="tab:blue", label=r"exact: $\beta_i/\sqrt{1-\bar\alpha_i}$")
    axes[3].set(xlabel="DDPM index i", ylabel=r"coefficient of $\hat\varepsilon$")
    axes[3].set_title(r"noise removed per step (Ho et al.'s linear $\beta_i$)", fontsize=10)
    axes[3].grid(alpha=0.3, which="both")
    axes[3].legend(fontsize=9)
    fig.suptitle(r"The source's 'simple' reverse step vs the DDPM posterior mean: N = 1000 steps from the same $x_N$, "
                 r"exact $\hat\varepsilon = -\sqrt{1-\bar\alpha_i}\,\nabla\log p_{t_i}$, the same noise $z_i$",
                 fontsize=11)
    save(fig, out, "simple_vs_exact.png", quick)
    return {"SW2 exact mean": sw_exact, "SW2 simple": sw_simple, "floor": floor, "spread data": spreads[0],
            "spread exact": spreads[1], "spread simple": spreads[2],
            "max 1/r_i": float(np.max(np.sqrt(one_minus / betas)))}


# --- 7. the score field -------------------------------------------------------------------------------------------
def figure_score_field(out: Path, quick: bool) -> Numbers:
    r"""The score ∇ₓ log p_t(x) of the ring mixture under the VP SDE (``GaussianMixture.marginal_score``) as unit
    arrows coloured by |∇ log p_t|, over the density p_t: the direction in which x looks more like the data. At
    t = 1, p_t ≈ N(0, I) and the score is ≈ -x (docs/math.md §5: the sign is +∇ log p)."""
    gm, sde = sd.ring_mixture(), sd.VPSDE()
    times = (0.01, 0.1, 0.3, 0.6, 1.0)
    U, V, arrows = plane(5.0, 15 if quick else 21)
    fields = [gm.marginal_score(sde, arrows, t) for t in times]
    norms = [f.norm(dim=1) for f in fields]
    scale = LogNorm(vmin=float(min(v.min() for v in norms)), vmax=float(max(v.max() for v in norms)))
    fig, axes = plt.subplots(1, len(times), figsize=(2.95 * len(times) + 0.9, 3.9), layout="constrained")
    numbers: Numbers = {}
    for ax, t, field, norm in zip(axes, times, fields, norms, strict=True):
        shade_density(ax, gm.marginal_mixture(sde, t), 5.5, 120 if quick else 400)
        unit = (field / norm[:, None]).numpy()
        quiver = ax.quiver(U, V, unit[:, 0], unit[:, 1], norm.numpy(), cmap="viridis", norm=scale,
                           angles="xy", scale_units="xy", scale=2.2, width=0.006)
        sigma = float(sde.marginal(t)[1])
        ax.set_title(rf"t = {t:g},  $\sigma(t)$ = {sigma:.3f}", fontsize=10)
        ax.set(xlim=(-5.5, 5.5), ylim=(-5.5, 5.5), aspect="equal", xticks=[], yticks=[])
        numbers[f"median |s| t={t:g}"] = float(norm.median())
    numbers["max |s(x) + x| at t=1"] = float((fields[-1] + arrows).norm(dim=1).max())
    fig.colorbar(quiver, ax=axes, shrink=0.85, label=r"$|\nabla_x \log p_t(x)|$")
    fig.suptitle(r"The score $\nabla_x\log p_t(x)$ (arrows, unit length) over $\log p_t$ (grey, 4 decades): "
                 "which way makes x look more like data", fontsize=11)
    save(fig, out, "score_field.png", quick)
    return numbers


# --- shapes classifier ------------------------------------------------------------------------------------------
def figure_shapes_classifier(out: Path, quick: bool) -> Numbers:
    from scoresde.evaluation import CLASSES, load_shapes_classifier, recognizable_rate, shapes_scores
    from scoresde.evaluation.train_shapes import blobs, blurred, ghosts, melted

    images, labels = scoresde.data.synthetic_images(8, 21, 32, "test")
    x = scoresde.data.to_float(images)
    rows = {"real": x, "melted": melted(x, gen(1)), "blurred": blurred(x, gen(2)), "blob": blobs(x, gen(3)),
            "ghost": ghosts(x, labels, gen(4))}
    model = load_shapes_classifier()
    fig, axes = plt.subplots(len(rows), 8, figsize=(10.5, 7.2))
    numbers: Numbers = {}
    for r, (name, batch) in enumerate(rows.items()):
        probs = shapes_scores(scoresde.data.to_uint8(batch.clamp(-1, 1)), model).probs
        numbers[f"recognizable_{name}"] = recognizable_rate(probs)
        for c in range(8):
            p, k = probs[c].max(0)
            show_image(axes[r, c], batch[c].numpy(), f"{CLASSES[int(k)]} {float(p):.2f}")
        axes[r, 0].set_ylabel(name, fontsize=10)
    fig.suptitle("The shapes classifier's most probable class and its probability: real test images (top), and the "
                 "same data broken\nas an undertrained model breaks it (the \"none\" class it learnt); "
                 "recognizable = a shape with p ≥ 0.9", fontsize=10)
    fig.tight_layout()
    save(fig, out, "shapes_classifier.png", quick)
    return numbers


# --- the command --------------------------------------------------------------------------------------------------
FIGURES: dict[str, FigureFn] = {
    "schedules": figure_schedules,
    "forward_noising": figure_forward_noising,
    "trajectories_2d": figure_trajectories,
    "heat_density_flow": figure_heat_density_flow,
    "heat_reverse": figure_heat_reverse,
    "heat_images": figure_heat_images,
    "samplers_error_vs_nfe": figure_samplers,
    "simple_vs_exact": figure_simple_vs_exact,
    "score_field": figure_score_field,
    "shapes_classifier": figure_shapes_classifier,
}
"""Each figure's name (its file is NAME.png) and the function that draws it."""


def selected(only: str | None, parser: argparse.ArgumentParser) -> list[str]:
    """The figure names in ``--only`` (a trailing .png allowed), in the order of FIGURES; all when None."""
    if only is None:
        return list(FIGURES)
    names = {name.strip().removesuffix(".png") for name in only.split(",") if name.strip()}
    unknown = sorted(names - set(FIGURES))
    allowed = f"choose from {', '.join(FIGURES)}"
    if unknown:
        parser.error(f"--only: unknown figure name(s) {', '.join(map(repr, unknown))}; {allowed}")
    if not names:
        parser.error(f"--only: no figure name given; {allowed}")
    return [name for name in FIGURES if name in names]


def describe(numbers: Numbers) -> str:
    """The measured numbers as one line: 'key value, ...' with 4 significant digits."""
    return ", ".join(f"{key} {value:.4g}" for key, value in numbers.items())


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder for the PNG files (default docs/figures)")
    parser.add_argument("--quick", action="store_true", help="reduced sizes: fewer samples and steps, smaller grids")
    parser.add_argument("--only", metavar="NAME[,NAME]", help=f"build only these figures, of: {', '.join(FIGURES)}")
    args = parser.parse_args(argv)
    names = selected(args.only, parser)
    args.out.mkdir(parents=True, exist_ok=True)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    start = time.perf_counter()
    try:
        for name in names:
            began = time.perf_counter()
            numbers = FIGURES[name](args.out, args.quick)
            print(f"{name + '.png':<27} {time.perf_counter() - began:5.1f} s   {describe(numbers)}", flush=True)
    finally:
        torch.set_num_threads(threads)
    print(f"wrote {len(names)} figure(s) to {args.out} in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
