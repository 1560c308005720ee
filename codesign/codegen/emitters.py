"""One emitter per IR op: node -> Layer (plain data for the templates).

``EMITTERS`` is the explicit registry. Every emitter receives the node, its input and
output tensors, its parameter arrays and its folding options, and returns a ``Layer``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from codesign.codegen import parallelism
from codesign.codegen.context import (
    Argument,
    AuditEntry,
    Config,
    Constant,
    KhotTable,
    Layer,
    Typedef,
    WeightArray,
)
from codesign.codegen.cpp import type_spelling, value_literals
from codesign.codegen.errors import CodegenError
from codesign.codegen.khot import general_products, khot_table
from codesign.codegen.tensors import Tensor
from codesign.fixed.types import FixedType
from codesign.ir import Node
from codesign.ir.ops import power_of_two_exponent


@dataclass(frozen=True)
class EmitInput:
    """What an emitter gets."""

    node: Node
    inputs: tuple[Tensor, ...]
    output: Tensor
    params: Mapping[str, np.ndarray]
    folding: Mapping[str, int] | None


Emitter = Callable[[EmitInput], Layer]


def _u(name: str, value: int) -> Constant:
    return Constant("unsigned", name, str(int(value)))


def _flag(name: str, value: bool) -> Constant:
    return Constant("bool", name, "true" if value else "false")


def _const_array(name: str, raw: np.ndarray, t: FixedType, type_name: str) -> WeightArray:
    flat = np.asarray(raw).reshape(-1)
    return WeightArray(name, type_name, (len(flat),), (tuple(value_literals(flat, t)),))


def _scalar(name: str, raw: int, t: FixedType, type_name: str) -> WeightArray:
    return WeightArray(name, type_name, (), (tuple(value_literals(np.array([raw]), t)),))


@dataclass(frozen=True)
class _Multiplicand:
    """A layer's constant multiplicand: an array or a K-hot table, its typedef and audit."""

    typedef: Typedef
    array: WeightArray | None
    table: KhotTable | None
    argument: Argument
    products: int
    kind: str


def _multiplicand(e: EmitInput, key: str, suffix: str) -> _Multiplicand:
    node = e.node
    spec = node.params[key]
    t = spec.type
    assert isinstance(t, FixedType)
    raw = e.params[key]
    type_name = f"{node.name}_{suffix}t"
    name = f"{node.name}_{suffix}"
    k = node.attrs.get("khot")
    if k is not None:
        table = khot_table(name, raw, t, int(k), f"node {node.name!r} param {key!r}")
        return _Multiplicand(Typedef(type_name, type_spelling(t)), None, table, Argument(name, table=True), 0, "khot")
    return _Multiplicand(Typedef(type_name, type_spelling(t)), _const_array(name, raw, t, type_name), None,
                         Argument(name), general_products(raw), "general" if general_products(raw) else "none")


def _bias(e: EmitInput, n: int) -> tuple[Typedef, WeightArray]:
    node = e.node
    name, type_name = f"{node.name}_bias", f"{node.name}_biast"
    if "bias" in node.params:
        t = node.params["bias"].type
        assert isinstance(t, FixedType)
        return Typedef(type_name, type_spelling(t)), _const_array(name, e.params["bias"], t, type_name)
    zero_t = FixedType(2, 2)
    return (Typedef(type_name, type_spelling(zero_t)),
            WeightArray(name, type_name, (n,), (tuple(value_literals(np.zeros(n, dtype=np.int64), zero_t)),)))


def _acc(node: Node) -> Typedef:
    assert node.acc_type is not None
    return Typedef(f"{node.name}_acct", type_spelling(node.acc_type))


def _layer(e: EmitInput, kernel: str, constants: list[Constant], typedefs: list[tuple[str, str]],
           layer_typedefs: list[Typedef], arrays: list[WeightArray], tables: list[KhotTable],
           params: list[Argument], *, delay: int = 1, folding: dict[str, int] | None = None,
           audit: AuditEntry = AuditEntry(0, 0, "none")) -> Layer:
    config = Config(f"{e.node.name}_config", tuple(constants), tuple(Typedef(n, t) for n, t in typedefs))
    return Layer(e.node.name, e.node.op, kernel, config, tuple(layer_typedefs), tuple(arrays), tuple(tables),
                 tuple(params), delay, e.inputs[0].pixels, folding or {}, audit)


def _pixels_chan(t: Tensor) -> list[Constant]:
    return [_u("n_pixels", t.pixels), _u("n_chan", t.channels)]


def _audit(m: _Multiplicand, reuse: int = 1, repeat: int = 1) -> AuditEntry:
    products = m.products * repeat
    return AuditEntry(products, math.ceil(m.products / reuse), m.kind)


def emit_dense(e: EmitInput) -> Layer:
    node, x, y = e.node, e.inputs[0], e.output
    n_in, n_out = x.size, y.size
    fold = parallelism.resolve(node.name, node.op, e.folding, n_in=n_in, n_out=n_out, fan_in=n_in)
    rf = fold["reuse_factor"]
    w = _multiplicand(e, "weight", "weights")
    bias_t, bias = _bias(e, n_out)
    return _layer(
        e, "codesign::dense_stream",
        [_u("n_in", n_in), _u("n_out", n_out), _u("reuse_factor", rf), _flag("folded", rf > 1)],
        [("input_t", x.type_name), ("weight_t", w.typedef.name), ("bias_t", bias_t.name),
         ("accum_t", f"{node.name}_acct"), ("output_t", y.type_name)],
        [w.typedef, bias_t, _acc(node)], [a for a in (w.array, bias) if a], [t for t in (w.table,) if t],
        [w.argument, Argument(bias.name)], folding=fold, audit=_audit(w, rf))


def _window_constants(node: Node, x: Tensor, y: Tensor) -> list[Constant]:
    (kh, kw), (sh, sw), (ph, pw) = node.attrs["kernel"], node.attrs["stride"], node.attrs["padding"]
    return [_u("in_height", x.shape[1]), _u("in_width", x.shape[2]), _u("n_chan", x.channels),
            _u("n_filt", y.channels), _u("kernel_h", kh), _u("kernel_w", kw), _u("stride_h", sh),
            _u("stride_w", sw), _u("pad_h", ph), _u("pad_w", pw), _u("out_height", y.shape[1]),
            _u("out_width", y.shape[2])]


def _window_delay(node: Node, x: Tensor) -> int:
    (kh, kw), (sh, _), (_, pw) = node.attrs["kernel"], node.attrs["stride"], node.attrs["padding"]
    padded_w = x.shape[2] + 2 * pw
    return (kh - 1 + sh - 1) * padded_w + kw


def emit_conv2d(e: EmitInput) -> Layer:
    node, x, y = e.node, e.inputs[0], e.output
    groups = int(node.attrs.get("groups", 1))
    depthwise = groups != 1
    if depthwise and not groups == x.channels == y.channels:
        raise CodegenError(f"node {node.name!r}: conv2d supports groups=1 or depthwise (groups = channels)")
    kh, kw = node.attrs["kernel"]
    fold = parallelism.resolve(node.name, node.op, e.folding, n_in=x.channels, n_out=y.channels,
                               fan_in=kh * kw * (1 if depthwise else x.channels))
    w = _multiplicand(e, "weight", "weights")
    bias_t, bias = _bias(e, y.channels)
    return _layer(
        e, "codesign::conv2d",
        [*_window_constants(node, x, y), _flag("depthwise", depthwise), _u("reuse_factor", fold["reuse_factor"])],
        [("input_t", x.type_name), ("weight_t", w.typedef.name), ("bias_t", bias_t.name),
         ("accum_t", f"{node.name}_acct"), ("output_t", y.type_name)],
        [w.typedef, bias_t, _acc(node)], [a for a in (w.array, bias) if a], [t for t in (w.table,) if t],
        [w.argument, Argument(bias.name)], delay=_window_delay(node, x), folding=fold,
        audit=_audit(w, fold["reuse_factor"], y.pixels))


def _pack_binary(name: str, bits: np.ndarray, pe: int, simd: int) -> WeightArray:
    """Binary weights [n_out, fan_in] (+-1) in the PE x SIMD layout of codesign/binary.h."""
    n_out, fan_in = bits.shape
    nf_total, sf_total = n_out // pe, fan_in // simd
    ones = (bits > 0).astype(np.int64)
    rows = []
    for p in range(pe):
        words = []
        for nf in range(nf_total):
            for sf in range(sf_total):
                chunk = ones[nf * pe + p, sf * simd:(sf + 1) * simd]
                words.append(sum(int(b) << i for i, b in enumerate(chunk)))
        rows.append(tuple(words))
    return WeightArray(name, "", (pe, nf_total * sf_total), tuple(rows), word_bits=simd)


def emit_binary_conv2d(e: EmitInput) -> Layer:
    node, x, y = e.node, e.inputs[0], e.output
    kh, kw = node.attrs["kernel"]
    fan_in = kh * kw * x.channels
    fold = parallelism.resolve(node.name, node.op, e.folding, n_in=x.channels, n_out=y.channels, fan_in=fan_in)
    w = np.asarray(e.params["weight"])  # [M, C, kh, kw] -> fan-in order (ky, kx, c)
    packed = _pack_binary(f"{node.name}_weights", w.transpose(0, 2, 3, 1).reshape(w.shape[0], fan_in),
                          fold["pe"], fold["simd"])
    return _layer(
        e, "codesign::binary_conv2d",
        [*_window_constants(node, x, y), Constant("int", "pad_value", str(int(node.attrs["pad_value"]))),
         _u("pe", fold["pe"]), _u("simd", fold["simd"])],
        [("output_t", y.type_name)], [], [packed], [], [Argument(packed.name)],
        delay=_window_delay(node, x), folding=fold, audit=AuditEntry(0, 0, "binary"))


def emit_binary_dense(e: EmitInput) -> Layer:
    node, x, y = e.node, e.inputs[0], e.output
    fold = parallelism.resolve(node.name, node.op, e.folding, n_in=x.size, n_out=y.size, fan_in=x.size)
    packed = _pack_binary(f"{node.name}_weights", np.asarray(e.params["weight"]), fold["pe"], fold["simd"])
    return _layer(
        e, "codesign::binary_dense_stream",
        [_u("n_in", x.size), _u("n_out", y.size), _u("pe", fold["pe"]), _u("simd", fold["simd"])],
        [("output_t", y.type_name)], [], [packed], [], [Argument(packed.name)], folding=fold,
        audit=AuditEntry(0, 0, "binary"))


def _scaled(e: EmitInput, key: str, suffix: str, kernel: str, type_key: str, bias: bool) -> Layer:
    node, x, y = e.node, e.inputs[0], e.output
    m = _multiplicand(e, key, suffix)
    typedefs = [("input_t", x.type_name), (type_key, m.typedef.name)]
    layer_typedefs = [m.typedef, _acc(node)]
    arrays = [m.array] if m.array else []
    args = [m.argument]
    if bias:
        bias_t, bias_array = _bias(e, x.channels)
        typedefs.append(("bias_t", bias_t.name))
        layer_typedefs.append(bias_t)
        arrays.append(bias_array)
        args.append(Argument(bias_array.name))
    typedefs += [("accum_t", f"{node.name}_acct"), ("output_t", y.type_name)]
    return _layer(e, kernel, _pixels_chan(x), typedefs, layer_typedefs, arrays, [t for t in (m.table,) if t],
                  args, audit=_audit(m, 1, x.pixels))


def emit_batchnorm(e: EmitInput) -> Layer:
    return _scaled(e, "scale", "scale", "codesign::batchnorm", "scale_t", bias=True)


def emit_prelu(e: EmitInput) -> Layer:
    return _scaled(e, "slope", "slope", "codesign::prelu", "slope_t", bias=False)


def emit_add(e: EmitInput) -> Layer:
    node, (a, b), y = e.node, e.inputs, e.output
    return _layer(e, "codesign::add", _pixels_chan(a),
                  [("input1_t", a.type_name), ("input2_t", b.type_name), ("accum_t", f"{node.name}_acct"),
                   ("output_t", y.type_name)], [_acc(node)], [], [], [])


def emit_relu(e: EmitInput) -> Layer:
    x, y = e.inputs[0], e.output
    return _layer(e, "codesign::relu", _pixels_chan(x), [("input_t", x.type_name), ("output_t", y.type_name)],
                  [], [], [], [])


def emit_hardtanh(e: EmitInput) -> Layer:
    node, x, y = e.node, e.inputs[0], e.output
    # Bounds outside the input's range clamp nothing: clip them to it (same result, and
    # the kernel can hold them in the input type).
    lo = min(max(int(node.attrs["min_raw"]), x.fixed.raw_min), x.fixed.raw_max)
    hi = min(max(int(node.attrs["max_raw"]), x.fixed.raw_min), x.fixed.raw_max)
    return _layer(e, "codesign::hardtanh",
                  [*_pixels_chan(x), Constant("long long", "min_raw", f"{lo}LL"),
                   Constant("long long", "max_raw", f"{hi}LL")],
                  [("input_t", x.type_name), ("output_t", y.type_name)], [], [], [], [])


def emit_sign(e: EmitInput) -> Layer:
    x = e.inputs[0]
    return _layer(e, "codesign::sign", _pixels_chan(x), [("input_t", x.type_name)], [], [], [], [])


def emit_thermometer(e: EmitInput) -> Layer:
    node, x = e.node, e.inputs[0]
    thresholds = [int(t) for t in node.attrs["thresholds"]]
    t = x.fixed
    if thresholds[0] < t.raw_min or thresholds[-1] > t.raw_max:
        raise CodegenError(f"node {node.name!r}: thresholds must lie in the input's raw range "
                           f"[{t.raw_min}, {t.raw_max}]")
    array = _const_array(f"{node.name}_thresholds", np.array(thresholds), t, x.type_name)
    return _layer(e, "codesign::thermometer", [*_pixels_chan(x), _u("n_thresholds", len(thresholds))],
                  [("input_t", x.type_name)], [], [array], [], [Argument(array.name)])


def _sum_type(x: FixedType, window: int) -> FixedType:
    grow = max(0, math.ceil(math.log2(window)))
    return FixedType(x.width + grow, x.int_bits + grow, x.signed)


def _pool(e: EmitInput, kernel: str, window: int, constants: list[Constant], delay: int) -> Layer:
    node, x, y = e.node, e.inputs[0], e.output
    log2 = power_of_two_exponent(window)
    typedefs = [("input_t", x.type_name), ("accum_t", f"{node.name}_sumt"), ("output_t", y.type_name)]
    layer_typedefs = [Typedef(f"{node.name}_sumt", type_spelling(_sum_type(x.fixed, window)))]
    arrays, tables, args, audit = [], [], [], AuditEntry(0, 0, "none")
    if log2 is None:
        spec = node.params["reciprocal"]
        assert isinstance(spec.type, FixedType)
        recip_t = Typedef(f"{node.name}_recipt", type_spelling(spec.type))
        product_t = _acc(node)
        typedefs += [("reciprocal_t", recip_t.name), ("product_t", product_t.name)]
        layer_typedefs += [recip_t, product_t]
        if node.attrs.get("khot") is not None:  # shifts and adds (codesign/khot.h)
            recip = _multiplicand(e, "reciprocal", "recip")
            assert recip.table is not None
            tables.append(recip.table)
            args.append(recip.argument)
            audit = AuditEntry(0, 0, "khot")
        else:
            raw = int(np.asarray(e.params["reciprocal"]).reshape(-1)[0])
            arrays.append(_scalar(f"{node.name}_reciprocal", raw, spec.type, recip_t.name))
            args.append(Argument(f"{node.name}_reciprocal"))
            products = general_products(np.array([raw])) * x.channels * y.pixels
            audit = AuditEntry(products, x.channels if products else 0, "general" if products else "none")
    constants = [*constants, Constant("int", "divisor_log2", str(-1 if log2 is None else log2))]
    return _layer(e, kernel, constants, typedefs, layer_typedefs, arrays, tables, args, delay=delay, audit=audit)


def emit_avgpool2d(e: EmitInput) -> Layer:
    x = e.inputs[0]
    kh, kw = e.node.attrs["kernel"]
    return _pool(e, "codesign::avgpool2d",
                 kh * kw, [_u("in_height", x.shape[1]), _u("in_width", x.shape[2]), _u("n_chan", x.channels),
                           _u("pool_h", kh), _u("pool_w", kw)], delay=(kh - 1) * x.shape[2] + kw)


def emit_global_avgpool(e: EmitInput) -> Layer:
    x = e.inputs[0]
    return _pool(e, "codesign::global_avgpool", x.pixels,
                 [_u("in_height", x.shape[1]), _u("in_width", x.shape[2]), _u("n_chan", x.channels)],
                 delay=x.pixels)


def emit_flatten(e: EmitInput) -> Layer:
    x = e.inputs[0]
    if x.binary:
        return _layer(e, "codesign::flatten_binary_stream", _pixels_chan(x), [], [], [], [], [], delay=x.pixels)
    return _layer(e, "codesign::flatten_stream", _pixels_chan(x), [("input_t", x.type_name)], [], [], [], [],
                  delay=x.pixels)


EMITTERS: Mapping[str, Emitter] = {
    "thermometer": emit_thermometer,
    "binary_conv2d": emit_binary_conv2d,
    "binary_dense": emit_binary_dense,
    "dense": emit_dense,
    "conv2d": emit_conv2d,
    "batchnorm": emit_batchnorm,
    "add": emit_add,
    "relu": emit_relu,
    "hardtanh": emit_hardtanh,
    "sign": emit_sign,
    "prelu": emit_prelu,
    "avgpool2d": emit_avgpool2d,
    "global_avgpool": emit_global_avgpool,
    "flatten": emit_flatten,
}
"""Op name -> emitter (every op of docs/ir.md)."""
