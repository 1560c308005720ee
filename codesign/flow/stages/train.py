"""The ``train`` stage: dataset + zoo model + scheme -> ``train/`` (checkpoints, metrics, summary)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch

from codesign.flow.spec import FlowSpec
from codesign.flow.stage import Stage, StageContext, StageResult
from codesign.train import TrainConfig
from codesign.train.run import TrainRequest, train_run

CHECKPOINT = "train/checkpoint.pt"
TRAINER_OPTIONS = ("augment", "threads", "calibrate_batches", "calibration_margin", "freeze_binary_points",
                   "label_smoothing", "eval_every")
"""``quantization.options`` keys passed to the trainer (see ``TrainConfig``)."""


def train_request(spec: FlowSpec, data_path: Path | None) -> TrainRequest:
    """The trainer's request built from the flow's dataset, model, quantization and training;
    ``data_path`` is the dataset's location (``--data`` or ``dataset.path``)."""
    t = spec.training
    if t.schedule not in ("constant", "cosine", "step"):
        raise ValueError(f"training.schedule {t.schedule!r} is not supported by the trainer; use constant, cosine or step")
    if t.device not in ("auto", "cpu", "cuda"):
        raise ValueError(f"training.device {t.device!r} is not supported by the trainer; use auto, cpu or cuda")
    q = spec.quantization
    if q.int_bits is not None or q.rounding != "AP_RND" or q.overflow != "AP_SAT":
        raise ValueError("quantization.int_bits/rounding/overflow: the zoo models calibrate binary points and "
                         "use AP_RND/AP_SAT; remove these fields (per-model choices go in model.options)")
    unknown = sorted(set(q.options) - set(TRAINER_OPTIONS))
    if unknown:
        raise ValueError(f"quantization.options: unknown {', '.join(unknown)}; allowed: {', '.join(TRAINER_OPTIONS)}")
    beta = {} if q.beta is None else {"beta": q.beta.end, "beta_ramp": q.beta.schedule}
    cfg = TrainConfig(epochs=max(1, t.epochs), batch_size=t.batch_size, optimizer=t.optimizer, lr=t.lr,
                      weight_decay=t.weight_decay, schedule=t.schedule, seed=t.seed, device=t.device,
                      **beta, **dict(q.options))
    return TrainRequest(model=spec.model.name, dataset=spec.dataset.name, data_path=data_path,
                        limit=spec.dataset.limit, scheme=q.scheme, width=q.width, k=q.k,
                        model_options=dict(spec.model.options), train=cfg,
                        dataset_options=dict(spec.dataset.options))


class TrainStage(Stage):
    """Quantization-aware training (or float training + PTQ) of the flow's model."""

    name = "train"
    version = "1"

    def outputs(self, ctx: StageContext) -> Sequence[str]:
        return ["train"]

    def config_slice(self, ctx: StageContext) -> Mapping[str, Any]:
        return ctx.spec.section("dataset", "model", "quantization", "training")

    def run(self, ctx: StageContext) -> StageResult:
        request = train_request(ctx.spec, ctx.data_path)
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
