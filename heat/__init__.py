"""heat: the heat equation ∂p/∂t = D∇²p, solved exactly and numerically, and its bridge to scoresde.

This package is installed with scoresde. Its solvers (grids, spectral / Crank–Nicolson /
explicit solves, the heat kernel) and the bridge ``heat.link`` arrive with the heat issue;
today it holds no public names. The design: docs/architecture.md.
"""

__all__: list[str] = []
