r"""The data cursor: where a training run is in its data, the one state that exact resume needs of the data.

Epoch e visits the n examples in the order of a random permutation seeded by ``(seed, e)``, ``batch_size`` at a
time (a last, incomplete batch is dropped); under K processes each takes its contiguous slice of every global
batch, so K processes read exactly the batches one process would. The permutation follows from the seed and the
epoch, so ``(epoch, batch_in_epoch)`` is the whole state: a cursor restored from ``state_dict()`` reads the same
batches as one that never stopped. A data set with a ``set_epoch(epoch)`` method (``scoresde.data.ImageDataset``,
whose random flips are a hash of the epoch) is told the epoch before every batch is read from it.

References:
    PyTorch, ``torch.utils.data.distributed.DistributedSampler``
    (<https://pytorch.org/docs/stable/data.html#torch.utils.data.distributed.DistributedSampler>): a permutation per
    epoch seeded by the seed and the epoch, and ``set_epoch``, the call that tells a sampler or a data set the epoch.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import Tensor
from torch.utils.data import Dataset, default_collate

from scoresde._utils import check_int

__all__ = ["DataCursor"]

_EPOCH_STRIDE = 1_000_003  # the permutation of epoch e is seeded by seed * _EPOCH_STRIDE + e


class DataCursor:
    r"""The position of a run in its data (epoch, batch in the epoch) and the batches read from there.

    Epoch e reads the examples in the order of ``torch.randperm(n)`` seeded by ``seed·1000003 + e``, ``batch_size``
    at a time, ``n // batch_size`` batches per epoch (the incomplete last one is dropped); process ``rank`` of
    ``world_size`` takes the slice ``[rank·b, (rank + 1)·b)`` of each global batch, ``b = batch_size/world_size``.
    Before a batch is read from a data set that has ``set_epoch``, the data set is told the current epoch.

    Args:
        data: a tensor of examples ``(n, *dims)``, or a map-style ``Dataset`` with ``__len__`` whose items collate
            into a batch (of ``(example, label)`` pairs the examples are kept).
        batch_size: the global batch, divisible by ``world_size`` and at most n.
        seed: seeds the order of every epoch, an int >= 0.
        rank: this process's index, in ``[0, world_size)``.
        world_size: the number of processes.

    Attributes:
        data: the examples.
        n: the number of examples.
        batch_size: the global batch.
        local_batch: this process's part of it, ``batch_size // world_size``.
        seed: the order's seed.
        rank: this process's index.
        world_size: the number of processes.
        epoch: the current pass over the data, from 0.
        batch_in_epoch: the number of batches of this epoch already read.

    Raises:
        TypeError: ``data`` is neither a tensor nor a map-style ``Dataset`` with ``__len__``, or ``batch_size``,
            ``seed``, ``rank`` or ``world_size`` is not an int.
        ValueError: ``data`` is a tensor of fewer than 2 dimensions, ``batch_size`` is larger than the data set or
            not divisible by ``world_size``, or an int is out of range.

    Example:
        ```python
        cursor = DataCursor(torch.randn(10, 2), batch_size=4, seed=0)
        x = cursor.next_batch()        # (4, 2): the first batch of epoch 0
        saved = cursor.state_dict()    # {"epoch": 0, "batch_in_epoch": 1}
        ```

    References:
        PyTorch's ``torch.utils.data.distributed.DistributedSampler``: a permutation per epoch from the seed and the
        epoch, and the ``set_epoch`` convention.
    """

    def __init__(self, data: Tensor | Dataset[Any], batch_size: int, seed: int = 0, *, rank: int = 0,
                 world_size: int = 1) -> None:
        self.batch_size = check_int(batch_size, "batch_size", minimum=1)
        self.seed = check_int(seed, "seed", minimum=0)
        self.world_size = check_int(world_size, "world_size", minimum=1)
        self.rank = check_int(rank, "rank", minimum=0, maximum=self.world_size - 1)
        if self.batch_size % self.world_size:
            raise ValueError(f"batch_size must be divisible by the number of processes ({self.world_size}); "
                             f"got batch_size = {self.batch_size}")
        if isinstance(data, Tensor):
            if data.ndim < 2:
                raise ValueError(f"data must be a tensor of examples (n, *dims); got shape {tuple(data.shape)}")
            n = int(data.shape[0])
        elif isinstance(data, Dataset) and hasattr(data, "__len__"):
            n = len(data)
        else:
            raise TypeError(f"data must be a tensor (n, *dims) or a map-style Dataset with __len__; "
                            f"got {type(data).__name__}")
        if n < self.batch_size:
            raise ValueError(f"batch_size ({self.batch_size}) is larger than the data set ({n} examples)")
        self.data, self.n = data, n
        self.local_batch = self.batch_size // self.world_size
        self.epoch, self.batch_in_epoch = 0, 0
        self._perm: Tensor | None = None  # the permutation of self.epoch, made when first needed

    @property
    def batches_per_epoch(self) -> int:
        """The number of global batches in an epoch, ``n // batch_size``."""
        return self.n // self.batch_size

    def permutation(self) -> Tensor:
        """The order of the examples in the current epoch: ``torch.randperm(n)`` seeded by ``seed·1000003 + epoch``.

        Returns:
            An int64 tensor ``(n,)``, a permutation of ``0..n-1`` (the same for the same seed and epoch).
        """
        if self._perm is None:
            g = torch.Generator().manual_seed(self.seed * _EPOCH_STRIDE + self.epoch)
            self._perm = torch.randperm(self.n, generator=g)
        return self._perm

    def next_indices(self) -> Tensor:
        """Advance to the next batch (into the next epoch after the last full batch) and return its indices.

        Returns:
            The indices of this process's slice of the batch, int64 of shape ``(local_batch,)``.
        """
        if self.batch_in_epoch >= self.batches_per_epoch:
            self.epoch, self.batch_in_epoch, self._perm = self.epoch + 1, 0, None
        start = self.batch_in_epoch * self.batch_size + self.rank * self.local_batch
        self.batch_in_epoch += 1
        return self.permutation()[start: start + self.local_batch]

    def next_batch(self) -> Tensor:
        """Advance to the next batch and read it: this process's slice, stacked, on the data's device.

        A data set with ``set_epoch`` is first told the epoch (so ``ImageDataset`` flips afresh in every epoch).

        Returns:
            The examples ``(local_batch, *dims)``.

        Raises:
            TypeError: the data set's items do not collate into a tensor (or into a pair whose first entry does).
        """
        idx = self.next_indices()
        if isinstance(self.data, Tensor):
            return self.data[idx]
        set_epoch = getattr(self.data, "set_epoch", None)
        if callable(set_epoch):
            set_epoch(self.epoch)
        batch = default_collate([self.data[int(i)] for i in idx])
        if isinstance(batch, (list, tuple)):
            batch = batch[0]  # (example, label) pairs: train on the examples
        if not isinstance(batch, Tensor):
            raise TypeError(f"the data set's items must collate into a tensor (or a pair whose first entry does); "
                            f"got {type(batch).__name__}")
        return batch

    def state_dict(self) -> dict[str, int]:
        """The position, all that is needed to continue exactly (the order follows from the seed and the epoch).

        Returns:
            ``{"epoch": ..., "batch_in_epoch": ...}``.
        """
        return {"epoch": self.epoch, "batch_in_epoch": self.batch_in_epoch}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Continue from a position saved by ``state_dict``.

        Args:
            state: a mapping with the ints ``epoch`` (>= 0) and ``batch_in_epoch`` (in ``[0, batches_per_epoch]``).

        Raises:
            TypeError: ``state`` is not a mapping, or a value is not an int.
            ValueError: a key is missing, or a value is out of range (``batch_in_epoch`` beyond the batches of an
                epoch of this data set: the state was saved for a larger data set or batch).
        """
        if not isinstance(state, Mapping):
            raise TypeError(f"the data cursor's state must be a mapping; got {type(state).__name__}")
        missing = sorted({"epoch", "batch_in_epoch"} - set(state))
        if missing:
            raise ValueError(f"the data cursor's state lacks {', '.join(missing)}")
        epoch = check_int(state["epoch"], "epoch", minimum=0)
        batch = check_int(state["batch_in_epoch"], "batch_in_epoch", minimum=0)
        if batch > self.batches_per_epoch:
            raise ValueError(f"batch_in_epoch = {batch} is beyond the {self.batches_per_epoch} batches of an epoch "
                             f"of this data set ({self.n} examples, batch_size {self.batch_size})")
        self.epoch, self.batch_in_epoch, self._perm = epoch, batch, None
