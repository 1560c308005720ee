"""Checkpoints that rebuild their model without code: the model spec travels with the weights."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import torch
from torch import nn


class CheckpointError(ValueError):
    """A checkpoint file is missing, unreadable or not a codesign checkpoint."""


CHECKPOINT_VERSION = 1


def save_checkpoint(path: Path, model: nn.Module, model_spec: dict[str, Any],
                    metrics: dict[str, Any] | None = None) -> None:
    """Write ``{version, model_spec, state_dict, metrics}`` to ``path`` atomically.

    Args:
        model_spec: plain data that ``codesign.models.build_model(**model_spec)`` turns
            back into the same architecture (name and options).
    """
    payload = {
        "codesign_checkpoint": CHECKPOINT_VERSION,
        "model_spec": model_spec,
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "metrics": metrics or {},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    torch.save(payload, tmp)
    os.replace(tmp, path)


def copy_checkpoint(source: Path, path: Path) -> None:
    """Copy the checkpoint file ``source`` to ``path`` atomically (a temp file, then a rename):
    cheaper than serialising the same model twice."""
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    shutil.copyfile(source, tmp)
    os.replace(tmp, path)


def read_checkpoint(path: Path) -> dict[str, Any]:
    """The raw checkpoint payload, validated.

    Raises:
        CheckpointError: naming the file and the problem.
    """
    if not Path(path).is_file():
        raise CheckpointError(f"{path}: checkpoint not found (train first: `codesign train` or the flow's train stage)")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for a corrupt file
        raise CheckpointError(f"{path}: not a readable checkpoint ({exc.__class__.__name__}: {exc})") from exc
    if not isinstance(payload, dict) or payload.get("codesign_checkpoint") != CHECKPOINT_VERSION:
        raise CheckpointError(f"{path}: not a codesign checkpoint of version {CHECKPOINT_VERSION}")
    for key in ("model_spec", "state_dict", "metrics"):
        if key not in payload:
            raise CheckpointError(f"{path}: checkpoint lacks {key!r}")
    return payload


def load_checkpoint(path: Path) -> nn.Module:
    """Rebuild the model a checkpoint holds (architecture from its spec, then its weights), in eval mode."""
    from codesign.models import build_model

    payload = read_checkpoint(path)
    model = build_model(**payload["model_spec"])
    try:
        model.load_state_dict(payload["state_dict"])
    except RuntimeError as exc:
        raise CheckpointError(f"{path}: weights do not fit the model spec {payload['model_spec']}: {exc}") from exc
    return model.eval()
