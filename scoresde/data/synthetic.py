r"""A built-in image data set: procedural 32×32 coloured shapes, generated from a seed.

``shapes`` is a procedural set of 32×32 RGB images, each one bold shape on a smooth textured
background, generated from a seed with no download. Six classes — disc, square, triangle, ring, cross
and striped disc — vary in position, size, rotation and colour; backgrounds are two-colour gradients
with a faint low-frequency wave. The structure is clear enough for a small diffusion model to learn in a
few CPU minutes (sharp edges, flat saturated colours, a handful of shapes) and varied enough not to be
memorised.

Each image is drawn from a row of uniform numbers: a shape's signed distance function (Quilez's
2-D SDFs) gives an anti-aliased coverage ``α = clip(1/2 - d/Δ, 0, 1)`` with ``Δ`` one pixel, and the
image is ``α·foreground + (1 - α)·background``. Rows come from numpy's PCG64 streams seeded by
``SeedSequence(seed, spawn_key=(split, ·))``: the train and test splits come from different streams, and
the first ``k`` images of ``n`` do not depend on ``n``. Labels come in blocks of six, each block a
random permutation of the classes, so the classes are balanced.

References:
    I. Quilez. 2D distance functions. https://iquilezles.org/articles/distfunctions2d/
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import torch
from torch import Tensor

from scoresde._utils import check_bool, check_choice, check_int
from scoresde.data.images import ImageDataset

__all__ = ["SHAPES", "SyntheticShapes", "synthetic_images"]

SHAPES = ("disc", "square", "triangle", "ring", "cross", "stripes")
SYNTHETIC_NAME = "shapes"
DEFAULT_SIZES = {"train": 50_000, "test": 10_000}  # the number of images of each split, CIFAR-10's
_SPLIT_KEYS = {"train": 0, "test": 1}
_N_PARAMS = 20
_CHUNK = 1024  # images per chunk: small enough to stay in cache


def _hsv_to_rgb(h: Tensor, s: Tensor, v: Tensor) -> Tensor:
    """HSV in [0, 1] of shape ``(b,)`` → RGB ``(b, 3)`` (the piecewise-linear hexcone)."""
    k = (torch.tensor([5.0, 3.0, 1.0]) + 6.0 * h[:, None]) % 6.0
    ramp = torch.clamp(torch.minimum(k, 4.0 - k), 0.0, 1.0)
    return v[:, None] * (1.0 - s[:, None] * ramp)


def _affine(ax: Tensor, ay: Tensor, c: Tensor, grid: Tensor) -> Tensor:
    """``ax·x + ay·y + c`` at every pixel ``(x, y)`` for per-image coefficients ``(b,)``: ``(b, H, W)``.

    The field is separable, so it costs one full-size addition."""
    return (ay[:, None] * grid + c[:, None])[:, :, None] + (ax[:, None] * grid)[:, None, :]


def _along(angle: Tensor, cx: Tensor, cy: Tensor, grid: Tensor) -> Tensor:
    """The coordinate of each pixel along the direction ``angle``, measured from the centre ``(cx, cy)``."""
    cos, sin = torch.cos(angle), torch.sin(angle)
    return _affine(cos, sin, -(cos * cx + sin * cy), grid)


def _distance(shape: str, cx: Tensor, cy: Tensor, r: Tensor, theta: Tensor, grid: Tensor) -> Tensor:
    """Signed distance (negative inside) from each pixel to the shape of centre c, size r, rotation θ
    (Quilez's 2-D distance functions; the polygons' is exact inside and a bound outside)."""
    rr = r[:, None, None]
    if shape in ("disc", "stripes", "ring"):
        dx2, dy2 = (grid[None, :] - cx[:, None]) ** 2, (grid[None, :] - cy[:, None]) ** 2
        radius = (dy2[:, :, None] + dx2[:, None, :]).sqrt_()
        return radius.sub_(rr) if shape != "ring" else radius.sub_(0.8 * rr).abs_().sub_(0.25 * rr)
    if shape == "triangle":  # three half-planes, normals 120° apart
        e = [_along(theta + a, cx, cy, grid) for a in (math.pi / 2, 7 * math.pi / 6, 11 * math.pi / 6)]
        return torch.maximum(torch.maximum(e[0], e[1], out=e[0]), e[2], out=e[0]).sub_(0.55 * rr)
    qx, qy = _along(theta, cx, cy, grid).abs_(), _along(theta + math.pi / 2, cx, cy, grid).abs_()
    if shape == "square":
        return torch.maximum(qx, qy).sub_(0.8 * rr)
    bar = 0.3 * rr  # cross: the union of two bars
    return torch.minimum(torch.maximum(qx - rr, qy - bar), torch.maximum(qx - bar, qy - rr))


def _render(u: Tensor, shape: str, size: int) -> Tensor:
    """Draw images of one shape from rows ``u`` of uniforms ``(b, _N_PARAMS)``: uint8 ``(b, 3, size, size)``."""
    grid = (torch.arange(size, dtype=torch.float32) + 0.5) / size * 2.0 - 1.0

    def col(j: int, lo: float, hi: float) -> Tensor:
        return lo + (hi - lo) * u[:, j]

    # the shape: centre, size, rotation; its distance field gives an anti-aliased coverage α
    cx, cy, r, theta = col(1, -0.4, 0.4), col(2, -0.4, 0.4), col(3, 0.35, 0.65), col(4, 0.0, 2 * math.pi)
    alpha = _distance(shape, cx, cy, r, theta, grid).mul_(-size / 2.0).add_(0.5).clamp_(0.0, 1.0)

    # colours, scaled to 0..255: a bold foreground; two muted background colours of a distant hue
    hue = u[:, 5]
    fg = 255.0 * _hsv_to_rgb(hue, col(6, 0.65, 1.0), col(7, 0.75, 1.0))
    bg_hue = (hue + col(8, 0.25, 0.75)) % 1.0
    bg1 = 255.0 * _hsv_to_rgb(bg_hue, col(9, 0.15, 0.6), col(10, 0.15, 0.55))
    bg2 = 255.0 * _hsv_to_rgb((bg_hue + col(11, -0.15, 0.15)) % 1.0, col(12, 0.15, 0.6), col(13, 0.3, 0.7))

    # background: a linear gradient between the two colours, times a faint plane wave
    psi = col(14, 0.0, 2 * math.pi)
    half = 0.5 / math.sqrt(2.0)  # keeps the ramp in [0, 1] over the square
    ramp = _affine(half * torch.cos(psi), half * torch.sin(psi), torch.full_like(psi, 0.5), grid)
    bg = torch.addcmul(bg1[:, :, None, None], (bg2 - bg1)[:, :, None, None], ramp[:, None])
    amp, a = col(15, 0.0, 0.15), math.pi * col(16, 0.5, 3.0)[:, None] * grid + psi[:, None]
    b = math.pi * col(17, -2.0, 2.0)[:, None] * grid  # sin(a + b) = sin a cos b + cos a sin b
    wave = (torch.cos(b)[:, :, None] * (amp[:, None] * torch.sin(a))[:, None, :]).add_(1.0)
    wave.addcmul_(torch.sin(b)[:, :, None], (amp[:, None] * torch.cos(a))[:, None, :])
    bg.mul_(wave[:, None])

    # foreground: a soft light from the side ψ; the striped disc alternates with dark bands
    dim = col(0, 0.1, 0.3) / r
    shade = _affine(
        -dim * torch.cos(psi), -dim * torch.sin(psi), 1.0 + dim * (torch.cos(psi) * cx + torch.sin(psi) * cy), grid
    )
    if shape == "stripes":
        phase = _along(theta, cx, cy, grid).mul_((math.pi * col(18, 2.0, 3.5) / r)[:, None, None])
        shade.mul_(phase.sin_().mul_(2.0).add_(0.6).clamp_(0.25, 1.0))
    front = fg[:, :, None, None] * shade[:, None]
    return torch.lerp(bg, front, alpha[:, None]).clamp_(0.0, 255.0).add_(0.5).to(torch.uint8)


def _balanced_labels(stream: np.random.Generator, n: int) -> Tensor:
    """Class labels in blocks of ``len(SHAPES)``, each block a random permutation of the classes.

    Block ``j`` depends only on the ``j``-th row drawn, so the first ``k`` labels do not depend on ``n``."""
    k = len(SHAPES)
    keys = torch.from_numpy(stream.random((-(-n // k), k)))
    return torch.argsort(keys, dim=1).flatten()[:n]


@contextmanager
def _one_thread() -> Iterator[None]:
    """Run torch on one intra-op thread for the duration (restored after).

    The renderer issues many small element-wise operations; splitting each over threads gains little and,
    when other processes hold the cores, costs up to 10x in thread hand-offs (measured: 50 000 images in
    1.4 s on one thread, 3-18 s on two threads of a busy 2-core machine)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def synthetic_images(n: int, seed: int = 0, size: int = 32, split: str = "train", *,
                     balanced: bool = True) -> tuple[Tensor, Tensor]:
    """Generate ``n`` images of the built-in ``shapes`` set, deterministically from ``seed``.

    Each image is one bold shape (disc, square, triangle, ring, cross or striped disc) on a textured
    background, blended by the anti-aliased coverage of the shape's signed distance d (Δ one pixel):

        image = α·foreground + (1 - α)·background,   α = clip(1/2 - d/Δ, 0, 1)

    The first ``k`` images of ``n`` do not depend on ``n``. Labels come in blocks of six, each a random
    permutation of the classes, so every class has its share to within one image: a training set, but not an
    i.i.d. sample of the data distribution (a sample set's classes scatter around their shares; its
    within-set kernel sums differ, which biases KID by -0.018 for 1000 images). ``balanced=False`` draws each
    label independently and uniformly instead, as a perfect generative model would (``scoresde.evaluation``
    uses it for reference and floor images).

    Args:
        n: number of images.
        seed: a non-negative int; the same seed gives the same images.
        size: side of the square images in pixels (at least 8).
        split: ``"train"`` or ``"test"``; the test split comes from a separate random stream, so it
            shares no image with the training split.
        balanced: labels in balanced blocks of six (True) or i.i.d. uniform (False); the images' other
            parameters are the same either way.

    Returns:
        ``(images, labels)``: uint8 tensor ``(n, size, size, 3)`` (NHWC, RGB, like ``load_cifar10``)
        and int64 tensor ``(n,)`` with values in ``0..5``, the index in ``SHAPES``.

    Raises:
        TypeError: ``n``, ``seed`` or ``size`` is not an int, or ``balanced`` not a bool.
        ValueError: ``n`` < 1, ``seed`` < 0, ``size`` < 8, or an unknown ``split``.

    References:
        I. Quilez, "2D distance functions", <https://iquilezles.org/articles/distfunctions2d/> (the shapes'
        signed distances).
    """
    n = check_int(n, "n", minimum=1)
    seed = check_int(seed, "seed", minimum=0)
    size = check_int(size, "size", minimum=1)
    if size < 8:
        raise ValueError(f"size must be at least 8 pixels; got {size}")
    split = check_choice(split, "split", _SPLIT_KEYS)
    balanced = check_bool(balanced, "balanced")
    key = _SPLIT_KEYS[split]
    params, classes = (
        np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(key, j)))) for j in (0, 1)
    )
    u = torch.from_numpy(params.random((n, _N_PARAMS), dtype=np.float32))
    labels = _balanced_labels(classes, n) if balanced else torch.from_numpy(classes.integers(0, len(SHAPES), n))
    images = torch.empty(n, size, size, 3, dtype=torch.uint8)
    with _one_thread():
        for start in range(0, n, _CHUNK):
            stop = min(start + _CHUNK, n)
            for c, shape in enumerate(SHAPES):
                index = start + torch.nonzero(labels[start:stop] == c).flatten()
                if index.numel():
                    images[index] = _render(u[index], shape, size).permute(0, 2, 3, 1)
    return images, labels


class SyntheticShapes(ImageDataset):
    """The built-in ``shapes`` set as a dataset of float32 ``(3, size, size)`` images in [-1, 1] and labels.

    The images are ``synthetic_images(n, seed, size, split)``, mapped by ``x = u/127.5 - 1``; item i is
    ``(x, label)`` as in ``ImageDataset``.

    Args:
        n: number of images; None for 50 000 (train) or 10 000 (test), the sizes of CIFAR-10.
        split: ``"train"`` or ``"test"`` (disjoint random streams).
        seed: the generation seed; it also seeds the flips (see ``ImageDataset``).
        size: side of the images in pixels.
        flip: random horizontal flips; None means on for ``"train"``, off for ``"test"``.

    Raises:
        TypeError: ``n``, ``seed`` or ``size`` is not an int.
        ValueError: ``n`` < 1, ``seed`` < 0, ``size`` < 8, or an unknown ``split``.
    """

    def __init__(
        self,
        n: int | None = None,
        split: str = "train",
        seed: int = 0,
        size: int = 32,
        *,
        flip: bool | None = None,
    ) -> None:
        split = check_choice(split, "split", _SPLIT_KEYS)
        images, labels = synthetic_images(DEFAULT_SIZES[split] if n is None else n, seed, size, split)
        super().__init__(images, labels, flip=split == "train" if flip is None else flip, seed=seed)
        self.split = split
