"""Accuracy of a model on a data split, in eval mode.

A plain torch model gives its float accuracy; a model of ``codesign.nn`` layers computes
bit-exact fixed point in eval mode (float64), so the same call gives the fixed-point
accuracy that the IR, the generated C++ and the board reproduce.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from codesign.data import DataSplit


@dataclass(frozen=True)
class Evaluation:
    """Accuracy (fraction correct, 0..1), mean cross-entropy loss and sample count."""

    accuracy: float
    loss: float
    samples: int


def predict_logits(model: nn.Module, x: np.ndarray, *, batch_size: int = 512) -> torch.Tensor:
    """Eval-mode logits of ``model`` for dataset values ``x`` (``[N, ...]``).

    Returns:
        float64 logits ``[N, classes]`` on the CPU. The model's train flag is restored.
    """
    was_training = model.training
    model.eval()
    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    outs = []
    try:
        with torch.no_grad():
            for start in range(0, len(x), batch_size):
                batch = torch.as_tensor(x[start:start + batch_size]).to(device=device, dtype=torch.float32)
                outs.append(model(batch).double().cpu())
    finally:
        model.train(was_training)
    return torch.cat(outs) if outs else torch.zeros(0, 0, dtype=torch.float64)


def evaluate(model: nn.Module, split: DataSplit, *, batch_size: int = 512) -> Evaluation:
    """Eval-mode accuracy and cross-entropy of ``model`` on ``split``."""
    if len(split) == 0:
        return Evaluation(0.0, 0.0, 0)
    logits = predict_logits(model, split.x, batch_size=batch_size)
    labels = torch.as_tensor(split.y)
    loss = float(nn.functional.cross_entropy(logits, labels))
    accuracy = float((logits.argmax(dim=1) == labels).double().mean())
    return Evaluation(accuracy, loss, len(labels))
