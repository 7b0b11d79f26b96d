r"""Regenerate the shapes classifier's weights: ``python -m scoresde.evaluation.train_shapes --out FILE``.

The classifier (``scoresde.evaluation.shapes.ShapesClassifier``) learns seven classes: the six shapes of the
built-in data set and a seventh, **none of these**, made from the same images by the ways a diffusion model fails
to draw a shape:

* *melted*: the image resampled through a smooth random displacement field of a few pixels (``grid_sample``), so
  edges wobble and corners round off while colours and background stay those of the data;
* *blurred*: a Gaussian blur of 1.5–3 px (separable, reflect-padded), the shape a soft blob;
* *blob*: a star-shaped blob, radius ``r(φ) = r₀(1 + Σₖ aₖ cos(kφ + φₖ))`` for k = 2…5 with random amplitudes,
  painted in the colour at the centre of a real image over a version of that image blurred so strongly
  (σ = 6 px) that only its background gradient is left;
* *ghost*: the average of two images of different classes.

Without this class a plain 6-class network calls most blobs a shape with confidence (it must pick one); with it
the confident share of a sample set, the *recognizable rate*, means something.

Everything is drawn from seeded generators on one thread, so the script is deterministic on one machine; on
another CPU the float rounding of the convolutions differs and so may the last bits of the weights (the tests
compare predictions, not bytes). It trains on images of seed 12345 (not the seed 0 that the examples train and
evaluate on) and reports the accuracy on the test split of seed 0 and on fresh "none" images made from it.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor

from scoresde.data import synthetic_images, to_float
from scoresde.evaluation.shapes import CLASSES, WEIGHTS_PATH, WEIGHTS_SHA256, ShapesClassifier, save_shapes_classifier

__all__ = ["blobs", "blurred", "ghosts", "main", "melted", "none_images", "train"]

NONE = len(CLASSES) - 1
TRAIN_SEED = 12_345


def _gaussian_blur(x: Tensor, sigma: Tensor) -> Tensor:
    """Blur each image of ``x`` ``(n, C, H, W)`` with its own Gaussian std ``sigma`` ``(n,)`` in pixels."""
    radius = math.ceil(3 * float(sigma.max()))
    offsets = torch.arange(-radius, radius + 1, dtype=x.dtype)
    kernel = torch.exp(-0.5 * (offsets[None, :] / sigma[:, None]) ** 2)
    kernel = kernel / kernel.sum(1, keepdim=True)  # (n, K)
    n, c, h, w = x.shape
    pad = min(radius, h - 1, w - 1)
    y = F.pad(x, (pad, pad, pad, pad), mode="reflect") if pad == radius else F.pad(x, (radius,) * 4, mode="replicate")
    y = y.reshape(1, n * c, h + 2 * radius, w + 2 * radius)
    k = kernel.repeat_interleave(c, 0)  # (n·C, K)
    y = F.conv2d(y, k[:, None, None, :], groups=n * c)
    y = F.conv2d(y, k[:, None, :, None], groups=n * c)
    return y.reshape(n, c, h, w)


def melted(x: Tensor, g: torch.Generator) -> Tensor:
    """``x`` resampled through a smooth random displacement of 3–6 px (a 4×4 random field, bicubic)."""
    n, _, h, w = x.shape
    amplitude = (3.0 + 3.0 * torch.rand(n, generator=g)) * 2.0 / h  # pixels → [-1, 1] coordinates
    coarse = torch.randn(n, 2, 4, 4, generator=g)
    field = F.interpolate(coarse, size=(h, w), mode="bicubic", align_corners=True)
    field = field / field.flatten(1).std(1)[:, None, None, None] * amplitude[:, None, None, None]
    ys, xs = torch.meshgrid(torch.linspace(-1, 1, h), torch.linspace(-1, 1, w), indexing="ij")
    grid = torch.stack([xs, ys], -1)[None] + field.permute(0, 2, 3, 1)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="reflection", align_corners=True)


def blurred(x: Tensor, g: torch.Generator) -> Tensor:
    """``x`` blurred by a Gaussian of std 1.5–3 px."""
    return _gaussian_blur(x, 1.5 + 1.5 * torch.rand(x.shape[0], generator=g))


def blobs(x: Tensor, g: torch.Generator) -> Tensor:
    """Star-shaped blobs ``r(φ) = r₀(1 + Σ_{k=2}^{5} a_k cos(kφ + φ_k))`` in the centre colour of ``x`` over its
    background (``x`` blurred by σ = 6 px), anti-aliased like the data."""
    n, _, h, w = x.shape
    background = _gaussian_blur(x, torch.full((n,), 6.0))
    colour = x[:, :, h // 2 - 1: h // 2 + 1, w // 2 - 1: w // 2 + 1].mean((2, 3))
    centre = (torch.rand(n, 2, generator=g) - 0.5) * 0.6
    r0 = 0.15 + 0.4 * torch.rand(n, generator=g)
    share = torch.rand(n, 4, generator=g) + 0.05
    a = share / share.sum(1, keepdim=True) * (0.15 + 0.25 * torch.rand(n, 1, generator=g))  # Σ a_k in [0.15, 0.4]
    phase = 2 * math.pi * torch.rand(n, 4, generator=g)
    coords = (torch.arange(h, dtype=x.dtype) + 0.5) / h * 2 - 1
    dy = coords[None, :, None] - centre[:, 1, None, None]
    dx = coords[None, None, :] - centre[:, 0, None, None]
    rho, phi = torch.sqrt(dx**2 + dy**2), torch.atan2(dy, dx)
    k = torch.arange(2, 6, dtype=x.dtype)
    wobble = (a[:, :, None, None] * torch.cos(k[None, :, None, None] * phi[:, None] + phase[:, :, None, None])).sum(1)
    distance = rho - r0[:, None, None] * (1 + wobble)
    alpha = (0.5 - distance * h / 2).clamp(0, 1)[:, None]
    return torch.lerp(background, colour[:, :, None, None].expand_as(x), alpha)


def ghosts(x: Tensor, labels: Tensor, g: torch.Generator) -> Tensor:
    """The weighted mean (weights 0.35–0.65) of each image and one of a different class (a double exposure).

    Partners are drawn at random and redrawn where the classes agree; if ``labels`` holds a single class, some
    partners stay of that class."""
    n = x.shape[0]
    index = torch.arange(n)
    partner = (index + torch.randint(1, max(n, 2), (n,), generator=g)) % n
    for _ in range(32):
        same = labels[partner] == labels
        if not same.any():
            break
        redraw = torch.randint(1, max(n, 2), (n,), generator=g)
        partner = torch.where(same, (index + redraw) % n, partner)
    weight = (0.35 + 0.3 * torch.rand(n, generator=g))[:, None, None, None]
    return torch.lerp(x, x[partner], weight)


def none_images(x: Tensor, labels: Tensor, g: torch.Generator) -> Tensor:
    """"None of these" images from real images ``x`` (float NCHW in [-1, 1]): a quarter each melted, blurred,
    blob and ghost, in a seeded random order."""
    n = x.shape[0]
    kind = torch.randint(0, 4, (n,), generator=g)
    out = torch.empty_like(x)
    for j, make in enumerate((melted, blurred, blobs)):
        index = torch.nonzero(kind == j).flatten()
        if index.numel():
            out[index] = make(x[index], g)
    index = torch.nonzero(kind == 3).flatten()
    if index.numel() > 1:
        out[index] = ghosts(x[index], labels[index], g)
    elif index.numel():
        out[index] = melted(x[index], g)
    return out.clamp(-1, 1)


def train(steps: int = 800, batch_size: int = 168, n_train: int = 30_000, lr: float = 2e-3,
          log: bool = True) -> tuple[ShapesClassifier, dict[str, float]]:
    """Train the classifier from scratch, deterministically (seeded, one thread); returns it and its test scores.

    Each step sees ``batch_size`` images: 6/7 real ones (seed 12345, train split) and 1/7 "none" images made on
    the fly from other real ones, so the seven classes are balanced. AdamW with a cosine learning rate."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        torch.manual_seed(TRAIN_SEED)
        g = torch.Generator().manual_seed(TRAIN_SEED)
        images, labels = synthetic_images(n_train, TRAIN_SEED, 32, "train")
        x_all = to_float(images)
        model = ShapesClassifier()
        opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=0.1)
        n_none = batch_size // len(CLASSES)
        n_real = batch_size - n_none
        order = torch.randperm(n_train, generator=g)
        position = 0
        started = time.perf_counter()
        for step in range(steps):
            if position + n_real + n_none > n_train:
                order, position = torch.randperm(n_train, generator=g), 0
            real = order[position: position + n_real]
            source = order[position + n_real: position + n_real + n_none]
            position += n_real + n_none
            x = torch.cat([x_all[real], none_images(x_all[source], labels[source], g)])
            flip = torch.rand(x.shape[0], generator=g) < 0.5
            x = torch.where(flip[:, None, None, None], x.flip(-1), x)
            y = torch.cat([labels[real], torch.full((n_none,), NONE)])
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad(set_to_none=True)
            loss.backward()  # type: ignore[no-untyped-call]
            opt.step()
            sched.step()
            if log and (step % 100 == 0 or step == steps - 1):
                print(f"step {step:5d}  loss {loss.item():.4f}  {time.perf_counter() - started:.0f} s", flush=True)
        model.eval().requires_grad_(False)
        return model, evaluate(model)
    finally:
        torch.set_num_threads(threads)


def evaluate(model: ShapesClassifier, n: int = 6000) -> dict[str, float]:
    """Accuracy on the test split of seed 0 (the six shapes) and on "none" images made from its next ``n/6``."""
    images, labels = synthetic_images(n + n // 6, 0, 32, "test")
    x = to_float(images)
    g = torch.Generator().manual_seed(1)
    none = none_images(x[n:], labels[n:], g)
    with torch.no_grad():
        p_real = torch.softmax(model(x[:n]), 1)
        p_none = torch.softmax(model(none), 1)
    top, label = p_real.max(1)
    return {
        "test_accuracy": float((label == labels[:n]).double().mean()),
        "test_confident": float(((top >= 0.9) & (label != NONE)).double().mean()),
        "none_accuracy": float((p_none.argmax(1) == NONE).double().mean()),
        "n_test": n,
        "n_none": n // 6,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, default=Path("shapes_classifier.pt"),
                   help="weights file to write (default: ./shapes_classifier.pt)")
    p.add_argument("--steps", type=int, default=800)
    p.add_argument("--replace-shipped", action="store_true",
                   help=f"allow --out to be the shipped file {WEIGHTS_PATH} (then its checksum in shapes.py must be "
                        f"updated too)")
    args = p.parse_args(argv)
    if args.out.resolve() == WEIGHTS_PATH.resolve() and not args.replace_shipped:
        print(f"error: --out is the shipped weights file {WEIGHTS_PATH}; on another CPU the regenerated bytes may "
              f"differ from its recorded SHA-256, so pass --replace-shipped to overwrite it on purpose",
              file=sys.stderr)
        return 2
    model, scores = train(args.steps)
    digest = save_shapes_classifier(model, args.out, {"steps": args.steps, **scores})
    print(" ".join(f"{k} {v:.4f}" if isinstance(v, float) else f"{k} {v}" for k, v in scores.items()))
    same = "the shipped file's" if digest == WEIGHTS_SHA256 else f"not the shipped {WEIGHTS_SHA256[:16]}…"
    print(f"wrote {args.out}  sha256 {digest} ({same})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
