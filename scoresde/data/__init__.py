"""Image data: CIFAR-10 from the official archive, read safely, and a built-in procedural set.

    load_images(source="auto")     CIFAR-10 if it is on disk (or downloaded), else the built-in set   here
    load_cifar10 / CIFAR10         the official "python version" (Krizhevsky 2009), read safely       cifar10.py
    synthetic_images / SyntheticShapes   procedural 32×32 coloured shapes from a seed             synthetic.py
    to_float / to_uint8, random_hflip, ImageDataset   uint8 NHWC <-> float NCHW in [-1, 1], flips   images.py

Every loader returns uint8 NHWC images and int64 labels; the datasets yield float ``(C, H, W)`` images
in [-1, 1], ``x = u/127.5 - 1``, with random horizontal flips for training.

References:
    - Krizhevsky 2009, "Learning Multiple Layers of Features from Tiny Images", technical report, University of
      Toronto (CIFAR-10; the format: <https://www.cs.toronto.edu/~kriz/cifar.html>).
    - I. Quilez, "2D distance functions", <https://iquilezles.org/articles/distfunctions2d/> (the built-in shapes).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from torch import Tensor

from scoresde._utils import check_bool, check_choice, check_int
from scoresde.data.cifar10 import (
    CIFAR10,
    CIFAR10_CLASSES,
    CIFAR10_MD5,
    CIFAR10_URL,
    SPLITS,
    DataError,
    DownloadError,
    UnsafePickleError,
    cifar10_available,
    cifar10_path,
    data_dir,
    download_cifar10,
    extract_cifar10,
    load_cifar10,
)
from scoresde.data.images import ImageDataset, random_hflip, to_float, to_uint8
from scoresde.data.synthetic import DEFAULT_SIZES, SHAPES, SYNTHETIC_NAME, SyntheticShapes, synthetic_images

__all__ = [
    "CIFAR10",
    "CIFAR10_CLASSES",
    "CIFAR10_MD5",
    "CIFAR10_URL",
    "SHAPES",
    "SOURCES",
    "SPLITS",
    "DataError",
    "DownloadError",
    "ImageData",
    "ImageDataset",
    "SyntheticShapes",
    "UnsafePickleError",
    "cifar10_available",
    "cifar10_path",
    "data_dir",
    "download_cifar10",
    "extract_cifar10",
    "load_cifar10",
    "load_images",
    "random_hflip",
    "synthetic_images",
    "to_float",
    "to_uint8",
]

SOURCES = ("auto", "cifar10", "synthetic")


@dataclass(frozen=True)
class ImageData:
    """What ``load_images`` returns.

    Attributes:
        images: uint8 tensor ``(n, 32, 32, 3)``, NHWC RGB (``to_float`` makes model inputs of it).
        labels: int64 tensor ``(n,)``.
        name: ``"cifar10"`` or ``"shapes"``.
        class_names: the name of each label.
        message: one line for the console: which data was loaded from where, or why the built-in set
            is used instead of CIFAR-10.
    """

    images: Tensor
    labels: Tensor
    name: str
    class_names: tuple[str, ...]
    message: str


def _synthetic(split: str, n: int | None, seed: int, why: str) -> ImageData:
    count = DEFAULT_SIZES[split] if n is None else check_int(n, "n_synthetic", minimum=1)
    images, labels = synthetic_images(count, seed, 32, split)
    verb = "training on" if split == "train" else "evaluating on"
    message = (
        f"{why}; {verb} the built-in {SYNTHETIC_NAME!r} data set ({count} procedural 32x32 images, seed {seed}); "
        "pass --data-dir or --download to use CIFAR-10"
    )
    return ImageData(images, labels, SYNTHETIC_NAME, SHAPES, message)


def load_images(
    source: str = "auto",
    root: str | os.PathLike[str] | None = None,
    *,
    download: bool = False,
    split: str = "train",
    n_synthetic: int | None = None,
    seed: int = 0,
) -> ImageData:
    """Load 32×32 training or test images: CIFAR-10 when available, else the built-in ``shapes`` set.

    ``source="auto"`` reads CIFAR-10 if it is in the data folder (``data_dir(root)``); if it is not and
    ``download`` is on, downloads it; if it is not there and cannot be had, generates the built-in set
    and says so in ``message``. A CIFAR-10 copy that is present but broken is an error, never replaced
    silently. ``"cifar10"`` insists on CIFAR-10 (errors propagate); ``"synthetic"`` always generates.

    Args:
        source: ``"auto"``, ``"cifar10"`` or ``"synthetic"``.
        root: the data folder (see ``data_dir``).
        download: whether to download CIFAR-10 when it is missing.
        split: ``"train"`` or ``"test"``.
        n_synthetic: number of built-in images; None for CIFAR-10's split sizes (50 000 / 10 000).
        seed: seed of the built-in set.

    Returns:
        An ``ImageData`` with uint8 NHWC images, labels, the data set's name and a console message.

    Raises:
        DataError: a CIFAR-10 copy in the data folder is broken, or ``source="cifar10"`` and CIFAR-10 is missing.
        DownloadError: ``source="cifar10"`` with ``download=True`` and the download failed.
        TypeError: ``download`` is not a bool, or ``seed`` / ``n_synthetic`` not an int.
        ValueError: an unknown ``source`` or ``split``, or ``seed`` < 0, or ``n_synthetic`` < 1.
    """
    source = check_choice(source, "source", SOURCES)
    split = check_choice(split, "split", SPLITS)
    download = check_bool(download, "download")
    seed = check_int(seed, "seed", minimum=0)
    if n_synthetic is not None:
        check_int(n_synthetic, "n_synthetic", minimum=1)
    if source == "synthetic":
        return _synthetic(split, n_synthetic, seed, "source='synthetic'")
    folder = data_dir(root)
    if source == "auto" and cifar10_path(folder) is None:
        if not download:
            return _synthetic(split, n_synthetic, seed, f"CIFAR-10 not found at {folder}")
        try:
            download_cifar10(folder)
        except DownloadError as err:
            return _synthetic(split, n_synthetic, seed, f"CIFAR-10 not found at {folder}; the download failed: {err}")
    images, labels = load_cifar10(folder, split, download)
    message = f"CIFAR-10 {split} split: {images.shape[0]} images from {cifar10_path(folder)}"
    return ImageData(images, labels, "cifar10", CIFAR10_CLASSES, message)
