"""PNG plots, and clear messages when the table lacks what a plot needs."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from codesign.reports import PlotDataError, draw_plots
from codesign.reports.plots import (
    plot_accuracy_vs_dsp,
    plot_accuracy_vs_lut,
    plot_ebops_vs_lut,
    plot_layer_latency,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

RUNS = pd.DataFrame({
    "flow": ["bnn", "bnn", "mlp"],
    "run_id": ["a", "b", "c"],
    "accuracy": [0.9, 0.85, None],
    "ebops": [1e4, 5e3, 2e3],
    "lut": [20000, 12000, 3000],
    "dsp": [0, 0, 12],
})
MODULES = pd.DataFrame({
    "run_id": ["a", "a", "a", "b"],
    "module": ["conv_0", "dense_1", "top", "conv_0"],
    "is_top": [False, False, True, False],
    "latency_worst_cycles": [100, 40, 150, 80],
})


@pytest.mark.parametrize(
    ("plot", "table"),
    [
        (plot_accuracy_vs_lut, RUNS),
        (plot_accuracy_vs_dsp, RUNS),
        (plot_ebops_vs_lut, RUNS),
        (plot_layer_latency, MODULES),
    ],
)
def test_plots_write_png(tmp_path: Path, plot, table: pd.DataFrame) -> None:  # type: ignore[no-untyped-def]
    path = plot(table, tmp_path / "sub" / "plot.png")
    data = path.read_bytes()
    assert data.startswith(PNG_MAGIC) and len(data) > 2000


def test_missing_column_names_the_column_and_its_source(tmp_path: Path) -> None:
    with pytest.raises(PlotDataError, match=r"no 'accuracy' column .*summary\.json"):
        plot_accuracy_vs_lut(RUNS.drop(columns="accuracy"), tmp_path / "x.png")
    with pytest.raises(PlotDataError, match="no run has values for all of dsp, accuracy"):
        plot_accuracy_vs_dsp(RUNS.assign(dsp=None), tmp_path / "x.png")
    with pytest.raises(PlotDataError, match="no module other than the top"):
        plot_layer_latency(MODULES[MODULES["is_top"]], tmp_path / "x.png")
    assert not (tmp_path / "x.png").exists()


def test_draw_plots_skips_with_messages(tmp_path: Path) -> None:
    result = draw_plots(RUNS.drop(columns="ebops"), MODULES.iloc[0:0], tmp_path)
    assert sorted(p.name for p in result.written) == ["accuracy_vs_dsp.png", "accuracy_vs_lut.png"]
    assert len(result.skipped) == 2
    assert any("'ebops'" in message for message in result.skipped)
    assert any("per-layer latency" in message for message in result.skipped)
