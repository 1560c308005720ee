"""Smoke test of bench/bnn_recipe.py: one 1-epoch run of the flagship recipe writes the CSV and
the table; variant names map to the documented recipe changes; an unknown one is refused."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from codesign.flow.spec import load_flow
from bench_loader import load_bench, run_main


def test_variants_change_one_thing(monkeypatch: pytest.MonkeyPatch) -> None:
    bench = load_bench("bnn_recipe", monkeypatch)
    base = bench.train_request(load_flow(bench.FLAGSHIP), None)
    flagship = bench.variant_request(base, "flagship", 2)
    assert flagship.train.seed == 2 and flagship.model_options == base.model_options
    assert (flagship.model_options["head"], flagship.train.augment, flagship.train.label_smoothing) == (
        "flatten", "none", 0.1)
    previous = bench.variant_request(base, "previous", 0)
    assert (previous.model_options["head"], previous.train.augment, previous.train.label_smoothing) == (
        "global", "shift", 0.0)
    shorter = bench.variant_request(base, "epochs_7", 0)
    assert (shorter.train.epochs, shorter.train.eval_every, shorter.train.augment) == (7, 7, "none")
    for bad in ("bogus", "epochs_x"):
        with pytest.raises(ValueError, match="unknown variant"):
            bench.variant_request(base, bad, 0)


@pytest.mark.slow  # about 10 s: one epoch of the flagship on digits
def test_bnn_recipe_smoke(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bench = load_bench("bnn_recipe", monkeypatch)
    out = tmp_path / "recipe.csv"
    run_main(bench, ["bnn_recipe.py", "--variants", "epochs_1", "--seeds", "0", "--out", str(out)], monkeypatch)
    with open(out, newline="") as f:
        reader = csv.DictReader(f)
        assert reader.fieldnames == bench.COLUMNS
        rows = list(reader)
    assert len(rows) == 1 and rows[0]["variant"] == "epochs_1" and rows[0]["epochs"] == "1"
    assert 0.0 <= float(rows[0]["accuracy"]) <= 1.0 and float(rows[0]["train_seconds"]) > 0
    assert float(rows[0]["reference_ms"]) > 0
    table = out.with_suffix(".md").read_text()
    assert "| epochs_1 | flatten | none | 0.1 | 1 |" in table and "bench/bnn_recipe.py" in table
