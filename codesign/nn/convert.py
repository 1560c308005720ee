"""Model conversion: float torch model -> quantized ``codesign.nn`` model, PTQ, BN folding.

``quantize_model`` swaps, recursively and on a deep copy:

=====================================  ===========================================
torch                                  codesign.nn
=====================================  ===========================================
``nn.Linear``                          ``QLinear``
``nn.Conv2d`` (zero padding, no dil.)  ``QConv2d``
``nn.BatchNorm1d`` / ``BatchNorm2d``   ``QBatchNorm1d`` / ``QBatchNorm2d``
``nn.ReLU`` / ``nn.Hardtanh``          ``QAct('relu')`` / ``QAct('hardtanh')``
``nn.AvgPool2d`` (stride = kernel)     ``QAvgPool2d``
``nn.AdaptiveAvgPool2d(1)``            ``QGlobalAvgPool2d(keepdim=True)``
``nn.Flatten`` (start_dim 1)           ``QFlatten``
=====================================  ===========================================

Weights, biases and BatchNorm state are copied. The first ``QLinear``/``QConv2d`` in
module order quantizes its input (that quantizer fixes the graph input type); later
layers take the previous layer's quantized output. Functional operations in a model's
``forward`` (e.g. ``x + identity``) are not seen: use ``QAdd`` there.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

import torch
from torch import nn

from codesign.nn.act import QAct
from codesign.nn.batchnorm import QBatchNorm1d, QBatchNorm2d, _QBatchNorm
from codesign.nn.conv import QConv2d
from codesign.nn.flatten import QFlatten
from codesign.nn.linear import QLinear
from codesign.nn.pool import QAvgPool2d, QGlobalAvgPool2d
from codesign.nn.weighted import WeightedLayer
from codesign.quant.config import LayerQuant, Scheme


def _convert_conv(m: nn.Conv2d, quant: LayerQuant, first: bool) -> QConv2d:
    if m.dilation != (1, 1) or m.padding_mode != "zeros" or isinstance(m.padding, str):
        raise ValueError(
            f"quantize_model: {m} needs dilation 1, zero padding and numeric padding to be quantized"
        )
    return QConv2d(
        m.in_channels, m.out_channels, m.kernel_size, m.stride, m.padding, m.groups,  # type: ignore[arg-type]
        bias=m.bias is not None, quant=quant, quantize_input=first,
    )


def _copy_weights(src: nn.Module, dst: WeightedLayer) -> None:
    with torch.no_grad():
        dst.weight.copy_(src.weight)
        if dst.bias is not None:
            dst.bias.copy_(src.bias)  # type: ignore[arg-type]


def _convert_bn(m: nn.modules.batchnorm._BatchNorm, quant: LayerQuant) -> _QBatchNorm:
    if m.momentum is None or not m.track_running_stats:
        raise ValueError(f"quantize_model: {m} needs a momentum and running statistics")
    cls = QBatchNorm2d if isinstance(m, nn.BatchNorm2d) else QBatchNorm1d
    q = cls(m.num_features, m.eps, m.momentum, quant=quant)
    with torch.no_grad():
        if m.affine:
            q.weight.copy_(m.weight)
            q.bias.copy_(m.bias)
        q.running_mean.copy_(m.running_mean)  # type: ignore[arg-type]
        q.running_var.copy_(m.running_var)  # type: ignore[arg-type]
        q.num_batches_tracked.copy_(m.num_batches_tracked)  # type: ignore[arg-type]
    return q


def _convert_pool(m: nn.AvgPool2d, quant: LayerQuant) -> QAvgPool2d:
    kernel = m.kernel_size
    stride = m.stride if m.stride is not None else kernel
    if stride != kernel or m.padding not in (0, (0, 0)) or m.ceil_mode:
        raise ValueError(f"quantize_model: {m} needs stride = kernel, no padding and no ceil_mode")
    return QAvgPool2d(kernel, quant)  # type: ignore[arg-type]


def _convert_leaf(m: nn.Module, quant: LayerQuant, first: bool) -> nn.Module | None:
    """The quantized replacement of a supported module, or None."""
    if isinstance(m, nn.Linear):
        q: nn.Module = QLinear(m.in_features, m.out_features, m.bias is not None, quant, quantize_input=first)
        _copy_weights(m, q)  # type: ignore[arg-type]
        return q
    if isinstance(m, nn.Conv2d):
        q = _convert_conv(m, quant, first)
        _copy_weights(m, q)  # type: ignore[arg-type]
        return q
    if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
        return _convert_bn(m, quant)
    if isinstance(m, nn.ReLU):
        return QAct("relu", quant)
    if isinstance(m, nn.Hardtanh):
        return QAct("hardtanh", quant, min_val=m.min_val, max_val=m.max_val)
    if isinstance(m, nn.AvgPool2d):
        return _convert_pool(m, quant)
    if isinstance(m, nn.AdaptiveAvgPool2d) and m.output_size in (1, (1, 1)):
        return QGlobalAvgPool2d(quant, keepdim=True)
    if isinstance(m, nn.Flatten):
        if m.start_dim != 1 or m.end_dim != -1:
            raise ValueError(f"quantize_model: {m} must flatten every axis after the batch axis")
        return QFlatten()
    return None


def quantize_model(
    model: nn.Module,
    scheme: Scheme = "qfx",
    width: int = 8,
    k: int = 2,
    *,
    quant: LayerQuant | None = None,
    quantize_input: bool = True,
) -> nn.Module:
    """A quantized deep copy of ``model`` (see the module docstring for the swaps).

    Args:
        model: a float torch model (left unchanged).
        scheme, width, k: build ``LayerQuant.defaults(scheme, width, k)`` for every layer.
        quant: use this ``LayerQuant`` instead of the defaults.
        quantize_input: give the first dense/conv layer an input quantizer.

    Returns:
        The converted model, in the train/eval mode of ``model``.
    """
    quant = LayerQuant.defaults(scheme, width, k) if quant is None else quant
    no_input = replace(quant, input=None)
    out = copy.deepcopy(model)
    pending_first = [quantize_input]

    def convert(parent: nn.Module) -> None:
        for name, child in list(parent.named_children()):
            first = pending_first[0] and isinstance(child, (nn.Linear, nn.Conv2d))
            q = _convert_leaf(child, quant if first else no_input, first)
            if q is None:
                convert(child)
                continue
            if first:
                pending_first[0] = False
            q.train(child.training)
            setattr(parent, name, q)

    convert(out)
    return out


def ptq(
    float_model: nn.Module,
    spec: LayerQuant | Scheme,
    batches: Iterable[Any],
    *,
    width: int = 8,
    k: int = 2,
    margin: float = 1.0,
) -> nn.Module:
    """Post-training quantization: ``quantize_model`` + weight copy + ``calibrate``.

    Args:
        float_model: trained float model (unchanged).
        spec: a ``LayerQuant`` for every layer, or a scheme name for its defaults.
        batches: calibration inputs (``model(batch)``, or ``model(*batch)`` for tuples).
        width, k: defaults' width and K when ``spec`` is a scheme name.
        margin: range margin of the calibration (``max|x| * margin`` is covered).

    Returns:
        The calibrated quantized model, in eval mode.
    """
    from codesign.quant.ptq import calibrate

    if isinstance(spec, LayerQuant):
        model = quantize_model(float_model, quant=spec)
    else:
        model = quantize_model(float_model, spec, width, k)
    calibrate(model, batches, margin)
    return model.eval()


def fold_batchnorm(layer: WeightedLayer, bn: _QBatchNorm) -> WeightedLayer:
    """A copy of ``layer`` with ``bn`` folded in (optional; not done by default).

    The float weight becomes ``W * gamma/sqrt(var+eps)`` per output channel and the bias
    ``(b - mean) * gamma/sqrt(var+eps) + beta`` (running statistics); the copy takes
    ``bn``'s output quantizer, so the pair becomes one IR node. Weight and bias are
    re-quantized by the layer's own quantizers: the result approximates, not equals,
    the unfolded pair.

    Raises:
        ValueError: channel counts differ, or the layer has no bias.
    """
    if bn.num_features != layer.out_channels:
        raise ValueError(f"cannot fold {bn.num_features}-channel BatchNorm into {layer.out_channels} channels")
    if layer.bias is None:
        raise ValueError("fold_batchnorm: the layer needs a bias (and a bias quantizer) to fold into")
    folded = copy.deepcopy(layer)
    with torch.no_grad():
        scale = bn.weight.double() / torch.sqrt(bn.running_var.double() + bn.eps)
        view = (-1,) + (1,) * (layer.weight.dim() - 1)
        folded.weight.copy_((layer.weight.double() * scale.view(view)).float())
        new_bias = (layer.bias.double() - bn.running_mean.double()) * scale + bn.bias.double()
        folded.bias.copy_(new_bias.float())  # type: ignore[union-attr]
    if "output" in bn.quant:
        folded.quant["output"] = copy.deepcopy(bn.quant["output"])
    return folded
