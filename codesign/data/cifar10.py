"""CIFAR-10 from local files: the python-pickle batches or an image-folder tree.

Two layouts are read, from a directory or straight from a ``.tar``/``.tar.gz``/``.tgz``
archive of it (nothing is extracted to disk):

* the "CIFAR-10 python version": ``data_batch_1`` .. ``data_batch_5`` and
  ``test_batch`` (optionally ``batches.meta``) in one directory, usually
  ``cifar-10-batches-py/``. Each batch is a pickled dict with ``b"data"``, ``uint8``
  (N, 3072) holding the R, G, B planes of 32x32 images, and ``b"labels"``, N ints.
  Pickles can run code when loaded: only read files you trust.
* an image-folder tree ``train/<class>/*.png|jpg`` and ``test/<class>/*.png|jpg`` of
  32x32 images with 10 class directories; class indices follow the sorted directory
  names (for the CIFAR-10 names that is the standard order). Samples come grouped by
  class, files sorted by name.

The result has ``uint8`` images (N, 3, 32, 32).
"""

from __future__ import annotations

import io
import pickle
import tarfile
import zlib
from pathlib import Path, PurePosixPath

import numpy as np

from codesign.data.base import DataSplit, Dataset, DatasetError, dataset_error

NAME = "cifar10"
CLASS_NAMES = (
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
)
TRAIN_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))
TEST_BATCH = "test_batch"
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
SPLITS = ("train", "test")
FORMAT = (
    "the CIFAR-10 python version (data_batch_1..data_batch_5 and test_batch, pickled dicts "
    "with b'data' uint8 (N, 3072) and b'labels', possibly inside cifar-10-batches-py/) or an "
    "image-folder tree train|test/<class>/*.png|jpg of 32x32 images in 10 class directories; "
    "as a directory or a .tar/.tar.gz archive"
)
SOURCE = (
    "the 'CIFAR-10 python version' cifar-10-python.tar.gz from "
    "https://www.cs.toronto.edu/~kriz/cifar.html (pass the archive or its unpacked directory)"
)


def _error(path: Path | None, problem: str) -> DatasetError:
    """The dataset error for CIFAR-10 at ``path``."""
    return dataset_error(NAME, path, problem, FORMAT, SOURCE)


def _is_wanted(rel: PurePosixPath) -> bool:
    """Whether a file can belong to either layout (others are not read from archives)."""
    return (
        rel.name in TRAIN_BATCHES
        or rel.name in (TEST_BATCH, "batches.meta")
        or rel.suffix.lower() in IMAGE_SUFFIXES
    )


def _read_tree(path: Path) -> dict[PurePosixPath, bytes | Path]:
    """Map each candidate file's relative path to its bytes (archive) or its path (directory)."""
    if path.is_dir():
        return {
            PurePosixPath(p.relative_to(path).as_posix()): p
            for p in path.rglob("*")
            if p.is_file() and _is_wanted(PurePosixPath(p.name))
        }
    try:
        with tarfile.open(path) as archive:
            tree: dict[PurePosixPath, bytes | Path] = {}
            for member in archive:
                rel = PurePosixPath(member.name)
                if member.isfile() and _is_wanted(rel):
                    handle = archive.extractfile(member)
                    if handle is not None:
                        tree[rel] = handle.read()
            return tree
    except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
        raise _error(path, f"not a readable directory or tar archive ({exc})") from exc


def _content(entry: bytes | Path) -> bytes:
    """The bytes of a tree entry."""
    return entry.read_bytes() if isinstance(entry, Path) else entry


def _unpickle(path: Path, rel: PurePosixPath, entry: bytes | Path) -> dict:
    """Unpickle a batch or meta file (bytes keys, as written by Python 2)."""
    try:
        obj = pickle.loads(_content(entry), encoding="bytes")
    except Exception as exc:  # unpickling malformed data can raise almost anything
        problem = f"{rel} is not a readable pickle ({type(exc).__name__}: {exc})"
        raise _error(path, problem) from exc
    if not isinstance(obj, dict):
        raise _error(path, f"{rel} holds a {type(obj).__name__}, not a dict")
    return obj


def _batch(path: Path, rel: PurePosixPath, entry: bytes | Path) -> DataSplit:
    """Decode one pickled batch to a split of (N, 3, 32, 32) uint8 images."""
    batch = _unpickle(path, rel, entry)
    if b"data" not in batch or b"labels" not in batch:
        raise _error(path, f"{rel} lacks the b'data' or b'labels' entry")
    data = np.asarray(batch[b"data"])
    labels = np.asarray(batch[b"labels"])
    if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3 * 32 * 32:
        raise _error(
            path, f"{rel}: b'data' is {data.dtype} {data.shape}, expected uint8 (N, 3072)"
        )
    if labels.shape != (data.shape[0],):
        raise _error(path, f"{rel}: {data.shape[0]} images but {labels.size} labels")
    if labels.size and (labels.min() < 0 or labels.max() > 9):
        raise _error(path, f"{rel}: labels outside 0..9")
    return DataSplit(data.reshape(-1, 3, 32, 32).copy(), labels.astype(np.int64))


def _concat(splits: list[DataSplit]) -> DataSplit:
    """Join splits end to end."""
    return DataSplit(
        np.concatenate([s.x for s in splits]), np.concatenate([s.y for s in splits])
    )


def _from_pickles(
    path: Path, tree: dict[PurePosixPath, bytes | Path], test_rel: PurePosixPath
) -> Dataset:
    """Load the python-pickle layout whose ``test_batch`` is at ``test_rel``."""
    root = test_rel.parent
    missing = [name for name in TRAIN_BATCHES if root / name not in tree]
    if missing:
        raise _error(path, f"{root / TEST_BATCH} found but {', '.join(missing)} missing")
    class_names = CLASS_NAMES
    meta_rel = root / "batches.meta"
    if meta_rel in tree:
        meta = _unpickle(path, meta_rel, tree[meta_rel])
        names = tuple(
            n.decode() if isinstance(n, bytes) else str(n) for n in meta.get(b"label_names", ())
        )
        if len(names) != len(CLASS_NAMES):
            raise _error(path, f"{meta_rel} lists {len(names)} label names, expected 10")
        class_names = names
    train = _concat([_batch(path, root / name, tree[root / name]) for name in TRAIN_BATCHES])
    test = _batch(path, test_rel, tree[test_rel])
    return _dataset(train, test, class_names)


def _decode_image(path: Path, rel: PurePosixPath, entry: bytes | Path) -> np.ndarray:
    """Decode one 32x32 image file to a (3, 32, 32) uint8 array."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(_content(entry))) as image:
            if image.size != (32, 32):
                raise _error(path, f"{rel} is {image.size[0]}x{image.size[1]}, expected 32x32")
            pixels = np.asarray(image.convert("RGB"), dtype=np.uint8)
    except (UnidentifiedImageError, OSError) as exc:
        raise _error(path, f"{rel} is not a readable image ({exc})") from exc
    return pixels.transpose(2, 0, 1)


def _from_image_folder(path: Path, tree: dict[PurePosixPath, bytes | Path]) -> Dataset:
    """Load the ``train|test/<class>/<image>`` layout."""
    images = {
        rel: entry
        for rel, entry in tree.items()
        if rel.suffix.lower() in IMAGE_SUFFIXES
        and len(rel.parts) >= 3
        and rel.parts[-3] in SPLITS
    }
    if not images:
        raise _error(path, "found neither test_batch nor images in train/<class>/, test/<class>/")
    roots = {rel.parents[2] for rel in images}
    if len(roots) != 1:
        listed = ", ".join(sorted(str(r) for r in roots))
        raise _error(path, f"image trees under several roots ({listed})")
    classes = {
        split: sorted({rel.parts[-2] for rel in images if rel.parts[-3] == split})
        for split in SPLITS
    }
    if classes["train"] != classes["test"]:
        raise _error(
            path, f"train classes {classes['train']} differ from test classes {classes['test']}"
        )
    class_names = tuple(classes["train"])
    if len(class_names) != len(CLASS_NAMES):
        raise _error(path, f"{len(class_names)} class directories, expected 10")
    index = {name: i for i, name in enumerate(class_names)}
    splits = {}
    for split in SPLITS:
        rels = sorted(
            (r for r in images if r.parts[-3] == split),
            key=lambda r: (index[r.parts[-2]], r.name),
        )
        x = np.stack([_decode_image(path, r, images[r]) for r in rels])
        y = np.array([index[r.parts[-2]] for r in rels], dtype=np.int64)
        splits[split] = DataSplit(x, y)
    return _dataset(splits["train"], splits["test"], class_names)


def _dataset(train: DataSplit, test: DataSplit, class_names: tuple[str, ...]) -> Dataset:
    """Wrap two splits of (N, 3, 32, 32) uint8 images as the CIFAR-10 dataset."""
    return Dataset(
        name=NAME,
        train=train,
        test=test,
        num_classes=10,
        input_shape=(3, 32, 32),
        input_kind="uint8_image",
        class_names=class_names,
    )


def load_cifar10(path: Path | str | None) -> Dataset:
    """Load CIFAR-10 (50,000 train, 10,000 test in the original) from local files.

    Args:
        path: a directory or ``.tar``/``.tar.gz`` archive holding either layout (see the
            module docstring), at its top level or in one subdirectory level or more.
            The pickle layout wins when both are present.

    Returns:
        ``Dataset`` with ``uint8`` images (N, 3, 32, 32) and 10 classes.
    """
    if path is None:
        raise _error(None, "no path given")
    path = Path(path)
    if not path.exists():
        raise _error(path, "file or directory not found")
    tree = _read_tree(path)
    tests = sorted((rel for rel in tree if rel.name == TEST_BATCH), key=lambda r: len(r.parts))
    if tests:
        return _from_pickles(path, tree, tests[0])
    return _from_image_folder(path, tree)
