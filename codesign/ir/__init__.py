"""The integer IR: graph dataclasses, model.json + tensors.npz (de)serialisation, validation
and the numpy int64 reference interpreter (docs/ir.md). numpy only: no torch, so it runs on
a PYNQ board's CPU.

    graph = ir.load("run/ir")                  # validated, params loaded; IRError otherwise
    result = ir.run(graph, raw_inputs)         # RunResult(outputs, taps), int64 raw integers
    ir.save(graph, None, "elsewhere/ir")       # atomic
"""

from codesign.ir.errors import IRError
from codesign.ir.graph import BINARY, SCHEMA_VERSION, BinaryType, Graph, GraphInput, Node, ParamSpec
from codesign.ir.interp import RunResult, run
from codesign.ir.io import load, save
from codesign.ir.ops import OPS

__all__ = [
    "BINARY",
    "OPS",
    "SCHEMA_VERSION",
    "BinaryType",
    "Graph",
    "GraphInput",
    "IRError",
    "Node",
    "ParamSpec",
    "RunResult",
    "load",
    "run",
    "save",
]
