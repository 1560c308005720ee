"""Semantic checks of an IR graph: every failure is an ``IRError`` naming file, node and field.

Checked: identifiers (C++-safe, not keywords, unique), topological order, known ops,
attributes present and typed, parameters present with the declared shape, an integer
dtype and values inside their type, type widths (<= 53 bits), output shapes equal to
what the op computes, and accumulators wide enough for the op's worst case.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any

import numpy as np

from codesign.fixed.types import FixedType, product_raw_range, type_for_raw_range
from codesign.ir.errors import Where
from codesign.ir.graph import BinaryType, Graph, Node, TensorType
from codesign.ir.ops import MAX_TYPE_WIDTH, OPS, OpSpec, pool_value_range, power_of_two_exponent

IDENTIFIER_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

CPP_KEYWORDS = frozenset("""
alignas alignof and and_eq asm auto bitand bitor bool break case catch char char8_t char16_t
char32_t class compl concept const consteval constexpr constinit const_cast continue co_await
co_return co_yield decltype default delete do double dynamic_cast else enum explicit export
extern false float for friend goto if inline int long mutable namespace new noexcept not not_eq
nullptr operator or or_eq private protected public register reinterpret_cast requires return
short signed sizeof static static_assert static_cast struct switch template this thread_local
throw true try typedef typeid typename union unsigned using virtual void volatile wchar_t while
xor xor_eq main NULL assert
""".split())
"""C++20 keywords and alternative tokens, plus names a generated file must not redefine."""


def check_identifier(name: str, where: Where, field_name: str) -> None:
    """A C++-safe identifier: ``[A-Za-z_][A-Za-z0-9_]*``, not a keyword, not reserved.

    Raises:
        IRError: naming the offending name.
    """
    if not IDENTIFIER_RE.fullmatch(name):
        raise where.error(f"{name!r} is not a valid identifier (use [A-Za-z_][A-Za-z0-9_]*)",
                          field_name)
    if name in CPP_KEYWORDS:
        raise where.error(f"{name!r} is a C++ keyword and cannot name a tensor", field_name)
    if "__" in name or re.match(r"_[A-Z]", name):
        raise where.error(f"{name!r} is reserved in C++ (contains '__' or starts with '_' and "
                          "a capital)", field_name)


def validate_graph(graph: Graph, arrays: Mapping[str, Any], source: str,
                   tensors_source: str | None = None) -> Graph:
    """Check ``graph`` with its raw arrays and return it with read-only int64 params.

    Args:
        graph: the parsed graph (its ``params`` are ignored).
        arrays: raw integer arrays by ``"<node>.<param>"``.
        source: the model file name for messages.
        tensors_source: the tensors file name for messages (default ``source``).

    Raises:
        IRError: the first problem found.
    """
    where = Where(source)
    tensors = Where(tensors_source or source)
    check_identifier(graph.name, where, "name")
    if not graph.inputs:
        raise where.error("a graph needs at least one input", "inputs")
    if not graph.nodes:
        raise where.error("a graph needs at least one node", "nodes")
    types: dict[str, TensorType] = {}
    shapes: dict[str, tuple[int, ...]] = {}
    later = {n.name for n in graph.nodes}
    for gi in graph.inputs:
        w = where.at(gi.name)
        check_identifier(gi.name, w, "name")
        _check_type_width(gi.type, w, "type")
        if gi.name in types:
            raise w.error("duplicate name", "name")
        types[gi.name], shapes[gi.name] = gi.type, gi.shape
    params: dict[str, np.ndarray] = {}
    for node in graph.nodes:
        w = where.at(node.name)
        check_identifier(node.name, w, "name")
        if node.name in types:
            raise w.error("duplicate name (graph inputs and nodes share one namespace)", "name")
        later.discard(node.name)
        for i, name in enumerate(node.inputs):
            if name not in types:
                reason = ("is defined after this node; nodes must be topologically ordered"
                          if name in later else "names no graph input or earlier node")
                raise w.error(f"input {name!r} {reason}", f"inputs[{i}]")
        node_params = _check_params(node, arrays, w, tensors.at(node.name))
        params.update({f"{node.name}.{k}": v for k, v in node_params.items()})
        checker = _NodeChecker(node, w, [types[n] for n in node.inputs],
                               [shapes[n] for n in node.inputs], node_params)
        shape = checker.run()
        if shape != node.shape:
            raise w.error(f"declared shape {list(node.shape)} but the op computes {list(shape)}",
                          "shape")
        types[node.name], shapes[node.name] = node.out_type, node.shape
    if not graph.outputs:
        raise where.error("a graph needs at least one output", "outputs")
    for i, name in enumerate(graph.outputs):
        if name not in types:
            raise where.error(f"{name!r} names no graph input or node", f"outputs[{i}]")
        if graph.outputs.index(name) != i:
            raise where.error(f"{name!r} is listed twice", f"outputs[{i}]")
    unused = sorted(set(arrays) - set(params))
    if unused:
        raise tensors.error(f"tensor {unused[0]!r} belongs to no node parameter")
    return replace(graph, params=MappingProxyType(params))


def _check_type_width(t: TensorType, w: Where, field_name: str) -> None:
    if isinstance(t, FixedType) and t.width > MAX_TYPE_WIDTH:
        raise w.error(f"{t} is {t.width} bits wide; the IR allows at most {MAX_TYPE_WIDTH} "
                      "(exact in float64)", field_name)


def _check_params(node: Node, arrays: Mapping[str, Any], w: Where, tw: Where) -> dict[str, np.ndarray]:
    """The node's arrays as read-only int64, checked against their ParamSpecs."""
    spec = OPS.get(node.op)
    if spec is None:
        raise w.error(f"unknown op {node.op!r} (known: {', '.join(sorted(OPS))})", "op")
    allowed = (*spec.params, *spec.optional_params)
    for key in node.params:
        if key not in allowed:
            raise w.error(f"op {node.op} has no parameter {key!r} (allowed: "
                          f"{', '.join(allowed) or 'none'})", f"params.{key}")
    for key in spec.params:
        if key not in node.params:
            raise w.error(f"op {node.op} requires parameter {key!r}", f"params.{key}")
    out = {}
    for key, ps in node.params.items():
        f = f"params.{key}"
        _check_type_width(ps.type, w, f"{f}.type")
        name = f"{node.name}.{key}"
        if name not in arrays:
            raise tw.error(f"tensor {name!r} is missing", f)
        arr = arrays[name]
        if not isinstance(arr, np.ndarray):
            try:
                arr = np.asarray(arr)
            except (ValueError, TypeError) as exc:
                raise tw.error(f"tensor {name!r} is not an array: {exc}", f) from None
        if arr.dtype.kind not in "iu":
            raise tw.error(f"tensor {name!r} has dtype {arr.dtype}; raw integers are required", f)
        if tuple(arr.shape) != ps.shape:
            raise tw.error(f"tensor {name!r} has shape {list(arr.shape)}, declared "
                           f"{list(ps.shape)}", f)
        if arr.dtype == np.uint64 and arr.size and int(arr.max()) > np.iinfo(np.int64).max:
            raise tw.error(f"tensor {name!r} holds values beyond int64", f)
        raw = arr.astype(np.int64)
        if raw.size:
            if isinstance(ps.type, BinaryType):
                if not np.isin(raw, (-1, 1)).all():
                    raise tw.error(f"tensor {name!r} of a binary type holds values other than "
                                   "-1/+1", f)
            else:
                lo, hi = int(raw.min()), int(raw.max())
                if lo < ps.type.raw_min or hi > ps.type.raw_max:
                    raise tw.error(f"tensor {name!r} holds raw values in [{lo}, {hi}], outside "
                                   f"[{ps.type.raw_min}, {ps.type.raw_max}] of {ps.type}", f)
        raw.setflags(write=False)
        out[key] = raw
    return out


@dataclass
class _NodeChecker:
    """Checks one node whose op, inputs and params are known to exist."""

    node: Node
    w: Where
    in_types: list[TensorType]
    in_shapes: list[tuple[int, ...]]
    params: dict[str, np.ndarray]

    @property
    def spec(self) -> OpSpec:
        return OPS[self.node.op]

    def run(self) -> tuple[int, ...]:
        """Check the node and return the output shape its op computes."""
        node, spec, w = self.node, self.spec, self.w
        if len(node.inputs) != spec.n_inputs:
            raise w.error(f"op {node.op} takes {spec.n_inputs} input(s), got {len(node.inputs)}",
                          "inputs")
        for i, t in enumerate(self.in_types):
            if spec.input_kind == "fixed" and not isinstance(t, FixedType):
                raise w.error(f"op {node.op} needs a fixed-point input, {node.inputs[i]!r} is "
                              "binary", f"inputs[{i}]")
            if spec.input_kind == "binary" and not isinstance(t, BinaryType):
                raise w.error(f"op {node.op} needs a binary input, {node.inputs[i]!r} is {t}",
                              f"inputs[{i}]")
        self._check_out_type()
        self._check_attrs()
        if spec.acc == "required" and node.acc_type is None:
            raise w.error(f"op {node.op} requires an accumulator type", "acc_type")
        if spec.acc == "none" and node.acc_type is not None:
            raise w.error(f"op {node.op} has no accumulator; remove acc_type", "acc_type")
        if node.acc_type is not None:
            _check_type_width(node.acc_type, w, "acc_type")
        return getattr(self, f"_op_{node.op}")()

    # ------------------------------------------------------------- generic
    def _check_out_type(self) -> None:
        node, kind, t = self.node, self.spec.output_kind, self.node.out_type
        if kind == "binary" and not isinstance(t, BinaryType):
            raise self.w.error(f"op {node.op} outputs a binary tensor; out_type must be 'binary'",
                               "out_type")
        if kind == "fixed" and not isinstance(t, FixedType):
            raise self.w.error(f"op {node.op} outputs a fixed-point tensor, not binary", "out_type")
        if kind == "same":
            src = self.in_types[0]
            same = (isinstance(t, BinaryType) and isinstance(src, BinaryType)) or (
                isinstance(t, FixedType) and isinstance(src, FixedType)
                and (t.width, t.int_bits, t.signed) == (src.width, src.int_bits, src.signed))
            if not same:
                raise self.w.error(f"op {node.op} does not cast: out_type must be the input type "
                                   f"{src}, got {t}", "out_type")
        _check_type_width(t, self.w, "out_type")

    def _check_attrs(self) -> None:
        node, spec = self.node, self.spec
        kinds = {**spec.attrs, **spec.optional_attrs}
        for key in node.attrs:
            if key not in kinds:
                raise self.w.error(f"op {node.op} has no attribute {key!r} (allowed: "
                                   f"{', '.join(kinds) or 'none'})", f"attrs.{key}")
        for key in spec.attrs:
            if key not in node.attrs:
                raise self.w.error(f"op {node.op} requires attribute {key!r}", f"attrs.{key}")
        for key, value in node.attrs.items():
            _check_attr(value, kinds[key], self.w, f"attrs.{key}")

    def attr(self, key: str, default: Any = None) -> Any:
        return self.node.attrs.get(key, default)

    def x(self) -> FixedType:
        t = self.in_types[0]
        assert isinstance(t, FixedType)
        return t

    def ptype(self, key: str) -> TensorType:
        return self.node.params[key].type

    def pshape(self, key: str) -> tuple[int, ...]:
        return self.node.params[key].shape

    def need_param_type(self, key: str, binary: bool) -> FixedType | None:
        t = self.ptype(key)
        if binary and not isinstance(t, BinaryType):
            raise self.w.error(f"op {self.node.op} needs a binary {key}, got {t}", f"params.{key}.type")
        if not binary and not isinstance(t, FixedType):
            raise self.w.error(f"op {self.node.op} needs a fixed-point {key}, got binary",
                               f"params.{key}.type")
        return t if isinstance(t, FixedType) else None

    def need_rank(self, rank: int | None, what: str, min_rank: int = 1) -> tuple[int, ...]:
        shape = self.in_shapes[0]
        if (rank is not None and len(shape) != rank) or len(shape) < min_rank:
            raise self.w.error(f"op {self.node.op} needs a {what} input, {self.node.inputs[0]!r} "
                               f"has shape {list(shape)}", "inputs[0]")
        return shape

    def need_pshape(self, key: str, expected: tuple[int, ...]) -> None:
        if self.pshape(key) != expected:
            raise self.w.error(f"expected shape {list(expected)}, got {list(self.pshape(key))}",
                               f"params.{key}.shape")

    def need_acc(self, terms: list[tuple[int, int, int]], what: str) -> None:
        """acc_type must hold the exact sum of ranges ``(raw_lo, raw_hi, frac_bits)``."""
        frac = max(f for _, _, f in terms)
        # Every partial sum (in any order, zero included) must fit, not only the total.
        lo = sum(min(a, 0) << (frac - f) for a, _, f in terms)
        hi = sum(max(b, 0) << (frac - f) for _, b, f in terms)
        acc = self.node.acc_type
        assert acc is not None
        need = type_for_raw_range(min(lo, 0), max(hi, 0), frac)
        if acc.frac_bits < frac:
            raise self.w.error(f"{acc} has {acc.frac_bits} fractional bits; {what} needs at least "
                               f"{frac} (it would round inside the op); e.g. {need}", "acc_type")
        shift = acc.frac_bits - frac
        if (lo << shift) < acc.raw_min or (hi << shift) > acc.raw_max:
            raise self.w.error(f"{acc} cannot hold the worst case of {what} (values in "
                               f"[{lo * 2.0 ** -frac}, {hi * 2.0 ** -frac}]); it would overflow; "
                               f"e.g. {need}", "acc_type")

    def need_count_fits(self, fan_in: int) -> None:
        t = self.node.out_type
        assert isinstance(t, FixedType)
        if t.raw_min > -fan_in or t.raw_max < fan_in:
            raise self.w.error(f"{t} cannot hold a count in [-{fan_in}, {fan_in}] as its raw value",
                               "out_type")

    def conv_out(self, h: int, w: int) -> tuple[int, int]:
        (kh, kw), (sh, sw), (ph, pw) = self.attr("kernel"), self.attr("stride"), self.attr("padding")
        ho, wo = (h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1
        if h + 2 * ph < kh or w + 2 * pw < kw:
            padded = [h + 2 * ph, w + 2 * pw]
            raise self.w.error(f"kernel {[kh, kw]} is larger than the padded input {padded}",
                               "attrs.kernel")
        return ho, wo

    def product_term(self, a: FixedType, b: FixedType, fan_in: int) -> tuple[int, int, int]:
        lo, hi = product_raw_range(a, b)
        return fan_in * lo, fan_in * hi, a.frac_bits + b.frac_bits

    def bias_term(self, key: str = "bias") -> list[tuple[int, int, int]]:
        if key not in self.node.params:
            return []
        t = self.need_param_type(key, binary=False)
        assert t is not None
        return [(t.raw_min, t.raw_max, t.frac_bits)]

    # ----------------------------------------------------------------- ops
    def _op_thermometer(self) -> tuple[int, ...]:
        shape = self.need_rank(None, "[C, ...]")
        return (shape[0] * len(self.attr("thresholds")), *shape[1:])

    def _op_binary_conv2d(self) -> tuple[int, ...]:
        cin, h, w = self.need_rank(3, "[C, H, W]")
        self.need_param_type("weight", binary=True)
        cout = self.pshape("weight")[0] if self.pshape("weight") else 0
        kh, kw = self.attr("kernel")
        self.need_pshape("weight", (cout, cin, kh, kw))
        self.need_count_fits(cin * kh * kw)
        return (cout, *self.conv_out(h, w))

    def _op_binary_dense(self) -> tuple[int, ...]:
        (n,) = self.need_rank(1, "[N]")
        self.need_param_type("weight", binary=True)
        m = self.pshape("weight")[0] if self.pshape("weight") else 0
        self.need_pshape("weight", (m, n))
        self.need_count_fits(n)
        return (m,)

    def _op_dense(self) -> tuple[int, ...]:
        (n,) = self.need_rank(1, "[N]")
        wt = self.need_param_type("weight", binary=False)
        assert wt is not None
        m = self.pshape("weight")[0] if self.pshape("weight") else 0
        self.need_pshape("weight", (m, n))
        if "bias" in self.node.params:
            self.need_pshape("bias", (m,))
        self.need_acc([self.product_term(self.x(), wt, n), *self.bias_term()],
                      f"a sum of {n} products plus bias")
        return (m,)

    def _op_conv2d(self) -> tuple[int, ...]:
        cin, h, w = self.need_rank(3, "[C, H, W]")
        groups = self.attr("groups", 1)
        wt = self.need_param_type("weight", binary=False)
        assert wt is not None
        cout = self.pshape("weight")[0] if self.pshape("weight") else 0
        if cin % groups or cout % groups:
            raise self.w.error(f"groups={groups} must divide the input channels ({cin}) and the "
                               f"output channels ({cout})", "attrs.groups")
        kh, kw = self.attr("kernel")
        self.need_pshape("weight", (cout, cin // groups, kh, kw))
        if "bias" in self.node.params:
            self.need_pshape("bias", (cout,))
        fan_in = cin // groups * kh * kw
        self.need_acc([self.product_term(self.x(), wt, fan_in), *self.bias_term()],
                      f"a sum of {fan_in} products plus bias")
        return (cout, *self.conv_out(h, w))

    def _op_batchnorm(self) -> tuple[int, ...]:
        shape = self.need_rank(None, "[C, ...]")
        st = self.need_param_type("scale", binary=False)
        assert st is not None
        self.need_pshape("scale", (shape[0],))
        self.need_pshape("bias", (shape[0],))
        self.need_acc([self.product_term(self.x(), st, 1), *self.bias_term()], "x*scale + bias")
        return shape

    def _op_add(self) -> tuple[int, ...]:
        if self.in_shapes[0] != self.in_shapes[1]:
            raise self.w.error(f"inputs have different shapes {list(self.in_shapes[0])} and "
                               f"{list(self.in_shapes[1])}", "inputs")
        terms = []
        for t in self.in_types:
            assert isinstance(t, FixedType)
            terms.append((t.raw_min, t.raw_max, t.frac_bits))
        self.need_acc(terms, "a + b")
        return self.in_shapes[0]

    def _op_relu(self) -> tuple[int, ...]:
        return self.in_shapes[0]

    def _op_hardtanh(self) -> tuple[int, ...]:
        if self.attr("min_raw") > self.attr("max_raw"):
            raise self.w.error(f"min_raw {self.attr('min_raw')} exceeds max_raw "
                               f"{self.attr('max_raw')}", "attrs.min_raw")
        return self.in_shapes[0]

    def _op_sign(self) -> tuple[int, ...]:
        return self.in_shapes[0]

    def _op_prelu(self) -> tuple[int, ...]:
        shape = self.need_rank(None, "[C, ...]")
        st = self.need_param_type("slope", binary=False)
        assert st is not None
        self.need_pshape("slope", (shape[0],))
        x = self.x()
        lo, hi, frac = self.product_term(x, st, 1)
        # acc is x (aligned) where x >= 0 and x*slope elsewhere: it must hold both ranges.
        self.need_acc([(min(lo, 0), max(hi, 0), frac)], "x*slope")
        self.need_acc([(min(x.raw_min, 0), max(x.raw_max, 0), x.frac_bits)], "x")
        return shape

    def _pool(self, window: int, what: str) -> None:
        divisor = self.attr("divisor", window)
        if divisor != window:
            raise self.w.error(f"divisor {divisor} must equal the {what} ({window})", "attrs.divisor")
        has_rec = "reciprocal" in self.node.params
        if power_of_two_exponent(window) is not None and has_rec:
            raise self.w.error(f"the divisor {window} is a power of two (an exact shift); remove "
                               "the reciprocal", "params.reciprocal")
        if power_of_two_exponent(window) is None and not has_rec:
            raise self.w.error(f"the divisor {window} is not a power of two: a scalar parameter "
                               "'reciprocal' is required", "params")
        rec_t = self.need_param_type("reciprocal", binary=False) if has_rec else None
        if rec_t is not None:
            self.need_pshape("reciprocal", ())
        rec_raw = int(self.params["reciprocal"]) if has_rec else None
        value = pool_value_range(self.x(), window, rec_raw, rec_t.frac_bits if rec_t else 0)
        if self.node.acc_type is not None:
            self.need_acc([value], "the pooled value")
        elif type_for_raw_range(*value).width > MAX_TYPE_WIDTH:
            raise self.w.error(f"the exact pooled value needs {type_for_raw_range(*value)}, wider "
                               f"than {MAX_TYPE_WIDTH} bits", "inputs[0]")

    def _op_avgpool2d(self) -> tuple[int, ...]:
        c, h, w = self.need_rank(3, "[C, H, W]")
        kh, kw = self.attr("kernel")
        if h % kh or w % kw:
            raise self.w.error(f"kernel {[kh, kw]} must divide the input size {[h, w]} (stride = "
                               "kernel, no padding)", "attrs.kernel")
        self._pool(kh * kw, "window size kh*kw")
        return (c, h // kh, w // kw)

    def _op_global_avgpool(self) -> tuple[int, ...]:
        c, h, w = self.need_rank(3, "[C, H, W]")
        if self.attr("kernel", (h, w)) != (h, w):
            raise self.w.error(f"the window of a global pool is the input size {[h, w]}, got "
                               f"{list(self.attr('kernel'))}", "attrs.kernel")
        self._pool(h * w, "input size H*W")
        return (c,)

    def _op_flatten(self) -> tuple[int, ...]:
        return (int(np.prod(self.in_shapes[0])),)


def _is_int(v: Any) -> bool:
    """An int (not a bool) that int64 arithmetic handles with room to spare."""
    return type(v) is int and -(1 << 62) <= v < (1 << 62)


def _is_pair(v: Any, low: int) -> bool:
    return isinstance(v, tuple) and len(v) == 2 and all(_is_int(e) and e >= low for e in v)


def _is_ascending(v: Any) -> bool:
    return (isinstance(v, tuple) and len(v) >= 1 and all(_is_int(e) for e in v)
            and all(a < b for a, b in zip(v, v[1:])))


_ATTR_CHECKS: Mapping[str, tuple[Callable[[Any], bool], str]] = MappingProxyType({
    "int": (_is_int, "an int of magnitude below 2**62"),
    "pos_int": (lambda v: _is_int(v) and v >= 1, "an int >= 1"),
    "pos_pair": (lambda v: _is_pair(v, 1), "a list of 2 ints >= 1"),
    "nonneg_pair": (lambda v: _is_pair(v, 0), "a list of 2 ints >= 0"),
    "pm1": (lambda v: _is_int(v) and v in (-1, 1), "-1 or 1"),
    "khot": (lambda v: v is None or (_is_int(v) and v >= 1), "null or an int >= 1"),
    "thresholds": (_is_ascending, "a non-empty list of strictly ascending ints"),
})
"""Attribute kind (ops.ATTR_KINDS) -> (check, what it expects)."""


def _check_attr(value: Any, kind: str, w: Where, field_name: str) -> None:
    check, expected = _ATTR_CHECKS[kind]
    if not check(value):
        raise w.error(f"expected {expected}, got {value!r}", field_name)
