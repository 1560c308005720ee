"""``QConv2d``: a 2-D convolution with fixed-point input, weight, bias and output (IR ``conv2d``)."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from codesign.nn.weighted import WeightedLayer
from codesign.quant.config import LayerQuant


def pair(value: int | tuple[int, int]) -> tuple[int, int]:
    """``3`` -> ``(3, 3)``; a pair stays a pair."""
    if isinstance(value, int):
        return value, value
    a, b = value
    return int(a), int(b)


def conv_out_size(size: int, kernel: int, stride: int, padding: int) -> int:
    """Output length of a convolution along one axis (no dilation)."""
    return (size + 2 * padding - kernel) // stride + 1


class QConv2d(WeightedLayer):
    """``y = cast(conv2d(x, W) + b)`` with zero padding; x ``[N, Cin, H, W]`` -> ``[N, Cout, H', W']``.

    Args:
        in_channels, out_channels: channel counts (divisible by ``groups``).
        kernel_size, stride, padding: as ``torch.nn.Conv2d`` (zero padding, no dilation).
        groups: grouped / depthwise convolution.
        bias: add a quantized bias.
        quant: specs per place (``LayerQuant.defaults()`` when None).
        quantize_input: quantize the input with ``quant.input``.
    """

    ir_op = "conv2d"

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] = 1,
        padding: int | tuple[int, int] = 0,
        groups: int = 1,
        bias: bool = True,
        quant: LayerQuant | None = None,
        quantize_input: bool = False,
    ) -> None:
        if in_channels % groups or out_channels % groups:
            raise ValueError(f"channels {in_channels}->{out_channels} not divisible by groups={groups}")
        self.in_channels = in_channels
        self.kernel_size = pair(kernel_size)
        self.stride = pair(stride)
        self.padding = pair(padding)
        self.groups = groups
        shape = (out_channels, in_channels // groups, *self.kernel_size)
        super().__init__(shape, out_channels, bias, quant, quantize_input)

    def _accumulate(self, x: torch.Tensor, w: torch.Tensor, b: torch.Tensor | None) -> torch.Tensor:
        return F.conv2d(x, w, b, self.stride, self.padding, 1, self.groups)

    def _ir_attrs_and_shape(self, in_shape: list[int]) -> tuple[dict[str, Any], list[int]]:
        if len(in_shape) != 3 or in_shape[0] != self.in_channels:
            raise ValueError(f"QConv2d expects input shape [{self.in_channels}, H, W], got {in_shape}")
        h, w = (conv_out_size(in_shape[1 + a], self.kernel_size[a], self.stride[a], self.padding[a]) for a in (0, 1))
        attrs = {
            "kernel": list(self.kernel_size),
            "stride": list(self.stride),
            "padding": list(self.padding),
            "groups": self.groups,
        }
        return attrs, [self.out_channels, h, w]

    def extra_repr(self) -> str:
        return (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}, padding={self.padding}, groups={self.groups}, bias={self.bias is not None}"
        )
