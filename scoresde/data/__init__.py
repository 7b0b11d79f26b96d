"""Image data: CIFAR-10 from the official archive, read safely, and a built-in procedural set.

    load_images(source="auto")     CIFAR-10 if it is on disk (or downloaded), else the built-in set
    load_cifar10 / CIFAR10         the official "python version" (Krizhevsky 2009)      cifar10.py
    synthetic_images / SyntheticShapes   procedural 32×32 coloured shapes from a seed   synthetic.py
    to_float / to_uint8            uint8 NHWC <-> float NCHW in [-1, 1]

Every loader returns uint8 NHWC images and int64 labels; the datasets yield float ``(C, H, W)`` images
in [-1, 1], ``x = u/127.5 - 1``, with random horizontal flips for training.

References:
    - Krizhevsky 2009, "Learning Multiple Layers of Features from Tiny Images", technical report, University of
      Toronto (CIFAR-10; the format: <https://www.cs.toronto.edu/~kriz/cifar.html>).
    - I. Quilez, "2D distance functions", <https://iquilezles.org/articles/distfunctions2d/> (the built-in shapes).
"""

from scoresde.data.cifar10 import (
    CIFAR10,
    CIFAR10_CLASSES,
    CIFAR10_MD5,
    CIFAR10_URL,
    DataError,
    DownloadError,
    ImageDataset,
    UnsafePickleError,
    cifar10_available,
    data_dir,
    download_cifar10,
    extract_cifar10,
    load_cifar10,
    random_hflip,
    to_float,
    to_uint8,
)
from scoresde.data.synthetic import SHAPES, SOURCES, ImageData, SyntheticShapes, load_images, synthetic_images

__all__ = [
    "CIFAR10",
    "CIFAR10_CLASSES",
    "CIFAR10_MD5",
    "CIFAR10_URL",
    "SHAPES",
    "SOURCES",
    "DataError",
    "DownloadError",
    "ImageData",
    "ImageDataset",
    "SyntheticShapes",
    "UnsafePickleError",
    "cifar10_available",
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
