"""QLinear, QConv2d, QBatchNorm eval mode == independent numpy int64 semantics, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from codesign.fixed import FixedType, Overflow, Rounding
from codesign.nn import QBatchNorm2d, QConv2d, QLinear
from codesign.nn.types import float32_exact
from nn_helpers import layer_quant, random_constant, random_raw, random_type, raw_of, values
from nn_reference import cast, conv2d, dense


def _set(param: torch.Tensor, raw: np.ndarray, t: FixedType) -> None:
    with torch.no_grad():
        param.copy_(values(raw, t, torch.float32))


@pytest.mark.parametrize("seed", range(12))
def test_qlinear_matches_reference(seed: int) -> None:
    rng = np.random.default_rng(seed)
    tin, tw, tb, tout = random_type(rng), random_type(rng), random_type(rng), random_type(rng, 3, 7)
    n, m = int(rng.integers(1, 20)), int(rng.integers(1, 6))
    layer = QLinear(n, m, quant=layer_quant(input=tin, weight=tw, bias=tb, output=tout), quantize_input=True).eval()
    w, b = random_constant(rng, tw, (m, n)), random_constant(rng, tb, (m,))
    _set(layer.weight, w, tw)
    _set(layer.bias, b, tb)
    x = random_constant(rng, tin, (16, n))  # the input quantizer maps raw_min to -max under AP_SAT_SYM
    y = layer(values(x, tin))
    assert y.dtype == torch.float64
    f = max(tin.frac_bits + tw.frac_bits, tb.frac_bits)
    acc = (dense(x, w, None, 0) << (f - tin.frac_bits - tw.frac_bits)) + (b[None] << (f - tb.frac_bits))
    expected = cast(acc, f, tout)
    np.testing.assert_array_equal(raw_of(y, tout), expected)
    node = layer.ir_node("fc", ["x"], [tin.cpp], [[n]])
    np.testing.assert_array_equal(node.arrays["fc.weight"], w)
    np.testing.assert_array_equal(node.arrays["fc.bias"], b)
    acc_t = FixedType.parse(node.node["acc_type"])
    assert acc_t.frac_bits == f and acc_t.raw_min <= acc.min() and acc.max() <= acc_t.raw_max


@pytest.mark.parametrize("seed", range(10))
def test_qconv2d_matches_reference(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    tin, tw, tout = random_type(rng), random_type(rng), random_type(rng, 3, 7)
    groups = int(rng.choice([1, 2]))
    cin, cout = 2 * int(rng.integers(1, 3)), 2 * int(rng.integers(1, 3))
    k, stride, pad = int(rng.integers(1, 4)), int(rng.integers(1, 3)), int(rng.integers(0, 3))
    layer = QConv2d(cin, cout, k, stride, pad, groups, bias=False,
                    quant=layer_quant(weight=tw, output=tout)).eval()
    w = random_constant(rng, tw, tuple(layer.weight.shape))
    _set(layer.weight, w, tw)
    x = random_constant(rng, tin, (3, cin, 7, 6))  # input quantizer: raw_min -> -max under AP_SAT_SYM
    y = layer(values(x, tin))
    expected = cast(conv2d(x, w, stride, pad, groups), tin.frac_bits + tw.frac_bits, tout)
    np.testing.assert_array_equal(raw_of(y, tout), expected)
    node = layer.ir_node("c", ["x"], [tin.cpp], [[cin, 7, 6]]).node
    assert node["shape"] == list(y.shape[1:])
    assert node["attrs"] == {"kernel": [k, k], "stride": [stride, stride], "padding": [pad, pad],
                             "groups": groups, "khot": None}


def test_qlinear_wraps_and_saturates() -> None:
    """A narrow output type: the cast wraps (AP_WRAP) or clamps (AP_SAT) large sums."""
    tw = FixedType(6, 2)
    for overflow in (Overflow.WRAP, Overflow.SAT):
        tout = FixedType(4, 2, True, Rounding.RND, overflow)
        layer = QLinear(4, 1, bias=False, quant=layer_quant(weight=tw, output=tout)).eval()
        with torch.no_grad():
            layer.weight.fill_(1.5)
        y = layer(torch.full((1, 4), 3.0, dtype=torch.float64))  # 18.0
        assert float(y.detach()) == (-2.0 if overflow is Overflow.WRAP else tout.max)  # 18 mod 4 -> -2


@pytest.mark.parametrize("seed", range(8))
def test_qbatchnorm_matches_reference(seed: int) -> None:
    rng = np.random.default_rng(200 + seed)
    tin, ts, tb, tout = random_type(rng), random_type(rng, 3, 7), random_type(rng, 3, 9), random_type(rng, 3, 7)
    c = 3
    bn = QBatchNorm2d(c, eps=0.0, quant=layer_quant(bn_scale=ts, bn_bias=tb, output=tout)).eval()
    s_raw, b_raw = random_constant(rng, ts, (c,)), random_constant(rng, tb, (c,))
    v = rng.integers(-2, 3, size=c)  # var = 4**v: sqrt is exact
    mean = rng.integers(-8, 9, size=c) / 16.0
    scale = s_raw * 2.0**-ts.frac_bits
    with torch.no_grad():
        bn.running_var.copy_(torch.from_numpy(4.0**v))
        bn.running_mean.copy_(torch.from_numpy(mean))
        bn.weight.copy_(torch.from_numpy(scale * 2.0**v))
        bn.bias.copy_(torch.from_numpy(b_raw * 2.0**-tb.frac_bits + mean * scale))
    x = random_raw(rng, tin, (4, c, 3, 3))
    y = bn(values(x, tin))
    f = max(tin.frac_bits + ts.frac_bits, tb.frac_bits)
    acc = (x * s_raw[None, :, None, None] << (f - tin.frac_bits - ts.frac_bits)) + (
        b_raw[None, :, None, None] << (f - tb.frac_bits)
    )
    np.testing.assert_array_equal(raw_of(y, tout), cast(acc, f, tout))
    node = bn.ir_node("bn", ["x"], [tin.cpp], [[c, 3, 3]])
    np.testing.assert_array_equal(node.arrays["bn.scale"], s_raw)
    np.testing.assert_array_equal(node.arrays["bn.bias"], b_raw)


def test_batchnorm_train_uses_batch_statistics_and_updates_running() -> None:
    bn = QBatchNorm2d(2, quant=layer_quant(output=FixedType(12, 4))).train()
    x = (torch.randn(8, 2, 4, 4) * 3 + 1).requires_grad_()
    y = bn(x)
    assert torch.allclose(y.mean(dim=(0, 2, 3)), torch.zeros(2), atol=0.02)
    assert not torch.allclose(bn.running_mean, torch.zeros(2))
    y.pow(2).sum().backward()
    assert x.grad is not None and bn.weight.grad is not None and bn.weight.grad.abs().sum() > 0


def test_eval_refuses_accumulators_wider_than_53_bits() -> None:
    t = FixedType(40, 10)
    layer = QLinear(64, 2, bias=False, quant=layer_quant(input=t, weight=t, output=t), quantize_input=True).eval()
    with torch.no_grad():
        layer.weight.fill_(2.0**-20 + 1)
    with pytest.raises(ValueError, match="53"):
        layer(torch.full((1, 64), 1.0 + 2.0**-29, dtype=torch.float64))
    with pytest.raises(ValueError, match="53"):
        layer.ir_node("fc", ["x"], [t.cpp], [[64]])


def test_ir_node_refuses_a_casting_input_quantizer() -> None:
    layer = QLinear(3, 2, quant=layer_quant(input=FixedType(8, 2), weight=FixedType(8, 1),
                                             bias=FixedType(8, 2), output=FixedType(8, 3)),
                    quantize_input=True).eval()
    layer.ir_node("fc", ["x"], ["ap_fixed<6,2>"], [[3]])  # held exactly by ap_fixed<8,2>
    with pytest.raises(ValueError, match="graph input type"):
        layer.ir_node("fc", ["x"], ["ap_fixed<8,3>"], [[3]])


def test_float32_exact_bounds() -> None:
    """Eval mode sums in float32 only when every partial sum fits its 24-bit mantissa."""
    assert float32_exact(FixedType(24, 10)) and not float32_exact(FixedType(25, 10))
    assert float32_exact(FixedType(8, -92)) and not float32_exact(FixedType(8, -93))  # LSB 2**-100 / 2**-101
    assert float32_exact(FixedType(8, 100)) and not float32_exact(FixedType(8, 101))


@pytest.mark.parametrize("width", [8, 9, 10, 11, 12, 16])
def test_accumulator_at_the_float32_limit(width: int) -> None:
    """Extreme operands whose exact sums need 23 to 38 bits: the result equals the int64
    reference on both sides of float32's 24-bit limit (a float32 sum beyond it would round)."""
    rng = np.random.default_rng(width)
    tin = tw = FixedType(width, 2, True, Rounding.TRN, Overflow.WRAP)
    tout = FixedType(48, 40, True)
    cin, k = 15, 3
    layer = QConv2d(cin, 4, k, 1, 1, bias=False, quant=layer_quant(input=tin, weight=tw, output=tout),
                    quantize_input=True).eval()
    # -raw_max and raw_max (all bits set) and random raw values: sums with every bit in use
    w = np.where(rng.random(tuple(layer.weight.shape)) < 0.8, -tw.raw_max, random_raw(rng, tw, tuple(layer.weight.shape)))
    w[0] = -tw.raw_max
    _set(layer.weight, w, tw)
    x = np.where(rng.random((2, cin, 5, 5)) < 0.8, -tin.raw_max, random_raw(rng, tin, (2, cin, 5, 5)))
    x[0, :, 1:4, 1:4] = -tin.raw_max  # output (0, 0, 2, 2) at the extreme
    y = layer(values(x, tin))
    acc = conv2d(x, w, 1, 1, 1)
    assert acc[0, 0, 2, 2] == cin * k * k * tin.raw_max**2
    np.testing.assert_array_equal(raw_of(y, tout), cast(acc, 2 * (width - 2), tout))
