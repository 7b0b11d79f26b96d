r"""Image plumbing shared by every image data set: uint8 NHWC ↔ float NCHW in [-1, 1], flips, the Dataset.

Every loader of ``scoresde.data`` returns uint8 images ``(n, H, W, C)``; a network sees float32 ``(n, C, H, W)`` in
[-1, 1], ``x = u/127.5 - 1`` (``to_float``, inverted by ``to_uint8``). ``ImageDataset`` serves such images one by
one, flipped left–right at random for training: whether item i is flipped in epoch e is a hash of
``(seed, e, i)``, so the flips need no random state of their own and a run resumed at epoch e sees the same flips.
Whoever iterates over the data set tells it the epoch (``set_epoch``, the convention of PyTorch's
``DistributedSampler``); ``Trainer`` does so before every batch. ``random_hflip`` flips a whole batch from a
generator, for data held as one tensor (the generator is the trainer's, saved in its checkpoints).

References:
    - Ho, Jain & Abbeel 2020, "Denoising Diffusion Probabilistic Models", NeurIPS (images scaled to [-1, 1],
      random horizontal flips).
    - Steele, Lea & Flood 2014, "Fast Splittable Pseudorandom Number Generators", OOPSLA (SplitMix64).
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor
from torch.utils.data import Dataset

from scoresde._utils import append_dims, check_bool, check_float, check_int

__all__ = ["ImageDataset", "random_hflip", "to_float", "to_uint8"]


def to_float(images: Tensor) -> Tensor:
    """uint8 images ``(n, H, W, C)`` (or one ``(H, W, C)``) → float32 ``(n, C, H, W)`` in [-1, 1], ``x = u/127.5 - 1``.

    The map sends 0 → -1 and 255 → 1, the scaling of Ho et al. 2020 and Song et al. 2021.

    Args:
        images: uint8 tensor ``(n, H, W, C)`` or ``(H, W, C)``.

    Returns:
        float32 tensor ``(n, C, H, W)`` (or ``(C, H, W)``).

    Raises:
        TypeError: ``images`` is not a uint8 tensor.
        ValueError: ``images`` has neither 3 nor 4 dimensions.
    """
    _check_image_tensor(images, "images", "a uint8 tensor of shape (n, H, W, C) or (H, W, C)",
                        lambda u: u.dtype == torch.uint8, (3, 4))
    return images.movedim(-1, -3).to(torch.float32) / 127.5 - 1.0


def to_uint8(x: Tensor) -> Tensor:
    """float images ``(n, C, H, W)`` (or one ``(C, H, W)``) in [-1, 1] → uint8 ``(n, H, W, C)``.

        u = round(127.5 · (clip(x, -1, 1) + 1))

    The inverse of ``to_float``: values are clipped to [-1, 1] and rounded, so
    ``to_uint8(to_float(u)) == u`` exactly.

    Args:
        x: floating-point tensor ``(n, C, H, W)`` or ``(C, H, W)``.

    Returns:
        uint8 tensor ``(n, H, W, C)`` (or ``(H, W, C)``), contiguous.

    Raises:
        TypeError: ``x`` is not a floating-point tensor.
        ValueError: ``x`` has neither 3 nor 4 dimensions.
    """
    _check_image_tensor(x, "x", "a floating-point tensor of shape (n, C, H, W) or (C, H, W)",
                        lambda v: v.is_floating_point(), (3, 4))
    u = ((x.detach().clamp(-1.0, 1.0) + 1.0) * 127.5).round().to(torch.uint8)
    return u.movedim(-3, -1).contiguous()


def random_hflip(x: Tensor, *, generator: torch.Generator | None = None, p: float = 0.5) -> Tensor:
    """Flip each image of a batch ``(n, C, H, W)`` left–right with probability ``p``.

    The flips are drawn on the generator's device (CPU by default), so a fixed generator gives the
    same flips on every device.

    Args:
        x: a batch ``(n, ..., W)``; the last axis is flipped.
        generator: the source of the flips.
        p: the probability of a flip, in [0, 1].

    Returns:
        A tensor of the shape of ``x``.

    Raises:
        TypeError: ``x`` is not a tensor, or ``p`` not a number.
        ValueError: ``x`` has fewer than 2 dimensions, or ``p`` lies outside [0, 1].
    """
    if not isinstance(x, Tensor):
        raise TypeError(f"x must be a torch.Tensor of shape (n, ..., W); got {type(x).__name__}")
    if x.ndim < 2:
        raise ValueError(f"x must be a tensor of shape (n, ..., W); got shape {tuple(x.shape)}")
    p = check_float(p, "p", low=0.0, high=1.0)
    device = generator.device if generator is not None else torch.device("cpu")
    flip = (torch.rand(x.shape[0], generator=generator, device=device) < p).to(x.device)
    return torch.where(append_dims(flip, x.ndim), x.flip(-1), x)


_MASK64 = 2**64 - 1


def _splitmix64(z: int) -> int:
    """One step of SplitMix64 (Steele, Lea & Flood 2014), a fast integer hash with good mixing."""
    z = (z + 0x9E3779B97F4A7C15) & _MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    return z ^ (z >> 31)


def _check_image_tensor(x: Any, name: str, want: str, dtype_ok: Callable[[Tensor], bool], ndims: tuple[int, ...]
                        ) -> None:
    """A tensor of the right dtype (``TypeError`` otherwise) and one of the dimensions ``ndims`` (``ValueError``)."""
    if not isinstance(x, Tensor) or not dtype_ok(x):
        got = f"{x.dtype} tensor" if isinstance(x, Tensor) else type(x).__name__
        raise TypeError(f"{name} must be {want}; got {got}")
    if x.ndim not in ndims:
        raise ValueError(f"{name} must be {want}; got shape {tuple(x.shape)}")


class ImageDataset(Dataset[tuple[Tensor, int]]):
    """A map-style dataset over in-memory uint8 images: item ``i`` is ``(x, label)`` with ``x`` float32
    ``(C, H, W)`` in [-1, 1], flipped left–right with probability 1/2 when ``flip`` is on.

    Whether image ``i`` is flipped is a hash of ``(seed, epoch, i)`` (not a draw from a generator held by
    the dataset, whose copies in DataLoader workers would repeat each other): the same seed gives the same
    flips in any order of access and in every worker; ``set_epoch`` gives new flips per epoch. Whoever iterates
    over the data set calls ``set_epoch`` (``Trainer`` does, before every batch; with a ``DataLoader``, call it at
    the start of each epoch as with a ``DistributedSampler``).

    Args:
        images: uint8 tensor ``(n, H, W, C)``, kept as it is (not copied).
        labels: integer tensor ``(n,)``.
        flip: whether to flip at random.
        seed: the flip seed, an int >= 0.

    Attributes:
        images: uint8 tensor ``(n, H, W, C)``.
        labels: int64 tensor ``(n,)``.
        flip: whether to flip at random.
        seed: the flip seed.
        epoch: the current epoch (0 until ``set_epoch``).

    Raises:
        TypeError: ``images`` is not a uint8 tensor, ``labels`` not a tensor, ``flip`` not a bool or ``seed`` not
            an int.
        ValueError: ``images`` is not of shape ``(n, H, W, C)``, ``labels`` not of shape ``(n,)``, or ``seed`` is
            negative.

    References:
        Steele, Lea & Flood 2014, "Fast Splittable Pseudorandom Number Generators", OOPSLA (SplitMix64, the hash
        of the flips).
    """

    def __init__(self, images: Tensor, labels: Tensor, *, flip: bool = False, seed: int = 0) -> None:
        _check_image_tensor(images, "images", "a uint8 tensor of shape (n, H, W, C)",
                            lambda u: u.dtype == torch.uint8, (4,))
        if not isinstance(labels, Tensor):
            raise TypeError(f"labels must be a tensor of shape ({images.shape[0]},); got {type(labels).__name__}")
        if labels.shape != images.shape[:1]:
            raise ValueError(f"labels must be a tensor of shape ({images.shape[0]},); got {tuple(labels.shape)}")
        self.images, self.labels = images, labels.to(torch.int64)
        self.flip, self.seed, self.epoch = check_bool(flip, "flip"), check_int(seed, "seed", minimum=0), 0

    def __len__(self) -> int:
        return int(self.images.shape[0])

    def set_epoch(self, epoch: int) -> None:
        """Choose the epoch whose flips ``__getitem__`` applies.

        Args:
            epoch: an int >= 0.

        Raises:
            TypeError: ``epoch`` is not an int.
            ValueError: ``epoch`` is negative.
        """
        self.epoch = check_int(epoch, "epoch", minimum=0)

    def flipped(self, index: int) -> bool:
        """Whether item ``index`` (in ``0..n-1``) is flipped in the current epoch.

        The top bit of a SplitMix64 hash of ``(seed, epoch, index)`` (Steele, Lea & Flood 2014): the same in any
        order of access and in every DataLoader worker.

        Args:
            index: the item's index.

        Returns:
            Whether it is flipped (always False when ``flip`` is off).
        """
        if not self.flip:
            return False
        return bool(_splitmix64(_splitmix64(_splitmix64(self.seed) ^ self.epoch) ^ index) >> 63)

    def __getitem__(self, index: int) -> tuple[Tensor, int]:
        n = len(self)
        i = operator.index(index)
        if not -n <= i < n:
            raise IndexError(f"index {i} is out of range for a dataset of {n} images")
        i %= n
        x = to_float(self.images[i])
        if self.flipped(i):
            x = x.flip(-1)
        return x, int(self.labels[i])

