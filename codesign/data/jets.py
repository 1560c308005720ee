"""The hls4ml jet-tagging dataset (16 high-level features, 5 classes) from a local file.

The OpenML dataset 42468 ``hls4ml_lhc_jets_hlf`` (830,000 jets) has the 16 feature
columns of :data:`FEATURES` and a nominal ``class`` column with labels ``g`` (gluon),
``q`` (light quark), ``w`` (W boson), ``z`` (Z boson), ``t`` (top quark). Class
indices follow the hls4ml order ``g, q, w, z, t`` = 0..4 (the ``j_g .. j_t`` one-hot
columns of the original HDF5 files), whatever order a file lists them in.

Accepted files (chosen by suffix):

* ``.csv`` / ``.csv.gz``, ``.parquet`` (needs pyarrow), ``.arff`` / ``.arff.gz``: a table
  with the 16 feature columns, named as in :data:`FEATURES` or with the ``j_`` prefix
  of the HDF5 files (``j_zlogz``...), and either a ``class`` column (labels g/q/w/z/t,
  or integers 0..4 in that order) or the five one-hot columns ``j_g j_q j_w j_z j_t``.
* ``.npz``: arrays ``x``, float (N, 16) in :data:`FEATURES` order, and ``y``, (N,) of
  integers 0..4 or label strings g/q/w/z/t.

The rows are split by a seeded stratified split and every feature is standardised,
``(x - mean) / std`` with the mean and (population) standard deviation of the training
split only (a constant feature gets std 1). Features are ``float32``, shape (N, 16).
"""

from __future__ import annotations

import gzip
import importlib.util
import io
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from codesign.data.base import DataSplit, Dataset, DatasetError, dataset_error, stratified_split

if TYPE_CHECKING:
    import pandas as pd

NAME = "jets"
FEATURES = (
    "zlogz",
    "c1_b0_mmdt",
    "c1_b1_mmdt",
    "c1_b2_mmdt",
    "c2_b1_mmdt",
    "c2_b2_mmdt",
    "d2_b1_mmdt",
    "d2_b2_mmdt",
    "d2_a1_b1_mmdt",
    "d2_a1_b2_mmdt",
    "m2_b1_mmdt",
    "m2_b2_mmdt",
    "n2_b1_mmdt",
    "n2_b2_mmdt",
    "mass_mmdt",
    "multiplicity",
)
CLASS_NAMES = ("g", "q", "w", "z", "t")
FORMAT = (
    "a .csv[.gz], .parquet or .arff[.gz] table with the 16 feature columns "
    f"({', '.join(FEATURES)}; a j_ prefix is allowed) and a 'class' column of g/q/w/z/t "
    "(or one-hot j_g j_q j_w j_z j_t), or an .npz with x (N, 16) and y (N,)"
)
SOURCE = (
    "OpenML dataset id 42468 'hls4ml_lhc_jets_hlf' (https://www.openml.org/d/42468): download "
    "its ARFF, or on a networked machine run sklearn.datasets.fetch_openml(data_id=42468, "
    "as_frame=True).frame.to_csv('jets.csv', index=False)"
)


def _error(path: Path | None, problem: str) -> DatasetError:
    """The dataset error for jets at ``path``."""
    return dataset_error(NAME, path, problem, FORMAT, SOURCE)


def _labels_to_index(path: Path, labels: np.ndarray) -> np.ndarray:
    """Map labels (strings g/q/w/z/t, bytes, or integers 0..4) to int64 indices."""
    if labels.dtype.kind in "iu":
        index = labels.astype(np.int64)
    elif labels.dtype.kind == "f" and np.all(np.mod(labels, 1) == 0):
        index = labels.astype(np.int64)
    else:
        text = np.array(
            [v.decode() if isinstance(v, bytes) else str(v) for v in labels.tolist()]
        )
        index = np.full(text.shape, -1, dtype=np.int64)
        for i, name in enumerate(CLASS_NAMES):
            index[text == name] = i
        unknown = sorted(set(text[index < 0].tolist()))
        if unknown:
            raise _error(path, f"unknown class labels {unknown[:5]} (expected g, q, w, z, t)")
    if index.size and (index.min() < 0 or index.max() >= len(CLASS_NAMES)):
        raise _error(path, "integer class labels outside 0..4")
    return index


def _table_to_arrays(path: Path, table: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Pick the 16 features (N, 16) float64 and the class indices (N,) from a table."""
    columns = set(table.columns)
    picked = []
    for feature in FEATURES:
        name = next((c for c in (feature, f"j_{feature}") if c in columns), None)
        if name is None:
            raise _error(path, f"no column '{feature}' (or 'j_{feature}')")
        picked.append(name)
    try:
        x = table[picked].to_numpy(dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise _error(path, f"feature columns are not numeric ({exc})") from exc
    one_hot = [f"j_{name}" for name in CLASS_NAMES]
    if "class" in columns:
        y = _labels_to_index(path, table["class"].to_numpy())
    elif columns.issuperset(one_hot):
        hot = table[one_hot].to_numpy(dtype=np.float64)
        if not np.all(hot.sum(axis=1) == 1) or not np.all((hot == 0) | (hot == 1)):
            raise _error(path, "the one-hot columns j_g..j_t are not one-hot in every row")
        y = hot.argmax(axis=1).astype(np.int64)
    else:
        raise _error(path, "no 'class' column and no one-hot columns j_g j_q j_w j_z j_t")
    return x, y


def _read_table(path: Path) -> pd.DataFrame:
    """Read a CSV, parquet or ARFF file into a DataFrame."""
    import pandas as pd

    name = path.name.lower()
    if name.endswith(".parquet"):
        if not any(importlib.util.find_spec(m) for m in ("pyarrow", "fastparquet")):
            raise _error(path, "reading parquet needs pyarrow: pip install pyarrow")
        return pd.read_parquet(path)
    if name.endswith((".csv", ".csv.gz")):
        return pd.read_csv(path)
    from scipy.io import arff

    raw = path.read_bytes()
    if name.endswith(".gz"):
        raw = gzip.decompress(raw)
    data, _meta = arff.loadarff(io.StringIO(raw.decode("utf-8")))
    return pd.DataFrame(data)


def _read(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Read any accepted file into features (N, 16) float64 and labels (N,) int64."""
    name = path.name.lower()
    if not name.endswith((".csv", ".csv.gz", ".parquet", ".arff", ".arff.gz", ".npz")):
        raise _error(path, "unknown file type (use .csv[.gz], .parquet, .arff[.gz] or .npz)")
    if not path.is_file():
        raise _error(path, "file not found")
    try:
        if name.endswith(".npz"):
            with np.load(path, allow_pickle=False) as archive:
                if "x" not in archive or "y" not in archive:
                    raise _error(path, f"the .npz holds {sorted(archive.files)}, not x and y")
                x, labels = archive["x"], archive["y"]
            if x.ndim != 2 or x.shape[1] != len(FEATURES) or x.dtype.kind not in "iuf":
                raise _error(path, f"x is {x.dtype} {x.shape}, expected numbers (N, 16)")
            if labels.shape != (x.shape[0],):
                raise _error(path, f"x holds {x.shape[0]} rows but y has shape {labels.shape}")
            return x.astype(np.float64), _labels_to_index(path, labels)
        return _table_to_arrays(path, _read_table(path))
    except DatasetError:
        raise
    except Exception as exc:  # parsers of four formats raise many exception types
        raise _error(path, f"unreadable file ({type(exc).__name__}: {exc})") from exc


def standardize_features(
    train: np.ndarray, test: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Standardise features with the training split's statistics.

    Args:
        train: training features, (N_train, F), any float dtype.
        test: test features, (N_test, F).

    Returns:
        ``(train_std, test_std, mean, std)``: the standardised splits as ``float32``
        and the per-feature mean and population std (``float64``, (F,)) that were
        used; a feature with zero std is divided by 1.
    """
    mean = train.mean(axis=0, dtype=np.float64)
    std = train.std(axis=0, dtype=np.float64)
    std = np.where(std > 0, std, 1.0)
    return (
        ((train - mean) / std).astype(np.float32),
        ((test - mean) / std).astype(np.float32),
        mean,
        std,
    )


def load_jets(
    path: Path | str | None,
    test_fraction: float = 0.2,
    seed: int = 0,
    standardize: bool = True,
) -> Dataset:
    """Load the hls4ml jet-tagging features with a seeded stratified split.

    Args:
        path: the data file (see the module docstring for the formats).
        test_fraction: share of the rows in the test split.
        seed: seed of the split (``numpy.random.default_rng``).
        standardize: standardise features with training-split statistics; ``False``
            keeps the raw physical values (as float32).

    Returns:
        ``Dataset`` with ``float32`` features (N, 16) and 5 classes g, q, w, z, t.
    """
    if path is None:
        raise _error(None, "no path given")
    x, y = _read(Path(path))
    if x.shape[0] < 2:
        raise _error(Path(path), f"{x.shape[0]} rows, too few to split")
    if not np.all(np.isfinite(x)):
        raise _error(Path(path), "features contain NaN or infinite values")
    train, test = stratified_split(y, test_fraction, seed)
    if standardize:
        x_train, x_test, _mean, _std = standardize_features(x[train], x[test])
    else:
        x_train, x_test = x[train].astype(np.float32), x[test].astype(np.float32)
    return Dataset(
        name=NAME,
        train=DataSplit(x_train, y[train]),
        test=DataSplit(x_test, y[test]),
        num_classes=len(CLASS_NAMES),
        input_shape=(len(FEATURES),),
        input_kind="features",
        class_names=CLASS_NAMES,
    )
