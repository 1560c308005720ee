"""The training loop: seeded, with a progress bar, per-epoch metrics and checkpoints."""

from __future__ import annotations

import csv
import importlib
import json
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from torch import nn

from codesign.data import DataSplit, make_loader
from codesign.quant.ebops import ConstantBeta, EBOPsController, ExponentialRampBeta, LinearRampBeta
from codesign.train.checkpoint import copy_checkpoint, save_checkpoint
from codesign.train.config import TrainConfig
from codesign.train.evaluate import evaluate

BetaSchedule = Callable[[int], float]


@dataclass(frozen=True)
class TrainResult:
    """What ``fit`` returns.

    Attributes:
        history: one dict per epoch (the rows of metrics.csv).
        last_checkpoint, best_checkpoint: paths (best = highest validation accuracy, or
            the last epoch when no validation split was given).
        test_accuracy: fixed-point (eval-mode) accuracy of the final model on the test split.
        seconds: wall time of the training loop (s), evaluation included.
    """

    history: list[dict[str, Any]]
    last_checkpoint: Path
    best_checkpoint: Path
    test_accuracy: float
    seconds: float


def resolve_device(name: str) -> torch.device:
    """``auto`` -> CUDA when available, else CPU; ``cuda`` without a GPU is an error."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ValueError("training.device is 'cuda' but no CUDA device is available; use 'auto' or 'cpu'")
    return torch.device(name)


def param_groups(model: nn.Module, lr: float) -> list[dict[str, Any]]:
    """The trainable parameters in optimizer groups: one at ``lr``, and one per layer weight
    whose layer asks for another rate (a ``QLinear`` with ``lr_scale != 1``) at
    ``lr * lr_scale``. Empty groups are left out."""
    from codesign.nn import QLinear

    scaled = [m for m in model.modules() if isinstance(m, QLinear) and m.lr_scale != 1.0 and m.weight.requires_grad]
    scaled_ids = {id(m.weight) for m in scaled}
    plain = [p for p in model.parameters() if p.requires_grad and id(p) not in scaled_ids]
    groups = [{"params": plain, "lr": lr}] if plain else []
    return groups + [{"params": [m.weight], "lr": lr * m.lr_scale} for m in scaled]


def _optimizer(model: nn.Module, cfg: TrainConfig) -> torch.optim.Optimizer:
    """The configured optimizer over :func:`param_groups`, with torch's fused (single-kernel)
    update where this torch and device have one: on CPU an Adam step over a small model's ~50
    tensors takes about 1 ms instead of 10 (the per-tensor Python loop)."""
    groups = param_groups(model, cfg.lr)
    if cfg.optimizer == "sgd":
        cls: type[torch.optim.Optimizer] = torch.optim.SGD
        options: dict[str, Any] = {"momentum": 0.9, "nesterov": True}
    else:
        cls = torch.optim.AdamW if cfg.optimizer == "adamw" else torch.optim.Adam
        options = {}
    try:
        return cls(groups, lr=cfg.lr, weight_decay=cfg.weight_decay, fused=True, **options)
    except (RuntimeError, TypeError, ValueError):  # no fused kernel for this torch, device or dtype
        return cls(groups, lr=cfg.lr, weight_decay=cfg.weight_decay, **options)


def _lr_factor(cfg: TrainConfig, steps_per_epoch: int) -> Callable[[int], float]:
    """Multiplier of the peak learning rate at optimizer step ``step``."""
    total = cfg.epochs * steps_per_epoch
    warmup = int(cfg.warmup_epochs * steps_per_epoch)

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        progress = (step - warmup) / max(1, total - warmup)
        if cfg.schedule == "cosine":
            return 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))
        if cfg.schedule == "step":
            return 0.01 if progress >= 0.75 else 0.1 if progress >= 0.5 else 1.0
        return 1.0

    return factor


def beta_schedule(cfg: TrainConfig) -> BetaSchedule | EBOPsController | None:
    """The HGQ beta schedule of a config (None when the penalty is off)."""
    if cfg.beta == 0:
        return None
    if cfg.target_ebops is not None:
        return EBOPsController(cfg.target_ebops, cfg.beta, beta_max=max(1.0, cfg.beta * 1e3))
    half = max(1, cfg.epochs // 2)
    if cfg.beta_ramp == "linear":
        return LinearRampBeta(cfg.beta / 100, cfg.beta, half)
    if cfg.beta_ramp == "exponential":
        return ExponentialRampBeta(cfg.beta / 100, cfg.beta, half)
    return ConstantBeta(cfg.beta)


def _write_metrics(out_dir: Path, history: list[dict[str, Any]]) -> None:
    """metrics.csv and metrics.json, each written to a temp file and renamed."""
    csv_tmp = out_dir / f".metrics.csv.tmp{os.getpid()}"
    with open(csv_tmp, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(history[0].keys()))
        writer.writeheader()
        writer.writerows(history)
    os.replace(csv_tmp, out_dir / "metrics.csv")
    json_tmp = out_dir / f".metrics.json.tmp{os.getpid()}"
    json_tmp.write_text(json.dumps(history, indent=2))
    os.replace(json_tmp, out_dir / "metrics.json")


def _load_optimizer_machinery() -> None:
    """Import what torch.optim loads on its first use: every optimizer's constructor imports
    ``torch._dynamo`` (about 1.9 s on a 2-core VM with torch 2.13, once per process). Library
    loading, like ``import torch``, happens before the training clock starts."""
    importlib.import_module("torch._dynamo")


def _model_ebops(model: nn.Module, example: torch.Tensor) -> torch.Tensor | None:
    """Differentiable total EBOPs of a codesign model (None for a plain torch model)."""
    from codesign.nn import QModule, ebops

    if not any(isinstance(m, QModule) for m in model.modules()):
        return None
    return ebops(model, example).total


def random_shift(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Translate each image of ``x`` (``[N, C, H, W]``) by -1, 0 or +1 pixel along H and W,
    filling with zeros; inputs of other ranks are returned unchanged."""
    if x.dim() != 4:
        return x
    n, _, h, w = x.shape
    padded = nn.functional.pad(x, (1, 1, 1, 1))
    dy = torch.randint(0, 3, (n,), generator=generator).to(x.device)
    dx = torch.randint(0, 3, (n,), generator=generator).to(x.device)
    rows = (dy[:, None] + torch.arange(h, device=x.device)[None, :])[:, None, :, None]
    cols = (dx[:, None] + torch.arange(w, device=x.device)[None, :])[:, None, None, :]
    batch = torch.arange(n, device=x.device)[:, None, None, None]
    channels = torch.arange(x.shape[1], device=x.device)[None, :, None, None]
    return padded[batch, channels, rows, cols]


def _initial_calibration(model: nn.Module, loader: Any, cfg: TrainConfig, device: torch.device) -> None:
    """Set the model's learnable binary points from its first training batches (see TrainConfig)."""
    from codesign.quant.ptq import Calibratable, calibrate, freeze_int_bits

    if cfg.calibrate_batches == 0 or not any(isinstance(m, Calibratable) for m in model.modules()):
        return
    batches = []
    for x, _ in loader:
        batches.append(x.to(device=device, dtype=torch.float32))
        if len(batches) == cfg.calibrate_batches:
            break
    calibrate(model, batches, cfg.calibration_margin, train_mode=True)
    if cfg.freeze_binary_points:
        freeze_int_bits(model)


def fit(
    model: nn.Module,
    train: DataSplit,
    test: DataSplit,
    cfg: TrainConfig,
    out_dir: Path,
    model_spec: dict[str, Any],
    *,
    val: DataSplit | None = None,
    progress: bool = True,
) -> TrainResult:
    """Train ``model`` on ``train`` and write metrics and checkpoints to ``out_dir``.

    Args:
        model: a torch model taking dataset values (``[N, ...]`` float32) to logits.
        train, test: data splits; ``test`` is evaluated in eval mode (fixed point for
            codesign models) every ``cfg.eval_every`` epochs and after the last.
        cfg: the training configuration.
        out_dir: receives metrics.csv, metrics.json, checkpoint_last.pt, checkpoint_best.pt.
        model_spec: stored in the checkpoints so ``load_checkpoint`` rebuilds the model.
        val: optional validation split that selects the best checkpoint.
        progress: show a rich progress bar.
    """
    _load_optimizer_machinery()
    start = time.monotonic()
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    device = resolve_device(cfg.device)
    model.to(device)
    loader = make_loader(train, cfg.batch_size, shuffle=True, seed=cfg.seed, drop_last=len(train) > cfg.batch_size)
    example = torch.as_tensor(train.x[:1]).to(device=device, dtype=torch.float32)
    model.train()
    with torch.no_grad():
        model(torch.as_tensor(train.x[: cfg.batch_size]).to(device=device, dtype=torch.float32))  # materialise lazy shapes
    _initial_calibration(model, loader, cfg, device)
    optimizer = _optimizer(model, cfg)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, _lr_factor(cfg, len(loader)))
    betas = beta_schedule(cfg)
    augment_gen = torch.Generator().manual_seed(cfg.seed + 1)
    out_dir.mkdir(parents=True, exist_ok=True)
    last_path, best_path = out_dir / "checkpoint_last.pt", out_dir / "checkpoint_best.pt"
    history: list[dict[str, Any]] = []
    best_score = -1.0
    columns = [TextColumn("[bold]train[/] epoch {task.fields[epoch]}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("loss {task.fields[loss]:.3f} acc {task.fields[acc]:.3f} {task.fields[extra]}"),
               TimeElapsedColumn()]
    with Progress(*columns, disable=not progress, transient=False) as bar:
        task = bar.add_task("train", total=cfg.epochs * len(loader), epoch=0, loss=0.0, acc=0.0, extra="")
        for epoch in range(cfg.epochs):
            beta = betas(epoch) if betas is not None else 0.0
            model.train()
            seen = correct = 0
            loss_sum = 0.0
            ebops_value = float("nan")
            for x, y in loader:
                x = x.to(device=device, dtype=torch.float32)
                if cfg.augment == "shift":
                    x = random_shift(x, augment_gen)
                y = y.to(device)
                logits = model(x)
                loss = nn.functional.cross_entropy(logits, y, label_smoothing=cfg.label_smoothing)
                if beta > 0:
                    total = _model_ebops(model, example)
                    if total is not None:
                        loss = loss + beta * total
                        ebops_value = float(total.detach())
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                scheduler.step()
                seen += len(y)
                correct += int((logits.argmax(1) == y).sum())
                loss_sum += float(loss.detach()) * len(y)
                extra = f"EBOPs {ebops_value:.3g} beta {beta:.2g}" if beta > 0 else ""
                bar.update(task, advance=1, epoch=epoch + 1, loss=loss_sum / seen, acc=correct / seen, extra=extra)
            if isinstance(betas, EBOPsController) and math.isfinite(ebops_value):
                betas.update(ebops_value)
            row: dict[str, Any] = {
                "epoch": epoch + 1, "lr": optimizer.param_groups[0]["lr"], "beta": beta,
                "train_loss": loss_sum / max(1, seen), "train_accuracy": correct / max(1, seen),
                "ebops": ebops_value, "test_accuracy": float("nan"), "val_accuracy": float("nan"),
            }
            last_epoch = epoch + 1 == cfg.epochs
            if last_epoch or (epoch + 1) % cfg.eval_every == 0:
                row["test_accuracy"] = evaluate(model, test).accuracy
                if val is not None:
                    row["val_accuracy"] = evaluate(model, val).accuracy
            row["seconds"] = round(time.monotonic() - start, 3)
            history.append(row)
            _write_metrics(out_dir, history)
            save_checkpoint(last_path, model, model_spec, row)
            if val is None:  # the last epoch is the best one
                copy_checkpoint(last_path, best_path)
            elif math.isfinite(row["val_accuracy"]) and row["val_accuracy"] > best_score:
                best_score = row["val_accuracy"]
                save_checkpoint(best_path, model, model_spec, row)
    return TrainResult(history, last_path, best_path, history[-1]["test_accuracy"], time.monotonic() - start)
