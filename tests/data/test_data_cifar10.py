"""CIFAR-10: pickle batches and image-folder trees, as directories and archives."""

from __future__ import annotations

import pickle
import tarfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from codesign.data import DatasetError, load_dataset
from codesign.data.cifar10 import CLASS_NAMES


def _batch(n: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    return {
        b"batch_label": b"test",
        b"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
        b"labels": [int(v) for v in rng.integers(0, 10, n)],
    }


def write_pickles(directory: Path, meta: bool = True) -> dict[str, dict]:
    """Write data_batch_1..5 (3 images each) and test_batch (4 images)."""
    directory.mkdir(parents=True, exist_ok=True)
    batches = {f"data_batch_{i}": _batch(3, i) for i in range(1, 6)}
    batches["test_batch"] = _batch(4, 9)
    for name, batch in batches.items():
        (directory / name).write_bytes(pickle.dumps(batch, protocol=2))
    if meta:
        names = [n.encode() for n in CLASS_NAMES]
        (directory / "batches.meta").write_bytes(pickle.dumps({b"label_names": names}))
    return batches


def _check_pickles(data, batches: dict[str, dict]) -> None:
    train_rows = np.concatenate([batches[f"data_batch_{i}"][b"data"] for i in range(1, 6)])
    assert data.train.x.shape == (15, 3, 32, 32) and data.train.x.dtype == np.uint8
    # row layout: 1024 red, then 1024 green, then 1024 blue values, each row-major 32x32
    assert data.train.x[4, 1, 2, 3] == train_rows[4, 1024 + 2 * 32 + 3]
    assert np.array_equal(data.train.x.reshape(15, -1), train_rows)
    assert data.test.y.tolist() == batches["test_batch"][b"labels"]
    assert data.test.y.dtype == np.int64 and data.class_names == CLASS_NAMES


def test_pickle_directory(tmp_path: Path) -> None:
    batches = write_pickles(tmp_path)
    _check_pickles(load_dataset("cifar10", tmp_path), batches)


def test_pickle_nested_and_archive(tmp_path: Path) -> None:
    batches = write_pickles(tmp_path / "src" / "cifar-10-batches-py", meta=False)
    _check_pickles(load_dataset("cifar10", tmp_path / "src"), batches)
    archive = tmp_path / "cifar-10-python.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(tmp_path / "src" / "cifar-10-batches-py", arcname="cifar-10-batches-py")
    _check_pickles(load_dataset("cifar10", archive), batches)
    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(archive.read_bytes()[:-200])
    assert "not a readable directory or tar archive" in _message(truncated)


def write_image_tree(root: Path, suffix: str, per_class: int = 2) -> dict[str, list[np.ndarray]]:
    """Write train|test/<class>/NNNN<suffix> 32x32 RGB images; returns pixels per split."""
    rng = np.random.default_rng(0)
    written: dict[str, list[np.ndarray]] = {"train": [], "test": []}
    for split in ("train", "test"):
        for name in CLASS_NAMES:
            folder = root / split / name
            folder.mkdir(parents=True)
            for i in range(per_class):
                pixels = rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)
                if suffix == ".jpg":  # smooth content so lossy JPEG stays close
                    pixels = np.broadcast_to(
                        rng.integers(0, 256, (1, 1, 3), dtype=np.uint8), (32, 32, 3)
                    ).copy()
                Image.fromarray(pixels).save(folder / f"{i:04d}{suffix}")
                written[split].append(pixels.transpose(2, 0, 1))
    return written


def test_image_folder_png_exact(tmp_path: Path) -> None:
    written = write_image_tree(tmp_path, ".png")
    data = load_dataset("cifar10", tmp_path)
    assert data.train.x.shape == (20, 3, 32, 32) and data.test.x.shape == (20, 3, 32, 32)
    assert np.array_equal(data.train.x, np.stack(written["train"]))
    assert data.train.y.tolist() == [c for c in range(10) for _ in range(2)]
    assert data.class_names == CLASS_NAMES


def test_image_folder_jpg_and_archive(tmp_path: Path) -> None:
    written = write_image_tree(tmp_path / "tree", ".jpg")
    data = load_dataset("cifar10", tmp_path / "tree")
    error = np.abs(data.test.x.astype(int) - np.stack(written["test"]).astype(int))
    assert data.test.x.dtype == np.uint8 and error.max() <= 4
    archive = tmp_path / "tree.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(tmp_path / "tree", arcname="cifar10_jpg")
    from_archive = load_dataset("cifar10", archive)
    assert np.array_equal(from_archive.test.x, data.test.x)
    assert np.array_equal(from_archive.train.y, data.train.y)


def _message(path: Path) -> str:
    with pytest.raises(DatasetError) as info:
        load_dataset("cifar10", path)
    message = str(info.value)
    assert str(path) in message and "cifar-10-python.tar.gz" in message, message
    return message


def test_missing_and_unreadable(tmp_path: Path) -> None:
    assert "not found" in _message(tmp_path / "absent")
    (tmp_path / "empty").mkdir()
    assert "found neither test_batch" in _message(tmp_path / "empty")
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not an archive")
    assert "tar archive" in _message(junk)
    with pytest.raises(DatasetError, match="no path given"):
        load_dataset("cifar10")


def test_bad_pickles(tmp_path: Path) -> None:
    write_pickles(tmp_path)
    (tmp_path / "data_batch_3").unlink()
    assert "data_batch_3 missing" in _message(tmp_path)
    write_pickles(tmp_path)
    (tmp_path / "data_batch_3").write_bytes(b"garbage")
    assert "data_batch_3 is not a readable pickle" in _message(tmp_path)
    batch = _batch(3, 0)
    batch[b"labels"] = batch[b"labels"][:2]
    (tmp_path / "data_batch_3").write_bytes(pickle.dumps(batch))
    assert "3 images but 2 labels" in _message(tmp_path)
    batch = _batch(3, 0)
    batch[b"data"] = batch[b"data"][:, :3000]
    (tmp_path / "data_batch_3").write_bytes(pickle.dumps(batch))
    assert "expected uint8 (N, 3072)" in _message(tmp_path)
    batch = _batch(3, 0)
    batch[b"labels"] = [0, 1, 10]
    (tmp_path / "data_batch_3").write_bytes(pickle.dumps(batch))
    assert "labels outside 0..9" in _message(tmp_path)
    (tmp_path / "data_batch_3").write_bytes(pickle.dumps([1, 2]))
    assert "not a dict" in _message(tmp_path)


def test_bad_image_trees(tmp_path: Path) -> None:
    write_image_tree(tmp_path / "a", ".png", per_class=1)
    Image.new("RGB", (31, 32)).save(tmp_path / "a" / "test" / "cat" / "9999.png")
    assert "9999.png is 31x32, expected 32x32" in _message(tmp_path / "a")
    write_image_tree(tmp_path / "b", ".png", per_class=1)
    (tmp_path / "b" / "train" / "dog" / "9999.png").write_bytes(b"not a png")
    assert "9999.png is not a readable image" in _message(tmp_path / "b")
    write_image_tree(tmp_path / "c", ".png", per_class=1)
    for split in ("train", "test"):
        for f in (tmp_path / "c" / split / "truck").iterdir():
            f.unlink()
    assert "9 class directories, expected 10" in _message(tmp_path / "c")
    write_image_tree(tmp_path / "d", ".png", per_class=1)
    (tmp_path / "d" / "test" / "ship" / "0000.png").rename(tmp_path / "d" / "test" / "boat.png")
    (tmp_path / "d" / "test" / "boats").mkdir()
    (tmp_path / "d" / "test" / "boat.png").rename(tmp_path / "d" / "test" / "boats" / "0.png")
    assert "differ from test classes" in _message(tmp_path / "d")


def test_two_image_trees_are_ambiguous(tmp_path: Path) -> None:
    write_image_tree(tmp_path / "e" / "one", ".png", per_class=1)
    write_image_tree(tmp_path / "e" / "two", ".png", per_class=1)
    assert "several roots" in _message(tmp_path / "e")
