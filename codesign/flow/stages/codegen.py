"""The ``codegen`` stage (``ir/`` -> ``hls/``: a Vitis HLS project) and the ``csim`` stage
(g++ C simulation of that project on the golden vectors, sequential and threaded)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from codesign import ir
from codesign.codegen import generate
from codesign.codegen.autofold import RESOURCES, FoldingChoice, FoldingError, choose_folding
from codesign.codegen.environment import INCLUDE_DIR, TEMPLATE_DIR
from codesign.codegen.lint import lint_project
from codesign.flow.board import Board
from codesign.flow.spec import FlowSpec, ParallelismSpec
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


def layer_overrides(parallelism: ParallelismSpec) -> dict[str, dict[str, int]]:
    """The keys each ``hls.parallelism.layers`` entry sets (unset keys left to the chooser)."""
    return {name: {k: v for k, v in layer.model_dump().items() if v is not None}
            for name, layer in parallelism.layers.items()}


def board_resources(board: Board) -> dict[str, int]:
    """The board's counts of the resources the estimate models (LUT, FF, DSP, BRAM_18K)."""
    return {r: int(getattr(board.resources, r)) for r in RESOURCES}


def design_folding(graph: ir.Graph, spec: FlowSpec, board: Board) -> tuple[dict[str, dict[str, int]],
                                                                          FoldingChoice | None]:
    """The folding the accelerator is built with: the one source of truth of codegen and estimate.

    With ``hls.target_fps`` set, chosen for the board by
    :func:`codesign.codegen.autofold.choose_folding` (``hls.parallelism.layers`` as overrides,
    ``hls.resource_margin``); otherwise :func:`node_folding` of ``hls.parallelism``.

    Returns:
        Per-node folding (what :func:`codesign.codegen.generate` takes) and the choice (``None``
        without a target).

    Raises:
        FoldingError: the target cannot be met, the design does not fit, or an override is invalid.
    """
    hls = spec.hls
    if hls.target_fps is None:
        return node_folding(graph, hls.parallelism), None
    clock = float(hls.clock_mhz or board.default_clock_mhz)
    target = None if hls.target_fps == "max" else float(hls.target_fps)
    choice = choose_folding(graph, board_resources(board), clock, target, margin=hls.resource_margin,
                            overrides=layer_overrides(hls.parallelism))
    return {name: dict(fold) for name, fold in choice.folding.items()}, choice


def folding_field(exc: FoldingError) -> str:
    """The flow field a folding error is about."""
    if exc.kind == "override" and exc.layer is not None:
        return f"hls.parallelism.layers.{exc.layer}"
    return "hls.target_fps"


def folding_figures(choice: FoldingChoice) -> dict[str, float | str]:
    """Summary figures of a chosen folding: target, fps, bottleneck, fraction of each resource."""
    target = "max" if choice.target_fps is None else choice.target_fps
    figures: dict[str, float | str] = {"folding_target_fps": target, "folding_fps": round(choice.fps, 1),
                                       "folding_bottleneck": choice.bottleneck}
    figures.update({f"folding_{r}_fraction": round(v, 4) for r, v in choice.utilisation().items()})
    return figures


class CodegenStage(Stage):
    """Generates the HLS project (firmware, testbench, manifest with the multiplier audit) with
    the folding of :func:`design_folding`, recorded in ``hls/folding.json`` (with a target: the
    chosen folding, fps, bottleneck, resource use and the chooser's reasons)."""

    name = "codegen"
    version = "2"

    def inputs(self, ctx: StageContext) -> Sequence[str]:
        return ["ir/model.json", "ir/tensors.npz"]

    def outputs(self, ctx: StageContext) -> Sequence[str]:
        return ["hls"]

    def config_slice(self, ctx: StageContext) -> Mapping[str, Any]:
        return {**ctx.spec.section("hls"), "part": ctx.board.part, "resources": board_resources(ctx.board)}

    def extra_hash_inputs(self, ctx: StageContext) -> Mapping[str, Any]:
        return {"templates": TEMPLATE_DIR, "headers": INCLUDE_DIR}

    def run(self, ctx: StageContext) -> StageResult:
        graph = ir.load(ctx.path("ir"))
        hls = ctx.spec.hls
        try:
            folding, choice = design_folding(graph, ctx.spec, ctx.board)
        except FoldingError as exc:
            return StageResult.failed(f"{folding_field(exc)}: {exc}")
        project = generate(graph, ctx.output("hls"), top=str(hls.top), interface=hls.interface,
                           parallelism=folding, part=ctx.board.part,
                           clock_mhz=float(hls.clock_mhz or ctx.board.default_clock_mhz))
        findings = lint_project(project.path)
        if findings:
            return StageResult.failed(f"synthesizability lint: {len(findings)} finding(s):\n"
                                      + "\n".join(str(f) for f in findings))
        record = ({"source": "hls.target_fps", **choice.to_json()} if choice is not None
                  else {"source": "hls.parallelism", "folding": folding})
        ctx.output("hls/folding.json").write_text(json.dumps(record, indent=2) + "\n")
        audit = project.manifest["multiplier_audit"]
        figures: dict[str, Any] = {"general_multipliers_hls": int(audit["total_multipliers"]),
                                   "hls_files": len(project.files)}
        if choice is None:
            return StageResult.done(figures)
        for line in choice.reasons:
            ctx.log(f"folding: {line}")
        figures.update(folding_figures(choice))
        lut = choice.utilisation().get("lut", 0.0)
        target = "max" if choice.target_fps is None else f"{choice.target_fps:,.0f}"
        return StageResult.done(figures, f"folding for {target} fps: {choice.fps:,.0f} fps, "
                                         f"bottleneck {choice.bottleneck}, LUT {lut:.0%} (estimate)")


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
