"""scoresde: score-based diffusion models, with the DDPM chain as a discretized VP SDE.

The public API, one page of names::

    import scoresde as sd
    sde = sd.VPSDE(beta_min=0.1, beta_max=20.0)      # or sd.VPSDE.from_ddpm(sd.linear_betas())
    x_t = sde.perturb(x0, t, noise)                  # α(t)·x0 + σ(t)·noise
    gm = sd.GaussianMixture(weights, means, covs)    # the exact oracle
    score_fn = gm.score_fn(sde)                      # exact ∇ log p_t

See docs/math.md for the mathematics and the function that computes each formula.
"""

from scoresde._utils import append_dims
from scoresde.analytic import GaussianMixture, ring_mixture
from scoresde.ddpm import DDPM
from scoresde.likelihood import LikelihoodResult, bits_per_dim, log_likelihood
from scoresde.losses import DSMLoss, dsm_loss, likelihood_weight
from scoresde.metrics import (
    FeatureStatistics,
    KernelDistance,
    PrecisionRecall,
    SlicedWasserstein,
    feature_statistics,
    frechet_distance,
    kernel_distance,
    mmd,
    moment_errors,
    precision_recall,
    sliced_wasserstein,
)
from scoresde.parameterization import Prediction, ScoreModel, convert
from scoresde.samplers import METHODS, SampleResult, inpaint, sample
from scoresde.schedules import (
    CosineSchedule,
    LinearSchedule,
    PiecewiseConstantSchedule,
    Schedule,
    cosine_betas,
    linear_betas,
)
from scoresde.sde import SDE, VESDE, VPSDE, ReverseSDE, ScoreFn, SubVPSDE, coefficients_from_marginal
from scoresde.timesteps import GRIDS, time_grid

__version__ = "0.2.0"

__all__ = [
    "DDPM",
    "GRIDS",
    "METHODS",
    "SDE",
    "VESDE",
    "VPSDE",
    "CosineSchedule",
    "DSMLoss",
    "FeatureStatistics",
    "GaussianMixture",
    "KernelDistance",
    "LikelihoodResult",
    "LinearSchedule",
    "PiecewiseConstantSchedule",
    "PrecisionRecall",
    "Prediction",
    "ReverseSDE",
    "SampleResult",
    "Schedule",
    "ScoreFn",
    "ScoreModel",
    "SlicedWasserstein",
    "SubVPSDE",
    "__version__",
    "append_dims",
    "bits_per_dim",
    "coefficients_from_marginal",
    "convert",
    "cosine_betas",
    "dsm_loss",
    "feature_statistics",
    "frechet_distance",
    "inpaint",
    "kernel_distance",
    "likelihood_weight",
    "linear_betas",
    "log_likelihood",
    "mmd",
    "moment_errors",
    "precision_recall",
    "ring_mixture",
    "sample",
    "sliced_wasserstein",
    "time_grid",
]
