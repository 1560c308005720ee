"""SVHN (Street View House Numbers, cropped digits) from the local ``.mat`` files.

Files: ``train_32x32.mat`` and ``test_32x32.mat`` (and, optionally, ``extra_32x32.mat``)
in one directory, as published. Each holds ``X``, ``uint8`` of shape (32, 32, 3, N)
(H, W, C, N), and ``y``, shape (N, 1), with labels 1..10 where 10 means digit 0.
The result has ``uint8`` images (N, 3, 32, 32) and labels 0..9 (the digit itself).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from codesign.data.base import DataSplit, Dataset, dataset_error

NAME = "svhn"
CLASS_NAMES = tuple(str(d) for d in range(10))
FORMAT = (
    "a directory with train_32x32.mat and test_32x32.mat (MATLAB files holding X uint8 "
    "(32, 32, 3, N) and y (N, 1) with labels 1..10, 10 meaning digit 0)"
)
SOURCE = "the 'Format 2: cropped digits' files of http://ufldl.stanford.edu/housenumbers/"


def _load_mat(path: Path) -> DataSplit:
    """Read one SVHN ``.mat`` file as a split of (N, 3, 32, 32) uint8 images."""
    from scipy.io import loadmat

    if not path.is_file():
        raise dataset_error(NAME, path, "file not found", FORMAT, SOURCE)
    try:
        contents = loadmat(path)
    except Exception as exc:  # scipy raises ValueError, TypeError, OSError... on bad files
        raise dataset_error(
            NAME, path, f"not a readable .mat file ({type(exc).__name__}: {exc})", FORMAT, SOURCE
        ) from exc
    if "X" not in contents or "y" not in contents:
        raise dataset_error(NAME, path, "the file lacks the X or y variable", FORMAT, SOURCE)
    x, y = np.asarray(contents["X"]), np.asarray(contents["y"]).reshape(-1)
    if x.dtype != np.uint8 or x.ndim != 4 or x.shape[:3] != (32, 32, 3):
        raise dataset_error(
            NAME, path, f"X is {x.dtype} {x.shape}, expected uint8 (32, 32, 3, N)", FORMAT, SOURCE
        )
    if y.shape[0] != x.shape[3]:
        raise dataset_error(
            NAME, path, f"X holds {x.shape[3]} images but y {y.shape[0]} labels", FORMAT, SOURCE
        )
    if y.size and (y.min() < 1 or y.max() > 10):
        raise dataset_error(NAME, path, "labels outside 1..10", FORMAT, SOURCE)
    labels = y.astype(np.int64) % 10
    return DataSplit(np.ascontiguousarray(x.transpose(3, 2, 0, 1)), labels)


def load_svhn(path: Path | str | None, include_extra: bool = False) -> Dataset:
    """Load SVHN (73,257 train, 26,032 test images in the original) from ``.mat`` files.

    Args:
        path: directory holding ``train_32x32.mat`` and ``test_32x32.mat``.
        include_extra: append ``extra_32x32.mat`` (531,131 easier images) to train.

    Returns:
        ``Dataset`` with ``uint8`` images (N, 3, 32, 32) and labels 0..9.
    """
    if path is None or not Path(path).is_dir():
        problem = "no path given" if path is None else "directory not found"
        raise dataset_error(NAME, path, problem, FORMAT, SOURCE)
    directory = Path(path)
    train = _load_mat(directory / "train_32x32.mat")
    if include_extra:
        extra = _load_mat(directory / "extra_32x32.mat")
        train = DataSplit(np.concatenate([train.x, extra.x]), np.concatenate([train.y, extra.y]))
    return Dataset(
        name=NAME,
        train=train,
        test=_load_mat(directory / "test_32x32.mat"),
        num_classes=10,
        input_shape=(3, 32, 32),
        input_kind="uint8_image",
        class_names=CLASS_NAMES,
    )
