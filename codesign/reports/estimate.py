"""Resource and cycle estimates of a generated accelerator from its IR and folding, no vendor tools.

An analytical model, per IR node, of what the kernels in ``hls/include/codesign`` build:

- **Cycles.** Every streaming kernel is pipelined at II=1 over its innermost fold, so a node
  takes ``pixels * folds`` cycles per image, where ``folds`` is the number of sequential steps
  per output pixel: ``ceil(Cout/PE) * ceil(fan_in/SIMD)`` for binary layers, ``reuse_factor``
  for dense/conv. Elementwise kernels take one cycle per pixel. The dataflow pipeline's
  interval is the slowest node; its latency is the sum of the nodes' cycles (an upper bound:
  line-buffered nodes overlap).
- **Multipliers.** General products (neither binary, K-hot, nor by a power of two) use
  DSP48 slices when both operands are wider than ``DSP_MIN_BITS``, else LUTs (about
  ``wa * wb`` LUTs each). A K-hot product is ``K - 1`` adders of the accumulator width.
  Parallel copies = products per output pixel / folds.
- **Binary layers.** Each PE has SIMD XNOR gates and a popcount tree: about
  ``1.2 * SIMD`` LUTs plus an accumulator of ``log2(fan_in) + 1`` bits.
- **Memory.** Weight ROMs and line buffers go to BRAM_18K (18,432 bits, at least one per
  parallel port) when larger than ``LUTRAM_MAX_BITS``, else to LUTs (64 bits per LUT).
- **Registers.** FF ~ LUT (a pipelined datapath registers about every LUT output).

These constants are first-order; the estimate is shown beside real synthesis figures when
both exist and is meant for choosing folding, not for sign-off.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from codesign.fixed import FixedType
from codesign.ir import Graph, Node

DSP_MIN_BITS = 10
"""Products with both operands at most this wide map to LUTs instead of DSP48 slices."""
LUTRAM_MAX_BITS = 4096
"""Memories up to this many bits are distributed (LUT) RAM/ROM."""
BRAM_BITS = 18 * 1024


@dataclass(frozen=True)
class Folding:
    """Per-node folding: processing elements, input lanes per PE, reuse factor."""

    pe: int = 1
    simd: int = 1
    reuse_factor: int = 1


@dataclass(frozen=True)
class NodeEstimate:
    """Estimate of one IR node: resources and cycles per image."""

    name: str
    op: str
    lut: int
    ff: int
    dsp: int
    bram_18k: int
    cycles: int
    general_multipliers: int


@dataclass(frozen=True)
class DesignEstimate:
    """The whole design: per-node rows, totals, interval/latency in cycles and FPS at a clock."""

    nodes: tuple[NodeEstimate, ...]
    clock_mhz: float

    def total(self, field: str) -> int:
        return int(sum(getattr(n, field) for n in self.nodes))

    @property
    def interval_cycles(self) -> int:
        """Cycles between images in steady state: the slowest node."""
        return max((n.cycles for n in self.nodes), default=0)

    @property
    def latency_cycles(self) -> int:
        """Upper bound of the cycles from first input to last output of one image."""
        return self.total("cycles")

    @property
    def fps(self) -> float:
        """Images per second at ``clock_mhz`` in steady state."""
        return self.clock_mhz * 1e6 / max(1, self.interval_cycles)

    def utilisation(self, available: Mapping[str, int]) -> dict[str, float]:
        """Fraction of each board resource used (``lut``, ``ff``, ``dsp``, ``bram_18k``)."""
        return {k: self.total(k) / v for k, v in available.items() if v}

    def figures(self) -> dict[str, float | int]:
        """The summary figures of the estimate stage."""
        return {"est_lut": self.total("lut"), "est_ff": self.total("ff"), "est_dsp": self.total("dsp"),
                "est_bram_18k": self.total("bram_18k"), "est_interval_cycles": self.interval_cycles,
                "est_fps": round(self.fps, 1), "general_multipliers": self.total("general_multipliers")}


def _memory(bits: int, ports: int = 1) -> tuple[int, int]:
    """(LUTs, BRAM_18K) holding ``bits`` with ``ports`` parallel read ports."""
    if bits <= LUTRAM_MAX_BITS:
        return math.ceil(bits / 64), 0
    return 0, max(ports, math.ceil(bits / BRAM_BITS))


def _width(t: object) -> int:
    """Bits of an IR tensor type (1 for binary)."""
    return t.width if isinstance(t, FixedType) else 1


def _pixels(shape: tuple[int, ...]) -> int:
    return int(np.prod(shape[1:])) if len(shape) == 3 else 1


def _product_cost(in_bits: int, w_bits: int, acc_bits: int, khot: int | None) -> tuple[int, int, bool]:
    """(LUT, DSP, general) of one parallel product."""
    if khot is not None:
        return max(0, khot - 1) * acc_bits + acc_bits, 0, False
    if in_bits > DSP_MIN_BITS and w_bits > DSP_MIN_BITS:
        return acc_bits, 1, True
    return in_bits * w_bits, 0, True


def estimate_node(node: Node, in_shapes: list[tuple[int, ...]], in_types: list[object], fold: Folding) -> NodeEstimate:
    """Estimate one node from its input shapes/types and folding (see the module docstring)."""
    out_shape = tuple(node.shape)
    out_bits = _width(node.out_type)
    channels = out_shape[0] if out_shape else 1
    pixels = _pixels(out_shape)
    lut = dsp = bram = general = 0
    cycles = pixels
    op = node.op
    if op in ("binary_conv2d", "binary_dense"):
        weight = node.params["weight"]
        cout, fan_in = int(weight.shape[0]), int(np.prod(weight.shape[1:]))
        pe, simd = min(fold.pe, cout), min(fold.simd, fan_in)
        cycles = pixels * math.ceil(cout / pe) * math.ceil(fan_in / simd)
        acc_bits = int(math.log2(fan_in)) + 2
        lut = pe * (math.ceil(1.2 * simd) + acc_bits)
        wl, wb = _memory(cout * fan_in, ports=pe)
        lut, bram = lut + wl, bram + wb
        if op == "binary_conv2d":
            kh, kw = node.attrs["kernel"]
            cin, width = in_shapes[0][0], in_shapes[0][2]
            ll, lb = _memory((kh - 1) * width * cin + kw * cin)
            lut, bram = lut + ll, bram + lb
    elif op in ("dense", "conv2d"):
        weight = node.params["weight"]
        cout, fan_in = int(weight.shape[0]), int(np.prod(weight.shape[1:]))
        products = cout * fan_in
        parallel = math.ceil(products / fold.reuse_factor)
        cycles = pixels * fold.reuse_factor
        acc_bits = _width(node.acc_type) if node.acc_type is not None else 32
        w_bits = _width(weight.type)
        plut, pdsp, is_general = _product_cost(_width(in_types[0]), w_bits, acc_bits, node.attrs.get("khot"))
        lut, dsp = parallel * plut + parallel * acc_bits // 2, parallel * pdsp
        general = parallel if is_general else 0
        if fold.reuse_factor > 1:
            wl, wb = _memory(products * w_bits, ports=parallel)
            lut, bram = lut + wl, bram + wb
        if op == "conv2d":
            kh, kw = node.attrs["kernel"]
            cin, width = in_shapes[0][0], in_shapes[0][2]
            ll, lb = _memory(((kh - 1) * width + kw) * cin * _width(in_types[0]))
            lut, bram = lut + ll, bram + lb
    elif op in ("batchnorm", "prelu"):
        acc_bits = _width(node.acc_type) if node.acc_type is not None else out_bits
        key = "scale" if op == "batchnorm" else "slope"
        plut, pdsp, is_general = _product_cost(_width(in_types[0]), _width(node.params[key].type),
                                               acc_bits, node.attrs.get("khot"))
        lut, dsp = channels * (plut + acc_bits), channels * pdsp
        general = channels if is_general else 0
    elif op in ("avgpool2d", "global_avgpool"):
        cin = in_shapes[0][0]
        lut = cin * (out_bits + 8)
        cycles = _pixels(in_shapes[0])
        if "reciprocal" in node.params:
            plut, pdsp, is_general = _product_cost(out_bits + 8, _width(node.params["reciprocal"].type),
                                                   out_bits + 8, node.attrs.get("khot"))
            lut, dsp, general = lut + cin * plut, cin * pdsp, cin if is_general else 0
    elif op == "flatten":
        cycles = _pixels(in_shapes[0])
        lut = 0
    else:  # thermometer, add, relu, hardtanh, sign: one cycle per pixel, C lanes
        lut = channels * max(out_bits, 1) * (2 if op == "add" else 1)
    return NodeEstimate(node.name, op, int(lut), int(lut), int(dsp), int(bram), int(cycles), int(general))


def estimate(graph: Graph, clock_mhz: float, folding: Mapping[str, Folding] | None = None,
             default: Folding = Folding()) -> DesignEstimate:
    """Estimate every node of ``graph`` with its folding (``folding[name]`` or ``default``)."""
    folding = folding or {}
    shapes: dict[str, tuple[int, ...]] = {i.name: tuple(i.shape) for i in graph.inputs}
    types: dict[str, object] = {i.name: i.type for i in graph.inputs}
    rows = []
    for node in graph.nodes:
        in_shapes = [shapes[name] for name in node.inputs]
        in_types = [types[name] for name in node.inputs]
        rows.append(estimate_node(node, in_shapes, in_types, folding.get(node.name, default)))
        shapes[node.name] = tuple(node.shape)
        types[node.name] = node.out_type
    return DesignEstimate(tuple(rows), clock_mhz)


__all__ = ["DesignEstimate", "Folding", "NodeEstimate", "estimate", "estimate_node"]
