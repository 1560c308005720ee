"""PNG plots of collected runs: accuracy vs LUT and vs DSP, EBOPs vs LUT, per-layer latency.

Figures are drawn with matplotlib's object API on the Agg canvas (no pyplot, no display, no
global figure state). A plot whose columns are missing raises :class:`PlotDataError` saying which
column and where it comes from; :func:`draw_plots` collects those messages instead of failing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

# Where each plotted column comes from, for the message when it is missing.
_SOURCES = {
    "accuracy": "the run's summary.json (key 'accuracy')",
    "ebops": "the run's summary.json (key 'ebops')",
    "lut": "a csynth.xml or Vivado utilization report under reports/",
    "dsp": "a csynth.xml or Vivado utilization report under reports/",
    "latency_worst_cycles": "per-module rows of a Vitis HLS 2021.2+ csynth.xml",
}


class PlotDataError(ValueError):
    """The table lacks the columns (or values) a plot needs."""


@dataclass(frozen=True)
class PlotResult:
    """What :func:`draw_plots` wrote, and why each plot it did not draw was skipped."""

    written: tuple[Path, ...]
    skipped: tuple[str, ...]


def _require(frame: pd.DataFrame, columns: Sequence[str], plot: str) -> pd.DataFrame:
    """Rows of ``frame`` with a value in every column; PlotDataError naming what is missing."""
    for column in columns:
        if column not in frame.columns:
            source = _SOURCES.get(column, "the collected table")
            raise PlotDataError(f"{plot}: no {column!r} column (it comes from {source})")
    rows = frame.dropna(subset=list(columns))
    if rows.empty:
        raise PlotDataError(f"{plot}: no run has values for all of {', '.join(columns)}")
    return rows


def _save(fig: Figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    FigureCanvasAgg(fig)
    fig.savefig(path, dpi=120, format="png")
    return path


def _scatter(frame: pd.DataFrame, x: str, y: str, xlabel: str, ylabel: str, path: Path) -> Path:
    title = f"{ylabel} vs {xlabel}"
    rows = _require(frame, [x, y], title)
    fig = Figure(figsize=(6, 4.5), layout="constrained")
    ax = fig.add_subplot()
    groups = rows.groupby("flow") if "flow" in rows.columns else [(None, rows)]
    for flow, group in groups:
        ax.scatter(group[x].astype(float), group[y].astype(float), label=flow)
        if "run_id" in group.columns:
            for _, row in group.iterrows():
                ax.annotate(str(row["run_id"]), (float(row[x]), float(row[y])), fontsize=7,
                            textcoords="offset points", xytext=(3, 3))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    if "flow" in rows.columns:
        ax.legend(title="flow", fontsize=8)
    return _save(fig, path)


def plot_accuracy_vs_lut(frame: pd.DataFrame, path: Path | str) -> Path:
    """Scatter of accuracy against LUTs, one point per run; returns the PNG path."""
    return _scatter(frame, "lut", "accuracy", "LUT", "accuracy", Path(path))


def plot_accuracy_vs_dsp(frame: pd.DataFrame, path: Path | str) -> Path:
    """Scatter of accuracy against DSP slices, one point per run; returns the PNG path."""
    return _scatter(frame, "dsp", "accuracy", "DSP", "accuracy", Path(path))


def plot_ebops_vs_lut(frame: pd.DataFrame, path: Path | str) -> Path:
    """Scatter of EBOPs (the HGQ resource proxy) against LUTs; returns the PNG path."""
    return _scatter(frame, "lut", "ebops", "LUT", "EBOPs", Path(path))


def plot_layer_latency(modules: pd.DataFrame, path: Path | str) -> Path:
    """Horizontal bars of each module's worst-case latency (cycles), one colour per run.

    ``modules`` is the table of :func:`codesign.reports.collect.collect_modules`; the top module
    (which spans all layers) is left out.
    """
    title = "per-layer latency"
    rows = _require(modules, ["module", "run_id", "latency_worst_cycles"], title)
    if "is_top" in rows.columns:
        rows = rows[~rows["is_top"].astype(bool)]
    if rows.empty:
        raise PlotDataError(f"{title}: no module other than the top has a latency")
    table = rows.pivot_table(
        index="module", columns="run_id", values="latency_worst_cycles", aggfunc="max", sort=False
    )
    fig = Figure(figsize=(7, 1.2 + 0.35 * len(table) * max(1, len(table.columns) / 2)),
                 layout="constrained")
    ax = fig.add_subplot()
    table.astype(float).plot.barh(ax=ax)
    ax.invert_yaxis()
    ax.set_xlabel("worst-case latency (cycles)")
    ax.set_ylabel("module")
    ax.set_title(title)
    ax.legend(title="run", fontsize=8)
    return _save(fig, Path(path))


def draw_plots(frame: pd.DataFrame, modules: pd.DataFrame, out_dir: Path | str) -> PlotResult:
    """Draw every plot the tables allow into ``out_dir``; report the others as skipped."""
    out_dir = Path(out_dir)
    jobs = (
        (plot_accuracy_vs_lut, frame, "accuracy_vs_lut.png"),
        (plot_accuracy_vs_dsp, frame, "accuracy_vs_dsp.png"),
        (plot_ebops_vs_lut, frame, "ebops_vs_lut.png"),
        (plot_layer_latency, modules, "layer_latency.png"),
    )
    written, skipped = [], []
    for plot, table, name in jobs:
        try:
            written.append(plot(table, out_dir / name))
        except PlotDataError as exc:
            skipped.append(str(exc))
    return PlotResult(tuple(written), tuple(skipped))
