"""heat.solve and friends against exact answers: Fourier modes, the exact Gaussian-mixture solution with periodic /
mirror images, measured convergence orders, mass conservation, positivity; the backward heat equation's blow-up;
bad input."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest
import scipy.fft as sfft
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse.linalg import expm_multiply

import heat

BCS = ("periodic", "neumann", "dirichlet")
METHOD_NAMES = r"'spectral', 'crank_nicolson', 'explicit'"


def slope(h: list[float], err: list[float]) -> float:
    """The fitted order: the slope of log(error) against log(step)."""
    return float(np.polyfit(np.log(h), np.log(err), 1)[0])


def mode(grid: heat.Grid, numbers: tuple[int, ...]) -> tuple[np.ndarray, float, float]:
    """An eigenfunction of the Laplacian that satisfies the grid's conditions, sampled at the cell centres:
    (values, |k|² of the PDE, |k_h|² of the finite-volume operator). Mode number m per axis: e^{i 2πm x/L} (as a
    cosine) on periodic axes, cos(πm(x-lo)/L) on Neumann ones, sin(πm(x-lo)/L) on Dirichlet ones."""
    values = np.ones(grid.shape)
    k2 = k2h = 0.0
    coords = grid.coordinates()
    for j, m in enumerate(numbers):
        (lo, _), length, h = grid.bounds[j], grid.lengths[j], grid.spacing[j]
        k = (2 * math.pi if grid.bc[j] == "periodic" else math.pi) * m / length
        phase = k * (coords[j] - lo)
        values = values * (np.sin(phase) if grid.bc[j] == "dirichlet" else np.cos(phase))
        k2 += k * k
        k2h += (2 / h * math.sin(k * h / 2)) ** 2
    return values, k2, k2h


def random_mixture(d: int, k: int, seed: int, lo: float, hi: float, std_range: tuple[float, float],
                   rotate: bool = True) -> heat.Mixture:
    """K components with means in [lo, hi]^d, axis stds in std_range, randomly rotated when ``rotate``."""
    rng = np.random.default_rng(seed)
    covs = []
    for _ in range(k):
        stds = rng.uniform(*std_range, size=d)
        q, r = np.linalg.qr(rng.normal(size=(d, d)))
        rot = q * np.sign(np.diag(r)) if rotate else np.eye(d)
        covs.append(rot @ np.diag(stds**2) @ rot.T)
    w = rng.uniform(0.5, 1.5, size=k)
    return heat.Mixture(w / w.sum(), rng.uniform(lo, hi, size=(k, d)), np.array(covs))


# --- the spectral method: exact in time ------------------------------------------------------------------------
@pytest.mark.parametrize("bcs", [("periodic",), ("neumann",), ("dirichlet",), ("periodic", "dirichlet"),
                                 ("neumann", "periodic"), ("dirichlet", "neumann", "periodic")])
def test_spectral_solve_of_a_fourier_mode_is_exact(bcs: tuple[str, ...]) -> None:
    grid = heat.Grid((12, 10, 8)[:len(bcs)], [(0, 1), (-1, 2), (0.5, 1.5)][:len(bcs)], list(bcs))
    p0, k2, _ = mode(grid, (2, 3, 1)[:len(bcs)])
    times = [0.0, 1e-3, 0.01, 0.05]
    out = heat.solve(p0, grid, times, diffusivity=0.7)
    for t, p in zip(times, out, strict=True):
        np.testing.assert_allclose(p, p0 * math.exp(-0.7 * k2 * t), rtol=0, atol=1e-14)


# Goal: spectral max error <= 1e-12 against the exact mixture solution, periodic / Neumann / Dirichlet, 1-D to 3-D.
# The means lie anywhere in the box (up to 0.5 from a wall), so the images matter; every std >= 3 cells.
@pytest.mark.parametrize("bc", BCS)
@pytest.mark.parametrize(("d", "n"), [(1, 128), (2, 96), (3, 40)])
def test_spectral_solve_matches_the_exact_mixture_solution_to_1e_12(bc: str, d: int, n: int) -> None:
    grid = heat.Grid((n,) * d, (-3, 3), bc)
    h = 6 / n
    mix = random_mixture(d, 3, seed=10 * d + BCS.index(bc), lo=-2.5, hi=2.5, std_range=(3 * h, 0.8), rotate=d < 3)
    times = [0.001, 0.05, 0.3, 2.0]
    got = heat.solve(mix.on_grid(grid), grid, times, diffusivity=1.3)
    for t, p in zip(times, got, strict=True):
        exact = mix.on_grid(grid, t, diffusivity=1.3)
        assert np.abs(p - exact).max() <= 1e-12, (t, np.abs(p - exact).max())


@pytest.mark.parametrize("bc", BCS)
def test_spectral_solve_keeps_mass_and_positivity_to_round_off(bc: str) -> None:
    grid = heat.Grid((64, 48), [(-2, 2), (-1.5, 1.5)], bc)
    # axis-aligned components: their mirror-image sums are >= 0 (a tilted Gaussian's odd image can outweigh it
    # near a Dirichlet wall, and then the exact initial condition itself dips below zero)
    mix = random_mixture(2, 4, seed=3, lo=-1.3, hi=1.3, std_range=(3 * 4 / 64, 0.4), rotate=False)
    p0 = mix.on_grid(grid)
    assert p0.min() >= 0
    out = heat.solve(p0, grid, [1e-4, 0.01, 0.1, 1.0, 10.0])
    mass0 = float(grid.integrate(p0))
    masses = grid.integrate(out)
    if bc == "dirichlet":
        assert (np.diff(np.concatenate([[mass0], masses])) < 0).all()  # an absorbing wall: mass only leaks out
    else:
        np.testing.assert_allclose(masses, mass0, rtol=2e-15, atol=0)
    assert out.min() >= -2e-15 * p0.max(), out.min() / p0.max()


def test_heat_flow_of_a_constant_on_periodic_and_neumann_boxes_is_that_constant() -> None:
    for method, dt in (("spectral", None), ("crank_nicolson", 1e-3), ("explicit", None)):
        grid = heat.Grid((8, 6), (0, 1), ["periodic", "neumann"])
        out = heat.solve(np.full(grid.shape, 2.5), grid, [0.01, 0.1], method=method, dt=dt)
        np.testing.assert_allclose(out, 2.5, rtol=1e-13)


@settings(max_examples=40)
@given(bc=st.sampled_from(BCS), n=st.integers(4, 24), s=st.floats(0.0, 0.5), t=st.floats(0.0, 0.5),
       d=st.floats(0.0, 2.0), seed=st.integers(0, 2**31))
def test_spectral_semigroup_linearity_and_symmetry(bc: str, n: int, s: float, t: float, d: float, seed: int) -> None:
    grid = heat.Grid((n, 5), [(0, 1), (0, 2)], [bc, "neumann"])
    rng = np.random.default_rng(seed)
    p, q = rng.normal(size=(2, *grid.shape))
    # S(s) S(t) = S(s + t)
    np.testing.assert_allclose(heat.solve(heat.solve(p, grid, t, diffusivity=d), grid, s, diffusivity=d),
                               heat.solve(p, grid, s + t, diffusivity=d), rtol=0, atol=1e-13)
    # linear, and self-adjoint in the cell inner product: <S p, q> = <p, S q>
    sp_, sq = heat.solve(p, grid, t, diffusivity=d), heat.solve(q, grid, t, diffusivity=d)
    np.testing.assert_allclose(heat.solve(2 * p - q, grid, t, diffusivity=d), 2 * sp_ - sq, rtol=0, atol=1e-13)
    assert math.isclose(float(np.sum(sp_ * q)), float(np.sum(p * sq)), rel_tol=1e-12, abs_tol=1e-12)
    # never amplifies: ||S p|| <= ||p||
    assert np.linalg.norm(sp_) <= np.linalg.norm(p) * (1 + 1e-14)


# --- the finite-volume operator ----------------------------------------------------------------------------------
@pytest.mark.parametrize("bcs", [("periodic",), ("neumann",), ("dirichlet",), ("dirichlet", "periodic"),
                                 ("neumann", "dirichlet", "periodic")])
def test_laplacian_has_the_grid_modes_as_eigenvectors_with_the_discrete_eigenvalues(bcs: tuple[str, ...]) -> None:
    grid = heat.Grid((10, 8, 6)[:len(bcs)], (0, 2), list(bcs))
    a = heat.laplacian(grid, diffusivity=0.5)
    for numbers in [(1, 2, 3), (4, 1, 2), (5, 4, 3)]:
        v, _, k2h = mode(grid, numbers[:len(bcs)])
        np.testing.assert_allclose(a @ v.reshape(-1), -0.5 * k2h * v.reshape(-1), rtol=0, atol=1e-11)
    assert abs(a - a.T).max() == 0


def test_laplacian_columns_sum_to_zero_without_dirichlet_walls_even_for_a_varying_diffusivity() -> None:
    grid = heat.Grid((7, 9), [(0, 1), (0, 3)], ["periodic", "neumann"])
    dfield = 1 + np.random.default_rng(0).uniform(size=grid.shape)
    a = heat.laplacian(grid, diffusivity=dfield)
    np.testing.assert_allclose(np.asarray(a.sum(axis=0)).ravel(), 0, atol=1e-12)
    assert abs(a - a.T).max() == 0
    # a Dirichlet wall removes mass through the cells next to it, and only there: -2 D_i h⁻² per wall cell
    dir_grid = heat.Grid((7, 9), [(0, 1), (0, 3)], ["dirichlet", "neumann"])
    sums = np.asarray(heat.laplacian(dir_grid, diffusivity=dfield).sum(axis=0)).reshape(dir_grid.shape)
    wall = np.zeros(dir_grid.shape)
    wall[[0, -1]] = -2 * dfield[[0, -1]] / dir_grid.spacing[0] ** 2
    np.testing.assert_allclose(sums, wall, rtol=1e-13, atol=1e-12)


def test_stability_limit_is_the_textbook_bound_for_a_constant_diffusivity() -> None:
    grid = heat.Grid((32, 16, 8), [(0, 1), (0, 2), (0, 3)], ["periodic", "dirichlet", "neumann"])
    h = grid.spacing
    assert math.isclose(heat.stability_limit(grid, diffusivity=0.3), 1 / (2 * 0.3 * sum(1 / x**2 for x in h)),
                        rel_tol=1e-13)
    assert heat.stability_limit(grid, diffusivity=0.0) == math.inf


# --- convergence orders, fitted over halving steps ----------------------------------------------------------------
@pytest.mark.parametrize("bc", BCS)
def test_crank_nicolson_is_second_order_in_time_on_a_fourier_mode(bc: str) -> None:
    # against the exact solution of the space-discrete system, p0 e^{-|k_h|² t}, so only the time error is left
    grid = heat.Grid(32, (0, 2 * math.pi), bc)
    p0, _, k2h = mode(grid, (3,))
    t = 0.5
    steps = [t / 2**i for i in range(3, 8)]
    err = [np.abs(heat.solve(p0, grid, t, method="crank_nicolson", dt=dt) - p0 * math.exp(-k2h * t)).max()
           for dt in steps]
    assert 1.95 < slope(steps, err) < 2.05, (slope(steps, err), err)


@pytest.mark.parametrize("bc", BCS)
def test_explicit_is_first_order_in_time_on_a_fourier_mode(bc: str) -> None:
    grid = heat.Grid(32, (0, 2 * math.pi), bc)
    p0, _, k2h = mode(grid, (3,))
    t = 0.5
    steps = [heat.stability_limit(grid) / 2**i for i in range(1, 6)]
    err = [np.abs(heat.solve(p0, grid, t, method="explicit", dt=dt) - p0 * math.exp(-k2h * t)).max() for dt in steps]
    assert 0.95 < slope(steps, err) < 1.05, (slope(steps, err), err)


@pytest.mark.parametrize("bc", BCS)
def test_crank_nicolson_time_order_on_a_2d_mixture_against_the_exact_semi_discrete_flow(bc: str) -> None:
    grid = heat.Grid((24, 20), [(-2, 2), (-1.5, 1.5)], [bc, "neumann"])
    p0 = random_mixture(2, 2, seed=5, lo=-1.5, hi=1.5, std_range=(0.3, 0.6)).on_grid(grid)
    t = 0.2
    ref = expm_multiply(heat.laplacian(grid) * t, p0.reshape(-1)).reshape(grid.shape)
    steps = [t / 2**i for i in range(2, 7)]
    err = [np.abs(heat.solve(p0, grid, t, method="crank_nicolson", dt=dt) - ref).max() for dt in steps]
    assert 1.95 < slope(steps, err) < 2.05, (slope(steps, err), err)


@pytest.mark.parametrize("bc", BCS)
def test_crank_nicolson_is_second_order_in_space_against_the_exact_mixture_solution(bc: str) -> None:
    # the box is small enough that the walls shape the solution (the images carry a fifth of the mass at t)
    mix = random_mixture(2, 2, seed=7, lo=-1.2, hi=1.2, std_range=(0.3, 0.5))
    t, sizes = 0.1, [24, 48, 96]
    err = []
    for n in sizes:
        grid = heat.Grid((n, n), (-2, 2), bc)
        p = heat.solve(mix.on_grid(grid), grid, t, method="crank_nicolson", dt=t / 100)
        err.append(np.abs(p - mix.on_grid(grid, t)).max())
    h = [4 / n for n in sizes]
    assert 1.9 < slope(h, err) < 2.1, (slope(h, err), err)


def test_explicit_is_second_order_in_space_with_dt_proportional_to_h_squared() -> None:
    mix = random_mixture(1, 2, seed=2, lo=-1, hi=1, std_range=(0.2, 0.4))
    t, sizes = 0.05, [32, 64, 128, 256]
    err = []
    for n in sizes:
        grid = heat.Grid(n, (-2, 2), "neumann")
        p = heat.solve(mix.on_grid(grid), grid, t, method="explicit", dt=0.5 * heat.stability_limit(grid))
        err.append(np.abs(p - mix.on_grid(grid, t)).max())
    h = [4 / n for n in sizes]
    assert 1.95 < slope(h, err) < 2.05, (slope(h, err), err)


def test_crank_nicolson_with_a_varying_diffusivity_is_second_order_by_refinement_by_three() -> None:
    # cell centres of an n-cell grid coincide with the middle centres of the 3n-cell grid: compare there
    def run(n: int) -> np.ndarray:
        grid = heat.Grid(n, (0, 2 * math.pi), "neumann")
        (x,) = grid.axes
        dfield = 1 + 0.5 * np.sin(x)
        return heat.solve(np.exp(np.cos(x)), grid, 0.3, method="crank_nicolson", diffusivity=dfield, dt=0.3 / 400)

    sol = {n: run(n) for n in (20, 60, 180)}
    e1 = np.abs(sol[20] - sol[60][1::3]).max()
    e2 = np.abs(sol[60] - sol[180][1::3]).max()
    assert 1.9 < math.log(e1 / e2) / math.log(3) < 2.1, (e1, e2)


@pytest.mark.parametrize("method", ["crank_nicolson", "explicit"])
def test_finite_volume_methods_conserve_mass_and_explicit_keeps_positivity(method: str) -> None:
    grid = heat.Grid((30, 20), (-2, 2), ["periodic", "neumann"])
    p0 = random_mixture(2, 3, seed=1, lo=-1.8, hi=1.8, std_range=(0.1, 0.3)).on_grid(grid)
    dfield = 0.5 + np.random.default_rng(4).uniform(size=grid.shape)
    out = heat.solve(p0, grid, [0.01, 0.1, 0.5], method=method, diffusivity=dfield,
                     dt=0.01 if method == "crank_nicolson" else None)
    np.testing.assert_allclose(grid.integrate(out), float(grid.integrate(p0)), rtol=1e-13, atol=0)
    if method == "explicit":
        assert out.min() >= 0


def test_constant_diffusivity_as_a_number_or_a_uniform_array_gives_the_same_answer() -> None:
    grid = heat.Grid((12, 10), (0, 1), ["dirichlet", "periodic"])
    p0 = np.random.default_rng(0).uniform(size=grid.shape)
    for method, dt in (("crank_nicolson", 1e-3), ("explicit", None)):
        a = heat.solve(p0, grid, [0.01, 0.02], method=method, diffusivity=0.8, dt=dt)
        b = heat.solve(p0, grid, [0.01, 0.02], method=method, diffusivity=np.full(grid.shape, 0.8), dt=dt)
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-14)


def test_times_between_steps_are_reached_exactly_and_zero_returns_p0() -> None:
    grid = heat.Grid(16, (0, 1), "neumann")
    p0, _, k2h = mode(grid, (2,))
    out = heat.solve(p0, grid, [0.0, 0.0123, 0.05], method="explicit", dt=1e-4)
    np.testing.assert_array_equal(out[0], p0)
    # ⌈0.0123/1e-4⌉ = 123 steps of 1e-4: forward Euler's exact amplification per step
    np.testing.assert_allclose(out[1], p0 * (1 - 1e-4 * k2h) ** 123, rtol=0, atol=1e-13)


# --- the backward heat equation: ill-posed ------------------------------------------------------------------------
def test_backward_solve_undoes_a_resolved_forward_solve_but_amplifies_the_top_mode_by_its_exact_factor() -> None:
    grid = heat.Grid((32, 32), (-4, 4), "neumann")
    p0 = heat.Mixture([1.0], [[0.3, -0.2]], [np.eye(2)]).on_grid(grid)
    tau = 0.01
    back = heat.backward_solve(heat.solve(p0, grid, tau), grid, tau)
    assert np.abs(back - p0).max() < 1e-12
    # a perturbation of 1e-12 in the highest Neumann mode comes back e^{|k_max|² τ} larger, exactly
    top = np.zeros(grid.shape)
    top[-1, -1] = 1.0
    delta = 1e-12 * sfft.idctn(top, type=2, norm="ortho")
    k2_max = 2 * (math.pi * 31 / 8) ** 2
    for tau in (0.01, 0.05, 0.2):
        grown = heat.backward_solve(delta, grid, tau)
        np.testing.assert_allclose(grown, delta * math.exp(k2_max * tau), rtol=1e-10)
    assert np.abs(heat.backward_solve(delta, grid, 0.2)).max() / np.abs(delta).max() > 1e22


# --- gradient -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("bc", BCS)
def test_spectral_gradient_of_a_mode_is_exact_and_finite_differences_are_second_order(bc: str) -> None:
    def field(grid: heat.Grid) -> tuple[np.ndarray, np.ndarray]:
        (x,) = grid.axes
        k = (2 if bc == "periodic" else 1) * math.pi * 3 / 2
        return (np.sin(k * x), k * np.cos(k * x)) if bc == "dirichlet" else (np.cos(k * x), -k * np.sin(k * x))

    grid = heat.Grid(40, (0, 2), bc)
    f, df = field(grid)
    np.testing.assert_allclose(heat.gradient(f, grid)[0], df, rtol=0, atol=1e-12)
    err, sizes = [], [40, 80, 160, 320]
    for n in sizes:
        g = heat.Grid(n, (0, 2), bc)
        f, df = field(g)
        err.append(np.abs(heat.gradient(f, g, gradient="finite_difference")[0] - df).max())
    assert 1.9 < slope([2 / n for n in sizes], err) < 2.1


# --- bad input ----------------------------------------------------------------------------------------------------
GRID = heat.Grid((8, 8), (0, 1), "neumann")
P0 = np.ones((8, 8))


@pytest.mark.parametrize(("call", "exc", "match"), [
    (lambda: heat.solve(np.ones((8, 9)), GRID, 0.1), ValueError,
     r"p0 must have the grid's shape \(8, 8\); got shape \(8, 9\)"),
    (lambda: heat.solve(np.full((8, 8), np.nan), GRID, 0.1), ValueError, r"p0 must be finite; got 64 non-finite"),
    (lambda: heat.solve(P0, "grid", 0.1), TypeError, r"grid must be a heat.Grid; got str"),
    (lambda: heat.solve(P0, GRID, -0.1), ValueError, r"times must be finite and >= 0; got \[-0.1\]"),
    (lambda: heat.solve(P0, GRID, [0.1, 0.3, 0.2]), ValueError,
     r"times must be strictly increasing; got times\[1\] = 0.3, times\[2\] = 0.2"),
    (lambda: heat.solve(P0, GRID, [0.1, 0.1]), ValueError, r"times must be strictly increasing"),
    (lambda: heat.solve(P0, GRID, []), ValueError, r"times must be a number or a non-empty 1-D sequence"),
    (lambda: heat.solve(P0, GRID, "0.1"), TypeError, r"times must be a number or a 1-D sequence"),
    (lambda: heat.solve(P0, GRID, 0.1, method="rk4"), ValueError, rf"method must be one of {METHOD_NAMES}; got 'rk4'"),
    (lambda: heat.solve(P0, GRID, 0.1, diffusivity=-1.0), ValueError,
     r"diffusivity must be a finite number >= 0; got -1.0"),
    (lambda: heat.solve(P0, GRID, 0.1, method="explicit", diffusivity=-np.ones((8, 8))), ValueError,
     r"diffusivity must be >= 0 everywhere; got a minimum of -1.0"),
    (lambda: heat.solve(P0, GRID, 0.1, method="explicit", diffusivity=np.ones((8, 7))), ValueError,
     r"diffusivity must have the grid's shape \(8, 8\); got shape \(8, 7\)"),
    (lambda: heat.solve(P0, GRID, 0.1, method="spectral", diffusivity=np.ones((8, 8))), ValueError,
     r"method 'spectral' needs a constant diffusivity .* Use method 'crank_nicolson' or 'explicit'"),
    (lambda: heat.solve(P0, GRID, 0.1, dt=0.01), ValueError, r"dt is not used by method 'spectral'"),
    (lambda: heat.solve(P0, GRID, 0.1, method="crank_nicolson"), ValueError,
     r"method 'crank_nicolson' needs a time step; got dt=None"),
    (lambda: heat.solve(P0, GRID, 0.1, method="crank_nicolson", dt=0.0), ValueError, r"dt must be a finite number > 0"),
    (lambda: heat.solve(P0, GRID, 0.1, method="explicit", dt=0.01), ValueError,
     r"dt = 0.01 exceeds the explicit \(forward Euler\) stability limit dt <= 2/ρ\(A\) = 0.00390625 .*"
     r"h = \(0.125, 0.125\)"),
    (lambda: heat.backward_solve(P0, GRID, [0.1, 0.2]), ValueError, r"tau must be one number >= 0"),
    (lambda: heat.backward_solve(P0, GRID, -1.0), ValueError, r"tau must be finite and >= 0"),
    (lambda: heat.gradient(P0, GRID, gradient="fd"), ValueError,
     r"gradient must be one of 'spectral', 'finite_difference'; got 'fd'"),
    (lambda: heat.laplacian(GRID, diffusivity="1"), TypeError, r"diffusivity must be a number >= 0 or an array"),
    # the wrong type is a TypeError, the right type out of range a ValueError
    (lambda: heat.solve(P0, GRID, 0.1, method=None), TypeError,
     rf"method must be a string, one of {METHOD_NAMES}; got NoneType None"),
    (lambda: heat.solve(P0, GRID, 0.1, method="explicit", dt="0.01"), TypeError,
     r"dt must be a real number; got str '0.01'"),
    (lambda: heat.solve(P0, GRID, 0.1, method="crank_nicolson", dt=math.nan), ValueError,
     r"dt must be a finite number > 0; got nan"),
    (lambda: heat.solve(P0, GRID, True), TypeError, r"times must be a number or a 1-D sequence of numbers; got True"),
    (lambda: heat.solve(P0, GRID, 0.1, diffusivity=True), TypeError, r"diffusivity must be a number >= 0 or an array"),
    (lambda: heat.solve(P0, GRID, 0.1, diffusivity=math.inf), ValueError,
     r"diffusivity must be a finite number >= 0; got inf"),
    (lambda: heat.solve("p0", GRID, 0.1), TypeError, r"p0 must be a real array; got dtype <U2"),
    (lambda: heat.backward_solve(P0, GRID, 0.1, diffusivity="1"), TypeError,
     r"diffusivity must be a real number; got str '1'"),
    (lambda: heat.gradient(P0, GRID, gradient=1), TypeError,
     r"gradient must be a string, one of 'spectral', 'finite_difference'; got int 1"),
    (lambda: heat.stability_limit((8, 8)), TypeError, r"grid must be a heat.Grid; got tuple"),
])
def test_bad_input_is_refused_with_a_clear_message(call: Callable[[], object], exc: type[Exception], match: str
                                                   ) -> None:
    with pytest.raises(exc, match=match):
        call()


def test_the_explicit_limit_itself_is_accepted() -> None:
    limit = heat.stability_limit(GRID)
    out = heat.solve(P0, GRID, 10 * limit, method="explicit", dt=limit)
    np.testing.assert_allclose(out, 1.0, rtol=1e-14)


# --- heavier checks (pytest -m slow) ------------------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("bc", BCS)
def test_crank_nicolson_is_second_order_in_space_in_3d(bc: str) -> None:
    mix = random_mixture(3, 2, seed=11, lo=-0.8, hi=0.8, std_range=(0.35, 0.5), rotate=False)
    t, sizes = 0.05, [12, 18, 27]  # refined by 1.5: a 3-D direct factorisation grows fast (27³ takes seconds)
    err = []
    for n in sizes:
        grid = heat.Grid((n,) * 3, (-1.5, 1.5), bc)
        p = heat.solve(mix.on_grid(grid), grid, t, method="crank_nicolson", dt=t / 40)
        err.append(np.abs(p - mix.on_grid(grid, t)).max())
    h = [3 / n for n in sizes]
    assert 1.9 < slope(h, err) < 2.1, (slope(h, err), err)


@pytest.mark.slow
@pytest.mark.parametrize("bc", BCS)
def test_spectral_solve_on_large_3d_grids_with_tilted_components(bc: str) -> None:
    grid = heat.Grid((64, 48, 40), [(-3, 3), (-2, 2), (-2, 2)], bc)
    mix = random_mixture(3, 2, seed=21, lo=-1.5, hi=1.5, std_range=(0.35, 0.6), rotate=True)
    times = [0.01, 0.2]
    got = heat.solve(mix.on_grid(grid), grid, times)
    for t, p in zip(times, got, strict=True):
        assert np.abs(p - mix.on_grid(grid, t)).max() <= 1e-12
