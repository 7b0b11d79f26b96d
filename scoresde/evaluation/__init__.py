r"""Sample quality as numbers: feature extractors, reference statistics and the evaluation command.

* ``shapes``: a small classifier for the built-in ``shapes`` data, shipped with the package (128-d features,
  the recognizable rate and the class histogram);
* ``inception``: the FID-standard Inception-v3 (pool3, 2048-d) from pytorch-fid's weights file, which the user
  supplies (nothing here downloads it);
* ``evaluate``: reading and writing images as data (``.npz``, PNG folders), cached reference features, the scores
  beside their real-vs-real floor, sampling from a training run; ``python -m scoresde.evaluation PATH`` runs it.

The distances themselves are pure functions of features in ``scoresde.metrics``. docs/evaluation.md explains
each metric and the pitfalls that make published numbers disagree.
"""

from scoresde.evaluation.evaluate import (
    EXTRACTORS,
    Features,
    RunModel,
    extract,
    extractor_tag,
    load_run,
    quality,
    read_images,
    reference_features,
    sample_images,
    save_npz,
    score_images,
    table,
)
from scoresde.evaluation.inception import (
    FIDInception,
    InvalidWeightsError,
    WeightsError,
    WeightsNotFoundError,
    inception_features,
    inception_weights_path,
    load_inception,
)
from scoresde.evaluation.shapes import (
    CLASSES,
    ShapesClassifier,
    ShapesScores,
    class_histogram,
    load_shapes_classifier,
    recognizable_rate,
    shapes_scores,
)

__all__ = [
    "CLASSES",
    "EXTRACTORS",
    "FIDInception",
    "Features",
    "InvalidWeightsError",
    "RunModel",
    "ShapesClassifier",
    "ShapesScores",
    "WeightsError",
    "WeightsNotFoundError",
    "class_histogram",
    "extract",
    "extractor_tag",
    "inception_features",
    "inception_weights_path",
    "load_inception",
    "load_run",
    "load_shapes_classifier",
    "quality",
    "read_images",
    "recognizable_rate",
    "reference_features",
    "sample_images",
    "save_npz",
    "score_images",
    "shapes_scores",
    "table",
]
