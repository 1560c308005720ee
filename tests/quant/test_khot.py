"""K-hot quantizer: outputs are codebook members, nearest to the base cast, decomposable."""

from __future__ import annotations

import pytest
import torch

from codesign.fixed import FixedType, Overflow, Rounding, quantize
from codesign.quant import KHotQuantizer, QFXQuantizer, QuantSpec, make_quantizer
from codesign.quant.khot_codebook import codebook_raw, nearest_raw


@pytest.mark.parametrize("signed,unsigned_digits", [(True, False), (True, True), (False, False), (False, True)])
@pytest.mark.parametrize("k", [1, 2, 3])
@pytest.mark.parametrize("width", [7, 14])  # snap by lookup table, by codebook search
def test_eval_is_nearest_member_of_base_cast(signed: bool, unsigned_digits: bool, k: int, width: int) -> None:
    gen = torch.Generator().manual_seed(k)
    q = KHotQuantizer(k, width, signed=signed, int_bits=2, unsigned_digits=unsigned_digits,
                      rounding=Rounding.RND_CONV, overflow=Overflow.SAT).eval()
    assert (q.snap_table is None) == (width > 12)
    x = torch.randn(500, generator=gen, dtype=torch.float64) * 3
    y = q(x)
    t = FixedType(width, 2, signed, Rounding.RND_CONV, Overflow.SAT)
    base_raw = (quantize(x, t) * 2**(width - 2)).to(torch.int64).numpy()
    book = codebook_raw(width, k, signed=signed, unsigned_digits=unsigned_digits)
    want = torch.from_numpy(nearest_raw(base_raw, book)).to(torch.float64) * 2.0**-(width - 2)
    assert torch.equal(y, want)
    terms = q.decompose(y)
    for value, term in zip(y.tolist(), terms):
        assert len(term) <= k
        assert sum(s * 2.0**e for s, e in term) == value


@pytest.mark.parametrize("width", [1, 2, 5, 8, 12])
@pytest.mark.parametrize("signed,unsigned_digits", [(True, False), (True, True), (False, False)])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_snap_table_equals_the_codebook_search(width: int, signed: bool, unsigned_digits: bool,
                                               dtype: torch.dtype) -> None:
    """Every raw value of the base range, per tensor and per channel (frac_bits a tensor)."""
    q = KHotQuantizer(2, width, signed=signed, int_bits=1, unsigned_digits=unsigned_digits)
    low = -(1 << (width - 1)) if signed else 0
    raw = torch.arange(low, low + (1 << width), dtype=dtype)
    per_channel = torch.tensor([[width - 1.0], [width + 3.0]], dtype=dtype)
    cases = [(raw * 2.0 ** -(width - 1), width - 1), (raw * torch.exp2(-per_channel), per_channel)]
    by_table = [q._snap(xq, frac) for xq, frac in cases]
    q.snap_table = None
    by_search = [q._snap(xq, frac) for xq, frac in cases]
    for table, search in zip(by_table, by_search):
        assert table.dtype == dtype and torch.equal(table, search)


@pytest.mark.parametrize("width", [8, 14])  # lookup table, codebook search
def test_nan_stays_nan_in_training(width: int) -> None:
    """A diverged training step stays visible: NaN in, NaN out, the other values snapped."""
    q = KHotQuantizer(2, width, int_bits=3).train()
    x = torch.tensor([0.3, float("nan"), -1.7, float("nan"), 2.2], requires_grad=True)
    y = q(x)
    assert torch.isnan(y[[1, 3]]).all()
    finite = y[[0, 2, 4]].detach()
    assert torch.equal(finite, q.eval()(torch.tensor([0.3, -1.7, 2.2])))


def test_ties_go_to_the_larger_member() -> None:
    # W=4 signed, K=1: members -8,-4,-2,-1,0,1,2,4; raw 3 lies between 2 and 4, raw -3 between -4 and -2
    q = KHotQuantizer(1, 4, int_bits=4, learn_int_bits=False).eval()  # F = 0: values are raw
    x = torch.tensor([3.0, -3.0, 6.0, -6.0, 7.0], dtype=torch.float64)
    assert q(x).tolist() == [4.0, -2.0, 4.0, -4.0, 4.0]


def test_large_k_equals_qfx_and_float32_matches_float64() -> None:
    x = torch.randn(300, dtype=torch.float64, generator=torch.Generator().manual_seed(5)) * 4
    khot = KHotQuantizer(8, 8, int_bits=3).eval()
    qfx = QFXQuantizer(8, int_bits=3).eval()
    assert torch.equal(khot(x), qfx(x))
    k2 = KHotQuantizer(2, 8, int_bits=3).eval()
    assert torch.equal(k2(x.float()).double(), k2(x))


def test_per_channel_and_training_gradients() -> None:
    q = KHotQuantizer(2, 6, int_bits=1, channels=3, channel_axis=0)
    with torch.no_grad():
        q.int_bits.copy_(torch.tensor([0.0, 1.0, 3.0]))
    x = (torch.randn(3, 20, dtype=torch.float64, generator=torch.Generator().manual_seed(6)) * 3).requires_grad_()
    y = q(x)
    y.sum().backward()
    types = q.fixed_types()
    inside = torch.stack([(x[c] >= t.min) & (x[c] <= t.max) for c, t in enumerate(types)]).detach()
    assert torch.equal(x.grad, inside.double())  # straight-through inside the base range
    assert q.int_bits.grad is not None and q.int_bits.grad.shape == (3,)
    terms = q.decompose(y)
    for c in range(3):
        for j in range(20):
            value = float(y[c, j])
            term = terms[c * 20 + j]
            assert len(term) <= 2 and sum(s * 2.0**e for s, e in term) == value
            assert all(-(6 - types[c].int_bits) <= e <= types[c].int_bits - 1 for _, e in term)


def test_make_quantizer_and_errors() -> None:
    q = make_quantizer(QuantSpec(scheme="khot", width=6, k=2, unsigned_digits=True))
    assert isinstance(q, KHotQuantizer) and q.unsigned_digits
    with pytest.raises(ValueError, match="k must be"):
        KHotQuantizer(0, 6)
    with pytest.raises(ValueError, match="not in the K-hot codebook"):
        KHotQuantizer(1, 6, int_bits=6).decompose(torch.tensor([3.0]))
