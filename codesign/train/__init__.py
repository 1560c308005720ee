"""Training: configuration, the loop, evaluation, checkpoints."""

from codesign.train.checkpoint import CheckpointError, load_checkpoint, read_checkpoint, save_checkpoint
from codesign.train.config import TrainConfig
from codesign.train.evaluate import Evaluation, evaluate, predict_logits
from codesign.train.loop import TrainResult, fit, resolve_device

__all__ = [
    "CheckpointError",
    "Evaluation",
    "TrainConfig",
    "TrainResult",
    "evaluate",
    "fit",
    "load_checkpoint",
    "predict_logits",
    "read_checkpoint",
    "resolve_device",
    "save_checkpoint",
]
