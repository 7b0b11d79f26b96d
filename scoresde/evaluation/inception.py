r"""The FID-standard Inception-v3 feature extractor: the pool3 features (2048 per image) of TensorFlow's Inception-v3
graph of 2015-12-05, with pytorch-fid's port of its weights.

The Fréchet Inception Distance (Heusel et al. 2017) compares the mean and covariance of these features between two
image sets. Its scores are comparable across papers only with this one network: the Inception-v3 of Szegedy et al.
2016 as exported by TensorFlow on 2015-12-05 (1008 classes), not torchvision's ImageNet Inception-v3. pytorch-fid
(Seitzer 2020, github.com/mseitzer/pytorch-fid) ported its weights to PyTorch as the file
``pt_inception-2015-12-05-6726825d.pth``, a plain state dict whose name ends with the first 8 hex digits of its
SHA-256 (torch.hub's convention). ``FIDInception`` is that network written in plain ``torch.nn`` (no torchvision),
with the same parameter names, so the file loads into it strictly. It is torchvision's ``Inception3`` with 1008
classes and no auxiliary head, with the differences of the TF graph that pytorch-fid patches in:

* the pool branch of the A and C blocks (Mixed_5b–5d, Mixed_6b–6e) and of Mixed_7b averages over a 3×3 window
  without counting the zero padding (``count_include_pad=False``, as TF's average pooling does);
* the pool branch of Mixed_7c takes the *maximum* over a 3×3 window (stride 1, padding 1) instead of the average;
* every convolution has no bias and is followed by a BatchNorm with ε = 0.001 and a ReLU.

The forward pass on a float batch ``x`` in [0, 1] of shape ``(N, 3, H, W)`` is pytorch-fid's: resize to 299×299 by
``F.interpolate(x, (299, 299), mode="bilinear", align_corners=False)``, scale by ``2x − 1`` to [−1, 1], then
Conv2d_1a_3x3 (stride 2), Conv2d_2a_3x3, Conv2d_2b_3x3 (padding 1), max-pool 3/2, Conv2d_3b_1x1, Conv2d_4a_3x3,
max-pool 3/2, Mixed_5b, 5c, 5d (A; pool features 32, 64, 64), Mixed_6a (B), Mixed_6b–6e (C; 7×7 channels 128, 160,
160, 192), Mixed_7a (D), Mixed_7b (E, average pool), Mixed_7c (E, max pool), and a global average pool to the 2048
pool3 features. The classifier ``fc`` (2048 → 1008) is kept only so that the weights file loads strictly; the
features do not use it.

**Preprocessing, and why published numbers differ slightly.** ``inception_features`` takes uint8 images, as samples
are saved, so every image is quantized to 8 bits first (Parmar et al. 2022 show that skipping this changes FID);
``u/255`` maps them to [0, 1]. The bilinear resize to 299×299 with half-pixel centres (``align_corners=False``) is
pytorch-fid's. The original TensorFlow FID code (TTUR) resized inside the TF1 graph with TF1's ``resize_bilinear``,
which has no half-pixel offset; torch-fidelity reproduces that resize exactly, and clean-fid resizes with PIL's
antialiased bicubic filter by default (its ``legacy_tensorflow`` mode emulates TF1). The resize changes the features
slightly, so FIDs from pytorch-fid, and from this module, differ slightly from those of TTUR, torch-fidelity and
clean-fid on the same images (pytorch-fid's README: 0.08 absolute, 0.0009 relative, against TTUR on LSUN with
ProGAN images); compare scores computed by one pipeline only.

**Where the weights live.** ``load_inception(path)`` reads ``path`` if given, else the file named by the environment
variable ``SCORESDE_INCEPTION_WEIGHTS``, else ``$XDG_CACHE_HOME/scoresde/pt_inception-2015-12-05-6726825d.pth`` when
``XDG_CACHE_HOME`` holds an absolute path, else ``~/.cache/scoresde/pt_inception-2015-12-05-6726825d.pth``. Nothing
is downloaded: get the file from ``WEIGHTS_URL`` (pytorch-fid's GitHub release) and put it there. Its SHA-256 must
start with ``6726825d``.

References:
    - Szegedy, Vanhoucke, Ioffe, Shlens & Wojna 2016, "Rethinking the Inception Architecture for Computer Vision",
      CVPR (Inception-v3).
    - Heusel, Ramsauer, Unterthiner, Nessler & Hochreiter 2017, "GANs Trained by a Two Time-Scale Update Rule
      Converge to a Local Nash Equilibrium", NeurIPS (FID; the TTUR code and its 2015-12-05 Inception graph).
    - Seitzer 2020, pytorch-fid, github.com/mseitzer/pytorch-fid (``src/pytorch_fid/inception.py``: the ported
      weights and the FID blocks), and torchvision's ``torchvision/models/inception.py`` (``Inception3``, the
      parameter names).
    - Parmar, Zhang & Zhu 2022, "On Aliased Resizing and Surprising Subtleties in GAN Evaluation", CVPR
      (clean-fid; the effect of resizing and quantization on FID).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from scoresde._utils import check_bool, check_int, file_sha256, progress_bar

__all__ = [
    "ENV_VAR",
    "FEATURE_DIM",
    "WEIGHTS_FILE",
    "WEIGHTS_SHA256_PREFIX",
    "WEIGHTS_URL",
    "FIDInception",
    "InvalidWeightsError",
    "WeightsError",
    "WeightsNotFoundError",
    "inception_features",
    "inception_weights_path",
    "load_inception",
]

WEIGHTS_FILE = "pt_inception-2015-12-05-6726825d.pth"
WEIGHTS_URL = "https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/" + WEIGHTS_FILE
WEIGHTS_SHA256_PREFIX = "6726825d"  # the first 8 hex digits of the file's SHA-256, as its name says
ENV_VAR = "SCORESDE_INCEPTION_WEIGHTS"
FEATURE_DIM = 2048  # pool3
NUM_CLASSES = 1008  # the TF graph's classifier, kept for strict loading
INPUT_SIZE = 299
BN_EPS = 1e-3


class WeightsError(Exception):
    """The Inception weights cannot be used; the two kinds below say why."""


class WeightsNotFoundError(WeightsError, FileNotFoundError):
    """The weights file is not there. The message names the file, where to download it and where to put it."""


class InvalidWeightsError(WeightsError, ValueError):
    """The weights file is there but is not the one expected: a wrong SHA-256, an unreadable (truncated, corrupt)
    file, or a state dict whose keys or shapes do not fit ``FIDInception`` (the message names them)."""


# ---------------------------------------------------------------------------------------------------
# the network


class _ConvBN(nn.Module):
    """A convolution without bias, a BatchNorm (ε = 0.001) and a ReLU: torchvision's ``BasicConv2d``."""

    def __init__(self, cin: int, cout: int, kernel: int | tuple[int, int], stride: int = 1,
                 padding: int | tuple[int, int] = 0) -> None:
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, kernel, stride=stride, padding=padding, bias=False)
        self.bn = nn.BatchNorm2d(cout, eps=BN_EPS)

    def forward(self, x: Tensor) -> Tensor:
        return F.relu(self.bn(self.conv(x)))


def _avg_pool_3x3(x: Tensor) -> Tensor:
    """3×3 average, stride 1, padding 1, averaging over the pixels inside the image only (TF's average pool)."""
    return F.avg_pool2d(x, kernel_size=3, stride=1, padding=1, count_include_pad=False)


class _BlockA(nn.Module):
    """Mixed_5b–5d: 1×1 | 1×1→5×5 | 1×1→3×3→3×3 | avg pool→1×1, giving 64 + 64 + 96 + ``pool`` channels."""

    def __init__(self, cin: int, pool: int) -> None:
        super().__init__()
        self.branch1x1 = _ConvBN(cin, 64, 1)
        self.branch5x5_1 = _ConvBN(cin, 48, 1)
        self.branch5x5_2 = _ConvBN(48, 64, 5, padding=2)
        self.branch3x3dbl_1 = _ConvBN(cin, 64, 1)
        self.branch3x3dbl_2 = _ConvBN(64, 96, 3, padding=1)
        self.branch3x3dbl_3 = _ConvBN(96, 96, 3, padding=1)
        self.branch_pool = _ConvBN(cin, pool, 1)

    def forward(self, x: Tensor) -> Tensor:
        b5 = self.branch5x5_2(self.branch5x5_1(x))
        b3 = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        return torch.cat([self.branch1x1(x), b5, b3, self.branch_pool(_avg_pool_3x3(x))], dim=1)


class _BlockB(nn.Module):
    """Mixed_6a, the grid reduction 35 → 17: 3×3/2 | 1×1→3×3→3×3/2 | max pool 3/2, giving 384 + 96 + ``cin``."""

    def __init__(self, cin: int) -> None:
        super().__init__()
        self.branch3x3 = _ConvBN(cin, 384, 3, stride=2)
        self.branch3x3dbl_1 = _ConvBN(cin, 64, 1)
        self.branch3x3dbl_2 = _ConvBN(64, 96, 3, padding=1)
        self.branch3x3dbl_3 = _ConvBN(96, 96, 3, stride=2)

    def forward(self, x: Tensor) -> Tensor:
        b3 = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        return torch.cat([self.branch3x3(x), b3, F.max_pool2d(x, kernel_size=3, stride=2)], dim=1)


class _BlockC(nn.Module):
    """Mixed_6b–6e, factorized 7×7: 1×1 | 1×1→1×7→7×1 | 1×1→7×1→1×7→7×1→1×7 | avg pool→1×1, 4 × 192 channels."""

    def __init__(self, cin: int, c7: int) -> None:
        super().__init__()
        self.branch1x1 = _ConvBN(cin, 192, 1)
        self.branch7x7_1 = _ConvBN(cin, c7, 1)
        self.branch7x7_2 = _ConvBN(c7, c7, (1, 7), padding=(0, 3))
        self.branch7x7_3 = _ConvBN(c7, 192, (7, 1), padding=(3, 0))
        self.branch7x7dbl_1 = _ConvBN(cin, c7, 1)
        self.branch7x7dbl_2 = _ConvBN(c7, c7, (7, 1), padding=(3, 0))
        self.branch7x7dbl_3 = _ConvBN(c7, c7, (1, 7), padding=(0, 3))
        self.branch7x7dbl_4 = _ConvBN(c7, c7, (7, 1), padding=(3, 0))
        self.branch7x7dbl_5 = _ConvBN(c7, 192, (1, 7), padding=(0, 3))
        self.branch_pool = _ConvBN(cin, 192, 1)

    def forward(self, x: Tensor) -> Tensor:
        b7 = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
        d = self.branch7x7dbl_1(x)
        for layer in (self.branch7x7dbl_2, self.branch7x7dbl_3, self.branch7x7dbl_4, self.branch7x7dbl_5):
            d = layer(d)
        return torch.cat([self.branch1x1(x), b7, d, self.branch_pool(_avg_pool_3x3(x))], dim=1)


class _BlockD(nn.Module):
    """Mixed_7a, the grid reduction 17 → 8: 1×1→3×3/2 | 1×1→1×7→7×1→3×3/2 | max pool 3/2: 320 + 192 + ``cin``."""

    def __init__(self, cin: int) -> None:
        super().__init__()
        self.branch3x3_1 = _ConvBN(cin, 192, 1)
        self.branch3x3_2 = _ConvBN(192, 320, 3, stride=2)
        self.branch7x7x3_1 = _ConvBN(cin, 192, 1)
        self.branch7x7x3_2 = _ConvBN(192, 192, (1, 7), padding=(0, 3))
        self.branch7x7x3_3 = _ConvBN(192, 192, (7, 1), padding=(3, 0))
        self.branch7x7x3_4 = _ConvBN(192, 192, 3, stride=2)

    def forward(self, x: Tensor) -> Tensor:
        b3 = self.branch3x3_2(self.branch3x3_1(x))
        b7 = self.branch7x7x3_4(self.branch7x7x3_3(self.branch7x7x3_2(self.branch7x7x3_1(x))))
        return torch.cat([b3, b7, F.max_pool2d(x, kernel_size=3, stride=2)], dim=1)


class _BlockE(nn.Module):
    """Mixed_7b (``max_pool=False``) and Mixed_7c (``max_pool=True``): 1×1 | 1×1→(1×3, 3×1) | 1×1→3×3→(1×3, 3×1)
    | pool→1×1, giving 320 + 768 + 768 + 192 = 2048 channels. The pool of Mixed_7c is a 3×3 maximum (stride 1,
    padding 1) in the TF graph, as pytorch-fid's ``FIDInceptionE_2`` has it."""

    def __init__(self, cin: int, *, max_pool: bool) -> None:
        super().__init__()
        self.max_pool = max_pool
        self.branch1x1 = _ConvBN(cin, 320, 1)
        self.branch3x3_1 = _ConvBN(cin, 384, 1)
        self.branch3x3_2a = _ConvBN(384, 384, (1, 3), padding=(0, 1))
        self.branch3x3_2b = _ConvBN(384, 384, (3, 1), padding=(1, 0))
        self.branch3x3dbl_1 = _ConvBN(cin, 448, 1)
        self.branch3x3dbl_2 = _ConvBN(448, 384, 3, padding=1)
        self.branch3x3dbl_3a = _ConvBN(384, 384, (1, 3), padding=(0, 1))
        self.branch3x3dbl_3b = _ConvBN(384, 384, (3, 1), padding=(1, 0))
        self.branch_pool = _ConvBN(cin, 192, 1)

    def forward(self, x: Tensor) -> Tensor:
        a = self.branch3x3_1(x)
        d = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        pooled = F.max_pool2d(x, kernel_size=3, stride=1, padding=1) if self.max_pool else _avg_pool_3x3(x)
        return torch.cat([self.branch1x1(x), self.branch3x3_2a(a), self.branch3x3_2b(a),
                          self.branch3x3dbl_3a(d), self.branch3x3dbl_3b(d), self.branch_pool(pooled)], dim=1)


class FIDInception(nn.Module):
    """The Inception-v3 of TensorFlow's 2015-12-05 graph, as FID uses it: images in [0, 1] → pool3 features.

    ``forward(x)`` computes, for ``x`` of shape ``(N, 3, H, W)`` with values in [0, 1],

        pool3( Inception( 2 · bilinear₂₉₉(x) − 1 ) ) ∈ ℝ^{N × 2048},

    pytorch-fid's ``InceptionV3`` forward with its default output block 3 (the final average pool), up to
    float round-off. The architecture, the FID-specific pool branches and the resize are described in the module
    docstring. The parameter names (``Conv2d_1a_3x3.conv.weight``, ``Mixed_5b.branch1x1.bn.running_mean``, …,
    ``fc.weight``, ``fc.bias``) are those of torchvision's ``Inception3`` with 1008 classes and no auxiliary head,
    and so of pytorch-fid's weights file, which ``load_inception`` loads strictly. A new instance has PyTorch's
    default random initialization; it computes FID features only with those weights loaded.

    The network runs in the dtype and on the device of its parameters (float32 on the CPU unless moved); ``x`` is
    cast to that dtype, not moved. Its values are not checked against [0, 1] (that would wait for the device).

    Attributes:
        fc: the classifier 2048 → 1008 of the TF graph, unused by ``forward``; kept for strict loading.

    References:
        Szegedy et al. 2016, "Rethinking the Inception Architecture for Computer Vision", CVPR; pytorch-fid's
        ``src/pytorch_fid/inception.py`` (``fid_inception_v3``, ``FIDInceptionA/C/E_1/E_2``).
    """

    def __init__(self) -> None:
        super().__init__()
        self.Conv2d_1a_3x3 = _ConvBN(3, 32, 3, stride=2)
        self.Conv2d_2a_3x3 = _ConvBN(32, 32, 3)
        self.Conv2d_2b_3x3 = _ConvBN(32, 64, 3, padding=1)
        self.Conv2d_3b_1x1 = _ConvBN(64, 80, 1)
        self.Conv2d_4a_3x3 = _ConvBN(80, 192, 3)
        self.Mixed_5b = _BlockA(192, pool=32)
        self.Mixed_5c = _BlockA(256, pool=64)
        self.Mixed_5d = _BlockA(288, pool=64)
        self.Mixed_6a = _BlockB(288)
        self.Mixed_6b = _BlockC(768, c7=128)
        self.Mixed_6c = _BlockC(768, c7=160)
        self.Mixed_6d = _BlockC(768, c7=160)
        self.Mixed_6e = _BlockC(768, c7=192)
        self.Mixed_7a = _BlockD(768)
        self.Mixed_7b = _BlockE(1280, max_pool=False)
        self.Mixed_7c = _BlockE(2048, max_pool=True)
        self.fc = nn.Linear(FEATURE_DIM, NUM_CLASSES)

    def forward(self, x: Tensor) -> Tensor:
        """Pool3 features of a float batch in [0, 1]: ``pool3(Inception(2 · bilinear₂₉₉(x) − 1))``.

        Args:
            x: floating-point tensor ``(N, 3, H, W)``, values in [0, 1], on the network's device.

        Returns:
            Tensor ``(N, 2048)`` in the dtype of the network's parameters.

        Raises:
            TypeError: ``x`` is not a floating-point tensor.
            ValueError: ``x`` is not of shape ``(N, 3, H, W)``.
        """
        if not isinstance(x, Tensor) or not x.is_floating_point():
            got = f"{x.dtype} tensor" if isinstance(x, Tensor) else type(x).__name__
            raise TypeError(f"x must be a floating-point tensor of shape (N, 3, H, W) with values in [0, 1]; got {got}")
        if x.ndim != 4 or x.shape[1] != 3:
            raise ValueError(f"x must be a tensor of shape (N, 3, H, W) with values in [0, 1]; got shape "
                             f"{tuple(x.shape)}")
        x = x.to(self.fc.weight.dtype)
        x = F.interpolate(x, size=(INPUT_SIZE, INPUT_SIZE), mode="bilinear", align_corners=False)
        x = 2.0 * x - 1.0
        x = self.Conv2d_2b_3x3(self.Conv2d_2a_3x3(self.Conv2d_1a_3x3(x)))
        x = F.max_pool2d(x, kernel_size=3, stride=2)
        x = self.Conv2d_4a_3x3(self.Conv2d_3b_1x1(x))
        x = F.max_pool2d(x, kernel_size=3, stride=2)
        for block in (self.Mixed_5b, self.Mixed_5c, self.Mixed_5d, self.Mixed_6a, self.Mixed_6b, self.Mixed_6c,
                      self.Mixed_6d, self.Mixed_6e, self.Mixed_7a, self.Mixed_7b, self.Mixed_7c):
            x = block(x)
        return torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)


# ---------------------------------------------------------------------------------------------------
# the weights


def _where_to_get() -> str:
    return (f"Download {WEIGHTS_FILE} (pytorch-fid's port of the 2015-12-05 TF Inception weights, ~91 MB) from "
            f"{WEIGHTS_URL} and pass its path to load_inception(path), or set the environment variable {ENV_VAR} "
            f"to it, or put it at {_default_path()}")


def _default_path() -> Path:
    """``$XDG_CACHE_HOME/scoresde/<file>`` when ``XDG_CACHE_HOME`` is absolute, else ``~/.cache/scoresde/<file>``."""
    cache = os.environ.get("XDG_CACHE_HOME", "")
    base = Path(cache) if cache and Path(cache).is_absolute() else Path.home() / ".cache"
    return base / "scoresde" / WEIGHTS_FILE


def inception_weights_path(path: str | os.PathLike[str] | None = None) -> Path:
    """Where the weights are looked for: ``path``, else ``$SCORESDE_INCEPTION_WEIGHTS``, else the cache.

    The cache file is ``$XDG_CACHE_HOME/scoresde/pt_inception-2015-12-05-6726825d.pth`` when ``XDG_CACHE_HOME``
    holds an absolute path (the XDG base-directory rule, as ``scoresde.data`` uses), else
    ``~/.cache/scoresde/pt_inception-2015-12-05-6726825d.pth``. The file need not exist.

    Args:
        path: the weights file, or None to look at the environment and then the cache.

    Returns:
        The path, with ``~`` expanded.

    Raises:
        TypeError: ``path`` is neither a path (str or os.PathLike) nor None.
        ValueError: ``path`` is an empty path.
    """
    if path is not None:
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"path must be a path (str or os.PathLike) or None; got {type(path).__name__} {path!r}")
        if str(path) == "":
            raise ValueError("path must be a non-empty path or None; got ''")
        return Path(path).expanduser()
    env = os.environ.get(ENV_VAR, "")
    if env:
        return Path(env).expanduser()
    return _default_path()


def _as_device(device: Any) -> torch.device:
    if device is None:
        return torch.device("cpu")
    if isinstance(device, torch.device):
        return device
    if not isinstance(device, str):
        raise TypeError(f"device must be a str, a torch.device or None; got {type(device).__name__} {device!r}")
    try:
        return torch.device(device)
    except RuntimeError as err:
        raise ValueError(f"device must name a torch device ('cpu', 'cuda', 'cuda:1', …); got {device!r}") from err


def load_inception(
    path: str | os.PathLike[str] | None = None, *, device: str | torch.device | None = None, check_hash: bool = True,
) -> FIDInception:
    """Build ``FIDInception`` and load pytorch-fid's weights into it, strictly, in eval mode, without gradients.

    The file is found by ``inception_weights_path(path)``: ``path``, else ``$SCORESDE_INCEPTION_WEIGHTS``, else
    ``~/.cache/scoresde/pt_inception-2015-12-05-6726825d.pth`` (``$XDG_CACHE_HOME/scoresde/…`` when that variable
    is set to an absolute path). Nothing is downloaded; the file is ``WEIGHTS_URL``, pytorch-fid's GitHub release.
    Before it is opened, its SHA-256 must start with ``6726825d`` (the digits in its name): FIDs are comparable only
    with this one file. It is read by ``torch.load(weights_only=True, map_location="cpu")``, so no pickled code
    runs, and every key must match: a missing or unexpected key, or a tensor of the wrong shape, is an error that
    names it. (The BatchNorms' ``num_batches_tracked`` counters, unused in eval mode, are filled in by torch when an
    old-format state dict lacks them, as for pytorch-fid's torchvision model.)

    Args:
        path: the weights file, or None to use ``$SCORESDE_INCEPTION_WEIGHTS`` or the cache path.
        device: where to put the network (``"cpu"``, ``"cuda"``, a ``torch.device``); None means the CPU.
        check_hash: check the SHA-256 prefix. Pass False only for weights that are deliberately not the standard
            file (the tests' random weights): FIDs computed with them are not comparable with published ones.

    Returns:
        The network in eval mode, float32, on ``device``, with ``requires_grad`` off for every parameter.

    Raises:
        TypeError: ``path`` is not a path or None, ``device`` not a str, torch.device or None, or ``check_hash``
            not a bool.
        ValueError: ``path`` is empty, or ``device`` names no device.
        WeightsNotFoundError: the file does not exist (a ``FileNotFoundError``); the message says where to get
            it and where to put it.
        InvalidWeightsError: the SHA-256 does not start with ``6726825d`` (the message gives both), the file
            cannot be read safely (truncated, corrupt, not a torch file, holding objects other than tensors), it
            holds no state dict, or its keys or shapes do not fit (a ``ValueError``).

    References:
        - Seitzer 2020, pytorch-fid, https://github.com/mseitzer/pytorch-fid (the weights file and the preprocessing).
        - Szegedy et al. 2016, "Rethinking the Inception Architecture for Computer Vision", CVPR (Inception-v3).
    """
    source = inception_weights_path(path)
    target = _as_device(device)
    check_bool(check_hash, "check_hash")
    if not source.is_file():
        what = "is a folder, not the weights file" if source.is_dir() else "does not exist"
        raise WeightsNotFoundError(f"the FID Inception weights file {source} {what}. {_where_to_get()}.")
    if check_hash:
        digest = file_sha256(source)
        if not digest.startswith(WEIGHTS_SHA256_PREFIX):
            raise InvalidWeightsError(
                f"{source} is not pytorch-fid's {WEIGHTS_FILE}: its SHA-256 should start with "
                f"{WEIGHTS_SHA256_PREFIX}, got {digest[:8]} (full: {digest}). The file is truncated or another one; "
                f"download it again from {WEIGHTS_URL}. (check_hash=False skips this check, for weights that are "
                f"deliberately not the standard ones; FIDs computed with them are not comparable.)")
    try:
        state = torch.load(source, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises RuntimeError, pickle.UnpicklingError, EOFError, ...
        raise InvalidWeightsError(f"{source} cannot be read as a torch state dict (truncated, corrupt, not a torch "
                                  f"file, or holding objects other than tensors): {type(err).__name__}: {err}. "
                                  f"{_where_to_get()}.") from err
    if not isinstance(state, dict) or not all(isinstance(k, str) and isinstance(v, Tensor) for k, v in state.items()):
        raise InvalidWeightsError(f"{source} holds a {type(state).__name__}, not a state dict of named tensors")
    model = FIDInception()
    try:
        result = model.load_state_dict(state, strict=False)  # the key lists are checked just below
    except RuntimeError as err:  # a shape mismatch
        raise InvalidWeightsError(f"{source} does not fit FIDInception: {err}") from err
    if result.missing_keys or result.unexpected_keys:
        parts = []
        if result.missing_keys:
            parts.append(f"{len(result.missing_keys)} missing key(s): {_key_list(result.missing_keys)}")
        if result.unexpected_keys:
            parts.append(f"{len(result.unexpected_keys)} unexpected key(s): {_key_list(result.unexpected_keys)}")
        raise InvalidWeightsError(f"{source} does not fit FIDInception (pytorch-fid's parameter names): "
                                  f"{'; '.join(parts)}")
    model.requires_grad_(False)
    return model.to(target).eval()


def _key_list(keys: list[str], limit: int = 10) -> str:
    shown = ", ".join(keys[:limit])
    return shown + (f", … ({len(keys) - limit} more)" if len(keys) > limit else "")


# ---------------------------------------------------------------------------------------------------
# features of uint8 images


def _as_uint8_images(images: Any) -> Tensor:
    want = "a uint8 tensor or numpy array of shape (N, H, W, 3)"
    if isinstance(images, np.ndarray):
        if images.dtype != np.uint8:
            raise TypeError(f"images must be {want}; got a numpy array of dtype {images.dtype}")
        images = torch.from_numpy(images)
    if not isinstance(images, Tensor):
        raise TypeError(f"images must be {want}; got {type(images).__name__}")
    if images.dtype != torch.uint8:
        raise TypeError(f"images must be {want} (quantized as saved samples are); got a {images.dtype} tensor")
    if images.ndim != 4:
        raise ValueError(f"images must be {want}; got shape {tuple(images.shape)}")
    n, h, w, c = images.shape
    if c != 3:
        hint = " (for grayscale, repeat the channel three times)" if c == 1 else ""
        why = " (channels first? the layout is NHWC)" if h == 3 and c != 3 else ""
        raise ValueError(f"images must have 3 channels, last: {want}; got shape {tuple(images.shape)}{hint}{why}")
    if n == 0 or h == 0 or w == 0:
        raise ValueError(f"images must be {want} with N, H, W >= 1; got shape {tuple(images.shape)}")
    return images


def inception_features(images: Any, model: FIDInception, *, batch_size: int = 50, progress: bool = False) -> Tensor:
    """Pool3 features of uint8 images, ``model(u/255)`` batch by batch: the statistics FID compares.

    Each batch of ``images`` (uint8 ``(N, H, W, 3)``, the way samples are saved) goes to the model's device, is
    converted to float32 ``(b, 3, H, W)`` in [0, 1] by ``x = u/255`` (pytorch-fid's ``ToTensor``), and through
    ``FIDInception.forward``: bilinear resize to 299×299 (``align_corners=False``, pytorch-fid's resize, not TF1's:
    see the module docstring for why scores then differ slightly from TTUR, torch-fidelity and clean-fid), ``2x − 1``,
    and the network, under ``torch.no_grad`` and in eval mode (the model's mode is restored afterwards). The features
    do not depend on ``batch_size`` beyond float round-off.

    Args:
        images: uint8 tensor or numpy array ``(N, H, W, 3)``, N ≥ 1, any size H × W (resized to 299×299).
        model: the network, from ``load_inception``.
        batch_size: images per forward pass, ≥ 1 (memory grows linearly with it: about 18 MB per image in
            float32; 100 images take about 2 GB).
        progress: show a tqdm bar.

    Returns:
        float64 tensor ``(N, 2048)`` on the CPU (computed in float32; float64 for the mean and covariance of FID).

    Raises:
        TypeError: ``images`` is not a uint8 tensor or array, ``model`` not a ``FIDInception``, ``batch_size`` not an
            int, or ``progress`` not a bool.
        ValueError: ``images`` is not of shape ``(N, H, W, 3)`` with N, H, W ≥ 1, or ``batch_size`` < 1.

    References:
        - Heusel et al. 2017, "GANs Trained by a Two Time-Scale Update Rule Converge to a Local Nash Equilibrium",
          NeurIPS (FID).
        - Seitzer 2020, pytorch-fid, https://github.com/mseitzer/pytorch-fid (the weights file and the preprocessing).
    """
    u = _as_uint8_images(images)
    if not isinstance(model, FIDInception):
        raise TypeError(f"model must be a FIDInception (from load_inception); got {type(model).__name__}")
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    check_bool(progress, "progress")
    device = model.fc.weight.device
    out = torch.empty(u.shape[0], FEATURE_DIM, dtype=torch.float64)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad(), progress_bar(total=u.shape[0], unit="img", desc="Inception features",
                                           disable=not progress) as bar:
            for start in range(0, u.shape[0], batch_size):
                chunk = u[start:start + batch_size].to(device)
                x = chunk.permute(0, 3, 1, 2).to(torch.float32) / 255.0
                out[start:start + chunk.shape[0]] = model(x).to("cpu", torch.float64)
                bar.update(chunk.shape[0])
    finally:
        model.train(was_training)
    return out
