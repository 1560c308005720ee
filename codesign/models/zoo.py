"""The model zoo: builders configured by plain data.

Every builder takes keyword options (plain ints, floats and strings) and returns a model of
``codesign.nn`` layers whose ``model_spec`` attribute is the exact call
``build_model(**model_spec)`` that rebuilds it, so checkpoints rebuild models without code.

Models take dataset values: uint8 images as floats 0..255 (``[N, C, H, W]``) or
standardised features (``[N, F]``). ``input_spec`` tells the exporter the graph input:
for images, the pixel bytes as ``ap_ufixed<8,0>`` (the model multiplies by 2**-8, which
is exact, so raw = pixel) or ``ap_uint<8>`` for the thermometer-encoded BNN; for
features, the first layer's input quantizer fixes the type.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from codesign.nn import (
    BinaryConv2d,
    QAct,
    QAdd,
    QAvgPool2d,
    QBatchNorm2d,
    QConv2d,
    QFlatten,
    QGlobalAvgPool2d,
    QLinear,
    QPReLU,
    ThermometerEncoder,
)
from codesign.quant import LayerQuant, QuantSpec


@dataclass(frozen=True)
class InputSpec:
    """How dataset values become the graph input.

    Attributes:
        type: C++ spelling of the graph input type, or None when the first layer's input
            quantizer decides it.
        shift: the model multiplies its input by 2**-shift first (exact), so the raw
            integer of ``type`` is the dataset value itself.
    """

    type: str | None
    shift: int = 0


def layer_quant(scheme: str, width: int, k: int) -> LayerQuant:
    """The zoo's quantization per scheme. ``ptq`` and ``frozen`` train like ``qfx`` (the
    difference is in how their binary points are set, not in the layer structure)."""
    base = "qfx" if scheme in ("ptq", "frozen", "float") else scheme
    return LayerQuant.defaults(base, width=width, k=k)  # type: ignore[arg-type]


class Sequential(nn.Sequential):
    """``nn.Sequential`` with the zoo's input scaling and spec attributes."""

    def __init__(self, *layers: nn.Module, input_spec: InputSpec, model_spec: dict[str, Any]) -> None:
        super().__init__(*layers)
        self.input_spec = input_spec
        self.model_spec = model_spec

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        if self.input_spec.shift:
            x = x * 2.0**-self.input_spec.shift
        return super().forward(x)


# ------------------------------------------------------------------------ jet MLP
def jet_mlp(*, scheme: str = "qfx", width: int = 8, k: int = 2, in_features: int = 16,
            hidden: tuple[int, ...] | list[int] = (64, 32, 32), num_classes: int = 5) -> Sequential:
    """The hls4ml jet-tagging MLP 16-64-32-32-5 with ReLU, every tensor quantized."""
    quant = layer_quant(scheme, width, k)
    sizes = [in_features, *hidden]
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes, sizes[1:])):
        layers += [QLinear(a, b, quant=quant, quantize_input=i == 0), QAct("relu", quant)]
    layers.append(QLinear(sizes[-1], num_classes, quant=quant))
    spec = {"name": "jet_mlp", "scheme": scheme, "width": width, "k": k, "in_features": in_features,
            "hidden": list(hidden), "num_classes": num_classes}
    return Sequential(*layers, input_spec=InputSpec(None), model_spec=spec)


# ------------------------------------------------------------------ residual CNNs
class ConvBN(nn.Sequential):
    """conv3x3 (or 1x1) -> fixed-point BatchNorm, optionally followed by ReLU."""

    def __init__(self, cin: int, cout: int, quant: LayerQuant, *, kernel: int = 3, stride: int = 1,
                 relu: bool = True, quantize_input: bool = False) -> None:
        layers: list[nn.Module] = [
            QConv2d(cin, cout, kernel, stride=stride, padding=kernel // 2, bias=False, quant=quant,
                    quantize_input=quantize_input),
            QBatchNorm2d(cout, quant=quant),
        ]
        if relu:
            layers.append(QAct("relu", quant))
        super().__init__(*layers)


class BasicBlock(nn.Module):
    """ResNet basic block: two ConvBN, a fixed-point residual add, ReLU.

    The shortcut is the identity, or a strided 1x1 ConvBN when the shape changes.
    """

    def __init__(self, cin: int, cout: int, stride: int, quant: LayerQuant) -> None:
        super().__init__()
        self.body = nn.Sequential(ConvBN(cin, cout, quant, stride=stride),
                                  ConvBN(cout, cout, quant, relu=False))
        self.shortcut = (ConvBN(cin, cout, quant, kernel=1, stride=stride, relu=False)
                         if stride != 1 or cin != cout else nn.Identity())
        self.add = QAdd(quant)
        self.act = QAct("relu", quant)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.add(self.body(x), self.shortcut(x)))


def digits_cnn(*, scheme: str = "qfx", width: int = 8, k: int = 2, channels: int = 24,
               num_classes: int = 10, in_channels: int = 1) -> Sequential:
    """A small residual CNN for 8x8 digits; input, weights, biases, conv outputs, BatchNorm
    scale and bias, the residual add, pooling and logits are all fixed point."""
    quant = layer_quant(scheme, width, k)
    c = channels
    spec = {"name": "digits_cnn", "scheme": scheme, "width": width, "k": k, "channels": channels,
            "num_classes": num_classes, "in_channels": in_channels}
    return Sequential(
        ConvBN(in_channels, c, quant, quantize_input=True),
        BasicBlock(c, c, 1, quant),
        QAvgPool2d(2, quant=quant),
        ConvBN(c, 2 * c, quant),
        QGlobalAvgPool2d(quant=quant),
        QLinear(2 * c, num_classes, quant=quant),
        input_spec=InputSpec("ap_ufixed<8,0>", shift=8),
        model_spec=spec,
    )


def resnet20(*, scheme: str = "qfx", width: int = 8, k: int = 2, num_classes: int = 10,
             in_channels: int = 3, blocks_per_stage: int = 3, base_channels: int = 16) -> Sequential:
    """ResNet-20 for 32x32 images (3 stages of ``blocks_per_stage`` basic blocks, 16-32-64
    channels); ``blocks_per_stage=1`` gives the 'short' ResNet-8 used in quick tests."""
    quant = layer_quant(scheme, width, k)
    layers: list[nn.Module] = [ConvBN(in_channels, base_channels, quant, quantize_input=True)]
    cin = base_channels
    for stage, cout in enumerate((base_channels, 2 * base_channels, 4 * base_channels)):
        for block in range(blocks_per_stage):
            stride = 2 if stage > 0 and block == 0 else 1
            layers.append(BasicBlock(cin, cout, stride, quant))
            cin = cout
    layers += [QGlobalAvgPool2d(quant=quant), QLinear(cin, num_classes, quant=quant)]
    spec = {"name": "resnet20", "scheme": scheme, "width": width, "k": k, "num_classes": num_classes,
            "in_channels": in_channels, "blocks_per_stage": blocks_per_stage, "base_channels": base_channels}
    return Sequential(*layers, input_spec=InputSpec("ap_ufixed<8,0>", shift=8), model_spec=spec)


# ---------------------------------------------------------------------- BNN
def bnn_quant(width: int, k: int | None) -> LayerQuant:
    """BNN quantization: QFX activations and residuals; BatchNorm scales, PReLU slopes and the
    classifier weights K-hot with ``k`` digits (``k=None``: plain fixed point, the FracBNN
    baseline with general multipliers)."""
    act = QuantSpec(scheme="qfx", width=width, int_bits=3)
    constant = (QuantSpec(scheme="khot", width=width, int_bits=2, k=k) if k is not None
                else QuantSpec(scheme="qfx", width=width, int_bits=2))
    bias = QuantSpec(scheme="qfx", width=width + 4, int_bits=4)
    return LayerQuant(input=act, weight=constant, bias=bias, output=act, bn_scale=constant, bn_bias=bias,
                      residual=act.but(width=width + 2, int_bits=4))


def binary_shift(fan_in: int) -> int:
    """The free power-of-two scaling of a binary conv's count so that its spread (about
    sqrt(fan_in)) lands near 1 and the following BatchNorm scales use their grid."""
    return -round(math.log2(math.sqrt(fan_in)))


class BinaryBlock(nn.Module):
    """FracBNN/ReActNet-style block:
    x -> K-hot BatchNorm -> sign -> binary conv3x3 -> K-hot BatchNorm -> + x -> PReLU.

    The residual path stays in fixed point; only the conv's input is binarised. The
    BatchNorm before the sign gives every channel a learned threshold (ReActNet's RSign):
    sign(s*x + b) = sign(x + b/s) for s > 0; in hardware a per-channel shift-add compare.
    """

    def __init__(self, channels: int, quant: LayerQuant) -> None:
        super().__init__()
        fan_in = channels * 9
        self.threshold = QBatchNorm2d(channels, quant=quant)
        self.sign = QAct("sign", quant)
        self.conv = BinaryConv2d(channels, channels, 3, padding=1, shift=binary_shift(fan_in))
        self.bn = QBatchNorm2d(channels, quant=quant)
        self.add = QAdd(quant)
        self.act = QPReLU(channels, quant)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.add(self.bn(self.conv(self.sign(self.threshold(x)))), x))


def bnn(*, size: str = "tiny", width: int = 8, k: int | None = 2, levels: int = 8, channels: int | None = None,
        blocks: int | None = None, num_classes: int = 10, in_channels: int | None = None,
        scheme: str = "khot", head: str = "global", head_pool: int = 2,
        input_size: int | None = None) -> Sequential:
    """FracBNN-style binarized network.

    thermometer (``levels`` planes per channel) -> binary conv -> BatchNorm -> PReLU ->
    binary blocks with average-pool downsampling between stages -> head -> K-hot classifier.

    Args:
        size: ``tiny`` (8x8 digits: 2 stages, 32 channels) or ``cifar`` (32x32x3: 3 stages,
            64-128-256 channels with a binary 1x1 transition between stages).
        width: word length of the fixed-point tensors.
        k: K-hot digits of BatchNorm scales, PReLU slopes and classifier weights; None gives
            the plain fixed-point baseline.
        blocks: binary blocks per stage (default 1 for tiny, 2 for cifar).
        scheme: recorded for reports (``khot`` or ``fixed`` baseline); the quantization is
            decided by ``k``.
        head: ``global`` averages each channel of the last stage over the whole map;
            ``flatten`` average-pools it by ``head_pool`` and flattens, so the classifier
            sees where features are (on 8x8 digits: 2x2 positions x channels, 0.4 points
            over ``global`` in results/bnn_tiny_recipe.md). The flattened
            classifier's learning rate is divided by its extra fan-in (positions), which
            keeps Adam's first steps from saturating the logits.
        head_pool: pooling window of the ``flatten`` head (1: no pooling); it must divide
            the last stage's side.
        input_size: side of the square input images (default 8 for tiny, 32 for cifar); the
            ``flatten`` head's classifier size depends on it.
    """
    if size not in ("tiny", "cifar"):
        raise ValueError(f"unknown bnn size {size!r}; allowed: tiny, cifar")
    if head not in ("global", "flatten"):
        raise ValueError(f"unknown bnn head {head!r}; allowed: global, flatten")
    quant = bnn_quant(width, k)
    cin = in_channels if in_channels is not None else (1 if size == "tiny" else 3)
    widths = [channels or 32] * 2 if size == "tiny" else [channels or 64, 2 * (channels or 64), 4 * (channels or 64)]
    blocks = blocks if blocks is not None else (1 if size == "tiny" else 2)
    planes = cin * levels
    stem_fan_in = planes * 9
    layers: list[nn.Module] = [
        ThermometerEncoder(cin, levels=levels),
        BinaryConv2d(planes, widths[0], 3, padding=1, shift=binary_shift(stem_fan_in)),
        QBatchNorm2d(widths[0], quant=quant),
        QPReLU(widths[0], quant),
    ]
    current = widths[0]
    for stage, width_c in enumerate(widths):
        if stage > 0:
            layers.append(QAvgPool2d(2, quant=quant))
            if width_c != current:
                layers += [QAct("sign", quant),
                           BinaryConv2d(current, width_c, 1, shift=binary_shift(current)),
                           QBatchNorm2d(width_c, quant=quant), QPReLU(width_c, quant)]
                current = width_c
        layers += [BinaryBlock(current, quant) for _ in range(blocks)]
    side = input_size if input_size is not None else (8 if size == "tiny" else 32)
    if side < 1:
        raise ValueError(f"bnn input_size must be >= 1, got {side}")
    layers += _bnn_head(head, head_pool, current, side >> (len(widths) - 1), num_classes, quant)
    spec = {"name": "bnn", "size": size, "width": width, "k": k, "levels": levels, "channels": channels,
            "blocks": blocks, "num_classes": num_classes, "in_channels": in_channels, "scheme": scheme,
            "head": head, "head_pool": head_pool, "input_size": input_size}
    return Sequential(*layers, input_spec=InputSpec("ap_uint<8>"), model_spec=spec)


def _bnn_head(head: str, pool: int, channels: int, side: int, num_classes: int,
              quant: LayerQuant) -> list[nn.Module]:
    """The BNN's pooling and K-hot classifier over a ``[N, channels, side, side]`` map."""
    if head == "global":
        return [QGlobalAvgPool2d(quant=quant), QLinear(channels, num_classes, quant=quant)]
    if pool < 1 or side % pool:
        raise ValueError(f"bnn head_pool must be >= 1 and divide the last stage's side {side}, got {pool}")
    positions = (side // pool) ** 2
    pooling: list[nn.Module] = [QAvgPool2d(pool, quant=quant)] if pool > 1 else []
    return pooling + [QFlatten(), QLinear(channels * positions, num_classes, quant=quant, lr_scale=1 / positions)]


MODELS = {"jet_mlp": jet_mlp, "digits_cnn": digits_cnn, "resnet20": resnet20, "bnn": bnn}
"""Model name -> builder (explicit registry)."""


def build_model(name: str, **options: Any) -> Sequential:
    """Build a zoo model by name; unknown names or options raise ValueError listing what is allowed."""
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; allowed: {', '.join(MODELS)}")
    builder = MODELS[name]
    try:
        return builder(**options)
    except TypeError as exc:
        raise ValueError(f"bad options for model {name!r}: {exc}") from exc
