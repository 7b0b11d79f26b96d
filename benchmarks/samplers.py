#!/usr/bin/env python3
r"""Samplers benchmark (issue 3): error vs NFE of every method and time grid, driven by the exact score.

What it measures
----------------
Each sampler of ``scoresde.sample`` is driven by the *exact* score of a Gaussian-mixture target under the
VP SDE (β 0.1 → 20), so the gap between its samples and exact samples is the sampler's own error.

Targets (built exactly as /work/shared/tools/peer_samplers.py's ``make_target``, same seed 20240611, but as
``scoresde.GaussianMixture(weights, means, covs = U diag(lam) Uᵀ)``):
  ring2d   d=2, 8 isotropic Gaussians on a ring, radii 2..4, stds 0.1..0.3, equal weights;
  aniso16  d=16, 4 components, weights .4/.3/.2/.1, means of norm 3, random rotations, axis stds 0.05..1.

Metric (the same estimate as the peer tool, so the numbers compare directly with its README):
  SW2 over L = 256 fixed directions (numpy default_rng(7), as the peer tool) between the n generated points
  and a stratified exact reference of ref_mult·n points (exact component counts, torch seed 1000), order
  statistic i of the n points matched to the reference quantile (i+½)/n (``scoresde.SlicedWasserstein``).
  Noise floor: the same estimate for n i.i.d. exact points (seeds 2000+r), mean [min..max] over --floor-reps.
  For deterministic methods also the RMS distance sqrt(mean_i ‖x_i - x_i^ref‖²) (Euclidean per sample) to a
  tight probability-flow ODE solve from the same x_T (dopri5, rtol = atol = 1e-9, float64, same t_min and
  final denoising step).

Initial noise: common random numbers, seeded as the peer tool's ``Ctx.z0()``:
  x_T = torch.randn(n, d, generator=Generator().manual_seed(seed + 1), dtype=float64), cast to --dtype;
  the stochastic methods' generator is Generator().manual_seed(seed + 3) (the peer tool's ``ctx.gen(3)``).
  Deterministic rows therefore compare one to one with the peers' deterministic rows.

NFE budget B: for each method and grid the largest number of steps whose ``res.nfe`` <= B is chosen (a guess
from the method's cost per step, checked by a dry run on 2 points); the cell shows the actual NFE in
parentheses where it differs from B, "—" where even one step costs more than B, "NaN" for non-finite output.

How to run
----------
  python benchmarks/samplers.py                      # full: both targets, all methods x grids, NFE 5..1000
  python benchmarks/samplers.py --quick              # n = 4000, NFE <= 100
  python benchmarks/samplers.py --targets aniso16 --methods dpm_solver:order=2,dpm_solver:order=3 --grids logsnr
  python benchmarks/samplers.py --quick --peers      # + diffusers / k-diffusion rows in the same run
  python benchmarks/samplers.py --robustness         # every method, steps 1,2,3,5,1000: PASS/FAIL
  python benchmarks/samplers.py --self-test          # the harness on a stand-in sampler of exact samples
  python benchmarks/samplers.py --no-denoise         # spend no evaluation on the final Tweedie step
Timing (2 CPUs, one torch thread, measured): --quick with --peers 3 min; --self-test 5 min; --robustness 1.7 min;
aniso16 alone, 9 rows x NFE 5,10,20 at n = 20000 with --peers, 2.6 min. The full default run is estimated at
about an hour (the exact score costs 45 ms per evaluation at 20000 x 16).
Methods are given as name[:key=value[:key=value]], e.g. ``ode:solver=rk4``, ``pc:snr=0.16:corrector_steps=1``.
--peers imports peer_samplers.py (--peer-tool PATH; default ../shared/tools/peer_samplers.py next to the
repository) as a measuring instrument and needs diffusers (and optionally k-diffusion) importable; see its
header for how to install them. Only the public API of scoresde is used.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import sys
import time
import types
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

import scoresde as sd

DEFAULT_NFE = (5, 10, 20, 50, 100, 250, 1000)
DEFAULT_METHODS = ("ancestral", "ddim", "euler_maruyama", "pc", "ode:solver=rk4", "heun",
                   "dpm_solver:order=2", "dpm_solver:order=3")
DEFAULT_GRIDS = ("uniform", "quadratic", "logsnr", "karras")
ADAPTIVE_TOLS = (1e-3, 1e-4, 1e-5, 1e-6)
ROBUSTNESS_STEPS = "1,2,3,5,1000"
TARGET_SEED, REF_SEED, FLOOR_SEED, PROJ_SEED = 20240611, 1000, 2000, 7
BETA_MIN, BETA_MAX = 0.1, 20.0
REF_TOL = 1e-9
DEFAULT_PEER_TOOL = Path(__file__).resolve().parents[2] / "shared" / "tools" / "peer_samplers.py"
F64 = torch.float64


# ----------------------------------------------------------------------------------------------- targets
@dataclass
class Target:
    """A mixture Σ_k w_k N(μ_k, U_k diag(λ_k) U_kᵀ), kept in both forms: the factors (to draw exact samples
    with the same arithmetic as the peer tool) and the ``sd.GaussianMixture`` oracle (for the score)."""

    name: str
    w: torch.Tensor
    mu: torch.Tensor
    U: torch.Tensor
    lam: torch.Tensor
    gm: sd.GaussianMixture = field(init=False)

    def __post_init__(self) -> None:
        self.w = self.w / self.w.sum()
        cov = self.U @ torch.diag_embed(self.lam) @ self.U.transpose(1, 2)
        self.gm = sd.GaussianMixture(self.w, self.mu, 0.5 * (cov + cov.transpose(1, 2)))

    @property
    def d(self) -> int:
        return int(self.mu.shape[1])

    def sample(self, n: int, gen: torch.Generator, stratified: bool = False) -> torch.Tensor:
        """n exact draws (float64). stratified: exact component counts n·w_k (largest remainder)."""
        K = self.w.numel()
        if stratified:
            c = torch.floor(self.w * n).long()
            c[torch.argsort(self.w * n - c, descending=True)[: n - int(c.sum())]] += 1
            k = torch.repeat_interleave(torch.arange(K), c)
        else:
            k = torch.multinomial(self.w, n, replacement=True, generator=gen)
        z = torch.randn(n, self.d, generator=gen, dtype=F64)
        return torch.einsum("nde,ne->nd", self.U[k], z * self.lam[k].sqrt()) + self.mu[k]


def make_target(name: str) -> Target:
    """The peer tool's targets, drawn from the same seeded generator in the same order."""
    g = torch.Generator().manual_seed(TARGET_SEED)
    if name == "ring2d":
        K, d = 8, 2
        ang = 2 * math.pi * torch.arange(K, dtype=F64) / K
        rad = 2.0 + 2.0 * torch.arange(K, dtype=F64) / (K - 1)  # 2..4
        std = 0.1 + 0.2 * torch.tensor([(3 * k) % K for k in range(K)], dtype=F64) / (K - 1)  # 0.1..0.3
        mu = torch.stack([rad * torch.cos(ang), rad * torch.sin(ang)], 1)
        U = torch.eye(d, dtype=F64).expand(K, d, d).clone()
        lam = (std**2)[:, None].expand(K, d).clone()
        return Target(name, torch.ones(K, dtype=F64), mu, U, lam)
    if name == "aniso16":
        K, d = 4, 16
        Q, R = torch.linalg.qr(torch.randn(K, d, d, generator=g, dtype=F64))
        U = Q * torch.sign(torch.diagonal(R, dim1=1, dim2=2))[:, None, :]
        std = torch.exp(torch.empty(K, d, dtype=F64).uniform_(math.log(0.05), 0.0, generator=g))
        mu = torch.randn(K, d, generator=g, dtype=F64)
        mu = 3.0 * mu / mu.norm(dim=1, keepdim=True)
        return Target(name, torch.tensor([0.4, 0.3, 0.2, 0.1], dtype=F64), mu, U, std**2)
    raise ValueError(f"target must be one of 'ring2d', 'aniso16'; got {name!r}")


def directions(d: int, L: int, seed: int = PROJ_SEED) -> torch.Tensor:
    """The peer tool's L projection directions, as rows (L, d)."""
    P = np.random.default_rng(seed).standard_normal((d, L))
    return torch.from_numpy(np.ascontiguousarray((P / np.linalg.norm(P, axis=0, keepdims=True)).T))


# ----------------------------------------------------------------------------------------------- methods
@dataclass(frozen=True)
class Spec:
    """One method with its options, parsed from ``name[:key=value...]``."""

    text: str
    method: str
    options: dict[str, Any]

    @property
    def adaptive(self) -> bool:
        return self.method == "ode" and self.options.get("solver", "dopri5") in ADAPTIVE_SOLVERS

    @property
    def deterministic(self) -> bool:
        if self.method == "ddim":
            return float(self.options.get("eta", 0.0)) == 0.0
        return self.method in ("ode", "heun", "dpm_solver")

    def cost(self) -> tuple[int, int]:
        """(evaluations per step, evaluations saved overall): NFE = cost·steps - saved (+1 for denoising)."""
        if self.method == "heun":
            return 2, 1  # no second evaluation on the last step
        if self.method == "pc":
            return 1 + int(self.options.get("corrector_steps", 1)), 0
        if self.method == "ode":
            return FIXED_ODE_COST.get(str(self.options.get("solver", "dopri5")), 1), 0
        return 1, 0

    def nfe_guess(self, steps: int, denoise: bool) -> int:
        """NFE of ``steps`` steps by the method's cost per step (the benchmark checks it by a dry run)."""
        per_step, saved = self.cost()
        return max(per_step * steps - saved, 1) + int(denoise)


ADAPTIVE_SOLVERS = ("dopri5", "dopri8", "bosh3", "fehlberg2", "adaptive_heun")
FIXED_ODE_COST = {"euler": 1, "midpoint": 2, "rk4": 4, "explicit_adams": 1, "implicit_adams": 2}


def _value(text: str) -> Any:
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return {"true": True, "false": False}.get(text.lower(), text)


def parse_spec(text: str) -> Spec:
    name, *pairs = text.split(":")
    options = {}
    for pair in pairs:
        key, sep, val = pair.partition("=")
        if not sep:
            raise SystemExit(f"--methods: option {pair!r} of {text!r} must be key=value")
        options[key] = _value(val)
    return Spec(text, name, options)


# ----------------------------------------------------------------------------------------------- a run
SampleFn = Callable[..., Any]


@dataclass
class Bench:
    """Everything one target needs: oracle, SDE, x_T, the metric against the exact reference, the floor."""

    target: Target
    n: int
    proj: int
    ref_mult: int
    dtype: torch.dtype
    seed: int
    t_min: float
    sample_fn: SampleFn
    denoise: bool = True
    sde: sd.SDE = field(init=False)
    score_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] = field(init=False)
    metric: sd.SlicedWasserstein = field(init=False)
    z0: torch.Tensor = field(init=False)
    reference: dict[str, Any] | None = field(default=None, init=False)
    _probe: dict[tuple[str, str, int], int] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        self.sde = sd.VPSDE(BETA_MIN, BETA_MAX)
        self.score_fn = self.target.gm.score_fn(self.sde)
        ref = self.target.sample(self.ref_mult * self.n, torch.Generator().manual_seed(REF_SEED), stratified=True)
        self.metric = sd.SlicedWasserstein(ref, directions(self.target.d, self.proj))
        self.z0 = torch.randn(self.n, self.target.d, generator=torch.Generator().manual_seed(self.seed + 1),
                              dtype=F64)

    def sw2(self, x: torch.Tensor) -> float:
        x64 = x.detach().to(F64).reshape(x.shape[0], -1)
        return self.metric(x64) if bool(torch.isfinite(x64).all()) else math.nan

    def floor(self, reps: int) -> list[float]:
        return [self.sw2(self.target.sample(self.n, torch.Generator().manual_seed(FLOOR_SEED + r)))
                for r in range(reps)]

    def call(self, spec: Spec, steps: int, grid: str, x_T: torch.Tensor, **extra: Any) -> Any:
        gen = torch.Generator().manual_seed(self.seed + 3)
        kwargs = {**spec.options, **extra}
        with torch.no_grad():
            return self.sample_fn(self.score_fn, self.sde, x_T, method=spec.method, steps=steps, generator=gen,
                                  t_min=self.t_min, grid=grid, denoise=self.denoise, **kwargs)

    def probe_nfe(self, spec: Spec, grid: str, steps: int) -> int:
        key = (spec.text, grid, steps)
        if key not in self._probe:
            self._probe[key] = int(self.call(spec, steps, grid, self.z0[:2].to(self.dtype)).nfe)
        return self._probe[key]

    def steps_for(self, spec: Spec, grid: str, budget: int) -> int | None:
        """The largest step count whose NFE fits the budget (None if one step does not)."""
        per_step, saved = spec.cost()
        steps = max(1, (budget - int(self.denoise) + saved) // per_step)  # the guess; a dry run checks it
        while steps > 1 and self.probe_nfe(spec, grid, steps) > budget:
            steps -= 1
        if self.probe_nfe(spec, grid, steps) > budget:
            return None
        for _ in range(3):  # the guess may be low by a step or two
            if self.probe_nfe(spec, grid, steps + 1) <= budget:
                steps += 1
            else:
                break
        return steps

    def solve_reference(self) -> dict[str, Any]:
        """The tight PF-ODE solve from the same x_T (float64), for the RMS column."""
        if self.reference is None:
            t0 = time.time()
            res = self.call(Spec("ode", "ode", {}), 1, "uniform", self.z0, solver="dopri5", rtol=REF_TOL,
                            atol=REF_TOL)
            x = res.samples.detach().to(F64)
            self.reference = {"x": x, "nfe": int(res.nfe), "sw2": self.sw2(x), "sec": time.time() - t0}
        return self.reference

    def rms(self, x: torch.Tensor) -> float:
        ref = self.solve_reference()["x"]
        diff = x.detach().to(F64).reshape(ref.shape) - ref
        return float(diff.pow(2).sum(1).mean().sqrt())

    def run(self, spec: Spec, grid: str, budget: int, with_rms: bool) -> dict[str, Any]:
        out: dict[str, Any] = {"sw2": None, "nfe": None, "steps": None, "rms": None, "sec": 0.0, "err": None}
        t0 = time.time()
        try:
            steps = self.steps_for(spec, grid, budget)
            if steps is None:
                out["err"] = f"skipped: one step costs more than {budget} NFE"
                return out
            res = self.call(spec, steps, grid, self.z0.to(self.dtype))
            out.update(steps=steps, nfe=int(res.nfe), sw2=self.sw2(res.samples))
            if with_rms and spec.deterministic and out["sw2"] == out["sw2"]:
                out["rms"] = self.rms(res.samples)
        except Exception as err:  # report it under the row and keep going
            out["err"] = f"{type(err).__name__}: {err}"[:200]
        out["sec"] = time.time() - t0
        return out

    def run_adaptive(self, spec: Spec, tol: float) -> dict[str, Any]:
        t0 = time.time()
        out: dict[str, Any] = {"tol": tol, "sw2": None, "nfe": None, "rms": None, "err": None}
        try:
            res = self.call(spec, 1, "uniform", self.z0.to(self.dtype), rtol=tol, atol=tol)
            out.update(nfe=int(res.nfe), sw2=self.sw2(res.samples))
            if out["sw2"] == out["sw2"]:
                out["rms"] = self.rms(res.samples)
        except Exception as err:
            out["err"] = f"{type(err).__name__}: {err}"[:200]
        out["sec"] = time.time() - t0
        return out


# ----------------------------------------------------------------------------------------------- peers
def load_peer_tool(path: Path) -> types.ModuleType:
    spec = importlib.util.spec_from_file_location("peer_samplers", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    with warnings.catch_warnings():  # the tool silences warnings globally on import; keep that local
        spec.loader.exec_module(module)
    return module


def peer_rows(tool: types.ModuleType) -> tuple[list[tuple[str, Callable[..., Any]]], list[str]]:
    """(label, run(ctx, B)) of the tool's diffusers, k-diffusion, EDM and DPM-Solver rows; and notes."""
    notes: list[str] = []
    rows: list[tuple[str, Callable[..., Any]]] = []
    try:
        import diffusers  # type: ignore[import-not-found]

        rows += [(name, fn) for name, _, fn in tool.diffusers_rows()]
        notes.append(f"diffusers {diffusers.__version__}")
    except ImportError as err:
        notes.append(f"diffusers not importable here ({err}); its rows are skipped")
        return rows, notes
    try:
        krows, how, _ = tool.kdiff_rows()
        rows += [(name, fn) for name, _, fn in krows]
        notes.append(how)
    except Exception as err:
        notes.append(f"k-diffusion not available ({type(err).__name__}: {err}); its rows are skipped")
    for loader, key in ((tool.edm_rows, "edm"), (tool.dpmsolver_rows, "dpm-solver")):
        extra = loader(tool.default_src(key))
        rows += [(name, fn) for name, _, fn in extra]
        notes.append(f"{key}: {'loaded' if extra else 'source absent, skipped'}")
    return rows, notes


def run_peer(tool: types.ModuleType, bench: Bench, fn: Callable[..., Any], budget: int,
             max_nfe_brownian: int, label: str) -> dict[str, Any]:
    out: dict[str, Any] = {"sw2": None, "nfe": None, "steps": None, "rms": None, "sec": 0.0, "err": None}
    if "dpmpp_sde" in label and budget > max_nfe_brownian:
        out["err"] = "skipped: BrownianTree cost"
        return out
    peer_target = tool.make_target(bench.target.name)
    ctx = tool.Ctx(peer_target, bench.n, bench.dtype, "standard", bench.seed)
    peer_target.calls = 0
    t0 = time.time()
    try:
        with torch.no_grad():
            x = fn(ctx, budget)
        out.update(nfe=int(peer_target.calls), sw2=bench.sw2(x))
    except Exception as err:
        out.update(nfe=int(peer_target.calls), err=f"{type(err).__name__}: {err}"[:200])
    out["sec"] = time.time() - t0
    return out


# ----------------------------------------------------------------------------------------------- printing
def cell(res: dict[str, Any], budget: int, key: str = "sw2") -> str:
    v = res.get(key)
    if v is None:
        return "—"
    if v != v:
        text = "NaN"
    elif key == "rms":
        text = f"{v:.2e}"
    else:
        text = f"{v:.4f}" if v < 10 else f"{v:.1f}"
    if res.get("nfe") is not None and res["nfe"] != budget:
        text += f"({res['nfe']})"
    return text


def print_table(title: str, rows: list[dict[str, Any]], budgets: Sequence[int], key: str) -> None:
    width = max(16, *(len(r["label"]) + 2 for r in rows)) if rows else 16
    print(title)
    print(f"{'method / grid':{width}s}" + "".join(f"{b:>15d}" for b in budgets))
    for r in rows:
        print(f"{r['label']:{width}s}" + "".join(f"{cell(r['by_nfe'][b], b, key):>15s}" for b in budgets))
        if key == "sw2":
            for b in budgets:
                err = r["by_nfe"][b]["err"]
                if err and not err.startswith("skipped"):
                    print(f"{'':6s}! NFE {b}: {err}")


# ----------------------------------------------------------------------------------------------- modes
def benchmark(args: argparse.Namespace, sample_fn: SampleFn, tool: types.ModuleType | None) -> dict[str, Any]:
    specs = [parse_spec(s) for s in args.methods]
    out: dict[str, Any] = {"args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
                           "targets": {}}
    prows: list[tuple[str, Callable[..., Any]]] = []
    if tool is not None:
        prows, notes = peer_rows(tool)
        print("peers: " + "; ".join(notes))
    for tname in args.targets:
        T0 = time.time()
        bench = Bench(make_target(tname), args.n, args.proj, args.ref_mult, args.dtype, args.seed, args.t_min,
                      sample_fn, not args.no_denoise)
        floor = bench.floor(args.floor_reps)
        fl = (float(np.mean(floor)), min(floor), max(floor))
        ref = bench.solve_reference() if not args.no_rms else None
        rows: list[dict[str, Any]] = []
        for spec in specs:
            if spec.adaptive:
                continue
            for grid in args.grids:
                row = {"label": f"{spec.text} / {grid}", "method": spec.method, "options": spec.options,
                       "grid": grid, "deterministic": spec.deterministic, "peer": None, "by_nfe": {}}
                for b in args.nfe:
                    row["by_nfe"][b] = bench.run(spec, grid, b, with_rms=not args.no_rms)
                rows.append(row)
                print(f"  [{time.time() - T0:7.1f}s] {tname:8s} {row['label']}", flush=True)
        for label, fn in prows:
            assert tool is not None  # prows come from the tool
            row = {"label": f"peer: {label}", "method": None, "grid": None, "deterministic": None, "peer": label,
                   "by_nfe": {b: run_peer(tool, bench, fn, b, args.max_nfe_brownian, label) for b in args.nfe}}
            rows.append(row)
            print(f"  [{time.time() - T0:7.1f}s] {tname:8s} {row['label']}", flush=True)
        adaptive = []
        for spec in [s for s in specs if s.adaptive] or ([parse_spec("ode")] if not args.no_rms else []):
            for tol in ADAPTIVE_TOLS:
                adaptive.append({"label": spec.text, **bench.run_adaptive(spec, tol)})
        out["targets"][tname] = {"d": bench.target.d, "floor": {"mean": fl[0], "min": fl[1], "max": fl[2],
                                                                "reps": floor},
                                 "reference_ode": None if ref is None else
                                 {k: v for k, v in ref.items() if k != "x"},
                                 "rows": rows, "adaptive": adaptive, "sec": time.time() - T0}
    for tname, res in out["targets"].items():
        fl = res["floor"]
        print(f"\n=== {tname} (d={res['d']}): SW2 vs NFE budget | n={args.n}, L={args.proj} projections, reference "
              f"{args.ref_mult}n stratified exact points, {str(args.dtype).replace('torch.', '')}, t_min={args.t_min}, "
              f"denoise={not args.no_denoise}")
        print(f"    noise floor (exact vs exact, {args.floor_reps} reps) = {fl['mean']:.4f} "
              f"[{fl['min']:.4f}..{fl['max']:.4f}]")
        if res["reference_ode"]:
            r = res["reference_ode"]
            print(f"    reference PF-ODE (dopri5, rtol=atol={REF_TOL:g}, float64, same x_T): SW2 = {r['sw2']:.4f}, "
                  f"NFE = {r['nfe']}  (the value deterministic samplers converge to)")
        print_table("", res["rows"], args.nfe, "sw2")
        det = [r for r in res["rows"] if r["deterministic"]]
        if det and not args.no_rms:
            print_table(f"\n--- {tname}: RMS distance sqrt(mean ‖x - x_ref‖²) to the reference PF-ODE solve "
                        f"(deterministic methods)", det, args.nfe, "rms")
        if res["adaptive"]:
            print(f"\n--- {tname}: adaptive PF-ODE (rtol = atol = tol)")
            print(f"{'solver':16s}{'tol':>10s}{'NFE':>8s}{'SW2':>10s}{'RMS to ref':>13s}")
            for a in res["adaptive"]:
                if a["err"]:
                    print(f"{a['label']:16s}{a['tol']:>10.0e}  ! {a['err']}")
                else:
                    print(f"{a['label']:16s}{a['tol']:>10.0e}{a['nfe']:>8d}{a['sw2']:>10.4f}{a['rms']:>13.2e}")
    return out


def robustness(args: argparse.Namespace, sample_fn: SampleFn) -> dict[str, Any]:
    """Every method on every grid at the given step counts: finite output of the right shape, or FAIL."""
    steps_list = parse_steps(args.robustness_steps)
    specs = [parse_spec(s) for s in args.methods]
    if not any(s.adaptive for s in specs):
        specs.append(parse_spec("ode"))
    report: dict[str, Any] = {}
    print(f"robustness: steps {steps_list}, grids {list(args.grids)}, targets {list(args.targets)}, "
          f"n={args.robust_n}, {str(args.dtype).replace('torch.', '')}")
    for spec in specs:
        failures = []
        t0 = time.time()
        for tname in args.targets:
            bench = Bench(make_target(tname), args.robust_n, 8, 1, args.dtype, args.seed, args.t_min, sample_fn,
                          not args.no_denoise)
            for grid in args.grids:
                for steps in steps_list:
                    try:
                        res = bench.call(spec, steps, grid, bench.z0.to(args.dtype))
                        x = res.samples
                        if x.shape != bench.z0.shape:
                            failures.append(f"{tname}/{grid}/steps={steps}: shape {tuple(x.shape)}")
                        elif not bool(torch.isfinite(x).all()):
                            failures.append(f"{tname}/{grid}/steps={steps}: non-finite output")
                    except Exception as err:
                        failures.append(f"{tname}/{grid}/steps={steps}: {type(err).__name__}: {err}"[:200])
        status = "PASS" if not failures else "FAIL"
        print(f"{status} {spec.text:28s} ({time.time() - t0:5.1f}s)" + ("" if not failures else
                                                                          f"  {len(failures)} failure(s):"))
        for f in failures:
            print(f"      {f}")
        report[spec.text] = {"status": status, "failures": failures}
    return report


def parse_steps(text: str) -> list[int]:
    out: list[int] = []
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        out += list(range(int(lo), int(hi) + 1)) if hi else [int(lo)]
    return out


# ----------------------------------------------------------------------------------------------- self-test
class StandIn:
    """A stand-in for ``sd.sample`` that knows the target. Stochastic methods return a fresh exact draw per call
    (seeded by a call counter, so the cells are independent draws, as the floor's are); deterministic ones one
    fixed exact draw plus a known error 0.1·x_T/steps (none for the adaptive reference solve); the NFE is what a
    real sampler of that cost makes. So the stochastic cells must be distributed as the noise floor's values,
    and every RMS must equal 0.1·sqrt(mean ‖x_T‖²)/steps."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.calls = 0

    def __call__(self, score_fn: Any, sde: Any, x_T: torch.Tensor, method: str, steps: int, *,
                 generator: torch.Generator, t_min: float, grid: str, denoise: bool = True, **options: Any) -> Any:
        spec = Spec(method, method, options)
        n = x_T.shape[0]
        self.calls += 1
        if spec.deterministic:
            x = self.target.sample(n, torch.Generator().manual_seed(4242))
            if not spec.adaptive:
                x = x + 0.1 * x_T.to(F64) / steps
        else:
            x = self.target.sample(n, torch.Generator().manual_seed(10_000 + self.calls))
        nfe = spec.nfe_guess(steps, denoise) if not spec.adaptive else 100
        return types.SimpleNamespace(samples=x.to(x_T.dtype), nfe=nfe)


def self_test(args: argparse.Namespace, tool: types.ModuleType | None) -> bool:
    ok = True

    def check(cond: bool, what: str) -> None:
        nonlocal ok
        ok &= cond
        print(f"  {'ok  ' if cond else 'FAIL'} {what}")

    print("self-test 1: targets, exact samples and metric against the peer tool")
    if tool is None:
        print("  (peer tool not found: skipped)")
    else:
        for tname in args.targets:
            mine, theirs = make_target(tname), tool.make_target(tname)
            cov = theirs.U @ torch.diag_embed(theirs.lam) @ theirs.U.transpose(1, 2)
            same = (torch.equal(mine.w, theirs.w) and torch.equal(mine.mu, theirs.mu)
                    and float((mine.gm.covs - cov).abs().max()) < 1e-15)
            check(same, f"{tname}: weights, means, covariances equal the peer tool's make_target")
            a = mine.sample(5000, torch.Generator().manual_seed(REF_SEED), stratified=True)
            b = theirs.sample(5000, torch.Generator().manual_seed(REF_SEED), stratified=True)
            check(torch.equal(a, b), f"{tname}: stratified exact reference bit-identical to the peer tool's")
            P = tool.projections(mine.d, args.proj)
            x = mine.sample(1000, torch.Generator().manual_seed(3))
            theirs_sw2 = tool.sw2(x.numpy(), tool.sorted_proj(a.numpy(), P), P)
            ours_sw2 = sd.SlicedWasserstein(a, directions(mine.d, args.proj))(x)
            check(abs(ours_sw2 - theirs_sw2) <= 1e-12 * theirs_sw2,
                  f"{tname}: SW2 = {ours_sw2:.12f} (ours) vs {theirs_sw2:.12f} (peer tool's sw2)")
            z_peer = tool.Ctx(theirs, 1000, torch.float64, "standard", args.seed).z0()
            z_ours = torch.randn(1000, mine.d, generator=torch.Generator().manual_seed(args.seed + 1), dtype=F64)
            check(torch.equal(z_peer, z_ours), f"{tname}: x_T bit-identical to the peer tool's Ctx.z0()")
            s = mine.gm.score_fn(sd.VPSDE(BETA_MIN, BETA_MAX))
            t = 0.3
            abar = math.exp(-(BETA_MIN * t + 0.5 * (BETA_MAX - BETA_MIN) * t * t))
            eps_peer = theirs.eps_vp(z_ours, abar)
            eps_ours = -math.sqrt(1 - abar) * s(z_ours, torch.full((1000,), t, dtype=F64))
            check(float((eps_peer - eps_ours).abs().max()) < 1e-10,
                  f"{tname}: exact ε at t=0.3 agrees with the peer oracle "
                  f"(max diff {float((eps_peer - eps_ours).abs().max()):.1e})")

    print(f"\nself-test 2: the harness on a stand-in sampler of exact samples (n={args.n})")
    for tname in args.targets:
        target = make_target(tname)
        args_t = argparse.Namespace(**{**vars(args), "targets": [tname]})
        result = benchmark(args_t, StandIn(target), None)["targets"][tname]
        fl = result["floor"]
        sw = np.array([c["sw2"] for r in result["rows"] if not r["deterministic"] for c in r["by_nfe"].values()])
        # the stochastic cells and the floor reps are independent draws of one distribution: compare the means
        # (4 standard errors of their difference, the spread estimated from the cells)
        se = float(sw.std(ddof=1)) * math.sqrt(1 / len(sw) + 1 / len(fl["reps"]))
        check(abs(float(sw.mean()) - fl["mean"]) < 4 * se,
              f"{tname}: {len(sw)} SW2 cells of fresh exact samples: mean {sw.mean():.4f} (sd {sw.std(ddof=1):.4f}, "
              f"range {sw.min():.4f}..{sw.max():.4f}) vs floor {fl['mean']:.4f} [{fl['min']:.4f}..{fl['max']:.4f}]"
              f", |difference| < 4 s.e. = {4 * se:.4f}")
        rms_z = float(torch.randn(args.n, target.d, generator=torch.Generator().manual_seed(args.seed + 1),
                                  dtype=F64).to(args.dtype).to(F64).pow(2).sum(1).mean().sqrt())
        errs = [abs(c["rms"] - 0.1 * rms_z / c["steps"]) / (0.1 * rms_z / c["steps"])
                for r in result["rows"] for c in r["by_nfe"].values() if c["rms"] is not None]
        check(bool(errs) and max(errs) < 1e-4, f"{tname}: RMS to the reference = 0.1·rms(x_T)/steps in all "
              f"{len(errs)} deterministic cells (max rel. error {max(errs or [math.nan]):.1e})")
        over = [(r["label"], b, c["nfe"]) for r in result["rows"] for b, c in r["by_nfe"].items()
                if c["nfe"] is not None and c["nfe"] > b]
        check(not over, f"{tname}: every chosen step count keeps NFE <= budget {over[:3]}")
    return ok


# ----------------------------------------------------------------------------------------------- main
def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--targets", default="ring2d,aniso16")
    ap.add_argument("--methods", default=",".join(DEFAULT_METHODS),
                    help="comma-separated name[:key=value...]; 'ode' alone (adaptive dopri5) goes to its own table")
    ap.add_argument("--grids", default=",".join(DEFAULT_GRIDS))
    ap.add_argument("--nfe", default=",".join(map(str, DEFAULT_NFE)))
    ap.add_argument("--n", type=int, default=20000)
    ap.add_argument("--proj", type=int, default=256)
    ap.add_argument("--ref-mult", type=int, default=5)
    ap.add_argument("--floor-reps", type=int, default=5)
    ap.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--t-min", type=float, default=1e-3)
    ap.add_argument("--no-denoise", action="store_true", help="no final Tweedie step (denoise=False)")
    ap.add_argument("--no-rms", action="store_true", help="skip the reference PF-ODE solve and the RMS column")
    ap.add_argument("--quick", action="store_true", help="n = 4000, NFE <= 100")
    ap.add_argument("--peers", action="store_true", help="also run the peer tool's diffusers / k-diffusion rows")
    ap.add_argument("--peer-tool", type=Path, default=DEFAULT_PEER_TOOL)
    ap.add_argument("--max-nfe-brownian", type=int, default=250)
    ap.add_argument("--robustness", action="store_true", help="check finite output at --robustness-steps")
    ap.add_argument("--robustness-steps", default=ROBUSTNESS_STEPS, help="e.g. 1,2,3,5,1000 or 1-20,1000")
    ap.add_argument("--robust-n", type=int, default=256)
    ap.add_argument("--self-test", action="store_true", help="test the harness with a stand-in sampler")
    ap.add_argument("--threads", type=int, default=1,
                    help="torch threads; 1 by default (torch's pool slows small ops on small machines), 0: torch's own")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)
    if args.quick:
        args.n = 4000
    args.targets = args.targets.split(",")
    args.methods = [m for m in args.methods.split(",") if m]
    args.grids = args.grids.split(",")
    args.nfe = [int(v) for v in args.nfe.split(",") if not args.quick or int(v) <= 100]
    args.dtype = getattr(torch, args.dtype)
    if args.threads:
        torch.set_num_threads(args.threads)

    tool = None
    if args.peers or args.self_test:
        if args.peer_tool.is_file():
            tool = load_peer_tool(args.peer_tool)
        else:
            print(f"peer tool not found at {args.peer_tool}: peer rows skipped")
    print(f"scoresde {sd.__version__} | torch {torch.__version__} | threads {torch.get_num_threads()} | "
          f"seed {args.seed}")

    if args.self_test:
        ok = self_test(args, tool)
        print(f"\nself-test: {'PASS' if ok else 'FAIL'}")
        return 0 if ok else 1
    sample_fn = getattr(sd, "sample", None)
    if sample_fn is None:
        print("scoresde.sample is not there yet: only --self-test can run")
        return 2
    if args.robustness:
        report = robustness(args, sample_fn)
        out: dict[str, Any] = {"robustness": report}
        code = 0 if all(r["status"] == "PASS" for r in report.values()) else 1
    else:
        out = benchmark(args, sample_fn, tool if args.peers else None)
        code = 0
    if args.json:
        args.json.write_text(json.dumps(out, indent=1, default=str))
        print(f"\nnumbers saved to {args.json}")
    return code


if __name__ == "__main__":
    sys.exit(main())
