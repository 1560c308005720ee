"""Smoke tests of bench/qfx_vs_ptq.py: a tiny run writes one row per seed, width and method
with the split sizes, and a malformed --model-option stops with a message."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
COLUMNS = ["dataset", "model", "model_options", "train_images", "test_images", "epochs", "batch_size", "lr",
           "seed", "width", "method", "accuracy", "train_seconds"]


def run_bench(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "bench/qfx_vs_ptq.py", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)


@pytest.mark.slow  # about 15 s: three 1-epoch trainings of digits_cnn on 200 digits
def test_qfx_vs_ptq_smoke(tmp_path: Path) -> None:
    out = tmp_path / "qfx.csv"
    proc = run_bench("--widths", "4", "--seeds", "0", "--methods", "ptq", "qfx", "--epochs", "1",
                     "--train-limit", "200", "--test-limit", "100", "--calibration-images", "64",
                     "--model-option", "channels=8", "--out", str(out))
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    with open(out, newline="") as f:
        reader = csv.DictReader(f)
        assert reader.fieldnames == COLUMNS
        rows = list(reader)
    assert [(r["width"], r["method"]) for r in rows] == [("20", "float_reference"), ("4", "ptq"), ("4", "qfx")]
    for r in rows:
        assert (r["dataset"], r["model"], r["model_options"]) == ("digits", "digits_cnn", "channels=8")
        assert (r["train_images"], r["test_images"]) == ("200", "100")
        assert 0.0 <= float(r["accuracy"]) <= 1.0
    assert float(rows[2]["train_seconds"]) > 0 and float(rows[1]["train_seconds"]) == 0.0


def test_qfx_vs_ptq_rejects_malformed_model_option(tmp_path: Path) -> None:
    proc = run_bench("--model-option", "in channels", "--out", str(tmp_path / "x.csv"))
    assert proc.returncode != 0
    assert "--model-option expects key=value, got 'in channels'" in proc.stderr
    assert not (tmp_path / "x.csv").exists()
