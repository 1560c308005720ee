"""The ``export`` stage: ``train/checkpoint.pt`` -> ``ir/`` (model.json, tensors.npz) and golden
vectors ``vectors/`` (raw inputs, expected raw outputs, labels), checked bit for bit."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch

from codesign.data import load_dataset
from codesign.flow.stage import Stage, StageContext, StageResult
from codesign.flow.stages.train import CHECKPOINT
from codesign.ir import run as ir_run
from codesign.nn.export import compare_with_ir, export, raw_inputs
from codesign.toolchain.csim import write_vectors
from codesign.train import load_checkpoint


class ExportStage(Stage):
    """Exports the trained model to the integer IR and writes golden test vectors."""

    name = "export"
    version = "1"

    def inputs(self, ctx: StageContext) -> Sequence[str]:
        return [CHECKPOINT]

    def outputs(self, ctx: StageContext) -> Sequence[str]:
        return ["ir", "vectors"]

    def config_slice(self, ctx: StageContext) -> Mapping[str, Any]:
        return ctx.spec.section("export", "dataset")

    def run(self, ctx: StageContext) -> StageResult:
        spec = ctx.spec
        model = load_checkpoint(ctx.path(CHECKPOINT))
        dataset = load_dataset(spec.dataset.name, ctx.data_path, limit=spec.dataset.limit, **spec.dataset.options)
        test = dataset.test
        count = min(spec.export.test_vectors, len(test)) if spec.export.test_vectors else len(test)
        x = test.x[:count]
        example = torch.as_tensor(x[:8], dtype=torch.float32)
        ctx.status("exporting to the IR")
        result = export(model, example, ctx.output("ir"), name=spec.name)
        ctx.status(f"checking the IR against the torch emulation on {count} samples")
        comparison = compare_with_ir(model, result.graph, x)
        if comparison.mismatches:
            return StageResult.failed(f"IR differs from the torch emulation: {comparison.first}")
        raw = raw_inputs(model, x)
        outputs = ir_run(result.graph, raw).outputs
        expected = next(iter(outputs.values()))
        vectors = ctx.output("vectors")
        vectors.mkdir(parents=True, exist_ok=True)
        write_vectors(vectors / "inputs.txt", raw.reshape(count, -1))
        write_vectors(vectors / "expected.txt", expected.reshape(count, -1))
        write_vectors(vectors / "labels.txt", test.y[:count].reshape(-1, 1))
        accuracy = float((expected.reshape(count, -1).argmax(axis=1) == test.y[:count]).mean())
        return StageResult.done({"ir_nodes": len(result.graph.nodes), "ir_match": f"{count}/{count}",
                                 "vectors_accuracy": round(accuracy, 4)})
