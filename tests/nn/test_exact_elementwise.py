"""QAdd, QAct, pooling, QPReLU, QFlatten eval mode == numpy int64 semantics, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from codesign.fixed import FixedType
from codesign.nn import QAct, QAdd, QAvgPool2d, QFlatten, QGlobalAvgPool2d, QPReLU
from codesign.quant import LayerQuant
from nn_helpers import layer_quant, random_constant, random_raw, random_type, raw_of, spec, values
from nn_reference import cast, signed_digit_count


@pytest.mark.parametrize("seed", range(10))
def test_qadd_matches_reference(seed: int) -> None:
    rng = np.random.default_rng(300 + seed)
    ta, tb, tout = random_type(rng), random_type(rng), random_type(rng, 3, 7)
    add = QAdd(layer_quant(residual=tout)).eval()
    a, b = random_raw(rng, ta, (5, 2, 3, 3)), random_raw(rng, tb, (5, 2, 3, 3))
    y = add(values(a, ta), values(b, tb))
    f = max(ta.frac_bits, tb.frac_bits)
    acc = (a << (f - ta.frac_bits)) + (b << (f - tb.frac_bits))
    np.testing.assert_array_equal(raw_of(y, tout), cast(acc, f, tout))
    node = add.ir_node("r", ["a", "b"], [ta.cpp, tb.cpp], [[2, 3, 3], [2, 3, 3]]).node
    acc_t = FixedType.parse(node["acc_type"])
    assert acc_t.raw_min <= acc.min() and acc.max() <= acc_t.raw_max


@pytest.mark.parametrize("seed", range(8))
def test_qact_matches_reference(seed: int) -> None:
    rng = np.random.default_rng(400 + seed)
    tin, tout = random_type(rng, 4, 9, signed=True), random_type(rng, 3, 7)
    x = random_raw(rng, tin, (50,))
    xv = values(x, tin)
    relu = QAct("relu", LayerQuant(output=spec(tout)), relu_unsigned=False).eval()
    np.testing.assert_array_equal(raw_of(relu(xv), tout), cast(np.maximum(x, 0), tin.frac_bits, tout))
    lo_raw, hi_raw = sorted(int(v) for v in rng.integers(tin.raw_min, tin.raw_max + 1, size=2))
    ht = QAct("hardtanh", LayerQuant(output=spec(tout)), min_val=lo_raw * tin.lsb, max_val=hi_raw * tin.lsb).eval()
    np.testing.assert_array_equal(raw_of(ht(xv), tout), cast(np.clip(x, lo_raw, hi_raw), tin.frac_bits, tout))
    node = ht.ir_node("h", ["x"], [tin.cpp], [[50]]).node
    assert node["attrs"] == {"min_raw": lo_raw, "max_raw": hi_raw}
    ident = QAct("identity", LayerQuant(output=spec(tout))).eval()
    np.testing.assert_array_equal(raw_of(ident(xv), tout), cast(x, tin.frac_bits, tout))
    sign = QAct("sign").eval()
    np.testing.assert_array_equal(sign(xv).numpy(), np.where(x >= 0, 1, -1))
    assert sign.ir_node("s", ["x"], [tin.cpp], [[50]]).out_type == "binary"


def test_relu_output_is_unsigned_by_default() -> None:
    act = QAct("relu", LayerQuant.defaults("fixed", 8))
    assert not act.quant["output"].fixed_type.signed


def test_sign_of_zero_is_plus_one_and_gradient_is_clipped() -> None:
    x = torch.tensor([-2.0, -0.5, 0.0, 0.5, 2.0], requires_grad=True)
    y = QAct("sign").train()(x)
    assert y.tolist() == [-1.0, -1.0, 1.0, 1.0, 1.0]
    y.sum().backward()
    assert x.grad.tolist() == [0.0, 1.0, 1.0, 1.0, 0.0]


@pytest.mark.parametrize("kernel", [2, 3, (2, 4), (1, 3)])
def test_avgpool_matches_reference(kernel: int | tuple[int, int]) -> None:
    rng = np.random.default_rng(500)
    kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
    tin, tout = FixedType(7, 3, True), random_type(rng, 6, 9)
    pool = QAvgPool2d(kernel, LayerQuant(output=spec(tout)), reciprocal_bits=12, reciprocal_k=2).eval()
    x = random_raw(rng, tin, (3, 2, 12, 12))
    y = pool(values(x, tin))
    s = x.reshape(3, 2, 12 // kh, kh, 12 // kw, kw).sum(axis=(3, 5))
    d = kh * kw
    node = pool.ir_node("p", ["x"], [tin.cpp], [[2, 12, 12]])
    if d & (d - 1) == 0:
        expected = cast(s, tin.frac_bits + d.bit_length() - 1, tout)
        assert "reciprocal" not in node.node["params"]
    else:
        r = int(node.arrays["p.reciprocal"])
        assert node.node["params"]["reciprocal"]["type"] == "ap_ufixed<12,0>"
        # r has <= 2 signed digits and no 2-digit raw value is nearer to 2**12/d
        assert signed_digit_count(r) <= 2
        best = min((c for c in range(1, 1 << 12) if signed_digit_count(c) <= 2),
                   key=lambda c: (abs(c * d - (1 << 12)), -c))
        assert r == best
        expected = cast(s * r, tin.frac_bits + 12, tout)
    np.testing.assert_array_equal(raw_of(y, tout), expected)
    assert node.node["attrs"]["divisor"] == d


def test_global_avgpool_matches_reference() -> None:
    rng = np.random.default_rng(501)
    tin, tout = FixedType(8, 2, False), FixedType(6, 1, True)
    pool = QGlobalAvgPool2d(LayerQuant(output=spec(tout))).eval()
    x = random_raw(rng, tin, (4, 3, 8, 8))
    y = pool(values(x, tin))
    assert y.shape == (4, 3)
    np.testing.assert_array_equal(raw_of(y, tout), cast(x.sum(axis=(2, 3)), tin.frac_bits + 6, tout))
    node = pool.ir_node("g", ["x"], [tin.cpp], [[3, 8, 8]]).node
    assert node["shape"] == [3] and node["attrs"]["divisor"] == 64


@pytest.mark.parametrize("seed", range(6))
def test_prelu_matches_reference(seed: int) -> None:
    rng = np.random.default_rng(600 + seed)
    tin, ts, tout = random_type(rng, signed=True), random_type(rng, 3, 6), random_type(rng, 3, 7)
    c = 3
    act = QPReLU(c, LayerQuant(output=spec(tout)), slope=spec(ts)).eval()
    s = random_constant(rng, ts, (c,))
    with torch.no_grad():
        act.slope.copy_(values(s, ts))
    x = random_raw(rng, tin, (4, c, 5))
    y = act(values(x, tin))
    acc = np.where(x >= 0, x << ts.frac_bits, x * s[None, :, None])
    np.testing.assert_array_equal(raw_of(y, tout), cast(acc, tin.frac_bits + ts.frac_bits, tout))
    node = act.ir_node("p", ["x"], [tin.cpp], [[c, 5]])
    np.testing.assert_array_equal(node.arrays["p.slope"], s)


def test_prelu_training_path_equals_the_eval_form() -> None:
    """Training runs one fused ``prelu``; its output (on the same grid values, float64 here so
    the eval form is exact too) and its gradients equal where(x >= 0, x, x * slope) cast, with
    the gradient at x == 0 taking the slope (the only difference, a subgradient choice)."""
    rng = np.random.default_rng(7)
    tin, ts, tout = FixedType(8, 3), FixedType(8, 2), FixedType(10, 4)
    c = 4
    act = QPReLU(c, LayerQuant(output=spec(tout)), slope=spec(ts))
    with torch.no_grad():
        act.slope.copy_(values(random_constant(rng, ts, (c,)), ts))
    raw = random_raw(rng, tin, (6, c, 5))
    raw[0, :, 0] = 0  # exact zeros in every channel
    x_train = values(raw, tin).clone().requires_grad_(True)
    y_train = act.train()(x_train)
    y_train.backward(torch.arange(y_train.numel(), dtype=y_train.dtype).reshape(y_train.shape) % 7 - 3)
    with torch.no_grad():
        y_eval = act.eval()(values(raw, tin))
    assert torch.equal(y_train.detach().to(torch.float64), y_eval)
    slope = act.quantized_slope(torch.float64).view(1, c, 1)
    upstream = (torch.arange(y_train.numel(), dtype=torch.float64).reshape(y_train.shape) % 7 - 3)
    inside = (y_train.detach() > -2.0**tout.int_bits) & (y_train.detach() < 2.0**tout.int_bits)
    expected = torch.where(torch.as_tensor(raw) > 0, upstream, upstream * slope) * inside
    assert torch.allclose(x_train.grad.to(torch.float64), expected)


def test_flatten_keeps_values_and_type() -> None:
    x = torch.randn(2, 3, 4, 5)
    assert torch.equal(QFlatten().eval()(x), x.double().reshape(2, 60))
    node = QFlatten().ir_node("f", ["x"], ["ap_fixed<8,3>"], [[3, 4, 5]]).node
    assert node["shape"] == [60] and node["out_type"] == "ap_fixed<8,3>"
