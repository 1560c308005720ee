"""The ``codegen`` stage (``ir/`` -> ``hls/``: a Vitis HLS project) and the ``csim`` stage
(g++ C simulation of that project on the golden vectors, sequential and threaded)."""

from __future__ import annotations

import shutil
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from codesign import ir
from codesign.codegen import generate
from codesign.codegen.environment import INCLUDE_DIR, TEMPLATE_DIR
from codesign.flow.stage import Stage, StageContext, StageResult
from codesign.toolchain.csim import csim, read_vectors
from codesign.toolchain.gxx import find_gxx

BINARY_OPS = ("binary_conv2d", "binary_dense")
FOLDED_OPS = ("dense", "conv2d")
THREADED_SAMPLES = 16


def largest_divisor_at_most(n: int, limit: int) -> int:
    """The largest divisor of ``n`` not above ``limit`` (folding factors must divide)."""
    return max(d for d in range(1, max(1, min(n, limit)) + 1) if n % d == 0)


def node_folding(graph: ir.Graph, spec_parallelism: Any) -> dict[str, dict[str, int]]:
    """Per-node folding from the flow: PE/SIMD for binary layers (shrunk to divisors of the
    output channels / fan-in), reuse factors for dense and conv layers."""
    folding: dict[str, dict[str, int]] = {}
    for node in graph.nodes:
        want = spec_parallelism.for_layer(node.name)
        if node.op in BINARY_OPS:
            weight = node.params["weight"]
            cout, fan_in = int(weight.shape[0]), int(np.prod(weight.shape[1:]))
            folding[node.name] = {"pe": largest_divisor_at_most(cout, want.pe),
                                  "simd": largest_divisor_at_most(fan_in, want.simd)}
        elif node.op in FOLDED_OPS and want.reuse_factor > 1:
            fan_in = int(np.prod(node.params["weight"].shape[1:]))
            folding[node.name] = {"reuse_factor": largest_divisor_at_most(fan_in, want.reuse_factor)}
    return folding


class CodegenStage(Stage):
    """Generates the HLS project (firmware, testbench, manifest with the multiplier audit)."""

    name = "codegen"
    version = "1"

    def inputs(self, ctx: StageContext) -> Sequence[str]:
        return ["ir/model.json", "ir/tensors.npz"]

    def outputs(self, ctx: StageContext) -> Sequence[str]:
        return ["hls"]

    def config_slice(self, ctx: StageContext) -> Mapping[str, Any]:
        return {**ctx.spec.section("hls"), "part": ctx.board.part}

    def extra_hash_inputs(self, ctx: StageContext) -> Mapping[str, Any]:
        return {"templates": TEMPLATE_DIR, "headers": INCLUDE_DIR}

    def run(self, ctx: StageContext) -> StageResult:
        graph = ir.load(ctx.path("ir"))
        hls = ctx.spec.hls
        project = generate(graph, ctx.output("hls"), top=str(hls.top), interface=hls.interface,
                           parallelism=node_folding(graph, hls.parallelism), part=ctx.board.part,
                           clock_mhz=float(hls.clock_mhz or ctx.board.default_clock_mhz))
        audit = project.manifest["multiplier_audit"]
        return StageResult.done({"general_multipliers_hls": int(audit["total_multipliers"]),
                                 "hls_files": len(project.files)})


class CsimStage(Stage):
    """Builds the testbench with g++ against the ap_types headers and checks every golden
    output bit for bit; a threaded build with FIFOs of exactly their declared depths runs a
    few samples to catch dataflow deadlocks."""

    name = "csim"
    version = "1"

    def inputs(self, ctx: StageContext) -> Sequence[str]:
        return ["hls", "vectors/inputs.txt", "vectors/expected.txt"]

    def outputs(self, ctx: StageContext) -> Sequence[str]:
        return ["csim"]

    def config_slice(self, ctx: StageContext) -> Mapping[str, Any]:
        return ctx.spec.section("tools.csim_timeout_s")

    def skip_reason(self, ctx: StageContext) -> str | None:
        try:
            find_gxx()
        except Exception as exc:  # ToolNotFoundError: the message names what to install
            return str(exc)
        return None

    def run(self, ctx: StageContext) -> StageResult:
        project = ctx.output("csim") / "project"
        shutil.copytree(ctx.path("hls"), project)
        inputs = read_vectors(ctx.path("vectors/inputs.txt"))
        expected = read_vectors(ctx.path("vectors/expected.txt"))
        ctx.status(f"C simulation of {len(inputs)} samples")
        got = csim(project, inputs, log_path=ctx.log_path, timeout_s=ctx.spec.tools.csim_timeout_s)
        bad = np.argwhere(got != expected)
        if len(bad):
            s, i = bad[0]
            return StageResult.failed(
                f"csim differs from the IR on {len(np.unique(bad[:, 0]))}/{len(inputs)} samples; first: sample {s} "
                f"value {i}: csim {got[s, i]}, expected {expected[s, i]}",
                {"csim_match": f"{len(inputs) - len(np.unique(bad[:, 0]))}/{len(inputs)}"})
        ctx.status("threaded C simulation (FIFOs of their declared depths)")
        threaded = csim(project, inputs[:THREADED_SAMPLES], threaded=True, log_path=ctx.log_path,
                        timeout_s=ctx.spec.tools.csim_timeout_s)
        if not np.array_equal(threaded, expected[:THREADED_SAMPLES]):
            return StageResult.failed("threaded csim differs from the sequential one")
        return StageResult.done({"csim_match": f"{len(inputs)}/{len(inputs)}", "csim_threaded": "no deadlock"})
