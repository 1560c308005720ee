"""Calibration: integer bits from observed ranges, with margin; freezing."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from codesign.quant import (
    FixedQuantizer,
    HGQQuantizer,
    KHotQuantizer,
    QFXQuantizer,
    calibrate,
    freeze_int_bits,
)
from codesign.fixed import FixedType


class _Tiny(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.inq = QFXQuantizer(8, int_bits=0)
        self.chq = QFXQuantizer(6, int_bits=0, channels=2, channel_axis=1)
        self.khot = KHotQuantizer(2, 6, int_bits=0)
        self.hgq = HGQQuantizer(init_frac_bits=3.0, granularity="channel", channels=2, channel_axis=1)
        self.fixed = FixedQuantizer(FixedType(8, 4))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fixed(self.hgq(self.khot(self.chq(self.inq(x)))))


def test_calibrate_sets_smallest_covering_int_bits() -> None:
    model = _Tiny().train()
    batches = [torch.tensor([[0.3, -2.5]]), torch.tensor([[5.0, 0.1]])]
    calibrate(model, batches)
    assert model.training  # modes restored
    # per tensor max|x| = 5: ap_fixed<8,I> max = 127 * 2**(I-8) >= 5 -> I = 4 (I=3 gives 3.97)
    assert model.inq.fixed_type.int_bits == 4
    # per channel: 5.0 -> I=4 (31/32*8 = 7.75 >= 5, I=3 gives 3.875); 2.5 -> I=3 (3.875 >= 2.5)
    assert [t.int_bits for t in model.chq.fixed_types()] == [4, 3]
    assert model.khot.fixed_type.int_bits == 4
    assert model.hgq.int_bits().tolist() == [3.0, 2.0]  # 2**3 > 5, 2**2 > 2.5
    # margin widens the range
    calibrate(model, batches, margin=2.0)
    assert model.inq.fixed_type.int_bits == 5
    # boundary: a value equal to t.max needs no extra bit
    q = QFXQuantizer(4, int_bits=0)
    calibrate(nn.Sequential(q), [torch.tensor([7.0 / 8.0])])
    assert q.fixed_type.int_bits == 1  # ap_fixed<4,1> max = 0.875


def test_calibration_passes_through_and_requires_data() -> None:
    q = QFXQuantizer(4, int_bits=0)
    q.start_calibration()
    x = torch.tensor([3.3, -7.1])
    assert torch.equal(q(x), x)
    with pytest.raises(ValueError, match="margin"):
        q.finish_calibration(0.0)
    q.finish_calibration()
    assert not q.calibrating
    with pytest.raises(ValueError, match="without start"):
        q.finish_calibration()
    with pytest.raises(ValueError, match="no batches"):
        calibrate(nn.Sequential(QFXQuantizer(4)), [])
    with pytest.raises(ValueError, match="no calibratable"):
        calibrate(nn.Sequential(nn.ReLU()), [torch.zeros(1)])


def test_freeze_int_bits() -> None:
    model = _Tiny()
    model(torch.randn(4, 2))
    assert freeze_int_bits(model) == 4
    assert not model.inq.int_bits.requires_grad and not model.khot.int_bits.requires_grad
    before = model.hgq.amax.clone()
    model.train()(torch.randn(4, 2) * 100)
    assert torch.equal(model.hgq.amax, before)
