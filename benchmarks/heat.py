#!/usr/bin/env python3
r"""Heat benchmark (issue 6): accuracy, convergence orders and speed of ``heat.solve``, side by side in one run.

What it measures
----------------
1. Speed at the physical limit: one spectral solve of a 256² field (``heat.solve(p0, grid, t)``, periodic /
   Neumann / Dirichlet) against one bare forward + inverse transform pair of the same array (numpy and scipy
   rfft2 + irfft2, numpy fft2 + ifft2, scipy dctn + idctn and dstn + idstn, orthonormal). Median of --repeats
   interleaved rounds (each round times every candidate once, so drifts in machine load hit all alike).
   Goal: solve / fastest bare pair of its transform ≤ 2.
2. Accuracy: the spectral solve's max error against the exact Gaussian-mixture solution with periodic / mirror
   images (``heat.Mixture.on_grid``) on periodic, Neumann and Dirichlet boxes in 1-D, 2-D and 3-D, means up to
   0.5 from a wall, every std ≥ 3 cells, t from 1e-3 to 2. Goal: ≤ 1e-12.
3. Convergence orders, fitted as the slope of log(error) over halving steps: Crank–Nicolson in time (against
   the exact space-discrete flow of a Fourier mode) and in space (against the exact mixture solution on a
   2-D box whose walls shape it), explicit Euler in time. Goal: 2, 2, 1.
4. With --pypde (needs py-pde, a benchmark-only extra: ``pip install py-pde`` into a separate environment, see
   docs/benchmarks.md): py-pde's solvers on the same problem, a two-component mixture on the periodic 256² box
   [-4, 4]², D = 1, to t = 0.1 (and 0.01, 1.0 for the fastest), each timed per ``solve`` call (best of
   --pypde-repeats calls) with its max error against the exact solution; and the stepping cost alone of its
   Euler stepper, compiled once (``EulerSolver.make_stepper``: per-call JIT compilation and set-up excluded).
   numba runs with one thread (NUMBA_NUM_THREADS=1 unless set), as heat's solves do.
   Goal: the spectral solve ≥ 100× faster than py-pde's fastest at matched or better accuracy.

How to run
----------
  python benchmarks/heat.py                       # sections 1-3, about 20 s on 2 CPUs
  python benchmarks/heat.py --quick               # fewer repeats (a few seconds)
  PYTHONPATH=. /tmp/pypde-venv/bin/python benchmarks/heat.py --pypde     # + py-pde, about 2 minutes
Only the public API of ``heat`` is used.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import statistics
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import scipy
import scipy.fft as sfft

# This file is named heat.py: run as a script, its own folder heads sys.path and ``import heat`` would find this
# file instead of the package. Take the folder off the path first.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != _HERE]

import heat  # noqa: E402

N = 256
BOX = (-4.0, 4.0)
T_PYPDE = 0.1


def timings(candidates: dict[str, Callable[[], object]], repeats: int) -> dict[str, float]:
    """Median seconds per call of each candidate over interleaved rounds (one warm-up round first)."""
    samples: dict[str, list[float]] = {name: [] for name in candidates}
    for name, fn in candidates.items():
        fn()
        del name
    for _ in range(repeats):
        for name, fn in candidates.items():
            start = time.perf_counter()
            fn()
            samples[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in samples.items()}


def two_blobs() -> heat.Mixture:
    """The problem of sections 1 and 4: two tilted Gaussians (stds 0.27-0.47) in [-4, 4]²."""
    return heat.Mixture([0.5, 0.5], [[-1.0, 0.5], [1.0, -0.5]],
                        [np.diag([0.2, 0.1]), [[0.15, 0.05], [0.05, 0.1]]])


# --- 1. speed against bare transforms -----------------------------------------------------------------------------
def speed_table(repeats: int) -> bool:
    rng = np.random.default_rng(0)
    field = rng.random((N, N))
    grids = {bc: heat.Grid((N, N), BOX, bc) for bc in ("periodic", "neumann", "dirichlet")}
    candidates: dict[str, Callable[[], object]] = {
        "numpy rfft2 + irfft2": lambda: np.fft.irfft2(np.fft.rfft2(field), s=field.shape),
        "scipy rfft2 + irfft2": lambda: sfft.irfft2(sfft.rfft2(field), s=field.shape),
        "numpy fft2 + ifft2 (complex)": lambda: np.fft.ifft2(np.fft.fft2(field)),
        "scipy dctn + idctn (II, ortho)": lambda: sfft.idctn(sfft.dctn(field, type=2, norm="ortho"), type=2,
                                                             norm="ortho"),
        "scipy dstn + idstn (II, ortho)": lambda: sfft.idstn(sfft.dstn(field, type=2, norm="ortho"), type=2,
                                                             norm="ortho"),
    }
    for bc, grid in grids.items():
        candidates[f"heat.solve spectral, {bc}"] = lambda grid=grid: heat.solve(field, grid, 0.1)
    med = timings(candidates, repeats)
    bare = {"periodic": min(med["numpy rfft2 + irfft2"], med["scipy rfft2 + irfft2"]),
            "neumann": med["scipy dctn + idctn (II, ortho)"], "dirichlet": med["scipy dstn + idstn (II, ortho)"]}
    print(f"\n### 1. Speed at the physical limit: one solve of a {N}² field vs one bare transform pair\n")
    print(f"median of {repeats} interleaved rounds, float64, one thread\n")
    print("| call | time [ms] | solve / fastest bare pair of its transform |")
    print("|---|---:|---:|")
    ok = True
    for name, seconds in med.items():
        ratio = ""
        if name.startswith("heat.solve"):
            bc = name.rsplit(", ", 1)[1]
            r = seconds / bare[bc]
            ok &= r <= 2.0
            ratio = f"{r:.2f}"
        print(f"| {name} | {1e3 * seconds:.3f} | {ratio} |")
    print(f"\ngoal (ratio ≤ 2 for every boundary condition): {'met' if ok else 'NOT met'}")
    return ok


# --- 2. accuracy against the exact mixture solution ---------------------------------------------------------------
def random_mixture(d: int, seed: int, std_lo: float) -> heat.Mixture:
    rng = np.random.default_rng(seed)
    covs = []
    for _ in range(3):
        stds = rng.uniform(std_lo, 0.8, size=d)
        q, r = np.linalg.qr(rng.normal(size=(d, d)))
        rot = q * np.sign(np.diag(r)) if d < 3 else np.eye(d)
        covs.append(rot @ np.diag(stds**2) @ rot.T)
    w = rng.uniform(0.5, 1.5, size=3)
    return heat.Mixture(w / w.sum(), rng.uniform(-2.5, 2.5, size=(3, d)), np.array(covs))


def accuracy_table() -> bool:
    times = [1e-3, 0.05, 0.3, 2.0]
    print("\n### 2. Spectral solve against the exact mixture solution (periodic / mirror images)\n")
    print("3 components, means in [-2.5, 2.5]^d of the box [-3, 3]^d, stds from 3 cells to 0.8 (tilted in 1-D "
          f"and 2-D), D = 1.3, t = {times}\n")
    print("| d | cells | boundary | max error | max density | time per solve [ms] |")
    print("|---|---|---|---:|---:|---:|")
    worst = 0.0
    for d, n in ((1, 128), (2, 96), (3, 40)):
        for k, bc in enumerate(("periodic", "neumann", "dirichlet")):
            grid = heat.Grid((n,) * d, (-3, 3), bc)
            mix = random_mixture(d, 100 * d + k, 3 * 6 / n)
            p0 = mix.on_grid(grid)
            start = time.perf_counter()
            out = heat.solve(p0, grid, times, diffusivity=1.3)
            elapsed = (time.perf_counter() - start) / len(times)
            err = max(float(np.abs(p - mix.on_grid(grid, t, diffusivity=1.3)).max())
                      for t, p in zip(times, out, strict=True))
            worst = max(worst, err)
            print(f"| {d} | {n}^{d} | {bc} | {err:.1e} | {p0.max():.3f} | {1e3 * elapsed:.2f} |")
    print(f"\ngoal (max error ≤ 1e-12): {'met' if worst <= 1e-12 else 'NOT met'}, worst {worst:.1e}")
    return worst <= 1e-12


# --- 3. convergence orders ----------------------------------------------------------------------------------------
def fitted_order(steps: Sequence[float], errors: Sequence[float]) -> float:
    return float(np.polyfit(np.log(steps), np.log(errors), 1)[0])


def fourier_mode(bc: str, n: int = 32) -> tuple[heat.Grid, np.ndarray, float]:
    """A Fourier mode of the boundary condition on [0, 2π] and its discrete eigenvalue |k_h|²."""
    grid = heat.Grid(n, (0, 2 * math.pi), bc)
    (x,) = grid.axes
    k = 3.0 if bc == "periodic" else 1.5
    values = np.sin(k * x) if bc == "dirichlet" else np.cos(k * x)
    h = grid.spacing[0]
    return grid, values, (2 / h * math.sin(k * h / 2)) ** 2


def convergence_table() -> bool:
    print("\n### 3. Convergence orders (slope of log error over halving steps)\n")
    print("| method | in | boundary | steps | errors | fitted order | goal |")
    print("|---|---|---|---|---|---:|---:|")
    ok = True
    t = 0.5
    for bc in ("periodic", "neumann", "dirichlet"):
        grid, p0, k2h = fourier_mode(bc)
        exact = p0 * math.exp(-k2h * t)
        dts = [t / 2**i for i in range(3, 8)]
        err = [float(np.abs(heat.solve(p0, grid, t, method="crank_nicolson", dt=dt) - exact).max()) for dt in dts]
        order = fitted_order(dts, err)
        ok &= abs(order - 2) < 0.1
        print(f"| crank_nicolson | time | {bc} | dt = {t}/8 … {t}/128 | {err[0]:.1e} … {err[-1]:.1e} | "
              f"{order:.3f} | 2 |")
        limit = heat.stability_limit(grid)
        dts = [limit / 2**i for i in range(1, 6)]
        err = [float(np.abs(heat.solve(p0, grid, t, method="explicit", dt=dt) - exact).max()) for dt in dts]
        order = fitted_order(dts, err)
        ok &= abs(order - 1) < 0.1
        print(f"| explicit | time | {bc} | dt = limit/2 … limit/32 | {err[0]:.1e} … {err[-1]:.1e} | {order:.3f} | 1 |")
    mix = heat.Mixture([0.4, 0.6], [[-0.5, 0.3], [0.8, -0.2]], [np.diag([0.2, 0.1]), [[0.15, 0.05], [0.05, 0.1]]])
    sizes = [24, 48, 96, 192]
    for bc in ("periodic", "neumann", "dirichlet"):
        err = []
        for n in sizes:
            grid = heat.Grid((n, n), (-2, 2), bc)
            p = heat.solve(mix.on_grid(grid), grid, 0.1, method="crank_nicolson", dt=0.1 / 200)
            err.append(float(np.abs(p - mix.on_grid(grid, 0.1)).max()))
        order = fitted_order([4 / n for n in sizes], err)
        ok &= abs(order - 2) < 0.1
        print(f"| crank_nicolson | space | {bc} | {sizes[0]}² … {sizes[-1]}² on [-2, 2]² | {err[0]:.1e} … "
              f"{err[-1]:.1e} | {order:.3f} | 2 |")
    print("\nFourier modes: cos(3x) / cos(1.5x) / sin(1.5x) on [0, 2π], 32 cells, t = 0.5, against p0·e^{-|k_h|² t} "
          "(the exact flow of the space-discrete system, so only the time error is measured). Space: a 2-D "
          "two-component mixture, t = 0.1, dt = t/200, against the exact image solution.")
    print(f"\ngoal (orders 2, 2 and 1 within 0.1): {'met' if ok else 'NOT met'}")
    return ok


# --- 4. py-pde ----------------------------------------------------------------------------------------------------
def pypde_table(repeats: int) -> bool:
    # py-pde's operators are numba-compiled with parallel loops: with as many threads as cores they spin against
    # any other load on a small machine (measured 16× slower per step here). One thread, as heat's own solves.
    os.environ.setdefault("NUMBA_NUM_THREADS", "1")
    try:
        import pde  # type: ignore[import-not-found]
    except ImportError:
        print("\n### 4. py-pde: skipped (py-pde is not importable; install it into a separate environment, "
              "docs/benchmarks.md)")
        return True
    warnings.simplefilter("ignore")  # py-pde's deprecation notes on solver names
    mix = two_blobs()
    grid = heat.Grid((N, N), BOX, "periodic")
    p0 = mix.on_grid(grid)
    h = grid.spacing[0]
    pgrid = pde.CartesianGrid([list(BOX), list(BOX)], [N, N], periodic=[True, True])
    if np.abs(pgrid.axes_coords[0] - grid.axes[0]).max() > 1e-12:
        raise RuntimeError("py-pde's cell centres differ from heat.Grid's")
    state = pde.ScalarField(pgrid, p0)
    eq = pde.DiffusionPDE(diffusivity=1.0)
    dt_limit = h * h / 4  # forward Euler on the 5-point Laplacian in 2-D

    def run(t: float, **kwargs: Any) -> tuple[float, float]:
        best, err = math.inf, math.nan
        for _ in range(repeats):
            start = time.perf_counter()
            out = eq.solve(state, t_range=t, tracker=None, **kwargs)
            best = min(best, time.perf_counter() - start)
            err = float(np.abs(out.data - mix.on_grid(grid, t)).max())
        return best, err

    def ours(t: float, method: str = "spectral", **kwargs: Any) -> tuple[float, float]:
        heat.solve(p0, grid, t, method=method, **kwargs)
        best = math.inf
        for _ in range(50 if method == "spectral" else repeats):
            start = time.perf_counter()
            out = heat.solve(p0, grid, t, method=method, **kwargs)
            best = min(best, time.perf_counter() - start)
        return best, float(np.abs(out - mix.on_grid(grid, t)).max())

    rows: list[tuple[str, float, float]] = []
    spectral = ours(T_PYPDE)
    rows.append(("heat spectral", *spectral))
    rows.append(("heat crank_nicolson, dt = t/10", *ours(T_PYPDE, "crank_nicolson", dt=T_PYPDE / 10)))
    rows.append(("heat explicit, dt = limit", *ours(T_PYPDE, "explicit", dt=heat.stability_limit(grid))))
    pypde_rows: list[tuple[str, float, float]] = []
    configs: list[tuple[str, dict[str, Any]]] = [
        ("py-pde euler, fixed dt = 0.99 limit, numpy backend",
         {"solver": "euler", "dt": 0.99 * dt_limit, "adaptive": False, "backend": "numpy"}),
        ("py-pde euler, adaptive, numpy backend",
         {"solver": "euler", "dt": 1e-5, "adaptive": True, "backend": "numpy"}),
        ("py-pde euler, fixed dt = 0.99 limit, numba backend (per call, with JIT)",
         {"solver": "euler", "dt": 0.99 * dt_limit, "adaptive": False, "backend": "numba"}),
        ("py-pde runge-kutta, adaptive, numpy backend",
         {"solver": "runge-kutta", "dt": 1e-5, "adaptive": True, "backend": "numpy"}),
        ("py-pde crank-nicolson, dt = t/50, numpy backend",
         {"solver": "crank-nicolson", "dt": T_PYPDE / 50, "backend": "numpy"}),
        ("py-pde implicit, dt = t/50, numpy backend", {"solver": "implicit", "dt": T_PYPDE / 50, "backend": "numpy"}),
    ]
    for name, kwargs in configs:
        try:
            seconds, err = run(T_PYPDE, **kwargs)
        except Exception as exc:  # py-pde's fixed-point implicit steps raise ConvergenceError at large dt
            print(f"({name}: {type(exc).__name__}: {exc})")
            continue
        pypde_rows.append((name, seconds, err))
    # the stepping alone, from py-pde's own stepper compiled once (its per-call JIT compilation and set-up excluded)
    steppers = {}
    for backend in ("numba", "numpy"):
        solver = pde.solvers.EulerSolver(eq, backend=backend)
        steppers[backend] = solver.make_stepper(state, 0.99 * dt_limit)
        steppers[backend](state.copy(), 0.0, 2 * dt_limit)  # the first call compiles

    def stepping(backend: str, t: float) -> tuple[float, float]:
        best, err = math.inf, math.nan
        for _ in range(repeats):
            field = state.copy()
            start = time.perf_counter()
            steppers[backend](field, 0.0, t)
            best = min(best, time.perf_counter() - start)
            err = float(np.abs(field.data - mix.on_grid(grid, t)).max())
        return best, err

    for backend in ("numba", "numpy"):
        pypde_rows.append((f"py-pde euler stepper, fixed dt = 0.99 limit, {backend} backend, stepping only",
                           *stepping(backend, T_PYPDE)))

    print(f"\n### 4. py-pde {pde.__version__} on the same problem: periodic {N}² box {list(BOX)}², two Gaussians, "
          f"D = 1, t = {T_PYPDE}\n")
    print(f"best of {repeats} calls each (heat spectral: of 50); max error against the exact (periodic image) solution "
          "at the cell centres; numba with one thread\n")
    print("| solver | time [ms] | max error | time / heat spectral |")
    print("|---|---:|---:|---:|")
    for name, seconds, err in rows + pypde_rows:
        print(f"| {name} | {1e3 * seconds:.2f} | {err:.1e} | {seconds / spectral[0]:.0f} |")
    per_call = min((row for row in pypde_rows if "stepping only" not in row[0]), key=lambda row: row[1])
    fastest = min(pypde_rows, key=lambda row: row[1])
    same_call, same_step = per_call[1] / spectral[0], fastest[1] / spectral[0]
    # matched accuracy: the coarsest grid on which the spectral solve's error is at most py-pde's best error here
    target = min(row[2] for row in pypde_rows)
    coarse = (0, math.inf, math.nan)
    for n in (16, 24, 32, 48, 64, 96, 128, 192, 256):
        g = heat.Grid((n, n), BOX, "periodic")
        q0 = mix.on_grid(g)
        err = float(np.abs(heat.solve(q0, g, T_PYPDE) - mix.on_grid(g, T_PYPDE)).max())
        if err <= target:
            best = min(_timed(lambda g=g, q0=q0: heat.solve(q0, g, T_PYPDE)) for _ in range(20))
            coarse = (n, best, err)
            break
    print(f"\nsame {N}² grid: py-pde's fastest solve call ({per_call[0]}, {1e3 * per_call[1]:.0f} ms, error "
          f"{per_call[2]:.1e}) takes {same_call:.0f}× the spectral solve (error {spectral[1]:.0e}); its fastest "
          f"stepping alone ({fastest[0]}, {1e3 * fastest[1]:.1f} ms) {same_step:.0f}×.")
    print(f"matched accuracy: the spectral solve reaches py-pde's best error here ({target:.1e}) on {coarse[0]}² cells "
          f"(error {coarse[2]:.1e}) in {1e3 * coarse[1]:.3f} ms: {fastest[1] / coarse[1]:.0f}× faster than py-pde's "
          f"fastest stepping, {per_call[1] / coarse[1]:.0f}× than its fastest solve call.")
    ok = min(same_call, same_step) >= 100
    verdict = "met" if ok else (f"NOT met on the same grid against the numba stepping alone ({same_step:.0f}×); met "
                                f"against every solve call ({same_call:.0f}×) and at matched accuracy "
                                f"({fastest[1] / coarse[1]:.0f}×)")
    print(f"goal (≥ 100× at matched or better accuracy): {verdict}")
    # py-pde's cost grows with t, the spectral cost does not
    print("\n| t | heat spectral [ms] (error) | py-pde euler solve, numpy [ms] (error) | ratio | py-pde numba stepping "
          "only [ms] | ratio |")
    print("|---:|---:|---:|---:|---:|---:|")
    for t in (0.01, T_PYPDE, 0.3, 1.0):
        s_time, s_err = ours(t)
        p_time, p_err = run(t, **configs[0][1])
        n_time, _ = stepping("numba", t)
        print(f"| {t} | {1e3 * s_time:.2f} ({s_err:.0e}) | {1e3 * p_time:.1f} ({p_err:.1e}) | {p_time / s_time:.0f} | "
              f"{1e3 * n_time:.1f} | {n_time / s_time:.0f} |")
    return ok


def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--repeats", type=int, default=200, help="interleaved rounds of the speed table")
    parser.add_argument("--pypde", action="store_true", help="compare with py-pde (needs it importable)")
    parser.add_argument("--pypde-repeats", type=int, default=2, help="calls per py-pde configuration")
    args = parser.parse_args(argv)
    repeats = 20 if args.quick else args.repeats
    print(f"heat benchmark: python {platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}, "
          f"{platform.machine()}")
    start = time.perf_counter()
    results = [speed_table(repeats), accuracy_table(), convergence_table()]
    if args.pypde:
        results.append(pypde_table(1 if args.quick else args.pypde_repeats))
    print(f"\ntotal {time.perf_counter() - start:.0f} s; goals {'all met' if all(results) else 'NOT all met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
