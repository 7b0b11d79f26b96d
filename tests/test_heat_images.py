"""heat.images: heat dissipation of images (Rissanen et al. 2023) and the blurring diffusion (Hoogeboom & Salimans),
tested against the Neumann heat kernel (the exact mirror-image sum) and the spectral solver."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import heat

H, W = 48, 40
PIXELS = heat.Grid((H, W), [(0, H), (0, W)], "neumann")  # pixel centres at i + ½, spacing 1
BLOBS = heat.Mixture([0.5, 0.3, 0.2], [[10.0, 12.0], [3.0, 35.0], [40.0, 20.0]],
                     [np.diag([9.0, 16.0]), np.diag([12.0, 9.0]), [[20.0, 6.0], [6.0, 10.0]]])


def test_dissipation_is_the_neumann_heat_kernel_blur_of_sigma_sqrt_2t() -> None:
    # blobs near the edges (3 pixels from a wall): the mirror images carry part of the answer
    image = BLOBS.on_grid(PIXELS)
    for sigma_b in (0.5, 2.0, 6.0, 20.0):
        t = sigma_b**2 / 2
        exact = BLOBS.on_grid(PIXELS, t)
        np.testing.assert_allclose(heat.dissipate(image, t), exact, rtol=0, atol=1e-15)
        # the blur covariance: every component's covariance grows by σ_B² per axis
        np.testing.assert_allclose(BLOBS.evolve(t).covs, BLOBS.covs + sigma_b**2 * np.eye(2))


def test_dissipation_is_the_spectral_solver_on_the_pixel_grid_for_batches_and_channels() -> None:
    rng = np.random.default_rng(0)
    images = rng.uniform(-1, 1, size=(2, 3, H, W))
    times = [0.0, 0.125, 2.0, 50.0]
    out = heat.dissipate(images, times)
    assert out.shape == (4, 2, 3, H, W)
    np.testing.assert_array_equal(out[0], images)
    for i, c in ((0, 0), (1, 2)):
        np.testing.assert_allclose(out[:, i, c], heat.solve(images[i, c], PIXELS, times), rtol=0, atol=1e-13)
    # mass (the pixel sum) is conserved, and the image tends to its mean
    np.testing.assert_allclose(out.sum(axis=(-2, -1)), np.broadcast_to(images.sum(axis=(-2, -1)), (4, 2, 3)),
                               rtol=0, atol=1e-10)
    late = heat.dissipate(images, 1e5)
    np.testing.assert_allclose(late, np.broadcast_to(images.mean(axis=(-2, -1), keepdims=True), late.shape),
                               rtol=0, atol=1e-12)


@settings(max_examples=30)
@given(s=st.floats(0.0, 20.0), t=st.floats(0.0, 20.0), seed=st.integers(0, 2**31))
def test_dissipation_is_a_semigroup_and_contracts(s: float, t: float, seed: int) -> None:
    image = np.random.default_rng(seed).normal(size=(12, 9))
    both = heat.dissipate(heat.dissipate(image, s), t)
    np.testing.assert_allclose(both, heat.dissipate(image, s + t), rtol=0, atol=1e-13)
    assert np.linalg.norm(both) <= np.linalg.norm(image) * (1 + 1e-14)


def test_neumann_eigenvalues_are_the_pixel_grid_wavenumbers() -> None:
    lam = heat.neumann_eigenvalues((4, 6))
    assert lam.shape == (4, 6) and lam[0, 0] == 0
    assert math.isclose(lam[3, 5], math.pi**2 * (9 / 16 + 25 / 36), rel_tol=1e-15)


def test_blur_schedule_is_log_spaced_in_sigma_with_t_equal_half_sigma_squared() -> None:
    t = heat.blur_schedule(10, sigma_max=16.0, sigma_min=0.5)
    sigma = np.sqrt(2 * t)
    np.testing.assert_allclose(sigma[[0, -1]], [0.5, 16.0], rtol=1e-14)
    ratios = sigma[1:] / sigma[:-1]
    np.testing.assert_allclose(ratios, 32 ** (1 / 9), rtol=1e-13)


def test_ihdm_perturb_is_the_blur_plus_gaussian_noise() -> None:
    image = BLOBS.on_grid(PIXELS)
    t = 8.0
    a = heat.ihdm_perturb(image, t, noise_std=0.01, rng=np.random.default_rng(3))
    b = heat.ihdm_perturb(image, t, noise_std=0.01, rng=np.random.default_rng(3))
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(heat.ihdm_perturb(image, t, noise_std=0.0), heat.dissipate(image, t))
    noise = (a - heat.dissipate(image, t)).ravel()
    # 1920 draws of N(0, 0.01²): mean within 4 standard errors, variance within 4 of its standard errors
    assert abs(noise.mean()) < 4 * 0.01 / math.sqrt(noise.size)
    assert abs(noise.var() / 1e-4 - 1) < 4 * math.sqrt(2 / noise.size)


def test_blurring_diffusion_mean_is_alpha_times_the_heat_kernel_blur() -> None:
    bdm = heat.BlurringDiffusion((H, W), sigma_blur_max=10.0, min_scale=0.0)
    image = BLOBS.on_grid(PIXELS)
    for t in (0.1, 0.5, 0.9):
        tau = bdm.blur_time(t)
        assert math.isclose(tau, 0.5 * (10.0 * math.sin(math.pi * t / 2) ** 2) ** 2, rel_tol=1e-14)
        np.testing.assert_allclose(bdm.mean(image, t), math.cos(math.pi * t / 2) * BLOBS.on_grid(PIXELS, tau),
                                   rtol=0, atol=1e-15)
        noise = np.random.default_rng(1).normal(size=image.shape)
        np.testing.assert_allclose(bdm.perturb(image, t, noise),
                                   bdm.mean(image, t) + math.sin(math.pi * t / 2) * noise, rtol=0, atol=1e-14)


def test_blurring_diffusion_scales_and_transitions_compose_exactly() -> None:
    bdm = heat.BlurringDiffusion((16, 12), sigma_blur_max=4.0, min_scale=0.001)
    for s, t in ((0.0, 0.3), (0.2, 0.7), (0.5, 0.95)):
        a_s, sig_s = bdm.coefficients(s)
        a_t, sig_t = bdm.coefficients(t)
        a_ts, sig_ts = bdm.transition(s, t)
        np.testing.assert_allclose(a_ts * a_s, a_t, rtol=1e-14)  # means compose
        np.testing.assert_allclose(sig_ts**2 + a_ts**2 * sig_s**2, sig_t**2, rtol=1e-13)  # variances compose
        assert (sig_ts >= 0).all()
    # d_t >= d_min, and with no blur the process is the cosine VP diffusion for every frequency
    a, sigma = bdm.coefficients(0.99)
    assert a.min() >= 0.001 * math.cos(0.99 * math.pi / 2) * (1 - 1e-12)
    plain = heat.BlurringDiffusion((16, 12), sigma_blur_max=0.0)
    a, sigma = plain.coefficients(0.4)
    np.testing.assert_allclose(a, math.cos(0.2 * math.pi), rtol=1e-15)
    assert math.isclose(sigma, math.sin(0.2 * math.pi))


def test_bad_input() -> None:
    with pytest.raises(ValueError, match=r"images must have shape \(\.\.\., H, W\) with H, W >= 2; got shape \(5,\)"):
        heat.dissipate(np.zeros(5), 1.0)
    with pytest.raises(ValueError, match=r"images must be finite; got 1 non-finite"):
        heat.dissipate(np.array([[0.0, np.nan], [0.0, 0.0]]), 1.0)
    with pytest.raises(ValueError, match=r"t must be finite and >= 0; got \[-1.0\]"):
        heat.dissipate(np.zeros((4, 4)), -1.0)
    with pytest.raises(ValueError, match=r"t must be strictly increasing"):
        heat.dissipate(np.zeros((4, 4)), [2.0, 1.0])
    with pytest.raises(ValueError, match=r"sigma_max must be > sigma_min; got sigma_min=0.5, sigma_max=0.4"):
        heat.blur_schedule(5, 0.4)
    with pytest.raises(ValueError, match=r"steps must be an int >= 1; got 0"):
        heat.blur_schedule(0, 10.0)
    with pytest.raises(ValueError, match=r"noise_std must be a finite number >= 0; got -0.1"):
        heat.ihdm_perturb(np.zeros((4, 4)), 1.0, noise_std=-0.1)
    with pytest.raises(TypeError, match=r"rng must be a numpy.random.Generator or None; got int"):
        heat.ihdm_perturb(np.zeros((4, 4)), 1.0, rng=3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"size must be \(H, W\), two ints >= 2; got \(4,\)"):
        heat.BlurringDiffusion((4,))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"min_scale must be a finite number in \[0, 1\); got 1.0"):
        heat.BlurringDiffusion((4, 4), min_scale=1.0)
    # the wrong type is a TypeError, the right type out of range a ValueError
    with pytest.raises(TypeError, match=r"images must be a real array of shape \(\.\.\., H, W\); got 'abc'"):
        heat.dissipate("abc", 1.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"t must be a number or a 1-D sequence of numbers; got True"):
        heat.dissipate(np.zeros((4, 4)), True)
    with pytest.raises(TypeError, match=r"steps must be an int >= 1; got float 2.0"):
        heat.blur_schedule(2.0, 10.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"sigma_max must be a real number; got bool True"):
        heat.blur_schedule(5, True)
    with pytest.raises(ValueError, match=r"sigma_min must be a finite number > 0; got nan"):
        heat.blur_schedule(5, 10.0, math.nan)
    with pytest.raises(TypeError, match=r"noise_std must be a real number; got str '0.1'"):
        heat.ihdm_perturb(np.zeros((4, 4)), 1.0, noise_std="0.1")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"size\[0\] \(H\) must be an int >= 2; got float 4.0"):
        heat.BlurringDiffusion((4.0, 4))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"size\[0\] \(H\) must be an int >= 2; got 1"):
        heat.BlurringDiffusion((1, 4))
    with pytest.raises(TypeError, match=r"min_scale must be a real number; got bool False"):
        heat.BlurringDiffusion((4, 4), min_scale=False)
    with pytest.raises(ValueError, match=r"sigma_blur_max must be a finite number >= 0; got inf"):
        heat.BlurringDiffusion((4, 4), sigma_blur_max=math.inf)
    bdm = heat.BlurringDiffusion((4, 4))
    with pytest.raises(ValueError, match=r"t must be one number in \[0, 1\]; got 1.5"):
        bdm.coefficients(1.5)
    with pytest.raises(ValueError, match=r"s must be <= t; got s=0.5, t=0.2"):
        bdm.transition(0.5, 0.2)
    with pytest.raises(ValueError, match=r"images must have shape \(\.\.\., 4, 4\); got \(4, 5\)"):
        bdm.mean(np.zeros((4, 5)), 0.5)
    with pytest.raises(ValueError, match=r"noise must have the shape of images, \(4, 4\); got \(3, 4\)"):
        bdm.perturb(np.zeros((4, 4)), 0.5, np.zeros((3, 4)))
