"""``ThermometerEncoder``: unsigned integer image -> T binary planes per channel (IR ``thermometer``)."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from codesign.fixed import FixedType
from codesign.nn.base import QModule
from codesign.nn.ir import IRNode, make_ir_node
from codesign.nn.types import BINARY


def uniform_thresholds(levels: int, in_bits: int = 8) -> list[int]:
    """``levels`` ascending thresholds splitting [0, 2**in_bits) evenly: (t+1)*2**in_bits // (levels+1)."""
    if levels < 1:
        raise ValueError(f"levels must be >= 1, got {levels}")
    return [((t + 1) << in_bits) // (levels + 1) for t in range(levels)]


class ThermometerEncoder(QModule):
    """Plane ``c*T + t`` is +1 where ``x[c] >= thresholds[t]``, else -1.

    Input: ``[N, C, H, W]`` raw unsigned integers (0..2**in_bits-1, e.g. uint8 pixels, as an
    integer or float tensor; not normalised). Output: ``[N, C*T, H, W]`` of -1/+1 (float32 in
    train mode, float64 in eval mode); no gradient flows to the input.

    Args:
        channels: C.
        thresholds: T ascending integer thresholds in input units; default
            ``uniform_thresholds(levels, in_bits)``.
        levels: T when ``thresholds`` is not given.
        in_bits: bits of the unsigned input (``ap_uint<in_bits>``).
    """

    ir_op = "thermometer"

    def __init__(
        self, channels: int, thresholds: Sequence[int] | None = None, levels: int = 8, in_bits: int = 8
    ) -> None:
        super().__init__()
        thr = list(uniform_thresholds(levels, in_bits) if thresholds is None else thresholds)
        if not thr or any(int(t) != t for t in thr) or any(b <= a for a, b in zip(thr, thr[1:])):
            raise ValueError(f"thresholds must be strictly ascending integers, got {thr}")
        self.channels = channels
        self.in_bits = in_bits
        self.thresholds = [int(t) for t in thr]
        self.register_buffer("_thr", torch.tensor(self.thresholds, dtype=torch.float32), persistent=False)

    @property
    def input_type(self) -> FixedType:
        """The graph input type this encoder expects: ``ap_uint<in_bits>``."""
        return FixedType(self.in_bits, self.in_bits, False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4 or x.shape[1] != self.channels:
            raise ValueError(f"ThermometerEncoder expects [N, {self.channels}, H, W], got {tuple(x.shape)}")
        dtype = torch.float32 if self.training else torch.float64
        x = x.to(dtype)
        if not self.training and not bool(((x == torch.round(x)) & (x >= 0) & (x < 2**self.in_bits)).all()):
            raise ValueError(f"ThermometerEncoder: input must be integers in [0, {2**self.in_bits - 1}]")
        n, c, h, w = x.shape
        above = x.unsqueeze(2) >= self._thr.to(dtype).view(1, 1, -1, 1, 1)
        planes = torch.where(above, 1.0, -1.0).to(dtype)
        return planes.reshape(n, c * len(self.thresholds), h, w)

    def ir_node(
        self, name: str, inputs: list[str], in_types: list[str], in_shapes: list[list[int]]
    ) -> IRNode:
        t = FixedType.parse(in_types[0])
        if t.frac_bits != 0 or t.signed:
            raise ValueError(f"ThermometerEncoder {name}: input must be an unsigned integer type, got {t}")
        c, h, w = in_shapes[0]
        return make_ir_node(
            self.ir_op, name, inputs, [c * len(self.thresholds), h, w], BINARY, {"thresholds": self.thresholds}
        )

    def extra_repr(self) -> str:
        return f"channels={self.channels}, thresholds={self.thresholds}"
