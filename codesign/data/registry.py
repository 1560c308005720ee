"""``load_dataset``: one entry point over every dataset loader, keyed by name."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from codesign.data.base import Dataset, DatasetError
from codesign.data.cifar10 import load_cifar10
from codesign.data.digits import load_digits
from codesign.data.idx import load_fashion_mnist, load_mnist
from codesign.data.jets import load_jets
from codesign.data.svhn import load_svhn


@dataclass(frozen=True)
class DatasetEntry:
    """How to load one dataset.

    Attributes:
        loader: the loading function; takes ``path`` first when ``takes_path``.
        takes_path: whether the data come from a local file or directory.
        description: one line for help texts.
    """

    loader: Callable[..., Dataset]
    takes_path: bool
    description: str


DATASETS: MappingProxyType[str, DatasetEntry] = MappingProxyType(
    {
        "digits": DatasetEntry(
            load_digits, False, "scikit-learn's bundled 8x8 digits, uint8 (1, 8, 8), 10 classes"
        ),
        "mnist": DatasetEntry(load_mnist, True, "MNIST idx files, uint8 (1, 28, 28), 10 classes"),
        "fashion_mnist": DatasetEntry(
            load_fashion_mnist, True, "Fashion-MNIST idx files, uint8 (1, 28, 28), 10 classes"
        ),
        "cifar10": DatasetEntry(
            load_cifar10, True, "CIFAR-10 pickles or image folder, uint8 (3, 32, 32), 10 classes"
        ),
        "svhn": DatasetEntry(load_svhn, True, "SVHN .mat files, uint8 (3, 32, 32), 10 classes"),
        "jets": DatasetEntry(
            load_jets, True, "hls4ml jet tagging, float32 (16,) standardised, 5 classes"
        ),
    }
)
"""Every dataset by name. Read-only."""


def load_dataset(
    name: str,
    path: Path | str | None = None,
    *,
    limit: int | None = None,
    limit_seed: int = 0,
    **options: Any,
) -> Dataset:
    """Load a dataset by registry name.

    Args:
        name: a key of :data:`DATASETS`.
        path: the local file or directory for file-based datasets (``None``: the
            loader's default, e.g. ``/usr/share/datasets/fashion-mnist``); must be
            ``None`` for ``digits``.
        limit: keep at most this many samples per split, stratified (quick runs).
        limit_seed: seed of the ``limit`` subsample.
        **options: loader options, e.g. ``seed`` and ``test_fraction`` for digits and
            jets, ``include_extra`` for svhn, ``standardize`` for jets.

    Raises:
        DatasetError: unknown name or option, or a missing or malformed file.
    """
    entry = DATASETS.get(name)
    if entry is None:
        raise DatasetError(f"unknown dataset '{name}'; known: {', '.join(sorted(DATASETS))}")
    if entry.takes_path:
        args: tuple[Any, ...] = (path,)
    elif path is not None:
        raise DatasetError(f"dataset '{name}' is built in and takes no path (got {path})")
    else:
        args = ()
    try:
        inspect.signature(entry.loader).bind(*args, **options)
    except TypeError as exc:
        accepted = [p for p in inspect.signature(entry.loader).parameters if p != "path"]
        raise DatasetError(
            f"dataset '{name}': bad options {sorted(options)} ({exc}); accepted: {accepted}"
        ) from exc
    dataset = entry.loader(*args, **options)
    return dataset if limit is None else dataset.subsample(limit, limit_seed)
