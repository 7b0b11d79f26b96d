"""A catalogue of exact test problems, reused across the test files (cf. torchdiffeq's tests/problems.py).

Every SDE and schedule the core offers, and small Gaussian mixtures whose marginals are known in closed form.
"""

from __future__ import annotations

import math

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
    """8 Gaussians on a ring, radii 2–4, stds 0.1–0.3 (the samplers benchmark's 2-D target)."""
    k = 8
    angles = torch.arange(k, dtype=F64) * 2 * math.pi / k
    radii = torch.linspace(2.0, 4.0, k, dtype=F64)
    stds = torch.linspace(0.1, 0.3, k, dtype=F64)
    means = torch.stack([radii * torch.cos(angles), radii * torch.sin(angles)], dim=1)
    covs = stds[:, None, None] ** 2 * torch.eye(2, dtype=F64)
    return sd.GaussianMixture(torch.full((k,), 1.0 / k, dtype=F64), means, covs)
