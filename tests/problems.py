"""A catalogue of exact test problems, reused across the test files (cf. torchdiffeq's tests/problems.py).

Every SDE and schedule the core offers, and small Gaussian mixtures whose marginals are known in closed form.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

import scoresde as sd

F64 = torch.float64


def schedules() -> dict[str, sd.Schedule]:
    """Every continuous schedule, at its defaults and at less usual settings."""
    return {
        "linear": sd.LinearSchedule(),
        "linear_narrow": sd.LinearSchedule(1.0, 2.0),
        "cosine": sd.CosineSchedule(),
        "cosine_s0_clip20": sd.CosineSchedule(s=0.0, beta_max=20.0),
        "piecewise_ddpm": sd.PiecewiseConstantSchedule(sd.linear_betas()),
        "piecewise_cosine50": sd.PiecewiseConstantSchedule(sd.cosine_betas(50)),
    }


def sdes() -> dict[str, sd.SDE]:
    """Every SDE class of the core, with linear, cosine and DDPM-derived schedules."""
    return {
        "vp": sd.VPSDE(),
        "vp_cosine": sd.VPSDE(schedule=sd.CosineSchedule()),
        "vp_ddpm": sd.VPSDE.from_ddpm(sd.linear_betas()),
        "subvp": sd.SubVPSDE(),
        "subvp_cosine": sd.SubVPSDE(schedule=sd.CosineSchedule()),
        "ve": sd.VESDE(),
        "ve_small": sd.VESDE(0.1, 2.0),
    }


def random_rotation(d: int, g: torch.Generator) -> torch.Tensor:
    """A Haar-random orthogonal matrix (QR of a Gaussian matrix with the signs fixed)."""
    q, r = torch.linalg.qr(torch.randn(d, d, dtype=F64, generator=g))
    return q * torch.sign(torch.diagonal(r))


def random_mixture(k: int, d: int, seed: int) -> sd.GaussianMixture:
    """K components in d dimensions: random weights, means of norm ~2, rotated covariances (stds 0.2–1.2)."""
    g = torch.Generator().manual_seed(seed)
    w = torch.rand(k, dtype=F64, generator=g) + 0.2
    means = 2.0 * torch.randn(k, d, dtype=F64, generator=g)
    covs = []
    for _ in range(k):
        rot = random_rotation(d, g)
        stds = 0.2 + torch.rand(d, dtype=F64, generator=g)
        covs.append(rot @ torch.diag(stds**2) @ rot.T)
    return sd.GaussianMixture(w / w.sum(), means, torch.stack(covs))


def ring2d() -> sd.GaussianMixture:
    """8 Gaussians on a ring, radii 2–4, stds 0.1–0.3 (the samplers benchmark's 2-D target, ``sd.ring_mixture``)."""
    return sd.ring_mixture()


def gaussian(mean: Sequence[float], std: Sequence[float]) -> sd.GaussianMixture:
    """Gaussian data N(mean, diag(std²)) as a one-component mixture (its flow is known: ``gaussian_flow``)."""
    m = torch.as_tensor(mean, dtype=F64)
    s = torch.as_tensor(std, dtype=F64)
    return sd.GaussianMixture(torch.ones(1, dtype=F64), m[None], torch.diag(s * s)[None])


def gaussian_flow(sde: sd.SDE, mean: Sequence[float], std: Sequence[float], x: torch.Tensor, s: float, t: float
                  ) -> torch.Tensor:
    r"""The exact probability-flow map from time s to time t for data N(mean, diag(std²)), x of shape (batch, d).

    p_t = N(α_t m, diag(v_t)), v_t = α_t² std² + σ_t², and the score -(x - α_t m)/v_t is linear in x, so the ODE
    dx/dt = f x - ½ g² s(x, t) moves each coordinate's standard score (x - α m)/√v not at all (d log √v/dt =
    f + g²/(2v) because dv/dt = 2 f v + g²):  x_t = α_t m + (x_s - α_s m) √(v_t / v_s).
    """
    m = torch.as_tensor(mean, dtype=F64)
    sd2 = torch.as_tensor(std, dtype=F64) ** 2
    (a_s, sig_s), (a_t, sig_t) = sde.marginal(s), sde.marginal(t)
    v_s, v_t = a_s**2 * sd2 + sig_s**2, a_t**2 * sd2 + sig_t**2
    return (a_t * m + (x.to(F64) - a_s * m) * torch.sqrt(v_t / v_s)).to(x.dtype)


def gaussian_score_fn(sde: sd.SDE, mean: float, std: float) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """The exact score of isotropic Gaussian data N(mean, std² I), -(x - α m)/(α² std² + σ²), in closed form: the
    same as ``gaussian(...).score_fn(sde)`` but a few operations per call (for tests that take thousands of steps)."""

    def score_fn(x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        alpha, sigma = sde.marginal(t)
        a = sd.append_dims(alpha, x.ndim).to(x.dtype)
        v = sd.append_dims(alpha**2 * std**2 + sigma**2, x.ndim).to(x.dtype)
        return -(x - a * mean) / v

    return score_fn


def aniso16_like(seed: int = 16) -> sd.GaussianMixture:
    """The samplers issue's aniso16 shape: d = 16, 4 components, weights .4/.3/.2/.1, means of norm 3, covariances
    with random rotations and axis stds uniform in [0.05, 1.0] (our own seed; benchmarks/samplers.py builds the peer
    tool's exact instance)."""
    g = torch.Generator().manual_seed(seed)
    d, k = 16, 4
    means, covs = [], []
    for _ in range(k):
        u = torch.randn(d, dtype=F64, generator=g)
        means.append(3 * u / u.norm())
        rot = random_rotation(d, g)
        stds = 0.05 + 0.95 * torch.rand(d, dtype=F64, generator=g)
        covs.append(rot @ torch.diag(stds**2) @ rot.T)
    return sd.GaussianMixture(torch.tensor([0.4, 0.3, 0.2, 0.1], dtype=F64), torch.stack(means), torch.stack(covs))
