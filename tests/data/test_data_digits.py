"""The embedded digits dataset: exact pixel mapping and a fixed seeded split."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_digits as sklearn_digits

from codesign.data import DatasetError, load_dataset
from codesign.data.digits import pixels_to_uint8


def test_pixel_mapping_rounds_half_up() -> None:
    v = np.arange(17)
    expected = [round(k * 255 / 16 + 1e-9) for k in range(17)]  # halves (k=8) round up
    assert pixels_to_uint8(v).tolist() == expected
    assert pixels_to_uint8(np.array([0.0, 8.0, 16.0])).tolist() == [0, 128, 255]
    with pytest.raises(DatasetError):
        pixels_to_uint8(np.array([17]))
    with pytest.raises(DatasetError):
        pixels_to_uint8(np.array([1.5]))


def test_digits_shapes_values_and_split() -> None:
    data = load_dataset("digits")
    assert (len(data.train), len(data.test)) == (1438, 359)
    assert data.train.x.dtype == np.uint8 and data.train.x.shape[1:] == (1, 8, 8)
    assert data.input_shape == (1, 8, 8) and data.input_kind == "uint8_image"
    assert data.class_names == tuple("0123456789") and data.num_classes == 10
    assert np.bincount(data.test.y).tolist() == [36, 36, 35, 37, 36, 36, 36, 36, 35, 36]

    # every source image appears exactly once, mapped exactly, with its label
    source = sklearn_digits()
    mapped = (source.images.astype(np.int64) * 255 + 8) // 16
    x = np.concatenate([data.train.x, data.test.x])[:, 0].astype(np.int64)
    y = np.concatenate([data.train.y, data.test.y])
    key = lambda a: [bytes(row) for row in a.reshape(len(a), -1).astype(np.uint8)]  # noqa: E731
    assert sorted(zip(key(x), y.tolist())) == sorted(zip(key(mapped), source.target.tolist()))


def test_digits_split_is_deterministic_per_seed() -> None:
    first = load_dataset("digits")
    second = load_dataset("digits", seed=0)
    assert np.array_equal(first.test.x, second.test.x)
    assert np.array_equal(first.train.y, second.train.y)
    other = load_dataset("digits", seed=1, test_fraction=0.25)
    assert len(other.test) == 449
    assert not np.array_equal(first.test.x, other.test.x[: len(first.test)])
