"""The vectorised dense / conv kernels against naive per-pixel loops (random types and data)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from codesign import ir
from codesign.fixed import FixedType, Overflow, Rounding, accumulator_type
from codesign.fixed.rawcast import cast_raw
from irgraphs import one_node

MODES = list(itertools.product(Rounding, Overflow))


def random_type(rng: np.random.Generator, max_width: int = 8) -> FixedType:
    width = int(rng.integers(1, max_width, endpoint=True))
    signed = bool(rng.integers(2)) if width > 1 else True
    return FixedType(width, int(rng.integers(-3, width + 3)), signed)


def random_raw(rng: np.random.Generator, t: FixedType, shape: tuple[int, ...]) -> np.ndarray:
    return rng.integers(t.raw_min, t.raw_max, size=shape, endpoint=True).astype(np.int64)


def naive_conv(x, w, bias, stride, padding, groups, pad_value=0):
    """Per-pixel Python loops with Python ints: (B, Cout, Ho, Wo) sums and the bias added."""
    b, cin, h, wd = x.shape
    cout, cg, kh, kw = w.shape
    (sh, sw), (ph, pw) = stride, padding
    ho, wo = (h + 2 * ph - kh) // sh + 1, (wd + 2 * pw - kw) // sw + 1
    out = np.zeros((b, cout, ho, wo), dtype=object)
    og = cout // groups
    for n, o, i, j in itertools.product(range(b), range(cout), range(ho), range(wo)):
        total = 0
        g = o // og
        for c, ky, kx in itertools.product(range(cg), range(kh), range(kw)):
            yy, xx = i * sh + ky - ph, j * sw + kx - pw
            v = int(x[n, g * cg + c, yy, xx]) if 0 <= yy < h and 0 <= xx < wd else pad_value
            total += v * int(w[o, c, ky, kx])
        out[n, o, i, j] = total + (bias[o] if bias is not None else 0)
    return out


@pytest.mark.parametrize("seed", range(12))
def test_conv2d_equals_naive_loops(seed: int) -> None:
    rng = np.random.default_rng(seed)
    x_t, w_t, b_t = random_type(rng), random_type(rng), random_type(rng)
    groups = int(rng.choice([1, 2]))
    cin, cout = groups * int(rng.integers(1, 3, endpoint=True)), groups * int(rng.integers(1, 3, endpoint=True))
    kh, kw = (int(v) for v in rng.integers(1, 3, size=2, endpoint=True))
    stride = tuple(int(v) for v in rng.integers(1, 2, size=2, endpoint=True))
    padding = tuple(int(v) for v in rng.integers(0, 2, size=2, endpoint=True))
    h, wd = (int(v) for v in rng.integers(3, 6, size=2, endpoint=True))
    fan_in = cin // groups * kh * kw
    base = accumulator_type(x_t, w_t, fan_in)
    frac = max(base.frac_bits, b_t.frac_bits) + int(rng.integers(0, 2))
    acc_t = FixedType(base.width + 8 + frac - base.frac_bits + max(0, b_t.int_bits - base.int_bits), 0)
    acc_t = FixedType(acc_t.width, acc_t.width - frac)
    rounding, overflow = MODES[int(rng.integers(len(MODES)))]
    out_t = FixedType(int(rng.integers(2, 10)), int(rng.integers(-2, 8)), bool(rng.integers(2)), rounding, overflow)
    x = random_raw(rng, x_t, (3, cin, h, wd))
    w = random_raw(rng, w_t, (cout, cin // groups, kh, kw))
    bias = random_raw(rng, b_t, (cout,))
    ho, wo = (h + 2 * padding[0] - kh) // stride[0] + 1, (wd + 2 * padding[1] - kw) // stride[1] + 1
    g = one_node("conv2d", str(x_t), [cin, h, wd], [cout, ho, wo], str(out_t), acc_type=str(acc_t),
                 attrs={"kernel": [kh, kw], "stride": list(stride), "padding": list(padding), "groups": groups},
                 params={"weight": (w, str(w_t)), "bias": (bias, str(b_t))})
    got = ir.run(g, x).outputs["out"]
    p_frac = x_t.frac_bits + w_t.frac_bits
    aligned_bias = [int(v) << (acc_t.frac_bits - b_t.frac_bits) for v in bias]
    acc = naive_conv(x, w, None, stride, padding, groups) * (1 << (acc_t.frac_bits - p_frac))
    acc = acc + np.array(aligned_bias, dtype=object).reshape(1, -1, 1, 1)
    expected = cast_raw(acc.astype(np.int64), acc_t, out_t)
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("seed", range(8))
def test_binary_conv2d_equals_naive_loops(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    cin, cout, h, wd = 3, 2, 5, 4
    kh, kw = (int(v) for v in rng.integers(1, 3, size=2, endpoint=True))
    stride = tuple(int(v) for v in rng.integers(1, 2, size=2, endpoint=True))
    padding = tuple(int(v) for v in rng.integers(0, 2, size=2, endpoint=True))
    pad_value = int(rng.choice([-1, 1]))
    x = rng.choice([-1, 1], size=(2, cin, h, wd))
    w = rng.choice([-1, 1], size=(cout, cin, kh, kw))
    ho, wo = (h + 2 * padding[0] - kh) // stride[0] + 1, (wd + 2 * padding[1] - kw) // stride[1] + 1
    g = one_node("binary_conv2d", "binary", [cin, h, wd], [cout, ho, wo], "ap_int<8>",
                 attrs={"kernel": [kh, kw], "stride": list(stride), "padding": list(padding),
                        "pad_value": pad_value}, params={"weight": (w, "binary")})
    got = ir.run(g, x).outputs["out"]
    expected = naive_conv(x, w, None, stride, padding, 1, pad_value).astype(np.int64)
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("seed", range(12))
def test_dense_equals_naive_loops_in_every_mode(seed: int) -> None:
    rng = np.random.default_rng(200 + seed)
    x_t, w_t, b_t = random_type(rng, 12), random_type(rng, 12), random_type(rng, 12)
    n, m = int(rng.integers(1, 20)), int(rng.integers(1, 6))
    base = accumulator_type(x_t, w_t, n)
    frac = max(base.frac_bits, b_t.frac_bits)
    width = base.width + (frac - base.frac_bits) + max(0, b_t.int_bits - base.int_bits) + 2
    acc_t = FixedType(width, width - frac)
    x = random_raw(rng, x_t, (4, n))
    w = random_raw(rng, w_t, (m, n))
    bias = random_raw(rng, b_t, (m,))
    for rounding, overflow in MODES:
        out_t = FixedType(int(rng.integers(1, 10)), int(rng.integers(-2, 8)), True, rounding, overflow)
        g = one_node("dense", str(x_t), [n], [m], str(out_t), acc_type=str(acc_t),
                     params={"weight": (w, str(w_t)), "bias": (bias, str(b_t))})
        got = ir.run(g, x).outputs["out"]
        acc = np.zeros((4, m), dtype=np.int64)
        for i, j in itertools.product(range(4), range(m)):
            s = sum(int(x[i, k]) * int(w[j, k]) for k in range(n))
            acc[i, j] = (s << (acc_t.frac_bits - x_t.frac_bits - w_t.frac_bits)) + (
                int(bias[j]) << (acc_t.frac_bits - b_t.frac_bits))
        np.testing.assert_array_equal(got, cast_raw(acc, acc_t, out_t), err_msg=str(out_t))


def test_demo_graph_taps_chain() -> None:
    """Each tap of a graph using every op equals running that node alone on its inputs' taps."""
    from irgraphs import demo_model

    model, arrays = demo_model(3)
    g = ir.Graph.from_dict(model, arrays)
    x = np.random.default_rng(3).integers(0, 256, size=(4, 2, 6, 6))
    taps = dict(ir.run(g, x).taps)
    taps["image"] = x
    for node in g.nodes:
        inputs = [{"name": f"i{k}", "shape": list(
            g.node(n).shape if n != "image" else g.inputs[0].shape), "type": str(
            g.node(n).out_type if n != "image" else g.inputs[0].type)} for k, n in enumerate(node.inputs)]
        d = node.to_dict()
        d["inputs"] = [i["name"] for i in inputs]
        alone = ir.Graph.from_dict({"schema_version": 1, "name": "alone", "inputs": inputs,
                                    "outputs": [node.name], "nodes": [d]},
                                   {f"{node.name}.{k}": g.param(node, k) for k in node.params})
        out = ir.run(alone, {f"i{k}": taps[n] for k, n in enumerate(node.inputs)}).outputs[node.name]
        np.testing.assert_array_equal(out, taps[node.name], err_msg=node.name)
