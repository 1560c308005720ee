"""``QAdd``: residual addition ``cast(aligned a + aligned b)`` (IR ``add``)."""

from __future__ import annotations

import torch

from codesign.nn.base import QModule
from codesign.nn.ir import IRNode, make_ir_node
from codesign.nn.types import check_exact, observed_type, sum_type
from codesign.fixed import FixedType
from codesign.quant.config import LayerQuant


def add_acc_type(a: FixedType, b: FixedType) -> FixedType:
    """Exact type of ``a + b`` with both operands aligned to the finer LSB."""
    return sum_type([(a.raw_min, a.raw_max, a.frac_bits), (b.raw_min, b.raw_max, b.frac_bits)])


class QAdd(QModule):
    """Adds two tensors of the same shape and casts with the ``residual`` spec.

    Args:
        quant: ``quant.residual`` is the output spec (``LayerQuant.defaults()`` when None).
        channels: channel count for per-channel / HGQ channel output quantizers.
    """

    ir_op = "add"

    def __init__(self, quant: LayerQuant | None = None, channels: int | None = None) -> None:
        super().__init__()
        quant = LayerQuant.defaults() if quant is None else quant
        self._add_quantizer("output", quant.residual, kind="activation", channels=channels, channel_axis=1)

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        """a, b: same shape; returns the cast sum (float64 exact in eval mode)."""
        if a.shape != b.shape:
            raise ValueError(f"QAdd: operand shapes differ: {tuple(a.shape)} vs {tuple(b.shape)}")
        if not self.training:
            a, b = a.to(torch.float64), b.to(torch.float64)
        if self._checks_exactness():
            check_exact(add_acc_type(observed_type(a), observed_type(b)), "QAdd eval")
        return self._q("output", a + b)

    def ir_node(
        self, name: str, inputs: list[str], in_types: list[str], in_shapes: list[list[int]]
    ) -> IRNode:
        layer = f"QAdd {name}"
        if len(inputs) != 2 or list(in_shapes[0]) != list(in_shapes[1]):
            raise ValueError(f"{layer}: needs two inputs of one shape, got {in_shapes}")
        a, b = (self._fixed_in_type(in_types, i, layer) for i in (0, 1))
        acc_t = add_acc_type(a, b)
        check_exact(acc_t, layer)
        return make_ir_node("add", name, inputs, list(in_shapes[0]), self._out_type().cpp, acc_type=acc_t.cpp)
