"""QFX: eval bit-exactness, gradients against their formulas, the binary point learning."""

from __future__ import annotations

import itertools
import math

import pytest
import torch

from codesign.fixed import FixedType, Overflow, Rounding, quantize
from codesign.quant import QFXQuantizer, QuantSpec, make_quantizer

LN2 = math.log(2.0)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_eval_bit_exact_random_configs(dtype: torch.dtype) -> None:
    gen = torch.Generator().manual_seed(0)
    for rounding, overflow, signed in itertools.product(Rounding, Overflow, (True, False)):
        width = int(torch.randint(1, 17, (1,), generator=gen))
        int_bits = int(torch.randint(-4, 8, (1,), generator=gen))
        q = QFXQuantizer(width, signed=signed, int_bits=int_bits, rounding=rounding, overflow=overflow).eval()
        x = (torch.randn(64, generator=gen, dtype=torch.float64) * 2.0 ** (int_bits + 1)).to(dtype)
        t = FixedType(width, int_bits, signed, rounding, overflow)
        assert q.fixed_type == t
        assert torch.equal(q(x), quantize(x, t)), t


def test_eval_bit_exact_per_channel() -> None:
    gen = torch.Generator().manual_seed(1)
    for overflow in Overflow:
        q = QFXQuantizer(7, int_bits=1, channels=4, channel_axis=1, overflow=overflow,
                         rounding=Rounding.RND_ZERO).eval()
        with torch.no_grad():
            q.int_bits.copy_(torch.tensor([-1.2, 0.4, 2.0, 5.6]))
        x = torch.randn(3, 4, 5, generator=gen, dtype=torch.float64) * 8
        y = q(x)
        types = q.fixed_types()
        assert [t.int_bits for t in types] == [-1, 0, 2, 6]
        for c, t in enumerate(types):
            assert torch.equal(y[:, c], quantize(x[:, c], t))


def _formula(x: torch.Tensor, xq: torch.Tensor, t: FixedType) -> torch.Tensor:
    inside = (x >= t.min) & (x <= t.max)
    if t.overflow is Overflow.WRAP:
        return LN2 * (xq - x)
    outside = torch.clamp(x, t.min, t.max) if t.overflow is Overflow.SAT_ZERO else xq
    return LN2 * torch.where(inside, xq - x, outside)


@pytest.mark.parametrize("overflow", list(Overflow))
def test_gradients_match_formulas(overflow: Overflow) -> None:
    gen = torch.Generator().manual_seed(2)
    q = QFXQuantizer(6, int_bits=1.3, overflow=overflow)
    x = (torch.randn(50, generator=gen, dtype=torch.float64) * 2).requires_grad_()
    g = torch.randn(50, generator=gen, dtype=torch.float64)
    xq = q(x)
    (xq * g).sum().backward()
    t = q.fixed_type
    assert t.int_bits == 1
    inside = (x >= t.min) & (x <= t.max)
    assert bool((~inside).any()) and bool(inside.any())
    want_x = g if overflow is Overflow.WRAP else g * inside
    assert torch.allclose(x.grad, want_x)
    want_i = (g * _formula(x.detach(), xq.detach(), t)).sum()
    assert torch.allclose(q.int_bits.grad.double(), want_i, rtol=1e-5)


def test_per_channel_gradient_sums_per_channel() -> None:
    q = QFXQuantizer(5, int_bits=0, channels=3, channel_axis=-1)
    x = torch.randn(10, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(3)).requires_grad_()
    xq = q(x)
    xq.sum().backward()
    for c, t in enumerate(q.fixed_types()):
        want = _formula(x.detach()[:, c], xq.detach()[:, c], t).sum()
        assert torch.allclose(q.int_bits.grad[c].double(), want, rtol=1e-5)


def test_binary_point_grows_with_values() -> None:
    """Fit growing targets: the integer bits must grow to cover them."""
    torch.manual_seed(0)
    q = QFXQuantizer(8, int_bits=0)
    opt = torch.optim.Adam(q.parameters(), lr=0.1)
    start = q.fixed_type.int_bits
    for step in range(150):
        scale = 1.0 + step / 10.0  # values grow to ~16
        x = torch.randn(256) * scale
        loss = ((q(x) - x) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    peak = q.fixed_type.int_bits
    assert peak >= start + 4  # |x| up to ~50: needs I >= 5 to stop saturating
    # and shrinking values pull it back down (precision wins)
    opt = torch.optim.Adam(q.parameters(), lr=0.1)
    for _ in range(150):
        x = torch.randn(256) * 0.05
        loss = ((q(x) - x) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert q.fixed_type.int_bits <= peak - 3


def test_frozen_binary_point_and_make_quantizer() -> None:
    q = make_quantizer(QuantSpec(scheme="qfx", width=6, int_bits=2, learn_int_bits=False))
    assert isinstance(q, QFXQuantizer) and not q.int_bits.requires_grad
    x = torch.randn(8, requires_grad=True)
    q(x).sum().backward()
    assert x.grad is not None and q.int_bits.grad is None
    qc = make_quantizer(QuantSpec(scheme="qfx", per_channel=True), channels=5)
    assert len(qc.fixed_types()) == 5


def test_errors() -> None:
    with pytest.raises(ValueError, match="width"):
        QFXQuantizer(0)
    q = QFXQuantizer(4, channels=3, channel_axis=1)
    with pytest.raises(ValueError, match="channels"):
        q(torch.randn(2, 4))
    with pytest.raises(ValueError, match="per-channel"):
        _ = q.fixed_type
    with pytest.raises(ValueError, match="NaN"):
        QFXQuantizer(4).eval()(torch.tensor([float("inf")]))


@pytest.mark.parametrize("rounding", [Rounding.RND, Rounding.RND_CONV, Rounding.TRN, Rounding.RND_ZERO])
@pytest.mark.parametrize("overflow", [Overflow.SAT, Overflow.SAT_SYM])
def test_training_cast_equals_eval_cast(rounding: Rounding, overflow: Overflow) -> None:
    """The lean training path agrees with the exact eval path (random data: no near-ties)."""
    gen = torch.Generator().manual_seed(8)
    x = torch.randn(4, 3, 50, generator=gen) * 6
    for q in (QFXQuantizer(6, int_bits=2, rounding=rounding, overflow=overflow),
              QFXQuantizer(5, int_bits=1, channels=3, channel_axis=1, rounding=rounding, overflow=overflow)):
        train = q.train()(x.clone().requires_grad_())
        assert torch.equal(train.detach(), q.eval()(x))
