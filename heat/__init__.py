r"""heat: the heat equation ∂p/∂t = D∇²p, solved exactly and numerically, and its bridge to scoresde.

The public API:

    import heat
    grid = heat.Grid((128, 128), (-4, 4), "neumann")          # cell-centred, boundary conditions as data
    p = heat.solve(p0, grid, [0.1, 0.5], method="spectral")    # or "crank_nicolson", "explicit" (with dt)
    exact = heat.Mixture(weights, means, covs).on_grid(grid, 0.5)   # the exact answer, with mirror images
    p_t = heat.forward_density(sde, p0, grid, t)               # the density of a scoresde SDE at time t
    out = heat.reverse_heat_flow(sde, p0, grid, 4000)          # undo heat flow through the score

``heat.grid``, ``heat.solvers``, ``heat.kernel`` and ``heat.images`` need only numpy and scipy; ``heat.link``
(``HeatSDE``, ``time_change``, ``sde_time``, ``forward_density``, ``score_field``, ``score_fn``, ``sample_density``,
``reverse_heat_flow``) is the one bridge that imports scoresde and torch. The mathematics: docs/heat.md.
"""

from heat.grid import BOUNDARY_CONDITIONS, BoundaryCondition, Grid
from heat.images import BlurringDiffusion, blur_schedule, dissipate, ihdm_perturb, neumann_eigenvalues
from heat.kernel import Mixture, heat_kernel
from heat.link import (
    GridDensity,
    HeatSDE,
    TimeChange,
    forward_density,
    reverse_heat_flow,
    sample_density,
    score_field,
    score_fn,
    sde_time,
    time_change,
)
from heat.solvers import GRADIENTS, METHODS, Method, backward_solve, gradient, laplacian, solve, stability_limit

__all__ = [
    "BOUNDARY_CONDITIONS",
    "GRADIENTS",
    "METHODS",
    "BlurringDiffusion",
    "BoundaryCondition",
    "Grid",
    "GridDensity",
    "HeatSDE",
    "Method",
    "Mixture",
    "TimeChange",
    "backward_solve",
    "blur_schedule",
    "dissipate",
    "forward_density",
    "gradient",
    "heat_kernel",
    "ihdm_perturb",
    "laplacian",
    "neumann_eigenvalues",
    "reverse_heat_flow",
    "sample_density",
    "score_field",
    "score_fn",
    "sde_time",
    "solve",
    "stability_limit",
    "time_change",
]
