"""The runner with small real stages: caching, invalidation, crashes, selection, exit codes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from io import StringIO
from pathlib import Path

import pytest
from rich.console import Console

from codesign.flow.runner import RunnerError, RunOptions, explain_flow, run_flow
from codesign.flow.rundir import RunDir, RunDirError, latest_run_dir, open_run_dir
from codesign.flow.spec import FlowSpec, load_flow
from codesign.flow.stage import StageStatus
from codesign.flow.summary import RunSummary

from flowkit import FileStage, PartialThenFail, calls, registry, reset_calls, setup

ALL = ["train", "export", "codegen", "csim", "synth"]


def _run(spec: FlowSpec, tmp: Path, options: RunOptions = RunOptions(), **overrides) -> RunSummary:
    reset_calls(tmp)
    console = Console(file=StringIO(), width=200)
    return run_flow(spec, registry(tmp, **overrides), RunDir(tmp / "run"), options, console)


def _statuses(summary: RunSummary) -> dict[str, str]:
    return {r.name: r.status.value for r in summary.records}


@pytest.fixture()
def flow(tmp_path: Path) -> FlowSpec:
    return load_flow(setup(tmp_path))


def test_first_run_does_everything_second_is_all_cached(flow: FlowSpec, tmp_path: Path) -> None:
    first = _run(flow, tmp_path)
    assert _statuses(first) == dict.fromkeys(ALL, "done")
    assert calls(tmp_path) == ALL
    assert first.exit_code == 0
    run = tmp_path / "run"
    assert (run / "hls" / "data.txt").read_text().startswith("codegen ")
    assert (run / "reports" / "csynth.txt").is_file() and (run / "logs" / "csim.log").is_file()
    assert not any((run / ".staging").iterdir())
    second = _run(flow, tmp_path)
    assert _statuses(second) == dict.fromkeys(ALL, "cached")
    assert calls(tmp_path) == []
    # a cached stage keeps the figures of its last success
    assert second.records[2].figures == first.records[2].figures


def test_input_file_change_reruns_everything_downstream(flow: FlowSpec, tmp_path: Path) -> None:
    _run(flow, tmp_path)
    (tmp_path / "data.txt").write_text("other samples\n")
    summary = _run(flow, tmp_path)
    assert calls(tmp_path) == ALL
    assert _statuses(summary) == dict.fromkeys(ALL, "done")


def test_template_change_reruns_exactly_codegen_and_below(flow: FlowSpec, tmp_path: Path) -> None:
    _run(flow, tmp_path)
    (tmp_path / "templates" / "top.cpp.j2").write_text("void {{ top }}(int);\n")
    summary = _run(flow, tmp_path)
    assert calls(tmp_path) == ["codegen"]  # same hls/ bytes: csim and synth stay cached
    assert _statuses(summary)["codegen"] == "done"
    assert _statuses(summary)["csim"] == "cached"


def test_config_change_reruns_exactly_the_stages_that_read_it(
    flow: FlowSpec, tmp_path: Path
) -> None:
    _run(flow, tmp_path)
    faster = flow.model_copy(update={"hls": flow.hls.model_copy(update={"clock_mhz": 200.0})})
    _run(faster, tmp_path)
    # codegen reads hls (so its output changes), csim reads hls/, synth reads hls/ and the clock
    assert calls(tmp_path) == ["codegen", "csim", "synth"]
    lines = {e.stage: e for e in explain_flow(flow, registry(tmp_path), tmp_path / "run")}
    assert lines["train"].verdict == "cached"
    assert lines["codegen"].verdict == "run"
    assert "config hls.clock_mhz changed (200.0 -> 150.0)" in lines["codegen"].reason


def test_unchanged_output_keeps_downstream_cached(flow: FlowSpec, tmp_path: Path) -> None:
    _run(flow, tmp_path)
    summary = _run(flow, tmp_path, RunOptions(only=("train",), force=True))
    assert calls(tmp_path) == ["train"]
    assert _statuses(summary)["export"] == "not run"
    summary = _run(flow, tmp_path)
    assert _statuses(summary) == dict.fromkeys(ALL, "cached")


def test_code_version_and_extra_string_invalidate(flow: FlowSpec, tmp_path: Path) -> None:
    _run(flow, tmp_path)
    calls_file = tmp_path / "calls.log"
    newer = FileStage("csim", ["hls/"], ["reports/csim.txt"], [], calls_file, version="2")
    lines = {e.stage: e for e in explain_flow(flow, registry(tmp_path, csim=newer), tmp_path / "run")}
    assert lines["csim"].reason == "code version changed (1 -> 2)"
    _run(flow, tmp_path, csim=newer)
    assert calls(tmp_path) == ["csim"]
    tool = FileStage("codegen", ["ir/"], ["hls/"], ["hls"], calls_file,
                     extra={"templates": tmp_path / "templates", "tool": "gcc 13"})
    lines = {e.stage: e for e in explain_flow(flow, registry(tmp_path, codegen=tool), tmp_path / "run")}
    assert lines["codegen"].reason == "extra tool changed"


def test_crash_mid_stage_commits_nothing_and_resumes(flow: FlowSpec, tmp_path: Path) -> None:
    broken = PartialThenFail("codegen", ["ir/"], ["hls/"], ["hls"], tmp_path / "calls.log")
    summary = _run(flow, tmp_path, codegen=broken)
    assert summary.exit_code == 1
    assert _statuses(summary) == {
        "train": "done", "export": "done", "codegen": "failed", "csim": "not run",
        "synth": "not run",
    }
    run = tmp_path / "run"
    assert not (run / "hls").exists() and not (run / ".stamps" / "codegen.json").exists()
    assert not (run / ".staging" / "codegen").exists()
    (problem,) = summary.problems()
    assert problem.startswith("stage codegen failed: RuntimeError: simulated crash")
    assert str(run / "logs" / "codegen.log") in problem
    assert "Traceback" in (run / "logs" / "codegen.log").read_text()
    summary = _run(flow, tmp_path)
    assert calls(tmp_path) == ["codegen", "csim", "synth"]
    assert (run / "hls" / "data.txt").read_text().startswith("codegen ")


def test_crash_while_replacing_old_outputs_drops_their_stamp(flow: FlowSpec, tmp_path: Path) -> None:
    _run(flow, tmp_path)
    changed = flow.model_copy(update={"hls": flow.hls.model_copy(update={"interface": "mm"})})
    broken = PartialThenFail("codegen", ["ir/"], ["hls/"], ["hls"], tmp_path / "calls.log")
    _run(changed, tmp_path, codegen=broken)
    # the old hls/ is still there but no longer vouched for: back to the old config, it reruns
    lines = {e.stage: e for e in explain_flow(flow, registry(tmp_path), tmp_path / "run")}
    assert lines["codegen"].verdict == "run"
    assert lines["codegen"].reason == "no successful run recorded"


def test_killed_run_resumes_and_never_trusts_partial_output(flow: FlowSpec, tmp_path: Path) -> None:
    flow_file = tmp_path / "toy.yaml"
    marker = tmp_path / "hanging"
    script = tmp_path / "runner.py"
    script.write_text(textwrap.dedent(f"""
        from pathlib import Path
        from codesign.flow.runner import run_flow
        from codesign.flow.rundir import RunDir
        from codesign.flow.spec import load_flow
        from flowkit import PartialThenHang, registry
        tmp = Path({str(tmp_path)!r})
        hang = PartialThenHang("codegen", ["ir/"], ["hls/"], ["hls"], tmp / "calls.log",
                               marker=tmp / "hanging")
        run_flow(load_flow({str(flow_file)!r}), registry(tmp, codegen=hang), RunDir(tmp / "run"))
    """))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).parent), *sys.path])}
    proc = subprocess.Popen([sys.executable, str(script)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while not marker.exists():
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            assert time.monotonic() < deadline, "the runner never reached codegen"
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    run = tmp_path / "run"
    assert (run / ".staging" / "codegen" / "hls" / "data.txt").read_text() == "half"
    assert not (run / "hls").exists()
    assert not (run / "summary.json").exists()
    summary = _run(flow, tmp_path)
    assert _statuses(summary) == {
        "train": "cached", "export": "cached", "codegen": "done", "csim": "done", "synth": "done",
    }
    assert (run / "hls" / "data.txt").read_text().startswith("codegen ")
    assert not (run / ".staging" / "codegen").exists()


def test_tampered_output_or_corrupt_stamp_is_not_trusted(flow: FlowSpec, tmp_path: Path) -> None:
    _run(flow, tmp_path)
    run = tmp_path / "run"
    (run / "ir" / "data.txt").write_text("edited by hand")
    lines = {e.stage: e for e in explain_flow(flow, registry(tmp_path), run)}
    assert lines["export"].reason == "output ir modified since it was made"
    (run / ".stamps" / "csim.json").write_text('{"key": "trunc')
    _run(flow, tmp_path)
    assert calls(tmp_path) == ["export", "csim"]


def test_explain_says_why_and_writes_nothing(flow: FlowSpec, tmp_path: Path) -> None:
    fresh = explain_flow(flow, registry(tmp_path), tmp_path / "nowhere")
    assert [str(e).split()[:2] for e in fresh] == [
        ["train", "run"], ["export", "run"], ["codegen", "run"], ["csim", "run"], ["synth", "run"],
    ]
    assert fresh[0].reason == "no successful run recorded"
    assert fresh[1].reason == "input checkpoint.txt will be made by train"
    assert not (tmp_path / "nowhere").exists()
    _run(flow, tmp_path)
    (tmp_path / "templates" / "extra.h").write_text("// new header\n")
    no_tool = FileStage("synth", ["hls/"], ["reports/csynth.txt"], [], tmp_path / "calls.log",
                        skip="vitis_hls not found on PATH")
    before = sorted(p.name for p in (tmp_path / "run").rglob("*"))
    lines = explain_flow(flow, registry(tmp_path, synth=no_tool), tmp_path / "run")
    assert [(e.stage, e.verdict, e.reason) for e in lines] == [
        ("train", "cached", "cached"),
        ("export", "cached", "cached"),
        ("codegen", "run", "extra templates changed"),
        ("csim", "maybe", "cached unless codegen changes its inputs"),
        ("synth", "skip", "skipped: vitis_hls not found on PATH"),
    ]
    assert sorted(p.name for p in (tmp_path / "run").rglob("*")) == before
    (tmp_path / "data.txt").write_text("new data\n")
    lines = explain_flow(flow, registry(tmp_path), tmp_path / "run")
    assert lines[0].reason == f"input {tmp_path / 'data.txt'} changed"


def test_from_to_only(flow: FlowSpec, tmp_path: Path) -> None:
    summary = _run(flow, tmp_path, RunOptions(to_stage="export"))
    assert calls(tmp_path) == ["train", "export"]
    assert _statuses(summary)["codegen"] == "not run"
    assert summary.records[2].message == "not selected (--to export)"
    summary = _run(flow, tmp_path, RunOptions(from_stage="codegen", to_stage="csim"))
    assert calls(tmp_path) == ["codegen", "csim"]
    assert _statuses(summary)["train"] == "not run"
    summary = _run(flow, tmp_path, RunOptions(only=("synth", "csim"), force=True))
    assert calls(tmp_path) == ["csim", "synth"]


def test_only_without_upstream_output_fails_naming_the_producer(
    flow: FlowSpec, tmp_path: Path
) -> None:
    summary = _run(flow, tmp_path, RunOptions(only=("csim",)))
    assert summary.exit_code == 1
    assert summary.records[3].message == "input hls missing; run stage codegen first"


def test_bad_selection_is_an_error(flow: FlowSpec, tmp_path: Path) -> None:
    with pytest.raises(RunnerError, match="--only deploy: not a stage of flow toy"):
        _run(flow, tmp_path, RunOptions(only=("deploy",)))
    with pytest.raises(RunnerError, match="comes after"):
        _run(flow, tmp_path, RunOptions(from_stage="csim", to_stage="train"))
    with pytest.raises(RunnerError, match="cannot be combined"):
        _run(flow, tmp_path, RunOptions(from_stage="csim", only=("csim",)))


def test_skipped_stage_and_required(flow: FlowSpec, tmp_path: Path) -> None:
    no_tool = FileStage("synth", ["hls/"], ["reports/csynth.txt"], [], tmp_path / "calls.log",
                        skip="vitis_hls not found on PATH")
    summary = _run(flow, tmp_path, synth=no_tool)
    assert summary.exit_code == 0
    assert summary.records[4].status is StageStatus.SKIPPED
    summary = _run(flow, tmp_path, RunOptions(require=("synth",)), synth=no_tool)
    assert summary.exit_code == 2
    assert summary.problems() == ["required stage synth was skipped: vitis_hls not found on PATH"]
    required = flow.model_copy(update={"required": ["synth"]})
    assert _run(required, tmp_path, synth=no_tool).exit_code == 2


def test_missing_implementation_skips_it_and_what_needs_it(flow: FlowSpec, tmp_path: Path) -> None:
    reg = registry(tmp_path)
    del reg["codegen"]
    summary = run_flow(flow, reg, RunDir(tmp_path / "run"), console=Console(file=StringIO()))
    assert summary.exit_code == 0
    assert summary.records[2].message == "no implementation of stage codegen in the stage registry"
    assert summary.records[3].status is StageStatus.SKIPPED
    assert summary.records[3].message == "input hls missing (skipped earlier: codegen)"


def test_output_contract_is_enforced(flow: FlowSpec, tmp_path: Path) -> None:
    class Sloppy(FileStage):
        def run(self, ctx):  # type: ignore[no-untyped-def]
            ctx.output("stray.txt").write_text("x")
            return super().run(ctx)

    class Lazy(FileStage):
        def run(self, ctx):  # type: ignore[no-untyped-def]
            from codesign.flow.stage import StageResult
            return StageResult.done()

    log = tmp_path / "calls.log"
    summary = _run(flow, tmp_path, export=Sloppy("export", ["checkpoint.txt"], ["ir/"], [], log))
    assert summary.records[1].message == "wrote stray.txt, which is not a declared output (ir)"
    assert not (tmp_path / "run" / "stray.txt").exists()
    summary = _run(flow, tmp_path, export=Lazy("export", ["checkpoint.txt"], ["ir/"], [], log))
    assert summary.records[1].message == "declared output(s) not written: ir"
    overlapping = FileStage("csim", ["hls/"], ["hls/sim"], [], log)
    summary = _run(flow, tmp_path, csim=overlapping)
    assert summary.records[3].message.startswith("invalid output declaration: output hls/sim overlaps")


def test_summary_json(flow: FlowSpec, tmp_path: Path) -> None:
    no_tool = FileStage("synth", ["hls/"], ["reports/csynth.txt"], [], tmp_path / "calls.log",
                        skip="vivado not found")
    _run(flow, tmp_path, synth=no_tool)
    run = tmp_path / "run"
    data = json.loads((run / "summary.json").read_text())
    assert data["flow"] == "toy" and data["run_id"] == "run" and data["exit_code"] == 0
    assert data["run_dir"] == str(run.resolve())
    assert [(s["name"], s["status"]) for s in data["stages"]] == [
        ("train", "done"), ("export", "done"), ("codegen", "done"), ("csim", "done"),
        ("synth", "skipped"),
    ]
    assert data["stages"][4]["message"] == "vivado not found"
    assert data["stages"][0]["log"] == str(run / "logs" / "train.log")
    assert data["csim_digest"] == data["stages"][3]["figures"]["csim_digest"]
    assert data["count"] == 1
    resolved = load_flow(run / "flow.yaml")
    assert resolved == flow


def test_new_run_dirs_start_from_the_latest(flow: FlowSpec, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    console = Console(file=StringIO())
    first = open_run_dir("toy", None)
    run_flow(flow, registry(tmp_path), first, console=console)
    assert latest_run_dir("toy") == first.path.resolve()
    reset_calls(tmp_path)
    second = open_run_dir("toy", None)
    assert second.path != first.path
    summary = run_flow(flow, registry(tmp_path), second, console=console)
    assert _statuses(summary) == dict.fromkeys(ALL, "cached")
    assert calls(tmp_path) == []
    assert (second.path / "hls" / "data.txt").read_text() == (first.path / "hls" / "data.txt").read_text()
    assert latest_run_dir("toy") == second.path.resolve()


def test_a_busy_run_dir_is_refused(flow: FlowSpec, tmp_path: Path) -> None:
    run_dir = RunDir(tmp_path / "run")
    run_dir.path.mkdir()
    with run_dir.lock(), pytest.raises(RunDirError, match="in use by another codesign run"):
        run_flow(flow, registry(tmp_path), run_dir, console=Console(file=StringIO()))


def test_display_prints_a_line_per_stage_and_the_table(flow: FlowSpec, tmp_path: Path) -> None:
    out = StringIO()
    run_flow(flow, registry(tmp_path), RunDir(tmp_path / "run"), console=Console(file=out, width=200))
    text = out.getvalue()
    for stage in ALL:
        assert f"{stage:<10} done" in text
    assert "┃ stage" in text and "codegen_digest=" in text
