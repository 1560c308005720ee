"""Parsers of Vivado ``report_utilization`` and ``report_timing_summary`` text reports.

Utilization: the site names differ by family (``Slice LUTs``/``Slice Registers`` on 7-series,
``CLB LUTs``/``CLB Registers`` on UltraScale+), the ``Prohibited`` column exists from 2021.2 on,
``Block RAM Tile`` may be fractional (a RAMB18 is half a tile) and ``URAM`` exists only on
UltraScale+ parts. Columns are found by their header names.

Timing: the ``Design Timing Summary`` row (WNS/TNS/WHS/THS in ns with failing and total endpoint
counts, ``NA`` when nothing is timed), the ``Clock Summary`` (periods in ns) and the
``Intra Clock Table`` (per-clock WNS/WHS), from which the achieved Fmax is derived.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from codesign.reports.errors import ReportError, read_report_text

_NA = "NA"
_LUT_SITES = ("CLB LUTs", "Slice LUTs")
_FF_SITES = ("CLB Registers", "Slice Registers")
_BRAM_SITE = "Block RAM Tile"
_URAM_SITE = "URAM"
_DSP_SITE = "DSPs"
_MET = "All user specified timing constraints are met."
_NOT_MET = "Timing constraints are not met."
_DASH_GROUP = re.compile(r"-+")
# "  clk_out1  {0.000 3.391}  6.782  147.457": name, waveform, period (ns), frequency (MHz).
_CLOCK_ROW = re.compile(r"^\s*(\S+)\s+\{[^}]*\}\s+(\S+)\s+(\S+)\s*$")
_BANNER_LINES = 20


@dataclass(frozen=True)
class SiteUse:
    """One resource row of a utilization table: used count, available count, utilization (%).

    ``used`` is a float because ``Block RAM Tile`` counts half tiles (RAMB18) as 0.5.
    A ``<0.01`` utilization reads as 0.01.
    """

    used: float
    available: float | None
    util_percent: float | None


@dataclass(frozen=True)
class UtilizationReport:
    """Figures of one ``report_utilization`` file.

    Attributes:
        path: the file parsed.
        tool_version: e.g. ``"2023.2.2"``, None when the header lacks it.
        design: the top design name from the header.
        device: the device string as this report writes it (e.g. ``xczu3egsbva484-1``).
        design_state: e.g. ``Routed``, ``Fully Placed``, ``Synthesized``.
        lut, ff, bram_tiles, dsp: the LUT, register, Block RAM tile (36 Kb) and DSP rows.
        uram: the URAM row, None on parts without URAM (7-series, Zynq-7000) or older reports.
    """

    path: Path
    tool_version: str | None
    design: str | None
    device: str | None
    design_state: str | None
    lut: SiteUse
    ff: SiteUse
    bram_tiles: SiteUse
    uram: SiteUse | None
    dsp: SiteUse

    @property
    def bram_18k(self) -> float:
        """Block RAM use in 18 Kb units, comparable with the HLS ``BRAM_18K`` figure."""
        return self.bram_tiles.used * 2


@dataclass(frozen=True)
class SlackFigures:
    """Setup (WNS/TNS) and hold (WHS/THS) slack in ns with endpoint counts; None where NA."""

    wns_ns: float | None
    tns_ns: float | None
    tns_failing_endpoints: int | None
    tns_total_endpoints: int | None
    whs_ns: float | None
    ths_ns: float | None
    ths_failing_endpoints: int | None
    ths_total_endpoints: int | None


@dataclass(frozen=True)
class ClockTiming:
    """One clock: its period (ns) and, when it times any path, its own setup and hold slack."""

    name: str
    period_ns: float
    frequency_mhz: float
    slack: SlackFigures | None

    @property
    def fmax_mhz(self) -> float | None:
        """Achieved frequency (MHz) = 1000 / (period - WNS); None when the clock has no WNS."""
        if self.slack is None or self.slack.wns_ns is None:
            return None
        return 1000.0 / (self.period_ns - self.slack.wns_ns)


@dataclass(frozen=True)
class TimingReport:
    """Figures of one ``report_timing_summary`` file.

    Attributes:
        path: the file parsed.
        tool_version, design, device: from the header (None when absent).
        design_slack: the ``Design Timing Summary`` row.
        constraints_met: True/False from the report's verdict line, None when it has none.
        clocks: the clocks of the ``Clock Summary`` with their intra-clock slack.
    """

    path: Path
    tool_version: str | None
    design: str | None
    device: str | None
    design_slack: SlackFigures
    constraints_met: bool | None
    clocks: tuple[ClockTiming, ...]

    @property
    def wns_ns(self) -> float | None:
        """Worst negative (setup) slack of the design (ns)."""
        return self.design_slack.wns_ns

    @property
    def tns_ns(self) -> float | None:
        """Total negative (setup) slack of the design (ns)."""
        return self.design_slack.tns_ns

    @property
    def whs_ns(self) -> float | None:
        """Worst hold slack of the design (ns)."""
        return self.design_slack.whs_ns

    @property
    def ths_ns(self) -> float | None:
        """Total hold slack of the design (ns)."""
        return self.design_slack.ths_ns

    @property
    def failing_endpoints(self) -> int | None:
        """Setup plus hold failing endpoints; None when the report has no timed paths."""
        tns, ths = self.design_slack.tns_failing_endpoints, self.design_slack.ths_failing_endpoints
        if tns is None and ths is None:
            return None
        return (tns or 0) + (ths or 0)

    @property
    def critical_clock(self) -> ClockTiming | None:
        """The clock with the worst setup slack (the one limiting Fmax), None if none is timed."""
        timed = [clock for clock in self.clocks if clock.fmax_mhz is not None]
        if not timed:
            return None
        return min(timed, key=lambda clock: clock.slack.wns_ns)  # type: ignore[union-attr]

    @property
    def fmax_mhz(self) -> float | None:
        """Achieved Fmax (MHz) of the critical clock: 1000 / (its period - its WNS)."""
        clock = self.critical_clock
        return None if clock is None else clock.fmax_mhz

    def clock(self, name: str) -> ClockTiming:
        """The clock called ``name``; KeyError naming the file and the known clocks otherwise."""
        for clock in self.clocks:
            if clock.name == name:
                return clock
        known = ", ".join(clock.name for clock in self.clocks) or "none"
        raise KeyError(f"{self.path}: no clock {name!r} (clocks: {known})")


def _header(lines: list[str]) -> dict[str, str]:
    """``| Key : value`` lines of the report banner (the first lines of the file)."""
    fields: dict[str, str] = {}
    for line in lines:
        if not line.startswith("| ") or ":" not in line:
            continue
        key, _, value = line[2:].partition(":")
        fields.setdefault(key.strip(), value.strip())
    return fields


def _tool_version(header: dict[str, str]) -> str | None:
    """``2021.2`` from ``Vivado v.2021.2 (lin64) Build ...``."""
    match = re.search(r"v\.?(\d{4}\.\d+(?:\.\d+)?)", header.get("Tool Version", ""))
    return match.group(1) if match else None


def _number(path: Path, text: str, what: str) -> float | None:
    text = text.strip()
    if text in ("", _NA):
        return None
    try:
        return float(text.lstrip("<"))
    except ValueError:
        raise ReportError(path, f"{what} is not a number: {text!r}") from None


def _count(path: Path, text: str, what: str) -> int | None:
    value = _number(path, text, what)
    if value is not None and not value.is_integer():
        raise ReportError(path, f"{what} is not a whole count: {text!r}")
    return None if value is None else int(value)


def _site_rows(lines: list[str]) -> dict[str, dict[str, str]]:
    """First row of every site in the ``| Site Type | Used | ... |`` tables, keyed by site name.

    Each row maps the table's own column names to cell text, so the optional ``Prohibited``
    column and the column order do not matter.
    """
    rows: dict[str, dict[str, str]] = {}
    columns: list[str] | None = None
    for line in lines:
        if not line.startswith("|"):
            if not line.startswith("+"):
                columns = None  # a table ends at its first line that is no border or row
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if cells[0] == "Site Type":
            columns = cells
        elif columns is not None and len(cells) == len(columns):
            rows.setdefault(cells[0], dict(zip(columns, cells)))
    return rows


def _site(path: Path, rows: dict[str, dict[str, str]], names: tuple[str, ...]) -> SiteUse | None:
    for name in names:
        row = rows.get(name)
        if row is None:
            continue
        if "Used" not in row:
            raise ReportError(path, f"the {name!r} row has no 'Used' column")
        used = _number(path, row["Used"], f"{name} Used")
        if used is None:
            raise ReportError(path, f"the {name!r} row has no used count")
        return SiteUse(
            used=used,
            available=_number(path, row.get("Available", ""), f"{name} Available"),
            util_percent=_number(path, row.get("Util%", ""), f"{name} Util%"),
        )
    return None


def _required_site(
    path: Path, rows: dict[str, dict[str, str]], names: tuple[str, ...]
) -> SiteUse:
    site = _site(path, rows, names)
    if site is None:
        wanted = " or ".join(repr(name) for name in names)
        raise ReportError(path, f"no {wanted} row in any utilization table")
    return site


def parse_utilization(path: Path | str) -> UtilizationReport:
    """Parse a Vivado ``report_utilization`` text file into a :class:`UtilizationReport`.

    Raises:
        ReportError: the file is missing, or lacks the LUT, register, Block RAM or DSP rows;
            the message names the file and the row.
    """
    path = Path(path)
    lines = read_report_text(path).splitlines()
    header = _header(lines[:_BANNER_LINES])
    rows = _site_rows(lines)
    return UtilizationReport(
        path=path,
        tool_version=_tool_version(header),
        design=header.get("Design"),
        device=header.get("Device"),
        design_state=header.get("Design State"),
        lut=_required_site(path, rows, _LUT_SITES),
        ff=_required_site(path, rows, _FF_SITES),
        bram_tiles=_required_site(path, rows, (_BRAM_SITE,)),
        uram=_site(path, rows, (_URAM_SITE,)),
        dsp=_required_site(path, rows, (_DSP_SITE,)),
    )


def _section(lines: list[str], title: str) -> list[str]:
    """The lines of a ``| <title>`` section, up to the next ``| `` section title."""
    marker = f"| {title}"
    for start, line in enumerate(lines):
        if line.rstrip() == marker:
            body = []
            for follow in lines[start + 1 :]:
                if follow.startswith("| ") and not follow.startswith("| -"):
                    break
                body.append(follow)
            return body
    return []


def _intra_clock_cells(section: list[str]) -> dict[str, dict[str, str]]:
    """Rows of the ``Intra Clock Table``: clock name -> {column name: cell text}.

    The table is fixed-width with cells right-aligned to the end of the dash group under their
    header; a blank cell (a clock with pulse-width checks only) reads as ``""``. The clock name
    (no spaces, possibly indented for a generated clock) may run past its own dash group.
    """
    for index in range(1, len(section)):
        groups = list(_DASH_GROUP.finditer(section[index]))
        if len(groups) < 2 or not section[index].startswith("-"):
            continue
        ends = [group.end() for group in groups]
        header = section[index - 1]
        names = [header[lo:hi].strip() for lo, hi in zip(ends, ends[1:])]
        cells: dict[str, dict[str, str]] = {}
        for line in section[index + 1 :]:
            match = re.match(r"\s*(\S+)", line)
            if match is None or line.startswith("---"):
                break
            los = [max(end, match.end()) for end in ends[:-1]]
            cells[match.group(1)] = {
                name: line[lo:hi].strip() for name, lo, hi in zip(names, los, ends[1:])
            }
        return cells
    return {}


def _slack(path: Path, cells: dict[str, str], where: str) -> SlackFigures:
    def num(key: str) -> float | None:
        return _number(path, cells.get(key, ""), f"{where} {key}")

    def cnt(key: str) -> int | None:
        return _count(path, cells.get(key, ""), f"{where} {key}")

    return SlackFigures(
        wns_ns=num("WNS(ns)"),
        tns_ns=num("TNS(ns)"),
        tns_failing_endpoints=cnt("TNS Failing Endpoints"),
        tns_total_endpoints=cnt("TNS Total Endpoints"),
        whs_ns=num("WHS(ns)"),
        ths_ns=num("THS(ns)"),
        ths_failing_endpoints=cnt("THS Failing Endpoints"),
        ths_total_endpoints=cnt("THS Total Endpoints"),
    )


def _design_slack(path: Path, lines: list[str]) -> SlackFigures:
    section = _section(lines, "Design Timing Summary")
    if not section:
        raise ReportError(path, "no 'Design Timing Summary' section: not a timing summary report")
    for index, line in enumerate(section):
        if "WNS(ns)" in line and index + 2 < len(section):
            names = line.split("  ")
            names = [name.strip() for name in names if name.strip()]
            values = section[index + 2].split()
            if len(values) != len(names):
                raise ReportError(
                    path,
                    f"Design Timing Summary row has {len(values)} values for {len(names)} columns",
                )
            return _slack(path, dict(zip(names, values)), "Design Timing Summary")
    raise ReportError(path, "the 'Design Timing Summary' section has no WNS(ns) table")


def _clocks(path: Path, lines: list[str]) -> tuple[ClockTiming, ...]:
    intra = _intra_clock_cells(_section(lines, "Intra Clock Table"))
    clocks = []
    for line in _section(lines, "Clock Summary"):
        match = _CLOCK_ROW.match(line)
        if match is None:
            continue
        name, period, frequency = match.groups()
        period_ns = _number(path, period, f"clock {name} Period(ns)")
        frequency_mhz = _number(path, frequency, f"clock {name} Frequency(MHz)")
        if period_ns is None or frequency_mhz is None:
            raise ReportError(path, f"clock {name} has no period or frequency")
        cells = intra.get(name)
        slack = None if cells is None else _slack(path, cells, f"Intra Clock Table {name}")
        clocks.append(ClockTiming(name, period_ns, frequency_mhz, slack))
    return tuple(clocks)


def parse_timing_summary(path: Path | str) -> TimingReport:
    """Parse a Vivado ``report_timing_summary`` text file into a :class:`TimingReport`.

    Raises:
        ReportError: the file is missing or has no readable Design Timing Summary; the message
            names the file.
    """
    path = Path(path)
    text = read_report_text(path)
    lines = text.splitlines()
    header = _header(lines[:_BANNER_LINES])
    met: bool | None = True if _MET in text else False if _NOT_MET in text else None
    return TimingReport(
        path=path,
        tool_version=_tool_version(header),
        design=header.get("Design"),
        device=header.get("Device"),
        design_slack=_design_slack(path, lines),
        constraints_met=met,
        clocks=_clocks(path, lines),
    )
