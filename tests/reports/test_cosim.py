"""Co-simulation report parser: 8- and 9-column tables, Pass/Fail/NA, malformed files."""

from __future__ import annotations

from pathlib import Path

import pytest

from codesign.reports import CosimRow, ReportError, parse_cosim


def test_vivado_hls_8_columns_vhdl_only(fixtures: Path) -> None:
    r = parse_cosim(fixtures / "cosim" / "vivado_hls_2019_8col_vhdl.rpt")
    assert (r.solution, r.simulator) == ("solution1", "xsim")
    assert [row.language for row in r.rows] == ["VHDL", "Verilog"]
    assert r.status == "Pass"
    assert r.result == CosimRow("VHDL", "Pass", 130, 131, 133, None, None, None, None)
    assert r.row("verilog").status == "NA" and r.row("Verilog").latency_min is None


def test_vitis_hls_9_columns_crlf(fixtures: Path) -> None:
    path = fixtures / "cosim" / "vitis_hls_2022_9col_crlf.rpt"
    assert b"\r\n" in path.read_bytes()
    r = parse_cosim(path)
    assert r.status == "Pass"
    assert r.result == CosimRow("Verilog", "Pass", 76, 147, 221, 77, 148, 216, 162128)
    assert r.row("VHDL") == CosimRow("VHDL", "NA", *([None] * 7))


def test_failed_run(fixtures: Path) -> None:
    r = parse_cosim(fixtures / "cosim" / "vitis_hls_2024_fail.rpt")
    assert r.solution == "hls"
    assert r.status == "Fail"
    assert r.result is not None and r.result.language == "Verilog"
    assert r.result.latency_max is None and r.result.total_cycles is None


def test_no_language_simulated_is_na(tmp_path: Path, fixtures: Path) -> None:
    text = (fixtures / "cosim" / "vitis_hls_2024_fail.rpt").read_text()
    path = tmp_path / "top_cosim.rpt"
    path.write_text(text.replace("      Fail|", "        NA|"))
    r = parse_cosim(path)
    assert r.status == "NA" and r.result is None


def test_missing_row_raises_key_error(fixtures: Path) -> None:
    r = parse_cosim(fixtures / "cosim" / "vitis_hls_2024_fail.rpt")
    with pytest.raises(KeyError, match="SystemC"):
        r.row("SystemC")


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("malformed_columns.rpt", "line 6: table row has 3 columns, expected 8 or 9"),
        ("malformed_status.rpt", "unknown Verilog status 'Crashed'"),
        ("malformed_no_rows.rpt", "no RTL result rows"),
        ("missing_cosim.rpt", "report file not found"),
    ],
)
def test_malformed_or_missing_raises_report_error(fixtures: Path, name: str, message: str) -> None:
    path = fixtures / "cosim" / name
    with pytest.raises(ReportError, match=message) as info:
        parse_cosim(path)
    assert info.value.path == path and str(path) in str(info.value)
