"""MNIST / Fashion-MNIST idx files, gzipped and plain, and every malformed case."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest

from codesign.data import DatasetError, load_dataset
from codesign.data.idx import parse_idx

STEMS = {
    ("train", "images"): "train-images-idx3-ubyte",
    ("train", "labels"): "train-labels-idx1-ubyte",
    ("test", "images"): "t10k-images-idx3-ubyte",
    ("test", "labels"): "t10k-labels-idx1-ubyte",
}


def idx_bytes(array: np.ndarray, type_code: int = 0x08) -> bytes:
    """Encode a uint8 array as an idx file."""
    header = bytes([0, 0, type_code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(np.uint8).tobytes()


def make_split(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), np.arange(n, dtype=np.uint8) % 10


def write_dir(
    directory: Path, gz: bool, dotted: bool = False, n_train: int = 12, n_test: int = 7
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Write the four idx files; returns the arrays written per split."""
    directory.mkdir(parents=True, exist_ok=True)
    data = {"train": make_split(n_train, 0), "test": make_split(n_test, 1)}
    for (split, kind), stem in STEMS.items():
        payload = idx_bytes(data[split][0 if kind == "images" else 1])
        name = stem.replace("-idx", ".idx") if dotted else stem
        if gz:
            (directory / f"{name}.gz").write_bytes(gzip.compress(payload))
        else:
            (directory / name).write_bytes(payload)
    return data


@pytest.mark.parametrize(("gz", "dotted"), [(True, False), (False, False), (False, True)])
@pytest.mark.parametrize("name", ["mnist", "fashion_mnist"])
def test_loads_idx(tmp_path: Path, name: str, gz: bool, dotted: bool) -> None:
    written = write_dir(tmp_path, gz, dotted)
    data = load_dataset(name, tmp_path)
    assert data.name == name and data.input_shape == (1, 28, 28)
    for split in ("train", "test"):
        part = getattr(data, split)
        images, labels = written[split]
        assert part.x.dtype == np.uint8 and part.x.shape == (len(labels), 1, 28, 28)
        assert np.array_equal(part.x[:, 0], images)
        assert part.y.dtype == np.int64 and part.y.tolist() == labels.tolist()
    if name == "fashion_mnist":
        assert data.class_names[0] == "T-shirt/top" and data.class_names[9] == "Ankle boot"


def test_parse_idx_header_checks() -> None:
    good = idx_bytes(np.arange(6, dtype=np.uint8).reshape(2, 3))
    assert parse_idx(good).tolist() == [[0, 1, 2], [3, 4, 5]]
    with pytest.raises(DatasetError, match="magic"):
        parse_idx(b"\x01" + good[1:])
    with pytest.raises(DatasetError, match="unsigned byte"):
        parse_idx(good[:2] + b"\x0d" + good[3:])
    with pytest.raises(DatasetError, match="truncated"):
        parse_idx(good[:9])
    with pytest.raises(DatasetError, match="holds 5 bytes"):
        parse_idx(good[:-1])
    with pytest.raises(DatasetError, match="holds 7 bytes"):
        parse_idx(good + b"\x00")
    with pytest.raises(DatasetError, match="header"):
        parse_idx(b"\x00\x00")


def _replace(directory: Path, stem: str, payload: bytes) -> Path:
    path = directory / f"{stem}.gz"
    path.write_bytes(payload)
    return path


def _expect(directory: Path, name: str, *fragments: str) -> str:
    with pytest.raises(DatasetError) as info:
        load_dataset(name, directory)
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, message
    return message


def test_missing_directory_and_file(tmp_path: Path) -> None:
    message = _expect(tmp_path / "absent", "fashion_mnist", "directory not found", "absent")
    assert "apt-get install dataset-fashion-mnist" in message
    assert "train-images-idx3-ubyte" in message
    _expect(tmp_path, "mnist", "no file train-images-idx3-ubyte", str(tmp_path))
    with pytest.raises(DatasetError, match="no path given"):
        load_dataset("mnist")


def test_truncated_and_corrupt_files(tmp_path: Path) -> None:
    write_dir(tmp_path, gz=True)
    stem = STEMS[("train", "images")]
    good = gzip.decompress((tmp_path / f"{stem}.gz").read_bytes())
    path = _replace(tmp_path, stem, gzip.compress(good[:-100]))
    _expect(tmp_path, "mnist", str(path), "file holds", "expected:")
    path = _replace(tmp_path, stem, gzip.compress(good)[:-20])  # cut gzip stream
    _expect(tmp_path, "mnist", str(path), "corrupt gzip")
    path = _replace(tmp_path, stem, gzip.compress(b"\x08\x03" + good[2:]))
    _expect(tmp_path, "mnist", str(path), "bad idx magic")


def test_count_mismatch_labels_and_dims(tmp_path: Path) -> None:
    write_dir(tmp_path, gz=True)
    labels_stem = STEMS[("test", "labels")]
    _replace(tmp_path, labels_stem, gzip.compress(idx_bytes(np.zeros(6, np.uint8))))
    _expect(tmp_path, "mnist", "holds 7 images", "holds 6 labels")
    _replace(tmp_path, labels_stem, gzip.compress(idx_bytes(np.full(7, 10, np.uint8))))
    _expect(tmp_path, "mnist", "label 10 outside 0..9")
    _replace(tmp_path, labels_stem, gzip.compress(idx_bytes(np.zeros((7, 1), np.uint8))))
    _expect(tmp_path, "mnist", "2 dimensions, expected 1")
    images_stem = STEMS[("test", "images")]
    write_dir(tmp_path, gz=True)
    _replace(tmp_path, images_stem, gzip.compress(idx_bytes(np.zeros((7, 28, 27), np.uint8))))
    _expect(tmp_path, "mnist", "(28, 27), expected (28, 28)")
