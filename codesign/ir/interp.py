"""The reference interpreter: every op of docs/ir.md on raw integers, numpy int64, batched.

Tensors are raw integers with the batch axis first: ``(B, *shape)``. Fixed-point tensors
hold ``raw`` meaning ``raw * 2**-F``; binary tensors hold -1/+1. Convolutions run as
im2col + matmul in int64 (exact: ``ir.load`` guarantees every accumulator fits 53 bits).
The only place where values change is ``cast_raw`` at an op's output.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from codesign.fixed.rawcast import align_raw, cast_raw
from codesign.fixed.types import FixedType, type_for_raw_range
from codesign.ir.errors import IRError
from codesign.ir.graph import BinaryType, Graph, Node, TensorType
from codesign.ir.ops import pool_value_range


@dataclass(frozen=True)
class RunResult:
    """What ``run`` returns.

    Attributes:
        outputs: raw int64 arrays ``(B, *shape)`` of the graph outputs, by name.
        taps: raw int64 arrays ``(B, *shape)`` of every node's output, by node name.
    """

    outputs: Mapping[str, np.ndarray]
    taps: Mapping[str, np.ndarray]


def run(graph: Graph, inputs: Mapping[str, np.ndarray] | np.ndarray) -> RunResult:
    """Run ``graph`` on a batch of raw integer inputs.

    Args:
        graph: a validated graph (from ``ir.load`` or ``Graph.from_dict``).
        inputs: raw integers by graph-input name, each ``(B, *shape)`` with one batch size;
            or a single array when the graph has one input.

    Returns:
        RunResult with the outputs and per-node taps (int64).

    Raises:
        IRError: a missing, unknown, misshaped or out-of-range input.
    """
    env = _bind_inputs(graph, inputs)
    types: dict[str, TensorType] = {gi.name: gi.type for gi in graph.inputs}
    taps: dict[str, np.ndarray] = {}
    for node in graph.nodes:
        args = [env[name] for name in node.inputs]
        arg_types = [types[name] for name in node.inputs]
        out = _KERNELS[node.op](_Ctx(graph, node, arg_types), *args)
        env[node.name] = taps[node.name] = out
        types[node.name] = node.out_type
    outputs = {name: env[name] for name in graph.outputs}
    return RunResult(MappingProxyType(outputs), MappingProxyType(taps))


def _bind_inputs(graph: Graph, inputs: Mapping[str, np.ndarray] | np.ndarray) -> dict[str, np.ndarray]:
    if not isinstance(inputs, Mapping):
        if len(graph.inputs) != 1:
            names = ", ".join(gi.name for gi in graph.inputs)
            raise IRError(f"graph {graph.name!r} has {len(graph.inputs)} inputs ({names}); pass "
                          "a dict of arrays")
        inputs = {graph.inputs[0].name: inputs}
    known = {gi.name for gi in graph.inputs}
    for name in inputs:
        if name not in known:
            raise IRError(f"unknown input {name!r} (graph inputs: {', '.join(sorted(known))})")
    env: dict[str, np.ndarray] = {}
    batch = None
    for gi in graph.inputs:
        if gi.name not in inputs:
            raise IRError(f"input {gi.name!r} is missing")
        x = np.asarray(inputs[gi.name])
        if x.dtype.kind not in "iub":
            raise IRError(f"input {gi.name!r} has dtype {x.dtype}; raw integers are required")
        if x.shape[1:] != gi.shape or x.ndim != len(gi.shape) + 1:
            raise IRError(f"input {gi.name!r} has shape {list(x.shape)}; expected "
                          f"[batch, {', '.join(map(str, gi.shape))}]")
        if batch is not None and x.shape[0] != batch:
            raise IRError(f"input {gi.name!r} has batch size {x.shape[0]}, others {batch}")
        batch = x.shape[0]
        x = x.astype(np.int64)
        if x.size:
            lo, hi = int(x.min()), int(x.max())
            if isinstance(gi.type, BinaryType):
                if not np.isin(x, (-1, 1)).all():
                    raise IRError(f"input {gi.name!r} is binary: values must be -1/+1")
            elif lo < gi.type.raw_min or hi > gi.type.raw_max:
                raise IRError(f"input {gi.name!r} holds raw values in [{lo}, {hi}], outside "
                              f"[{gi.type.raw_min}, {gi.type.raw_max}] of {gi.type}")
        env[gi.name] = x
    return env


@dataclass(frozen=True)
class _Ctx:
    """A node being run, with its input types and parameter lookup."""

    graph: Graph
    node: Node
    in_types: list[TensorType]

    def fixed_in(self, i: int = 0) -> FixedType:
        t = self.in_types[i]
        assert isinstance(t, FixedType)
        return t

    def param(self, key: str) -> np.ndarray:
        return self.graph.param(self.node, key)

    def ptype(self, key: str) -> FixedType:
        t = self.node.params[key].type
        assert isinstance(t, FixedType)
        return t

    @property
    def acc(self) -> FixedType:
        assert self.node.acc_type is not None
        return self.node.acc_type

    @property
    def out(self) -> FixedType:
        t = self.node.out_type
        assert isinstance(t, FixedType)
        return t

    def finish(self, acc: np.ndarray, acc_frac: int, bias_key: str | None = "bias") -> np.ndarray:
        """Align ``acc`` (at ``acc_frac`` fractional bits) to acc_type, add the channel bias
        (axis 1), and cast to out_type."""
        acc_t = self.acc
        acc = align_raw(acc, acc_frac, acc_t.frac_bits)
        if bias_key is not None and bias_key in self.node.params:
            bias = align_raw(self.param(bias_key), self.ptype(bias_key).frac_bits, acc_t.frac_bits)
            acc = acc + _per_channel(bias, acc.ndim)
        return cast_raw(acc, acc_t, self.out)


def _per_channel(v: np.ndarray, ndim: int) -> np.ndarray:
    """A [C] vector shaped to broadcast along axis 1 of a (B, C, ...) tensor."""
    return v.reshape((1, -1) + (1,) * (ndim - 2))


def _pm1(mask: np.ndarray) -> np.ndarray:
    """+1 where ``mask``, else -1 (int64)."""
    return np.where(mask, np.int64(1), np.int64(-1))


def _im2col(x: np.ndarray, kernel: tuple[int, int], stride: tuple[int, int],
            padding: tuple[int, int], pad_value: int) -> np.ndarray:
    """Patches of a (B, C, H, W) tensor: (B, C, Ho, Wo, kh, kw), padded with ``pad_value``."""
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=pad_value)
    windows = np.lib.stride_tricks.sliding_window_view(xp, (kh, kw), axis=(2, 3))
    return windows[:, :, ::sh, ::sw]


def _conv(x: np.ndarray, w: np.ndarray, ctx: _Ctx, pad_value: int, groups: int) -> np.ndarray:
    """sum over (ci, ky, kx) of patch * weight: (B, Cout, Ho, Wo) int64."""
    a = ctx.node.attrs
    cols = _im2col(x, a["kernel"], a["stride"], a["padding"], pad_value)
    b, cin, ho, wo, kh, kw = cols.shape
    cout = w.shape[0]
    cg, og = cin // groups, cout // groups
    # (B, G, Ho*Wo, Cg*kh*kw) @ (G, Cg*kh*kw, Og) -> (B, G, Ho*Wo, Og)
    patches = cols.reshape(b, groups, cg, ho, wo, kh, kw).transpose(0, 1, 3, 4, 2, 5, 6)
    patches = patches.reshape(b, groups, ho * wo, cg * kh * kw)
    weights = w.reshape(groups, og, cg * kh * kw).transpose(0, 2, 1)
    out = np.matmul(patches, weights)  # int64, exact
    return out.reshape(b, groups, ho, wo, og).transpose(0, 1, 4, 2, 3).reshape(b, cout, ho, wo)


# -------------------------------------------------------------------- ops
def _thermometer(ctx: _Ctx, x: np.ndarray) -> np.ndarray:
    thresholds = np.asarray(ctx.node.attrs["thresholds"], dtype=np.int64)
    t = thresholds.reshape((1, 1, -1) + (1,) * (x.ndim - 2))
    planes = _pm1(x[:, :, None] >= t)  # (B, C, T, ...): plane c*T + t
    return planes.reshape((x.shape[0], -1) + x.shape[2:])


def _binary_conv2d(ctx: _Ctx, x: np.ndarray) -> np.ndarray:
    return _conv(x, ctx.param("weight"), ctx, ctx.node.attrs["pad_value"], 1)


def _binary_dense(ctx: _Ctx, x: np.ndarray) -> np.ndarray:
    return x @ ctx.param("weight").T


def _dense(ctx: _Ctx, x: np.ndarray) -> np.ndarray:
    acc = x @ ctx.param("weight").T
    return ctx.finish(acc, ctx.fixed_in().frac_bits + ctx.ptype("weight").frac_bits)


def _conv2d(ctx: _Ctx, x: np.ndarray) -> np.ndarray:
    acc = _conv(x, ctx.param("weight"), ctx, 0, ctx.node.attrs.get("groups", 1))
    return ctx.finish(acc, ctx.fixed_in().frac_bits + ctx.ptype("weight").frac_bits)


def _batchnorm(ctx: _Ctx, x: np.ndarray) -> np.ndarray:
    acc = x * _per_channel(ctx.param("scale"), x.ndim)
    return ctx.finish(acc, ctx.fixed_in().frac_bits + ctx.ptype("scale").frac_bits)


def _add(ctx: _Ctx, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    f = ctx.acc.frac_bits
    acc = align_raw(a, ctx.fixed_in(0).frac_bits, f) + align_raw(b, ctx.fixed_in(1).frac_bits, f)
    return cast_raw(acc, ctx.acc, ctx.out)


def _relu(ctx: _Ctx, x: np.ndarray) -> np.ndarray:
    return cast_raw(np.maximum(x, 0), ctx.fixed_in(), ctx.out)


def _hardtanh(ctx: _Ctx, x: np.ndarray) -> np.ndarray:
    t = ctx.fixed_in()
    lo = min(max(ctx.node.attrs["min_raw"], t.raw_min), t.raw_max)
    hi = min(max(ctx.node.attrs["max_raw"], t.raw_min), t.raw_max)
    return cast_raw(np.clip(x, lo, hi), t, ctx.out)


def _sign(ctx: _Ctx, x: np.ndarray) -> np.ndarray:
    return _pm1(x >= 0)


def _prelu(ctx: _Ctx, x: np.ndarray) -> np.ndarray:
    f = ctx.acc.frac_bits
    slope = _per_channel(ctx.param("slope"), x.ndim)
    positive = align_raw(np.maximum(x, 0), ctx.fixed_in().frac_bits, f)
    negative = align_raw(np.minimum(x, 0) * slope, ctx.fixed_in().frac_bits + ctx.ptype("slope").frac_bits, f)
    return cast_raw(np.where(x >= 0, positive, negative), ctx.acc, ctx.out)


def _pool_finish(ctx: _Ctx, s: np.ndarray, window: int) -> np.ndarray:
    """Divide the exact window sums ``s`` by ``window`` and cast to out_type.

    A power-of-two window keeps the raw sum and reads it with k more fractional bits;
    otherwise the sum is multiplied by the reciprocal. The value's type is the node's
    acc_type when it names one, else the narrowest exact type.
    """
    x = ctx.fixed_in()
    if "reciprocal" in ctx.node.params:
        rec_raw, rec_frac = int(ctx.param("reciprocal")), ctx.ptype("reciprocal").frac_bits
        value = s * np.int64(rec_raw)
    else:
        rec_raw, rec_frac, value = None, 0, s
    lo, hi, frac = pool_value_range(x, window, rec_raw, rec_frac)
    value_t = ctx.node.acc_type or type_for_raw_range(lo, hi, frac)
    return cast_raw(align_raw(value, frac, value_t.frac_bits), value_t, ctx.out)


def _avgpool2d(ctx: _Ctx, x: np.ndarray) -> np.ndarray:
    kh, kw = ctx.node.attrs["kernel"]
    b, c, h, w = x.shape
    s = x.reshape(b, c, h // kh, kh, w // kw, kw).sum(axis=(3, 5))
    return _pool_finish(ctx, s, kh * kw)


def _global_avgpool(ctx: _Ctx, x: np.ndarray) -> np.ndarray:
    return _pool_finish(ctx, x.sum(axis=(2, 3)), x.shape[2] * x.shape[3])


def _flatten(ctx: _Ctx, x: np.ndarray) -> np.ndarray:
    return x.reshape(x.shape[0], -1)


_KERNELS: Mapping[str, Callable[..., np.ndarray]] = MappingProxyType({
    "thermometer": _thermometer,
    "binary_conv2d": _binary_conv2d,
    "binary_dense": _binary_dense,
    "dense": _dense,
    "conv2d": _conv2d,
    "batchnorm": _batchnorm,
    "add": _add,
    "relu": _relu,
    "hardtanh": _hardtanh,
    "sign": _sign,
    "prelu": _prelu,
    "avgpool2d": _avgpool2d,
    "global_avgpool": _global_avgpool,
    "flatten": _flatten,
})
"""The kernel of every op, by op name (the keys equal ``ops.OPS``)."""
