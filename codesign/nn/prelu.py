"""``QPReLU``: per-channel PReLU with a quantized (K-hot under ``khot``) slope (IR ``prelu``).

``acc = x`` (aligned to F_x + F_slope) where ``x >= 0``, else ``x * slope[c]`` (exact);
``cast(acc -> out_type)``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from codesign.fixed import FixedType, type_for_raw_range
from codesign.nn.base import QModule
from codesign.nn.ir import IRNode, make_ir_node
from codesign.nn.types import check_exact, khot_k, observed_type, quantizer_type, to_raw_array
from codesign.quant.config import LayerQuant, QuantSpec


def prelu_acc_type(in_t: FixedType, slope_t: FixedType) -> FixedType:
    """Exact type of both branches: x aligned (x >= 0) and x*slope (x < 0)."""
    frac = in_t.frac_bits + slope_t.frac_bits
    pos_hi = max(0, in_t.raw_max) << slope_t.frac_bits
    neg = [min(0, in_t.raw_min) * s for s in (slope_t.raw_min, slope_t.raw_max)]
    return type_for_raw_range(min(0, *neg), max(pos_hi, *neg), frac)


class QPReLU(QModule):
    """PReLU over ``[N, C, ...]`` with a quantized slope per channel.

    Args:
        channels: C.
        quant: ``quant.output`` for the output; the slope uses ``slope`` when given,
            else ``quant.weight`` (K-hot under the ``khot`` defaults).
        slope: spec of the slope.
        init: initial slope.
    """

    ir_op = "prelu"

    def __init__(
        self, channels: int, quant: LayerQuant | None = None, slope: QuantSpec | None = None, init: float = 0.25
    ) -> None:
        super().__init__()
        quant = LayerQuant.defaults() if quant is None else quant
        self.channels = channels
        self.slope = nn.Parameter(torch.full((channels,), float(init)))
        self._add_quantizer(
            "slope", slope if slope is not None else quant.weight, kind="weight", channels=channels, shape=(channels,)
        )
        self._add_quantizer("output", quant.output, kind="activation", channels=channels, channel_axis=1)

    def quantized_slope(self, dtype: torch.dtype = torch.float64) -> torch.Tensor:
        """The slope ``[C]`` as the layer uses it."""
        return self._q("slope", self.slope.to(dtype))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x ``[N, C, ...]`` -> same shape (float64 exact in eval mode)."""
        if x.dim() < 2 or x.shape[1] != self.channels:
            raise ValueError(f"QPReLU({self.channels}) expects [N, {self.channels}, ...], got {tuple(x.shape)}")
        if not self.training:
            x = x.to(torch.float64)
        slope = self.quantized_slope(x.dtype)
        if self._checks_exactness():
            check_exact(prelu_acc_type(observed_type(x), observed_type(slope)), "QPReLU eval")
        if self.training:  # fused ops; at x == 0 both forms give 0 (the gradient takes the slope)
            fused = self._fused_affine_output(x, torch.ones_like(slope), torch.zeros_like(slope), slope)
            return fused if fused is not None else self._q("output", F.prelu(x, slope))
        slope = slope.view((1, -1) + (1,) * (x.dim() - 2))
        return self._q("output", torch.where(x >= 0, x, x * slope))

    def khot(self) -> int | None:
        return khot_k(self.quant["slope"] if "slope" in self.quant else None)  # type: ignore[arg-type]

    def ir_node(
        self, name: str, inputs: list[str], in_types: list[str], in_shapes: list[list[int]]
    ) -> IRNode:
        layer = f"QPReLU {name}"
        in_t = self._fixed_in_type(in_types, 0, layer)
        slope_t = quantizer_type(self._required("slope"))
        with torch.no_grad():
            params = {"slope": (to_raw_array(self.quantized_slope(), slope_t, f"{layer} slope"), slope_t.cpp)}
        acc_t = prelu_acc_type(in_t, slope_t)
        check_exact(acc_t, layer)
        return make_ir_node(
            self.ir_op, name, inputs, list(in_shapes[0]), self._out_type().cpp, {"khot": self.khot()}, params, acc_t.cpp
        )
