"""The real train and export stages through `codesign run`: outputs, figures, bit-exact vectors, cache."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from codesign import ir
from codesign.cli import main

FLOW = """\
name: tiny_bnn
board: ultra96v2
dataset: {name: digits, limit: 300}
model: {name: bnn, options: {size: tiny, channels: 8, levels: 4, head: flatten, head_pool: 2}}
quantization: {scheme: khot, width: 8, k: 2, options: {threads: 1, eval_every: 1, label_smoothing: 0.1}}
training: {epochs: 1, batch_size: 64, lr: 1.0e-2}
export: {test_vectors: 40}
hls: {interface: mm, parallelism: {default: {pe: 4, simd: 32}}}
"""


@pytest.fixture(scope="module")
def no_vendor_tools() -> object:
    """A PATH without AMD's tools (a developer machine may have them)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PATH", "/usr/bin:/bin")
        for var in ("XILINX_HLS", "XILINX_VITIS", "XILINX_VIVADO"):
            mp.delenv(var, raising=False)
        yield mp


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory, no_vendor_tools: object) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("flow")
    flow = root / "tiny.yaml"
    flow.write_text(FLOW)
    run_dir = root / "run"
    result = CliRunner().invoke(main, ["run", str(flow), "--run-dir", str(run_dir)])
    assert result.exit_code == 0, result.output
    return flow, run_dir


def test_every_stage_of_a_small_bnn_flow(tiny_run: tuple[Path, Path]) -> None:
    """train -> export -> codegen -> csim -> estimate -> (vendor stages skipped) -> package -> deploy."""
    _, run_dir = tiny_run
    summary = json.loads((run_dir / "summary.json").read_text())
    stages = {s["name"]: s for s in summary["stages"]}
    for done in ("train", "export", "codegen", "csim", "estimate", "package", "deploy"):
        assert stages[done]["status"] == "done", (done, stages[done]["message"])
    for vendor_stage in ("synth", "cosim", "bitstream"):
        assert stages[vendor_stage]["status"] == "skipped"
        assert "vitis_hls not found on PATH" in stages[vendor_stage]["message"]
    assert 0.0 <= summary["accuracy_fixed"] <= 1.0
    assert summary["ir_match"] == "40/40"
    assert stages["estimate"]["status"] == "done"
    assert summary["est_lut"] > 0 and summary["general_multipliers"] == 0  # K-hot BNN: no multipliers
    assert summary["general_multipliers_hls"] == 0
    assert summary["csim_match"] == "40/40" and summary["csim_threaded"] == "no deadlock"
    assert summary["deploy_device"] == "emulated (csim build)" and summary["deploy_mismatches"] == 0
    assert (run_dir / "bundle.tar.gz").is_file() and (run_dir / "deploy" / "result.json").is_file()
    assert (run_dir / "estimate" / "nodes.csv").read_text().startswith("name,op,lut")
    graph = ir.load(run_dir / "ir")
    inputs = np.loadtxt(run_dir / "vectors" / "inputs.txt", dtype=np.int64)
    expected = np.loadtxt(run_dir / "vectors" / "expected.txt", dtype=np.int64)
    assert inputs.shape[0] == expected.shape[0] == 40
    out = next(iter(ir.run(graph, inputs.reshape(40, 1, 8, 8)).outputs.values()))  # raw pixels
    np.testing.assert_array_equal(out.reshape(40, -1), expected)


def test_a_required_vendor_stage_without_its_tool_fails_the_run(tiny_run: tuple[Path, Path]) -> None:
    flow, run_dir = tiny_run
    result = CliRunner().invoke(main, ["run", str(flow), "--run-dir", str(run_dir), "--require", "synth"])
    assert result.exit_code == 2, result.output
    assert "vitis_hls not found on PATH" in result.output


def test_second_run_is_cached(tiny_run: tuple[Path, Path]) -> None:
    flow, run_dir = tiny_run
    result = CliRunner().invoke(main, ["run", str(flow), "--run-dir", str(run_dir), "--explain"])
    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line for line in result.output.splitlines() if line.split()}
    stages = ("train", "export", "codegen", "csim", "estimate", "package", "deploy")
    assert all("cached" in lines[s] for s in stages), result.output


def test_vendor_stages_describe_the_generated_project(tiny_run: tuple[Path, Path]) -> None:
    """What synth/cosim/bitstream hand to Vitis: existing sources, the board's part, the
    exported vectors, and fabric-only arithmetic for the multiplier-free BNN."""
    from codesign.flow.stages.vendor import hls_project_spec

    _, run_dir = tiny_run

    class Ctx:
        def path(self, relpath: str) -> Path:
            return run_dir / relpath

    spec = hls_project_spec(Ctx(), run_dir / "hls")  # type: ignore[arg-type]
    assert spec.part == "xczu3eg-sbva484-1-i" and spec.top == "tiny_bnn_top"
    assert all(p.is_file() for p in (*spec.sources, *spec.testbench, *spec.vectors))
    assert spec.fabric_arithmetic


@pytest.fixture()
def fake_board(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    import fake_board as fb

    bin_dir = fb.install(tmp_path / "bin")
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_BOARD_ROOT", str(tmp_path / "board"))
    monkeypatch.setenv("FAKE_BOARD_CALLS", str(tmp_path / "calls.jsonl"))
    return tmp_path


def test_codesign_package_and_board_run(tiny_run: tuple[Path, Path], tmp_path: Path) -> None:
    _, run_dir = tiny_run
    result = CliRunner().invoke(main, ["package", str(run_dir), "--out", str(tmp_path / "b")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "b.tar.gz").is_file()
    out = tmp_path / "result.json"
    result = CliRunner().invoke(main, ["board-run", str(tmp_path / "b.tar.gz"), "--emulate", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["mismatches"] == 0


def test_deploy_over_ssh_fetches_the_result(tiny_run: tuple[Path, Path], fake_board: Path) -> None:
    _, run_dir = tiny_run
    out = fake_board / "fetched"
    result = CliRunner().invoke(main, ["deploy", str(run_dir / "bundle.tar.gz"), "--host", "xilinx@board",
                                       "--out", str(out), "--emulate"])
    assert result.exit_code == 0, result.output
    assert "PASS" in result.output
    fetched = json.loads((out / "result.json").read_text())
    assert fetched["mismatches"] == 0 and fetched["samples"] == 40
    calls = [json.loads(line) for line in (fake_board / "calls.jsonl").read_text().splitlines()]
    assert [c[0] for c in calls] == ["ssh", "scp", "ssh", "scp"]
    assert "xilinx@board" in calls[2] and "codesign.runtime" in calls[2][-1]


@pytest.mark.parametrize(("mode", "message"), [
    ("unreachable", "cannot reach xilinx@board over ssh"),
    ("ok", "could not run on xilinx@board"),  # no pynq on this 'board' and no --emulate
])
def test_deploy_errors_are_clear_and_leave_the_run_intact(tiny_run: tuple[Path, Path], fake_board: Path,
                                                          monkeypatch: pytest.MonkeyPatch, mode: str,
                                                          message: str) -> None:
    _, run_dir = tiny_run
    monkeypatch.setenv("FAKE_BOARD_MODE", mode)
    before = sorted(p.name for p in run_dir.iterdir())
    out = fake_board / "fetched"
    result = CliRunner().invoke(main, ["deploy", str(run_dir / "bundle.tar.gz"), "--host", "xilinx@board",
                                       "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert not (out / "result.json").exists()
    assert sorted(p.name for p in run_dir.iterdir()) == before


def test_deploy_timeout_and_bad_host(tiny_run: tuple[Path, Path], fake_board: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    _, run_dir = tiny_run
    monkeypatch.setenv("FAKE_BOARD_MODE", "hang")
    result = CliRunner().invoke(main, ["deploy", str(run_dir / "bundle.tar.gz"), "--host", "board",
                                       "--timeout", "2", "--emulate", "--out", str(fake_board / "o")])
    assert result.exit_code == 2 and "limit" in result.output
    result = CliRunner().invoke(main, ["deploy", str(run_dir / "bundle.tar.gz"), "--host", "board; rm -rf /"])
    assert result.exit_code == 2 and "[user@]hostname" in result.output


@pytest.mark.parametrize(("extra", "message"), [
    ("quantization: {scheme: qfx, width: 6, rounding: AP_TRN}", "quantization.int_bits/rounding/overflow"),
    ("quantization: {scheme: qfx, width: 6, options: {augmnt: shift}}", "quantization.options: unknown augmnt"),
])
def test_train_stage_refuses_flow_fields_it_cannot_honour(tmp_path: Path, extra: str, message: str) -> None:
    flow = tmp_path / "f.yaml"
    flow.write_text("name: f\nboard: ultra96v2\ndataset: {name: digits, limit: 100}\n"
                    "model: {name: digits_cnn}\n" + extra + "\nstages: [train]\n")
    result = CliRunner().invoke(main, ["run", str(flow), "--run-dir", str(tmp_path / "run")])
    assert result.exit_code == 1, result.output
    assert message in result.output
