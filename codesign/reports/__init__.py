"""Vendor report parsers (Vitis HLS csynth/cosim, Vivado utilization/timing), collection, plots."""

from codesign.reports.collect import collect, collect_modules, find_run_dirs, print_table, write_csv
from codesign.reports.cosim import CosimReport, CosimRow, parse_cosim
from codesign.reports.csynth import CsynthReport, Latency, ModuleEstimate, Resources, parse_csynth
from codesign.reports.errors import ReportError
from codesign.reports.plots import PlotDataError, PlotResult, draw_plots
from codesign.reports.report import RunsReport, report_runs
from codesign.reports.vivado import (
    ClockTiming,
    SiteUse,
    SlackFigures,
    TimingReport,
    UtilizationReport,
    parse_timing_summary,
    parse_utilization,
)

__all__ = [
    "ClockTiming",
    "CosimReport",
    "CosimRow",
    "CsynthReport",
    "Latency",
    "ModuleEstimate",
    "PlotDataError",
    "PlotResult",
    "ReportError",
    "Resources",
    "RunsReport",
    "SiteUse",
    "SlackFigures",
    "TimingReport",
    "UtilizationReport",
    "collect",
    "collect_modules",
    "draw_plots",
    "find_run_dirs",
    "parse_cosim",
    "parse_csynth",
    "parse_timing_summary",
    "parse_utilization",
    "print_table",
    "report_runs",
    "write_csv",
]
