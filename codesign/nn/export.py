"""Export a model of ``codesign.nn`` layers to the integer IR (docs/ir.md), and check it.

    result = export(model, example_input, "run/ir")     # ExportResult(graph, path, input_type)
    raw = raw_inputs(model, x)                          # dataset values -> graph input raw ints
    cmp = compare_with_ir(model, result.graph, x)       # Comparison; cmp.ok, str(cmp)

How the graph is found: the model runs once in eval mode (float64, exact) under
``no_grad`` with hooks on every ``QModule``. Each layer call records, by tensor identity,
the tensors it consumed and the tensor it produced. The first tensor no layer produced is
the graph input; every other tensor a layer consumes, and the model's output, must be
the unmodified output of a layer (or the graph input). Containers (``nn.Sequential``,
``nn.Identity``, and modules without parameters of their own, such as a residual block)
are transparent: their ``forward`` only routes tensors. Anything else that touches values
between layers (a plain torch op, an in-place change, a ``nn.Conv2d``) is refused with an
``ExportError`` naming the module.

Each layer describes itself (``QModule.ir_node``); the exporter names the nodes after
module paths (``body.0.conv`` -> ``body_0_conv``), passes the producers' types and shapes,
and adds one node of its own: where a layer's input quantizer changes the incoming type
(the graph input ``ap_ufixed<8,0>`` of pixel bytes feeding a first conv that quantizes its
input to ``ap_fixed<4,1>``), a ``hardtanh`` over the input's full range (a pure cast)
named ``<layer>_input_cast``.

Before writing, ``export`` runs the IR interpreter on the example input and refuses an IR
that differs from the torch emulation in any bit of any node.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import torch
from torch import nn

from codesign import ir
from codesign.fixed import FixedType, to_raw
from codesign.ir.validate import CPP_KEYWORDS
from codesign.nn.base import QModule
from codesign.nn.ir import IRNode, make_ir_node
from codesign.nn.thermometer import ThermometerEncoder
from codesign.nn.types import BINARY, holds, parse_type, single_type
from codesign.quant.base import Quantizer
from codesign.quant.ptq import Calibratable

GRAPH_INPUT = "input"
"""The name of the graph input."""

_CONTAINERS = (nn.Sequential, nn.ModuleList, nn.ModuleDict, nn.Identity)
"""torch modules that only hold or route other modules."""


class ExportError(ValueError):
    """The model cannot be exported (the message names the module and the reason)."""


@dataclass(frozen=True)
class ExportResult:
    """What ``export`` wrote.

    Attributes:
        graph: the validated IR graph (with its params).
        path: the IR directory (``model.json`` + ``tensors.npz``).
        input_type: the type of the graph input's raw integers.
    """

    graph: ir.Graph
    path: Path
    input_type: FixedType


@dataclass(frozen=True)
class Mismatch:
    """The first element where the IR and the torch emulation differ.

    Attributes:
        node: node name (or ``output <name>`` for a graph output).
        sample: index of the sample in the compared batch.
        index: element index within the sample (shape without the batch axis).
        ir_raw: the interpreter's raw integer.
        torch_raw: the torch value in raw units of ``type`` (not an integer when the value
            is off the type's grid).
        type: the node's output type.
    """

    node: str
    sample: int
    index: tuple[int, ...]
    ir_raw: int
    torch_raw: float
    type: str

    def __str__(self) -> str:
        return (f"node {self.node!r}, sample {self.sample}, element {list(self.index)}: IR raw "
                f"{self.ir_raw}, torch raw {self.torch_raw:g} ({self.type})")


@dataclass(frozen=True)
class Comparison:
    """IR interpreter vs torch eval emulation on a batch.

    Attributes:
        samples: samples compared.
        taps: node outputs compared per sample (graph outputs included).
        mismatches: differing elements, over all samples and taps.
        first: the first differing element (graph order, then sample), or None.
    """

    samples: int
    taps: int
    mismatches: int
    first: Mismatch | None

    @property
    def ok(self) -> bool:
        """True when every bit of every tap agrees."""
        return self.mismatches == 0

    def __str__(self) -> str:
        head = f"{self.samples} samples x {self.taps} taps: "
        if self.ok:
            return head + "IR == torch bit for bit"
        return head + f"{self.mismatches} mismatching elements; first: {self.first}"


# ------------------------------------------------------------------- public API
def export(
    model: nn.Module,
    example_input: torch.Tensor | np.ndarray,
    path: str | os.PathLike[str],
    *,
    name: str | None = None,
) -> ExportResult:
    """Export ``model`` to the IR directory ``path`` (written atomically).

    Args:
        model: a model of ``codesign.nn`` layers (train or eval mode; each module's mode
            is restored afterwards).
        example_input: dataset values ``[B, ...]`` (uint8 pixels ``[B, C, H, W]`` or
            standardised features ``[B, F]``), B >= 1; it fixes the shapes and is the
            input of the bit-exactness self-check.
        path: the IR directory.
        name: the graph name (a C++ identifier); default ``model.model_spec["name"]``
            or the model's class name.

    Returns:
        ExportResult with the graph, the directory and the graph input type.

    Raises:
        ExportError: unsupported modules or ops, a layer that cannot be described (types
            wider than 53 bits, per-element types, missing quantizers), an invalid graph,
            or an IR that differs from the torch emulation on ``example_input``.
    """
    x = _as_input(model, example_input)
    with _eval_mode(model):
        lowered = _lower(model, _trace(model, x), x)
    graph_name = name if name is not None else _identifier(_default_name(model))
    graph = _build_graph(graph_name, lowered)
    check = _compare(graph, lowered, _raw_from_values(lowered.graph_input, lowered.convention))
    if not check.ok:
        raise ExportError(f"the IR of {graph_name!r} differs from the torch eval emulation on the "
                          f"example input: {check.first} (a layer's ir_node and forward disagree)")
    out = ir.save(graph, None, path)
    return ExportResult(graph, out, lowered.convention.type)


def raw_inputs(model: nn.Module, x: torch.Tensor | np.ndarray) -> np.ndarray:
    """The raw integers of the graph input for dataset values ``x``.

    Images (``model.input_spec.type`` set): the values themselves scaled to the type's
    raw units (``x * 2**(F - shift)``, which is ``x`` for the zoo), checked to be
    integers in range. Features: ``to_raw`` with the first layer's input quantizer type.

    Args:
        model: the exported model.
        x: dataset values ``[B, ...]``.

    Returns:
        int64 array ``[B, ...]``.

    Raises:
        ExportError: values that are not raw integers of the input type.
    """
    xt = _as_input(model, x)
    if len(xt) == 0:
        raise ExportError("raw_inputs needs at least one sample")
    with _eval_mode(model):
        first = _trace(model, xt[:1]).calls[0] if _needs_trace(model) else None
    convention = _input_convention(model, first)
    return _raw_from_values(xt * 2.0**-convention.shift, convention)


def compare_with_ir(
    model: nn.Module, graph: ir.Graph, x: torch.Tensor | np.ndarray, *, batch_size: int = 512
) -> Comparison:
    """Run the torch eval emulation and ``ir.run`` on ``x`` and compare every tap bit for bit.

    Every node's output (converted from the torch float64 values to raw integers of the
    node's out type) and every graph output is compared.

    Args:
        model: the model ``graph`` was exported from.
        graph: the IR graph (e.g. from ``ir.load``).
        x: dataset values ``[B, ...]``.
        batch_size: samples per run (bounds the memory of the taps).

    Returns:
        Comparison with counts and the first mismatch.

    Raises:
        ExportError: the graph's nodes do not come from this model, or the model cannot
            be traced.
    """
    xt = _as_input(model, x)
    samples = taps = mismatches = 0
    first: Mismatch | None = None
    for start in range(0, len(xt), batch_size):
        chunk = xt[start:start + batch_size]
        with _eval_mode(model):
            lowered = _lower(model, _trace(model, chunk), chunk)
        part = _compare(graph, lowered, _raw_from_values(lowered.graph_input, lowered.convention))
        if first is None and part.first is not None:
            first = replace(part.first, sample=part.first.sample + start)
        samples, taps, mismatches = samples + part.samples, part.taps, mismatches + part.mismatches
    return Comparison(samples, taps, mismatches, first)


# ---------------------------------------------------------------------- tracing
@dataclass
class _Call:
    """One layer call seen by the hooks (tensors are kept alive so ids stay unique)."""

    path: str
    module: QModule
    inputs: tuple[torch.Tensor, ...]
    in_versions: tuple[int, ...]
    output: torch.Tensor | None = None
    out_version: int = 0
    input_cast: torch.Tensor | None = None
    """The output of the layer's input quantizer, when it has one."""

    @property
    def layer(self) -> str:
        """``'path' (Type)`` for messages."""
        return f"{self.path or '<model>'!r} ({type(self.module).__name__})"


@dataclass
class _Trace:
    """Layer calls in execution order and the model's output."""

    calls: list[_Call] = field(default_factory=list)
    output: Any = None


@contextmanager
def _eval_mode(model: nn.Module) -> Iterator[None]:
    """Put every module in eval mode; restore each module's own flag afterwards."""
    modes = {m: m.training for m in model.modules()}
    model.eval()
    try:
        yield
    finally:
        for m, mode in modes.items():
            m.training = mode


def _trace(model: nn.Module, x: torch.Tensor) -> _Trace:
    """Run ``model`` once (call it inside ``_eval_mode``) under no_grad, recording every layer call.

    Raises:
        ExportError: unsupported modules, nested or repeated layer calls, non-tensor
            arguments, or an error inside the forward (naming the running layer).
    """
    _check_modules(model)
    paths = {m: p for p, m in model.named_modules() if isinstance(m, QModule)}
    trace = _Trace()
    stack: list[_Call] = []

    def pre_hook(module: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        path = paths[module]  # type: ignore[index]
        where = f"{path or '<model>'!r} ({type(module).__name__})"
        if stack:
            raise ExportError(f"layer {where} runs inside layer {stack[-1].layer}; layers must not nest")
        if kwargs or not args or not all(isinstance(a, torch.Tensor) for a in args):
            raise ExportError(f"layer {where} must be called with tensors as positional arguments only")
        if any(c.module is module for c in trace.calls):
            raise ExportError(f"layer {where} is called twice; use one layer object per call")
        call = _Call(path, module, tuple(args), tuple(a._version for a in args))  # type: ignore[arg-type]
        trace.calls.append(call)
        stack.append(call)

    def post_hook(module: nn.Module, args: tuple[Any, ...], output: Any) -> None:
        call = stack.pop()
        if not isinstance(output, torch.Tensor):
            raise ExportError(f"layer {call.layer} returned {type(output).__name__}, not one tensor")
        call.output, call.out_version = output, output._version

    def input_quant_hook(module: nn.Module, args: tuple[Any, ...], output: Any) -> None:
        stack[-1].input_cast = output

    handles = []
    for m in paths:
        handles.append(m.register_forward_pre_hook(pre_hook, with_kwargs=True))
        handles.append(m.register_forward_hook(post_hook))
        if "input" in m.quant:
            handles.append(m.quant["input"].register_forward_hook(input_quant_hook))
    try:
        with torch.no_grad():
            trace.output = model(x)
    except ExportError:
        raise
    except (ValueError, RuntimeError, TypeError) as exc:
        where = f" in layer {stack[-1].layer}" if stack else ""
        raise ExportError(f"running the model in eval mode failed{where}: {exc}") from exc
    finally:
        for h in handles:
            h.remove()
    if not trace.calls:
        raise ExportError("no codesign.nn layer ran; the model has nothing to export")
    return trace


def _walk(module: nn.Module, path: str = "") -> Iterator[tuple[str, nn.Module]]:
    """(path, module) for every module, not descending into layers (their quantizers)."""
    yield path, module
    if isinstance(module, QModule):
        return
    for child_name, child in module.named_children():
        yield from _walk(child, f"{path}.{child_name}" if path else child_name)


def _check_modules(model: nn.Module) -> None:
    """Refuse modules export cannot describe, and quantizers in calibration.

    Raises:
        ExportError: naming the module.
    """
    for path, m in _walk(model):
        where = f"{path or '<model>'!r} ({type(m).__name__})"
        if isinstance(m, (QModule, *_CONTAINERS)):
            continue
        if isinstance(m, Quantizer):
            raise ExportError(f"quantizer {where} is used outside a layer; wrap it in QAct('identity')")
        if type(m).__module__.startswith("torch."):
            raise ExportError(f"unsupported module {where}: only codesign.nn layers can be exported "
                              "(convert float layers with codesign.nn.quantize_model)")
        if any(True for _ in m.parameters(recurse=False)) or any(True for _ in m.buffers(recurse=False)):
            raise ExportError(f"module {where} holds parameters or buffers of its own; only "
                              "codesign.nn layers may compute")
    for path, m in model.named_modules():
        if isinstance(m, Calibratable) and m.calibrating:
            raise ExportError(f"quantizer {path!r} is calibrating; call finish_calibration() first")


# ------------------------------------------------------------------- lowering
@dataclass(frozen=True)
class _InputConvention:
    """How dataset values become the graph input.

    Attributes:
        type: the graph input type.
        shift: the model multiplies dataset values by ``2**-shift`` before the first layer.
        quantized: the first layer's input quantizer rounds the values into ``type``
            (features); otherwise the values must already be exact values of ``type``.
    """

    type: FixedType
    shift: int
    quantized: bool


@dataclass(frozen=True)
class _Lowered:
    """The traced model as IR nodes, with the torch tensor of every node's output.

    Attributes:
        convention: the graph input convention.
        graph_input: the torch tensor the first layer consumed (the graph input's values).
        nodes: IR nodes in topological order (dead branches removed).
        tensors: node name -> the torch eval output ``[B, ...]`` of that node.
        output: the node that is the graph output.
    """

    convention: _InputConvention
    graph_input: torch.Tensor
    nodes: list[IRNode]
    tensors: dict[str, torch.Tensor]
    output: str


class _Arg(NamedTuple):
    """A tensor as a layer's ``ir_node`` sees it."""

    name: str
    type: str
    shape: list[int]


class _Known(NamedTuple):
    """A tensor the IR can name: the graph input or a node output, with its version when
    produced (an in-place change bumps it)."""

    arg: _Arg
    version: int


def _needs_trace(model: nn.Module) -> bool:
    """True when the input type comes from the first layer rather than ``input_spec``."""
    spec = getattr(model, "input_spec", None)
    return spec is None or spec.type is None


def _input_convention(model: nn.Module, first: _Call | None) -> _InputConvention:
    """The graph input convention from ``model.input_spec`` or the first layer.

    Args:
        model: the model.
        first: the first layer call (needed when ``_needs_trace(model)``).

    Raises:
        ExportError: the type cannot be determined.
    """
    spec = getattr(model, "input_spec", None)
    shift = int(getattr(spec, "shift", 0))
    if spec is not None and spec.type is not None:
        return _InputConvention(FixedType.parse(spec.type), shift, quantized=False)
    assert first is not None
    if "input" in first.module.quant:
        t = _single(first.module.quant["input"], f"layer {first.layer} input")  # type: ignore[arg-type]
        return _InputConvention(t, shift, quantized=True)
    if isinstance(first.module, ThermometerEncoder):
        return _InputConvention(first.module.input_type, shift, quantized=False)
    raise ExportError(f"cannot tell the graph input type: give the model an input_spec or let its "
                      f"first layer {first.layer} quantize its input (quantize_input=True)")


def _lower(model: nn.Module, trace: _Trace, x: torch.Tensor) -> _Lowered:
    """Turn the trace into IR nodes.

    Raises:
        ExportError: a layer consumed a tensor no layer produced, the model changed its
            input before the first layer, or a layer cannot describe itself.
    """
    graph_input = trace.calls[0].inputs[0]
    convention = _input_convention(model, trace.calls[0])
    expected = x.to(torch.float64) * 2.0**-convention.shift
    if graph_input.shape != expected.shape or not torch.equal(graph_input.to(torch.float64), expected):
        raise ExportError(f"the model changes its input before the first layer {trace.calls[0].layer} "
                          f"(only the input_spec shift 2**-{convention.shift} is allowed)")
    env = {id(graph_input): _Known(_Arg(GRAPH_INPUT, convention.type.cpp, list(graph_input.shape[1:])),
                                   graph_input._version)}
    names = _NameMaker()
    nodes: list[IRNode] = []
    tensors: dict[str, torch.Tensor] = {}
    for call in trace.calls:
        name = names.make(call.path)
        args = [_resolve(env, t, v, call) for t, v in zip(call.inputs, call.in_versions)]
        cast_type = _input_cast_type(call, args[0].type)
        if cast_type is not None:
            cast = _cast_node(names.make(f"{call.path}.input_cast"), args[0], cast_type)
            nodes.append(cast)
            assert call.input_cast is not None
            tensors[cast.node["name"]] = call.input_cast
            args[0] = _Arg(cast.node["name"], cast.out_type, cast.shape)
        node = _describe(call, name, args)
        nodes.append(node)
        assert call.output is not None
        tensors[name] = call.output
        env[id(call.output)] = _Known(_Arg(name, node.out_type, node.shape), call.out_version)
    output = _output_name(trace, env)
    live = _live_nodes(nodes, output)
    return _Lowered(convention, graph_input, [n for n in nodes if n.node["name"] in live], tensors, output)


def _resolve(env: dict[int, _Known], t: torch.Tensor, version: int, call: _Call) -> _Arg:
    """The IR view of a tensor a layer consumes.

    Raises:
        ExportError: the tensor is not the graph input or an unmodified layer output.
    """
    known = env.get(id(t))
    if known is None:
        raise ExportError(f"layer {call.layer} consumes a tensor that no codesign.nn layer produced: a "
                          "plain torch operation between layers changes values the IR cannot "
                          "describe (use codesign.nn layers for every computation)")
    if version != known.version:
        raise ExportError(f"layer {call.layer} consumes {known.arg.name!r} after an in-place change; "
                          "the IR cannot describe it")
    return known.arg


def _input_cast_type(call: _Call, in_type: str) -> FixedType | None:
    """The type of the layer's input quantizer where it changes the incoming type (the IR
    needs a cast node there); None where it is the identity or there is none."""
    if "input" not in call.module.quant:
        return None
    in_t = parse_type(in_type)
    if in_t is None:
        return None  # a binary input: the layer's ir_node refuses it
    q_t = _single(call.module.quant["input"], f"layer {call.layer} input")  # type: ignore[arg-type]
    return None if holds(q_t, in_t) else q_t


def _cast_node(name: str, arg: _Arg, out_t: FixedType) -> IRNode:
    """A pure cast of ``arg`` to ``out_t``: a hardtanh over the input's full raw range."""
    in_t = parse_type(arg.type)
    assert in_t is not None
    attrs = {"min_raw": in_t.raw_min, "max_raw": in_t.raw_max}
    return make_ir_node("hardtanh", name, [arg.name], arg.shape, out_t.cpp, attrs)


def _describe(call: _Call, name: str, args: list[_Arg]) -> IRNode:
    """The layer's own IR node; its ValueErrors become ExportErrors naming the layer."""
    try:
        return call.module.ir_node(name, [a.name for a in args], [a.type for a in args], [a.shape for a in args])
    except ValueError as exc:
        raise ExportError(f"layer {call.layer} cannot be exported: {exc}") from exc


def _single(q: Quantizer, where: str) -> FixedType:
    """``single_type`` with its error as an ExportError."""
    try:
        return single_type(q, where)
    except ValueError as exc:
        raise ExportError(str(exc)) from exc


def _output_name(trace: _Trace, env: dict[int, _Known]) -> str:
    """The node producing the model's output.

    Raises:
        ExportError: the output is not one unmodified layer output.
    """
    out = trace.output
    known = env.get(id(out)) if isinstance(out, torch.Tensor) else None
    if known is None or known.arg.name == GRAPH_INPUT:
        raise ExportError("the model's output is not the output of a codesign.nn layer (a plain torch "
                          "operation after the last layer, or a non-tensor output)")
    if out._version != known.version:
        raise ExportError(f"the model's output {known.arg.name!r} was changed in place after its layer")
    return known.arg.name


def _live_nodes(nodes: list[IRNode], output: str) -> set[str]:
    """Names of the nodes the output depends on."""
    inputs = {n.node["name"]: n.node["inputs"] for n in nodes}
    live: set[str] = set()
    todo = [output]
    while todo:
        name = todo.pop()
        if name in live or name not in inputs:
            continue
        live.add(name)
        todo.extend(inputs[name])
    return live


class _NameMaker:
    """Unique C++-safe node names derived from module paths."""

    def __init__(self) -> None:
        self._used = {GRAPH_INPUT}

    def make(self, path: str) -> str:
        """A new unique identifier for the module at ``path``."""
        base = _identifier(path)
        name, n = base, 2
        while name in self._used:
            name, n = f"{base}_{n}", n + 1
        self._used.add(name)
        return name


def _identifier(text: str) -> str:
    """A C++-safe identifier from a module path or model name: ``body.0.conv`` -> ``body_0_conv``,
    ``1.add`` -> ``layer1_add``; keywords get a ``_layer`` suffix."""
    name = re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_")
    if not name or name[0].isdigit():
        name = f"layer{name}"
    return f"{name}_layer" if name in CPP_KEYWORDS else name


def _default_name(model: nn.Module) -> str:
    spec = getattr(model, "model_spec", None)
    if isinstance(spec, dict) and isinstance(spec.get("name"), str):
        return spec["name"]
    return type(model).__name__.lower()


# ----------------------------------------------------------------- graph, compare
def _build_graph(name: str, lowered: _Lowered) -> ir.Graph:
    """Validate the nodes as one graph.

    Raises:
        ExportError: the IR checks fail (wrapping the IRError).
    """
    shape = list(lowered.graph_input.shape[1:])
    data = {
        "schema_version": ir.SCHEMA_VERSION,
        "name": name,
        "inputs": [{"name": GRAPH_INPUT, "shape": shape, "type": lowered.convention.type.cpp}],
        "outputs": [lowered.output],
        "nodes": [n.node for n in lowered.nodes],
    }
    arrays = {k: v for n in lowered.nodes for k, v in n.arrays.items()}
    try:
        return ir.Graph.from_dict(data, arrays, source=f"export of {name}")
    except ir.IRError as exc:
        raise ExportError(f"the exported graph is invalid: {exc}") from exc


def _as_input(model: nn.Module, x: torch.Tensor | np.ndarray) -> torch.Tensor:
    """Dataset values as a floating tensor on the model's device (integers become float32)."""
    t = torch.as_tensor(x)
    if not t.is_floating_point():
        t = t.to(torch.float32)
    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    return t.to(device)


def _raw_from_values(values: torch.Tensor, convention: _InputConvention) -> np.ndarray:
    """Raw integers of the graph input from its values (already scaled by ``2**-shift``).

    Raises:
        ExportError: exact inputs that are off the type's grid or out of range.
    """
    t = convention.type
    v = values.detach().to(torch.float64).cpu()
    if convention.quantized:
        return to_raw(v, t).numpy()
    scaled = torch.ldexp(v, torch.tensor(t.frac_bits, dtype=torch.float64))
    bad = (scaled != torch.round(scaled)) | (scaled < t.raw_min) | (scaled > t.raw_max)
    if bool(bad.any()):
        index = tuple(int(i) for i in torch.nonzero(bad)[0])
        value = float(v[index]) * 2.0**convention.shift
        raise ExportError(f"input value {value:g} at {list(index)} is not a raw integer of the graph "
                          f"input type {t} (times 2**{convention.shift}): expected integers in "
                          f"[{t.raw_min}, {t.raw_max}]")
    return scaled.to(torch.int64).numpy()


def _compare(graph: ir.Graph, lowered: _Lowered, raw: np.ndarray) -> Comparison:
    """Run ``graph`` on ``raw`` and compare its taps and outputs with the torch tensors.

    Raises:
        ExportError: a graph node that the traced model does not have.
    """
    result = ir.run(graph, raw)
    checks: list[tuple[str, torch.Tensor, np.ndarray, str]] = []
    for node in graph.nodes:
        if node.name not in lowered.tensors:
            raise ExportError(f"graph {graph.name!r} has node {node.name!r}, which the model does not "
                              "produce; was it exported from this model?")
        checks.append((node.name, lowered.tensors[node.name], result.taps[node.name], str(node.out_type)))
    for out in graph.outputs:
        checks.append((f"output {out}", lowered.tensors[lowered.output], result.outputs[out],
                       str(graph.node(out).out_type)))
    mismatches = 0
    first: Mismatch | None = None
    for name, tensor, ir_raw, type_text in checks:
        count, where = _compare_tap(name, tensor, ir_raw, type_text)
        mismatches += count
        first = first or where
    return Comparison(int(raw.shape[0]), len(checks), mismatches, first)


def _compare_tap(name: str, tensor: torch.Tensor, ir_raw: np.ndarray, type_text: str) -> tuple[int, Mismatch | None]:
    """(mismatching elements, first mismatch) of one tap; torch values become raw units of the type."""
    values = tensor.detach().to(torch.float64).cpu().numpy()
    if values.size != ir_raw.size:
        raise ExportError(f"node {name!r}: torch gives {values.shape}, the IR {ir_raw.shape}")
    values = values.reshape(ir_raw.shape)
    t = parse_type(type_text) if type_text != BINARY else None
    scaled = values if t is None else np.ldexp(values, t.frac_bits)
    bad = scaled != ir_raw.astype(np.float64)
    count = int(bad.sum())
    if count == 0:
        return 0, None
    pos = np.unravel_index(int(np.flatnonzero(bad)[0]), bad.shape)
    sample, index = int(pos[0]), tuple(int(i) for i in pos[1:])
    return count, Mismatch(name, sample, index, int(ir_raw[pos]), float(scaled[pos]), type_text)
