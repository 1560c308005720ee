"""Tool discovery, version parsing and the choice of the Vitis HLS command by version."""

from __future__ import annotations

from pathlib import Path

import pytest

from codesign.toolchain.errors import ToolNotFoundError
from codesign.toolchain.vendor import (
    ToolVersion,
    detect_version,
    find_tool,
    hls_invocation,
    parse_version,
    which,
)
from fake_xilinx import install_fake_tools


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Vitis HLS - High-Level Synthesis from C, C++ and OpenCL v2023.2 (64-bit)",
         ToolVersion(2023, 2)),
        ("vivado v2022.2 (64-bit)\nSW Build 3671981 on Fri Oct 14 04:59:54 MDT 2022",
         ToolVersion(2022, 2)),
        ("****** Vitis HLS v2023.2.2 (64-bit)", ToolVersion(2023, 2, 2)),
        ("/tools/Xilinx/Vitis/2025.1/bin/vitis-run", ToolVersion(2025, 1)),
        ("/opt/xilinx/2024.2/Vitis/bin/vitis-run", ToolVersion(2024, 2)),
        ("no version here 12.3", None),
    ],
)
def test_parse_version(text: str, expected: ToolVersion | None) -> None:
    assert parse_version(text) == expected


def test_versions_order_and_print() -> None:
    assert ToolVersion(2024, 1) < ToolVersion(2024, 2) < ToolVersion(2025, 1)
    assert ToolVersion(2023, 2, 2) > ToolVersion(2023, 2)
    assert str(ToolVersion(2023, 2, 2)) == "2023.2.2" and str(ToolVersion(2024, 2)) == "2024.2"


def test_missing_tool_message(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("XILINX_HLS", raising=False)
    monkeypatch.delenv("XILINX_VITIS", raising=False)
    with pytest.raises(ToolNotFoundError) as info:
        hls_invocation(log_path=tmp_path / "log")
    assert str(info.value) == "vitis_hls not found on PATH (set XILINX_HLS or source settings64.sh)"
    monkeypatch.delenv("XILINX_VIVADO", raising=False)
    with pytest.raises(ToolNotFoundError, match="vivado not found on PATH"):
        find_tool("vivado")


def test_install_variable_bin_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    install_fake_tools(tmp_path / "Vitis_HLS" / "2023.2" / "bin", ("vitis_hls",))
    install_fake_tools(tmp_path / "Vivado" / "2022.2" / "bin", ("vivado",))
    monkeypatch.setenv("XILINX_HLS", str(tmp_path / "Vitis_HLS" / "2023.2"))
    monkeypatch.setenv("XILINX_VIVADO", str(tmp_path / "Vivado" / "2022.2"))
    assert which("vitis_hls") == tmp_path / "Vitis_HLS" / "2023.2" / "bin" / "vitis_hls"
    assert find_tool("vivado") == tmp_path / "Vivado" / "2022.2" / "bin" / "vivado"
    assert which("vitis-run") is None


def test_detect_version_runs_the_tool(fake_tools, tmp_path: Path) -> None:
    fake_tools.configure(version="2022.2")
    log = tmp_path / "logs" / "version.log"
    assert detect_version(find_tool("vivado"), log_path=log) == ToolVersion(2022, 2)
    fake_tools.configure(version="2023.1")
    assert detect_version(find_tool("vitis_hls"), log_path=log) == ToolVersion(2023, 1)
    assert [c["argv"] for c in fake_tools.calls()] == [["-version"], ["-version"]]


@pytest.mark.parametrize(
    ("installed", "version", "tool", "flag"),
    [
        (("vitis_hls", "vitis-run"), "2023.2", "vitis_hls", "-f"),
        (("vitis_hls", "vitis-run"), "2024.1", "vitis_hls", "-f"),
        (("vitis_hls", "vitis-run"), "2024.2", "vitis-run", "--mode"),
        (("vitis_hls",), "2024.2", "vitis_hls", "-f"),
        (("vitis-run",), "2025.1", "vitis-run", "--mode"),
        (("vitis_hls",), "2022.2", "vitis_hls", "-f"),
    ],
)
def test_invocation_by_version(
    make_fake_tools, tmp_path: Path, installed, version, tool, flag
) -> None:
    fake = make_fake_tools(installed)
    fake.configure(version=version)
    invocation = hls_invocation(log_path=tmp_path / "v.log")
    assert invocation.tool == tool
    assert invocation.version == parse_version(version)
    argv = invocation.argv(Path("/w/run.tcl"))
    assert argv[0] == str(fake.bin_dir / tool) and argv[1] == flag
    if tool == "vitis-run":
        assert argv[1:] == ["--mode", "hls", "--tcl", "/w/run.tcl"]
    else:
        assert argv[1:] == ["-f", "/w/run.tcl"]
