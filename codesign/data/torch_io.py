"""Torch views of a :class:`~codesign.data.base.DataSplit`: the only module here using torch.

Inputs keep their stored dtype (``uint8`` pixels 0..255, ``float32`` features);
scaling pixels is the model's job (e.g. a thermometer encoder or an input quantizer),
so the integer values the hardware sees stay visible.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from codesign.data.base import DataSplit

if TYPE_CHECKING:
    import torch
    from torch.utils.data import DataLoader


def to_torch(split: DataSplit) -> tuple[torch.Tensor, torch.Tensor]:
    """Copy a split into CPU tensors.

    Returns:
        ``(x, y)``: ``x`` of shape (N, *input_shape) in the split's dtype (``uint8``
        or ``float32``), ``y`` of shape (N,) ``int64``.
    """
    import torch

    return torch.from_numpy(np.array(split.x)), torch.from_numpy(np.array(split.y))


def make_loader(
    split: DataSplit,
    batch_size: int,
    *,
    shuffle: bool = False,
    seed: int = 0,
    drop_last: bool = False,
) -> DataLoader:
    """A single-process ``DataLoader`` over a split, reproducible for a seed.

    Args:
        split: the samples.
        batch_size: samples per batch.
        shuffle: reshuffle every epoch, from a ``torch.Generator`` seeded with ``seed``
            (so the sequence of epochs is the same in every run).
        seed: seed of the shuffling.
        drop_last: drop the last incomplete batch.

    Returns:
        Loader yielding ``(x, y)`` batches shaped (B, *input_shape) and (B,).
    """
    import torch
    from torch.utils.data import BatchSampler, DataLoader, RandomSampler, SequentialSampler

    x, y = to_torch(split)
    generator = torch.Generator().manual_seed(seed)
    indices = range(len(y))
    order = RandomSampler(indices, generator=generator) if shuffle else SequentialSampler(indices)
    # the loader draws from the same generator as torch's shuffle=True loader, so the batches
    # come in the same order; each batch is one indexing, not batch_size samples stacked
    return DataLoader(
        _Batches(x, y),
        sampler=BatchSampler(order, batch_size, drop_last),
        batch_size=None,
        generator=generator,
        num_workers=0,
    )


class _Batches:
    """Map-style dataset whose items are whole batches: ``batches[indices] = (x[indices], y[indices])``."""

    def __init__(self, x: torch.Tensor, y: torch.Tensor) -> None:
        self.x, self.y = x, y

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, indices: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
        import torch

        index = torch.as_tensor(indices)  # index_select: torch's x[index] on uint8 images is ~1000x slower
        return self.x.index_select(0, index), self.y.index_select(0, index)
