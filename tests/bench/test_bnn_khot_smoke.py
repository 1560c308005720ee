"""Smoke test of bench/bnn_khot.py: one 1-epoch K=2 run on a small digits subset writes the CSV
with its columns (accuracy, grid use, multiplier audit, estimate) and the markdown table."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from bench_loader import load_bench, run_main

COLUMNS = ["dataset", "k", "scheme", "seed", "train_images", "test_images", "epochs", "batch_size", "lr",
           "accuracy", "train_seconds", "bn_scales", "bn_scale_types", "bn_scale_median_raw", "bn_scale_p90_raw",
           "bn_scale_le5_fraction", "bn_scale_min_layer_median_raw", "bn_bias_types", "bn_bias_saturated_fraction",
           "general_multipliers", "general_products", "general_multiplier_layers", "est_lut", "est_ff", "est_dsp",
           "est_bram_18k", "est_interval_cycles", "est_fps", "clock_mhz", "folding_bottleneck", "torch", "machine"]


@pytest.mark.slow  # about 10 s: a 1-epoch training, export and codegen of bnn tiny (in-process)
def test_bnn_khot_smoke(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bench = load_bench("bnn_khot", monkeypatch)
    out = tmp_path / "bnn.csv"
    run_main(bench, ["bnn_khot.py", "--datasets", "digits", "--digits-limit", "200", "--epochs", "1",
                     "--seeds", "0", "--ks", "2", "--out", str(out)], monkeypatch)
    with open(out, newline="") as f:
        reader = csv.DictReader(f)
        assert reader.fieldnames == COLUMNS
        rows = list(reader)
    assert len(rows) == 1
    row = rows[0]
    assert (row["dataset"], row["k"], row["scheme"], row["seed"]) == ("digits", "2", "khot", "0")
    assert row["train_images"] == "200" and 0.0 <= float(row["accuracy"]) <= 1.0
    assert row["general_multipliers"] == "0" and row["est_dsp"] == "0"  # K-hot on 8x8: no general multiplier
    assert int(row["bn_scales"]) > 0 and float(row["est_fps"]) > 0 and int(row["est_lut"]) > 0
    table = out.with_suffix(".md").read_text()
    assert "| digits | 2 |" in table and "bench/bnn_khot.py" in table
