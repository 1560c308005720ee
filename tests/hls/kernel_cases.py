"""Random test cases of the HLS kernels: C++ source for each, its input numbers, and the
expected output numbers from the numpy references in hls_refs.

A case is compiled as one function ``case_<name>()`` that reads its inputs from the input file
and prints ``case <name> <outputs...>``. Configurations are drawn from a seeded
generator, so the generated sources (and the cached build) are stable across runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from codesign.fixed import FixedType
from hls_refs import (
    align,
    cast_raw,
    conv_sums,
    divisors,
    khot_digits,
    khot_raw,
    output_type_near,
    pack_binary_weights,
    pad_chw,
    random_modes,
    random_raw,
    random_type,
    signed_type_for,
)

N_SAMPLES = 3


@dataclass
class Case:
    """One kernel configuration: its C++ code, stdin numbers and expected outputs."""

    name: str
    cpp: str
    inputs: list[int] = field(default_factory=list)
    expected: list[int] = field(default_factory=list)


def _ints(values: np.ndarray) -> list[int]:
    return [int(v) for v in np.asarray(values).ravel()]


def _typedefs(**types: FixedType | str) -> str:
    return "".join(f"    typedef {t if isinstance(t, str) else t.cpp} {name};\n" for name, t in types.items())


def _consts(**values: int | bool) -> str:
    out = []
    for name, v in values.items():
        kind = "bool" if isinstance(v, bool) else ("int" if v < 0 else "unsigned")
        out.append(f"    static constexpr {kind} {name} = {str(v).lower() if isinstance(v, bool) else v};\n")
    return "".join(out)


def _struct(name: str, body: str) -> str:
    return f"struct {name} {{\n{body}}};\n"


def _khot_table(name: str, digits: list[list[tuple[int, int]]]) -> str:
    """A K-hot table struct as a code generator would emit it."""
    cases = []
    for index, ds in enumerate(digits):
        terms = ", ".join(f"codesign::term<{s}, {e}>" for s, e in ds)
        cases.append(f"        case {index}: return codesign::khot_mul<ACC, codesign::khot<{terms}> >(x);\n")
    return (
        f"struct {name} : codesign::khot_table<{name}> {{\n"
        "    template <class ACC, class X>\n"
        "    static ACC product(const X& x, unsigned index) {\n"
        "        switch (index) {\n" + "".join(cases) + "        default: return ACC(0);\n        }\n    }\n};\n"
    )


def _acc_for(bound: int, frac: int) -> FixedType:
    return signed_type_for(bound, frac)


# ----------------------------------------------------------------------------- dense


def dense_case(rng: np.random.Generator, name: str, khot: bool) -> Case:
    n_in, n_out = int(rng.integers(2, 9)), int(rng.integers(1, 5))
    rf = int(rng.choice(divisors(n_in)))
    x_t = random_type(rng, (3, 9), (-1, 6))
    w_t = random_type(rng, (3, 7), (-1, 3), signed=True)
    if khot:
        digits = [khot_digits(rng, 2, -w_t.frac_bits, w_t.int_bits - 1) for _ in range(n_out * n_in)]
        w = np.array([khot_raw(d, w_t.frac_bits) for d in digits], dtype=np.int64).reshape(n_out, n_in)
    else:
        w = random_raw(rng, w_t, (n_out, n_in))
    prod_frac = x_t.frac_bits + w_t.frac_bits
    b_width = int(rng.integers(3, 8))
    b_t = FixedType(b_width, b_width - prod_frac + int(rng.integers(0, 3)), True)
    b = random_raw(rng, b_t, n_out)
    x_max = max(abs(x_t.raw_min), x_t.raw_max)
    bound = n_in * x_max * int(np.abs(w).max(initial=1)) * 2 + (abs(b_t.raw_min) << (prod_frac - b_t.frac_bits))
    acc_t = _acc_for(bound, prod_frac)
    out_t = output_type_near(rng, acc_t.width, prod_frac)
    xs = random_raw(rng, x_t, (N_SAMPLES, n_in))
    acc = xs @ w.T + align(b, b_t.frac_bits, prod_frac)
    y = cast_raw(acc, prod_frac, out_t)
    cfg = name + "_cfg"
    body = _consts(n_in=n_in, n_out=n_out, reuse_factor=rf) + _typedefs(
        input_t=x_t, weight_t=w_t, bias_t=b_t, accum_t=acc_t, output_t=out_t)
    if khot:
        weights_decl, weights_read, weights_arg = "", "", f"{name}_w()"
        table = _khot_table(name + "_w", digits)
        inputs = _ints(b)
    else:
        weights_decl = f"    static {cfg}::weight_t w[{n_out * n_in}];\n"
        weights_read, weights_arg, table = "    harness::read_values(w);\n", "w", ""
        inputs = _ints(w) + _ints(b)
    cpp = table + _struct(cfg, body) + f"""static void case_{name}() {{
{weights_decl}    static {cfg}::bias_t b[{n_out}];
{weights_read}    harness::read_values(b);
    harness::begin_case("{name}");
    for (int s = 0; s < {N_SAMPLES}; ++s) {{
        {cfg}::input_t x[{n_in}];
        {cfg}::output_t y1[{n_out}], y2[{n_out}];
        harness::read_values(x);
        codesign::dense_latency<{cfg}>(x, y1, {weights_arg}, b);
        codesign::dense_folded<{cfg}>(x, y2, {weights_arg}, b);
        for (int o = 0; o < {n_out}; ++o) harness::write_value(y1[o]);
        for (int o = 0; o < {n_out}; ++o) harness::write_value(y2[o]);
    }}
    harness::end_case();
}}
"""
    expected = [v for row in y for v in _ints(row) * 2]
    return Case(name, cpp, inputs + _ints(xs), expected)


# ----------------------------------------------------------------------------- conv2d


def conv2d_case(rng: np.random.Generator, name: str, depthwise: bool, khot: bool = False) -> Case:
    c = int(rng.integers(1, 4))
    f = c if depthwise else int(rng.integers(1, 4))
    kh, kw = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    sh, sw = int(rng.integers(1, 3)), int(rng.integers(1, 3))
    ph, pw = int(rng.integers(0, 2)), int(rng.integers(0, 2))
    h, w_ = int(rng.integers(max(kh - 2 * ph, 1) + 1, 6)), int(rng.integers(max(kw - 2 * pw, 1) + 1, 6))
    ho, wo = (h + 2 * ph - kh) // sh + 1, (w_ + 2 * pw - kw) // sw + 1
    x_t = random_type(rng, (3, 8), (0, 5))
    w_t = random_type(rng, (2, 6), (-1, 2), signed=True)
    cin_w = 1 if depthwise else c
    if khot:
        digits = [khot_digits(rng, 2, -w_t.frac_bits, w_t.int_bits - 1) for _ in range(f * cin_w * kh * kw)]
        wts = np.array([khot_raw(d, w_t.frac_bits) for d in digits], dtype=np.int64).reshape(f, cin_w, kh, kw)
    else:
        wts = random_raw(rng, w_t, (f, cin_w, kh, kw))
    prod_frac = x_t.frac_bits + w_t.frac_bits
    b_t = FixedType(5, 5 - prod_frac + int(rng.integers(0, 3)), True)
    b = random_raw(rng, b_t, f)
    x_max = max(abs(x_t.raw_min), x_t.raw_max)
    bound = cin_w * kh * kw * x_max * int(np.abs(wts).max(initial=1)) + (abs(b_t.raw_min) << (prod_frac - b_t.frac_bits))
    acc_t = _acc_for(bound, prod_frac)
    out_t = output_type_near(rng, acc_t.width, prod_frac)
    xs = random_raw(rng, x_t, (N_SAMPLES, c, h, w_))
    ys = []
    for x in xs:
        acc = conv_sums(pad_chw(x, ph, pw, 0), wts, (sh, sw), depthwise)
        acc = acc + align(b, b_t.frac_bits, prod_frac)[:, None, None]
        ys.append(cast_raw(acc, prod_frac, out_t))
    cfg = name + "_cfg"
    n_w = wts.size
    body = _consts(in_height=h, in_width=w_, n_chan=c, n_filt=f, kernel_h=kh, kernel_w=kw, stride_h=sh,
                   stride_w=sw, pad_h=ph, pad_w=pw, out_height=ho, out_width=wo, depthwise=depthwise,
                   reuse_factor=1)
    types = _typedefs(input_t=x_t, weight_t=w_t, bias_t=b_t, accum_t=acc_t, output_t=out_t)
    folded = cfg + "_rf2"
    decl = _struct(cfg, body + types) + _struct(folded, body.replace("reuse_factor = 1", "reuse_factor = 2") + types)
    if khot:
        decl = _khot_table(name + "_w", digits) + decl
        w_decl, w_read, w_arg, inputs = "", "", f"{name}_w()", _ints(b)
    else:
        w_decl = f"    static {cfg}::weight_t w[{n_w}];\n"
        w_read, w_arg, inputs = "    harness::read_values(w);\n", "w", _ints(wts) + _ints(b)
    cpp = decl + f"""static void case_{name}() {{
{w_decl}    static {cfg}::bias_t b[{f}];
{w_read}    harness::read_values(b);
    harness::begin_case("{name}");
    for (int s = 0; s < {N_SAMPLES}; ++s) {{
        codesign::stream<codesign::array<{cfg}::input_t, {c}> > in1("in1"), in2("in2");
        codesign::stream<codesign::array<{cfg}::output_t, {f}> > out1("out1"), out2("out2");
        for (int p = 0; p < {h * w_}; ++p) {{
            codesign::array<{cfg}::input_t, {c}> beat;
            for (int ch = 0; ch < {c}; ++ch) beat.data[ch] = harness::read_value<{cfg}::input_t>();
            in1.write(beat);
            in2.write(beat);
        }}
        codesign::conv2d<{cfg}>(in1, out1, {w_arg}, b);
        codesign::conv2d<{folded}>(in2, out2, {w_arg}, b);
        harness::drain_pixels(out1, {ho * wo});
        harness::drain_pixels(out2, {ho * wo});
    }}
    harness::end_case();
}}
"""
    inputs += [v for x in xs for v in _ints(x.transpose(1, 2, 0))]  # HWC pixel order
    expected = [v for y in ys for v in _ints(y.transpose(1, 2, 0)) * 2]
    return Case(name, cpp, inputs, expected)


# ----------------------------------------------------------------------------- binary


def _fold_variants(rng: np.random.Generator, n_out: int, fan_in: int) -> list[tuple[int, int]]:
    pes, simds = divisors(n_out), divisors(fan_in)
    picks = {(1, 1), (n_out, fan_in), (int(rng.choice(pes)), int(rng.choice(simds)))}
    return sorted(picks)


def _packed_weights_cpp(var: str, packed: np.ndarray) -> str:
    pe, words, simd = packed.shape
    return f"    static ap_uint<{simd}> {var}[{pe}][{words}];\n" + (
        f"    for (int p = 0; p < {pe}; ++p) for (int k = 0; k < {words}; ++k) {var}[p][k] = harness::read_bits<{simd}>();\n")


def binary_conv2d_case(rng: np.random.Generator, name: str) -> Case:
    c, f = int(rng.integers(1, 5)), int(rng.integers(1, 5))
    kh, kw = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    sh, sw = int(rng.integers(1, 3)), int(rng.integers(1, 3))
    ph, pw = int(rng.integers(0, 2)), int(rng.integers(0, 2))
    pad_value = int(rng.choice([-1, 1]))
    h, w_ = int(rng.integers(max(kh - 2 * ph, 1) + 1, 6)), int(rng.integers(max(kw - 2 * pw, 1) + 1, 6))
    ho, wo = (h + 2 * ph - kh) // sh + 1, (w_ + 2 * pw - kw) // sw + 1
    fan_in = kh * kw * c
    width = fan_in.bit_length() + 1
    out_t = FixedType(width, width - int(rng.integers(-2, 3)), True)
    w_pm = rng.choice([-1, 1], size=(f, c, kh, kw)).astype(np.int64)
    xs = rng.choice([-1, 1], size=(N_SAMPLES, c, h, w_)).astype(np.int64)
    ys = [conv_sums(pad_chw(x, ph, pw, pad_value), w_pm, (sh, sw), False) for x in xs]
    # Kernel fan-in order: (ky*kw + kx)*c + ch.
    w_bits = ((w_pm.transpose(0, 2, 3, 1).reshape(f, fan_in) + 1) // 2).astype(np.int64)
    variants = _fold_variants(rng, f, fan_in)
    decls, reads, runs, inputs = "", "", "", []
    for k, (pe, simd) in enumerate(variants):
        cfg = f"{name}_cfg{k}"
        decls += _struct(cfg, _consts(in_height=h, in_width=w_, n_chan=c, n_filt=f, kernel_h=kh, kernel_w=kw,
                                      stride_h=sh, stride_w=sw, pad_h=ph, pad_w=pw, out_height=ho, out_width=wo,
                                      pe=pe, simd=simd) + f"    static constexpr int pad_value = {pad_value};\n"
                         + _typedefs(output_t=out_t))
        packed = pack_binary_weights(w_bits, pe, simd)
        reads += _packed_weights_cpp(f"w{k}", packed)
        inputs += _ints(packed)
        runs += f"""        {{
            codesign::stream<ap_uint<{c}> > in("in");
            codesign::stream<codesign::array<{cfg}::output_t, {f}> > out("out");
            for (int p = 0; p < {h * w_}; ++p) in.write(pixels[p]);
            codesign::binary_conv2d<{cfg}>(in, out, w{k});
            harness::drain_pixels(out, {ho * wo});
        }}
"""
    cpp = decls + f"""static void case_{name}() {{
{reads}    harness::begin_case("{name}");
    for (int s = 0; s < {N_SAMPLES}; ++s) {{
        ap_uint<{c}> pixels[{h * w_}];
        for (int p = 0; p < {h * w_}; ++p) pixels[p] = harness::read_bits<{c}>();
{runs}    }}
    harness::end_case();
}}
"""
    inputs += [v for x in xs for v in _ints((x.transpose(1, 2, 0) + 1) // 2)]
    expected = [v for y in ys for v in _ints(y.transpose(1, 2, 0)) * len(variants)]
    return Case(name, cpp, inputs, expected)


def binary_dense_case(rng: np.random.Generator, name: str) -> Case:
    n_in, n_out = int(rng.integers(4, 40)), int(rng.integers(1, 7))
    width = n_in.bit_length() + 1
    out_t = FixedType(width, width + int(rng.integers(0, 3)), True)
    w_pm = rng.choice([-1, 1], size=(n_out, n_in)).astype(np.int64)
    xs = rng.choice([-1, 1], size=(N_SAMPLES, n_in)).astype(np.int64)
    ys = xs @ w_pm.T
    variants = _fold_variants(rng, n_out, n_in)
    decls, reads, runs, inputs = "", "", "", []
    for k, (pe, simd) in enumerate(variants):
        cfg = f"{name}_cfg{k}"
        decls += _struct(cfg, _consts(n_in=n_in, n_out=n_out, pe=pe, simd=simd) + _typedefs(output_t=out_t))
        packed = pack_binary_weights((w_pm + 1) // 2, pe, simd)
        reads += _packed_weights_cpp(f"w{k}", packed)
        inputs += _ints(packed)
        runs += f"""        {{
            {cfg}::output_t y[{n_out}];
            codesign::binary_dense<{cfg}>(x, y, w{k});
            for (int o = 0; o < {n_out}; ++o) harness::write_value(y[o]);
        }}
"""
    cpp = decls + f"""static void case_{name}() {{
{reads}    harness::begin_case("{name}");
    for (int s = 0; s < {N_SAMPLES}; ++s) {{
        const ap_uint<{n_in}> x = harness::read_bits<{n_in}>();
{runs}    }}
    harness::end_case();
}}
"""
    inputs += _ints((xs + 1) // 2)
    expected = [v for y in ys for v in _ints(y) * len(variants)]
    return Case(name, cpp, inputs, expected)


# ----------------------------------------------------------------------------- per-pixel


def _pixel_case(name: str, decls: str, setup: str, n_pixels: int, c_in: int, in_t: str, c_out: int,
                call: str, out_t: str) -> str:
    return decls + f"""static void case_{name}() {{
{setup}    harness::begin_case("{name}");
    codesign::stream<codesign::array<{in_t}, {c_in}> > in("in");
    codesign::stream<codesign::array<{out_t}, {c_out}> > out("out");
    harness::feed_pixels(in, {n_pixels});
    {call};
    harness::drain_pixels(out, {n_pixels});
    harness::end_case();
}}
"""


def batchnorm_case(rng: np.random.Generator, name: str, khot: bool) -> Case:
    n_pixels, c = int(rng.integers(1, 5)), int(rng.integers(1, 6))
    x_t = random_type(rng, (3, 10), (-1, 6))
    s_t = random_type(rng, (3, 7), (-1, 3), signed=True)
    if khot:
        digits = [khot_digits(rng, 3, -s_t.frac_bits, s_t.int_bits - 1) for _ in range(c)]
        scale = np.array([khot_raw(d, s_t.frac_bits) for d in digits], dtype=np.int64)
    else:
        scale = random_raw(rng, s_t, c)
    prod_frac = x_t.frac_bits + s_t.frac_bits
    b_t = FixedType(6, 6 - prod_frac + int(rng.integers(0, 3)), True)
    b = random_raw(rng, b_t, c)
    x_max = max(abs(x_t.raw_min), x_t.raw_max)
    bound = x_max * int(np.abs(scale).max(initial=1)) * 2 + (abs(b_t.raw_min) << (prod_frac - b_t.frac_bits))
    acc_t = _acc_for(bound, prod_frac)
    out_t = output_type_near(rng, acc_t.width, prod_frac)
    xs = random_raw(rng, x_t, (n_pixels, c))
    y = cast_raw(xs * scale + align(b, b_t.frac_bits, prod_frac), prod_frac, out_t)
    cfg = name + "_cfg"
    decls = _struct(cfg, _consts(n_pixels=n_pixels, n_chan=c) + _typedefs(
        input_t=x_t, scale_t=s_t, bias_t=b_t, accum_t=acc_t, output_t=out_t))
    setup = f"    static {cfg}::bias_t b[{c}];\n"
    if khot:
        decls = _khot_table(name + "_s", digits) + decls
        setup += "    harness::read_values(b);\n"
        arg, inputs = f"{name}_s()", _ints(b)
    else:
        setup = f"    static {cfg}::scale_t sc[{c}];\n    harness::read_values(sc);\n" + setup
        setup += "    harness::read_values(b);\n"
        arg, inputs = "sc", _ints(scale) + _ints(b)
    cpp = _pixel_case(name, decls, setup, n_pixels, c, f"{cfg}::input_t", c,
                      f"codesign::batchnorm<{cfg}>(in, out, {arg}, b)", f"{cfg}::output_t")
    return Case(name, cpp, inputs + _ints(xs), _ints(y))


def add_case(rng: np.random.Generator, name: str) -> Case:
    n_pixels, c = int(rng.integers(1, 5)), int(rng.integers(1, 6))
    a_t, b_t = random_type(rng, (3, 10), (-1, 6)), random_type(rng, (3, 10), (-1, 6))
    frac = max(a_t.frac_bits, b_t.frac_bits)
    bound = (max(abs(a_t.raw_min), a_t.raw_max) << (frac - a_t.frac_bits)) + (
        max(abs(b_t.raw_min), b_t.raw_max) << (frac - b_t.frac_bits))
    acc_t = _acc_for(bound, frac)
    out_t = output_type_near(rng, acc_t.width, frac)
    a, b = random_raw(rng, a_t, (n_pixels, c)), random_raw(rng, b_t, (n_pixels, c))
    y = cast_raw(align(a, a_t.frac_bits, frac) + align(b, b_t.frac_bits, frac), frac, out_t)
    cfg = name + "_cfg"
    decls = _struct(cfg, _consts(n_pixels=n_pixels, n_chan=c) + _typedefs(
        input1_t=a_t, input2_t=b_t, accum_t=acc_t, output_t=out_t))
    cpp = decls + f"""static void case_{name}() {{
    harness::begin_case("{name}");
    codesign::stream<codesign::array<{cfg}::input1_t, {c}> > in1("in1");
    codesign::stream<codesign::array<{cfg}::input2_t, {c}> > in2("in2");
    codesign::stream<codesign::array<{cfg}::output_t, {c}> > out("out");
    harness::feed_pixels(in1, {n_pixels});
    harness::feed_pixels(in2, {n_pixels});
    codesign::add<{cfg}>(in1, in2, out);
    harness::drain_pixels(out, {n_pixels});
    harness::end_case();
}}
"""
    return Case(name, cpp, _ints(a) + _ints(b), _ints(y))


def activation_case(rng: np.random.Generator, name: str, op: str) -> Case:
    n_pixels, c = int(rng.integers(1, 5)), int(rng.integers(1, 9))
    x_t = random_type(rng, (3, 10), (-1, 6), signed=True)
    out_t = random_modes(rng, random_type(rng, (3, 9), (-1, 5)))
    xs = random_raw(rng, x_t, (n_pixels, c))
    cfg = name + "_cfg"
    consts = _consts(n_pixels=n_pixels, n_chan=c)
    if op == "relu":
        y = cast_raw(np.maximum(xs, 0), x_t.frac_bits, out_t)
    elif op == "hardtanh":
        lo, hi = sorted(int(v) for v in random_raw(rng, x_t, 2))
        consts += f"    static constexpr long long min_raw = {lo}, max_raw = {hi};\n"
        y = cast_raw(np.clip(xs, lo, hi), x_t.frac_bits, out_t)
    else:  # sign
        y = (xs >= 0).astype(np.int64)
    decls = _struct(cfg, consts + _typedefs(input_t=x_t, output_t=out_t))
    if op == "sign":
        cpp = decls + f"""static void case_{name}() {{
    harness::begin_case("{name}");
    codesign::stream<codesign::array<{cfg}::input_t, {c}> > in("in");
    codesign::stream<ap_uint<{c}> > out("out");
    harness::feed_pixels(in, {n_pixels});
    codesign::sign<{cfg}>(in, out);
    for (int p = 0; p < {n_pixels}; ++p) harness::write_bits(out.read());
    harness::end_case();
}}
"""
    else:
        cpp = _pixel_case(name, decls, "", n_pixels, c, f"{cfg}::input_t", c,
                          f"codesign::{op}<{cfg}>(in, out)", f"{cfg}::output_t")
    return Case(name, cpp, _ints(xs), _ints(y))


def pool_case(rng: np.random.Generator, name: str, global_pool: bool, pow2: bool) -> Case:
    c = int(rng.integers(1, 4))
    if global_pool:
        kh, kw = (2, 4) if pow2 else (3, 3)
        h, w_ = kh, kw
    else:
        kh, kw = (2, 2) if pow2 else (3, 1)
        h, w_ = kh * int(rng.integers(1, 3)), kw * int(rng.integers(1, 4))
    divisor = kh * kw
    x_t = random_type(rng, (3, 9), (-1, 5))
    sum_t = _acc_for(divisor * max(abs(x_t.raw_min), x_t.raw_max), x_t.frac_bits)
    xs = random_raw(rng, x_t, (c, h, w_))
    sums = xs.reshape(c, h // kh, kh, w_ // kw, kw).sum(axis=(2, 4))
    cfg = name + "_cfg"
    consts = _consts(in_height=h, in_width=w_, n_chan=c) + (
        "" if global_pool else _consts(pool_h=kh, pool_w=kw))
    if pow2:
        k = divisor.bit_length() - 1
        consts += f"    static constexpr int divisor_log2 = {k};\n"
        frac = x_t.frac_bits + k
        raw, extra, arg, inputs = sums, "", "", []
    else:
        consts += "    static constexpr int divisor_log2 = -1;\n"
        r_t = FixedType(10, 0, False)
        recip = int(round(2**10 / divisor))
        frac = x_t.frac_bits + r_t.frac_bits
        raw, extra, arg, inputs = sums * recip, _typedefs(reciprocal_t=r_t), ", r", [recip]
    out_t = output_type_near(rng, sum_t.width + 10, frac)
    y = cast_raw(raw, frac, out_t)
    decls = _struct(cfg, consts + _typedefs(input_t=x_t, accum_t=sum_t, output_t=out_t) + extra)
    setup = "" if pow2 else f"    const {cfg}::reciprocal_t r = harness::read_value<{cfg}::reciprocal_t>();\n"
    kernel = "global_avgpool" if global_pool else "avgpool2d"
    n_out = (h // kh) * (w_ // kw)
    cpp = decls + f"""static void case_{name}() {{
{setup}    harness::begin_case("{name}");
    codesign::stream<codesign::array<{cfg}::input_t, {c}> > in("in");
    codesign::stream<codesign::array<{cfg}::output_t, {c}> > out("out");
    harness::feed_pixels(in, {h * w_});
    codesign::{kernel}<{cfg}>(in, out{arg});
    harness::drain_pixels(out, {n_out});
    harness::end_case();
}}
"""
    return Case(name, cpp, inputs + _ints(xs.transpose(1, 2, 0)), _ints(y.transpose(1, 2, 0)))


def thermometer_case(rng: np.random.Generator, name: str) -> Case:
    n_pixels, c, t = int(rng.integers(1, 6)), int(rng.integers(1, 4)), int(rng.integers(1, 5))
    thresholds = np.sort(rng.choice(256, size=t, replace=False)).astype(np.int64)
    xs = rng.integers(0, 256, size=(n_pixels, c), dtype=np.int64)
    planes = (xs[:, :, None] >= thresholds[None, None, :]).astype(np.int64).reshape(n_pixels, c * t)
    cfg = name + "_cfg"
    decls = _struct(cfg, _consts(n_pixels=n_pixels, n_chan=c, n_thresholds=t) + _typedefs(input_t="ap_uint<8>"))
    cpp = decls + f"""static void case_{name}() {{
    {cfg}::input_t thr[{t}];
    harness::read_values(thr);
    harness::begin_case("{name}");
    codesign::stream<codesign::array<{cfg}::input_t, {c}> > in("in");
    codesign::stream<ap_uint<{c * t}> > out("out");
    harness::feed_pixels(in, {n_pixels});
    codesign::thermometer<{cfg}>(in, out, thr);
    for (int p = 0; p < {n_pixels}; ++p) harness::write_bits(out.read());
    harness::end_case();
}}
"""
    return Case(name, cpp, _ints(thresholds) + _ints(xs), _ints(planes))


def flatten_case(rng: np.random.Generator, name: str) -> Case:
    n_pixels, c = int(rng.integers(1, 7)), int(rng.integers(1, 5))
    x_t = random_type(rng, (3, 9), (-1, 5))
    xs = random_raw(rng, x_t, (n_pixels, c))
    bits = rng.integers(0, 2, size=(n_pixels, c), dtype=np.int64)
    cfg = name + "_cfg"
    decls = _struct(cfg, _consts(n_pixels=n_pixels, n_chan=c) + _typedefs(input_t=x_t))
    n = n_pixels * c
    cpp = decls + f"""static void case_{name}() {{
    harness::begin_case("{name}");
    codesign::stream<codesign::array<{cfg}::input_t, {c}> > in("in");
    codesign::stream<ap_uint<{c}> > in_bits("in_bits");
    harness::feed_pixels(in, {n_pixels});
    for (int p = 0; p < {n_pixels}; ++p) in_bits.write(harness::read_bits<{c}>());
    {cfg}::input_t flat[{n}];
    ap_uint<{n}> flat_bits;
    codesign::flatten<{cfg}>(in, flat);
    codesign::flatten_binary<{cfg}>(in_bits, flat_bits);
    for (int i = 0; i < {n}; ++i) harness::write_value(flat[i]);
    harness::write_bits(flat_bits);
    harness::end_case();
}}
"""
    return Case(name, cpp, _ints(xs) + _ints(bits), _ints(xs.T) + _ints(bits.T))


def fixed_cases(seed: int) -> list[Case]:
    """Fixed-point kernels: dense, conv2d, batchnorm, add, activations, pooling."""
    rng = np.random.default_rng(seed)
    cases = []
    for k in range(3):
        cases.append(dense_case(rng, f"dense{k}", khot=False))
        cases.append(dense_case(rng, f"dense_khot{k}", khot=True))
        cases.append(batchnorm_case(rng, f"bn{k}", khot=False))
        cases.append(batchnorm_case(rng, f"bn_khot{k}", khot=True))
        cases.append(add_case(rng, f"add{k}"))
        for op in ("relu", "hardtanh", "sign"):
            cases.append(activation_case(rng, f"{op}{k}", op))
    for k in range(2):
        cases.append(conv2d_case(rng, f"conv{k}", depthwise=False))
    cases.append(conv2d_case(rng, "conv_dw", depthwise=True))
    cases.append(conv2d_case(rng, "conv_khot", depthwise=False, khot=True))
    for global_pool in (False, True):
        for pow2 in (True, False):
            cases.append(pool_case(rng, f"{'gap' if global_pool else 'pool'}_{'pow2' if pow2 else 'recip'}",
                                   global_pool, pow2))
    return cases


def binary_cases(seed: int) -> list[Case]:
    """Binary kernels and reshapes: binary conv/dense, thermometer, flatten."""
    rng = np.random.default_rng(seed)
    cases = []
    for k in range(3):
        cases.append(binary_conv2d_case(rng, f"bconv{k}"))
        cases.append(binary_dense_case(rng, f"bdense{k}"))
        cases.append(thermometer_case(rng, f"thermo{k}"))
        cases.append(flatten_case(rng, f"flatten{k}"))
    return cases


def translation_unit(cases: list[Case]) -> str:
    """A test program running every case in order."""
    calls = "".join(f"    case_{c.name}();\n" for c in cases)
    body = "\n".join(c.cpp for c in cases)
    return (f'// Generated by tests/hls/kernel_cases.py; do not edit.\n#include "harness.h"\n\n{body}\n'
            f"int main(int argc, char** argv) {{\n    if (argc != 2) return 2;\n"
            f"    harness::input().open(argv[1]);\n{calls}    return 0;\n}}\n")
