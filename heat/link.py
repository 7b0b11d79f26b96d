r"""The bridge to ``scoresde``: forward diffusion *is* heat flow of the density, and sampling reverses it.

For a linear SDE with marginals x_t = α(t) x_0 + σ(t) ε (Song et al. 2021, "Score-Based Generative Modeling
through SDEs"; ``scoresde.SDE.marginal``) the law of x_t given the law at t = 0 is exact: with a = α(t)/α(0),

    y = x_t / a = x_0 + (α(0)/α(t)) σ_{t|0} ε,    α(0)² σ_{t|0}²/α(t)² = α(0)² (σ(t)²/α(t)² - σ(0)²/α(0)²) = 2τ,

so the density q of y is the heat flow of p_0 (∂q/∂τ = ∇²q, the Gaussian kernel of variance 2τ) and, computed by
``time_change``,

    p_t(x) = a^{-d} q_τ(x / a),   τ(t) = ½ α(0)² (σ(t)²/α(t)² - σ(0)²/α(0)²).

In particular:

- VE (α = 1): τ = (σ(t)² - σ(0)²)/2, a = 1: the VE SDE is the heat equation in time τ; with g = √2 (``HeatSDE``)
  τ = t and it *is* ∂p/∂t = ∇²p;
- VP (α = √ᾱ, σ² = 1 - ᾱ): τ = (1/ᾱ - 1)/2, a = √ᾱ: y = x/√ᾱ, ``p_t(x) = ᾱ^{-d/2} q_τ(x/√ᾱ)``;
- any other linear SDE (sub-VP, your own): the same formula from its (α, σ); no per-class code.

The same identity gives the score, ∇ₓ log p_t(x) = a⁻¹ (∇_y log q_τ)(x/a) (``score_field``, ``score_fn``), which
drives the reverse-time SDE and the probability-flow ODE of ``scoresde.sample`` back from the heat-flowed density
to p_0 (``reverse_heat_flow``): a well-posed way to undo heat flow, where the backward heat equation
(``heat.backward_solve``) amplifies mode k by e^{|k|²τ}. Derivations: docs/heat.md.

This is the only module of ``heat`` that imports ``scoresde`` and torch.

References:
    - Song et al. 2021, "Score-Based Generative Modeling through Stochastic Differential Equations", ICLR
      (arXiv:2011.13456): linear SDEs, their marginals, the reverse SDE and the probability-flow ODE.
    - Anderson 1982, "Reverse-time diffusion equation models", Stochastic Processes and their Applications 12.
    - Risken, "The Fokker–Planck Equation", Springer: the Fokker–Planck equation of dx = √(2D) dw is the heat
      equation.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from typing import Any, NamedTuple

import numpy as np
import torch
from numpy.typing import ArrayLike, NDArray
from torch import Tensor

import scoresde as sd
from heat._checks import as_float_array, check_count, check_grid, check_name, check_number, check_times
from heat._spectral import SpectralBasis, grid_gradient
from heat.grid import Grid
from heat.solvers import GRADIENTS, solve

__all__ = [
    "GridDensity",
    "HeatSDE",
    "TimeChange",
    "forward_density",
    "reverse_heat_flow",
    "sample_density",
    "score_field",
    "score_fn",
    "sde_time",
    "time_change",
]

Array = NDArray[np.float64]

NEGATIVE_TOLERANCE = 1e-10
"""A density may dip below zero by this fraction of its maximum (the round-off of a solve on a grid that resolves
it), no more; those values count as zero."""


class HeatSDE(sd.SDE):
    r"""The SDE whose Fokker–Planck equation is the heat equation ``∂p/∂t = D∇²p``: ``dx = √(2D) dw``.

    A VE SDE (Song et al. 2021) with g² = 2D: α = 1, σ(t) = √(2Dt), σ(0) = 0, so heat time τ = D t and
    ``forward_density`` is ``heat.solve`` with diffusivity D. Usable everywhere a ``scoresde.SDE`` is.

    Args:
        diffusivity: D > 0.
        T: the end time T > 0 (the prior is N(0, 2DT·I), a fair approximation only once √(2DT) dwarfs the data).

    Raises:
        TypeError: ``diffusivity`` or ``T`` is not a real number.
        ValueError: ``diffusivity`` or ``T`` is not a finite number > 0.

    References:
        - Song et al. 2021, "Score-Based Generative Modeling through Stochastic Differential Equations", ICLR
          (arXiv:2011.13456): the VE SDE.
        - Risken, "The Fokker–Planck Equation", Springer.
    """

    def __init__(self, diffusivity: float = 1.0, T: float = 1.0) -> None:
        self.diffusivity = check_number(diffusivity, "diffusivity", low=0.0, low_open=True)
        self.T = check_number(T, "T", low=0.0, low_open=True)

    def __repr__(self) -> str:
        return f"HeatSDE(diffusivity={self.diffusivity}, T={self.T})"

    @property
    def prior_std(self) -> float:
        """The standard deviation of the prior ``N(0, s² I)`` that stands for p_T: ``s = σ(T) = √(2DT)``."""
        return math.sqrt(2.0 * self.diffusivity * self.T)

    def _marginal(self, t: Tensor) -> tuple[Tensor, Tensor]:
        return torch.ones_like(t), torch.sqrt(2.0 * self.diffusivity * t)

    def _drift_coef(self, t: Tensor) -> Tensor:
        return torch.zeros_like(t)

    def _g2(self, t: Tensor) -> Tensor:
        return torch.full_like(t, 2.0 * self.diffusivity)

    def _transition(self, s: Tensor, t: Tensor) -> tuple[Tensor, Tensor]:
        return torch.ones_like(t), torch.sqrt(2.0 * self.diffusivity * (t - s))

    def _lambda(self, t: Tensor) -> Tensor:
        return -0.5 * torch.log(2.0 * self.diffusivity * t)

    def _t_of_lambda(self, lam: Tensor) -> Tensor:
        return torch.exp(-2.0 * lam) / (2.0 * self.diffusivity)


class TimeChange(NamedTuple):
    """Heat time and scale of an SDE time: ``p_t(x) = scale^(-d) · q_tau(x / scale)``.

    Attributes:
        tau: the heat time τ(t), float64 of t's shape.
        scale: the scale a(t) = α(t)/α(0), float64 of t's shape.
    """

    tau: Array
    scale: Array


class GridDensity(NamedTuple):
    """A density given by its values at the cell centres of a grid.

    Attributes:
        values: the density at the cell centres, float64 of the grid's shape.
        grid: the grid.
    """

    values: Array
    grid: Grid


def _check_sde(sde: Any) -> sd.SDE:
    if not isinstance(sde, sd.SDE):
        raise TypeError(f"sde must be a scoresde.SDE (VPSDE, VESDE, SubVPSDE, heat.HeatSDE, ...); "
                        f"got {type(sde).__name__}")
    return sde


def _check_density(p: ArrayLike, grid: Grid, name: str) -> Array:
    """A grid field that is a density: finite, of positive mass, and >= 0 up to round-off."""
    values = grid.check_values(p, name)
    top = float(values.max())
    if top <= 0:
        raise ValueError(f"{name} must be a density with positive values; got maximum {top!r}")
    low = float(values.min())
    if low < -NEGATIVE_TOLERANCE * top:
        raise ValueError(f"{name} must be a density, >= 0 (up to round-off, {NEGATIVE_TOLERANCE:g} of its maximum); "
                         f"got a minimum of {low!r} with maximum {top!r} (Gibbs ripples of a spectral solve mean the "
                         f"grid does not resolve the density: refine it)")
    return values


def _check_floor(floor: Any) -> float:
    return check_number(floor, "floor", low=0.0, high=1.0, high_open=True)


def time_change(sde: sd.SDE, t: ArrayLike) -> TimeChange:
    r"""Heat time τ(t) and scale a(t) that turn ``sde``'s marginal flow into the heat equation ∂q/∂τ = ∇²q:

        a(t) = α(t)/α(0),   τ(t) = ½ α(0)² (σ(t)²/α(t)² - σ(0)²/α(0)²),   p_t(x) = a^{-d} q_τ(x/a),

    from ``sde.marginal`` alone. VE: τ = (σ(t)² - σ(0)²)/2, a = 1. VP: τ = (1/ᾱ(t) - 1)/2, a = √ᾱ(t).
    ``HeatSDE(D)``: τ = D t.

    Args:
        sde: any ``scoresde.SDE``.
        t: times in [0, T], a number or a 1-D array.

    Returns:
        ``TimeChange(tau, scale)``, float64 arrays of t's shape.

    Raises:
        TypeError: ``sde`` is not a ``scoresde.SDE``, or ``t`` not a number or an array of numbers.
        ValueError: a time outside [0, T] (from ``sde.marginal``).

    References:
        - Song et al. 2021, "Score-Based Generative Modeling through Stochastic Differential Equations", ICLR,
          arXiv:2011.13456. App. B (the marginals of linear SDEs).
        - Risken, "The Fokker–Planck Equation", Springer, 1989 (the Fokker–Planck equation of dx = √(2D) dw is the heat
          equation).
    """
    _check_sde(sde)
    tt = torch.as_tensor(as_float_array(t, "t", "a number or a 1-D array of times"))
    alpha, sigma = (v.numpy() for v in sde.marginal(tt))
    alpha0, sigma0 = (float(v) for v in sde.marginal(0.0))
    tau = 0.5 * alpha0**2 * ((sigma / alpha) ** 2 - (sigma0 / alpha0) ** 2)
    return TimeChange(np.asarray(np.maximum(tau, 0.0), dtype=np.float64), np.asarray(alpha / alpha0, dtype=np.float64))


def sde_time(sde: sd.SDE, tau: ArrayLike) -> Array:
    r"""The inverse of ``time_change``: the SDE time t at which heat time τ is reached.

        σ(t)²/α(t)² = 2τ/α(0)² + σ(0)²/α(0)² = e^{-2λ(t)},   t = λ⁻¹(-½ log(2τ/α(0)² + σ(0)²/α(0)²))

    by ``sde.t_of_lambda`` (closed form for VP, sub-VP, VE and ``HeatSDE``).

    Args:
        sde: any ``scoresde.SDE``.
        tau: heat times in [0, τ(T)], a number or a 1-D array.

    Returns:
        float64 array of the shape of ``tau``.

    Raises:
        TypeError: ``sde`` is not a ``scoresde.SDE``, or ``tau`` not a number or an array of numbers.
        ValueError: ``tau`` has more than one dimension, is not finite, negative, or beyond τ(T).

    References:
        - Song et al. 2021, "Score-Based Generative Modeling through Stochastic Differential Equations", ICLR,
          arXiv:2011.13456.
        - Kingma, Salimans, Poole & Ho 2021, "Variational Diffusion Models", NeurIPS, arXiv:2107.00630 (the log-SNR).
    """
    _check_sde(sde)
    arr = as_float_array(tau, "tau", "a number or a 1-D array of numbers")
    if arr.ndim > 1:
        raise ValueError(f"tau must be a number or a 1-D array; got shape {arr.shape}")
    flat = arr.reshape(-1)
    if not np.isfinite(flat).all() or (flat < 0).any():
        raise ValueError(f"tau must be finite and >= 0; got {flat.tolist() if flat.size < 8 else flat}")
    tau_max = float(time_change(sde, sde.T).tau)
    if (flat > tau_max * (1 + 1e-12)).any():
        raise ValueError(f"tau must lie in [0, τ(T)] = [0, {tau_max:.6g}] for {sde!r}; got max {float(flat.max())!r}")
    alpha0, sigma0 = (float(v) for v in sde.marginal(0.0))
    ratio2 = 2.0 * flat / alpha0**2 + (sigma0 / alpha0) ** 2  # σ(t)²/α(t)² = e^{-2λ(t)}
    out = np.zeros_like(flat)
    positive = flat > 0
    if positive.any():
        lam_T, lam_0 = (float(v) for v in sde.lambda_(torch.tensor([sde.T, 0.0], dtype=torch.float64)))
        lam = torch.as_tensor(-0.5 * np.log(ratio2[positive])).clamp(lam_T, lam_0)
        out[positive] = sde.t_of_lambda(lam).numpy()
    return out.reshape(arr.shape)


def forward_density(sde: sd.SDE, p0: ArrayLike, grid: Grid, t: float, *, method: str = "spectral",
                    dt: float | None = None) -> GridDensity:
    r"""The density of x_t under ``sde`` given the density ``p0`` of x at t = 0, computed by the heat solver.

        p_t(x) = a^(-d) q_τ(x/a),   (τ, a) = time_change(sde, t),   q_τ = heat.solve(p0, grid, τ, method=method)

    The values live on ``grid.scaled(a)`` (the cell centres a·x_i), so no interpolation is needed: with the
    spectral method it equals the exact marginal (e.g. of a ``scoresde.GaussianMixture``) to round-off on a
    grid that resolves p0 and a box that holds p_t (on a bounded box the walls act on the rescaled variable y).

    For ``VESDE`` (σ(0) = σ_min > 0) p0 is the density at t = 0, i.e. the data already smoothed by N(0, σ_min²).

    Args:
        sde: any ``scoresde.SDE``.
        p0: the density at t = 0 on ``grid`` (finite, >= 0).
        grid: the grid of p0.
        t: one time in [0, T].
        method: the ``heat.solve`` method: "spectral", "crank_nicolson" or "explicit".
        dt: the ``heat.solve`` time step, in heat time τ.

    Returns:
        ``GridDensity(values, grid)`` with grid = ``grid.scaled(a)``.

    Raises:
        TypeError: ``sde`` is not a ``scoresde.SDE``, ``grid`` not a ``Grid``, ``p0`` not a real array, ``t`` not
            a number, or ``method`` / ``dt`` of the wrong type (see ``heat.solve``).
        ValueError: ``p0`` is not a density on the grid (wrong shape, not finite, negative beyond round-off or
            zero), ``t`` is not one time in [0, T], or a bad ``method`` / ``dt`` (see ``heat.solve``).

    References:
        - Song et al. 2021, "Score-Based Generative Modeling through Stochastic Differential Equations", ICLR,
          arXiv:2011.13456. App. B.
        - Trefethen 2000, "Spectral Methods in MATLAB", SIAM (spectral differentiation and time stepping).
    """
    _check_sde(sde)
    check_grid(grid)
    values = _check_density(p0, grid, "p0")
    ts, scalar = check_times(t, "t")
    if not scalar:
        raise ValueError(f"t must be one number in [0, {sde.T:g}]; got shape {ts.shape}")
    change = time_change(sde, float(ts[0]))
    a = float(change.scale)
    q = solve(values, grid, float(change.tau), method=method, dt=dt)
    return GridDensity(q / a**grid.ndim, grid.scaled(a))


def score_field(p: ArrayLike, grid: Grid, *, gradient: str = "spectral", floor: float = 1e-12) -> Array:
    r"""The score ``∇log p = ∇p / p`` of a grid density.

    Gradient "spectral": ∇p/p with ∇p from the eigen-expansion (``heat.gradient``). "finite_difference":
    second-order differences of log p. Where p ≤ floor · max p the logarithm carries only round-off, and the score
    is set to 0.

    Args:
        p: a density on ``grid`` (finite, >= 0 up to round-off).
        grid: the grid.
        gradient: the gradient scheme, "spectral" or "finite_difference" (one of ``heat.GRADIENTS``).
        floor: the relative level in [0, 1) below which the score is not computed.

    Returns:
        float64 array of shape ``(d, *grid.shape)``: ``score_field(p, grid)[j]`` is ∂log p/∂x_j.

    Raises:
        TypeError: ``grid`` is not a ``Grid``, ``p`` not a real array, ``gradient`` not a string or ``floor`` not a
            number.
        ValueError: ``p`` is not a density on the grid, an unknown ``gradient``, or ``floor`` outside [0, 1).

    References:
        - Hyvärinen 2005, "Estimation of Non-Normalized Statistical Models by Score Matching", JMLR 6 (the score ∇log
          p).
        - Trefethen 2000, "Spectral Methods in MATLAB", SIAM (spectral differentiation and time stepping).
    """
    check_grid(grid)
    values = _check_density(p, grid, "p")
    return _score_field(values, grid, check_name(gradient, "gradient", GRADIENTS), _check_floor(floor))


def _score_field(values: Array, grid: Grid, gradient: str, floor: float) -> Array:
    level = floor * float(values.max())
    keep = values > level
    if gradient == "spectral":
        with np.errstate(divide="ignore", invalid="ignore"):
            out = grid_gradient(values, grid, "spectral") / values
    else:
        out = grid_gradient(np.log(np.maximum(values, max(level, np.finfo(np.float64).tiny))), grid,
                            "finite_difference")
    return np.where(keep, out, 0.0)


def score_fn(sde: sd.SDE, p0: ArrayLike, grid: Grid, *, gradient: str = "spectral", floor: float = 1e-12
             ) -> sd.ScoreFn:
    r"""``score_fn(x, t) ≈ ∇ₓlog p_t(x)`` of the heat-flowed ``p0``, for ``scoresde.sample`` and ``SDE.reverse``.

    At each distinct t: q_τ by the spectral solve (one inverse transform of p0's coefficients, computed once),
    its ``score_field`` on the grid, and multilinear interpolation (``Grid.interpolate``) at y = x/a:

        ∇ₓ log p_t(x) = a⁻¹ (∇_y log q_τ)(x/a),   (τ, a) = time_change(sde, t).

    The last 8 fields are cached (samplers evaluate several times at one t). x has shape (batch, d) with d the
    grid's dimension; the result has x's dtype and device.

    Args:
        sde: any ``scoresde.SDE``.
        p0: the density at t = 0 on ``grid`` (finite, >= 0).
        grid: the grid of p0.
        gradient: how ``score_field`` differentiates: "spectral" or "finite_difference".
        floor: the relative level in [0, 1) below which the score is set to 0 (``score_field``).

    Returns:
        The function ``score_fn(x, t)``; it raises ``TypeError`` for an x that is not a tensor and ``ValueError``
        for one not of shape (batch, d).

    Raises:
        TypeError: ``sde`` is not a ``scoresde.SDE``, ``grid`` not a ``Grid``, ``p0`` not a real array,
            ``gradient`` not a string or ``floor`` not a number.
        ValueError: ``p0`` is not a density on the grid, an unknown ``gradient``, or ``floor`` outside [0, 1).

    References:
        Song et al. 2021, "Score-Based Generative Modeling through Stochastic Differential Equations", ICLR
        (arXiv:2011.13456).
    """
    _check_sde(sde)
    check_grid(grid)
    values = _check_density(p0, grid, "p0")
    scheme = check_name(gradient, "gradient", GRADIENTS)
    level = _check_floor(floor)
    basis = SpectralBasis(grid)
    coef = basis.forward(values)
    cache: OrderedDict[float, tuple[Array, float]] = OrderedDict()

    def field_at(t: float) -> tuple[Array, float]:
        if t not in cache:
            change = time_change(sde, t)
            tau = float(change.tau)
            q = values if tau == 0 else basis.evolve(coef, tau)
            cache[t] = (_score_field(q, grid, scheme, level), float(change.scale))
            if len(cache) > 8:
                cache.popitem(last=False)
        return cache[t]

    def fn(x: Tensor, t: Tensor) -> Tensor:
        if not isinstance(x, Tensor):
            raise TypeError(f"x must be a tensor of shape (batch, {grid.ndim}); got {type(x).__name__}")
        if x.ndim != 2 or x.shape[1] != grid.ndim:
            raise ValueError(f"x must be a tensor of shape (batch, {grid.ndim}); got {tuple(x.shape)}")
        pts = x.detach().to(device="cpu", dtype=torch.float64).numpy()
        times = np.broadcast_to(torch.as_tensor(t).detach().to("cpu", torch.float64).numpy(), (pts.shape[0],))
        out = np.empty_like(pts)
        for u in np.unique(times):
            rows = times == u
            field, a = field_at(float(u))
            out[rows] = grid.interpolate(field, pts[rows] / a) / a
        return torch.from_numpy(out).to(dtype=x.dtype, device=x.device)

    return fn


def sample_density(p: ArrayLike, grid: Grid, n: int, *, generator: torch.Generator | None = None) -> Tensor:
    r"""n draws from the piecewise-constant density of the cells: cell i with probability ``p_i / Σ_j p_j``.

    Each draw picks a cell with that probability (cells have equal volume) and then a uniform point in it.
    Values below zero (round-off) count as zero.

    Args:
        p: a density on ``grid`` (finite, >= 0 up to round-off).
        grid: the grid.
        n: the number of draws, >= 1.
        generator: the source of randomness.

    Returns:
        float64 tensor of shape (n, d).

    Raises:
        TypeError: ``grid`` is not a ``Grid``, ``p`` not a real array, or ``n`` not an int.
        ValueError: ``p`` is not a density on the grid, or ``n`` < 1.
    """
    check_grid(grid)
    values = _check_density(p, grid, "p")
    check_count(n, "n")
    probs = torch.from_numpy(np.clip(values, 0.0, None).reshape(-1))
    cells = torch.multinomial(probs, n, replacement=True, generator=generator).numpy()
    index = np.stack(np.unravel_index(cells, grid.shape), axis=1).astype(np.float64)
    offset = torch.rand(n, grid.ndim, dtype=torch.float64, generator=generator).numpy()
    lo = np.array([b[0] for b in grid.bounds])
    return torch.from_numpy(lo + (index + offset) * np.array(grid.spacing))


def reverse_heat_flow(
    sde: sd.SDE,
    p0: ArrayLike,
    grid: Grid,
    n: int,
    *,
    method: str = "euler_maruyama",
    steps: int = 500,
    t_min: float = 1e-3,
    time_grid: str = "quadratic",
    denoise: bool = False,
    generator: torch.Generator | None = None,
    gradient: str = "spectral",
    floor: float = 1e-12,
    **options: Any,
) -> sd.SampleResult:
    r"""Undo heat flow by sampling: draw x_T from the heat-flowed density p_T (``forward_density``,
    ``sample_density``) and integrate the reverse SDE or probability-flow ODE (``scoresde.sample``) with the grid
    score (``score_fn``) back to t_min, so that the samples are distributed as p_{t_min} ≈ p0.

    The reverse SDE (Anderson 1982; Song et al. 2021) and the probability-flow ODE:

        dx = [f x - g² ∇log p_t(x)] dt + g dw̄,        dx/dt = f x - ½ g² ∇log p_t(x)

    The samples run in free space: on a bounded box this reverses the box's heat flow only while p_t is
    negligible at the walls.

    Args:
        sde: the forward SDE (e.g. ``HeatSDE(T=0.5)``, ``scoresde.VESDE(0.01, 3.0)``, ``scoresde.VPSDE()``).
        p0: the density at t = 0 on ``grid``.
        grid: its grid.
        n: the number of samples.
        method: the ``scoresde.sample`` method, e.g. "euler_maruyama" (the reverse SDE) or "ode".
        steps: the number of sampler steps.
        t_min: the time at which the reverse integration stops.
        time_grid: the time grid, ``scoresde.sample``'s ``grid`` ("quadratic", "uniform", ...).
        denoise: the final Tweedie step of ``scoresde.sample``; off by default, since it returns a posterior
            mean, not a sample of p_{t_min}.
        generator: the source of all randomness (x_T and the SDE's noise).
        gradient: how ``score_field`` differentiates: "spectral" or "finite_difference".
        floor: the relative level in [0, 1) below which the score is set to 0.
        **options: further keyword arguments for ``scoresde.sample`` (e.g. the ODE solver's tolerances).

    Returns:
        The ``scoresde.SampleResult``; ``samples`` is float64 (n, d).

    Raises:
        TypeError: ``sde`` is not a ``scoresde.SDE``, ``grid`` not a ``Grid``, ``n`` not an int, ``time_grid`` not
            a string, or an argument of the wrong type for ``score_fn`` or ``scoresde.sample``.
        ValueError: ``p0`` is not a density on the grid, ``n`` < 1, ``time_grid`` not one of ``scoresde.GRIDS``, a
            bad ``gradient`` or ``floor``, or an option ``scoresde.sample`` refuses.

    Example:
        ```python
        grid = Grid((128, 128), (-4, 4), "neumann")
        out = reverse_heat_flow(HeatSDE(T=0.5), p0, grid, 4000, generator=torch.Generator().manual_seed(0))
        out.samples                    # 4000 points distributed as p_{t_min} ≈ p0
        ```

    References:
        - Anderson 1982, "Reverse-time diffusion equation models", Stochastic Processes and their Applications 12.
        - Song et al. 2021, "Score-Based Generative Modeling through Stochastic Differential Equations", ICLR
          (arXiv:2011.13456).
    """
    _check_sde(sde)
    check_count(n, "n")  # the cheap checks before the forward solve
    check_name(time_grid, "time_grid", sd.GRIDS)
    final = forward_density(sde, p0, grid, sde.T)
    x_T = sample_density(final.values, final.grid, n, generator=generator)
    fn = score_fn(sde, p0, grid, gradient=gradient, floor=floor)
    return sd.sample(fn, sde, x_T, method=method, steps=steps, generator=generator, t_min=t_min, grid=time_grid,
                     denoise=denoise, **options)
