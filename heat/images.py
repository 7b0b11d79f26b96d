r"""Heat flow of image *pixels*: the forward processes of the blurring generative models.

An image u of H × W pixels is a field on the cell-centred grid of the box [0, H] × [0, W] (pixel spacing 1) with
Neumann (zero-flux) walls. Its heat flow ∂u/∂t = ∇²u is diagonal in the orthonormal 2-D DCT-II basis V:

    u(t) = Vᵀ diag(e^{-λ t}) V u(0),   λ_{m,n} = π² (m²/H² + n²/W²),   m < H, n < W         (dissipate)

(the eigenvalues of the Neumann Laplacian, ``heat.solve`` with method "spectral" on that grid). Heat flow for a
time t blurs with a Gaussian of standard deviation σ_B = √(2t) pixels, so t = σ_B²/2.

* Inverse Heat Dissipation (Rissanen, Heinonen & Solin 2023, "Generative Modelling With Inverse Heat
  Dissipation", ICLR): u_k = A_k u_0 + σ ε with A_k = Vᵀ diag(e^{-λ t_k}) V, a small σ (0.01), and blur times
  t_k = σ_{B,k}²/2 whose blur scales σ_{B,k} are log-spaced from σ_{B,min} = 0.5 to σ_{B,max}
  (``blur_schedule``, ``ihdm_perturb``).
* Blurring Diffusion Models (Hoogeboom & Salimans 2022, "Blurring Diffusion Models", ICLR 2023): a Gaussian diffusion
  that is diagonal in the DCT basis, q(u_t | u_0) = N(u_t; Vᵀ diag(α_t d_t) V u_0, σ_t² I) with the per-frequency
  blur d_t = (1 - d_min) e^{-λ τ_t} + d_min, τ_t = σ_B(t)²/2, σ_B(t) = σ_{B,max} sin²(πt/2), and the cosine VP
  schedule α_t = cos(πt/2), σ_t = sin(πt/2) (``BlurringDiffusion``).

These are heat flow of the image itself, the pixels as temperatures. The score-based SDEs instead run heat flow
of the *density* of the data (``heat.link``, docs/heat.md). numpy and scipy only.

References:
    - Rissanen, Heinonen & Solin 2023, "Generative Modelling With Inverse Heat Dissipation", ICLR.
    - Hoogeboom & Salimans 2022, "Blurring Diffusion Models", arXiv:2209.05557, ICLR 2023.
    - Kingma, Salimans, Poole & Ho 2021, "Variational Diffusion Models", NeurIPS (the transition q(z_t | z_s)).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import scipy.fft as sfft
from numpy.typing import ArrayLike, NDArray

from heat._checks import as_float_array, check_count, check_number, check_time, check_times

__all__ = ["BlurringDiffusion", "blur_schedule", "dissipate", "ihdm_perturb", "neumann_eigenvalues"]

Array = NDArray[np.float64]


def _images(value: ArrayLike, name: str = "images") -> Array:
    arr = as_float_array(value, name, "a real array of shape (..., H, W)")
    if arr.ndim < 2 or arr.shape[-1] < 2 or arr.shape[-2] < 2:
        raise ValueError(f"{name} must have shape (..., H, W) with H, W >= 2; got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} must be finite; got {int((~np.isfinite(arr)).sum())} non-finite value(s)")
    return arr


def _check_size(size: Any) -> tuple[int, int]:
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"size must be (H, W), two ints >= 2; got {type(size).__name__} {size!r}")
    if len(size) != 2:
        raise ValueError(f"size must be (H, W), two ints >= 2; got {size!r}")
    return check_count(size[0], "size[0] (H)", minimum=2), check_count(size[1], "size[1] (W)", minimum=2)


def neumann_eigenvalues(size: tuple[int, int]) -> Array:
    r"""``λ_{m,n} = π² (m²/H² + n²/W²)``: minus the eigenvalues of the Neumann Laplacian on H × W pixels.

    Args:
        size: (H, W), two ints ≥ 2.

    Returns:
        float64 array of shape (H, W), in the layout of the orthonormal 2-D DCT-II.

    Raises:
        TypeError: ``size`` is not a pair of ints.
        ValueError: ``size`` is not two ints ≥ 2.

    References:
        - Strang 1999, "The Discrete Cosine Transform", SIAM Review 41 (the DCT diagonalises the Neumann Laplacian).
        - Rissanen, Heinonen & Solin 2023, "Generative Modelling with Inverse Heat Dissipation", ICLR, arXiv:2206.13397.
    """
    h, w = _check_size(size)
    return np.asarray(math.pi**2 * ((np.arange(h)[:, None] / h) ** 2 + (np.arange(w)[None, :] / w) ** 2))


def _dct(u: Array) -> Array:
    return np.asarray(sfft.dctn(u, type=2, axes=(-2, -1), norm="ortho"))


def _idct(c: Array) -> Array:
    return np.asarray(sfft.idctn(c, type=2, axes=(-2, -1), norm="ortho"))


def dissipate(images: ArrayLike, t: ArrayLike) -> Array:
    r"""Heat dissipation of images with Neumann walls: ``u(t) = Vᵀ diag(e^{-λ t}) V u(0)`` (Rissanen et al. 2023).

    Exact in time; the same as a Gaussian blur of standard deviation σ_B = √(2t) pixels with the image
    mirrored at its edges. Mass (the pixel sum) is conserved.

    Args:
        images: shape (..., H, W), e.g. (H, W), (C, H, W) or (batch, C, H, W).
        t: one time t ≥ 0 (in pixels², t = σ_B²/2) or a strictly increasing 1-D sequence.

    Returns:
        float64, the shape of ``images`` for a scalar t, else ``(len(t), *images.shape)``.

    Raises:
        TypeError: ``images`` is not a real array, or ``t`` not a number or sequence of numbers.
        ValueError: ``images`` is not of shape (..., H, W) with H, W ≥ 2 or not finite, or ``t`` is negative,
            not finite or not increasing.

    References:
        Rissanen, Heinonen & Solin 2023, "Generative Modelling With Inverse Heat Dissipation", ICLR.
    """
    u = _images(images)
    ts, scalar = check_times(t, "t")
    lam = neumann_eigenvalues((u.shape[-2], u.shape[-1]))
    coef = _dct(u)
    out = np.stack([u if s == 0 else _idct(coef * np.exp(-lam * s)) for s in ts])
    return out[0] if scalar else out


def blur_schedule(steps: int, sigma_max: float, sigma_min: float = 0.5) -> Array:
    r"""The blur times ``t_k = σ_{B,k}²/2``, k = 1 … K, with σ_{B,k} log-spaced from σ_min to σ_max pixels.

    Args:
        steps: K ≥ 1.
        sigma_max: σ_max > σ_min, the largest blur in pixels.
        sigma_min: σ_min > 0, the smallest blur in pixels (the paper's 0.5).

    Returns:
        float64 array of shape (K,), increasing.

    Raises:
        TypeError: ``steps`` is not an int, or a sigma not a real number.
        ValueError: ``steps`` < 1, a sigma is not a finite number > 0, or σ_max ≤ σ_min.

    References:
        Rissanen, Heinonen & Solin 2023, "Generative Modelling With Inverse Heat Dissipation", ICLR.
    """
    steps = check_count(steps, "steps")
    sigma_min = check_number(sigma_min, "sigma_min", low=0.0, low_open=True)
    sigma_max = check_number(sigma_max, "sigma_max", low=0.0, low_open=True)
    if sigma_max <= sigma_min:
        raise ValueError(f"sigma_max must be > sigma_min; got sigma_min={sigma_min!r}, sigma_max={sigma_max!r}")
    sigmas = np.exp(np.linspace(math.log(sigma_min), math.log(sigma_max), int(steps)))
    return np.asarray(0.5 * sigmas**2)


def ihdm_perturb(images: ArrayLike, t: float, *, noise_std: float = 0.01,
                 rng: np.random.Generator | None = None) -> Array:
    r"""One draw of the IHDM forward process ``u_t = Vᵀ diag(e^{-λ t}) V u_0 + σ·ε``, ``ε ~ N(0, I)``.

    Args:
        images: u_0, shape (..., H, W).
        t: the blur time t ≥ 0 (σ_B = √(2t) pixels).
        noise_std: σ ≥ 0 (the paper uses 0.01 for images in [-1, 1]).
        rng: the source of ε (a fixed ``numpy.random.default_rng(seed)`` repeats the draw).

    Returns:
        float64 array of the shape of ``images``.

    Raises:
        TypeError: ``rng`` is not a ``numpy.random.Generator``, or ``images`` / ``t`` / ``noise_std`` of the wrong
            type.
        ValueError: ``t`` is not one number ≥ 0, ``noise_std`` not a finite number ≥ 0, or ``images`` not of
            shape (..., H, W) or not finite.

    References:
        Rissanen, Heinonen & Solin 2023, "Generative Modelling With Inverse Heat Dissipation", ICLR.
    """
    time = check_time(t, "t")
    noise_std = check_number(noise_std, "noise_std", low=0.0)
    if rng is not None and not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator or None; got {type(rng).__name__}")
    blurred = dissipate(images, time)
    gen = rng if rng is not None else np.random.default_rng()
    return np.asarray(blurred + noise_std * gen.standard_normal(blurred.shape))


class BlurringDiffusion:
    r"""The forward process of Blurring Diffusion Models, ``q(ũ_t | ũ_0) = N(a_t ⊙ ũ_0, σ_t² I)`` in DCT coordinates.

    A Gaussian diffusion that is diagonal in the DCT basis, every frequency with its own signal scale
    (Hoogeboom & Salimans 2022). In DCT coordinates ũ = V u (orthonormal, so the noise stays N(0, I)):

        q(ũ_t | ũ_0) = N(ũ_t; a_t ⊙ ũ_0, σ_t² I),      a_t = α_t d_t,
        d_t = (1 - d_min) e^{-λ τ_t} + d_min,  τ_t = σ_B(t)²/2,  σ_B(t) = σ_{B,max} sin²(πt/2),
        α_t = cos(πt/2),  σ_t = sin(πt/2)   (the cosine VP schedule, α² + σ² = 1).

    The mean Vᵀ(a_t ⊙ ũ_0) is α_t times the heat dissipation of u_0 for the time τ_t (``dissipate``) when
    d_min = 0, plus d_min α_t (u_0 - that) otherwise. With σ_{B,max} = 0 it is the plain VP diffusion.

    Args:
        size: (H, W) in pixels.
        sigma_blur_max: σ_{B,max} ≥ 0 in pixels (the paper uses 20 on 32 × 32 and 64 × 64 images).
        min_scale: d_min in [0, 1) (the paper: 0.001), which keeps every frequency's scale > 0.

    Raises:
        TypeError: ``size`` is not a pair of ints, or ``sigma_blur_max`` or ``min_scale`` not a real number.
        ValueError: ``size`` is not two ints ≥ 2, ``sigma_blur_max`` not a finite number ≥ 0, or ``min_scale``
            outside [0, 1).

    References:
        Hoogeboom & Salimans 2022, "Blurring Diffusion Models", arXiv:2209.05557, ICLR 2023.
    """

    def __init__(self, size: tuple[int, int], sigma_blur_max: float = 20.0, min_scale: float = 0.001) -> None:
        self.size = _check_size(size)
        self.sigma_blur_max = check_number(sigma_blur_max, "sigma_blur_max", low=0.0)
        self.min_scale = check_number(min_scale, "min_scale", low=0.0, high=1.0, high_open=True)
        self._lam = neumann_eigenvalues(self.size)

    def __repr__(self) -> str:
        return (f"BlurringDiffusion(size={self.size}, sigma_blur_max={self.sigma_blur_max}, "
                f"min_scale={self.min_scale})")

    @staticmethod
    def _time(t: Any, name: str = "t") -> float:
        ts, scalar = check_times(t, name)
        if not scalar or ts[0] > 1:
            raise ValueError(f"{name} must be one number in [0, 1]; got {t!r}")
        return float(ts[0])

    def blur_time(self, t: float) -> float:
        r"""The heat-flow time of the mean at diffusion time t, ``τ_t = σ_B(t)²/2``, ``σ_B(t) = σ_{B,max} sin²(πt/2)``.

        Args:
            t: the diffusion time in [0, 1].

        Returns:
            τ_t in pixels².

        Raises:
            TypeError: ``t`` is not a number.
            ValueError: ``t`` is not one number in [0, 1].
        """
        s = self.sigma_blur_max * math.sin(0.5 * math.pi * self._time(t)) ** 2
        return 0.5 * s * s

    def coefficients(self, t: float) -> tuple[Array, float]:
        r"""The per-frequency signal scale ``a_t = α_t·d_t`` and the noise scale ``σ_t = sin(πt/2)``.

        ``d_t = (1 - d_min) e^{-λ τ_t} + d_min`` and ``α_t = cos(πt/2)``.

        Args:
            t: the diffusion time in [0, 1].

        Returns:
            ``(a_t, σ_t)``: a_t of shape (H, W) in DCT layout, σ_t a float.

        Raises:
            TypeError: ``t`` is not a number.
            ValueError: ``t`` is not one number in [0, 1].
        """
        tt = self._time(t)
        d = (1.0 - self.min_scale) * np.exp(-self._lam * self.blur_time(tt)) + self.min_scale
        return np.asarray(math.cos(0.5 * math.pi * tt) * d), math.sin(0.5 * math.pi * tt)

    def mean(self, images: ArrayLike, t: float) -> Array:
        r"""The mean ``E[u_t | u_0] = Vᵀ (a_t ⊙ V u_0)``.

        Args:
            images: u_0, shape (..., H, W).
            t: the diffusion time in [0, 1].

        Returns:
            float64 array of the shape of ``images``.

        Raises:
            TypeError: ``images`` is not a real array, or ``t`` not a number.
            ValueError: ``images`` is not of shape (..., H, W) for this size or not finite, or ``t`` not in [0, 1].
        """
        u = self._check_images(images)
        a, _ = self.coefficients(t)
        return _idct(a * _dct(u))

    def perturb(self, images: ArrayLike, t: float, noise: ArrayLike) -> Array:
        r"""A draw from q(u_t | u_0) for given noise: ``u_t = Vᵀ (a_t ⊙ V u_0) + σ_t·ε``.

        Args:
            images: u_0, shape (..., H, W).
            t: the diffusion time in [0, 1].
            noise: ε, of the shape of ``images``.

        Returns:
            float64 array of the shape of ``images``.

        Raises:
            TypeError: ``images`` or ``noise`` is not a real array, or ``t`` not a number.
            ValueError: ``images`` or ``noise`` of the wrong shape or not finite, or ``t`` not in [0, 1].
        """
        u = self._check_images(images)
        eps = _images(noise, "noise")
        if eps.shape != u.shape:
            raise ValueError(f"noise must have the shape of images, {u.shape}; got {eps.shape}")
        a, sigma = self.coefficients(t)
        return _idct(a * _dct(u)) + sigma * eps

    def transition(self, s: float, t: float) -> tuple[Array, Array]:
        r"""The transition ``q(ũ_t | ũ_s) = N(a_{t|s} ⊙ ũ_s, diag(σ_{t|s}²))`` for s ≤ t, in DCT coordinates.

            a_{t|s} = a_t / a_s,   σ_{t|s}² = σ_t² - a_{t|s}² σ_s²

        Composing q(ũ_s | ũ_0) with it gives q(ũ_t | ũ_0). Needs a_s > 0 (s < 1, or min_scale > 0 and s < 1).

        Args:
            s: the earlier time in [0, 1].
            t: the later time in [s, 1].

        Returns:
            ``(a_{t|s}, σ_{t|s})``, each of shape (H, W) in DCT layout.

        Raises:
            TypeError: ``s`` or ``t`` is not a number.
            ValueError: a time outside [0, 1], s > t, or a_s not > 0.

        References:
            - Hoogeboom & Salimans 2022, "Blurring Diffusion Models", arXiv:2209.05557, ICLR 2023.
            - Kingma, Salimans, Poole & Ho 2021, "Variational Diffusion Models", NeurIPS (the same transition for
              a scalar schedule).
        """
        ss, tt = self._time(s, "s"), self._time(t, "t")
        if ss > tt:
            raise ValueError(f"s must be <= t; got s={s!r}, t={t!r}")
        a_s, sig_s = self.coefficients(ss)
        a_t, sig_t = self.coefficients(tt)
        if not (a_s > 0).all():
            raise ValueError(f"s must give a signal scale a_s > 0 (s < 1); got s={s!r}")
        ratio = a_t / a_s
        return ratio, np.sqrt(np.clip(sig_t**2 - ratio**2 * sig_s**2, 0.0, None))

    def _check_images(self, images: ArrayLike) -> Array:
        u = _images(images)
        if u.shape[-2:] != self.size:
            raise ValueError(f"images must have shape (..., {self.size[0]}, {self.size[1]}); got {u.shape}")
        return u
