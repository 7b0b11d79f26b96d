r"""Pictures of what the package computes: image grids, loss curves, 2-D point clouds; and the console's progress bars.

Only matplotlib (with the Agg backend, no screen needed) and numpy. Images are tensors of shape ``(n, C, H, W)``
with values in [-1, 1], the model's space; they are mapped to bytes after clipping to [-1, 1] by

    u = round(127.5·(x + 1)) ∈ {0, …, 255}.
"""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import Tensor

from scoresde._utils import check_int, check_positive_float, check_tensor, progress_bar

__all__ = ["image_grid", "plot_loss_curve", "progress_bar", "save_image_grid", "save_scatter"]


def image_grid(images: Tensor, nrow: int | None = None, pad: int = 2) -> np.ndarray:
    r"""Tile images ``(n, C, H, W)`` in [-1, 1] into one RGB uint8 array, ``u = round(127.5·(x + 1))``.

    The images fill ``rows = ⌈n / nrow⌉`` rows left to right, separated and framed by white borders.

    Args:
        images: a batch, C = 1 or 3 (grey images are repeated to RGB).
        nrow: images per row; default ⌈√n⌉.
        pad: white border in pixels.

    Returns:
        uint8 array of shape ``(rows·(H + pad) + pad, nrow·(W + pad) + pad, 3)``.

    Raises:
        TypeError: ``images`` is not a floating-point tensor, or ``nrow`` or ``pad`` not an int.
        ValueError: ``images`` is not of shape ``(n, C, H, W)`` with n ≥ 1 and C = 1 or 3, ``nrow < 1`` or
            ``pad < 0``.
    """
    check_tensor(images, "images")
    if images.ndim != 4 or images.shape[0] == 0 or images.shape[1] not in (1, 3):
        raise ValueError(f"images must be a tensor of shape (n, C, H, W) with n >= 1 and C = 1 or 3; "
                         f"got {tuple(images.shape)}")
    if nrow is not None:
        check_int(nrow, "nrow", minimum=1)
    check_int(pad, "pad", minimum=0)
    n, _, h, w = images.shape
    cols = nrow or math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    as_bytes = images.detach().float().cpu().clamp(-1, 1).add(1).mul(127.5).round().to(torch.uint8)
    x = as_bytes.expand(n, 3, h, w).permute(0, 2, 3, 1).numpy()
    grid = np.full((rows * (h + pad) + pad, cols * (w + pad) + pad, 3), 255, dtype=np.uint8)
    for k in range(n):
        r, c = divmod(k, cols)
        grid[pad + r * (h + pad): pad + r * (h + pad) + h, pad + c * (w + pad): pad + c * (w + pad) + w] = x[k]
    return grid


def save_image_grid(images: Tensor, path: str | os.PathLike[str], nrow: int | None = None) -> Path:
    """Write ``image_grid(images, nrow)`` as a PNG, creating the folder if needed.

    Args:
        images: a batch ``(n, C, H, W)`` in [-1, 1], C = 1 or 3.
        path: the PNG file to write.
        nrow: images per row; default ⌈√n⌉.

    Returns:
        The path written.

    Raises:
        TypeError: ``images`` is not a floating-point tensor, or ``nrow`` not an int (see ``image_grid``).
        ValueError: ``images`` has the wrong shape, or ``nrow < 1`` (see ``image_grid``).
    """
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    plt.imsave(out, image_grid(images, nrow))
    return out


def plot_loss_curve(csv_path: str | os.PathLike[str], png_path: str | os.PathLike[str]) -> Path:
    """Plot the ``loss`` column of a training log against ``step`` and write a PNG.

    The loss axis is logarithmic when every loss is positive.

    Args:
        csv_path: a CSV file with ``step`` and ``loss`` columns (the trainer's ``log.csv``).
        png_path: the PNG file to write (its folder must exist).

    Returns:
        The path written.
    """
    with open(csv_path, newline="") as f:
        rows = list(csv.DictReader(f))
    steps = [int(r["step"]) for r in rows]
    losses = [float(r["loss"]) for r in rows]
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(steps, losses, lw=1.2)
    if losses and min(losses) > 0:
        ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("loss (mean over the logging interval)")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    out = Path(png_path)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def save_scatter(clouds: Sequence[tuple[str, Tensor]], path: str | os.PathLike[str], lim: float | None = None) -> Path:
    """Side-by-side scatter plots of 2-D point clouds, one panel per cloud, written as a PNG.

    Args:
        clouds: ``(title, points)`` pairs, points a tensor of shape ``(n, 2)``.
        path: the PNG file to write (its folder is created if needed).
        lim: if given, every panel shows the square [-lim, lim]²; else each panel fits its points.

    Returns:
        The path written.

    Raises:
        TypeError: ``lim`` is given and not a real number.
        ValueError: ``lim`` is given and not a finite number > 0.
    """
    if lim is not None:
        check_positive_float(lim, "lim")
    fig, axes = plt.subplots(1, len(clouds), figsize=(3.2 * len(clouds), 3.2), squeeze=False)
    for ax, (title, pts) in zip(axes[0], clouds, strict=True):
        p = pts.detach().float().cpu().numpy()
        ax.scatter(p[:, 0], p[:, 1], s=1.5, alpha=0.5, lw=0)
        ax.set_title(title, fontsize=9)
        ax.set_aspect("equal")
        if lim is not None:
            ax.set_xlim(-lim, lim)
            ax.set_ylim(-lim, lim)
    fig.tight_layout()
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out
