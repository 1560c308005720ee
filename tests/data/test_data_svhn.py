"""SVHN .mat files: layout (H, W, C, N) -> (N, C, H, W), label 10 -> digit 0."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.io import savemat

from codesign.data import DatasetError, load_dataset


def write_mat(
    path: Path, n: int, seed: int, **override: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Write an SVHN-style .mat of n random images with labels 1..10 (``override`` replaces)."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 256, (32, 32, 3, n), dtype=np.uint8)
    y = (np.arange(n, dtype=np.uint8) % 10 + 1).reshape(n, 1)  # 1..10
    savemat(path, {"X": x, "y": y, **override})
    return x, y


def test_loads_and_maps_labels(tmp_path: Path) -> None:
    x_train, y_train = write_mat(tmp_path / "train_32x32.mat", 12, 0)
    x_test, _ = write_mat(tmp_path / "test_32x32.mat", 5, 1)
    data = load_dataset("svhn", tmp_path)
    assert data.train.x.shape == (12, 3, 32, 32) and data.train.x.dtype == np.uint8
    assert data.test.x.shape == (5, 3, 32, 32)
    # sample n, channel c, row h, column w comes from X[h, w, c, n]
    assert data.train.x[7, 2, 5, 9] == x_train[5, 9, 2, 7]
    assert np.array_equal(data.test.x, x_test.transpose(3, 2, 0, 1))
    assert data.train.y.tolist() == [1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2]
    assert data.train.y.dtype == np.int64 and y_train[9, 0] == 10


def test_include_extra(tmp_path: Path) -> None:
    write_mat(tmp_path / "train_32x32.mat", 4, 0)
    write_mat(tmp_path / "test_32x32.mat", 3, 1)
    x_extra, _ = write_mat(tmp_path / "extra_32x32.mat", 6, 2)
    data = load_dataset("svhn", tmp_path, include_extra=True)
    assert len(data.train) == 10
    assert np.array_equal(data.train.x[4:], x_extra.transpose(3, 2, 0, 1))


def _message(directory: Path) -> str:
    with pytest.raises(DatasetError) as info:
        load_dataset("svhn", directory)
    message = str(info.value)
    assert "ufldl.stanford.edu/housenumbers" in message, message
    return message


def test_errors(tmp_path: Path) -> None:
    assert "directory not found" in _message(tmp_path / "absent")
    write_mat(tmp_path / "test_32x32.mat", 3, 1)
    message = _message(tmp_path)
    assert "train_32x32.mat" in message and "file not found" in message
    (tmp_path / "train_32x32.mat").write_bytes(b"MATLAB garbage")
    assert "not a readable .mat file" in _message(tmp_path)
    savemat(tmp_path / "train_32x32.mat", {"X": np.zeros((32, 32, 3, 2), np.uint8)})
    assert "lacks the X or y" in _message(tmp_path)
    write_mat(tmp_path / "train_32x32.mat", 4, 0, y=np.ones((3, 1), np.uint8))
    assert "X holds 4 images but y 3 labels" in _message(tmp_path)
    write_mat(tmp_path / "train_32x32.mat", 4, 0, y=np.zeros((4, 1), np.uint8))
    assert "labels outside 1..10" in _message(tmp_path)
    write_mat(tmp_path / "train_32x32.mat", 4, 0, X=np.zeros((28, 28, 1, 4), np.uint8))
    assert "expected uint8 (32, 32, 3, N)" in _message(tmp_path)
