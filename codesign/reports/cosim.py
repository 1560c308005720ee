"""Parser of Vivado HLS / Vitis HLS C/RTL co-simulation reports (``<top>_cosim.rpt``).

Two table flavours exist:

- 8 columns (Vivado HLS 2018-2019): RTL, Status, Latency min/avg/max, Interval min/avg/max;
- 9 columns (Vitis HLS): the same plus ``Total Execution Time`` (clock cycles).

Every figure is in clock cycles; ``NA`` (a language that was not simulated, a failed run, an
interval of a single transaction) reads as None.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from codesign.reports.errors import ReportError, read_report_text

CosimStatus = Literal["Pass", "Fail", "NA"]
_STATUSES: tuple[CosimStatus, ...] = ("Pass", "Fail", "NA")
_LANGUAGES = ("Verilog", "VHDL", "SystemC")
_NA = "NA"


@dataclass(frozen=True)
class CosimRow:
    """One RTL language's row of the co-simulation table (all figures in clock cycles)."""

    language: str
    status: CosimStatus
    latency_min: int | None
    latency_avg: int | None
    latency_max: int | None
    interval_min: int | None
    interval_avg: int | None
    interval_max: int | None
    total_cycles: int | None


@dataclass(frozen=True)
class CosimReport:
    """A parsed co-simulation report.

    Attributes:
        path: the file parsed.
        solution: the HLS solution name (``solution1``, ``hls`` in the unified flow), if given.
        simulator: the simulator, e.g. ``xsim``, if given.
        rows: one row per RTL language, in file order.
    """

    path: Path
    solution: str | None
    simulator: str | None
    rows: tuple[CosimRow, ...]

    @property
    def result(self) -> CosimRow | None:
        """The row of the language that was simulated (status not NA), Verilog first; else None."""
        ran = [row for row in self.rows if row.status != _NA]
        ran.sort(key=lambda row: row.language != "Verilog")
        return ran[0] if ran else None

    @property
    def status(self) -> CosimStatus:
        """``Pass``/``Fail`` of the simulated language, ``NA`` when no language was simulated."""
        row = self.result
        return _NA if row is None else row.status

    def row(self, language: str) -> CosimRow:
        """The row of ``language`` (``Verilog``, ``VHDL``); KeyError naming the file otherwise."""
        for row in self.rows:
            if row.language.lower() == language.lower():
                return row
        raise KeyError(f"{self.path}: no {language!r} row in the co-simulation table")


def _header_value(lines: list[str], key: str) -> str | None:
    """The value of a ``Key : value.`` header line, trailing period removed."""
    for line in lines:
        name, sep, value = line.partition(":")
        if sep and name.strip() == key:
            return value.strip().rstrip(".").strip() or None
    return None


def _cycles(path: Path, text: str, what: str) -> int | None:
    if text == _NA:
        return None
    try:
        return int(text)
    except ValueError:
        raise ReportError(path, f"{what} is not a cycle count: {text!r}") from None


def _row(path: Path, cells: list[str], lineno: int) -> CosimRow:
    if len(cells) not in (8, 9):
        raise ReportError(
            path, f"line {lineno}: table row has {len(cells)} columns, expected 8 or 9"
        )
    language, status = cells[0], cells[1]
    if status not in _STATUSES:
        raise ReportError(path, f"line {lineno}: unknown {language} status {status!r}")
    figures = [
        _cycles(path, cell, f"line {lineno} column {index + 3}")
        for index, cell in enumerate(cells[2:])
    ]
    return CosimRow(
        language=language,
        status=status,
        latency_min=figures[0],
        latency_avg=figures[1],
        latency_max=figures[2],
        interval_min=figures[3],
        interval_avg=figures[4],
        interval_max=figures[5],
        total_cycles=figures[6] if len(figures) == 7 else None,
    )


def parse_cosim(path: Path | str) -> CosimReport:
    """Parse a ``*_cosim.rpt`` into a :class:`CosimReport`.

    Raises:
        ReportError: the file is missing, has no RTL rows, or a row is malformed; the message
            names the file and line.
    """
    path = Path(path)
    lines = read_report_text(path).splitlines()
    rows = []
    for lineno, line in enumerate(lines, start=1):
        stripped = line.strip()
        if not stripped.startswith("|"):
            continue
        cells = [cell.strip() for cell in stripped.strip("|").split("|")]
        if cells and cells[0] in _LANGUAGES:
            rows.append(_row(path, cells, lineno))
    if not rows:
        raise ReportError(
            path, "no RTL result rows (Verilog/VHDL/SystemC) found: not a co-simulation report"
        )
    return CosimReport(
        path=path,
        solution=_header_value(lines, "Solution"),
        simulator=_header_value(lines, "Simulation tool"),
        rows=tuple(rows),
    )
