"""Datasets that load offline: the bundled digits and local files of MNIST-style idx,
CIFAR-10, SVHN and the hls4ml jets.

Use :func:`load_dataset` (``DATASETS`` lists the names). Every dataset is a frozen
:class:`Dataset` of two :class:`DataSplit`: images ``uint8`` (N, C, H, W) with values
0..255, features ``float32`` (N, F), labels ``int64`` (N,). A missing or malformed file
raises :class:`DatasetError` (a ``ValueError``) naming the path, the expected format and
where to get the data. ``to_torch`` and ``make_loader`` (in ``codesign.data.torch_io``)
import torch when called; the rest needs numpy (and scikit-learn, scipy, pandas or
Pillow for the dataset that uses them).
"""

from codesign.data.base import DataSplit, Dataset, DatasetError, stratified_split
from codesign.data.registry import DATASETS, DatasetEntry, load_dataset
from codesign.data.torch_io import make_loader, to_torch

__all__ = [
    "DATASETS",
    "DataSplit",
    "Dataset",
    "DatasetEntry",
    "DatasetError",
    "load_dataset",
    "make_loader",
    "stratified_split",
    "to_torch",
]
