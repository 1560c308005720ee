"""Collect the reports of flow runs into pandas tables, CSV files and a terminal table.

A run directory is ``results/runs/<flow>/<run-id>/`` (see DESIGN.md); this module reads its
``summary.json`` (scalar figures such as ``accuracy`` and ``ebops``, nested objects flattened to
``a.b`` column names) and, under ``reports/``, at most one of each:

- ``csynth.xml`` (else a single ``*_csynth.xml``): columns ``hls_*``, latency and interval;
- ``*_cosim.rpt``: columns ``cosim_*``;
- ``*utilization*.rpt`` and ``*timing_summary*.rpt`` (routed before placed before synthesis):
  columns ``impl_*``, ``wns_ns``, ``fmax_mhz``...

The columns ``lut``, ``ff``, ``dsp``, ``bram_18k``, ``uram`` hold the best figure available:
the implementation's when Vivado ran, else the HLS estimate (``resource_source`` says which).
Units are in the column names: ``_cycles`` (clock cycles), ``_ns``, ``_mhz``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from rich.console import Console
from rich.table import Table

from codesign.reports.cosim import parse_cosim
from codesign.reports.csynth import CsynthReport, parse_csynth
from codesign.reports.errors import ReportError
from codesign.reports.vivado import parse_timing_summary, parse_utilization

REPORTS_SUBDIR = "reports"
SUMMARY_FILE = "summary.json"
_RUN_KEYS = ("flow", "run_id", "run_dir")
# Vivado writes one report per design state; the latest state is the one to trust.
_STATE_ORDER = ("routed", "route", "placed", "place", "opt", "synth")
_RESOURCES = ("lut", "ff", "dsp", "bram_18k", "uram")
TABLE_COLUMNS = (
    "flow",
    "run_id",
    "accuracy",
    "ebops",
    "lut",
    "ff",
    "dsp",
    "bram_18k",
    "latency_worst_cycles",
    "interval_max_cycles",
    "fmax_mhz",
    "cosim_status",
)


def find_run_dirs(paths: Iterable[Path | str]) -> list[Path]:
    """Run directories given directly or found below the given folders, in order, no repeats.

    A run directory holds ``reports/`` or ``summary.json``.

    Raises:
        ReportError: a path does not exist or holds no run directory.
    """
    runs: list[Path] = []
    for path in map(Path, paths):
        if not path.is_dir():
            raise ReportError(path, "run directory not found")
        if _is_run_dir(path):
            found = [path]
        else:
            found = sorted(
                {p.parent for p in path.rglob(SUMMARY_FILE)}
                | {p.parent for p in path.rglob(REPORTS_SUBDIR) if p.is_dir()}
            )
        if not found:
            raise ReportError(path, f"no run directory (with {REPORTS_SUBDIR}/ or {SUMMARY_FILE})")
        runs.extend(run for run in found if run not in runs)
    return runs


def _is_run_dir(path: Path) -> bool:
    return (path / REPORTS_SUBDIR).is_dir() or (path / SUMMARY_FILE).is_file()


def _one(reports: Path, matches: list[Path], what: str) -> Path | None:
    if len(matches) > 1:
        names = ", ".join(str(m.relative_to(reports)) for m in matches)
        raise ReportError(reports, f"several {what} reports, cannot tell which to use: {names}")
    return matches[0] if matches else None


def _by_state(reports: Path, pattern: str, what: str) -> Path | None:
    """The report matching ``pattern`` of the latest design state (routed > placed > synth)."""
    matches = sorted(p for p in reports.rglob(pattern) if "hierarchical" not in p.name)
    for state in _STATE_ORDER:
        of_state = [p for p in matches if state in p.stem.lower()]
        if of_state:
            return _one(reports, of_state, f"{state} {what}")
    return _one(reports, matches, what)


def _csynth_path(reports: Path) -> Path | None:
    main = sorted(reports.rglob("csynth.xml"))
    if main:
        return _one(reports, main, "csynth.xml")
    return _one(reports, sorted(reports.rglob("*_csynth.xml")), "*_csynth.xml")


def _flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Scalar values of a JSON object, nested objects as ``a.b`` keys; lists are left out."""
    flat: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{name}."))
        elif value is None or isinstance(value, (str, int, float, bool)):
            flat[name] = value
    return flat


def _summary(run_dir: Path) -> dict[str, Any]:
    path = run_dir / SUMMARY_FILE
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ReportError(path, f"not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise ReportError(path, "expected a JSON object at the top level")
    return {k: v for k, v in _flatten(data).items() if k not in _RUN_KEYS}


def _csynth_columns(report: CsynthReport) -> dict[str, Any]:
    lat, res = report.latency, report.resources
    return {
        "hls_tool_version": report.tool_version,
        "part": report.part,
        "top": report.top,
        "target_clock_ns": report.target_clock_ns,
        "estimated_clock_ns": report.estimated_clock_ns,
        "estimated_fmax_mhz": report.estimated_fmax_mhz,
        "hls_lut": res.lut,
        "hls_ff": res.ff,
        "hls_dsp": res.dsp,
        "hls_bram_18k": res.bram_18k,
        "hls_uram": res.uram,
        "latency_best_cycles": lat.best_cycles,
        "latency_avg_cycles": lat.average_cycles,
        "latency_worst_cycles": lat.worst_cycles,
        "interval_min_cycles": lat.interval_min_cycles,
        "interval_max_cycles": lat.interval_max_cycles,
        "latency_best_ns": lat.best_ns,
        "latency_worst_ns": lat.worst_ns,
    }


def _report_columns(run_dir: Path) -> dict[str, Any]:
    reports = run_dir / REPORTS_SUBDIR
    if not reports.is_dir():
        return {}
    row: dict[str, Any] = {}
    csynth = _csynth_path(reports)
    if csynth is not None:
        row.update(_csynth_columns(parse_csynth(csynth)))
    cosim = _one(reports, sorted(reports.rglob("*_cosim.rpt")), "*_cosim.rpt")
    if cosim is not None:
        report = parse_cosim(cosim)
        result = report.result
        row["cosim_status"] = report.status
        for field in ("latency_min", "latency_avg", "latency_max", "interval_min",
                      "interval_avg", "interval_max", "total_cycles"):
            row[f"cosim_{field}"] = None if result is None else getattr(result, field)
    util = _by_state(reports, "*utilization*.rpt", "utilization")
    if util is not None:
        u = parse_utilization(util)
        row.update(
            impl_lut=u.lut.used,
            impl_ff=u.ff.used,
            impl_dsp=u.dsp.used,
            impl_bram_18k=u.bram_18k,
            impl_uram=None if u.uram is None else u.uram.used,
        )
    timing = _by_state(reports, "*timing_summary*.rpt", "timing summary")
    if timing is not None:
        t = parse_timing_summary(timing)
        row.update(
            wns_ns=t.wns_ns,
            tns_ns=t.tns_ns,
            whs_ns=t.whs_ns,
            ths_ns=t.ths_ns,
            failing_endpoints=t.failing_endpoints,
            timing_met=t.constraints_met,
            fmax_mhz=t.fmax_mhz,
        )
    return row


def _best_resources(row: dict[str, Any]) -> dict[str, Any]:
    source = "impl" if row.get("impl_lut") is not None else "hls" if "hls_lut" in row else None
    if source is None:
        return {}
    best = {name: row.get(f"{source}_{name}") for name in _RESOURCES}
    return {**best, "resource_source": source}


def collect(run_dirs: Iterable[Path | str]) -> pd.DataFrame:
    """One row per run: run identity, ``summary.json`` figures and every report's figures.

    ``run_dirs`` may name run directories or folders above them (``results/runs``). Figures a
    run lacks (a stage skipped) are missing values.

    Raises:
        ReportError: a path holds no run, or a report or summary.json there is malformed or
            ambiguous; the message names the file.
    """
    rows = []
    for run_dir in find_run_dirs(run_dirs):
        row: dict[str, Any] = {
            "flow": run_dir.parent.name,
            "run_id": run_dir.name,
            "run_dir": str(run_dir),
        }
        row.update(_summary(run_dir))
        row.update(_report_columns(run_dir))
        row.update(_best_resources(row))
        rows.append(row)
    return pd.DataFrame(rows)


def collect_modules(run_dirs: Iterable[Path | str]) -> pd.DataFrame:
    """One row per (run, HLS module) from the per-module part of each run's csynth report.

    Columns: flow, run_id, module, is_top, lut, ff, dsp, bram_18k, uram, latency_best_cycles,
    latency_worst_cycles, interval_min_cycles, interval_max_cycles. Empty (with these columns)
    when no report has per-module rows (reports before Vitis HLS 2021.2).
    """
    columns = ["flow", "run_id", "module", "is_top", *_RESOURCES, "latency_best_cycles",
               "latency_worst_cycles", "interval_min_cycles", "interval_max_cycles"]
    rows = []
    for run_dir in find_run_dirs(run_dirs):
        reports = run_dir / REPORTS_SUBDIR
        path = _csynth_path(reports) if reports.is_dir() else None
        if path is None:
            continue
        report = parse_csynth(path)
        for module in report.modules:
            res, lat = module.resources, module.latency
            rows.append([
                run_dir.parent.name, run_dir.name, module.name, module.name == report.top,
                res.lut, res.ff, res.dsp, res.bram_18k, res.uram, lat.best_cycles,
                lat.worst_cycles, lat.interval_min_cycles, lat.interval_max_cycles,
            ])
    return pd.DataFrame(rows, columns=columns)


def write_csv(frame: pd.DataFrame, path: Path | str) -> Path:
    """Write ``frame`` to ``path`` as CSV atomically (a temporary file renamed into place)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    frame.to_csv(tmp, index=False)
    os.replace(tmp, path)
    return path


def _cell(value: Any) -> str:
    if value is None or pd.isna(value):
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}" if not value.is_integer() else f"{int(value)}"
    return str(value)


def print_table(
    frame: pd.DataFrame, console: Console | None = None, columns: Sequence[str] = TABLE_COLUMNS
) -> Table:
    """Print the runs as a rich table of the ``columns`` that ``frame`` has; returns the table."""
    shown = [name for name in columns if name in frame.columns]
    table = Table(title="codesign runs")
    for name in shown:
        table.add_column(name, justify="left" if name in ("flow", "run_id") else "right")
    for record in frame[shown].itertuples(index=False):
        table.add_row(*(_cell(value) for value in record))
    (console or Console()).print(table)
    return table
