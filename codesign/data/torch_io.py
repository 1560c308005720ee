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
    from torch.utils.data import DataLoader, TensorDataset

    x, y = to_torch(split)
    generator = torch.Generator().manual_seed(seed)
    return DataLoader(
        TensorDataset(x, y),
        batch_size=batch_size,
        shuffle=shuffle,
        generator=generator,
        drop_last=drop_last,
        num_workers=0,
    )
