"""hls4ml jets: CSV, npz, ARFF and parquet files, label mapping and standardisation."""

from __future__ import annotations

import gzip
import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from codesign.data import DatasetError, load_dataset
from codesign.data.jets import CLASS_NAMES, FEATURES

N = 60


def make_rows() -> tuple[np.ndarray, np.ndarray]:
    """60 jets with features of distinct scales and labels 12 per class."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(N, 16)) * np.arange(1, 17) + np.arange(16) * 10.0
    y = np.arange(N) % 5
    return x, y


def frame(prefix: str = "") -> pd.DataFrame:
    x, y = make_rows()
    table = pd.DataFrame(x, columns=[prefix + f for f in FEATURES])
    table["class"] = [CLASS_NAMES[i] for i in y]
    return table


def write_arff(path: Path, gz: bool = False) -> None:
    x, y = make_rows()
    lines = ["@RELATION hls4ml_lhc_jets_hlf", ""]
    lines += [f"@ATTRIBUTE {f} NUMERIC" for f in FEATURES]
    lines += ["@ATTRIBUTE class {g,q,t,w,z}", "", "@DATA"]
    lines += [",".join(f"{v:.17g}" for v in row) + f",{CLASS_NAMES[c]}" for row, c in zip(x, y)]
    text = "\n".join(lines) + "\n"
    path.write_bytes(gzip.compress(text.encode()) if gz else text.encode())


def check(data) -> None:
    """Shapes, labels and train-only standardisation against the raw rows."""
    x, y = make_rows()
    assert data.input_shape == (16,) and data.input_kind == "features"
    assert data.class_names == ("g", "q", "w", "z", "t") and data.num_classes == 5
    assert data.train.x.dtype == np.float32 and data.train.x.shape == (48, 16)
    assert data.test.x.shape == (12, 16)
    # 12 test rows over 5 classes of 12: 2 each, the 2 left over to the lowest classes
    assert np.bincount(data.test.y).tolist() == [3, 3, 2, 2, 2]
    assert np.allclose(data.train.x.mean(axis=0), 0, atol=1e-5)
    assert np.allclose(data.train.x.std(axis=0), 1, atol=1e-5)
    # recover the raw rows: the test split uses the training mean and std
    from codesign.data.base import stratified_split

    train, test = stratified_split(y, 0.2, 0)
    mean, std = x[train].mean(axis=0), x[train].std(axis=0)
    assert np.allclose(data.test.x, (x[test] - mean) / std, atol=1e-5)
    assert data.test.y.tolist() == y[test].tolist()


def test_csv_plain_and_gz(tmp_path: Path) -> None:
    frame().to_csv(tmp_path / "jets.csv", index=False)
    check(load_dataset("jets", tmp_path / "jets.csv"))
    frame().to_csv(tmp_path / "jets.csv.gz", index=False)
    check(load_dataset("jets", tmp_path / "jets.csv.gz"))


def test_csv_hdf5_names_and_one_hot(tmp_path: Path) -> None:
    table = frame("j_").drop(columns="class")
    _, y = make_rows()
    for i, name in enumerate(CLASS_NAMES):
        table[f"j_{name}"] = (y == i).astype(float)
    table.to_csv(tmp_path / "jets.csv", index=False)
    check(load_dataset("jets", tmp_path / "jets.csv"))


def test_csv_integer_classes(tmp_path: Path) -> None:
    table = frame()
    table["class"] = make_rows()[1]
    table.to_csv(tmp_path / "jets.csv", index=False)
    check(load_dataset("jets", tmp_path / "jets.csv"))


@pytest.mark.parametrize("labels", ["int", "str"])
def test_npz(tmp_path: Path, labels: str) -> None:
    x, y = make_rows()
    y_saved = y if labels == "int" else np.array([CLASS_NAMES[i] for i in y])
    np.savez(tmp_path / "jets.npz", x=x, y=y_saved)
    check(load_dataset("jets", tmp_path / "jets.npz"))


@pytest.mark.parametrize("gz", [False, True])
def test_arff(tmp_path: Path, gz: bool) -> None:
    path = tmp_path / ("jets.arff.gz" if gz else "jets.arff")
    write_arff(path, gz)
    check(load_dataset("jets", path))


def test_parquet(tmp_path: Path) -> None:
    path = tmp_path / "jets.parquet"
    if importlib.util.find_spec("pyarrow") or importlib.util.find_spec("fastparquet"):
        frame().to_parquet(path)
        check(load_dataset("jets", path))
    else:
        path.write_bytes(b"PAR1 written without pyarrow PAR1")
        with pytest.raises(DatasetError, match="pip install pyarrow"):
            load_dataset("jets", path)


def test_raw_features_option(tmp_path: Path) -> None:
    x, y = make_rows()
    np.savez(tmp_path / "jets.npz", x=x, y=y)
    data = load_dataset("jets", tmp_path / "jets.npz", standardize=False, test_fraction=0.5)
    assert len(data.test) == 30
    assert np.allclose(np.sort(np.concatenate([data.train.x, data.test.x]), axis=0),
                       np.sort(x, axis=0).astype(np.float32))


def _message(path: Path) -> str:
    with pytest.raises(DatasetError) as info:
        load_dataset("jets", path)
    message = str(info.value)
    assert str(path) in message and "42468" in message, message
    return message


def test_errors(tmp_path: Path) -> None:
    assert "file not found" in _message(tmp_path / "absent.csv")
    (tmp_path / "jets.h5").write_bytes(b"")
    assert "unknown file type" in _message(tmp_path / "jets.h5")
    frame().drop(columns="mass_mmdt").to_csv(tmp_path / "a.csv", index=False)
    assert "no column 'mass_mmdt'" in _message(tmp_path / "a.csv")
    frame().drop(columns="class").to_csv(tmp_path / "b.csv", index=False)
    assert "no 'class' column" in _message(tmp_path / "b.csv")
    table = frame()
    table.loc[3, "class"] = "h"
    table.to_csv(tmp_path / "c.csv", index=False)
    assert "unknown class labels ['h']" in _message(tmp_path / "c.csv")
    table = frame()
    table.loc[3, "zlogz"] = np.nan
    table.to_csv(tmp_path / "d.csv", index=False)
    assert "NaN" in _message(tmp_path / "d.csv")
    table = frame()
    table["class"] = np.arange(N) % 6
    table.to_csv(tmp_path / "e.csv", index=False)
    assert "outside 0..4" in _message(tmp_path / "e.csv")
    (tmp_path / "f.csv").write_bytes(b"\x00\x01 not a csv")
    assert "expected:" in _message(tmp_path / "f.csv")
    x, y = make_rows()
    np.savez(tmp_path / "g.npz", features=x, y=y)
    assert "not x and y" in _message(tmp_path / "g.npz")
    np.savez(tmp_path / "h.npz", x=x, y=y[:-1])
    assert "60 rows but y has shape (59,)" in _message(tmp_path / "h.npz")
    np.savez(tmp_path / "i.npz", x=x[:, :15], y=y)
    assert "expected numbers (N, 16)" in _message(tmp_path / "i.npz")
    (tmp_path / "j.arff").write_text(
        "@RELATION broken\n@ATTRIBUTE zlogz NUMERIC\n@ATTRIBUTE class {g,q}\n@DATA\nabc,g\n"
    )
    assert "unreadable file" in _message(tmp_path / "j.arff")
    with pytest.raises(DatasetError, match="no path given"):
        load_dataset("jets")
