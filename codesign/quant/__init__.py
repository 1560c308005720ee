"""Trainable quantizers: QFX (learned binary point), K-hot, HGQ (+ EBOPs), PTQ calibration."""

from codesign.quant.base import FixedQuantizer, Quantizer
from codesign.quant.config import LayerQuant, QuantSpec, make_quantizer

__all__ = ["FixedQuantizer", "LayerQuant", "QuantSpec", "Quantizer", "make_quantizer"]
