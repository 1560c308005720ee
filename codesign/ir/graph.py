"""The IR graph as frozen dataclasses, and its conversion from and to plain dicts.

The dict form is exactly the JSON of ``model.json`` (docs/ir.md). Building a graph:

>>> g = Graph.from_dict({
...     "schema_version": 1, "name": "tiny",
...     "inputs": [{"name": "x", "shape": [4], "type": "ap_fixed<8,3>"}],
...     "outputs": ["fc"],
...     "nodes": [{"op": "dense", "name": "fc", "inputs": ["x"], "shape": [2],
...                "out_type": "ap_fixed<8,3,AP_RND,AP_SAT>", "acc_type": "ap_fixed<20,8>",
...                "params": {"weight": {"type": "ap_fixed<4,1>", "data": w}}}],
... })                                                                   # doctest: +SKIP

Contract for code that emits nodes (the torch exporter's ``ir_node(...)`` dicts):

- a node dict has the keys ``op``, ``name``, ``inputs``, ``shape``, ``out_type`` and, as the op
  needs them, ``attrs``, ``params`` and ``acc_type`` (docs/ir.md lists them per op);
- types are C++ spellings (``str(FixedType)``) or ``"binary"``; a ``FixedType`` object is
  accepted too;
- ``params[k]`` is ``{"type": ..., "shape": [...]}`` with the raw integers given either in
  ``Graph.from_dict(..., params={"<node>.<k>": array})`` or inline as ``"data": array``
  (then ``shape`` may be left out). Raw integers are int64 (binary: -1/+1);
- ``Graph.from_dict`` checks everything ``ir.load`` checks and raises ``IRError``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Union

import numpy as np

from codesign.fixed.types import FixedType
from codesign.ir.errors import Where

SCHEMA_VERSION = 1
"""The schema version this package reads and writes."""


class BinaryType:
    """The type of a binary tensor: values -1/+1 (raw -1/+1; in hardware one bit, 1 = +1)."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, BinaryType)

    def __hash__(self) -> int:
        return hash("binary")

    def __repr__(self) -> str:
        return "BINARY"

    def __str__(self) -> str:
        return "binary"

    def __reduce__(self) -> str:
        return "BINARY"


BINARY = BinaryType()
"""The binary type marker (every BinaryType compares equal to it)."""

TensorType = Union[FixedType, BinaryType]


def type_to_str(t: TensorType) -> str:
    """The JSON spelling of a tensor type: C++ ``ap_fixed<...>`` or ``binary``."""
    return str(t)


def parse_type(value: Any, where: Where, field_name: str, *, allow_binary: bool = True) -> TensorType:
    """A tensor type from its spelling (or a FixedType / BINARY object).

    Raises:
        IRError: not a string, unparsable, or ``binary`` where it is not allowed.
    """
    if isinstance(value, (FixedType, BinaryType)):
        parsed: TensorType = value
    elif not isinstance(value, str):
        raise where.error(f"expected a type string, got {_kind(value)}", field_name)
    elif value.strip() == "binary":
        parsed = BINARY
    else:
        try:
            parsed = FixedType.parse(value)
        except ValueError as exc:
            raise where.error(str(exc), field_name) from None
    if isinstance(parsed, BinaryType) and not allow_binary:
        raise where.error("a fixed-point type is required here, got binary", field_name)
    return parsed


@dataclass(frozen=True)
class ParamSpec:
    """A constant array of a node (stored in tensors.npz as ``"<node>.<name>"``).

    Attributes:
        type: the type of its raw integers (FixedType, or BINARY for -1/+1 weights).
        shape: its shape (no batch axis); ``()`` for a scalar.
    """

    type: TensorType
    shape: tuple[int, ...]

    def to_dict(self) -> dict[str, Any]:
        """The JSON form ``{"type": ..., "shape": [...]}``."""
        return {"type": type_to_str(self.type), "shape": list(self.shape)}


@dataclass(frozen=True)
class GraphInput:
    """A graph input: raw integers of ``type``, shape ``(batch, *shape)`` at run time."""

    name: str
    shape: tuple[int, ...]
    type: TensorType

    @classmethod
    def from_dict(cls, d: Any, where: Where | None = None) -> "GraphInput":
        """Parse ``{"name", "shape", "type"}``; raises IRError naming the field."""
        where = where or Where("<dict>")
        _check_keys(d, where, required=("name", "shape", "type"), optional=())
        name = _str(d["name"], where, "name")
        where = where.at(name)
        return cls(name, _shape(d["shape"], where, "shape"), parse_type(d["type"], where, "type"))

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {"name": self.name, "shape": list(self.shape), "type": type_to_str(self.type)}


@dataclass(frozen=True)
class Node:
    """One op with one output named after the node.

    Attributes:
        op: the op name (docs/ir.md).
        name: the node (and output) name, a C++ identifier.
        inputs: names of graph inputs or earlier nodes.
        shape: output shape without the batch axis (``[C, H, W]`` or ``[N]``).
        out_type: type of the output's raw integers.
        attrs: op attributes: JSON values, lists frozen to tuples.
        params: constant arrays by parameter name.
        acc_type: accumulator type for ops that accumulate, else None.
    """

    op: str
    name: str
    inputs: tuple[str, ...]
    shape: tuple[int, ...]
    out_type: TensorType
    attrs: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    params: Mapping[str, ParamSpec] = field(default_factory=lambda: MappingProxyType({}))
    acc_type: FixedType | None = None

    @classmethod
    def from_dict(cls, d: Any, where: Where | None = None) -> "Node":
        """Parse one node dict (the JSON form; no inline ``data``).

        Only the form is checked here (fields present and of the right JSON kind);
        ``validate.validate_graph`` checks the op's semantics.

        Args:
            d: the node dict.
            where: the location for messages (default ``<dict>``).

        Raises:
            IRError: naming the node and field.
        """
        where = where or Where("<dict>")
        _check_keys(d, where, required=("op", "name", "inputs", "shape", "out_type"),
                    optional=("attrs", "params", "acc_type"))
        name = _str(d["name"], where, "name")
        where = where.at(name)
        op = _str(d["op"], where, "op")
        inputs_raw = d["inputs"]
        if not isinstance(inputs_raw, list):
            raise where.error(f"expected a list of names, got {_kind(inputs_raw)}", "inputs")
        inputs = tuple(_str(v, where, f"inputs[{i}]") for i, v in enumerate(inputs_raw))
        attrs_raw = d.get("attrs", {})
        if not isinstance(attrs_raw, Mapping):
            raise where.error(f"expected an object, got {_kind(attrs_raw)}", "attrs")
        attrs = {}
        for key, value in attrs_raw.items():
            _str(key, where, "attrs")
            attrs[key] = _freeze(value, where, f"attrs.{key}")
        params_raw = d.get("params", {})
        if not isinstance(params_raw, Mapping):
            raise where.error(f"expected an object, got {_kind(params_raw)}", "params")
        params = {}
        for key, spec in params_raw.items():
            _str(key, where, "params")
            f = f"params.{key}"
            _check_keys(spec, where, required=("type", "shape"), optional=(), field_name=f)
            params[key] = ParamSpec(parse_type(spec["type"], where, f"{f}.type"),
                                    _shape(spec["shape"], where, f"{f}.shape", allow_zero_rank=True))
        acc_raw = d.get("acc_type")
        acc_type = None if acc_raw is None else parse_type(acc_raw, where, "acc_type", allow_binary=False)
        return cls(op, name, inputs, _shape(d["shape"], where, "shape"),
                   parse_type(d["out_type"], where, "out_type"), MappingProxyType(attrs),
                   MappingProxyType(params), acc_type)  # type: ignore[arg-type]

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (keys in the documented order; empty attrs/params left out)."""
        out: dict[str, Any] = {"op": self.op, "name": self.name, "inputs": list(self.inputs),
                               "shape": list(self.shape), "out_type": type_to_str(self.out_type)}
        if self.attrs:
            out["attrs"] = {k: _thaw(v) for k, v in self.attrs.items()}
        if self.params:
            out["params"] = {k: p.to_dict() for k, p in self.params.items()}
        if self.acc_type is not None:
            out["acc_type"] = type_to_str(self.acc_type)
        return out


@dataclass(frozen=True)
class Graph:
    """A validated IR graph with its constant arrays.

    Attributes:
        name: model name (a C++ identifier).
        inputs: graph inputs.
        outputs: names of the nodes (or inputs) that are graph outputs.
        nodes: topologically ordered nodes.
        params: raw int64 arrays by ``"<node>.<param>"`` key (binary: -1/+1), read-only;
            left out of ``==`` (compare arrays with ``np.array_equal``).
        schema_version: always ``SCHEMA_VERSION``.
    """

    name: str
    inputs: tuple[GraphInput, ...]
    outputs: tuple[str, ...]
    nodes: tuple[Node, ...]
    params: Mapping[str, np.ndarray] = field(compare=False, repr=False)
    schema_version: int = SCHEMA_VERSION

    def node(self, name: str) -> Node:
        """The node called ``name``; KeyError when there is none."""
        for n in self.nodes:
            if n.name == name:
                return n
        raise KeyError(name)

    def param(self, node: Node | str, key: str) -> np.ndarray:
        """The raw array of parameter ``key`` of ``node``."""
        node_name = node if isinstance(node, str) else node.name
        return self.params[f"{node_name}.{key}"]

    @classmethod
    def from_dict(cls, d: Any, params: Mapping[str, Any] | None = None, *,
                  source: str = "<dict>", allow_inline_data: bool = True) -> "Graph":
        """Build and fully validate a graph from its dict (JSON) form.

        Args:
            d: the ``model.json`` content as Python objects (see the module docstring).
            params: raw integer arrays by ``"<node>.<param>"`` key.
            source: the file name used in error messages.
            allow_inline_data: accept ``"data"`` arrays inside node param specs.

        Raises:
            IRError: any problem, naming ``source``, the node and the field.
        """
        from codesign.ir.validate import validate_graph

        where = Where(source)
        _check_keys(d, where, required=("schema_version", "name", "inputs", "outputs", "nodes"),
                    optional=())
        version = d["schema_version"]
        if type(version) is not int or version != SCHEMA_VERSION:
            raise where.error(f"unsupported schema version {version!r}; this codesign reads "
                              f"version {SCHEMA_VERSION}", "schema_version")
        name = _str(d["name"], where, "name")
        for key in ("inputs", "outputs", "nodes"):
            if not isinstance(d[key], list):
                raise where.error(f"expected a list, got {_kind(d[key])}", key)
        arrays: dict[str, Any] = dict(params or {})
        node_dicts = []
        for i, nd in enumerate(d["nodes"]):
            if allow_inline_data and isinstance(nd, Mapping):
                nd = _extract_inline_data(nd, arrays, where.at(f"#{i}"))
            node_dicts.append(nd)
        graph = cls(
            name=name,
            inputs=tuple(GraphInput.from_dict(v, where.at(f"inputs[{i}]"))
                         for i, v in enumerate(d["inputs"])),
            outputs=tuple(_str(v, where, f"outputs[{i}]") for i, v in enumerate(d["outputs"])),
            nodes=tuple(Node.from_dict(v, where.at(f"nodes[{i}]")) for i, v in enumerate(node_dicts)),
            params=MappingProxyType({}),
        )
        return validate_graph(graph, arrays, source)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of ``model.json`` (params are not included)."""
        return {"schema_version": self.schema_version, "name": self.name,
                "inputs": [i.to_dict() for i in self.inputs], "outputs": list(self.outputs),
                "nodes": [n.to_dict() for n in self.nodes]}


# ----------------------------------------------------------------- helpers
def _kind(value: Any) -> str:
    return f"{type(value).__name__} {value!r}" if len(repr(value)) <= 40 else type(value).__name__


def _check_keys(d: Any, where: Where, *, required: Sequence[str], optional: Sequence[str],
                field_name: str | None = None) -> None:
    if not isinstance(d, Mapping):
        raise where.error(f"expected an object, got {_kind(d)}", field_name)
    prefix = f"{field_name}." if field_name else ""
    for key in required:
        if key not in d:
            raise where.error("missing", prefix + key)
    unknown = [k for k in d if k not in required and k not in optional]
    if unknown:
        allowed = ", ".join((*required, *optional))
        raise where.error(f"unknown key {str(unknown[0])!r} (allowed: {allowed})", field_name)


def _str(value: Any, where: Where, field_name: str) -> str:
    if not isinstance(value, str):
        raise where.error(f"expected a string, got {_kind(value)}", field_name)
    return value


def _shape(value: Any, where: Where, field_name: str, *, allow_zero_rank: bool = False) -> tuple[int, ...]:
    if not isinstance(value, (list, tuple)):
        raise where.error(f"expected a list of positive ints, got {_kind(value)}", field_name)
    if not value and not allow_zero_rank:
        raise where.error("expected at least one dimension", field_name)
    dims = []
    for v in value:
        if isinstance(v, np.integer):
            v = int(v)
        if type(v) is not int or v < 1:
            raise where.error(f"expected a list of positive ints, got {_kind(value)}", field_name)
        dims.append(v)
    return tuple(dims)


def _freeze(value: Any, where: Where, field_name: str) -> Any:
    """A JSON attribute value made immutable: lists become tuples."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, float):
        return value
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v, where, field_name) for v in value)
    raise where.error(f"attribute values must be JSON numbers, strings, lists or null, got "
                      f"{_kind(value)}", field_name)


def _thaw(value: Any) -> Any:
    return [_thaw(v) for v in value] if isinstance(value, tuple) else value


def _extract_inline_data(nd: Mapping[str, Any], arrays: dict[str, Any], where: Where) -> Mapping[str, Any]:
    """Move ``params[k]["data"]`` arrays of a node dict into ``arrays`` under ``"<node>.<k>"``."""
    params = nd.get("params")
    if not isinstance(params, Mapping) or not any(
            isinstance(s, Mapping) and "data" in s for s in params.values()):
        return nd
    name = nd.get("name")
    if not isinstance(name, str):
        raise where.error(f"expected a string, got {_kind(name)}", "name")
    new_params = {}
    for key, spec in params.items():
        if isinstance(spec, Mapping) and "data" in spec:
            data = np.asarray(spec["data"])
            spec = {k: v for k, v in spec.items() if k != "data"}
            spec.setdefault("shape", list(data.shape))
            arrays[f"{name}.{key}"] = data
        new_params[key] = spec
    return {**nd, "params": new_params}
