"""Containers, validation and seeded stratified sampling of codesign.data.base."""

from __future__ import annotations

import numpy as np
import pytest

from codesign.data import DataSplit, Dataset, DatasetError, stratified_split
from codesign.data.base import stratified_take


def _dataset(n_train: int = 40, n_test: int = 20) -> Dataset:
    rng = np.random.default_rng(1)
    return Dataset(
        name="toy",
        train=DataSplit(
            rng.integers(0, 256, (n_train, 1, 2, 2), dtype=np.uint8),
            np.arange(n_train, dtype=np.int64) % 4,
        ),
        test=DataSplit(
            rng.integers(0, 256, (n_test, 1, 2, 2), dtype=np.uint8),
            np.arange(n_test, dtype=np.int64) % 4,
        ),
        num_classes=4,
        input_shape=(1, 2, 2),
        input_kind="uint8_image",
        class_names=("a", "b", "c", "d"),
    )


def test_split_rejects_count_mismatch_and_bad_labels() -> None:
    with pytest.raises(DatasetError, match="3 inputs but 2 labels"):
        DataSplit(np.zeros((3, 4), np.float32), np.zeros(2, np.int64))
    with pytest.raises(DatasetError, match="int64"):
        DataSplit(np.zeros((2, 4), np.float32), np.zeros(2, np.int32))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"num_classes": 3}, "class names"),
        ({"input_shape": (1, 4)}, "sample shape"),
        ({"input_kind": "features"}, "needs float32"),
        ({"input_kind": "audio"}, "unknown input_kind"),
    ],
)
def test_dataset_validates(change: dict, message: str) -> None:
    good = _dataset()
    fields = {
        "name": good.name,
        "train": good.train,
        "test": good.test,
        "num_classes": good.num_classes,
        "input_shape": good.input_shape,
        "input_kind": good.input_kind,
        "class_names": good.class_names,
    }
    with pytest.raises(DatasetError, match=message):
        Dataset(**{**fields, **change})


def test_dataset_rejects_labels_out_of_range() -> None:
    good = _dataset()
    bad = DataSplit(good.test.x, good.test.y + 1)
    with pytest.raises(DatasetError, match="labels outside"):
        Dataset("toy", good.train, bad, 4, (1, 2, 2), "uint8_image", ("a", "b", "c", "d"))


def test_stratified_take_exact_count_and_proportions() -> None:
    y = np.array([0] * 50 + [1] * 30 + [2] * 20, dtype=np.int64)
    picked = stratified_take(y, 10, np.random.default_rng(0))
    assert picked.shape == (10,) and np.all(np.diff(picked) > 0)
    assert np.bincount(y[picked]).tolist() == [5, 3, 2]
    # 7 of 100: quotas 3.5, 2.1, 1.4 -> floors 3, 2, 1, leftover to the largest remainder
    assert np.bincount(y[stratified_take(y, 7, np.random.default_rng(0))]).tolist() == [4, 2, 1]
    with pytest.raises(DatasetError):
        stratified_take(y, 101, np.random.default_rng(0))


def test_stratified_split_is_deterministic_and_partitions() -> None:
    y = np.arange(103, dtype=np.int64) % 3
    train, test = stratified_split(y, 0.25, seed=5)
    assert len(test) == 26 and len(train) == 77
    assert np.array_equal(np.sort(np.concatenate([train, test])), np.arange(103))
    again_train, again_test = stratified_split(y, 0.25, seed=5)
    assert np.array_equal(train, again_train) and np.array_equal(test, again_test)
    assert not np.array_equal(test, stratified_split(y, 0.25, seed=6)[1])
    with pytest.raises(DatasetError, match="test_fraction"):
        stratified_split(y, 1.0, seed=0)


def test_subsample_is_seeded_and_keeps_small_splits() -> None:
    data = _dataset()
    small = data.subsample(8, seed=3)
    assert len(small.train) == 8 and len(small.test) == 8
    assert np.bincount(small.train.y).tolist() == [2, 2, 2, 2]
    same = data.subsample(8, seed=3)
    assert np.array_equal(small.train.x, same.train.x)
    assert len(data.subsample(30).test) == 20  # a split below the limit is kept whole
    with pytest.raises(DatasetError, match="positive"):
        data.subsample(0)
