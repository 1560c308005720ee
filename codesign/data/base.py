"""Dataset containers, the loading error, and seeded stratified sampling.

Everything here is numpy only. A :class:`Dataset` holds a fixed train/test split
of one classification task; images are ``uint8`` in channel-first ``(N, C, H, W)``
layout (pixel values 0..255) and tabular features are ``float32`` ``(N, F)``.
Labels are always ``int64`` class indices ``0 .. num_classes - 1``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType
from typing import Literal

import numpy as np

InputKind = Literal["uint8_image", "features"]
"""How to read ``x``: ``uint8`` pixels (N, C, H, W) or ``float32`` features (N, F)."""

_DTYPE_OF_KIND = MappingProxyType(
    {"uint8_image": np.dtype(np.uint8), "features": np.dtype(np.float32)}
)


class DatasetError(ValueError):
    """A dataset file is missing or malformed, or a loader option is invalid."""


def dataset_error(
    dataset: str, path: Path | str | None, problem: str, expected: str, source: str
) -> DatasetError:
    """Build the one error a failed load ends in.

    Args:
        dataset: registry name, e.g. ``"fashion_mnist"``.
        path: the file or directory that was read (``None`` if none was given).
        problem: what is wrong, e.g. ``"file not found"``.
        expected: the expected format of the files.
        source: where to get the files.
    """
    where = f" from {path}" if path is not None else ""
    return DatasetError(
        f"cannot load dataset '{dataset}'{where}: {problem}.\n"
        f"  expected: {expected}\n"
        f"  get it: {source}"
    )


@dataclass(frozen=True, eq=False)
class DataSplit:
    """One split (train or test) of a dataset.

    Attributes:
        x: inputs, shape ``(N, *input_shape)``; ``uint8`` pixels (N, C, H, W) or
            ``float32`` features (N, F).
        y: class indices, ``int64``, shape ``(N,)``.
    """

    x: np.ndarray
    y: np.ndarray

    def __post_init__(self) -> None:
        if self.y.ndim != 1 or self.y.dtype != np.int64:
            raise DatasetError(
                f"labels must be a 1-D int64 array, got shape {self.y.shape} dtype {self.y.dtype}"
            )
        if self.x.shape[:1] != self.y.shape:
            raise DatasetError(
                f"{self.x.shape[0] if self.x.ndim else 0} inputs but {self.y.shape[0]} labels"
            )

    def __len__(self) -> int:
        return int(self.y.shape[0])

    def take(self, indices: np.ndarray) -> DataSplit:
        """The samples at ``indices`` (1-D integer array), in that order."""
        return DataSplit(self.x[indices], self.y[indices])


@dataclass(frozen=True, eq=False)
class Dataset:
    """A classification dataset with a fixed train/test split.

    Attributes:
        name: registry name, e.g. ``"digits"``.
        train: training split.
        test: test split.
        num_classes: number of classes; labels lie in ``[0, num_classes)``.
        input_shape: shape of one sample, e.g. ``(1, 8, 8)`` (C, H, W) or ``(16,)``.
        input_kind: ``"uint8_image"`` (pixels 0..255) or ``"features"`` (float32).
        class_names: one name per class index.
    """

    name: str
    train: DataSplit
    test: DataSplit
    num_classes: int
    input_shape: tuple[int, ...]
    input_kind: InputKind
    class_names: tuple[str, ...]

    def __post_init__(self) -> None:
        if self.input_kind not in _DTYPE_OF_KIND:
            raise DatasetError(f"{self.name}: unknown input_kind {self.input_kind!r}")
        if len(self.class_names) != self.num_classes:
            raise DatasetError(
                f"{self.name}: {len(self.class_names)} class names for {self.num_classes} classes"
            )
        dtype = _DTYPE_OF_KIND[self.input_kind]
        for split_name, split in (("train", self.train), ("test", self.test)):
            if split.x.dtype != dtype:
                raise DatasetError(
                    f"{self.name} {split_name}: inputs are {split.x.dtype}, "
                    f"{self.input_kind} needs {dtype}"
                )
            if split.x.shape[1:] != tuple(self.input_shape):
                raise DatasetError(
                    f"{self.name} {split_name}: sample shape {split.x.shape[1:]}, "
                    f"expected {tuple(self.input_shape)}"
                )
            if len(split) and (split.y.min() < 0 or split.y.max() >= self.num_classes):
                raise DatasetError(
                    f"{self.name} {split_name}: labels outside [0, {self.num_classes})"
                )

    def subsample(self, limit: int, seed: int = 0) -> Dataset:
        """A copy with at most ``limit`` samples per split, drawn stratified and seeded.

        Each split keeps ``min(limit, len(split))`` samples, in their original order,
        with every class represented in proportion to its frequency (largest-remainder
        rounding). Used for quick runs; the same ``seed`` gives the same samples.
        """
        if limit < 1:
            raise DatasetError(f"limit must be a positive number of samples, got {limit}")
        rng = np.random.default_rng(seed)
        parts = {}
        for split_name in ("train", "test"):
            split: DataSplit = getattr(self, split_name)
            if len(split) > limit:
                split = split.take(stratified_take(split.y, limit, rng))
            parts[split_name] = split
        return replace(self, **parts)


def stratified_take(y: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Pick exactly ``n`` indices of ``y``, stratified by class.

    Class ``c`` with ``n_c`` samples gets ``n * n_c / len(y)`` picks, rounded down,
    and the leftover picks go to the classes with the largest remainders (ties to the
    smaller class index). Within a class the picks are a uniform random subset.

    Args:
        y: labels, shape (N,).
        n: number of indices to pick, ``0 <= n <= N``.
        rng: random generator; the only source of randomness.

    Returns:
        Sorted ``int64`` indices into ``y``, shape (n,).
    """
    total = int(y.shape[0])
    if not 0 <= n <= total:
        raise DatasetError(f"cannot pick {n} of {total} samples")
    classes, counts = np.unique(y, return_counts=True)
    exact = counts * n
    quota = exact // total
    remainder = exact - quota * total
    # stable sort: equal remainders keep ascending class order
    order = np.argsort(-remainder, kind="stable")
    quota[order[: n - int(quota.sum())]] += 1
    picked = [
        rng.permutation(np.flatnonzero(y == c))[:q] for c, q in zip(classes, quota, strict=True)
    ]
    return np.sort(np.concatenate(picked)).astype(np.int64)


def stratified_split(
    y: np.ndarray, test_fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Seeded stratified train/test split of ``N`` samples.

    The test split has ``round(test_fraction * N)`` samples (halves round up), drawn by
    :func:`stratified_take` with ``numpy.random.default_rng(seed)``; the rest is train.

    Returns:
        ``(train_indices, test_indices)``, sorted ``int64`` arrays.
    """
    if not 0.0 < test_fraction < 1.0:
        raise DatasetError(f"test_fraction must lie in (0, 1), got {test_fraction}")
    total = int(y.shape[0])
    n_test = int(np.floor(test_fraction * total + 0.5))
    test = stratified_take(y, n_test, np.random.default_rng(seed))
    train = np.setdiff1d(np.arange(total, dtype=np.int64), test, assume_unique=True)
    return train, test
