"""Trainable quantizers: QFX (learned binary point), K-hot, HGQ (+ EBOPs), PTQ calibration."""

from codesign.quant.base import FixedQuantizer, Quantizer
from codesign.quant.config import LayerQuant, QuantSpec, make_quantizer
from codesign.quant.ebops import (
    ConstantBeta,
    EBOPsController,
    ExponentialRampBeta,
    LinearRampBeta,
    beta_penalty,
    ebops_conv2d,
    ebops_dense,
)
from codesign.quant.elementwise import quantize_elementwise
from codesign.quant.hgq import HGQQuantizer
from codesign.quant.khot import KHotQuantizer
from codesign.quant.ptq import Calibratable, calibrate, freeze_int_bits
from codesign.quant.qfx import QFXQuantizer

__all__ = [
    "Calibratable",
    "ConstantBeta",
    "EBOPsController",
    "ExponentialRampBeta",
    "FixedQuantizer",
    "HGQQuantizer",
    "KHotQuantizer",
    "LayerQuant",
    "LinearRampBeta",
    "QFXQuantizer",
    "QuantSpec",
    "Quantizer",
    "beta_penalty",
    "calibrate",
    "ebops_conv2d",
    "ebops_dense",
    "freeze_int_bits",
    "make_quantizer",
    "quantize_elementwise",
]
