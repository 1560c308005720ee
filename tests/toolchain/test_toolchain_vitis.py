"""The Vitis HLS driver against fake vitis_hls / vitis-run executables."""

from __future__ import annotations

from pathlib import Path

import pytest

from codesign.reports import parse_cosim, parse_csynth
from codesign.toolchain.errors import ToolError, ToolNotFoundError, ToolTimeoutError
from codesign.toolchain.vendor import ToolVersion
from codesign.toolchain.vitis import HlsProjectSpec, render_vitis_script, run_vitis_hls

PART = "xczu3eg-sbva484-1-i"
ALL_STEPS = {"csim", "csynth", "cosim", "export"}


def _spec(project, **overrides: object) -> HlsProjectSpec:
    values: dict[str, object] = {
        "top": "mlp_top", "sources": project.sources, "part": PART, "clock_mhz": 100.0,
        "include_dirs": project.include_dirs, "testbench": project.testbench,
        "vectors": project.vectors, "testbench_argv": ("in.txt", "out.txt"),
    }
    values.update(overrides)
    return HlsProjectSpec(**values)  # type: ignore[arg-type]


def _run(spec: HlsProjectSpec, tmp_path: Path, steps=ALL_STEPS, timeout_s: float = 30):
    return run_vitis_hls(spec, steps, tmp_path / "work", tmp_path / "logs" / "hls.log",
                         timeout_s, reports_dir=tmp_path / "reports")


def test_golden_script(golden) -> None:
    root = Path("/work/run/hls")
    spec = HlsProjectSpec(
        top="mlp_top", sources=(root / "firmware/mlp_top.cpp",), part=PART, clock_mhz=300.0,
        include_dirs=(root / "firmware", Path("/opt/codesign/hls/include")),
        testbench=(root / "tb/tb_mlp_top.cpp",),
        vectors=(root / "tb/inputs.txt", root / "tb/outputs.txt"),
        cflags=("-DCODESIGN_SYNTH",), testbench_argv=("inputs.txt", "outputs.txt"),
    )
    golden("vitis_hls_small.tcl", render_vitis_script(spec, ALL_STEPS, "vitis_hls_all.tcl"))


def test_script_without_fabric_pinning_or_testbench_steps(small_project) -> None:
    text = render_vitis_script(_spec(small_project, fabric_arithmetic=False), {"csynth"}, "s.tcl")
    assert "config_op" not in text and "csim_design" not in text and "cosim_design" not in text
    assert "open_project -reset hls_project" in text and "csynth_design\nexit\n" in text


def test_full_flow_classic(fake_tools, small_project, tmp_path: Path) -> None:
    fake_tools.configure(version="2023.2")
    fake_tools.expect(part=PART, period_ns=10.0, top="mlp_top")
    result = _run(_spec(small_project), tmp_path)

    assert result.tool == "vitis_hls" and result.version == ToolVersion(2023, 2)
    assert result.steps == ("csim", "csynth", "cosim", "export")
    (run,) = fake_tools.runs()
    assert run["tool"] == "vitis_hls" and run["argv"] == ["-f", str(result.script)]
    names = [c[0] for c in run["commands"]]
    assert names == [
        "open_project", "set_top", "add_files", "add_files", "add_files", "add_files",
        "open_solution", "set_part", "create_clock", "config_op", "config_op", "config_op",
        "csim_design", "csynth_design", "cosim_design", "export_design", "exit",
    ]
    assert [c[1:] for c in run["commands"] if c[0] == "config_op"] == [
        ["mul", "-impl", "fabric"], ["add", "-impl", "fabric"], ["sub", "-impl", "fabric"]]

    reports = tmp_path / "reports"
    assert result.csynth_xml == reports / "csynth.xml"
    assert result.cosim_rpt == reports / "mlp_top_cosim.rpt"
    assert result.csim_log == reports / "mlp_top_csim.log"
    csynth = parse_csynth(result.csynth_xml)
    assert csynth.part == PART and csynth.top == "mlp_top"
    assert parse_cosim(result.cosim_rpt).status == "Pass"
    assert result.ip_dir is not None and (result.ip_dir / "component.xml").is_file()
    assert "codesign:hls:mlp_top:1.0" in (result.ip_dir / "component.xml").read_text()


def test_unified_cli_and_layout(make_fake_tools, small_project, tmp_path: Path) -> None:
    fake = make_fake_tools(("vitis-run",))
    fake.configure(version="2025.1", layout="unified")
    fake.expect(part=PART, period_ns=5.0, top="mlp_top")
    result = _run(_spec(small_project, clock_mhz=200.0), tmp_path, {"csynth", "cosim"})
    assert result.tool == "vitis-run" and result.version == ToolVersion(2025, 1)
    (run,) = fake.runs()
    assert run["argv"] == ["--mode", "hls", "--tcl", str(result.script)]
    assert "/hls/syn/report/" not in str(result.csynth_xml)  # copied out of the tool's tree
    assert parse_csynth(result.csynth_xml).top == "mlp_top"
    assert result.ip_dir is None and result.csim_log is None


def test_2024_2_prefers_vitis_run(fake_tools, small_project, tmp_path: Path) -> None:
    fake_tools.configure(version="2024.2")
    result = _run(_spec(small_project), tmp_path, {"csynth"})
    assert result.tool == "vitis-run"
    assert [r["tool"] for r in fake_tools.runs()] == ["vitis-run"]


def test_wrong_part_is_caught_by_the_fake(fake_tools, small_project, tmp_path: Path) -> None:
    fake_tools.expect(part="xc7z020clg400-1", period_ns=10.0)
    with pytest.raises(ToolError) as info:
        _run(_spec(small_project), tmp_path, {"csynth"})
    assert "FAKE-ERROR: set_part xczu3eg-sbva484-1-i" in info.value.log_tail


def test_wrong_clock_is_caught_by_the_fake(fake_tools, small_project, tmp_path: Path) -> None:
    fake_tools.expect(part=PART, period_ns=4.0)
    with pytest.raises(ToolError, match="clock period 10.0 ns, expected 4.0 ns"):
        _run(_spec(small_project), tmp_path, {"csynth"})


def test_tool_failure_carries_log_tail(fake_tools, small_project, tmp_path: Path) -> None:
    fake_tools.configure(mode="fail")
    with pytest.raises(ToolError) as info:
        _run(_spec(small_project), tmp_path, {"csynth"})
    assert info.value.returncode == 1
    assert "use of undeclared identifier 'oops'" in info.value.log_tail
    assert "undeclared identifier" in str(info.value)
    assert not (tmp_path / "reports" / "csynth.xml").exists()


def test_missing_report_is_an_error(fake_tools, small_project, tmp_path: Path) -> None:
    fake_tools.configure(mode="noreport")
    with pytest.raises(ToolError, match="wrote no syn/report/csynth.xml"):
        _run(_spec(small_project), tmp_path, {"csynth"})


def test_timeout(fake_tools, small_project, tmp_path: Path) -> None:
    fake_tools.configure(mode="hang")
    with pytest.raises(ToolTimeoutError, match="ran past its 1 s limit"):
        _run(_spec(small_project), tmp_path, {"csynth"}, timeout_s=1)


def test_missing_tool(monkeypatch: pytest.MonkeyPatch, small_project, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "nothing"))
    for var in ("XILINX_HLS", "XILINX_VITIS"):
        monkeypatch.delenv(var, raising=False)
    with pytest.raises(ToolNotFoundError, match=r"vitis_hls not found on PATH \(set XILINX_HLS"):
        _run(_spec(small_project), tmp_path, {"csynth"})


def test_missing_source(fake_tools, small_project, tmp_path: Path) -> None:
    spec = _spec(small_project, sources=(small_project.root / "firmware" / "gone.cpp",))
    with pytest.raises(FileNotFoundError, match="gone.cpp"):
        _run(spec, tmp_path, {"csynth"})
    assert fake_tools.runs() == []


def test_cosim_reuses_the_synthesized_solution(fake_tools, small_project, tmp_path: Path) -> None:
    spec = _spec(small_project)
    with pytest.raises(ValueError, match="include the csynth step"):
        _run(spec, tmp_path, {"cosim"})
    first = _run(spec, tmp_path, {"csim", "csynth"})
    stamp = first.script.stat().st_mtime_ns
    second = _run(spec, tmp_path, {"cosim", "export"})
    assert second.cosim_rpt is not None and second.ip_dir is not None
    opens = [c for c in fake_tools.runs()[-1]["commands"] if c[0].startswith("open_")]
    assert opens == [["open_project", "hls_project"],
                     ["open_solution", "-flow_target", "vivado", "solution1"]]
    again = _run(spec, tmp_path, {"csim", "csynth"})
    assert again.script == first.script and again.script.stat().st_mtime_ns == stamp


def test_stale_report_is_not_trusted(fake_tools, small_project, tmp_path: Path) -> None:
    spec = _spec(small_project)
    _run(spec, tmp_path, {"csynth"})
    fake_tools.configure(mode="noreport")
    with pytest.raises(ToolError, match="wrote no syn/report/csynth.xml"):
        _run(spec, tmp_path, {"csynth"})
