"""Small real stages for the runner tests: they read their inputs and write files.

Each stage appends its name to a call log (outside the run directory) every time it runs, so a
test can tell exactly which stages ran. The output content derives from the inputs and the config
slice, so a change upstream changes the bytes downstream.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from codesign.flow.stage import Stage, StageContext, StageResult

FLOW_YAML = """\
name: toy
board: ultra96v2
dataset: {{name: digits, path: {data}}}
model: {{name: mlp}}
quantization: {{scheme: qfx, width: 8}}
training: {{epochs: 2}}
export: {{test_vectors: 10}}
hls: {{clock_mhz: 150}}
stages: [train, export, codegen, csim, synth]
"""


class FileStage(Stage):
    """Reads ``ins`` (files or directories), writes ``outs`` (``name/`` means a directory)."""

    def __init__(
        self,
        name: str,
        ins: Sequence[str],
        outs: Sequence[str],
        config: Sequence[str],
        calls: Path,
        *,
        extra: Mapping[str, Path | str] | None = None,
        skip: str | None = None,
        version: str = "1",
    ) -> None:
        self.name = name
        self.ins = list(ins)
        self.outs = list(outs)
        self.config = list(config)
        self.calls = calls
        self.extra = dict(extra or {})
        self.skip = skip
        self.version = version

    def outputs(self, ctx: StageContext) -> Sequence[str]:
        return [out.rstrip("/") for out in self.outs]

    def inputs(self, ctx: StageContext) -> Sequence[str | Path]:
        return [Path(i) if i.startswith("/") else i.rstrip("/") for i in self.ins]

    def config_slice(self, ctx: StageContext) -> Mapping[str, Any]:
        return ctx.spec.section(*self.config)

    def extra_hash_inputs(self, ctx: StageContext) -> Mapping[str, Path | str]:
        return self.extra

    def skip_reason(self, ctx: StageContext) -> str | None:
        return self.skip

    def digest(self, ctx: StageContext) -> str:
        """A hash of what the stage read: inputs' bytes and its config slice."""
        h = hashlib.sha256(json.dumps(self.config_slice(ctx), sort_keys=True).encode())
        for item in self.ins:
            path = Path(item) if item.startswith("/") else ctx.path(item.rstrip("/"))
            files = sorted(path.rglob("*")) if path.is_dir() else [path]
            for f in files:
                if f.is_file():
                    h.update(f.read_bytes())
        return h.hexdigest()[:16]

    def run(self, ctx: StageContext) -> StageResult:
        with open(self.calls, "a", encoding="utf-8") as handle:
            handle.write(self.name + "\n")
        content = f"{self.name} {self.digest(ctx)}\n"
        for out in self.outs:
            if out.endswith("/"):
                ctx.output(out + "data.txt").write_text(content)
            else:
                ctx.output(out).write_text(content)
        ctx.status("writing")
        with ctx.progress("steps", total=3) as bar:
            for _ in range(3):
                bar.advance()
        return StageResult.done({f"{self.name}_digest": content.split()[1], "count": 1})


class PartialThenFail(FileStage):
    """Writes part of its output, then raises (a crash mid-stage)."""

    def run(self, ctx: StageContext) -> StageResult:
        ctx.output(self.outs[0].rstrip("/") + "/data.txt").write_text("half")
        raise RuntimeError("simulated crash after a partial write")


class PartialThenHang(FileStage):
    """Writes part of its output, signals ``marker``, then waits to be killed."""

    def __init__(self, *args: Any, marker: Path, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.marker = marker

    def run(self, ctx: StageContext) -> StageResult:
        ctx.output(self.outs[0].rstrip("/") + "/data.txt").write_text("half")
        self.marker.write_text(str(os.getpid()))
        time.sleep(60)
        return StageResult.done()


def registry(tmp: Path, **overrides: Stage) -> dict[str, Stage]:
    """train -> export -> codegen -> csim -> synth, over ``tmp``'s data file and templates."""
    calls = tmp / "calls.log"
    stages: dict[str, Stage] = {
        "train": FileStage("train", [str(tmp / "data.txt")], ["checkpoint.txt"],
                           ["training", "dataset.name"], calls),
        "export": FileStage("export", ["checkpoint.txt"], ["ir/"], ["export"], calls),
        "codegen": FileStage("codegen", ["ir/"], ["hls/"], ["hls"], calls,
                             extra={"templates": tmp / "templates", "tool": "gcc 12"}),
        "csim": FileStage("csim", ["hls/"], ["reports/csim.txt"], [], calls),
        "synth": FileStage("synth", ["hls/"], ["reports/csynth.txt"], ["hls.clock_mhz"], calls),
    }
    stages.update(overrides)
    return stages


def setup(tmp: Path, data_text: str = "samples 1 2 3\n") -> Path:
    """The data file, the template folder and the flow file in ``tmp``; returns the flow path."""
    (tmp / "data.txt").write_text(data_text)
    (tmp / "templates").mkdir(exist_ok=True)
    (tmp / "templates" / "top.cpp.j2").write_text("void {{ top }}();\n")
    flow = tmp / "toy.yaml"
    flow.write_text(FLOW_YAML.format(data=tmp / "data.txt"))
    return flow


def calls(tmp: Path) -> list[str]:
    """The stages that ran since the last :func:`reset_calls`, in order."""
    path = tmp / "calls.log"
    return path.read_text().split() if path.exists() else []


def reset_calls(tmp: Path) -> None:
    """Forget the recorded calls."""
    (tmp / "calls.log").unlink(missing_ok=True)
