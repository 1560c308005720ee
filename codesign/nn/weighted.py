"""``WeightedLayer``: the shared body of ``QLinear`` and ``QConv2d``.

Forward: ``output_q(op(input_q(x), weight_q(W), bias_q(b)))`` where ``op`` is a dense
product or a convolution. In eval mode everything runs in float64 and the accumulator
is proved exact (at most 53 bits) from the values actually present.
"""

from __future__ import annotations

import abc
from typing import Any

import torch
from torch import nn

from codesign.fixed import FixedType
from codesign.nn.base import QModule
from codesign.nn.ir import IRNode, make_ir_node
from codesign.nn.types import (
    check_exact,
    dot_acc_type,
    float32_exact,
    khot_k,
    observed_type,
    quantizer_type,
    to_raw_array,
)
from codesign.quant.config import LayerQuant


class WeightedLayer(QModule):
    """A layer ``y = cast(sum x*w + b)`` with quantized input (optional), weight, bias, output.

    Args:
        weight_shape: shape of the float weight parameter.
        out_channels: output channels / features (per-channel quantizers, bias size).
        bias: whether the layer has a bias.
        quant: specs per place (``weight``, ``bias``, ``output``; ``input`` when
            ``quantize_input``). ``None`` uses ``LayerQuant.defaults()``.
        quantize_input: quantize the input with ``quant.input`` (first layer of a model:
            its input quantizer fixes the graph input type).
    """

    def __init__(
        self,
        weight_shape: tuple[int, ...],
        out_channels: int,
        bias: bool,
        quant: LayerQuant | None,
        quantize_input: bool,
    ) -> None:
        super().__init__()
        quant = LayerQuant.defaults() if quant is None else quant
        self.weight = nn.Parameter(torch.empty(weight_shape))
        self.bias = nn.Parameter(torch.zeros(out_channels)) if bias else None
        self.out_channels = out_channels
        if quantize_input:
            if quant.input is None:
                raise ValueError("quantize_input=True needs a LayerQuant with an input spec")
            self._add_quantizer("input", quant.input, kind="activation", channel_axis=1)
        self._add_quantizer(
            "weight", quant.weight, kind="weight", channels=out_channels, shape=weight_shape
        )
        if bias:
            self._add_quantizer(
                "bias", quant.bias, kind="weight", channels=out_channels, shape=(out_channels,)
            )
        self._add_quantizer("output", quant.output, kind="activation", channels=out_channels, channel_axis=1)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Kaiming-uniform weights and zero bias, as torch's Linear/Conv2d."""
        nn.init.kaiming_uniform_(self.weight, a=5**0.5)
        if self.bias is not None:
            nn.init.zeros_(self.bias)

    @property
    def fan_in(self) -> int:
        """Products summed into one output value."""
        return int(self.weight[0].numel())

    @abc.abstractmethod
    def _accumulate(self, x: torch.Tensor, w: torch.Tensor, b: torch.Tensor | None) -> torch.Tensor:
        """The exact sum of products plus bias (dense product or convolution)."""

    def quantized_weight(self, dtype: torch.dtype = torch.float64) -> torch.Tensor:
        """The weight as the layer uses it (quantized when a weight quantizer exists)."""
        return self._q("weight", self.weight.to(dtype))

    def quantized_bias(self, dtype: torch.dtype = torch.float64) -> torch.Tensor | None:
        """The bias as the layer uses it, or None."""
        return None if self.bias is None else self._q("bias", self.bias.to(dtype))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: ``[N, in]`` or ``[N, Cin, H, W]``; returns the quantized output (float64 in eval)."""
        dtype = x.dtype if self.training else torch.float64
        x = self._q("input", x.to(dtype))
        w = self.quantized_weight(dtype)
        b = self.quantized_bias(dtype)
        if self._checks_exactness():
            x_t, w_t, b_t = observed_type(x), observed_type(w), None if b is None else observed_type(b)
            acc_t = dot_acc_type(x_t, w_t, self.fan_in, b_t)
            check_exact(acc_t, f"{type(self).__name__} eval")
            if all(float32_exact(t) for t in (acc_t, x_t, w_t, b_t) if t is not None):  # same sums, float32 kernels
                acc = self._accumulate(x.float(), w.float(), None if b is None else b.float()).double()
                return self._q("output", acc)
        return self._q("output", self._accumulate(x, w, b))

    # ------------------------------------------------------------------- export
    def khot(self) -> int | None:
        return khot_k(self.quant["weight"] if "weight" in self.quant else None)  # type: ignore[arg-type]

    @abc.abstractmethod
    def _ir_attrs_and_shape(self, in_shape: list[int]) -> tuple[dict[str, Any], list[int]]:
        """The op's attrs and output shape for an input of shape ``in_shape``."""

    def ir_node(
        self, name: str, inputs: list[str], in_types: list[str], in_shapes: list[list[int]]
    ) -> IRNode:
        layer = f"{type(self).__name__} {name}"
        if self.training:
            raise ValueError(f"{layer}: call model.eval() before export")
        in_t = self._in_type(in_types, layer)
        with torch.no_grad():
            w_t = quantizer_type(self._required("weight"))
            params = {"weight": (to_raw_array(self.quantized_weight(), w_t, f"{layer} weight"), w_t.cpp)}
            b_t: FixedType | None = None
            if self.bias is not None:
                b_t = quantizer_type(self._required("bias"))
                b = self.quantized_bias()
                assert b is not None
                params["bias"] = (to_raw_array(b, b_t, f"{layer} bias"), b_t.cpp)
        acc_t = dot_acc_type(in_t, w_t, self.fan_in, b_t)
        check_exact(acc_t, layer)
        attrs, shape = self._ir_attrs_and_shape(list(in_shapes[0]))
        attrs["khot"] = self.khot()
        return make_ir_node(
            self.ir_op, name, inputs, shape, self._out_type().cpp, attrs, params, acc_t.cpp
        )
