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

import hashlib
import math
import os
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

import scoresde as sd
from scoresde._utils import check_choice, check_int
from scoresde.data import data_dir, load_images, to_uint8
from scoresde.evaluation.shapes import (
    CLASSES,
    WEIGHTS_SHA256,
    class_histogram,
    load_shapes_classifier,
    recognizable_rate,
    shapes_scores,
)
from scoresde.metrics import frechet_distance, kernel_distance, precision_recall
from scoresde.nets import MLP, MLPConfig, UNet, UNetConfig
from scoresde.training import CheckpointError, CheckpointManager

__all__ = [
    "EXTRACTORS",
    "Features",
    "RunModel",
    "extract",
    "load_run",
    "quality",
    "read_images",
    "reference_features",
    "sample_images",
    "save_npz",
    "score_images",
]

EXTRACTORS = ("shapes", "inception")
SPLITS = ("train", "test")
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
    evaluator and most FID tools read), atomically (a temporary file, then a rename).

    Args:
        images: uint8 tensor ``(n, H, W, C)``.
        path: the file to write.

    Returns:
        The path written.

    Raises:
        TypeError: ``images`` is not a uint8 tensor.
        ValueError: ``images`` is not 4-dimensional with 1 or 3 channels.

    References:
        - Dhariwal & Nichol 2021, "Diffusion Models Beat GANs on Image Synthesis", NeurIPS (guided-diffusion's evaluator
          reads samples as ``arr_0`` of an ``.npz``).
    """
    x = _check_uint8_images(images)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".tmp.npz")
    np.savez(tmp, arr_0=x.cpu().numpy())
    os.replace(tmp, target)
    return target


def _check_uint8_images(images: Any) -> Tensor:
    if not isinstance(images, Tensor):
        raise TypeError(f"images must be a uint8 torch.Tensor (n, H, W, C); got {type(images).__name__}")
    x = images
    if x.dtype != torch.uint8:
        raise TypeError(f"images must be a uint8 tensor (n, H, W, C); got {x.dtype}")
    if x.ndim != 4 or x.shape[-1] not in (1, 3) or x.shape[0] < 1:
        raise ValueError(f"images must have shape (n, H, W, C) with n >= 1 and C = 1 or 3; got {tuple(x.shape)}")
    return x


def read_images(path: str | os.PathLike[str]) -> Tensor:
    """uint8 images ``(n, H, W, 3)`` from an ``.npz`` (key ``arr_0``, else its only array) or a folder of PNGs.

    PNGs are read in sorted file-name order, converted to RGB; all must have one size.

    Args:
        path: an ``.npz`` file or a folder holding ``*.png``.

    Returns:
        uint8 tensor ``(n, H, W, 3)``.

    Raises:
        FileNotFoundError: nothing at ``path``, or a folder without PNGs.
        ValueError: the array is not uint8 ``(n, H, W, 3)`` (or ``(n, H, W)`` gray, repeated to RGB), or the PNGs
            differ in size.

    References:
        - Dhariwal & Nichol 2021, "Diffusion Models Beat GANs on Image Synthesis", NeurIPS (guided-diffusion's evaluator
          reads samples as ``arr_0`` of an ``.npz``).
    """
    source = Path(path)
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
        array = np.stack(arrays)
    elif source.is_file():
        with np.load(source, allow_pickle=False) as npz:
            keys = list(npz.keys())
            if "arr_0" not in keys and len(keys) != 1:
                raise ValueError(f"{source} must hold the images under 'arr_0' (or be its only array); got {keys}")
            array = npz["arr_0" if "arr_0" in keys else keys[0]]
    else:
        raise FileNotFoundError(f"{source} is neither an .npz file nor a folder of PNGs")
    if array.ndim == 3:
        array = np.repeat(array[..., None], 3, axis=-1)
    if array.dtype != np.uint8 or array.ndim != 4 or array.shape[-1] != 3 or array.shape[0] < 1:
        raise ValueError(f"{source} must hold uint8 images (n, H, W, 3); got {array.dtype} {array.shape}")
    return torch.from_numpy(np.ascontiguousarray(array))


# ------------------------------------------------------------------------------------------------ features


def _inception_weights_tag(path: str | os.PathLike[str] | None) -> str:
    from scoresde.evaluation.inception import inception_weights_path, load_inception

    source = inception_weights_path(path)
    if not source.is_file():
        load_inception(path)  # raises the error that names the file and where to put it
    digest = hashlib.sha256()
    with open(source, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return "inception-" + digest.hexdigest()[:12]


def extractor_tag(extractor: str, inception_weights: str | os.PathLike[str] | None = None) -> str:
    """A name for the features' origin: the extractor and its weights' SHA-256 prefix (for cache keys and JSON).

    Args:
        extractor: ``"shapes"`` or ``"inception"``.
        inception_weights: the FID Inception weights file (hashed; see ``load_inception`` for where it is looked for).

    Returns:
        E.g. ``"shapes-a5c5df718526"`` or ``"inception-6726825d…"`` (12 hex digits).

    Raises:
        WeightsNotFoundError: ``"inception"`` and the weights file is missing.
    """
    extractor = check_choice(extractor, "extractor", EXTRACTORS)
    return f"shapes-{WEIGHTS_SHA256[:12]}" if extractor == "shapes" else _inception_weights_tag(inception_weights)


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
        ``Features`` (float64).

    Raises:
        TypeError, ValueError: bad images or options.
        WeightsError: the extractor's weights are missing or do not match their checksum.

    References:
        - Heusel et al. 2017, "GANs Trained by a Two Time-Scale Update Rule Converge to a Local Nash Equilibrium",
          NeurIPS (FID).
        - Seitzer 2020, pytorch-fid, https://github.com/mseitzer/pytorch-fid (the weights file and the preprocessing).
    """
    extractor = check_choice(extractor, "extractor", EXTRACTORS)
    x = _check_uint8_images(images)
    if extractor == "shapes":
        scores = shapes_scores(x, load_shapes_classifier(device=device), batch_size=batch_size, progress=progress)
        return Features(scores.features, scores.probs)
    from scoresde.evaluation.inception import inception_features, load_inception

    model = load_inception(inception_weights, device=device)
    return Features(inception_features(x, model, batch_size=batch_size, progress=progress))


def _reference_images(data: str, split: str, n: int, seed: int, root: str | os.PathLike[str] | None) -> Tensor:
    source = "synthetic" if data == "shapes" else "cifar10"
    loaded = load_images(source, root, split=split, n_synthetic=n, seed=seed)
    if loaded.images.shape[0] < n:
        raise ValueError(f"the {data} {split} split holds {loaded.images.shape[0]} images; asked for {n}")
    return loaded.images[:n]


def reference_features(data: str, split: str, extractor: str, n: int, *, seed: int = 0,
                       root: str | os.PathLike[str] | None = None, cache_dir: str | os.PathLike[str] | None = None,
                       inception_weights: str | os.PathLike[str] | None = None,
                       device: str | torch.device | None = None, progress: bool = False) -> Features:
    """Features of the first ``n`` images of a data set's split, cached on disk.

    The cache file ``<cache_dir>/<data>-<split>-seed<seed>-<extractor tag>-n<n>.npz`` holds the features (and
    class probabilities); the extractor tag includes its weights' checksum, so new weights never reuse old
    features. A cache file that does not read back with the expected shapes is recomputed.

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
        ValueError: unknown names, n < 2, or a split with fewer than n images.
        DataError: CIFAR-10 is asked for and missing.

    References:
        - Heusel et al. 2017, "GANs Trained by a Two Time-Scale Update Rule Converge to a Local Nash Equilibrium",
          NeurIPS (FID).
        - Parmar et al. 2022, "On Aliased Resizing and Surprising Subtleties in GAN Evaluation", CVPR (clean-fid:
          reference statistics stored per data set, split and resize).
    """
    data = check_choice(data, "data", ("shapes", "cifar10"))
    split = check_choice(split, "split", SPLITS)
    n = check_int(n, "n", minimum=2)
    seed = check_int(seed, "seed", minimum=0)
    tag = extractor_tag(extractor, inception_weights)
    folder = Path(cache_dir) if cache_dir is not None else data_dir(root) / "reference"
    name = f"{data}-{split}{f'-seed{seed}' if data == 'shapes' else ''}-{tag}-n{n}.npz"
    path = folder / name
    if path.is_file():
        try:
            with np.load(path, allow_pickle=False) as saved:
                feats = torch.from_numpy(saved["features"])
                probs = torch.from_numpy(saved["probs"]) if "probs" in saved else None
                if int(saved["format"]) == REFERENCE_FORMAT and feats.shape[0] == n and feats.dtype == torch.float64:
                    return Features(feats, probs)
        except (OSError, ValueError, KeyError):
            pass  # a broken cache file is recomputed and overwritten
    images = _reference_images(data, split, n, seed, root)
    feats_ = extract(images, extractor, inception_weights=inception_weights, device=device, progress=progress)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp.npz")
    arrays: dict[str, Any] = {"format": np.array(REFERENCE_FORMAT), "features": feats_.features.numpy()}
    if feats_.probs is not None:
        arrays["probs"] = feats_.probs.numpy()
    np.savez(tmp, **arrays)
    os.replace(tmp, path)
    return feats_


# ------------------------------------------------------------------------------------------------ the scores


def quality(fake: Features, real: Features, *, k: int = 3, kid_subsets: int = 100, kid_subset_size: int = 1000,
            generator: torch.Generator | None = None) -> dict[str, Any]:
    """The sample-quality metrics of ``fake`` features against ``real`` (reference) features.

    Returns a dict: ``frechet_distance``; ``kid`` and ``kid_se`` (KID and its standard error over subsets);
    ``precision`` and ``recall`` (k-NN manifolds); ``n`` and ``n_reference``; and, when ``fake`` has class
    probabilities, ``recognizable_rate`` (confidence ≥ 0.9, not "none") and ``class_histogram``.

    Args:
        fake: the samples' features.
        real: the reference features.
        k: the neighbour of precision/recall's radii.
        kid_subsets: KID's number of subsets.
        kid_subset_size: KID's subset size (capped by the smaller set).
        generator: KID's subset draws.

    Returns:
        The metrics as plain values.

    References:
        - Heusel et al. 2017, "GANs Trained by a Two Time-Scale Update Rule Converge to a Local Nash Equilibrium",
          NeurIPS (FID).
        - Bińkowski et al. 2018, "Demystifying MMD GANs", ICLR (KID).
        - Kynkäänniemi et al. 2019, "Improved Precision and Recall Metric for Assessing Generative Models", NeurIPS.
    """
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


def score_images(images: Tensor, *, data: str, extractor: str | None = None, reference_split: str = "train",
                 n_reference: int | None = None, floor: bool = True, seed: int = 0,
                 root: str | os.PathLike[str] | None = None, cache_dir: str | os.PathLike[str] | None = None,
                 inception_weights: str | os.PathLike[str] | None = None, device: str | torch.device | None = None,
                 progress: bool = False) -> dict[str, Any]:
    """Score uint8 images against a data set's reference features, with the real-vs-real floor beside them.

    The floor is the same metric for the first n images of the *other* split (real images the model never saw
    when the reference is the training set), n the number of samples (capped by that split's size), against the
    same reference: the value a perfect model would get, on average, at this n.

    Args:
        images: uint8 samples ``(n, H, W, 3)``, n >= 4.
        data: ``"shapes"`` or ``"cifar10"``: the data set the samples imitate.
        extractor: ``"shapes"`` or ``"inception"``; None for the data set's own (shapes → shapes, CIFAR-10 →
            Inception).
        reference_split: the split whose statistics the samples are compared with (the field uses ``"train"``).
        n_reference: reference images; None for 10 000 (shapes) or the whole split (CIFAR-10).
        floor: also compute the floor.
        seed: the built-in set's seed; also seeds KID's subsets.
        root: the data folder.
        cache_dir: the reference cache (see ``reference_features``).
        inception_weights: the FID Inception weights file.
        device: where to run the extractor.
        progress: show progress bars.

    Returns:
        A dict with ``metrics``, ``floor`` (or None), and what was compared (``data``, ``extractor``, ``reference``).

    References:
        - Heusel et al. 2017, "GANs Trained by a Two Time-Scale Update Rule Converge to a Local Nash Equilibrium",
          NeurIPS (FID).
        - Bińkowski et al. 2018, "Demystifying MMD GANs", ICLR (KID).
        - Kynkäänniemi et al. 2019, "Improved Precision and Recall Metric for Assessing Generative Models", NeurIPS.
        - Song et al. 2021, "Score-Based Generative Modeling through Stochastic Differential Equations", ICLR (FID
          against the training set's statistics).
    """
    x = _check_uint8_images(images)
    if x.shape[0] < 4:
        raise ValueError(f"at least 4 images are needed to score them (precision/recall uses k = 3); got {x.shape[0]}")
    data = check_choice(data, "data", ("shapes", "cifar10"))
    extractor = check_choice(extractor or ("shapes" if data == "shapes" else "inception"), "extractor", EXTRACTORS)
    reference_split = check_choice(reference_split, "reference_split", SPLITS)
    sizes = {"train": 50_000, "test": 10_000}
    n_ref = check_int(n_reference, "n_reference", minimum=4) if n_reference is not None else (
        10_000 if data == "shapes" else sizes[reference_split])
    common: dict[str, Any] = {"seed": seed, "root": root, "cache_dir": cache_dir,
                              "inception_weights": inception_weights, "device": device, "progress": progress}
    started = time.perf_counter()
    real = reference_features(data, reference_split, extractor, n_ref, **common)
    fake = extract(x, extractor, inception_weights=inception_weights, device=device, progress=progress)
    metrics = quality(fake, real, generator=torch.Generator().manual_seed(seed))
    other = "test" if reference_split == "train" else "train"
    floor_metrics = None
    if floor:
        n_floor = min(x.shape[0], sizes[other])
        held_out = reference_features(data, other, extractor, n_floor, **common)
        floor_metrics = quality(held_out, real, generator=torch.Generator().manual_seed(seed))
    return {
        "data": data, "extractor": extractor_tag(extractor, inception_weights),
        "reference": {"split": reference_split, "n": n_ref, **({"seed": seed} if data == "shapes" else {})},
        "metrics": metrics, "floor": floor_metrics,
        "floor_what": f"the first n real images of the {other} split against the same reference",
        "seconds": round(time.perf_counter() - started, 1),
    }


# ------------------------------------------------------------------------------------------------ training runs


@dataclass(frozen=True)
class RunModel:
    """A trained model read from a run folder.

    Attributes:
        model: the EMA network as a score function (``ScoreModel``).
        sde: the run's SDE.
        data: the data set it was trained on (``"shapes"`` or ``"cifar10"``).
        step: the training step of the checkpoint.
        checkpoint: the checkpoint file.
        image_shape: ``(C, H, W)`` of its images.
    """

    model: sd.ScoreModel
    sde: sd.SDE
    data: str
    step: int
    checkpoint: Path
    image_shape: tuple[int, int, int]


_SDE_PATTERNS: dict[str, Callable[[float, float], sd.SDE]] = {
    r"VPSDE\(schedule=LinearSchedule\(beta_min=([-+.\deE]+), beta_max=([-+.\deE]+)\)\)":
        lambda a, b: sd.VPSDE(beta_min=a, beta_max=b),
    r"SubVPSDE\(schedule=LinearSchedule\(beta_min=([-+.\deE]+), beta_max=([-+.\deE]+)\)\)":
        lambda a, b: sd.SubVPSDE(beta_min=a, beta_max=b),
    r"VESDE\(sigma_min=([-+.\deE]+), sigma_max=([-+.\deE]+)\)": lambda a, b: sd.VESDE(sigma_min=a, sigma_max=b),
}


def _parse_sde(text: str) -> sd.SDE:
    for pattern, build in _SDE_PATTERNS.items():
        m = re.fullmatch(pattern, text)
        if m:
            return build(float(m.group(1)), float(m.group(2)))
    raise ValueError(f"cannot rebuild the SDE {text!r} of the run (known: VPSDE and SubVPSDE with a linear "
                     f"schedule, VESDE)")


def load_run(run_dir: str | os.PathLike[str], *, device: str | torch.device | None = None) -> RunModel:
    """The EMA model of a run of ``examples/vp_sde_cifar.py`` (its newest checkpoint that loads).

    Reads ``config.json`` (the SDE and the data set) and ``checkpoints/ckpt-*.pt`` (safely: checksum, then
    ``weights_only``); rebuilds the network from the architecture the checkpoint records.

    Args:
        run_dir: the run's output folder.
        device: where to put the network.

    Returns:
        A ``RunModel``.

    Raises:
        FileNotFoundError: no ``config.json`` or no checkpoint that loads.
        ValueError: a network or SDE this function cannot rebuild.
    """
    import json

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
    builders: dict[str, Callable[[dict[str, Any]], torch.nn.Module]] = {
        "UNet": lambda c: UNet(UNetConfig.from_dict(c)), "MLP": lambda c: MLP(MLPConfig.from_dict(c))}
    net_class = state.get("net_class")
    if net_class not in builders or not isinstance(state.get("net_config"), dict):
        raise ValueError(f"{path} holds a {net_class!r} network without a recorded config; known: {sorted(builders)}")
    net = builders[str(net_class)](state["net_config"])
    try:
        net.load_state_dict(state["ema"]["module"])
    except (KeyError, RuntimeError) as err:
        raise CheckpointError(f"{path}: the EMA weights do not fit the recorded network: {err}") from err
    net = net.to(device or "cpu").eval().requires_grad_(False)
    predicts = str(state.get("config", {}).get("loss", {}).get("predicts", "eps"))
    data = str(record.get("data", "shapes"))
    size = int(state["net_config"].get("resolution", 32)) if net_class == "UNet" else 0
    channels = int(state["net_config"].get("in_channels", 3)) if net_class == "UNet" else 0
    return RunModel(sd.ScoreModel(net, sde, predicts), sde, data, int(state.get("step", 0)), path,
                    (channels, size, size))


def sample_images(run: RunModel, n: int, *, method: str = "dpm_solver", steps: int = 30, batch_size: int = 500,
                  seed: int = 0, progress: bool = False, **options: Any) -> Tensor:
    """``n`` samples of a run's model as uint8 images ``(n, H, W, C)``, drawn in batches.

    Batch j starts from ``prior_sample`` drawn by a generator seeded with ``seed + j``, so the first images do
    not depend on ``n`` when ``batch_size`` is fixed.

    Args:
        run: from ``load_run``.
        n: the number of images.
        method: the sampler (``scoresde.METHODS``).
        steps: its steps.
        batch_size: images per call of the sampler.
        seed: the first batch's seed.
        progress: show a progress bar.
        **options: more options of ``scoresde.sample``.

    Returns:
        uint8 tensor ``(n, H, W, C)``.
    """
    n = check_int(n, "n", minimum=1)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    device = next(run.model.net.parameters()).device
    out = []
    batches: Iterable[int] = range(math.ceil(n / batch_size))
    if progress:
        from tqdm.auto import tqdm

        batches = tqdm(batches, desc=f"sampling ({method}, {steps} steps)", unit="batch")
    for j in batches:
        b = min(batch_size, n - j * batch_size)
        g = torch.Generator(device).manual_seed(seed + j)
        x_T = run.sde.prior_sample((b, *run.image_shape), generator=g)
        with torch.no_grad():
            res = sd.sample(run.model, run.sde, x_T.to(device), method=method, steps=steps, generator=g, **options)
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
    lines = [f"{'metric':<22}{'samples':>12}{'floor':>12}   (n = {m['n']}, reference: {result['reference']})"]
    for label, key, fmt in rows:
        if key not in m:
            continue
        scale = 1e3 if key == "kid" else 1.0
        value = fmt.format(m[key] * scale)
        if key == "kid":
            value += f" ± {m['kid_se'] * 1e3:.3f}"
        floor = fmt.format(f[key] * scale) if key in f else "-"
        lines.append(f"{label:<22}{value:>12}{floor:>12}")
    if "class_histogram" in m:
        hist, floor_hist = m["class_histogram"], f.get("class_histogram")
        lines.append("class histogram (samples | floor): " + ", ".join(
            f"{c} {hist[c]:.3f}" + (f"|{floor_hist[c]:.3f}" if floor_hist else "") for c in CLASSES))
    return "\n".join(lines)
