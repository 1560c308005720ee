"""``IRNode``: what one layer tells the exporter about itself.

The contract (every layer's ``ir_node`` method)::

    layer.ir_node(name: str, inputs: list[str], in_types: list[str],
                  in_shapes: list[list[int]]) -> IRNode

- ``name``: the node name (a C++ identifier, chosen by the exporter).
- ``inputs``: names of the tensors feeding the layer, in the order of ``forward``.
- ``in_types``: their IR types (C++ spellings such as ``ap_fixed<8,3>``, or ``binary``).
- ``in_shapes``: their shapes without the batch axis (``[C, H, W]`` or ``[N]``).

``IRNode.node`` is the JSON object of ``model.json`` exactly as ``docs/ir.md`` defines
it: ``op``, ``name``, ``inputs``, ``shape``, ``out_type``, ``attrs``, ``params``
(``{key: {"type": str, "shape": list[int]}}``) and, for ops that accumulate,
``acc_type``. ``IRNode.arrays`` maps ``"<name>.<key>"`` (the ``tensors.npz`` key) to the
raw integers of each param: int64 for fixed-point params, int8 -1/+1 for binary ones.
The layer must be in eval mode semantics (its quantizers' current types are used).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class IRNode:
    """One IR node: its JSON object and its param arrays (see the module docstring)."""

    node: dict[str, Any]
    arrays: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def out_type(self) -> str:
        """The IR type of the node's output."""
        return str(self.node["out_type"])

    @property
    def shape(self) -> list[int]:
        """The output shape without the batch axis."""
        return list(self.node["shape"])


def make_ir_node(
    op: str,
    name: str,
    inputs: list[str],
    shape: list[int],
    out_type: str,
    attrs: dict[str, Any] | None = None,
    params: dict[str, tuple[np.ndarray, str]] | None = None,
    acc_type: str | None = None,
) -> IRNode:
    """Assemble an ``IRNode``.

    Args:
        op: the IR op name.
        name, inputs: as passed to ``ir_node``.
        shape: output shape without the batch axis.
        out_type: IR type of the output.
        attrs: JSON-serialisable attributes.
        params: key -> (raw integer array, IR type string).
        acc_type: IR type of the accumulator, for ops that accumulate.
    """
    node: dict[str, Any] = {
        "op": op,
        "name": name,
        "inputs": list(inputs),
        "shape": [int(s) for s in shape],
        "out_type": out_type,
        "attrs": dict(attrs or {}),
        "params": {},
    }
    arrays: dict[str, np.ndarray] = {}
    for key, (array, type_text) in (params or {}).items():
        node["params"][key] = {"type": type_text, "shape": [int(s) for s in array.shape]}
        arrays[f"{name}.{key}"] = array
    if acc_type is not None:
        node["acc_type"] = acc_type
    return IRNode(node, arrays)
