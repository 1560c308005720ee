"""Training: configuration, the loop, evaluation, checkpoints."""

from codesign.train.checkpoint import CheckpointError, load_checkpoint, read_checkpoint, save_checkpoint
from codesign.train.config import TrainConfig
from codesign.train.evaluate import Evaluation, evaluate, predict_logits
from codesign.train.loop import TrainResult, fit, resolve_device
from codesign.train.ptq_run import FLOAT_REFERENCE_WIDTH, post_training_quantize

__all__ = [
    "FLOAT_REFERENCE_WIDTH",
    "CheckpointError",
    "Evaluation",
    "TrainConfig",
    "TrainResult",
    "evaluate",
    "fit",
    "load_checkpoint",
    "post_training_quantize",
    "predict_logits",
    "read_checkpoint",
    "resolve_device",
    "save_checkpoint",
]
