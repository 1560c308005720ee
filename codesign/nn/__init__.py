"""Quantized layers (train in float32 with straight-through gradients, eval bit-exact in
float64) and model-level helpers: conversion, PTQ, fixed types, summary, EBOPs.

Every layer is a ``QModule`` with ``ir_node(name, inputs, in_types, in_shapes) -> IRNode``
(the contract is in ``codesign.nn.ir``); ``export`` walks a model and writes the IR,
``compare_with_ir`` checks it bit for bit against the eval emulation.
"""

from codesign.nn.act import QAct
from codesign.nn.add import QAdd
from codesign.nn.base import QModule
from codesign.nn.batchnorm import QBatchNorm1d, QBatchNorm2d
from codesign.nn.binary import BinaryConv2d, BinaryLinear
from codesign.nn.conv import QConv2d
from codesign.nn.convert import fold_batchnorm, ptq, quantize_model
from codesign.nn.ebops import EBOPs, ebops
from codesign.nn.export import Comparison, ExportError, ExportResult, compare_with_ir, export, raw_inputs
from codesign.nn.flatten import QFlatten
from codesign.nn.ir import IRNode
from codesign.nn.linear import QLinear
from codesign.nn.pool import QAvgPool2d, QGlobalAvgPool2d
from codesign.nn.prelu import QPReLU
from codesign.nn.report import fixed_types, summary
from codesign.nn.thermometer import ThermometerEncoder

__all__ = [
    "BinaryConv2d",
    "BinaryLinear",
    "Comparison",
    "EBOPs",
    "ExportError",
    "ExportResult",
    "IRNode",
    "QAct",
    "QAdd",
    "QAvgPool2d",
    "QBatchNorm1d",
    "QBatchNorm2d",
    "QConv2d",
    "QFlatten",
    "QGlobalAvgPool2d",
    "QLinear",
    "QModule",
    "QPReLU",
    "ThermometerEncoder",
    "compare_with_ir",
    "ebops",
    "export",
    "fixed_types",
    "fold_batchnorm",
    "ptq",
    "quantize_model",
    "raw_inputs",
    "summary",
]
