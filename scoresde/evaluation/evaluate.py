r"""Score images the way the field does: features, cached reference statistics, and the distances between them.

``python -m scoresde.evaluation RUN_DIR`` samples from a training run's EMA weights and scores the samples;
``python -m scoresde.evaluation samples.npz`` (or a folder of PNGs) scores images made by any tool on the same
features. Each score is printed beside its **floor**: the same metric for real images that the model never saw
(the test split), the same number of them, against the same reference. A model cannot beat the floor by more
than chance; the ratio to it is what to compare across sample sizes.

The features: the shapes classifier (``scoresde.evaluation.shapes``) for the built-in data, the FID Inception-v3
(``scoresde.evaluation.inception``) for CIFAR-10 and other natural images. The distances
(``scoresde.metrics``): Fréchet distance, KID and precision/recall; and, from the shapes classifier's softmax,
the recognizable rate and the class histogram.

Reference features are cached under ``<data folder>/reference`` in an ``.npz`` named by data set, split, seed,
extractor (with its weights' checksum) and n, so a second evaluation only extracts the samples' features.
"""

from __future__ import annotations

import json
import math
import os
import re
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

import scoresde as sd
from scoresde._utils import check_bool, check_choice, check_generator, check_int, file_sha256, progress_bar
from scoresde.data import data_dir, load_images, synthetic_images, to_uint8
from scoresde.evaluation.inception import FIDInception, inception_features, inception_weights_path, load_inception
from scoresde.evaluation.shapes import (
    CLASSES,
    WEIGHTS_SHA256,
    ShapesClassifier,
    class_histogram,
    load_shapes_classifier,
    recognizable_rate,
    shapes_scores,
)
from scoresde.metrics import frechet_distance, kernel_distance, precision_recall
from scoresde.nets import UNet, UNetConfig
from scoresde.training import CheckpointError, CheckpointManager

__all__ = [
    "EXTRACTORS",
    "Features",
    "RunModel",
    "extract",
    "extractor_tag",
    "load_run",
    "quality",
    "read_images",
    "reference_features",
    "sample_images",
    "save_npz",
    "score_images",
    "table",
]

EXTRACTORS = ("shapes", "inception")
SPLITS = ("train", "test")
SPLIT_SIZES = {"cifar10": {"train": 50_000, "test": 10_000}}  # the built-in set has any number of images
REFERENCE_FORMAT = 1


@dataclass(frozen=True)
class Features:
    """Features of a set of images under one extractor.

    Attributes:
        features: float64 ``(n, d)``.
        probs: float64 ``(n, 7)`` class probabilities (the shapes extractor), else None.
    """

    features: Tensor
    probs: Tensor | None = None


# ------------------------------------------------------------------------------------------------ images as data


def save_npz(images: Tensor, path: str | os.PathLike[str]) -> Path:
    """Write uint8 images ``(n, H, W, C)`` to ``path`` as ``arr_0`` of an ``.npz`` (the format guided-diffusion's
    evaluator and most FID tools read), atomically (a temporary file beside it, then a rename).

    Args:
        images: uint8 tensor ``(n, H, W, C)``, C = 1 or 3.
        path: the file to write.

    Returns:
        The path written.

    Raises:
        TypeError: ``images`` is not a uint8 tensor.
        ValueError: ``images`` is not 4-dimensional with 1 or 3 channels.

    References:
        - Dhariwal & Nichol 2021, "Diffusion Models Beat GANs on Image Synthesis", NeurIPS (guided-diffusion's
          evaluator reads samples as ``arr_0`` of an ``.npz``).
    """
    x = _check_uint8_images(images)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    _atomic_npz(target, {"arr_0": x.cpu().numpy()})
    return target


def _atomic_npz(target: Path, arrays: dict[str, Any]) -> None:
    """Write ``arrays`` to ``target`` through a uniquely named temporary file and a rename."""
    fd, tmp = tempfile.mkstemp(prefix=target.name + ".", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _check_uint8_images(images: Any) -> Tensor:
    if not isinstance(images, Tensor):
        raise TypeError(f"images must be a uint8 torch.Tensor (n, H, W, C); got {type(images).__name__}")
    if images.dtype != torch.uint8:
        raise TypeError(f"images must be a uint8 tensor (n, H, W, C); got {images.dtype}")
    if images.ndim != 4 or images.shape[-1] not in (1, 3) or images.shape[0] < 1:
        raise ValueError(f"images must have shape (n, H, W, C) with n >= 1 and C = 1 or 3; got {tuple(images.shape)}")
    return images


def _read_array(source: Path) -> np.ndarray:
    if source.is_dir():
        files = sorted(source.glob("*.png"))
        if not files:
            raise FileNotFoundError(f"{source} holds no .png files")
        from PIL import Image

        arrays = []
        for f in files:
            with Image.open(f) as im:
                arrays.append(np.asarray(im.convert("RGB")))
        if len({a.shape for a in arrays}) > 1:
            raise ValueError(f"the PNGs in {source} differ in size: {sorted({a.shape for a in arrays})}")
        return np.stack(arrays)
    if not source.is_file():
        raise FileNotFoundError(f"{source} is neither an .npz / .npy file nor a folder of PNGs")
    loaded = np.load(source, allow_pickle=False)
    if isinstance(loaded, np.ndarray):  # a .npy file
        return loaded
    with loaded as npz:
        keys = list(npz.keys())
        if "arr_0" not in keys and len(keys) != 1:
            raise ValueError(f"{source} must hold the images under 'arr_0' (or as its only array); got {keys}")
        return np.asarray(npz["arr_0" if "arr_0" in keys else keys[0]])


def read_images(path: str | os.PathLike[str]) -> Tensor:
    """uint8 images ``(n, H, W, 3)`` from an ``.npz`` (key ``arr_0``, else its only array), a ``.npy`` or a folder
    of PNGs (read in sorted file-name order, converted to RGB; all of one size).

    Gray images, ``(n, H, W)`` or ``(n, H, W, 1)``, are repeated to three channels.

    Args:
        path: an ``.npz`` or ``.npy`` file, or a folder holding ``*.png``.

    Returns:
        uint8 tensor ``(n, H, W, 3)``.

    Raises:
        FileNotFoundError: nothing at ``path``, or a folder without PNGs.
        ValueError: a file that cannot be read (truncated, corrupt, not an array), or an array that is not uint8
            ``(n, H, W, 3)`` or gray, or PNGs of different sizes.

    References:
        - Dhariwal & Nichol 2021, "Diffusion Models Beat GANs on Image Synthesis", NeurIPS (guided-diffusion's
          evaluator reads samples as ``arr_0`` of an ``.npz``).
    """
    source = Path(path)
    try:
        array = _read_array(source)
    except (FileNotFoundError, ValueError):
        raise
    except (OSError, EOFError, zipfile.BadZipFile, KeyError) as err:  # PIL's UnidentifiedImageError is an OSError
        raise ValueError(f"{source} cannot be read as images: {type(err).__name__}: {err}") from err
    if array.ndim == 4 and array.shape[-1] == 1:
        array = array[..., 0]
    if array.ndim == 3:
        array = np.repeat(array[..., None], 3, axis=-1)
    if array.dtype != np.uint8 or array.ndim != 4 or array.shape[-1] != 3 or array.shape[0] < 1:
        raise ValueError(f"{source} must hold uint8 images (n, H, W, 3) or gray (n, H, W); got {array.dtype} "
                         f"{array.shape}")
    return torch.from_numpy(np.ascontiguousarray(array))


# ------------------------------------------------------------------------------------------------ features


def _inception_weights_tag(path: str | os.PathLike[str] | None) -> str:
    source = inception_weights_path(path)
    if not source.is_file():
        load_inception(path)  # raises the error that names the file and where to put it
    return "inception-" + file_sha256(source)[:12]


def extractor_tag(extractor: str, *, inception_weights: str | os.PathLike[str] | None = None) -> str:
    """A name for the features' origin: the extractor and its weights' SHA-256 prefix (for cache keys and JSON).

    Args:
        extractor: ``"shapes"`` or ``"inception"``.
        inception_weights: the FID Inception weights file (hashed; see ``load_inception`` for where it is looked for).

    Returns:
        E.g. ``"shapes-a5c5df718526"`` or ``"inception-6726825d…"`` (12 hex digits).

    Raises:
        ValueError: an unknown extractor.
        WeightsNotFoundError: ``"inception"`` and the weights file is missing.
    """
    extractor = check_choice(extractor, "extractor", EXTRACTORS)
    return f"shapes-{WEIGHTS_SHA256[:12]}" if extractor == "shapes" else _inception_weights_tag(inception_weights)


class _Extractor:
    """One feature extractor whose network is loaded once, on first use."""

    def __init__(self, extractor: str, inception_weights: str | os.PathLike[str] | None,
                 device: str | torch.device | None, batch_size: int) -> None:
        self.name = check_choice(extractor, "extractor", EXTRACTORS)
        self.weights = inception_weights
        self.device = device
        self.batch_size = check_int(batch_size, "batch_size", minimum=1)
        self.tag = extractor_tag(self.name, inception_weights=inception_weights)  # fails early if weights are missing
        self._shapes: ShapesClassifier | None = None
        self._inception: FIDInception | None = None

    def __call__(self, images: Tensor, progress: bool) -> Features:
        x = _check_uint8_images(images)
        if self.name == "shapes":
            if self._shapes is None:
                self._shapes = load_shapes_classifier(device=self.device)
            scores = shapes_scores(x, self._shapes, batch_size=self.batch_size, progress=progress)
            return Features(scores.features, scores.probs)
        if self._inception is None:
            self._inception = load_inception(self.weights, device=self.device)
        return Features(inception_features(x, self._inception, batch_size=self.batch_size, progress=progress))


def extract(images: Tensor, extractor: str, *, inception_weights: str | os.PathLike[str] | None = None,
            device: str | torch.device | None = None, batch_size: int = 200, progress: bool = False) -> Features:
    """Features of uint8 images ``(n, H, W, 3)`` under ``extractor`` (``"shapes"`` or ``"inception"``).

    Args:
        images: uint8 tensor ``(n, H, W, 3)`` (32×32 for ``"shapes"``).
        extractor: ``"shapes"`` (128-d, with class probabilities) or ``"inception"`` (2048-d pool3).
        inception_weights: the FID Inception weights file (see ``scoresde.evaluation.inception.load_inception``).
        device: where to run the network (default CPU).
        batch_size: images per forward pass.
        progress: show a progress bar.

    Returns:
        ``Features`` (float64, on the CPU).

    Raises:
        TypeError: ``images`` is not a uint8 tensor, or ``batch_size`` / ``progress`` of the wrong type.
        ValueError: ``images`` of the wrong shape, an unknown extractor, or ``batch_size`` < 1.
        WeightsError: the extractor's weights are missing or do not match their checksum.

    References:
        - Heusel et al. 2017, "GANs Trained by a Two Time-Scale Update Rule Converge to a Local Nash Equilibrium",
          NeurIPS (FID).
        - Seitzer 2020, pytorch-fid, https://github.com/mseitzer/pytorch-fid (the weights file and the preprocessing).
    """
    x = _check_uint8_images(images)
    return _Extractor(extractor, inception_weights, device, batch_size)(x, check_bool(progress, "progress"))


def _reference_images(data: str, split: str, n: int, seed: int, root: str | os.PathLike[str] | None) -> Tensor:
    if data == "shapes":  # i.i.d. labels: an unbiased sample of the data distribution (see synthetic_images)
        return synthetic_images(n, seed, 32, split, balanced=False)[0]
    loaded = load_images("cifar10", root, split=split)
    if loaded.images.shape[0] < n:
        raise ValueError(f"the {data} {split} split holds {loaded.images.shape[0]} images; asked for {n}")
    return loaded.images[:n]


def _cached(path: Path, n: int, width: int | None) -> Features | None:
    """The features in a cache file, or None when it is missing, unreadable or not of the expected shapes."""
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as saved:
            if int(saved["format"]) != REFERENCE_FORMAT:
                return None
            feats = torch.from_numpy(saved["features"])
            probs = torch.from_numpy(saved["probs"]) if "probs" in saved else None
    except Exception:  # truncated, corrupt or foreign file: recompute it
        return None
    ok = feats.dtype == torch.float64 and feats.ndim == 2 and feats.shape[0] == n
    ok = ok and (width is None or feats.shape[1] == width) and bool(torch.isfinite(feats).all())
    ok = ok and (probs is None or tuple(probs.shape) == (n, len(CLASSES)))
    return Features(feats, probs) if ok else None


def _reference(data: str, split: str, n: int, seed: int, root: str | os.PathLike[str] | None,
               cache_dir: str | os.PathLike[str] | None, extractor: _Extractor, progress: bool) -> Features:
    folder = Path(cache_dir) if cache_dir is not None else data_dir(root) / "reference"
    name = f"{data}-{split}{f'-seed{seed}-iid' if data == 'shapes' else ''}-{extractor.tag}-n{n}.npz"
    path = folder / name
    width = 128 if extractor.name == "shapes" else 2048
    found = _cached(path, n, width)
    if found is not None:
        return found
    feats = extractor(_reference_images(data, split, n, seed, root), progress)
    folder.mkdir(parents=True, exist_ok=True)
    arrays: dict[str, Any] = {"format": np.array(REFERENCE_FORMAT), "features": feats.features.numpy()}
    if feats.probs is not None:
        arrays["probs"] = feats.probs.numpy()
    _atomic_npz(path, arrays)
    return feats


def reference_features(data: str, split: str, extractor: str, n: int, *, seed: int = 0,
                       root: str | os.PathLike[str] | None = None, cache_dir: str | os.PathLike[str] | None = None,
                       inception_weights: str | os.PathLike[str] | None = None,
                       device: str | torch.device | None = None, progress: bool = False) -> Features:
    """Features of the first ``n`` images of a data set's split, cached on disk.

    For the built-in set the images are ``synthetic_images(n, seed, 32, split, balanced=False)``: the split's
    stream with i.i.d. labels, an unbiased sample of the data distribution (the training set's labels come in
    balanced blocks, which would bias KID); for CIFAR-10, the first n images of the split as stored.

    The cache file ``<cache_dir>/<data>-<split>[-seed<seed>-iid]-<extractor tag>-n<n>.npz`` holds the features (and
    class probabilities); the extractor tag includes its weights' checksum, so new weights never reuse old
    features. A cache file that does not read back (truncated, corrupt) or not with the expected shapes is
    recomputed; files are written through a unique temporary name and a rename, so concurrent evaluations never
    read each other's half-written file.

    Args:
        data: ``"shapes"`` (the built-in set; ``seed`` chooses it) or ``"cifar10"`` (read from ``root``).
        split: ``"train"`` or ``"test"``.
        extractor: ``"shapes"`` or ``"inception"``.
        n: the number of images (the first n of the split).
        seed: the built-in set's seed (ignored for CIFAR-10).
        root: the data folder (see ``scoresde.data.data_dir``).
        cache_dir: where the cache files go; None for ``<data folder>/reference``.
        inception_weights: the FID Inception weights file.
        device: where to run the extractor.
        progress: show progress bars.

    Returns:
        ``Features`` of the n reference images.

    Raises:
        TypeError: a count or seed that is not an int, or ``progress`` not a bool.
        ValueError: unknown names, n < 2, seed < 0, or a split with fewer than n images.
        DataError: CIFAR-10 is asked for and missing.
        WeightsError: the extractor's weights are missing or do not match their checksum.

    References:
        - Parmar et al. 2022, "On Aliased Resizing and Surprising Subtleties in GAN Evaluation", CVPR (clean-fid:
          reference statistics stored per data set, split and resize).
    """
    data = check_choice(data, "data", ("shapes", "cifar10"))
    split = check_choice(split, "split", SPLITS)
    n = check_int(n, "n", minimum=2)
    seed = check_int(seed, "seed", minimum=0)
    progress = check_bool(progress, "progress")
    return _reference(data, split, n, seed, root, cache_dir, _Extractor(extractor, inception_weights, device, 200),
                      progress)


# ------------------------------------------------------------------------------------------------ the scores


def quality(real: Features, fake: Features, *, k: int = 3, kid_subsets: int = 100, kid_subset_size: int = 1000,
            generator: torch.Generator | None = None) -> dict[str, Any]:
    """The sample-quality metrics of ``fake`` (sample) features against ``real`` (reference) features.

    Returns a dict: ``frechet_distance``; ``kid`` and ``kid_se`` (KID and its standard error over subsets);
    ``precision`` and ``recall`` (k-NN manifolds); ``n`` and ``n_reference``; and, when ``fake`` has class
    probabilities, ``recognizable_rate`` (confidence ≥ 0.9, not "none") and ``class_histogram``. The distances
    are computed on the device the features are on.

    Args:
        real: the reference features.
        fake: the samples' features.
        k: the neighbour of precision/recall's radii.
        kid_subsets: KID's number of subsets.
        kid_subset_size: KID's subset size (capped by the smaller set).
        generator: KID's subset draws.

    Returns:
        The metrics as plain values.

    Raises:
        TypeError: ``real`` or ``fake`` is not ``Features``.
        ValueError: feature widths differ, or too few points for the options.

    References:
        - Heusel et al. 2017, "GANs Trained by a Two Time-Scale Update Rule Converge to a Local Nash Equilibrium",
          NeurIPS (FID).
        - Bińkowski et al. 2018, "Demystifying MMD GANs", ICLR (KID).
        - Kynkäänniemi et al. 2019, "Improved Precision and Recall Metric for Assessing Generative Models",
          NeurIPS.
    """
    for name, value in (("real", real), ("fake", fake)):
        if not isinstance(value, Features):
            raise TypeError(f"{name} must be Features (from extract or reference_features); got {type(value).__name__}")
    kid = kernel_distance(fake.features, real.features, subsets=kid_subsets, subset_size=kid_subset_size,
                          generator=generator)
    pr = precision_recall(real.features, fake.features, k=k)
    out: dict[str, Any] = {
        "frechet_distance": frechet_distance(fake.features, real.features),
        "kid": kid.mean, "kid_se": kid.se, "kid_subsets": kid.subsets, "kid_subset_size": kid.subset_size,
        "precision": pr.precision, "recall": pr.recall, "k": pr.k,
        "n": int(fake.features.shape[0]), "n_reference": int(real.features.shape[0]),
    }
    if fake.probs is not None:
        out["recognizable_rate"] = recognizable_rate(fake.probs)
        out["class_histogram"] = class_histogram(fake.probs)
    return out


def _on(features: Features, device: str | torch.device | None) -> Features:
    if device is None:
        return features
    probs = features.probs.to(device) if features.probs is not None else None
    return Features(features.features.to(device), probs)


def score_images(images: Tensor, *, data: str, extractor: str | None = None, reference_split: str = "train",
                 n_reference: int | None = None, floor: bool = True, data_seed: int = 0,
                 generator: torch.Generator | None = None, root: str | os.PathLike[str] | None = None,
                 cache_dir: str | os.PathLike[str] | None = None,
                 inception_weights: str | os.PathLike[str] | None = None, device: str | torch.device | None = None,
                 progress: bool = False) -> dict[str, Any]:
    """Score uint8 images against a data set's reference features, with the real-vs-real floor beside them.

    The floor is the same metric for the first n images of the *other* split (real images the model never saw
    when the reference is the training set), n the number of samples, against the same reference: the value a
    perfect model would get, on average, at this n. The built-in set has as many images as asked for; CIFAR-10's
    other split may hold fewer than n (10 000 test images against 50 000 samples), and then the floor is at that
    split's size and the samples are also scored on their first n_floor images (``metrics_at_floor_n``), so that
    two numbers at one n can be compared.

    Args:
        images: uint8 samples ``(n, H, W, 3)``, n >= 4.
        data: ``"shapes"`` or ``"cifar10"``: the data set the samples imitate.
        extractor: ``"shapes"`` or ``"inception"``; None for the data set's own (shapes → shapes, CIFAR-10 →
            Inception).
        reference_split: the split whose statistics the samples are compared with (the field uses ``"train"``).
        n_reference: reference images; None for 10 000 (shapes) or the whole split (CIFAR-10).
        floor: also compute the floor.
        data_seed: the built-in set's seed (the one the model trained on).
        generator: draws the seed of KID's subsets, the same for the samples and the floor (None: torch's global
            generator).
        root: the data folder.
        cache_dir: the reference cache (see ``reference_features``).
        inception_weights: the FID Inception weights file.
        device: where to run the extractor and the distances (default CPU).
        progress: show progress bars.

    Returns:
        A dict with ``metrics``, ``floor`` (or None), ``metrics_at_floor_n`` (when the floor's n is smaller), and
        what was compared (``data``, ``extractor``, ``reference``, ``floor_what``).

    Raises:
        TypeError: ``images`` is not a uint8 tensor, or an option of the wrong type.
        ValueError: fewer than 4 images, unknown names, or a split with fewer images than asked for.
        DataError: CIFAR-10 is asked for and missing.
        WeightsError: the extractor's weights are missing or do not match their checksum.

    References:
        - Heusel et al. 2017, "GANs Trained by a Two Time-Scale Update Rule Converge to a Local Nash Equilibrium",
          NeurIPS (FID).
        - Song et al. 2021, "Score-Based Generative Modeling through Stochastic Differential Equations", ICLR (FID
          against the training set's statistics).
    """
    x = _check_uint8_images(images)
    if x.shape[0] < 4:
        raise ValueError(f"at least 4 images are needed to score them (precision/recall uses k = 3); got {x.shape[0]}")
    data = check_choice(data, "data", ("shapes", "cifar10"))
    reference_split = check_choice(reference_split, "reference_split", SPLITS)
    floor = check_bool(floor, "floor")
    progress = check_bool(progress, "progress")
    data_seed = check_int(data_seed, "data_seed", minimum=0)
    check_generator(generator)
    sizes = SPLIT_SIZES.get(data, {})
    n_ref = check_int(n_reference, "n_reference", minimum=4) if n_reference is not None else (
        sizes.get(reference_split, 10_000))
    ex = _Extractor(extractor or ("shapes" if data == "shapes" else "inception"), inception_weights, device, 200)
    started = time.perf_counter()
    real = _on(_reference(data, reference_split, n_ref, data_seed, root, cache_dir, ex, progress), device)
    fake = _on(ex(x, progress), device)
    n = x.shape[0]
    # every quality() call draws KID's subsets from the same generator state, so samples and floor are compared
    # on the same subset indices
    kid_seed = int(torch.randint(0, 2**62, (), generator=generator))

    def measure(fake_features: Features) -> dict[str, Any]:
        return quality(real, fake_features, generator=torch.Generator().manual_seed(kid_seed))

    result: dict[str, Any] = {
        "data": data, "extractor": ex.tag,
        "reference": {"split": reference_split, "n": n_ref, **({"seed": data_seed} if data == "shapes" else {})},
        "metrics": measure(fake), "floor": None,
    }
    if floor:
        other = "test" if reference_split == "train" else "train"
        n_floor = min(n, sizes.get(other, n))
        held_out = _on(_reference(data, other, n_floor, data_seed, root, cache_dir, ex, progress), device)
        result["floor"] = measure(held_out)
        result["floor_what"] = f"the first {n_floor} real images of the {other} split against the same reference"
        if n_floor < n:
            part = Features(fake.features[:n_floor], None if fake.probs is None else fake.probs[:n_floor])
            result["metrics_at_floor_n"] = measure(part)
    result["seconds"] = round(time.perf_counter() - started, 1)
    return result


# ------------------------------------------------------------------------------------------------ training runs


@dataclass(frozen=True)
class RunModel:
    """A trained model read from a run folder.

    Attributes:
        model: the EMA network as a score function (``ScoreModel``).
        sde: the run's SDE.
        data: the data set it was trained on (``"shapes"`` or ``"cifar10"``).
        data_seed: the seed of its data (the built-in set is generated from it).
        step: the training step of the checkpoint.
        checkpoint: the checkpoint file.
        image_shape: ``(C, H, W)`` of its images.
    """

    model: sd.ScoreModel
    sde: sd.SDE
    data: str
    data_seed: int
    step: int
    checkpoint: Path
    image_shape: tuple[int, int, int]


_NUMBER = r"([-+.\deE]+)"
_SDE_PATTERNS: dict[str, Callable[[float, float], sd.SDE]] = {
    rf"VPSDE\(schedule=LinearSchedule\(beta_min={_NUMBER}, beta_max={_NUMBER}\)\)":
        lambda a, b: sd.VPSDE(beta_min=a, beta_max=b),
    rf"SubVPSDE\(schedule=LinearSchedule\(beta_min={_NUMBER}, beta_max={_NUMBER}\)\)":
        lambda a, b: sd.SubVPSDE(beta_min=a, beta_max=b),
    rf"VESDE\(sigma_min={_NUMBER}, sigma_max={_NUMBER}\)": lambda a, b: sd.VESDE(sigma_min=a, sigma_max=b),
}


def _parse_sde(text: str) -> sd.SDE:
    for pattern, build in _SDE_PATTERNS.items():
        m = re.fullmatch(pattern, text)
        if m:
            return build(float(m.group(1)), float(m.group(2)))
    raise ValueError(f"cannot rebuild the SDE {text!r} of the run (known: VPSDE and SubVPSDE with a linear "
                     f"schedule, VESDE)")


def load_run(run_dir: str | os.PathLike[str], *, device: str | torch.device | None = None) -> RunModel:
    """The EMA model of an image run of ``examples/vp_sde_cifar.py`` (its newest checkpoint that loads).

    Reads ``config.json`` (the SDE, the data set and its seed) and ``checkpoints/ckpt-*.pt`` (safely: checksum,
    then ``weights_only``); rebuilds the U-Net from the architecture the checkpoint records and wraps it in a
    ``ScoreModel`` with the parameterization the run trained (``predicts``).

    Args:
        run_dir: the run's output folder.
        device: where to put the network.

    Returns:
        A ``RunModel``.

    Raises:
        FileNotFoundError: no ``config.json`` or no checkpoint that loads.
        ValueError: a network (not a U-Net) or SDE this function cannot rebuild.
        CheckpointError: the EMA weights do not fit the recorded network.
    """
    folder = Path(run_dir)
    config_file = folder / "config.json"
    if not config_file.is_file():
        raise FileNotFoundError(f"{folder} is not a training run: it has no config.json")
    record = json.loads(config_file.read_text())
    sde = _parse_sde(str(record.get("sde", "")))
    found = CheckpointManager(folder / "checkpoints").load_latest()
    if found is None:
        raise FileNotFoundError(f"{folder}/checkpoints holds no checkpoint that loads")
    path, state = found
    config = state.get("net_config")
    if state.get("net_class") != "UNet" or not isinstance(config, dict):
        raise ValueError(f"{path} holds a {state.get('net_class')!r} network; load_run rebuilds image runs (a UNet "
                         f"with its recorded config)")
    net = UNet(UNetConfig.from_dict(config))
    try:
        net.load_state_dict(state["ema"]["module"])
    except (KeyError, RuntimeError) as err:
        raise CheckpointError(f"{path}: the EMA weights do not fit the recorded network: {err}") from err
    net = net.to(device or "cpu").eval().requires_grad_(False)
    predicts = str(state.get("config", {}).get("loss", {}).get("predicts", "eps"))
    size = net.config.resolution
    return RunModel(sd.ScoreModel(net, sde, predicts), sde, str(record.get("data", "shapes")),
                    int(record.get("train", {}).get("seed", 0)), int(state.get("step", 0)), path,
                    (net.config.in_channels, size, size))


def sample_images(model: sd.ScoreFn, sde: sd.SDE, shape: Sequence[int], *, method: str = "dpm_solver",
                  steps: int = 30, batch_size: int = 500, generator: torch.Generator | None = None,
                  device: str | torch.device | None = None, progress: bool = False, **options: Any) -> Tensor:
    """Samples as uint8 images ``(n, H, W, C)``, drawn by ``scoresde.sample`` in batches.

    ``generator`` (on the CPU) draws one seed per batch; batch j starts from ``prior_sample`` and runs the sampler
    with a generator on ``device`` seeded by it. The first batches do not depend on n (for a fixed
    ``batch_size``), and two different generators give independent batches.

    Args:
        model: the score function (e.g. a ``ScoreModel``, or ``load_run(...).model``).
        sde: its SDE.
        shape: ``(n, C, H, W)``.
        method: the sampler (``scoresde.METHODS``).
        steps: its steps.
        batch_size: images per call of the sampler.
        generator: draws the batches' seeds (None: torch's global generator).
        device: where to sample (default: the model's parameters' device, else CPU).
        progress: show a progress bar.
        **options: more options of ``scoresde.sample``.

    Returns:
        uint8 tensor ``(n, H, W, C)``: ``to_uint8`` of the samples.

    Raises:
        TypeError: an option of the wrong type.
        ValueError: a shape that is not ``(n, C, H, W)`` with n >= 1, or ``batch_size`` < 1.
    """
    if len(shape) != 4 or any(isinstance(v, bool) or not isinstance(v, int) or v < 1 for v in shape):
        raise ValueError(f"shape must be (n, C, H, W) of positive ints; got {tuple(shape)}")
    n = shape[0]
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    check_generator(generator)
    progress = check_bool(progress, "progress")
    if device is None:
        params = list(model.parameters()) if isinstance(model, torch.nn.Module) else []
        device = params[0].device if params else torch.device("cpu")
    count = math.ceil(n / batch_size)
    seeds = torch.randint(0, 2**62, (count,), generator=generator).tolist()
    batches: Iterable[int] = range(count)
    if progress:
        batches = progress_bar(batches, total=count, desc=f"sampling ({method}, {steps} steps)", unit="batch")
    out = []
    for j in batches:
        b = min(batch_size, n - j * batch_size)
        g = torch.Generator(device).manual_seed(seeds[j])
        x_T = sde.prior_sample((b, *shape[1:]), generator=g, device=device)
        with torch.no_grad():
            res = sd.sample(model, sde, x_T, method=method, steps=steps, generator=g, **options)
        out.append(to_uint8(res.samples.cpu()))
    return torch.cat(out)


def table(result: dict[str, Any]) -> str:
    """The metrics of ``score_images`` as a text table, samples beside the floor.

    Args:
        result: what ``score_images`` returned.

    Returns:
        The table, one metric per line, then the class histogram (shapes features).
    """
    m, f = result["metrics"], result["floor"] or {}
    rows = [("Fréchet distance", "frechet_distance", "{:.2f}"), ("KID × 1e3", "kid", "{:.3f}"),
            ("precision", "precision", "{:.3f}"), ("recall", "recall", "{:.3f}"),
            ("recognizable rate", "recognizable_rate", "{:.3f}")]
    floor_n = f"floor (n={f['n']})" if f else "floor"
    lines = [f"{'metric':<20}{'samples (n=' + str(m['n']) + ')':>22}{floor_n:>16}   reference: "
             f"{result['reference']}, features: {result['extractor']}"]
    for label, key, fmt in rows:
        if key not in m:
            continue
        scale = 1e3 if key == "kid" else 1.0
        value = fmt.format(m[key] * scale)
        if key == "kid":
            value += f" ± {m['kid_se'] * 1e3:.3f}"
        floor = fmt.format(f[key] * scale) if key in f else "-"
        lines.append(f"{label:<20}{value:>22}{floor:>16}")
    if "metrics_at_floor_n" in result:
        a = result["metrics_at_floor_n"]
        lines.append(f"at the floor's n = {a['n']}: Fréchet distance {a['frechet_distance']:.2f}, KID × 1e3 "
                     f"{a['kid'] * 1e3:.3f}, precision {a['precision']:.3f}, recall {a['recall']:.3f}")
    if "class_histogram" in m:
        hist, floor_hist = m["class_histogram"], f.get("class_histogram")
        lines.append("class histogram (samples | floor): " + ", ".join(
            f"{c} {hist[c]:.3f}" + (f"|{floor_hist[c]:.3f}" if floor_hist else "") for c in CLASSES))
    return "\n".join(lines)
