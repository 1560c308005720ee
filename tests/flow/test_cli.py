"""``codesign validate`` and ``codesign run``: exit codes and messages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from codesign.cli import main

from flowkit import PartialThenFail, registry, setup


@pytest.fixture()
def flow_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return setup(tmp_path)


def test_validate(flow_file: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["validate", str(flow_file)])
    assert result.exit_code == 0, result.output
    assert "ok (flow toy, board ultra96v2, 150 MHz" in result.output
    bad = tmp_path / "bad.yaml"
    bad.write_text(flow_file.read_text().replace("epochs: 2", "epochs: many"))
    result = CliRunner().invoke(main, ["validate", str(bad)])
    assert result.exit_code == 2
    assert f"error: {bad}: training.epochs: Input should be a valid integer" in result.output


def test_the_default_registry_has_every_stage() -> None:
    from codesign.flow.spec import STAGE_ORDER
    from codesign.flow.stages import default_stages

    assert list(default_stages()) == list(STAGE_ORDER)


def test_a_required_stage_that_cannot_run_here_exits_2(
    flow_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    for var in ("XILINX_HLS", "XILINX_VITIS", "XILINX_VIVADO"):
        monkeypatch.delenv(var, raising=False)
    result = CliRunner().invoke(main, ["run", str(flow_file), "--only", "synth"])
    assert result.exit_code == 0, result.output
    assert "vitis_hls not found on PATH" in result.output
    result = CliRunner().invoke(main, ["run", str(flow_file), "--only", "synth", "--require", "synth"])
    assert result.exit_code == 2
    assert "required stage synth was skipped" in result.output
    summary = json.loads((tmp_path / "results/runs/toy/latest/summary.json").read_text())
    assert summary["exit_code"] == 2


def test_run_real_stages_cached_then_failed(
    flow_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("codesign.flow.stages.default_stages", lambda: registry(tmp_path))
    run_dir = tmp_path / "myrun"
    result = CliRunner().invoke(main, ["run", str(flow_file), "--run-dir", str(run_dir)])
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(main, ["run", str(flow_file), "--run-dir", str(run_dir), "--explain"])
    assert result.exit_code == 0
    assert result.output.splitlines()[1:] == [
        f"{stage:<10} cached   cached" for stage in ["train", "export", "codegen", "csim", "synth"]
    ]
    broken = PartialThenFail("csim", ["hls/"], ["reports/csim.txt"], [], tmp_path / "calls.log")
    monkeypatch.setattr("codesign.flow.stages.default_stages",
                        lambda: registry(tmp_path, csim=broken))
    result = CliRunner().invoke(
        main, ["run", str(flow_file), "--run-dir", str(run_dir), "--only", "csim", "--force"])
    assert result.exit_code == 1
    assert "stage csim failed: RuntimeError: simulated crash" in result.output
    assert "logs/csim.log" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--only", "deploy"], "--only deploy: not a stage of flow toy"),
        (["--only", "fly"], "'fly' is not one of"),
        (["--from", "synth", "--to", "train"], "comes after"),
    ],
)
def test_bad_options_exit_2(flow_file: Path, args: list[str], message: str) -> None:
    result = CliRunner().invoke(main, ["run", str(flow_file), *args])
    assert result.exit_code == 2
    assert message in result.output


def test_bad_flow_exits_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["run", str(tmp_path / "missing.yaml")])
    assert result.exit_code == 2
    assert "missing.yaml: flow file not found" in result.output
