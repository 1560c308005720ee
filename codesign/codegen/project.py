"""IR graph -> Vitis HLS project directory (firmware/, tb/, manifest.json)."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from codesign.codegen.context import Argument, Config, Constant, Layer, Typedef
from codesign.codegen.cpp import lane_bits
from codesign.codegen.dataflow import DEFAULT_DEPTH, Dataflow, Endpoints, Process, Stream, build_dataflow
from codesign.codegen.emitters import EMITTERS, EmitInput
from codesign.codegen.environment import make_environment
from codesign.codegen.errors import CodegenError
from codesign.codegen.files import write_if_changed
from codesign.codegen.names import check_identifier
from codesign.codegen.tensors import Tensor, graph_tensors
from codesign.ir import Graph

INTERFACES = ("stream", "mm")
DEFAULT_PART = "xczu3eg-sbva484-1-i"
DEFAULT_CLOCK_MHZ = 100.0
WORD_BITS = 64


@dataclass(frozen=True)
class Project:
    """A generated project.

    Attributes:
        path: the project directory.
        top: the top function name.
        interface: ``stream`` or ``mm``.
        manifest: the content of manifest.json.
        files: every generated file (relative to ``path``).
    """

    path: Path
    top: str
    interface: str
    manifest: Mapping[str, Any]
    files: tuple[str, ...]


def ir_hash(graph: Graph) -> str:
    """sha256 of the graph's JSON form and its parameter arrays."""
    digest = hashlib.sha256(json.dumps(graph.to_dict(), sort_keys=True).encode())
    for key in sorted(graph.params):
        array = np.ascontiguousarray(graph.params[key], dtype=np.int64)
        digest.update(key.encode())
        digest.update(repr(array.shape).encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


def _words(t: Tensor) -> int:
    return math.ceil(t.size / (WORD_BITS // lane_bits(t.type)))


def _endpoints(graph: Graph, tensors: Mapping[str, Tensor], interface: str) -> tuple[Endpoints, list[Config]]:
    if interface == "stream":
        return Endpoints({i.name: f"{i.name}_port" for i in graph.inputs},
                         {o: f"{o}_port" for o in graph.outputs}, (), (), ()), []
    if len(graph.inputs) != 1 or len(graph.outputs) != 1:
        raise CodegenError("the mm interface needs exactly one graph input and one graph output")
    x, y = tensors[graph.inputs[0].name], tensors[graph.outputs[0]]
    configs = []
    for t in (x, y):
        if lane_bits(t.type) > WORD_BITS:
            raise CodegenError(f"tensor {t.name!r}: values wider than {WORD_BITS} bits cannot be packed")
        configs.append(Config(f"{t.name}_mmio",
                              (Constant("unsigned", "n_pixels", str(t.pixels)),
                               Constant("unsigned", "n_chan", str(t.channels)),
                               Constant("unsigned", "lane_bits", str(lane_bits(t.type)))),
                              (Typedef("beat_t", t.beat_name),)))
    source, sink = f"{x.name}_mmin", f"{y.name}_mmout"
    return Endpoints(
        {x.name: source}, {y.name: sink},
        (Stream(source, x.beat_name, DEFAULT_DEPTH), Stream(sink, y.beat_name, DEFAULT_DEPTH)),
        (Process(f"{x.name}_read", "codesign::mm_read", configs[0].name, (Argument("in"), Argument(source))),),
        (Process(f"{y.name}_write", "codesign::mm_write", configs[1].name, (Argument(sink), Argument("out"))),),
    ), configs


def _emit_layers(graph: Graph, tensors: Mapping[str, Tensor],
                 parallelism: Mapping[str, Mapping[str, int]]) -> dict[str, Layer]:
    unknown = sorted(set(parallelism) - {n.name for n in graph.nodes})
    if unknown:
        raise CodegenError(f"parallelism names unknown layers: {unknown}")
    layers = {}
    for node in graph.nodes:
        emitter = EMITTERS.get(node.op)
        if emitter is None:
            raise CodegenError(f"node {node.name!r}: no emitter for op {node.op!r}; known: {sorted(EMITTERS)}")
        params = {key: graph.param(node, key) for key in node.params}
        layers[node.name] = emitter(EmitInput(node, tuple(tensors[i] for i in node.inputs), tensors[node.name],
                                              params, parallelism.get(node.name)))
    return layers


def _check_top(top: str, taken: set[str]) -> str:
    check_identifier(top, "top name")
    if top in taken:
        raise CodegenError(f"top name {top!r} collides with a generated identifier")
    return top


def _audit(layers: Mapping[str, Layer]) -> dict[str, Any]:
    per_layer = {name: {"op": layer.op, "kind": layer.audit.kind,
                        "general_products": layer.audit.general_products,
                        "multipliers": layer.audit.multipliers}
                 for name, layer in layers.items()}
    return {
        "definition": "general multipliers: products by constants that are neither binary, K-hot "
                      "shift-add, zero nor a power of two; 'multipliers' counts hardware instances "
                      "after folding, 'general_products' multiplications per inference",
        "per_layer": per_layer,
        "total_multipliers": sum(v["multipliers"] for v in per_layer.values()),
        "total_general_products": sum(v["general_products"] for v in per_layer.values()),
    }


def _io_entry(t: Tensor, offset: int, port: str) -> dict[str, Any]:
    return {"name": t.name, "port": port, "beat": t.beat_name, "shape": list(t.shape), "type": str(t.type),
            "size": t.size, "offset": offset, "pixels": t.pixels, "channels": t.channels,
            "lane_bits": lane_bits(t.type), "words": _words(t)}


def generate(graph: Graph, out_dir: Path | str, *, top: str = "codesign_top", interface: str = "stream",
             parallelism: Mapping[str, Mapping[str, int]] | None = None,
             stream_depths: Mapping[str, int] | None = None, part: str = DEFAULT_PART,
             clock_mhz: float = DEFAULT_CLOCK_MHZ, max_images: int = 1024) -> Project:
    """Generate the HLS project of ``graph`` in ``out_dir``.

    Args:
        graph: a validated IR graph (``ir.load``).
        out_dir: the project directory (created; files rewritten only when changed).
        top: the top function name (a C++ identifier).
        interface: ``stream`` (AXI-Stream ports) or ``mm`` (m_axi + s_axilite, n images).
        parallelism: per layer folding: ``{"reuse_factor": r}`` (dense, conv2d) or
            ``{"pe": p, "simd": s}`` (binary layers); defaults are fully parallel.
        stream_depths: overrides of computed stream depths, by stream name.
        part, clock_mhz: the target (manifest and synthesis).
        max_images: images the m_axi depth declares (cosim).

    Raises:
        CodegenError: unsupported graph, bad names or options.
    """
    if isinstance(max_images, bool) or not isinstance(max_images, int) or max_images < 1:
        raise CodegenError(f"max_images must be an integer >= 1, got {max_images!r}")
    if interface not in INTERFACES:
        raise CodegenError(f"interface must be one of {INTERFACES}, got {interface!r}")
    if not isinstance(part, str) or not part.replace("-", "").isalnum():
        raise CodegenError(f"part {part!r} is not a part name")
    out = Path(out_dir)
    tensors = graph_tensors(graph)
    layers = _emit_layers(graph, tensors, parallelism or {})
    endpoints, io_configs = _endpoints(graph, tensors, interface)
    flow: Dataflow = build_dataflow(graph, tensors, layers, endpoints, stream_depths or {})
    configs = [*(layer.config for layer in layers.values()), *flow.fork_configs, *io_configs]
    taken = {t.type_name for t in tensors.values()} | {t.beat_name for t in tensors.values()} | {c.name for c in configs} | {s.name for s in flow.streams}
    taken |= {t.name for layer in layers.values() for t in layer.typedefs}
    taken |= {a.name for layer in layers.values() for a in (*layer.arrays, *layer.tables)}
    taken |= set(endpoints.sources.values()) | set(endpoints.sinks.values())
    _check_top(top, taken)
    offset, inputs = 0, []
    for i in graph.inputs:
        inputs.append(_io_entry(tensors[i.name], offset, endpoints.sources[i.name]))
        offset += tensors[i.name].size
    offset, outputs = 0, []
    for o in graph.outputs:
        outputs.append(_io_entry(tensors[o], offset, endpoints.sinks[o]))
        offset += tensors[o].size
    ports = [{"name": e["port"], "beat": e["beat"]} for e in (*inputs, *outputs)]
    x_words = inputs[0]["words"] if interface == "mm" else 0
    y_words = outputs[0]["words"] if interface == "mm" else 0
    context = {
        "top": top, "guard": top.upper(), "graph_name": graph.name, "interface": interface,
        "tensors": list(tensors.values()), "layers": list(layers.values()), "configs": configs,
        "streams": list(flow.streams), "processes": list(flow.processes), "ports": ports,
        "inputs": inputs, "outputs": outputs, "in_words": x_words, "out_words": y_words,
        "in_depth": x_words * max_images, "out_depth": y_words * max_images, "max_images": max_images,
    }
    env = make_environment()
    files: dict[str, str] = {
        f"firmware/{top}.h": env.get_template("firmware/top.h.j2").render(context),
        f"firmware/{top}.cpp": env.get_template("firmware/top.cpp.j2").render(context),
        "firmware/parameters.h": env.get_template("firmware/parameters.h.j2").render(context),
        f"tb/tb_{top}.cpp": env.get_template("tb/tb_top.cpp.j2").render(context),
        f"tb/predict_{top}.cpp": env.get_template("tb/predict.cpp.j2").render(context),
    }
    weights = env.get_template("firmware/weights.h.j2")
    for layer in layers.values():
        files[f"firmware/weights/{layer.name}.h"] = weights.render(layer=layer, guard=top.upper())
    manifest = {
        "top": top, "interface": interface, "graph": graph.name, "ir_hash": ir_hash(graph),
        "part": part, "clock_mhz": clock_mhz,
        "inputs": [{k: e[k] for k in ("name", "shape", "type", "port")} for e in inputs],
        "outputs": [{k: e[k] for k in ("name", "shape", "type", "port")} for e in outputs],
        "parallelism": {name: layer.parallelism for name, layer in layers.items() if layer.parallelism},
        "stream_depths": {s.name: s.depth for s in flow.streams},
        "multiplier_audit": _audit(layers),
        "files": sorted([*files, "manifest.json"]),
    }
    if interface == "mm":
        manifest["packing"] = {
            "word_bits": WORD_BITS,
            "order": "per image, pixel-major: pixel p = y*W + x (vectors: one pixel), then channel c",
            "lane": "each raw value takes lane_bits bits (two's complement; binary: 1 bit, 1 = +1); value v "
                    "of an image sits in word v // (64 // lane_bits) at bit (v % (64 // lane_bits)) * "
                    "lane_bits; unused bits are 0; every image starts at a new word",
            "input": {"lane_bits": inputs[0]["lane_bits"], "words_per_image": x_words},
            "output": {"lane_bits": outputs[0]["lane_bits"], "words_per_image": y_words},
            "max_images": max_images,
        }
    files["manifest.json"] = json.dumps(manifest, indent=2) + "\n"
    for rel, text in files.items():
        write_if_changed(out / rel, text)
    return Project(out, top, interface, manifest, tuple(sorted(files)))
