"""Binary layers and the thermometer encoder against popcount / comparison references."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from codesign.fixed import FixedType
from codesign.nn import BinaryConv2d, BinaryLinear, ThermometerEncoder
from nn_reference import popcount_conv


@pytest.mark.parametrize("seed", range(6))
def test_binary_conv2d_is_fan_in_minus_twice_popcount(seed: int) -> None:
    rng = np.random.default_rng(700 + seed)
    stride, pad, k = int(rng.integers(1, 3)), int(rng.integers(0, 3)), int(rng.integers(1, 4))
    pad_value, shift = int(rng.choice([-1, 1])), int(rng.integers(-3, 4))
    conv = BinaryConv2d(3, 4, k, stride, pad, pad_value=pad_value, shift=shift).eval()
    a_bits = rng.integers(0, 2, size=(2, 3, 6, 7))
    y = conv(torch.from_numpy(2.0 * a_bits - 1))
    w_bits = (conv.weight.detach().numpy() >= 0).astype(np.int64)
    count = popcount_conv(a_bits, w_bits, stride, pad, pad_value)
    np.testing.assert_array_equal(y.numpy(), count * 2.0**shift)
    node = conv.ir_node("b", ["x"], ["binary"], [[3, 6, 7]])
    out_t = FixedType.parse(node.out_type)
    assert out_t.frac_bits == -shift and out_t.raw_min <= -conv.fan_in and conv.fan_in <= out_t.raw_max
    np.testing.assert_array_equal(node.arrays["b.weight"], 2 * w_bits - 1)
    assert node.arrays["b.weight"].dtype == np.int8 and node.shape == list(y.shape[1:])


@pytest.mark.parametrize("shift", [-4, 0, 3])
def test_train_mode_conv_equals_eval_and_scales_its_gradients(shift: int) -> None:
    """Train mode folds 2**shift into the weights: the same values as eval mode, and the
    gradients of the unscaled convolution times 2**shift (exact: powers of two)."""
    torch.manual_seed(shift + 10)
    conv = BinaryConv2d(3, 4, 3, padding=1, shift=shift)
    plain = BinaryConv2d(3, 4, 3, padding=1, shift=0)
    plain.load_state_dict(conv.state_dict())
    x = torch.randn(5, 3, 6, 6).sign()
    upstream = torch.randn(5, 4, 6, 6)
    with torch.no_grad():
        want = conv.eval()(x.double()).float()
    grads = []
    for layer in (conv.train(), plain.train()):
        leaf = x.clone().requires_grad_(True)
        out = layer(leaf)
        out.backward(upstream)
        grads.append((out.detach(), leaf.grad, layer.weight.grad))
    assert torch.equal(grads[0][0], want)
    assert torch.equal(grads[0][1], grads[1][1] * 2.0**shift)
    assert torch.equal(grads[0][2], grads[1][2] * 2.0**shift)


def test_binary_linear_and_sign_of_zero_weight() -> None:
    lin = BinaryLinear(5, 2, shift=1).eval()
    with torch.no_grad():
        lin.weight.copy_(torch.tensor([[0.0, -0.1, 0.2, -0.3, 0.4], [1.0, 1.0, -1.0, -1.0, 0.0]]))
    a = torch.tensor([[1.0, 1.0, -1.0, -1.0, 1.0]])
    # bits a = 11001; w0 = 10101 (sign(0) = +1) -> xor 01100: 5 - 2*2 = 1; w1 = 11001 -> 5
    assert lin(a).tolist() == [[2.0, 10.0]]
    with pytest.raises(ValueError, match="binary"):
        lin(torch.tensor([[0.5, 1.0, 1.0, 1.0, 1.0]]))


def test_binary_gradients_are_clipped_straight_through() -> None:
    conv = BinaryConv2d(2, 3, 3, padding=1).train()
    with torch.no_grad():
        conv.weight[0].fill_(2.0)  # outside the clip: no gradient
    x = torch.randn(2, 2, 5, 5).sign().requires_grad_()
    conv(x).sum().backward()
    assert conv.weight.grad[0].abs().sum() == 0 and conv.weight.grad[1:].abs().sum() > 0
    assert x.grad is not None and x.grad.abs().sum() > 0


def test_thermometer_planes() -> None:
    enc = ThermometerEncoder(2, thresholds=[10, 100, 200]).eval()
    rng = np.random.default_rng(9)
    img = rng.integers(0, 256, size=(3, 2, 4, 5))
    y = enc(torch.from_numpy(img).to(torch.uint8))
    assert y.shape == (3, 6, 4, 5)
    for c in range(2):
        for t, thr in enumerate([10, 100, 200]):
            np.testing.assert_array_equal(y[:, c * 3 + t].numpy(), np.where(img[:, c] >= thr, 1, -1))
    node = enc.ir_node("th", ["input"], ["ap_uint<8>"], [[2, 4, 5]]).node
    assert node["attrs"] == {"thresholds": [10, 100, 200]} and node["shape"] == [6, 4, 5]
    assert ThermometerEncoder(1, levels=3).thresholds == [64, 128, 192]
