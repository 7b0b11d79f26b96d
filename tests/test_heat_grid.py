"""heat.Grid: cell-centred geometry, integration, interpolation and histograms against exact answers; bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import heat

BC_NAMES = r"'periodic', 'neumann', 'dirichlet'"


def test_cell_centres_spacing_and_volume() -> None:
    grid = heat.Grid((4, 8), [(-1.0, 1.0), (0.0, 2.0)], ["periodic", "dirichlet"])
    assert grid.ndim == 2 and grid.size == 32
    assert grid.spacing == (0.5, 0.25) and grid.lengths == (2.0, 2.0)
    assert grid.cell_volume == 0.125
    np.testing.assert_array_equal(grid.axes[0], [-0.75, -0.25, 0.25, 0.75])
    np.testing.assert_array_equal(grid.axes[1], 0.125 + 0.25 * np.arange(8))
    coords = grid.coordinates()
    assert coords.shape == (2, 4, 8)
    np.testing.assert_array_equal(coords[0][:, 3], grid.axes[0])
    np.testing.assert_array_equal(coords[1][2], grid.axes[1])
    pts = grid.points()
    assert pts.shape == (32, 2)
    np.testing.assert_array_equal(pts[9], [grid.axes[0][1], grid.axes[1][1]])  # C order: cell (1, 1)


def test_one_bc_and_one_pair_apply_to_every_axis_and_grids_compare_by_value() -> None:
    grid = heat.Grid((3, 5, 2), (0, 1), "neumann")
    assert grid.bc == ("neumann",) * 3 and grid.bounds == ((0.0, 1.0),) * 3
    assert heat.Grid(16, (0, 1)) == heat.Grid((16,), [(0.0, 1.0)], ["periodic"])
    assert heat.Grid(16, (0, 1)) != heat.Grid(16, (0, 1), "dirichlet")
    assert len({heat.Grid(16, (0, 1)), heat.Grid([16], (0.0, 1.0))}) == 1
    assert "neumann" in repr(grid)


def test_scaled_multiplies_the_box_and_keeps_cells_and_conditions() -> None:
    grid = heat.Grid((8, 4), [(-2, 2), (0, 1)], ["neumann", "periodic"])
    small = grid.scaled(0.5)
    assert small.shape == grid.shape and small.bc == grid.bc
    assert small.bounds == ((-1.0, 1.0), (0.0, 0.5))
    np.testing.assert_allclose(small.points(), 0.5 * grid.points(), rtol=0, atol=1e-15)


def test_integrate_is_the_midpoint_rule_and_exact_for_linear_fields() -> None:
    grid = heat.Grid((10, 7), [(0, 2), (-1, 3)], "dirichlet")
    x, y = grid.coordinates()
    assert math.isclose(float(grid.integrate(3 + 2 * x - y)), (3 + 2 * 1 - 1) * 8, rel_tol=1e-14)
    both = grid.integrate(np.stack([np.ones(grid.shape), x]))
    np.testing.assert_allclose(both, [8.0, 8.0], rtol=1e-14)
    # a resolved Gaussian: the midpoint rule is spectrally accurate
    g = heat.Grid(64, (-8, 8))
    (z,) = g.coordinates()
    assert abs(float(g.integrate(np.exp(-z**2 / 2) / math.sqrt(2 * math.pi))) - 1) < 1e-14


def test_interpolate_is_exact_for_multilinear_fields_inside_the_centres() -> None:
    grid = heat.Grid((6, 5, 4), [(0, 3), (-1, 1), (0, 2)], "neumann")
    x, y, z = grid.coordinates()
    f = 1 + 2 * x - 3 * y + 0.5 * z + x * y - y * z + 0.25 * x * y * z
    rng = np.random.default_rng(0)
    lo = [ax[0] for ax in grid.axes]
    hi = [ax[-1] for ax in grid.axes]
    pts = rng.uniform(lo, hi, size=(200, 3))
    px, py, pz = pts.T
    want = 1 + 2 * px - 3 * py + 0.5 * pz + px * py - py * pz + 0.25 * px * py * pz
    np.testing.assert_allclose(grid.interpolate(f, pts), want, rtol=0, atol=1e-13)
    # leading axes: two fields at once, one value per point and field
    two = grid.interpolate(np.stack([f, 2 * f]), pts)
    assert two.shape == (200, 2)
    np.testing.assert_allclose(two[:, 1], 2 * want, rtol=0, atol=1e-13)


def test_interpolate_clamps_on_bounded_axes_and_wraps_on_periodic_ones() -> None:
    grid = heat.Grid((4, 4), (0, 4), ["dirichlet", "periodic"])
    x, y = grid.coordinates()  # centres 0.5, 1.5, 2.5, 3.5
    f = 10 * x + y
    # beyond the last centre of the bounded axis: clamped to its value
    # weights 0 and 1 and dyadic values: no rounding anywhere, so exact
    assert grid.interpolate(f, [[3.9, 1.5], [-7.0, 1.5]]).tolist() == [36.5, 6.5]
    # periodic axis: 3.75 + 0.5·(wrap) lies between the last centre (3.5) and the first (0.5 + 4)
    got = grid.interpolate(f, [[1.5, 4.0], [1.5, 0.0], [1.5, 8.0]])
    np.testing.assert_allclose(got, [15 + 0.5 * (3.5 + 0.5)] * 3, rtol=0, atol=1e-13)


def test_interpolation_error_falls_like_h_squared() -> None:
    errors = []
    sizes = [16, 32, 64, 128]
    rng = np.random.default_rng(1)
    pts = rng.uniform(0, 2 * math.pi, size=(500, 1))
    for n in sizes:
        grid = heat.Grid(n, (0, 2 * math.pi))
        (x,) = grid.coordinates()
        errors.append(np.abs(grid.interpolate(np.sin(x), pts) - np.sin(pts[:, 0])).max())
    slope = np.polyfit(np.log([2 * math.pi / n for n in sizes]), np.log(errors), 1)[0]
    assert 1.9 < slope < 2.1, (slope, errors)


def test_histogram_counts_cells_wraps_periodic_axes_and_drops_outside_points() -> None:
    grid = heat.Grid((2, 2), (0, 2), ["periodic", "neumann"])
    pts = [[0.5, 0.5], [2.5, 0.5], [1.5, 1.5], [-0.5, 1.5], [0.5, 2.5]]  # the last lies outside the bounded axis
    hist = grid.histogram(pts)
    # count / (n · volume) · n: two roundings, each half an ulp
    np.testing.assert_allclose(hist * 5, [[2, 0], [0, 2]], rtol=2 * np.finfo(np.float64).eps, atol=0)
    assert math.isclose(float(grid.integrate(hist)), 4 / 5)


@settings(max_examples=30)
@given(n=st.integers(2, 40), lo=st.floats(-5, 5), length=st.floats(0.1, 10), seed=st.integers(0, 1000))
def test_histogram_of_cell_centres_is_one_per_cell(n: int, lo: float, length: float, seed: int) -> None:
    grid = heat.Grid((n, 3), [(lo, lo + length), (0, 1)], ["neumann", "periodic"])
    pts = grid.points()
    np.random.default_rng(seed).shuffle(pts)
    hist = grid.histogram(pts)
    np.testing.assert_allclose(hist, 1.0 / (grid.size * grid.cell_volume), rtol=1e-12)


# --- bad input -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("kwargs", "exc", "match"), [
    ({"shape": (1, 4), "bounds": (0, 1)}, ValueError, r"shape entries \(cells per axis\) must be an int >= 2; got 1"),
    ({"shape": (2, 2, 2, 2), "bounds": (0, 1)}, ValueError, r"shape must have 1 to 3 axes; got 4"),
    ({"shape": (4.0, 4), "bounds": (0, 1)}, TypeError, r"shape entries .* must be an int >= 2; got float 4.0"),
    ({"shape": "64", "bounds": (0, 1)}, TypeError, r"shape must be an int or a tuple"),
    ({"shape": 8, "bounds": (1, 0)}, ValueError, r"bounds must be finite with lo < hi; got \(1.0, 0.0\)"),
    ({"shape": 8, "bounds": (0, math.nan)}, ValueError, r"bounds must be finite"),
    ({"shape": (8, 8), "bounds": [(0, 1), (0, 1), (0, 1)]}, ValueError, r"bounds must be one pair .* or 2 pairs"),
    ({"shape": (8, 8), "bounds": [(0, 1), (2, 1)]}, ValueError, r"bounds\[1\] must be finite with lo < hi"),
    ({"shape": 8, "bounds": ("a", 1)}, TypeError, r"bounds must be a pair of numbers"),
    ({"shape": 8, "bounds": (0, 1), "bc": "robin"}, ValueError, rf"bc must be one of {BC_NAMES}; got 'robin'"),
    ({"shape": (8, 8), "bounds": (0, 1), "bc": ["periodic", "wall"]}, ValueError,
     rf"bc\[1\] must be one of {BC_NAMES}; got 'wall'"),
    ({"shape": (8, 8), "bounds": (0, 1), "bc": ["periodic"]}, ValueError, r"bc must be one boundary condition or"),
    ({"shape": 8, "bounds": (0, 1), "bc": 3}, TypeError, r"bc must be a string or a sequence of 1 strings; got int 3"),
    ({"shape": (8, 8), "bounds": (0, 1), "bc": ["periodic", None]}, TypeError,
     rf"bc\[1\] must be a string, one of {BC_NAMES}; got NoneType None"),
    ({"shape": 8, "bounds": 1.0}, TypeError, r"bounds must be one pair \(lo, hi\) or 1 pairs"),
])
def test_bad_grids_are_refused(kwargs: dict[str, object], exc: type[Exception], match: str) -> None:
    with pytest.raises(exc, match=match):
        heat.Grid(**kwargs)  # type: ignore[arg-type]


def test_bad_values_points_and_factors_are_refused() -> None:
    grid = heat.Grid((4, 4), (0, 1))
    with pytest.raises(ValueError, match=r"values must have the grid's shape \(\.\.\., 4, 4\); got shape \(4, 5\)"):
        grid.integrate(np.zeros((4, 5)))
    with pytest.raises(ValueError, match=r"values must be finite; got 1 non-finite"):
        grid.integrate(np.diag([np.inf, 0.0, 0.0, 0.0]))
    with pytest.raises(TypeError, match=r"values must be a real array; got dtype complex128"):
        grid.integrate(np.zeros((4, 4), dtype=complex))
    with pytest.raises(ValueError, match=r"points must have shape \(n, 2\); got shape \(3,\)"):
        grid.interpolate(np.zeros((4, 4)), [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match=r"points must be finite"):
        grid.histogram([[0.1, math.nan]])
    with pytest.raises(TypeError, match=r"points must be a real array of shape \(n, 2\); got 'ab'"):
        grid.histogram("ab")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"points must be a real array of shape \(n, 2\); got \[\['a', 'b'\]\]"):
        grid.interpolate(np.zeros((4, 4)), [["a", "b"]])
    with pytest.raises(TypeError, match=r"factor must be a real number; got bool True"):
        grid.scaled(True)
    with pytest.raises(ValueError, match=r"factor must be a finite number > 0; got -1"):
        grid.scaled(-1)
    with pytest.raises(TypeError, match=r"factor must be a real number; got str"):
        grid.scaled("2")  # type: ignore[arg-type]
