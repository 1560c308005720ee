"""The ``estimate`` stage: ``ir/`` + folding + board -> ``estimate/`` (per-node CSV, totals JSON)."""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any

from codesign import ir
from codesign.flow.stage import Stage, StageContext, StageResult
from codesign.codegen.autofold import FoldingError
from codesign.flow.stages.codegen import design_folding, folding_field
from codesign.reports.estimate import Folding, estimate


class EstimateStage(Stage):
    """Analytical LUT/FF/DSP/BRAM and cycle estimate of the accelerator (no vendor tools), with
    the folding the codegen stage builds (:func:`design_folding`: explicit or chosen for a target)."""

    name = "estimate"
    version = "2"

    def inputs(self, ctx: StageContext) -> Sequence[str]:
        return ["ir/model.json", "ir/tensors.npz"]

    def outputs(self, ctx: StageContext) -> Sequence[str]:
        return ["estimate"]

    def config_slice(self, ctx: StageContext) -> Mapping[str, Any]:
        return {**ctx.spec.section("hls.parallelism", "hls.clock_mhz", "hls.target_fps", "hls.resource_margin"),
                "board": ctx.board.model_dump(mode="json")}

    def run(self, ctx: StageContext) -> StageResult:
        graph = ir.load(ctx.path("ir"))
        try:
            chosen, _ = design_folding(graph, ctx.spec, ctx.board)
        except FoldingError as exc:
            return StageResult.failed(f"{folding_field(exc)}: {exc}")
        folding = {name: Folding(**fold) for name, fold in chosen.items()}
        result = estimate(graph, float(ctx.spec.hls.clock_mhz or ctx.board.default_clock_mhz), folding)
        out = ctx.output("estimate")
        out.mkdir(parents=True, exist_ok=True)
        with open(out / "nodes.csv", "w", newline="") as f:
            rows = [asdict(n) for n in result.nodes]
            writer = csv.DictWriter(f, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        res = ctx.board.resources
        available = {"lut": res.lut, "ff": res.ff, "dsp": res.dsp, "bram_18k": res.bram_18k}
        usage = {f"est_{k}_fraction": round(v, 4) for k, v in result.utilisation(available).items()}
        figures = {**result.figures(), **usage}
        (out / "estimate.json").write_text(json.dumps(figures, indent=2))
        return StageResult.done(figures)
