"""Parser of Vivado HLS / Vitis HLS C-synthesis reports (``csynth.xml``).

Covers every flavour from Vivado HLS 2018.1 to Vitis HLS 2025.2:

- DSP counted as ``<DSP48E>`` (to 2019.2) or ``<DSP>`` (2020.1 on); ``<URAM>`` absent in 2018.1.
- Elements in any order, so every figure is read by tag name, never by position.
- Latency and interval values that are numbers, ``undef``, ``"a ~ b"`` text or
  ``<range><min>a</min><max>b</max></range>`` elements.
- From 2021.2 on, ``<ModuleInformation>`` holds one ``<Module>`` per RTL module with its own
  ``<AreaEstimates>`` and latency; these become :attr:`CsynthReport.modules`.

Units: latencies and intervals in clock cycles, clock periods and absolute latencies in ns.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from codesign.reports.errors import ReportError

_UNDEF = "undef"
_TIME_UNITS_NS = {"ps": 1e-3, "ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}
_TIME_RE = re.compile(r"^\s*([0-9.]+)\s*(ps|ns|us|ms|s)\s*$")
_SPAN_RE = re.compile(r"^\s*(-?\d+)\s*~\s*(-?\d+)\s*$")


@dataclass(frozen=True)
class Resources:
    """FPGA resource counts. ``uram`` is None where the report has no URAM figure (2018.1)."""

    lut: int
    ff: int
    dsp: int
    bram_18k: int
    uram: int | None


@dataclass(frozen=True)
class Latency:
    """Latency and initiation interval in clock cycles; None where HLS reports ``undef``.

    ``*_ns`` are the same latencies in ns (as HLS reports them: cycles x target clock period).
    """

    best_cycles: int | None
    average_cycles: int | None
    worst_cycles: int | None
    interval_min_cycles: int | None
    interval_max_cycles: int | None
    best_ns: float | None
    average_ns: float | None
    worst_ns: float | None


@dataclass(frozen=True)
class ModuleEstimate:
    """One RTL module of the design (one row of ``ModuleInformation``, Vitis HLS 2021.2+)."""

    name: str
    resources: Resources
    latency: Latency
    estimated_clock_ns: float | None
    pipeline_type: str | None


@dataclass(frozen=True)
class CsynthReport:
    """Figures of one ``csynth.xml``.

    Attributes:
        path: the file parsed.
        tool_version: e.g. ``"2023.2"`` or ``"2023.2.2"``; Vivado HLS up to 2019.2, Vitis HLS after.
        part: the FPGA part, e.g. ``"xczu3eg-sbva484-1-i"``.
        top: the top function name.
        target_clock_ns: the requested clock period (ns).
        clock_uncertainty_ns: the clock uncertainty margin (ns), None when absent.
        estimated_clock_ns: the clock period HLS estimates it can meet (ns).
        pipeline_type: ``none``/``no``/``dataflow``/... as written, None when absent.
        resources: the design's resource use.
        available: the resources of the part.
        latency: the design's latency and interval.
        modules: per-module rows (empty before Vitis HLS 2021.2).
    """

    path: Path
    tool_version: str
    part: str
    top: str
    target_clock_ns: float
    clock_uncertainty_ns: float | None
    estimated_clock_ns: float
    pipeline_type: str | None
    resources: Resources
    available: Resources
    latency: Latency
    modules: tuple[ModuleEstimate, ...]

    @property
    def target_clock_mhz(self) -> float:
        """The requested clock frequency (MHz)."""
        return 1000.0 / self.target_clock_ns

    @property
    def estimated_fmax_mhz(self) -> float:
        """The frequency HLS estimates the design reaches (MHz), from the estimated period."""
        return 1000.0 / self.estimated_clock_ns

    def module(self, name: str) -> ModuleEstimate:
        """The per-module row called ``name``; KeyError naming the known modules otherwise."""
        for row in self.modules:
            if row.name == name:
                return row
        known = ", ".join(row.name for row in self.modules) or "none"
        raise KeyError(f"{self.path}: no module {name!r} (modules: {known})")


class _Reader:
    """Typed access to elements of one parsed report, with errors naming the file and element."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, problem: str) -> ReportError:
        return ReportError(self.path, problem)

    def find(self, parent: ET.Element, tag_path: str, where: str) -> ET.Element:
        elem = parent.find(tag_path)
        if elem is None:
            raise self.fail(f"missing element <{tag_path}> in {where}")
        return elem

    def text(self, parent: ET.Element, tag_path: str, where: str) -> str:
        value = (self.find(parent, tag_path, where).text or "").strip()
        if not value:
            raise self.fail(f"empty element <{tag_path}> in {where}")
        return value

    def optional_text(self, parent: ET.Element, tag_path: str) -> str | None:
        elem = parent.find(tag_path)
        if elem is None or not (elem.text or "").strip():
            return None
        return (elem.text or "").strip()

    def number(self, text: str, what: str) -> float:
        try:
            return float(text)
        except ValueError:
            raise self.fail(f"{what} is not a number: {text!r}") from None

    def count(self, text: str, what: str) -> int:
        try:
            return int(text)
        except ValueError:
            raise self.fail(f"{what} is not an integer: {text!r}") from None

    def span(self, elem: ET.Element | None, what: str) -> tuple[int | None, int | None]:
        """(min, max) cycles of a value written as ``N``, ``undef``, ``a ~ b`` or ``<range>``.

        A negative bound (HLS writes ``3 ~ -1`` for an unbounded maximum) reads as None.
        """
        if elem is None:
            return None, None
        rng = elem.find("range")
        if rng is not None:
            lo = self.text(rng, "min", what)
            hi = self.text(rng, "max", what)
        else:
            text = (elem.text or "").strip()
            match = _SPAN_RE.match(text)
            lo, hi = (match.group(1), match.group(2)) if match else (text, text)
        return self._bound(lo, what), self._bound(hi, what)

    def _bound(self, text: str, what: str) -> int | None:
        if text == _UNDEF:
            return None
        value = self.count(text, what)
        return value if value >= 0 else None

    def scalar_cycles(self, elem: ET.Element | None, what: str) -> int | None:
        lo, hi = self.span(elem, what)
        if lo != hi:
            raise self.fail(f"{what} has a range ({lo} ~ {hi}) where one value was expected")
        return lo

    def time_ns(self, elem: ET.Element | None, what: str) -> float | None:
        """A time such as ``13.194 ms`` or ``0.825 us`` in ns; None for ``undef``."""
        text = (elem.text or "").strip() if elem is not None else ""
        if text in ("", _UNDEF):
            return None
        match = _TIME_RE.match(text)
        if match is None:
            raise self.fail(f"{what} is not a time with a unit: {text!r}")
        return round(float(match.group(1)) * _TIME_UNITS_NS[match.group(2)], 6)

    def resources(self, parent: ET.Element, where: str) -> Resources:
        """LUT, FF, DSP (``<DSP>`` or ``<DSP48E>``), BRAM_18K and optional URAM of ``parent``."""
        dsp_tag = "DSP" if parent.find("DSP") is not None else "DSP48E"
        uram_text = self.optional_text(parent, "URAM")
        return Resources(
            lut=self.count(self.text(parent, "LUT", where), f"{where}/LUT"),
            ff=self.count(self.text(parent, "FF", where), f"{where}/FF"),
            dsp=self.count(self.text(parent, dsp_tag, where), f"{where}/{dsp_tag}"),
            bram_18k=self.count(self.text(parent, "BRAM_18K", where), f"{where}/BRAM_18K"),
            uram=None if uram_text is None else self.count(uram_text, f"{where}/URAM"),
        )

    def latency(self, summary: ET.Element, where: str, clock_ns: float | None) -> Latency:
        """Latency of a ``SummaryOfOverallLatency`` element (top level or per module)."""
        best = self.scalar_cycles(summary.find("Best-caseLatency"), f"{where}/Best-caseLatency")
        avg = self.scalar_cycles(summary.find("Average-caseLatency"), f"{where}/Average-caseLatency")
        worst = self.scalar_cycles(summary.find("Worst-caseLatency"), f"{where}/Worst-caseLatency")
        if summary.find("Interval-min") is not None:
            imin = self.span(summary.find("Interval-min"), f"{where}/Interval-min")[0]
            imax = self.span(summary.find("Interval-max"), f"{where}/Interval-max")[1]
        else:
            interval = summary.find("PipelineInitiationInterval")
            if interval is None:
                interval = summary.find("DataflowPipelineThroughput")
            imin, imax = self.span(interval, f"{where}/interval")
        return Latency(
            best_cycles=best,
            average_cycles=avg,
            worst_cycles=worst,
            interval_min_cycles=imin,
            interval_max_cycles=imax,
            best_ns=self._absolute(summary, "Best", best, clock_ns, where),
            average_ns=self._absolute(summary, "Average", avg, clock_ns, where),
            worst_ns=self._absolute(summary, "Worst", worst, clock_ns, where),
        )

    def _absolute(
        self, summary: ET.Element, case: str, cycles: int | None, clock_ns: float | None, where: str
    ) -> float | None:
        """The report's ``<case>-caseRealTimeLatency`` in ns, else cycles x target period."""
        tag = f"{case}-caseRealTimeLatency"
        elem = summary.find(tag)
        if elem is not None:
            return self.time_ns(elem, f"{where}/{tag}")
        if cycles is None or clock_ns is None:
            return None
        return cycles * clock_ns


def _parse_xml(path: Path) -> ET.Element:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ReportError(path, "report file not found") from None
    except OSError as exc:
        raise ReportError(path, f"cannot read report file ({exc.strerror})") from None
    try:
        # Bytes, not text: expat then honours a UTF-8 BOM and any line ending itself.
        return ET.fromstring(data)
    except ET.ParseError as exc:
        raise ReportError(path, f"not well-formed XML ({exc})") from None


def _module(reader: _Reader, elem: ET.Element, target_clock_ns: float) -> ModuleEstimate:
    name = reader.text(elem, "Name", "ModuleInformation/Module")
    where = f"ModuleInformation/Module[{name}]"
    perf = reader.find(elem, "PerformanceEstimates", where)
    summary = reader.find(perf, "SummaryOfOverallLatency", f"{where}/PerformanceEstimates")
    est_clock = reader.optional_text(perf, "SummaryOfTimingAnalysis/EstimatedClockPeriod")
    area = reader.find(elem, "AreaEstimates/Resources", where)
    return ModuleEstimate(
        name=name,
        resources=reader.resources(area, f"{where}/AreaEstimates/Resources"),
        latency=reader.latency(summary, where, target_clock_ns),
        estimated_clock_ns=(
            None if est_clock is None else reader.number(est_clock, f"{where} EstimatedClockPeriod")
        ),
        pipeline_type=reader.optional_text(summary, "PipelineType"),
    )


def parse_csynth(path: Path | str) -> CsynthReport:
    """Parse a ``csynth.xml`` (or a per-top ``<top>_csynth.xml``) into a :class:`CsynthReport`.

    Raises:
        ReportError: the file is missing, is not XML, or lacks a required figure; the message
            names the file and the element.
    """
    path = Path(path)
    root = _parse_xml(path)
    reader = _Reader(path)
    if root.tag != "profile":
        raise reader.fail(f"root element is <{root.tag}>, expected <profile> (not a csynth report)")
    user = reader.find(root, "UserAssignments", "/profile")
    target_clock = reader.number(
        reader.text(user, "TargetClockPeriod", "UserAssignments"), "TargetClockPeriod"
    )
    uncertainty = reader.optional_text(user, "ClockUncertainty")
    perf = reader.find(root, "PerformanceEstimates", "/profile")
    summary = reader.find(perf, "SummaryOfOverallLatency", "PerformanceEstimates")
    area = reader.find(root, "AreaEstimates", "/profile")
    module_info = root.find("ModuleInformation")
    modules = () if module_info is None else module_info.findall("Module")
    return CsynthReport(
        path=path,
        tool_version=reader.text(root, "ReportVersion/Version", "/profile"),
        part=reader.text(user, "Part", "UserAssignments"),
        top=reader.text(user, "TopModelName", "UserAssignments"),
        target_clock_ns=target_clock,
        clock_uncertainty_ns=(
            None if uncertainty is None else reader.number(uncertainty, "ClockUncertainty")
        ),
        estimated_clock_ns=reader.number(
            reader.text(perf, "SummaryOfTimingAnalysis/EstimatedClockPeriod", "PerformanceEstimates"),
            "EstimatedClockPeriod",
        ),
        pipeline_type=reader.optional_text(perf, "PipelineType"),
        resources=reader.resources(
            reader.find(area, "Resources", "AreaEstimates"),
            "AreaEstimates/Resources",
        ),
        available=reader.resources(
            reader.find(area, "AvailableResources", "AreaEstimates"),
            "AreaEstimates/AvailableResources",
        ),
        latency=reader.latency(summary, "SummaryOfOverallLatency", target_clock),
        modules=tuple(_module(reader, elem, target_clock) for elem in modules),
    )
