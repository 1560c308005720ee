"""``QAct``: activation functions followed by an output cast (IR ``relu``, ``hardtanh``, ``sign``).

Kinds:

- ``identity``: ``cast(x)``. Exported as ``hardtanh`` with the input's full raw range
  (a clamp that changes nothing), so the node is a pure cast.
- ``relu``: ``cast(max(x, 0))``; the output spec is made unsigned (``relu_unsigned``).
- ``hardtanh``: ``cast(clamp(x, min_val, max_val))``; both bounds must lie on the input grid.
- ``sign``: binary output, +1 where ``x >= 0`` else -1 (sign(0) = +1); no quantizer; clipped
  straight-through gradient (1 where |x| <= 1).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Literal

import torch
import torch.nn.functional as F

from codesign.fixed import FixedType
from codesign.nn.base import QModule
from codesign.nn.functional import sign_ste
from codesign.nn.ir import IRNode, make_ir_node
from codesign.nn.types import BINARY
from codesign.quant.config import LayerQuant, QuantSpec

ActKind = Literal["identity", "relu", "hardtanh", "sign"]


def _raw_bound(value: float, t: FixedType, layer: str) -> int:
    """``value`` in raw units of ``t``; it must be on t's grid."""
    raw = Fraction(value) * Fraction(2) ** t.frac_bits
    if raw.denominator != 1:
        raise ValueError(f"{layer}: bound {value} is not a multiple of the LSB of the input type {t}")
    return int(raw)


class QAct(QModule):
    """An activation with an output quantizer (see the module docstring for the kinds).

    Args:
        kind: ``identity``, ``relu``, ``hardtanh`` or ``sign``.
        quant: ``quant.output`` is the output spec (unused for ``sign``);
            ``LayerQuant.defaults()`` when None.
        min_val, max_val: hard-tanh bounds (values, not raw).
        channels: channel count for per-channel / HGQ channel output quantizers.
        relu_unsigned: give ReLU an unsigned output type (saves the sign bit).
    """

    def __init__(
        self,
        kind: ActKind = "relu",
        quant: LayerQuant | None = None,
        *,
        min_val: float = -1.0,
        max_val: float = 1.0,
        channels: int | None = None,
        relu_unsigned: bool = True,
    ) -> None:
        super().__init__()
        if kind not in ("identity", "relu", "hardtanh", "sign"):
            raise ValueError(f"unknown activation {kind!r}; allowed: identity, relu, hardtanh, sign")
        if min_val > max_val:
            raise ValueError(f"hardtanh min_val {min_val} > max_val {max_val}")
        quant = LayerQuant.defaults() if quant is None else quant
        self.kind = kind
        self.min_val = float(min_val)
        self.max_val = float(max_val)
        if kind != "sign":
            spec: QuantSpec | None = quant.output
            if kind == "relu" and relu_unsigned and spec is not None:
                spec = spec.but(signed=False)
            self._add_quantizer("output", spec, kind="activation", channels=channels, channel_axis=1)

    @property
    def ir_op(self) -> str:  # type: ignore[override]
        return {"identity": "hardtanh", "relu": "relu", "hardtanh": "hardtanh", "sign": "sign"}[self.kind]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Any shape -> same shape; float64 in eval mode (binary -1/+1 for ``sign``)."""
        if not self.training:
            x = x.to(torch.float64)
        if self.kind == "sign":
            return sign_ste(x)
        if self.kind == "relu":
            x = F.relu(x)
        elif self.kind == "hardtanh":
            x = torch.clamp(x, self.min_val, self.max_val)
        return self._q("output", x)

    def ir_node(
        self, name: str, inputs: list[str], in_types: list[str], in_shapes: list[list[int]]
    ) -> IRNode:
        layer = f"QAct({self.kind}) {name}"
        in_t = self._fixed_in_type(in_types, 0, layer)
        shape = list(in_shapes[0])
        if self.kind == "sign":
            return make_ir_node("sign", name, inputs, shape, BINARY)
        out = self._out_type().cpp
        if self.kind == "relu":
            return make_ir_node("relu", name, inputs, shape, out)
        if self.kind == "identity":
            lo, hi = in_t.raw_min, in_t.raw_max
        else:
            lo, hi = _raw_bound(self.min_val, in_t, layer), _raw_bound(self.max_val, in_t, layer)
        return make_ir_node("hardtanh", name, inputs, shape, out, {"min_raw": lo, "max_raw": hi})

    def extra_repr(self) -> str:
        if self.kind == "hardtanh":
            return f"hardtanh, min_val={self.min_val}, max_val={self.max_val}"
        return self.kind
