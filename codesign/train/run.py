"""One training run from plain options: dataset + zoo model + scheme -> a run directory."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import torch


from codesign.data import load_dataset
from codesign.models import build_model
from codesign.train.config import TrainConfig
from codesign.train.evaluate import evaluate
from codesign.train.loop import fit
from codesign.train.ptq_run import FLOAT_REFERENCE_WIDTH, post_training_quantize


@dataclass(frozen=True)
class TrainRequest:
    """What ``codesign train`` asks for.

    Attributes:
        model: zoo model name; ``model_options`` are its builder's keyword options.
        dataset: dataset name; ``data_path`` its local files (not needed for digits);
            ``limit`` subsamples each split.
        scheme: ``qfx``, ``khot``, ``hgq``, ``fixed`` (QAT in that scheme), ``frozen``
            (QAT with calibrated, then frozen binary points) or ``ptq`` (train the 20-bit
            float reference, then quantize to ``width`` bits without retraining).
        width, k: word length and K-hot digits passed to the model builder.
        train: the trainer configuration.
        dataset_options: keyword options of the dataset loader.
    """

    model: str
    dataset: str = "digits"
    data_path: Path | None = None
    limit: int | None = None
    scheme: str = "qfx"
    width: int = 8
    k: int = 2
    model_options: dict[str, Any] = field(default_factory=dict)
    train: TrainConfig = TrainConfig()
    dataset_options: dict[str, Any] = field(default_factory=dict)


def default_run_dir(request: TrainRequest, root: Path = Path("results/runs")) -> Path:
    """``results/runs/train/<model>-<scheme>-w<width>-<UTC timestamp>``."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    return root / "train" / f"{request.model}-{request.scheme}-w{request.width}-{stamp}"


def train_run(request: TrainRequest, run_dir: Path, *, progress: bool = True) -> dict[str, Any]:
    """Train as requested; write checkpoints, metrics and ``summary.json`` to ``run_dir``.

    Returns:
        The summary: accuracies (fixed-point test accuracy, and for PTQ the float
        reference's), epochs, seconds, checkpoint path.
    """
    dataset = load_dataset(request.dataset, request.data_path, limit=request.limit, **request.dataset_options)
    options = dict(request.model_options)
    if request.scheme in ("ptq", "frozen"):
        scheme, width = "qfx", FLOAT_REFERENCE_WIDTH if request.scheme == "ptq" else request.width
    else:
        scheme, width = request.scheme, request.width
    if request.model == "bnn":
        options.setdefault("k", request.k if request.scheme == "khot" else None)
        options.setdefault("input_size", int(dataset.train.x.shape[-1]))  # the flatten head's classifier size
    else:
        options.update(scheme=scheme, k=request.k)
    options["width"] = width
    torch.manual_seed(request.train.seed)  # the initial weights belong to the seed too
    model = build_model(request.model, **options)
    cfg = request.train
    if request.scheme == "frozen":
        cfg = TrainConfig(**{**asdict(cfg), "freeze_binary_points": True})
    result = fit(model, dataset.train, dataset.test, cfg, run_dir, model.model_spec, progress=progress)
    summary: dict[str, Any] = {
        "model": request.model, "dataset": request.dataset, "scheme": request.scheme, "width": request.width,
        "epochs": cfg.epochs, "seed": cfg.seed, "train_seconds": round(result.seconds, 2),
        "accuracy_fixed": result.test_accuracy, "checkpoint": str(result.last_checkpoint),
    }
    if request.scheme == "ptq":
        summary["accuracy_float"] = result.test_accuracy
        quantized = post_training_quantize(model, request.width, dataset.train.x)
        summary["accuracy_fixed"] = evaluate(quantized, dataset.test).accuracy
        from codesign.train.checkpoint import save_checkpoint

        ptq_path = run_dir / "checkpoint_ptq.pt"
        save_checkpoint(ptq_path, quantized, quantized.model_spec, {"accuracy_fixed": summary["accuracy_fixed"]})
        summary["checkpoint"] = str(ptq_path)
    tmp = run_dir / f".summary.json.tmp{os.getpid()}"
    tmp.write_text(json.dumps(summary, indent=2))
    os.replace(tmp, run_dir / "summary.json")
    return summary
