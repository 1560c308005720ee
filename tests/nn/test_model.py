"""Training gradients, EBOPs by hand, QFX eval exactness, quantize_model / ptq / summary."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from codesign.fixed import FixedType
from codesign.nn import QConv2d, QFlatten, QLinear, ebops, fixed_types, ptq, quantize_model, summary
from codesign.quant import LayerQuant, QuantSpec
from nn_helpers import layer_quant, raw_of
from nn_reference import cast, dense


def _cnn() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.AvgPool2d(2),
        nn.Conv2d(8, 8, 3, padding=1, groups=2), nn.Hardtanh(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
        nn.Linear(8, 4),
    )


@pytest.mark.parametrize("scheme", ["fixed", "qfx", "khot", "hgq"])
def test_train_mode_gradients_flow(scheme: str) -> None:
    model = quantize_model(_cnn(), scheme).train()
    x = torch.randn(4, 3, 8, 8)
    y = model(x)
    assert y.dtype == torch.float32
    y.square().sum().backward()
    for name in ("0.weight", "1.weight", "4.weight", "8.weight", "8.bias"):
        grad = dict(model.named_parameters())[name].grad
        assert grad is not None and grad.abs().sum() > 0, name


def test_quantize_model_swaps_layers_and_tracks_float_model() -> None:
    net = _cnn()
    x = torch.rand(16, 3, 8, 8) * 2 - 1
    net.train()(x)  # BN statistics
    q = quantize_model(net.eval(), "qfx", width=12).eval()
    kinds = [type(m).__name__ for m in q]
    assert kinds == ["QConv2d", "QBatchNorm2d", "QAct", "QAvgPool2d", "QConv2d", "QAct",
                     "QGlobalAvgPool2d", "QFlatten", "QLinear"]
    assert "input" in q[0].quant and "input" not in q[4].quant and "input" not in q[8].quant
    y, ref = q(x), net(x)
    assert y.shape == ref.shape and y.dtype == torch.float64
    assert torch.allclose(y.float(), ref, atol=0.1)
    types = fixed_types(q)
    assert set(types["0"]) == {"input", "weight", "bias", "output"}
    assert isinstance(types["1"]["scale"][0], FixedType)


def test_ptq_calibrates_and_returns_eval_model() -> None:
    net = _cnn().eval()
    x = torch.randn(8, 3, 8, 8) * 4
    q = ptq(net, "qfx", [x[:4], x[4:]], width=10)
    assert not q.training
    in_t = q[0].quant["input"].fixed_type
    assert in_t.max >= float(x.abs().max()) * 0.99  # the input range was calibrated
    assert torch.allclose(q(x).float(), net(x), atol=0.25)


def test_qfx_per_channel_linear_matches_reference() -> None:
    rng = np.random.default_rng(11)
    quant = LayerQuant(
        input=QuantSpec("qfx", 8, 2), weight=QuantSpec("qfx", 6, 0, per_channel=True),
        bias=QuantSpec("qfx", 10, 3), output=QuantSpec("qfx", 7, 3),
    )
    layer = QLinear(6, 3, quant=quant, quantize_input=True)
    with torch.no_grad():
        layer.quant["weight"].int_bits.copy_(torch.tensor([0.0, 1.0, -1.0]))
    layer.eval()
    x = torch.from_numpy(rng.uniform(-2, 2, size=(10, 6)))
    y = layer(x)
    tin, tout = layer.quant["input"].fixed_type, layer.quant["output"].fixed_type
    node = layer.ir_node("fc", ["x"], [tin.cpp], [[6]])
    tw, tb = (FixedType.parse(node.node["params"][k]["type"]) for k in ("weight", "bias"))
    w, b = node.arrays["fc.weight"], node.arrays["fc.bias"]
    xr = raw_of(layer.quant["input"](x), tin)
    f = max(tin.frac_bits + tw.frac_bits, tb.frac_bits)
    acc = (dense(xr, w, None, 0) << (f - tin.frac_bits - tw.frac_bits)) + (b[None] << (f - tb.frac_bits))
    np.testing.assert_array_equal(raw_of(y, tout), cast(acc, f, tout))


def test_ebops_by_hand() -> None:
    tin, tw = FixedType(6, 2), FixedType(4, 1)
    quant = layer_quant(input=tin, weight=tw, bias=FixedType(8, 3), output=FixedType(5, 2))
    model = nn.Sequential(
        QConv2d(2, 3, 3, stride=1, padding=1, quant=quant, quantize_input=True),
        QFlatten(),
        QLinear(3 * 4 * 4, 2, quant=quant),
    )
    e = ebops(model, torch.zeros(1, 2, 4, 4)).as_floats()
    # conv: each output pixel multiplies (valid window taps) * Cin inputs; 4x4 image, 3x3 kernel, pad 1:
    taps = sum(
        sum(1 for dy in (-1, 0, 1) for dx in (-1, 0, 1) if 0 <= i + dy < 4 and 0 <= j + dx < 4)
        for i in range(4) for j in range(4)
    )
    assert taps == 4 * 4 + 8 * 6 + 4 * 9  # corners, edges, interior
    assert e["0"] == 3 * taps * 2 * 6 * 4
    assert e["2"] == 48 * 2 * 5 * 4  # dense input = conv output (5 bits), weights 4 bits
    table = summary(model, torch.zeros(1, 2, 4, 4))
    assert list(table["ebops"].dropna()) == [e["0"], e["2"]]
    assert table.loc[0, "weight_bits"] == 3 * 2 * 9 * 4


def test_khot_weights_report_k_and_have_at_most_k_digits() -> None:
    from nn_reference import signed_digit_count

    model = quantize_model(_cnn(), "khot", k=2).eval()
    node = model[0].ir_node("c", ["x"], [model[0].quant["input"].fixed_type.cpp], [[3, 8, 8]])
    assert node.node["attrs"]["khot"] == 2
    assert max(signed_digit_count(int(v)) for v in node.arrays["c.weight"].ravel()) <= 2
    assert summary(model)["khot"].iloc[0] == 2
