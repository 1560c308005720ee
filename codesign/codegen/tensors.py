"""Tensors as the dataflow sees them: beats of one pixel (or one vector)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from codesign.fixed.types import FixedType
from codesign.ir import BINARY
from codesign.ir.graph import Graph, TensorType


@dataclass(frozen=True)
class Tensor:
    """A graph input or node output: ``[C, H, W]`` is H*W beats of C channels, ``[N]`` one beat."""

    name: str
    shape: tuple[int, ...]
    type: TensorType

    @property
    def binary(self) -> bool:
        return self.type == BINARY

    @property
    def fixed(self) -> FixedType:
        """Its fixed-point type (callers know it is not binary)."""
        assert isinstance(self.type, FixedType)
        return self.type

    @property
    def channels(self) -> int:
        return self.shape[0]

    @property
    def pixels(self) -> int:
        return math.prod(self.shape[1:])

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    @property
    def spelling(self) -> str:
        """The C++ spelling of its element type (fixed tensors only)."""
        return self.fixed.cpp

    @property
    def type_name(self) -> str:
        """The typedef of its element type (fixed tensors only)."""
        return f"{self.name}_t"

    @property
    def beat_name(self) -> str:
        """The typedef of its beat."""
        return f"{self.name}_beat"


def graph_tensors(graph: Graph) -> dict[str, Tensor]:
    """Every tensor of the graph by name, inputs first, in topological order."""
    tensors = {i.name: Tensor(i.name, tuple(i.shape), i.type) for i in graph.inputs}
    for node in graph.nodes:
        tensors[node.name] = Tensor(node.name, tuple(node.shape), node.out_type)
    return tensors
