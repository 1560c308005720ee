"""Vivado utilization and timing summary parsers on 7-series and UltraScale+ flavours."""

from __future__ import annotations

from pathlib import Path

import pytest

from codesign.reports import ReportError, SiteUse, parse_timing_summary, parse_utilization


def test_utilization_7series_slice_names(fixtures: Path) -> None:
    r = parse_utilization(fixtures / "vivado" / "util_7series_2018.3.rpt")
    assert (r.tool_version, r.design, r.device) == ("2018.3", "design_1_wrapper", "7z020clg400-1")
    assert r.design_state == "Fully Placed"
    assert r.lut == SiteUse(12874, 53200, 24.20)
    assert r.ff == SiteUse(17350, 106400, 16.31)
    assert r.bram_tiles == SiteUse(40.5, 140, 28.93)
    assert r.bram_18k == 81
    assert r.uram is None
    assert r.dsp == SiteUse(1, 220, 0.01)  # "<0.01"


def test_utilization_ultrascale_with_prohibited_and_uram(fixtures: Path) -> None:
    r = parse_utilization(fixtures / "vivado" / "util_ultrascale_2023.2_prohibited.rpt")
    assert r.tool_version == "2023.2" and r.device == "xczu7ev-ffvc1156-2-e"
    assert r.lut == SiteUse(29992, 230400, 13.02)
    assert r.ff == SiteUse(25689, 460800, 5.57)
    assert r.bram_tiles == SiteUse(66.5, 312, 21.31) and r.bram_18k == 133
    assert r.uram == SiteUse(4, 96, 4.17)
    assert r.dsp == SiteUse(376, 1728, 21.76)


def test_utilization_ultrascale_without_prohibited_crlf(fixtures: Path) -> None:
    path = fixtures / "vivado" / "util_ultrascale_2019.2_no_prohibited_crlf.rpt"
    assert b"\r\n" in path.read_bytes()
    r = parse_utilization(path)
    assert (r.tool_version, r.device) == ("2019.2.1", "xczu3egsbva484-1")
    assert r.lut == SiteUse(21034, 70560, 29.81)
    assert r.ff == SiteUse(30112, 141120, 21.34)
    assert r.bram_tiles == SiteUse(19, 216, 8.80)
    assert r.uram is None
    assert r.dsp == SiteUse(0, 360, 0.0)


def test_timing_met_single_clock(fixtures: Path) -> None:
    r = parse_timing_summary(fixtures / "vivado" / "timing_met_2023.2.rpt")
    assert (r.tool_version, r.design, r.device) == ("2023.2", "design_1_wrapper", "xczu3eg-sbva484")
    assert r.constraints_met is True
    assert (r.wns_ns, r.tns_ns, r.whs_ns, r.ths_ns) == (1.234, 0.0, 0.011, 0.0)
    assert r.design_slack.tns_total_endpoints == 24517
    assert r.failing_endpoints == 0
    (clock,) = r.clocks
    assert (clock.name, clock.period_ns, clock.frequency_mhz) == ("clk_pl_0", 5.0, 200.0)
    assert r.fmax_mhz == pytest.approx(1000 / (5.0 - 1.234))


def test_timing_violated_multiple_clocks(fixtures: Path) -> None:
    r = parse_timing_summary(fixtures / "vivado" / "timing_violated_2020.2.rpt")
    assert r.constraints_met is False
    assert (r.wns_ns, r.tns_ns, r.whs_ns, r.ths_ns) == (-0.512, -13.877, -0.021, -0.042)
    assert (r.design_slack.tns_failing_endpoints, r.design_slack.ths_failing_endpoints) == (57, 2)
    assert r.failing_endpoints == 59
    names = [clock.name for clock in r.clocks]
    assert names == ["clk_fpga_0", "design_1_i/clk_wiz_0/inst/clk_in1",
                     "clk_out1_design_1_clk_wiz_0_0"]
    # A clock with pulse-width checks only has blank setup/hold cells.
    assert r.clock("design_1_i/clk_wiz_0/inst/clk_in1").fmax_mhz is None
    out = r.clock("clk_out1_design_1_clk_wiz_0_0")
    assert out.slack is not None and out.slack.wns_ns == 0.301 and out.slack.whs_ns == 0.055
    assert out.fmax_mhz == pytest.approx(1000 / (5.0 - 0.301))
    assert r.critical_clock is not None and r.critical_clock.name == "clk_fpga_0"
    assert r.fmax_mhz == pytest.approx(1000 / (6.667 + 0.512))
    with pytest.raises(KeyError, match="clk_fpga_0"):
        r.clock("clk_pl_9")


def test_timing_without_timed_paths(fixtures: Path) -> None:
    r = parse_timing_summary(fixtures / "vivado" / "timing_no_paths_2019.2_crlf.rpt")
    assert r.tool_version == "2019.2.1"
    assert r.constraints_met is None
    assert r.wns_ns is None and r.whs_ns is None and r.failing_endpoints is None
    assert [c.name for c in r.clocks] == ["clk_pl_0"] and r.clocks[0].slack is None
    assert r.critical_clock is None and r.fmax_mhz is None


@pytest.mark.parametrize(
    ("parse", "name", "message"),
    [
        (parse_utilization, "malformed_util_no_dsp.rpt", "no 'DSPs' row"),
        (parse_utilization, "malformed_util_bad_number.rpt", "Slice LUTs Used is not a number"),
        (parse_utilization, "timing_met_2023.2.rpt", "no 'CLB LUTs' or 'Slice LUTs' row"),
        (parse_utilization, "missing_util.rpt", "report file not found"),
        (parse_timing_summary, "malformed_timing_no_summary.rpt", "no 'Design Timing Summary'"),
        (parse_timing_summary, "malformed_timing_short_row.rpt", "11 values for 12 columns"),
        (parse_timing_summary, "util_7series_2018.3.rpt", "no 'Design Timing Summary'"),
        (parse_timing_summary, "missing_timing.rpt", "report file not found"),
    ],
)
def test_malformed_or_missing_raises_report_error(
    fixtures: Path, parse, name: str, message: str  # type: ignore[no-untyped-def]
) -> None:
    path = fixtures / "vivado" / name
    with pytest.raises(ReportError, match=message) as info:
        parse(path)
    assert info.value.path == path and str(path) in str(info.value)
