"""The load_dataset registry, its options, and the torch helpers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from codesign.data import DATASETS, DatasetError, load_dataset, make_loader, to_torch


def test_registry_names() -> None:
    assert set(DATASETS) == {"digits", "mnist", "fashion_mnist", "cifar10", "svhn", "jets"}
    with pytest.raises(TypeError):
        DATASETS["new"] = DATASETS["digits"]  # type: ignore[index]


def test_unknown_name_option_and_path() -> None:
    with pytest.raises(DatasetError, match="unknown dataset 'imagenet'; known: cifar10, digits"):
        load_dataset("imagenet")
    accepted = r"bad options \['colour'\].*accepted: \['test_fraction', 'seed'\]"
    with pytest.raises(DatasetError, match=accepted):
        load_dataset("digits", colour=True)
    with pytest.raises(DatasetError, match="takes no path"):
        load_dataset("digits", "/tmp")


def test_limit_is_stratified_and_seeded() -> None:
    small = load_dataset("digits", limit=50)
    assert len(small.train) == 50 and len(small.test) == 50
    assert np.bincount(small.train.y).tolist() == [5] * 10
    again = load_dataset("digits", limit=50)
    other = load_dataset("digits", limit=50, limit_seed=1)
    assert np.array_equal(small.train.x, again.train.x)
    assert not np.array_equal(small.train.x, other.train.x)


def test_to_torch_and_loader(tmp_path: Path) -> None:
    data = load_dataset("digits", limit=40)
    x, y = to_torch(data.train)
    assert x.dtype == torch.uint8 and x.shape == (40, 1, 8, 8) and y.dtype == torch.int64
    assert np.array_equal(x.numpy(), data.train.x)
    x[0, 0, 0, 0] = 7 if data.train.x[0, 0, 0, 0] != 7 else 8  # a copy: the split is untouched
    assert x[0, 0, 0, 0].item() != data.train.x[0, 0, 0, 0]

    def epochs(seed: int) -> list[list[int]]:
        loader = make_loader(data.train, 16, shuffle=True, seed=seed)
        return [torch.cat([yb for _, yb in loader]).tolist() for _ in range(2)]

    first = epochs(3)
    assert first == epochs(3) and first[0] != first[1] and first != epochs(4)
    assert sorted(first[0]) == sorted(data.train.y.tolist())
    batches = list(make_loader(data.train, 16, drop_last=True))
    assert [len(yb) for _, yb in batches] == [16, 16]
    assert np.array_equal(batches[0][0].numpy(), data.train.x[:16])


@pytest.mark.parametrize("shuffle,drop_last", [(True, True), (True, False), (False, False)])
def test_loader_batches_equal_torch_default_loader(shuffle: bool, drop_last: bool) -> None:
    """make_loader indexes whole batches; its batches (order, values, dtypes) are those of
    torch's per-sample DataLoader with the same seed, epoch after epoch, so recorded training
    results stay reproducible."""
    from torch.utils.data import DataLoader, TensorDataset

    data = load_dataset("digits", limit=300)
    ours = make_loader(data.train, 32, shuffle=shuffle, seed=5, drop_last=drop_last)
    reference = DataLoader(TensorDataset(*to_torch(data.train)), batch_size=32, shuffle=shuffle,
                           generator=torch.Generator().manual_seed(5), drop_last=drop_last)
    for _ in range(3):
        got, want = list(ours), list(reference)
        assert len(got) == len(want) == len(ours)
        for (xg, yg), (xw, yw) in zip(got, want):
            assert xg.dtype == xw.dtype and torch.equal(xg, xw) and torch.equal(yg, yw)
