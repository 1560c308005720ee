"""MNIST and Fashion-MNIST from a local directory of idx files.

The idx format (LeCun et al.): a 4-byte magic ``0x00 0x00 <type> <ndim>``, then
``ndim`` big-endian uint32 dimensions, then the values row-major. The parser here
accepts type ``0x08`` (unsigned byte), the only type MNIST-style files use, and
checks that the payload holds exactly the product of the dimensions.

Files (each plain or gzipped, ``.gz`` tried first): ``train-images-idx3-ubyte``,
``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte``;
the dotted spelling ``train-images.idx3-ubyte`` of some mirrors is accepted too.
Debian's ``dataset-fashion-mnist`` installs the gzipped files under
``/usr/share/datasets/fashion-mnist``, the default path of ``fashion_mnist``.
"""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path
from types import MappingProxyType

import numpy as np

from codesign.data.base import DataSplit, Dataset, DatasetError, dataset_error

UBYTE = 0x08
FASHION_MNIST_DEFAULT_PATH = Path("/usr/share/datasets/fashion-mnist")
FASHION_CLASS_NAMES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
DIGIT_CLASS_NAMES = tuple(str(d) for d in range(10))
IDX_FORMAT = (
    "a directory with the idx files train-images-idx3-ubyte, train-labels-idx1-ubyte, "
    "t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte (each optionally .gz): "
    "uint8 images (N, 28, 28) and uint8 labels (N,) 0..9"
)
SOURCES = MappingProxyType(
    {
    "mnist": "the four MNIST idx files (http://yann.lecun.com/exdb/mnist/ or a mirror); "
    "pass their directory as path",
    "fashion_mnist": "apt-get install dataset-fashion-mnist (installs them under "
    f"{FASHION_MNIST_DEFAULT_PATH}), or the files of "
    "https://github.com/zalandoresearch/fashion-mnist",
    }
)


def parse_idx(data: bytes) -> np.ndarray:
    """Decode one idx file held in memory.

    Args:
        data: the whole (decompressed) file.

    Returns:
        ``uint8`` array with the shape given by the header.

    Raises:
        DatasetError: wrong magic, a type other than unsigned byte, or a payload
            shorter or longer than the header's dimensions.
    """
    if len(data) < 4:
        raise DatasetError(f"idx file of {len(data)} bytes has no 4-byte header")
    zero0, zero1, type_code, ndim = data[:4]
    if zero0 != 0 or zero1 != 0:
        raise DatasetError(f"bad idx magic {data[:4].hex()} (must start with 0000)")
    if type_code != UBYTE:
        raise DatasetError(f"idx type 0x{type_code:02x} is not unsigned byte (0x08)")
    header_len = 4 + 4 * ndim
    if ndim == 0 or len(data) < header_len:
        raise DatasetError(f"idx header declares {ndim} dimensions but the file is truncated")
    shape = tuple(int(d) for d in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    expected = int(np.prod(shape, dtype=np.int64))
    payload = len(data) - header_len
    if payload != expected:
        raise DatasetError(
            f"idx header declares shape {shape} ({expected} bytes) but the file holds "
            f"{payload} bytes of data"
        )
    return np.frombuffer(data, dtype=np.uint8, offset=header_len).reshape(shape)


def _find(directory: Path, stem: str) -> Path | None:
    """The existing file for ``stem`` (e.g. ``train-images-idx3-ubyte``), if any."""
    dotted = stem.replace("-idx", ".idx")
    for name in (f"{stem}.gz", stem, f"{dotted}.gz", dotted):
        candidate = directory / name
        if candidate.is_file():
            return candidate
    return None


def _read_idx_file(path: Path) -> np.ndarray:
    """Read and decode an idx file, gunzipping it when it starts with the gzip magic."""
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise DatasetError(f"corrupt gzip data ({exc})") from exc
    return parse_idx(raw)


def _load_split(dataset: str, directory: Path, prefix: str) -> DataSplit:
    """Load ``{prefix}-images-idx3-ubyte`` and ``{prefix}-labels-idx1-ubyte`` as a split."""
    arrays = {}
    for kind, ndim in (("images", 3), ("labels", 1)):
        stem = f"{prefix}-{kind}-idx{ndim}-ubyte"
        path = _find(directory, stem)
        if path is None:
            raise dataset_error(
                dataset, directory, f"no file {stem} or {stem}.gz", IDX_FORMAT, SOURCES[dataset]
            )
        try:
            array = _read_idx_file(path)
        except DatasetError as exc:
            raise dataset_error(dataset, path, str(exc), IDX_FORMAT, SOURCES[dataset]) from exc
        if array.ndim != ndim:
            raise dataset_error(
                dataset, path, f"{kind} file has {array.ndim} dimensions, expected {ndim}",
                IDX_FORMAT, SOURCES[dataset],
            )
        arrays[kind] = (path, array)
    (images_path, images), (labels_path, labels) = arrays["images"], arrays["labels"]
    if images.shape[0] != labels.shape[0]:
        raise dataset_error(
            dataset, directory,
            f"{images_path.name} holds {images.shape[0]} images but {labels_path.name} "
            f"holds {labels.shape[0]} labels", IDX_FORMAT, SOURCES[dataset],
        )
    if images.shape[1:] != (28, 28):
        raise dataset_error(
            dataset, images_path, f"images are {images.shape[1:]}, expected (28, 28)",
            IDX_FORMAT, SOURCES[dataset],
        )
    if labels.size and labels.max() > 9:
        raise dataset_error(
            dataset, labels_path, f"label {labels.max()} outside 0..9", IDX_FORMAT,
            SOURCES[dataset],
        )
    return DataSplit(images[:, None, :, :].copy(), labels.astype(np.int64))


def _load(dataset: str, path: Path | None, class_names: tuple[str, ...]) -> Dataset:
    """Load both splits of an MNIST-style dataset from directory ``path``."""
    if path is None or not Path(path).is_dir():
        problem = "no path given" if path is None else "directory not found"
        raise dataset_error(dataset, path, problem, IDX_FORMAT, SOURCES[dataset])
    directory = Path(path)
    return Dataset(
        name=dataset,
        train=_load_split(dataset, directory, "train"),
        test=_load_split(dataset, directory, "t10k"),
        num_classes=10,
        input_shape=(1, 28, 28),
        input_kind="uint8_image",
        class_names=class_names,
    )


def load_mnist(path: Path | str | None) -> Dataset:
    """Load MNIST (60,000 train, 10,000 test) from a directory of idx files.

    Returns:
        ``Dataset`` with ``uint8`` images (N, 1, 28, 28) and labels 0..9.
    """
    return _load("mnist", None if path is None else Path(path), DIGIT_CLASS_NAMES)


def load_fashion_mnist(path: Path | str | None = None) -> Dataset:
    """Load Fashion-MNIST (60,000 train, 10,000 test) from a directory of idx files.

    Args:
        path: directory of the idx files; ``None`` means
            ``/usr/share/datasets/fashion-mnist``, where Debian's
            ``dataset-fashion-mnist`` package installs them.

    Returns:
        ``Dataset`` with ``uint8`` images (N, 1, 28, 28) and 10 clothing classes.
    """
    directory = FASHION_MNIST_DEFAULT_PATH if path is None else Path(path)
    return _load("fashion_mnist", directory, FASHION_CLASS_NAMES)
