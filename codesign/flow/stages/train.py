"""The ``train`` stage: dataset + zoo model + scheme -> ``train/`` (checkpoints, metrics, summary)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import torch

from codesign.flow.stage import Stage, StageContext, StageResult
from codesign.train import TrainConfig
from codesign.train.run import TrainRequest, train_run

CHECKPOINT = "train/checkpoint.pt"


def train_request(ctx: StageContext) -> TrainRequest:
    """The trainer's request built from the flow's dataset, model, quantization and training."""
    spec = ctx.spec
    t = spec.training
    if t.schedule not in ("constant", "cosine", "step"):
        raise ValueError(f"training.schedule {t.schedule!r} is not supported by the trainer; use constant, cosine or step")
    if t.device not in ("auto", "cpu", "cuda"):
        raise ValueError(f"training.device {t.device!r} is not supported by the trainer; use auto, cpu or cuda")
    options: dict[str, Any] = dict(spec.model.options)
    train_options = dict(spec.quantization.options)
    cfg = TrainConfig(epochs=max(1, t.epochs), batch_size=t.batch_size, optimizer=t.optimizer, lr=t.lr,
                      weight_decay=t.weight_decay, schedule=t.schedule, seed=t.seed, device=t.device,
                      **{k: v for k, v in train_options.items() if k in ("augment", "threads", "calibrate_batches")})
    return TrainRequest(model=spec.model.name, dataset=spec.dataset.name, data_path=ctx.data_path,
                        limit=spec.dataset.limit, scheme=spec.quantization.scheme, width=spec.quantization.width,
                        k=spec.quantization.k, model_options=options, train=cfg)


class TrainStage(Stage):
    """Quantization-aware training (or float training + PTQ) of the flow's model."""

    name = "train"
    version = "1"

    def outputs(self, ctx: StageContext) -> Sequence[str]:
        return ["train"]

    def config_slice(self, ctx: StageContext) -> Mapping[str, Any]:
        return ctx.spec.section("dataset", "model", "quantization", "training")

    def run(self, ctx: StageContext) -> StageResult:
        request = train_request(ctx)
        out = ctx.output("train")
        out.mkdir(parents=True, exist_ok=True)
        ctx.status(f"training {request.model} ({request.scheme}, W={request.width}) on {request.dataset}")
        threads = torch.get_num_threads()
        try:
            summary = train_run(request, out, progress=False)
        finally:
            torch.set_num_threads(threads)
        final = out / ("checkpoint_ptq.pt" if request.scheme == "ptq" else "checkpoint_last.pt")
        final.replace(out / "checkpoint.pt")
        (out / "summary.json").write_text(json.dumps({**summary, "checkpoint": CHECKPOINT}, indent=2))
        figures = {"accuracy_fixed": round(summary["accuracy_fixed"], 4), "train_seconds": summary["train_seconds"]}
        if "accuracy_float" in summary:
            figures["accuracy_float"] = round(summary["accuracy_float"], 4)
        return StageResult.done(figures)
