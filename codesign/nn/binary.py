"""Binarized layers (IR ``binary_conv2d`` and ``binary_dense``).

Inputs are binary (-1/+1, e.g. from ``QAct('sign')`` or ``ThermometerEncoder``); weights
are ``sign(latent weight)`` with sign(0) = +1 and the clipped straight-through gradient
(1 where |w| <= 1). The output is the integer count ``sum a*w = fan_in - 2*popcount(a xor w)``
(bits 1 meaning +1) times ``2**shift``: the IR stores the count as the raw value of
``out_type = ap_fixed<B, B+shift>`` (F = -shift), so the scaling is free. Convolution
padding uses ``pad_value`` (-1 by default, a 0 bit in hardware).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from codesign.fixed import FixedType, type_for_raw_range
from codesign.nn.base import QModule
from codesign.nn.conv import conv_out_size, pair
from codesign.nn.functional import binary_sign, check_binary, sign_ste
from codesign.nn.ir import IRNode, make_ir_node
from codesign.nn.types import BINARY, FLOAT32_EXACT_BITS


class _BinaryLayer(QModule):
    """Shared body: latent weights, sign STE, power-of-two output scale."""

    def __init__(self, weight_shape: tuple[int, ...], shift: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.empty(weight_shape).uniform_(-1.0, 1.0))
        self.shift = int(shift)

    @property
    def fan_in(self) -> int:
        """Products summed into one output value."""
        return int(self.weight[0].numel())

    @property
    def out_fixed_type(self) -> FixedType:
        """``ap_fixed<B, B+shift>``: raw = count in [-fan_in, fan_in], value = count * 2**shift."""
        return type_for_raw_range(-self.fan_in, self.fan_in, -self.shift)

    def binary_weight(self) -> torch.Tensor:
        """The -1/+1 weights (with the clipped STE gradient in train mode)."""
        return sign_ste(self.weight)

    def raw_weight(self) -> torch.Tensor:
        """The weights as int8 -1/+1, as stored in the IR."""
        return binary_sign(self.weight.detach()).to(torch.int8)

    def _prepare(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(input, weight) in the working dtype; eval mode checks the input is binary and
        works in float32, exact for counts below 2**24 (float32 kernels are much faster).
        Train mode folds ``2**shift`` into the weights (+-2**shift: every product and sum
        is the count times a power of two, exact), which saves a pass over the output."""
        if self.training:
            return x, self.binary_weight().to(x.dtype) * 2.0**self.shift
        check_binary(x, type(self).__name__)
        dtype = torch.float32 if self.fan_in < 2**FLOAT32_EXACT_BITS else torch.float64
        return x.to(dtype), binary_sign(self.weight.detach().to(dtype))

    def _scale(self, counts: torch.Tensor) -> torch.Tensor:
        """counts * 2**shift (float64 in eval mode, like every eval-mode tensor); train mode
        has the scale in the weights already (see ``_prepare``)."""
        if self.training:
            return counts
        return counts.to(torch.float64) * 2.0**self.shift

    def _check_binary_input(self, in_types: list[str], name: str) -> None:
        if in_types[0] != BINARY:
            raise ValueError(f"{type(self).__name__} {name}: input must be binary, got {in_types[0]}")


class BinaryLinear(_BinaryLayer):
    """``y = 2**shift * (x @ sign(W).T)`` for binary x ``[N, in_features]`` -> ``[N, out_features]``."""

    ir_op = "binary_dense"

    def __init__(self, in_features: int, out_features: int, shift: int = 0) -> None:
        super().__init__((out_features, in_features), shift)
        self.in_features = in_features
        self.out_features = out_features

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x, w = self._prepare(x)
        return self._scale(F.linear(x, w))

    def ir_node(
        self, name: str, inputs: list[str], in_types: list[str], in_shapes: list[list[int]]
    ) -> IRNode:
        self._check_binary_input(in_types, name)
        if list(in_shapes[0]) != [self.in_features]:
            raise ValueError(f"BinaryLinear {name}: expects input [{self.in_features}], got {in_shapes[0]}")
        params = {"weight": (self.raw_weight().numpy(), BINARY)}
        return make_ir_node(
            self.ir_op, name, inputs, [self.out_features], self.out_fixed_type.cpp, {}, params
        )

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, shift={self.shift}"


class BinaryConv2d(_BinaryLayer):
    """Binary 2-D convolution, x ``[N, Cin, H, W]`` (-1/+1) -> counts * 2**shift ``[N, Cout, H', W']``.

    Args:
        in_channels, out_channels, kernel_size, stride, padding: as ``nn.Conv2d``.
        pad_value: the value padded pixels hold (-1 or +1).
        shift: output scale 2**shift (free: only the output type's binary point moves).
    """

    ir_op = "binary_conv2d"

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] = 1,
        padding: int | tuple[int, int] = 0,
        pad_value: int = -1,
        shift: int = 0,
    ) -> None:
        if pad_value not in (-1, 1):
            raise ValueError(f"pad_value must be -1 or +1, got {pad_value}")
        self.kernel_size = pair(kernel_size)
        super().__init__((out_channels, in_channels, *self.kernel_size), shift)
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.stride = pair(stride)
        self.padding = pair(padding)
        self.pad_value = pad_value

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x, w = self._prepare(x)
        ph, pw = self.padding
        if ph or pw:
            x = F.pad(x, (pw, pw, ph, ph), value=float(self.pad_value))
        return self._scale(F.conv2d(x, w, None, self.stride))

    def ir_node(
        self, name: str, inputs: list[str], in_types: list[str], in_shapes: list[list[int]]
    ) -> IRNode:
        self._check_binary_input(in_types, name)
        c, h, w = in_shapes[0]
        if c != self.in_channels:
            raise ValueError(f"BinaryConv2d {name}: expects {self.in_channels} channels, got {c}")
        out_h, out_w = (
            conv_out_size(s, self.kernel_size[a], self.stride[a], self.padding[a]) for a, s in enumerate((h, w))
        )
        attrs = {
            "kernel": list(self.kernel_size),
            "stride": list(self.stride),
            "padding": list(self.padding),
            "pad_value": self.pad_value,
        }
        params = {"weight": (self.raw_weight().numpy(), BINARY)}
        return make_ir_node(
            self.ir_op, name, inputs, [self.out_channels, out_h, out_w], self.out_fixed_type.cpp, attrs, params
        )

    def extra_repr(self) -> str:
        return (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}, "
            f"padding={self.padding}, pad_value={self.pad_value}, shift={self.shift}"
        )
