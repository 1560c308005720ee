"""Collection of run directories into DataFrames, CSV and the terminal table."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from rich.console import Console

from codesign.reports import (
    ReportError,
    collect,
    collect_modules,
    find_run_dirs,
    print_table,
    report_runs,
    write_csv,
)


def _run(root: Path, flow: str, run_id: str, summary: dict | None, reports: dict[str, Path]) -> Path:
    """A fake ``results/runs/<flow>/<run_id>/`` with ``summary.json`` and copied reports."""
    run_dir = root / "results" / "runs" / flow / run_id
    (run_dir / "reports").mkdir(parents=True)
    if summary is not None:
        (run_dir / "summary.json").write_text(json.dumps(summary))
    for name, source in reports.items():
        target = run_dir / "reports" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source, target)
    return run_dir


@pytest.fixture
def runs(tmp_path: Path, fixtures: Path) -> Path:
    """Three runs: full (HLS + cosim + Vivado), HLS only with modules, summary only."""
    _run(tmp_path, "ultra96_bnn", "r1", {"accuracy": 0.91, "ebops": 12000.0,
                                         "figures": {"csim_match": 100}, "stages": ["a"]}, {
        "csynth.xml": fixtures / "csynth" / "vivado_hls_2019.2_dataflow.xml",
        "bnn_top_cosim.rpt": fixtures / "cosim" / "vitis_hls_2022_9col_crlf.rpt",
        "design_1_wrapper_utilization_synth.rpt": fixtures / "vivado" / "util_7series_2018.3.rpt",
        "design_1_wrapper_utilization_placed.rpt":
            fixtures / "vivado" / "util_ultrascale_2023.2_prohibited.rpt",
        "design_1_wrapper_timing_summary_routed.rpt": fixtures / "vivado" / "timing_met_2023.2.rpt",
    })
    _run(tmp_path, "ultra96_bnn", "r2", {"accuracy": 0.88, "ebops": 8000.0}, {
        "hls/syn/report/csynth.xml": fixtures / "csynth" / "vitis_hls_2022.2_modules_crlf.xml",
    })
    _run(tmp_path, "digits", "r3", {"accuracy": 0.97}, {})
    return tmp_path / "results" / "runs"


def test_find_run_dirs_below_a_folder_and_given_directly(runs: Path) -> None:
    found = find_run_dirs([runs, runs / "digits" / "r3"])
    assert [p.name for p in found] == ["r3", "r1", "r2"]
    with pytest.raises(ReportError, match="run directory not found"):
        find_run_dirs([runs / "nope"])
    (runs / "empty").mkdir()
    with pytest.raises(ReportError, match="no run directory"):
        find_run_dirs([runs / "empty"])


def test_collect_one_row_per_run_with_every_figure(runs: Path) -> None:
    frame = collect([runs]).set_index("run_id")
    assert list(frame.index) == ["r3", "r1", "r2"]
    r1 = frame.loc["r1"]
    assert (r1["flow"], r1["accuracy"], r1["ebops"]) == ("ultra96_bnn", 0.91, 12000.0)
    assert r1["figures.csim_match"] == 100 and "stages" not in frame.columns
    assert (r1["hls_lut"], r1["hls_dsp"], r1["part"]) == (23456, 0, "xczu3eg-sbva484-1-i")
    assert (r1["latency_worst_cycles"], r1["interval_min_cycles"]) == (5200, 1030)
    assert (r1["cosim_status"], r1["cosim_latency_max"], r1["cosim_total_cycles"]) == (
        "Pass", 221, 162128)
    # placed beats synth; implementation figures beat the HLS estimate
    assert (r1["impl_lut"], r1["impl_bram_18k"], r1["impl_uram"]) == (29992, 133, 4)
    assert (r1["lut"], r1["dsp"], r1["resource_source"]) == (29992, 376, "impl")
    assert (r1["wns_ns"], r1["timing_met"]) == (1.234, True)
    assert r1["fmax_mhz"] == pytest.approx(1000 / (5.0 - 1.234))
    r2 = frame.loc["r2"]
    assert (r2["lut"], r2["dsp"], r2["resource_source"]) == (26638, 192, "hls")
    assert pd.isna(r2["cosim_status"]) and pd.isna(r2["wns_ns"])
    r3 = frame.loc["r3"]
    assert r3["accuracy"] == 0.97 and pd.isna(r3["lut"])


def test_collect_modules(runs: Path) -> None:
    modules = collect_modules([runs])
    assert list(modules["module"]) == ["dense_0", "dense_1"]
    assert set(modules["run_id"]) == {"r2"}
    assert list(modules["latency_worst_cycles"].astype("Int64")) == [66, pd.NA]
    assert list(modules["dsp"]) == [0, 192] and not modules["is_top"].any()


def test_malformed_report_in_a_run_names_the_file(runs: Path, fixtures: Path) -> None:
    bad = runs / "ultra96_bnn" / "r2" / "reports" / "top_cosim.rpt"
    shutil.copy(fixtures / "cosim" / "malformed_status.rpt", bad)
    with pytest.raises(ReportError) as info:
        collect([runs])
    assert info.value.path == bad


def test_ambiguous_reports_are_an_error(runs: Path, fixtures: Path) -> None:
    reports = runs / "ultra96_bnn" / "r2" / "reports"
    shutil.copy(fixtures / "csynth" / "vivado_hls_2018.1.xml", reports / "csynth.xml")
    with pytest.raises(ReportError, match="several csynth.xml reports"):
        collect([runs / "ultra96_bnn" / "r2"])


def test_bad_summary_json(runs: Path) -> None:
    summary = runs / "digits" / "r3" / "summary.json"
    summary.write_text("[1, 2]")
    with pytest.raises(ReportError, match="expected a JSON object"):
        collect([summary.parent])
    summary.write_text("{not json")
    with pytest.raises(ReportError, match="not valid JSON"):
        collect([summary.parent])


def test_csv_and_table(runs: Path, tmp_path: Path) -> None:
    frame = collect([runs])
    path = write_csv(frame, tmp_path / "out" / "runs.csv")
    back = pd.read_csv(path)
    assert list(back["run_id"]) == ["r3", "r1", "r2"] and back["hls_lut"].iloc[1] == 23456
    buffer = io.StringIO()
    table = print_table(frame, Console(file=buffer, width=250))
    assert [c.header for c in table.columns][:4] == ["flow", "run_id", "accuracy", "ebops"]
    text = buffer.getvalue()
    assert "29992" in text and "ultra96_bnn" in text and "Pass" in text


def test_report_runs_writes_csv_and_plots(runs: Path, tmp_path: Path) -> None:
    out = tmp_path / "report"
    result = report_runs([runs], out, Console(file=io.StringIO()))
    assert result.runs_csv == out / "runs.csv" and result.runs_csv.is_file()
    assert result.modules_csv.is_file()
    assert {p.name for p in result.plots} == {
        "accuracy_vs_lut.png", "accuracy_vs_dsp.png", "ebops_vs_lut.png", "layer_latency.png"}
    assert result.skipped_plots == ()
