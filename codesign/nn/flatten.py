"""``QFlatten``: ``[N, C, H, W]`` -> ``[N, C*H*W]`` in channel-major order; no cast (IR ``flatten``)."""

from __future__ import annotations

import math

import torch

from codesign.nn.base import QModule
from codesign.nn.ir import IRNode, make_ir_node


class QFlatten(QModule):
    """Flattens every axis after the batch axis; values and type are unchanged."""

    ir_op = "flatten"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x ``[N, ...]`` -> ``[N, prod(...)]`` (float64 in eval mode)."""
        return (x if self.training else x.to(torch.float64)).flatten(1)

    def ir_node(
        self, name: str, inputs: list[str], in_types: list[str], in_shapes: list[list[int]]
    ) -> IRNode:
        return make_ir_node("flatten", name, inputs, [math.prod(in_shapes[0])], in_types[0])
