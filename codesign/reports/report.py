"""``codesign report RUN_DIR...`` as one library call: collect, CSV, terminal table, plots."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from rich.console import Console

from codesign.reports.collect import collect, collect_modules, print_table, write_csv
from codesign.reports.plots import draw_plots


@dataclass(frozen=True)
class RunsReport:
    """What :func:`report_runs` produced.

    Attributes:
        runs: one row per run (see :func:`codesign.reports.collect.collect`).
        modules: one row per (run, HLS module).
        runs_csv, modules_csv: the CSV files written.
        plots: the PNG files written.
        skipped_plots: one message per plot that could not be drawn, saying which data is missing.
    """

    runs: pd.DataFrame
    modules: pd.DataFrame
    runs_csv: Path
    modules_csv: Path
    plots: tuple[Path, ...]
    skipped_plots: tuple[str, ...]


def report_runs(
    run_dirs: Iterable[Path | str], out_dir: Path | str, console: Console | None = None
) -> RunsReport:
    """Collect ``run_dirs`` into ``out_dir``/runs.csv and modules.csv, print the table, plot.

    Raises:
        ReportError: a run directory is missing or one of its reports is malformed.
    """
    dirs = list(run_dirs)
    out_dir = Path(out_dir)
    console = console or Console()
    runs = collect(dirs)
    modules = collect_modules(dirs)
    runs_csv = write_csv(runs, out_dir / "runs.csv")
    modules_csv = write_csv(modules, out_dir / "modules.csv")
    print_table(runs, console)
    plots = draw_plots(runs, modules, out_dir)
    for message in plots.skipped:
        console.print(f"[yellow]plot skipped[/yellow]: {message}")
    return RunsReport(runs, modules, runs_csv, modules_csv, plots.written, plots.skipped)
