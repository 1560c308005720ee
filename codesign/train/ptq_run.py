"""Post-training quantization of a trained zoo model to a narrower word length."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from codesign.models import build_model
from codesign.quant.ptq import calibrate

FLOAT_REFERENCE_WIDTH = 20
"""Word length of the 'float' reference: every tensor in 20-bit QFX, calibrated; within
about 1e-5 relative of float32 training, and still exactly emulated and exportable."""


def post_training_quantize(model: nn.Module, width: int, calibration_x: np.ndarray, *,
                           margin: float = 1.0, batch_size: int = 256) -> nn.Module:
    """The same zoo architecture at ``width`` bits with ``model``'s weights and BatchNorm
    statistics, every binary point set by calibration on ``calibration_x`` (dataset
    values ``[N, ...]``) in eval mode; no retraining.

    Args:
        model: a trained zoo model (``model_spec`` attribute).
        width: the target word length of every quantized tensor.
        margin: calibration headroom on the observed max |x|.
    """
    spec = dict(model.model_spec)
    spec["width"] = width
    quantized = build_model(**spec)
    quantized.load_state_dict(model.state_dict())
    batches = [torch.as_tensor(calibration_x[i:i + batch_size], dtype=torch.float32)
               for i in range(0, len(calibration_x), batch_size)]
    calibrate(quantized, batches, margin)
    return quantized.eval()
