"""Smoke test of bench/emulation_throughput.py: a tiny run writes the CSV with its columns, and
the torch emulation, ir.run and csim agree on every output value."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
COLUMNS = ["model", "implementation", "batch", "threads", "inputs", "reps", "seconds", "seconds_all",
           "inputs_per_s", "equal_values", "compared_values", "identical", "detail", "torch", "machine"]


@pytest.mark.slow  # about 20 s: brief training and a g++ build of the csim library
def test_emulation_throughput_smoke(tmp_path: Path) -> None:
    out = tmp_path / "emulation.csv"
    proc = subprocess.run(
        [sys.executable, "bench/emulation_throughput.py", "--models", "jet_mlp", "--inputs", "64", "--batch", "32",
         "--threads", "1", "--reps", "1", "--epochs", "1", "--train-samples", "256", "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    with open(out, newline="") as f:
        reader = csv.DictReader(f)
        assert reader.fieldnames == COLUMNS
        rows = list(reader)
    assert {r["implementation"] for r in rows} == {"ir.run", "torch eval emulation", "csim (g++, ctypes)"}
    for r in rows:
        assert r["model"] == "jet_mlp" and r["inputs"] == "64"
        assert float(r["inputs_per_s"]) > 0
        assert r["identical"] == "True" and r["equal_values"] == r["compared_values"] == str(64 * 5), r
