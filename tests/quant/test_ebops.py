"""EBOPs by hand for a small dense and conv layer; beta schedules and the controller."""

from __future__ import annotations

import pytest
import torch

from codesign.quant import (
    ConstantBeta,
    EBOPsController,
    ExponentialRampBeta,
    HGQQuantizer,
    LinearRampBeta,
    beta_penalty,
    ebops_conv2d,
    ebops_dense,
)


def test_dense_by_hand() -> None:
    bits_in = torch.tensor([2.0, 3.0, 0.0])
    bits_w = torch.tensor([[1.0, 4.0, 5.0], [0.0, 2.0, 1.0]])
    # 2*1 + 3*4 + 0*5 + 2*0 + 3*2 + 0*1 = 20
    assert float(ebops_dense(bits_in, bits_w)) == 20.0
    # two positions sharing the weights cost twice
    assert float(ebops_dense(torch.stack([bits_in, bits_in]), bits_w)) == 40.0
    with pytest.raises(ValueError, match="does not end in N"):
        ebops_dense(torch.ones(4), bits_w)


def test_conv_by_hand() -> None:
    # 1 input channel 3x3, 1 output channel, 2x2 kernel, stride 1, no padding: 4 windows
    bits_in = torch.arange(1.0, 10.0).reshape(1, 3, 3)  # [[1,2,3],[4,5,6],[7,8,9]]
    bits_w = torch.tensor([[[[1.0, 0.0], [2.0, 1.0]]]])
    # window (r,c): b[r,c]*1 + b[r+1,c]*2 + b[r+1,c+1]*1
    windows = [(1 + 8 + 5), (2 + 10 + 6), (4 + 14 + 8), (5 + 16 + 9)]
    assert float(ebops_conv2d(bits_in, bits_w)) == sum(windows)
    # padding 1: the padded zeros cost nothing; 16 windows, count each input x weight pair
    padded = float(ebops_conv2d(bits_in, bits_w, padding=1))
    by_hand = 0.0
    b = torch.nn.functional.pad(bits_in[0], (1, 1, 1, 1))
    for r in range(3 + 2 - 1):
        for c in range(3 + 2 - 1):
            by_hand += float(b[r, c] * 1 + b[r + 1, c] * 2 + b[r + 1, c + 1] * 1)
    assert padded == by_hand
    # stride 2 keeps window (0,0) only; groups: two independent 1-channel convs
    assert float(ebops_conv2d(bits_in, bits_w, stride=2)) == windows[0]
    two = torch.cat([bits_in, 2 * bits_in])
    assert float(ebops_conv2d(two, torch.cat([bits_w, bits_w]), groups=2)) == 3 * sum(windows)


def test_agrees_with_hgq_bits() -> None:
    """Dense EBOPs from HGQ bit maps equals the sum over multiplies of bits(x)*bits(w)."""
    x = torch.randn(32, 5)
    w = torch.randn(3, 5)
    act = HGQQuantizer(init_frac_bits=3.0)
    act(x)
    wq = HGQQuantizer(kind="weight", init_frac_bits=2.0, shape=(3, 5))
    wq(w)
    b_in, b_w = act.bits(), wq.bits()
    total = sum(float(b_in[n] * b_w[m, n]) for m in range(3) for n in range(5))
    assert float(ebops_dense(b_in, b_w)) == pytest.approx(total)
    ebops = ebops_dense(b_in, b_w)
    beta_penalty(ebops, 0.5).backward()
    assert act.frac_bits.grad is not None and wq.frac_bits.grad is not None


def test_schedules() -> None:
    assert ConstantBeta(1e-5)(7) == 1e-5
    ramp = LinearRampBeta(0.0, 1.0, epochs=4, begin=2)
    assert [ramp(e) for e in range(8)] == [0.0, 0.0, 0.0, 0.25, 0.5, 0.75, 1.0, 1.0]
    exp = ExponentialRampBeta(1e-6, 1e-4, epochs=2)
    assert exp(0) == pytest.approx(1e-6) and exp(1) == pytest.approx(1e-5) and exp(5) == pytest.approx(1e-4)
    with pytest.raises(ValueError):
        ExponentialRampBeta(0.0, 1.0, 3)
    with pytest.raises(ValueError):
        ConstantBeta(-1.0)
    with pytest.raises(Exception):
        ramp.start = 3.0  # frozen


def test_controller_steers_toward_target() -> None:
    ctrl = EBOPsController(target=1000.0, beta0=1e-4, gain=1.0)
    assert ctrl.update(2000.0) == pytest.approx(2e-4)  # above target: beta grows
    assert ctrl.update(500.0) == pytest.approx(1e-4)  # below: shrinks
    # closed loop on a toy plant where EBOPs fall as beta rises
    ctrl = EBOPsController(target=1000.0, beta0=1e-6, gain=0.5)
    for _ in range(60):
        ebops = 1e5 / (1.0 + 1e5 * ctrl.beta)
        ctrl.update(ebops)
    assert ebops == pytest.approx(1000.0, rel=0.05)
    with pytest.raises(ValueError):
        EBOPsController(target=0.0, beta0=1e-4)
