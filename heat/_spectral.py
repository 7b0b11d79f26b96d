r"""The eigenbasis of the Laplacian on a cell-centred grid: FFT (periodic), DCT-II (Neumann), DST-II (Dirichlet).

On an axis of length L with n cells, x = lo + (i + ½) h, the eigenfunctions of d²/dx² and their eigenvalues -k² are

    periodic   e^{i k x},             k = 2π m / L,    m = -n/2 … n/2 (``fftfreq``)
    neumann    cos(k (x - lo)),       k = π m / L,     m = 0 … n - 1  (orthonormal DCT-II at the centres)
    dirichlet  sin(k (x - lo)),       k = π m / L,     m = 1 … n      (orthonormal DST-II at the centres)

and a product of one per axis is an eigenfunction of ∇² on the box. A grid field is expanded once in this basis
(``forward``), each coefficient is multiplied by the exact factor e^{-D|k|²t} of the heat semigroup (``evolve``),
and one inverse transform gives the field at time t (``inverse``): exact in time for any field the grid
resolves. ``grid_gradient`` differentiates a grid field, by this basis or by finite differences. Private to
``heat``; the public entry points are ``heat.solve``, ``heat.gradient`` and ``heat.score_field``.

References:
    Trefethen 2000, "Spectral Methods in MATLAB", SIAM.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.fft as sfft
from numpy.typing import NDArray

from heat.grid import Grid

Array = NDArray[np.float64]


class SpectralBasis:
    """Forward and inverse transforms of one grid, with the eigenvalues |k_j|² per axis laid out to broadcast.

    Args:
        grid: the grid; its boundary conditions choose the transform of each axis.
    """

    def __init__(self, grid: Grid) -> None:
        self.grid = grid
        self.periodic = tuple(j for j, b in enumerate(grid.bc) if b == "periodic")
        self.neumann = tuple(j for j, b in enumerate(grid.bc) if b == "neumann")
        self.dirichlet = tuple(j for j, b in enumerate(grid.bc) if b == "dirichlet")
        self.half_axis = self.periodic[-1] if self.periodic else -1  # the axis that rfft halves
        self.k2 = tuple(self.wavenumbers(j) ** 2 for j in range(grid.ndim))

    def wavenumbers(self, axis: int) -> Array:
        """k of each coefficient along ``axis``, in the layout of the transformed array.

        Args:
            axis: the axis j.

        Returns:
            float64 array of the wavenumbers k ≥ 0 (signed for periodic axes).
        """
        n, length, bc = self.grid.shape[axis], self.grid.lengths[axis], self.grid.bc[axis]
        if bc == "periodic":
            freq = sfft.rfftfreq(n, d=1.0 / n) if axis == self.half_axis else sfft.fftfreq(n, d=1.0 / n)
            return np.asarray(2.0 * math.pi / length * freq, dtype=np.float64)
        m = np.arange(n, dtype=np.float64) + (1.0 if bc == "dirichlet" else 0.0)
        return np.asarray(math.pi / length * m, dtype=np.float64)

    def forward(self, p: Array) -> NDArray[np.complex128] | Array:
        """The coefficients of ``p`` in the eigenbasis (complex if any axis is periodic).

        Args:
            p: a field of shape ``grid.shape``.

        Returns:
            The coefficients, in the layout ``wavenumbers`` describes.
        """
        c: NDArray[np.complex128] | Array = p
        if self.neumann:
            c = sfft.dctn(c, type=2, axes=self.neumann, norm="ortho")
        if self.dirichlet:
            c = sfft.dstn(c, type=2, axes=self.dirichlet, norm="ortho")
        if self.periodic:
            c = sfft.rfftn(c, axes=self.periodic)
        return c

    def inverse(self, c: NDArray[np.complex128] | Array, overwrite: bool = False) -> Array:
        """The grid field whose coefficients are ``c`` (the inverse of ``forward``).

        Args:
            c: coefficients from ``forward``.
            overwrite: let the transforms reuse c's memory.

        Returns:
            float64 array of shape ``grid.shape``.
        """
        out = c
        if self.periodic:
            out = sfft.irfftn(out, s=[self.grid.shape[j] for j in self.periodic], axes=self.periodic,
                              overwrite_x=overwrite)
            overwrite = True
        if self.dirichlet:
            out = sfft.idstn(out, type=2, axes=self.dirichlet, norm="ortho", overwrite_x=overwrite)
            overwrite = True
        if self.neumann:
            out = sfft.idctn(out, type=2, axes=self.neumann, norm="ortho", overwrite_x=overwrite)
        return np.asarray(out, dtype=np.float64)

    def evolve(self, c: NDArray[np.complex128] | Array, s: float, *, overwrite: bool = False) -> Array:
        r"""The field at heat time s = D·t from the coefficients ``c`` of the initial field: ``V⁻¹ (e^{-|k|² s} ⊙ c)``.

        The factor is applied one axis at a time (d short exp calls, no |k|² array).

        Args:
            c: coefficients from ``forward``; left unchanged unless ``overwrite``.
            s: the heat time D·t ≥ 0.
            overwrite: reuse c's memory (one fewer large allocation, which is measurable at 256²).

        Returns:
            float64 array of shape ``grid.shape``.
        """
        out = c if overwrite else c.copy()
        for j, k2 in enumerate(self.k2):
            shape = [1] * self.grid.ndim
            shape[j] = k2.size
            out *= np.exp(-s * k2).reshape(shape)
        return self.inverse(out, overwrite=True)

    def growth_exponent(self, dt: float) -> Array:
        r"""``|k|² s`` for s = D·t (the exponent of the backward heat equation's factor e^{+|k|² s}).

        Args:
            dt: the heat time s = D·t.

        Returns:
            float64 array that broadcasts to the coefficients' shape.
        """
        total = np.zeros((1,) * self.grid.ndim)
        for j, k2 in enumerate(self.k2):
            shape = [1] * self.grid.ndim
            shape[j] = k2.size
            total = total + dt * k2.reshape(shape)
        return total


def derivative(p: Array, grid: Grid, axis: int) -> Array:
    r"""∂p/∂x_j by differentiating the eigen-expansion of ``p`` along one axis (spectral accuracy).

    periodic:  p = Σ c_k e^{ikx}       ⇒  ∂p = Σ i k c_k e^{ikx}           (the Nyquist mode dropped);
    neumann:   p = Σ a_m cos(k_m(x-lo)) ⇒ ∂p = -Σ k_m a_m sin(k_m(x-lo))   (a DST-II series, m = 1 … n-1);
    dirichlet: p = Σ b_m sin(k_m(x-lo)) ⇒ ∂p = Σ k_m b_m cos(k_m(x-lo))    (a DCT-II series; the m = n term is
               zero at every cell centre).

    Args:
        p: a field of shape ``grid.shape``.
        grid: the grid.
        axis: the axis j.

    Returns:
        float64 array of shape ``grid.shape``.
    """
    n, length, bc = grid.shape[axis], grid.lengths[axis], grid.bc[axis]
    shape = [1] * grid.ndim
    shape[axis] = n
    if bc == "periodic":
        c = sfft.rfft(p, axis=axis)
        k = 2.0 * math.pi / length * np.arange(c.shape[axis], dtype=np.float64)
        if n % 2 == 0:
            k[-1] = 0.0
        kshape = [1] * grid.ndim
        kshape[axis] = k.size
        return np.asarray(sfft.irfft(1j * k.reshape(kshape) * c, n=n, axis=axis), dtype=np.float64)
    k = math.pi / length * np.arange(n, dtype=np.float64)
    if bc == "neumann":
        a = sfft.dct(p, type=2, axis=axis, norm="ortho")
        b = np.zeros_like(a)
        # sine coefficient of mode m (index m - 1) is -k_m a_m, m = 1 … n-1; the last sine mode stays 0
        dst = [slice(None)] * grid.ndim
        src = [slice(None)] * grid.ndim
        dst[axis], src[axis] = slice(0, n - 1), slice(1, n)
        b[tuple(dst)] = -(k[1:].reshape([n - 1 if j == axis else 1 for j in range(grid.ndim)]) * a[tuple(src)])
        return np.asarray(sfft.idst(b, type=2, axis=axis, norm="ortho"), dtype=np.float64)
    b = sfft.dst(p, type=2, axis=axis, norm="ortho")
    a = np.zeros_like(b)
    dst = [slice(None)] * grid.ndim
    src = [slice(None)] * grid.ndim
    dst[axis], src[axis] = slice(1, n), slice(0, n - 1)
    a[tuple(dst)] = k[1:].reshape([n - 1 if j == axis else 1 for j in range(grid.ndim)]) * b[tuple(src)]
    return np.asarray(sfft.idct(a, type=2, axis=axis, norm="ortho"), dtype=np.float64)


def grid_gradient(field: Array, grid: Grid, gradient: str) -> Array:
    r"""∇p of a checked grid field, shape ``(d, *grid.shape)``, by the scheme ``gradient``.

    "spectral": ``derivative`` along each axis. "finite_difference": second-order central differences, wrapped on
    periodic axes and one-sided (second order) at the walls of bounded ones.

    Args:
        field: a finite float64 field of shape ``grid.shape``.
        grid: the grid.
        gradient: "spectral" or "finite_difference" (checked by the caller).

    Returns:
        float64 array of shape ``(d, *grid.shape)``.
    """
    out = np.empty((grid.ndim, *grid.shape))
    for j, h in enumerate(grid.spacing):
        if gradient == "spectral":
            out[j] = derivative(field, grid, j)
        elif grid.bc[j] == "periodic":
            out[j] = (np.roll(field, -1, axis=j) - np.roll(field, 1, axis=j)) / (2.0 * h)
        else:
            out[j] = np.gradient(field, h, axis=j, edge_order=2)
    return out
