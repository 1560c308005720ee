"""C simulation of a generated project: g++ build of the testbench, run on raw vectors,
bit-exact comparison with the IR interpreter."""

from __future__ import annotations

import ctypes
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from codesign.toolchain.aptypes import ap_types_include
from codesign.toolchain.errors import ToolchainError
from codesign.toolchain.gxx import BuildSpec, build
from codesign.toolchain.process import run_process

INCLUDE_DIR = Path(__file__).resolve().parents[2] / "hls" / "include"
CSIM_CXXFLAGS = (
    "-std=c++14", "-O1", "-fno-exceptions", "-Wall", "-Wextra", "-Werror", "-Wno-unknown-pragmas",
    "-Wno-uninitialized", "-Wno-maybe-uninitialized",
)
# -fno-exceptions: g++ compiles brace-initialised arrays of ap_fixed (weight ROMs) in quadratic
# time when every element needs an exception cleanup; the generated code never throws.
# NDEBUG: ap_private asserts on casts that drop more bits than the source holds (docs/ir.md).
CSIM_DEFINES = ("NDEBUG",)
DEADLOCK_EXIT_CODE = 3


class CsimDeadlockError(ToolchainError):
    """The threaded C simulation found a dataflow deadlock (the message names the streams)."""


def _manifest(project_dir: Path) -> dict[str, Any]:
    return json.loads((project_dir / "manifest.json").read_text())


def _build_against_firmware(project_dir: Path, driver: Path, output: Path, *, threaded: bool = False,
                            shared: bool = False, log_path: Path | None = None) -> Path:
    """Build ``driver`` (a testbench or predict source) with the project's firmware into
    ``output`` (rebuilt only when a source, a kernel header or the firmware changed)."""
    output.parent.mkdir(parents=True, exist_ok=True)
    spec = BuildSpec(
        sources=(driver, project_dir / "firmware" / f"{_manifest(project_dir)['top']}.cpp"),
        output=output,
        include_dirs=(INCLUDE_DIR, project_dir / "firmware"),
        system_include_dirs=(ap_types_include(),),
        defines=CSIM_DEFINES + (("CODESIGN_THREADED_CSIM",) if threaded else ()),
        cxxflags=CSIM_CXXFLAGS + (("-pthread",) if threaded else ()),
        shared=shared,
        hash_dirs=(INCLUDE_DIR / "codesign", project_dir / "firmware"),
    )
    build(spec, log_path=log_path or output.with_suffix(".build.log"), jobs=1)
    return output


def build_testbench(project_dir: Path, *, threaded: bool = False, log_path: Path | None = None) -> Path:
    """Build (when its sources changed) the testbench executable of a project."""
    project_dir = Path(project_dir)
    top = _manifest(project_dir)["top"]
    name = f"tb_{top}_threaded" if threaded else f"tb_{top}"
    return _build_against_firmware(project_dir, project_dir / "tb" / f"tb_{top}.cpp", project_dir / "build" / name,
                                   threaded=threaded, log_path=log_path)


def build_predict_library(project_dir: Path, *, log_path: Path | None = None) -> Path:
    """Build (when its sources changed) the project's shared library for ``predict``."""
    project_dir = Path(project_dir)
    top = _manifest(project_dir)["top"]
    return _build_against_firmware(project_dir, project_dir / "tb" / f"predict_{top}.cpp",
                                   project_dir / "build" / f"lib{top}_predict.so", shared=True, log_path=log_path)


def predict(project_dir: Path | str, inputs_raw: np.ndarray) -> np.ndarray:
    """Batched in-process C simulation through ctypes: raw inputs ``[B, values]`` (as for
    ``csim``) -> raw outputs ``[B, values]``. The library is built on first use."""
    project_dir = Path(project_dir)
    manifest = _manifest(project_dir)
    n_out = sum(int(np.prod(o["shape"])) for o in manifest["outputs"])
    rows = np.ascontiguousarray(np.asarray(inputs_raw, dtype=np.int64).reshape(len(inputs_raw), -1))
    library = ctypes.CDLL(str(build_predict_library(project_dir)))
    function = getattr(library, f"{manifest['top']}_predict")
    function.argtypes = (ctypes.POINTER(ctypes.c_longlong), ctypes.POINTER(ctypes.c_longlong), ctypes.c_int)
    function.restype = ctypes.c_int
    out = np.zeros((len(rows), n_out), dtype=np.int64)
    status = function(rows.ctypes.data_as(ctypes.POINTER(ctypes.c_longlong)),
                      out.ctypes.data_as(ctypes.POINTER(ctypes.c_longlong)), len(rows))
    if status != 0:
        raise ToolchainError(f"{manifest['top']}_predict returned {status}")
    return out


def write_vectors(path: Path, rows: np.ndarray) -> None:
    """The vector format: one sample per line, raw integers separated by spaces."""
    path.write_text("".join(" ".join(str(int(v)) for v in row) + "\n" for row in rows))


def read_vectors(path: Path) -> np.ndarray:
    """Rows of raw integers (int64) from a vector file."""
    rows = [[int(v) for v in line.split()] for line in path.read_text().splitlines() if line.strip()]
    return np.array(rows, dtype=np.int64)


def csim(project_dir: Path | str, inputs_raw: np.ndarray, *, threaded: bool = False,
         log_path: Path | None = None, timeout_s: float = 600) -> np.ndarray:
    """Run the project's testbench on ``inputs_raw`` ``[B, values]`` (the graph inputs
    flattened in IR order and concatenated); returns the outputs ``[B, values]``.

    Raises:
        CsimDeadlockError: threaded mode found a deadlock (message: the watchdog's report).
        ToolError: build or run failed (with the log tail).
    """
    project_dir = Path(project_dir)
    rows = np.asarray(inputs_raw, dtype=np.int64).reshape(len(inputs_raw), -1)
    exe = build_testbench(project_dir, threaded=threaded)
    work = project_dir / "csim"
    work.mkdir(exist_ok=True)
    tag = "threaded" if threaded else "sequential"
    in_path, out_path = work / f"inputs_{tag}.txt", work / f"outputs_{tag}.txt"
    write_vectors(in_path, rows)
    out_path.unlink(missing_ok=True)
    log = log_path or work / f"csim_{tag}.log"
    log.unlink(missing_ok=True)
    result = run_process([exe, in_path, out_path], log_path=log, timeout_s=timeout_s, check=False)
    if result.returncode == DEADLOCK_EXIT_CODE:
        raise CsimDeadlockError(f"threaded csim deadlocked:\n{log.read_text()}")
    if result.returncode != 0:
        raise ToolchainError(f"csim exited with status {result.returncode}:\n{log.read_text()[-4000:]}")
    return read_vectors(out_path).reshape(len(rows), -1)


@dataclass(frozen=True)
class CsimReport:
    """Outcome of a csim-vs-IR comparison.

    Attributes:
        samples: samples compared.
        values: output values compared per sample.
        mismatch: None, or (sample, output name, flat index, csim raw, IR raw) of the first.
        first_layer: on a mismatch located with per-layer taps, the first node (in
            topological order) whose csim output differs from ``ir.run``'s tap.
    """

    samples: int
    values: int
    mismatch: tuple[int, str, int, int, int] | None
    first_layer: str | None = None

    @property
    def ok(self) -> bool:
        return self.mismatch is None

    def __str__(self) -> str:
        if self.mismatch is None:
            return f"csim equals ir.run on {self.samples} samples x {self.values} values"
        s, name, i, got, want = self.mismatch
        where = f" (first differing layer: {self.first_layer!r})" if self.first_layer else ""
        return f"first mismatch: sample {s}, output {name!r} index {i}: csim {got}, ir.run {want}{where}"


def _first_mismatch(got: np.ndarray, reference: Any, batch: int,
                    names: Any) -> tuple[int, str, int, int, int] | None:
    offset = 0
    for name in names:
        want = np.asarray(reference[name]).reshape(batch, -1)
        part = got[:, offset:offset + want.shape[1]]
        offset += want.shape[1]
        diff = np.argwhere(part != want)
        if len(diff):
            s, i = (int(v) for v in diff[0])
            return s, name, i, int(part[s, i]), int(want[s, i])
    return None


def compare_with_ir(project: Any, graph: Any, inputs: Any, *, threaded: bool = False,
                    taps_dir: Path | None = None) -> CsimReport:
    """Run csim and ``ir.run`` on the same raw inputs and compare every output bit for bit.

    Args:
        project: a ``codegen.Project`` or a project directory.
        graph: the IR graph it was generated from.
        inputs: raw inputs: an array ``(B, *shape)`` for a single-input graph, or a mapping.
        threaded: use the threaded (deadlock-checking) csim.
        taps_dir: on a mismatch, generate there a copy of the project whose outputs are every
            layer (per-layer taps), run it, and name the first layer that differs.
    """
    from codesign import ir  # numpy-only; imported here to keep the toolchain import light

    project_dir = Path(getattr(project, "path", project))
    named = inputs if isinstance(inputs, dict) else {graph.inputs[0].name: inputs}
    batch = len(next(iter(named.values())))
    flat = np.concatenate([np.asarray(named[i.name], dtype=np.int64).reshape(batch, -1) for i in graph.inputs],
                          axis=1)
    got = csim(project_dir, flat, threaded=threaded)
    result = ir.run(graph, named)
    mismatch = _first_mismatch(got, result.outputs, batch, graph.outputs)
    if mismatch is None or taps_dir is None:
        return CsimReport(batch, got.shape[1], mismatch)
    first = _first_layer(project_dir, graph, flat, result.taps, batch, Path(taps_dir))
    return CsimReport(batch, got.shape[1], mismatch, first)


def _first_layer(project_dir: Path, graph: Any, flat: np.ndarray, taps: Any, batch: int, taps_dir: Path) -> str | None:
    """The first node whose output differs, from a project with every node as an output."""
    from codesign import codegen, ir

    manifest = _manifest(project_dir)
    d = graph.to_dict()
    d["outputs"] = [n.name for n in graph.nodes]
    tapped = ir.Graph.from_dict(d, dict(graph.params))
    tapped_project = codegen.generate(tapped, taps_dir, top=manifest["top"],
                                      parallelism=manifest["parallelism"], part=manifest["part"],
                                      clock_mhz=manifest["clock_mhz"])
    got = csim(tapped_project.path, flat)
    found = _first_mismatch(got, taps, batch, tapped.outputs)
    return None if found is None else found[1]
