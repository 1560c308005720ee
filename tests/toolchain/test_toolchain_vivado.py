"""The Vivado block-design driver against a fake vivado executable."""

from __future__ import annotations

from pathlib import Path

import pytest

from codesign.flow.board import load_board
from codesign.reports import parse_timing_summary, parse_utilization
from codesign.toolchain.errors import ToolError, ToolNotFoundError
from codesign.toolchain.vendor import ToolVersion
from codesign.toolchain.vivado import (
    VivadoBdSpec,
    VivadoResult,
    render_vivado_script,
    run_vivado_bitstream,
)


@pytest.fixture
def ip_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "hls" / "solution1" / "impl" / "ip"
    repo.mkdir(parents=True)
    (repo / "component.xml").write_text("<component vlnv='codesign:hls:bnn_top:1.0'/>\n")
    return repo


def _spec(board: str, ip_repo: Path, **overrides: object) -> VivadoBdSpec:
    values: dict[str, object] = {"top": "bnn_top", "ip_repo": ip_repo,
                                 "board": load_board(board), "clock_mhz": 150.0}
    values.update(overrides)
    return VivadoBdSpec(**values)  # type: ignore[arg-type]


def _expect(fake, board: str, clock_mhz: float = 150.0) -> None:
    spec = load_board(board)
    fake.expect(part=spec.part, board_part=spec.board_part, ps=spec.processing_system,
                clock_mhz=clock_mhz, top="bnn_top")


def _build(spec: VivadoBdSpec, tmp_path: Path) -> VivadoResult:
    return run_vivado_bitstream(spec, work_dir=tmp_path / "vivado", output_dir=tmp_path / "run",
                                reports_dir=tmp_path / "run" / "reports",
                                log_path=tmp_path / "logs" / "vivado.log", timeout_s=30)


@pytest.mark.parametrize("board", ["ultra96v2", "pynq_z2"])
def test_golden_scripts(board: str, golden) -> None:
    spec = VivadoBdSpec(top="bnn_top", ip_repo=Path("/work/run/hls/solution1/impl/ip"),
                        board=load_board(board), clock_mhz=150.0,
                        m_axi_ports=("m_axi_gmem0", "m_axi_gmem1"))
    text = render_vivado_script(spec, Path("/work/run/vivado"), "vivado_bd.tcl")
    golden(f"vivado_bd_{board}.tcl", text)


def test_ultra96_bitstream(fake_tools, ip_repo: Path, tmp_path: Path) -> None:
    fake_tools.configure(version="2022.2", board_files="1")
    _expect(fake_tools, "ultra96v2")
    result = _build(_spec("ultra96v2", ip_repo), tmp_path)

    assert result.version == ToolVersion(2022, 2)
    assert result.bitstream == tmp_path / "run" / "bnn_top.bit"
    assert result.hwh == tmp_path / "run" / "bnn_top.hwh"
    assert result.bitstream.read_bytes().startswith(b"\x00\x09\x0f\xf0")
    assert "bnn_top_0" in result.hwh.read_text()
    util = parse_utilization(result.utilization)
    assert util.dsp is not None and result.utilization.name == "bnn_top_utilization_routed.rpt"
    assert parse_timing_summary(result.timing).constraints_met is True

    (run,) = fake_tools.runs()
    assert run["argv"] == ["-mode", "batch", "-nojournal", "-nolog", "-source", str(result.script)]
    commands = run["commands"]
    assert ["set_property", "board_part", "avnet.com:ultra96v2:part0:1.2", "bd_project"] in commands
    milestones = ["create_project", "create_bd_design", "assign_bd_address", "validate_bd_design",
                  "make_wrapper", "launch_runs", "launch_runs", "open_run", "exit"]
    assert [c[0] for c in commands if c[0] in milestones] == milestones
    rules = [c[c.index("-rule") + 1] for c in commands if c[0] == "apply_bd_automation"]
    assert rules == ["xilinx.com:bd_rule:zynq_ultra_ps_e", "xilinx.com:bd_rule:axi4",
                     "xilinx.com:bd_rule:axi4"]


def test_pynq_z2_without_board_files_and_old_hwh_tree(
    fake_tools, ip_repo: Path, tmp_path: Path
) -> None:
    fake_tools.configure(version="2020.1", hwh_tree="srcs")
    _expect(fake_tools, "pynq_z2", clock_mhz=100.0)
    result = _build(_spec("pynq_z2", ip_repo, clock_mhz=100.0), tmp_path)
    assert result.hwh.is_file() and result.bitstream.is_file()
    assert parse_utilization(result.utilization).dsp is not None
    commands = fake_tools.runs()[0]["commands"]
    assert not [c for c in commands if c[:2] == ["set_property", "board_part"]]
    ps_automation = next(c for c in commands if c[0] == "apply_bd_automation")
    assert "apply_board_preset 0" in ps_automation[ps_automation.index("-config") + 1]


def test_wrong_clock_is_caught_by_the_fake(fake_tools, ip_repo: Path, tmp_path: Path) -> None:
    _expect(fake_tools, "ultra96v2", clock_mhz=200.0)
    with pytest.raises(ToolError, match="PL0_REF_CTRL__FREQMHZ=150"):
        _build(_spec("ultra96v2", ip_repo), tmp_path)


def test_wrong_board_is_caught_by_the_fake(fake_tools, ip_repo: Path, tmp_path: Path) -> None:
    _expect(fake_tools, "pynq_z2")
    with pytest.raises(ToolError, match="create_project -part xczu3eg-sbva484-1-i"):
        _build(_spec("ultra96v2", ip_repo), tmp_path)


def test_failed_implementation_fails_loudly(fake_tools, ip_repo: Path, tmp_path: Path) -> None:
    fake_tools.configure(mode="fail")
    _expect(fake_tools, "ultra96v2")
    with pytest.raises(ToolError) as info:
        _build(_spec("ultra96v2", ip_repo), tmp_path)
    assert "impl_1 failed: place_design ERROR" in info.value.log_tail
    assert not (tmp_path / "run" / "bnn_top.bit").exists()


def test_missing_bitstream_fails_loudly(fake_tools, ip_repo: Path, tmp_path: Path) -> None:
    fake_tools.configure(mode="noreport")
    _expect(fake_tools, "ultra96v2")
    with pytest.raises(ToolError, match="impl_1 wrote no bitstream"):
        _build(_spec("ultra96v2", ip_repo), tmp_path)


def test_missing_vivado(monkeypatch: pytest.MonkeyPatch, ip_repo: Path, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "nothing"))
    monkeypatch.delenv("XILINX_VIVADO", raising=False)
    with pytest.raises(ToolNotFoundError, match="vivado not found on PATH"):
        _build(_spec("ultra96v2", ip_repo), tmp_path)


def test_ip_repo_must_hold_the_ip(fake_tools, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="component.xml"):
        _build(_spec("ultra96v2", tmp_path), tmp_path)
