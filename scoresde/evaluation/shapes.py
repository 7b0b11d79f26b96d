r"""Features of the built-in ``shapes`` data: a small classifier shipped with the package.

Fréchet distance and KID need features in which images that look alike are close. For natural images the field
uses Inception-v3; for the built-in ``shapes`` set (six procedural classes, see ``scoresde.data.synthetic``) this
module gives a small CNN trained on the generator's labels plus a seventh class, **none of these** (melted,
blurred, blob-like and double-exposed versions of the data, ``scoresde.evaluation.train_shapes``). It gives

* ``features``: the 128-d penultimate layer, for ``frechet_distance``, ``kernel_distance`` and
  ``precision_recall``;
* ``probs``: the softmax over the seven classes, from which come two numbers people understand: the
  **recognizable rate** (the share of images given one of the six shapes with probability ≥ 0.9) and the
  **class histogram** (the share of images whose most probable class is each class: mode coverage).

The weights (``shapes_classifier.pt``, about 0.3 MB) are regenerated deterministically by
``python -m scoresde.evaluation.train_shapes``; the file's SHA-256 is checked before it is read with
``torch.load(weights_only=True)``.
"""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from scoresde._utils import check_float, check_int, check_tensor, progress_bar
from scoresde.data import to_float
from scoresde.data.synthetic import SHAPES
from scoresde.evaluation.inception import InvalidWeightsError, WeightsNotFoundError

__all__ = [
    "CLASSES",
    "WEIGHTS_PATH",
    "WEIGHTS_SHA256",
    "ShapesClassifier",
    "ShapesScores",
    "class_histogram",
    "load_shapes_classifier",
    "recognizable_rate",
    "save_shapes_classifier",
    "shapes_scores",
]

CLASSES = (*SHAPES, "none")
WEIGHTS_PATH = Path(__file__).with_name("shapes_classifier.pt")
WEIGHTS_SHA256 = "a5c5df7185265b4771e0b82dee00c51aaccf1e04981c131ac7f19b8f9a2cb756"
FORMAT = "scoresde.shapes_classifier/1"
FEATURE_DIM = 128


class ShapesClassifier(nn.Module):
    """A 7-class CNN for 32×32 RGB images in [-1, 1]: three stages of two 3×3 convolutions (16, 32, 64 channels,
    GroupNorm of 4 groups, SiLU) with 2×2 average pooling between them, a global average pool, a 128-unit hidden
    layer (the features) and a linear layer to the logits of ``CLASSES``.

    References:
        - Heusel et al. 2017, "GANs Trained by a Two Time-Scale Update Rule Converge to a Local Nash Equilibrium",
          NeurIPS (FID). Features of a classifier trained on the data, in place of Inception's, as e.g. for MNIST in
          Bińkowski et al. 2018.
    """

    def __init__(self) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        c_in = 3
        for i, c in enumerate((16, 32, 64)):
            if i:
                layers.append(nn.AvgPool2d(2))
            for _ in range(2):
                layers += [nn.Conv2d(c_in, c, 3, padding=1), nn.GroupNorm(4, c), nn.SiLU()]
                c_in = c
        self.body = nn.Sequential(*layers)
        self.hidden = nn.Sequential(nn.Linear(64, FEATURE_DIM), nn.SiLU())
        self.head = nn.Linear(FEATURE_DIM, len(CLASSES))

    def features(self, x: Tensor) -> Tensor:
        """The penultimate layer: the 128 hidden units after SiLU.

        Args:
            x: images ``(n, 3, 32, 32)`` in [-1, 1].

        Returns:
            ``(n, 128)`` features.
        """
        out: Tensor = self.hidden(self.body(x).mean((2, 3)))
        return out

    def forward(self, x: Tensor) -> Tensor:
        """The logits of ``CLASSES``.

        Args:
            x: images ``(n, 3, 32, 32)`` in [-1, 1].

        Returns:
            ``(n, 7)`` logits.
        """
        out: Tensor = self.head(self.features(x))
        return out


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def save_shapes_classifier(model: ShapesClassifier, path: str | os.PathLike[str], info: dict[str, Any]) -> str:
    """Write ``model``'s weights with ``info`` (plain values) to ``path``; returns the file's SHA-256.

    The bytes depend only on the tensors and ``info``, not on the file name (serialized in memory first)."""
    buffer = io.BytesIO()
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    torch.save({"format": FORMAT, "classes": list(CLASSES), "state_dict": state, "info": info}, buffer)
    data = buffer.getvalue()
    target = Path(path)
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, target)
    return _sha256(data)


def load_shapes_classifier(path: str | os.PathLike[str] | None = None, *, sha256: str | None = WEIGHTS_SHA256,
                           device: str | torch.device | None = None) -> ShapesClassifier:
    """The shapes classifier in eval mode, from the weights shipped with the package (or ``path``).

    The file's SHA-256 is compared with ``sha256`` before anything is read; then it is read with
    ``torch.load(weights_only=True)`` (no pickled code runs) and loaded strictly.

    Args:
        path: a weights file written by ``save_shapes_classifier``; None for the shipped ``WEIGHTS_PATH``.
        sha256: the expected SHA-256 (hex) of the file; None skips the check (for a file you regenerated).
        device: where to put the network (default CPU).

    Returns:
        A ``ShapesClassifier`` in eval mode without gradients.

    Raises:
        TypeError: ``path`` is not a path, or ``sha256`` not a string.
        WeightsNotFoundError: the file is missing.
        InvalidWeightsError: its checksum differs, it cannot be read safely, or its contents do not fit the network.
    """
    if path is not None and not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or os.PathLike; got {type(path).__name__}")
    if sha256 is not None and not isinstance(sha256, str):
        raise TypeError(f"sha256 must be a hex string or None; got {type(sha256).__name__}")
    source = WEIGHTS_PATH if path is None else Path(path)
    if not source.is_file():
        raise WeightsNotFoundError(f"shapes classifier weights {source} do not exist; regenerate them with "
                           f"`python -m scoresde.evaluation.train_shapes --out {source}`")
    data = source.read_bytes()
    if sha256 is not None and _sha256(data) != sha256.lower():
        raise InvalidWeightsError(f"shapes classifier weights {source} have SHA-256 {_sha256(data)[:16]}…, expected "
                           f"{sha256[:16]}… (a truncated, corrupt or different file; pass sha256=None only for a "
                           f"file you regenerated yourself)")
    try:
        saved = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises RuntimeError, pickle.UnpicklingError, EOFError, ...
        raise InvalidWeightsError(f"shapes classifier weights {source} cannot be read safely: "
                           f"{type(err).__name__}: {err}") from err
    if not isinstance(saved, dict) or saved.get("format") != FORMAT or tuple(saved.get("classes", ())) != CLASSES:
        raise InvalidWeightsError(f"{source} is not a shapes classifier file of format {FORMAT!r} with classes "
                                  f"{CLASSES}")
    model = ShapesClassifier()
    try:
        model.load_state_dict(saved["state_dict"])
    except (RuntimeError, TypeError) as err:
        raise InvalidWeightsError(f"shapes classifier weights {source} do not fit the network: {err}") from err
    return model.to(device or "cpu").eval().requires_grad_(False)


@dataclass(frozen=True)
class ShapesScores:
    """What the shapes classifier says about a set of images.

    Attributes:
        features: float64 ``(n, 128)``, the penultimate layer (for the distances of ``scoresde.metrics``).
        probs: float64 ``(n, 7)``, the softmax over ``CLASSES``.
    """

    features: Tensor
    probs: Tensor


def _check_images(images: Any) -> Tensor:
    if not isinstance(images, Tensor):
        raise TypeError(f"images must be a uint8 torch.Tensor (n, H, W, C); got {type(images).__name__}")
    x = images
    if x.dtype != torch.uint8:
        raise TypeError(f"images must be a uint8 tensor (n, 32, 32, 3) (the format of samples.npz); got {x.dtype}")
    if x.ndim != 4 or tuple(x.shape[1:]) != (32, 32, 3) or x.shape[0] < 1:
        raise ValueError(f"images must have shape (n, 32, 32, 3) with n >= 1 (32x32 RGB, channels last); "
                         f"got {tuple(x.shape)}")
    return x


def shapes_scores(images: Tensor, model: ShapesClassifier | None = None, *, batch_size: int = 1000,
                  progress: bool = False) -> ShapesScores:
    """Features and class probabilities of uint8 images ``(n, 32, 32, 3)`` under the shapes classifier.

    Images are used as saved (uint8, so samples are quantized exactly as a user's PNG or ``.npz`` holds them) and
    mapped to [-1, 1] by ``to_float``.

    Args:
        images: uint8 tensor ``(n, 32, 32, 3)``.
        model: the classifier; None loads the shipped one.
        batch_size: images per forward pass.
        progress: show a progress bar (tqdm).

    Returns:
        ``ShapesScores`` with float64 features ``(n, 128)`` and probabilities ``(n, 7)``.

    Raises:
        TypeError: ``images`` is not a uint8 tensor, ``model`` not a ``ShapesClassifier``.
        ValueError: ``images`` is not ``(n, 32, 32, 3)``, or ``batch_size`` < 1.

    References:
        - Heusel et al. 2017, "GANs Trained by a Two Time-Scale Update Rule Converge to a Local Nash Equilibrium",
          NeurIPS (FID).
        - Salimans et al. 2016, "Improved Techniques for Training GANs", NeurIPS (a classifier's confidence as a quality
          score).
    """
    x = _check_images(images)
    if model is None:
        model = load_shapes_classifier()
    if not isinstance(model, ShapesClassifier):
        raise TypeError(f"model must be a ShapesClassifier; got {type(model).__name__}")
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    device = next(model.parameters()).device
    feats, probs = [], []
    starts: Iterable[int] = range(0, x.shape[0], batch_size)
    if progress:
        starts = progress_bar(starts, desc="shapes features", unit="batch")
    with torch.no_grad():
        for start in starts:
            f = model.features(to_float(x[start: start + batch_size]).to(device))
            feats.append(f.double().cpu())
            probs.append(torch.softmax(model.head(f).double(), dim=1).cpu())
    return ShapesScores(torch.cat(feats), torch.cat(probs))


def _check_probs(probs: Any) -> Tensor:
    p = check_tensor(probs, "probs")
    if p.ndim != 2 or p.shape[1] != len(CLASSES) or p.shape[0] < 1:
        raise ValueError(f"probs must have shape (n, {len(CLASSES)}) with n >= 1; got {tuple(p.shape)}")
    return p


def recognizable_rate(probs: Tensor, *, threshold: float = 0.9) -> float:
    """The share of images whose most probable class is a shape (not "none") with probability ≥ ``threshold``.

        rate = (1/n) Σᵢ 1[argmax_c pᵢ(c) ≠ none and max_c pᵢ(c) ≥ threshold]

    Args:
        probs: ``(n, 7)`` class probabilities (``ShapesScores.probs``).
        threshold: the confidence, in (0, 1].

    Returns:
        The rate in [0, 1].

    Raises:
        TypeError: ``probs`` is not a tensor, ``threshold`` not a number.
        ValueError: wrong shape, or ``threshold`` outside (0, 1].

    References:
        - Salimans et al. 2016, "Improved Techniques for Training GANs", NeurIPS (a classifier's confidence as a quality
          score).
    """
    p = _check_probs(probs)
    threshold = check_float(threshold, "threshold", low=0.0, high=1.0, low_open=True)
    top, label = p.max(dim=1)
    return float(((top >= threshold) & (label != len(CLASSES) - 1)).double().mean())


def class_histogram(probs: Tensor) -> dict[str, float]:
    """The share of images whose most probable class is each of ``CLASSES`` (they sum to 1).

    Args:
        probs: ``(n, 7)`` class probabilities (``ShapesScores.probs``).

    Returns:
        ``{class name: share}`` in the order of ``CLASSES``.

    Raises:
        TypeError: ``probs`` is not a tensor.
        ValueError: wrong shape.

    References:
        - Srivastava et al. 2017, "VEEGAN", NeurIPS, and Metz et al. 2017, "Unrolled GANs", ICLR (modes counted by a
          classifier).
    """
    p = _check_probs(probs)
    counts = torch.bincount(p.argmax(dim=1), minlength=len(CLASSES)).double() / p.shape[0]
    return {name: float(c) for name, c in zip(CLASSES, counts, strict=True)}
