"""quantize_elementwise equals codesign.fixed.quantize element by element."""

from __future__ import annotations

import itertools

import pytest
import torch

from codesign.fixed import FixedType, Overflow, Rounding, quantize
from codesign.quant.elementwise import quantize_elementwise


def _random_case(gen: torch.Generator, n: int, dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    width = torch.randint(1, 20, (n,), generator=gen)
    int_bits = torch.randint(-6, 12, (n,), generator=gen)
    frac_bits = width - int_bits
    # magnitudes around each type's range: inside, at the bounds, far outside
    scale = torch.exp2(int_bits.to(torch.float64) + torch.randint(-3, 4, (n,), generator=gen))
    x = torch.randn(n, generator=gen, dtype=torch.float64) * scale
    # exact grid points and half-LSB ties
    grid = torch.rand(n, generator=gen) < 0.2
    x = torch.where(grid, torch.round(x * torch.exp2(frac_bits + 1.0)) * torch.exp2(-frac_bits - 1.0), x)
    return x.to(dtype), int_bits, frac_bits


@pytest.mark.parametrize("signed", [True, False])
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_matches_fixed_quantize_per_element(signed: bool, dtype: torch.dtype) -> None:
    gen = torch.Generator().manual_seed(1 + signed)
    for rounding, overflow in itertools.product(Rounding, Overflow):
        x, i, f = _random_case(gen, 300, dtype)
        got = quantize_elementwise(x, i, f, signed, rounding, overflow)
        assert got.dtype == dtype
        for k in range(x.numel()):
            t = FixedType(int(i[k] + f[k]), int(i[k]), signed, rounding, overflow)
            want = quantize(x[k : k + 1], t)
            assert torch.equal(got[k : k + 1], want), (t, float(x[k]), float(got[k]), float(want))


def test_broadcast_per_channel_types() -> None:
    gen = torch.Generator().manual_seed(3)
    x = torch.randn(4, 3, 5, generator=gen, dtype=torch.float64) * 6
    i = torch.tensor([0, 2, 4]).reshape(3, 1)
    f = torch.tensor([5, 3, 1]).reshape(3, 1)
    got = quantize_elementwise(x, i, f, True, Rounding.RND_CONV, Overflow.SAT_SYM)
    for c in range(3):
        t = FixedType(int(i[c] + f[c]), int(i[c]), True, Rounding.RND_CONV, Overflow.SAT_SYM)
        assert torch.equal(got[:, c], quantize(x[:, c], t))


def test_zero_width_elements_are_zero() -> None:
    x = torch.tensor([0.3, -0.7, 5.0], dtype=torch.float64)
    got = quantize_elementwise(x, torch.tensor([-2, 1, 0]), torch.tensor([2, -1, 3]), True,
                               Rounding.RND, Overflow.SAT)
    assert got[0] == 0 and got[1] == 0 and got[2] == quantize(x[2:], FixedType(3, 0, True, Rounding.RND, Overflow.SAT))


def test_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="NaN"):
        quantize_elementwise(torch.tensor([float("nan")]), torch.tensor(1), torch.tensor(2), True,
                             Rounding.RND, Overflow.SAT)
    with pytest.raises(ValueError, match="integer-valued"):
        quantize_elementwise(torch.tensor([1.0]), torch.tensor(1.5), torch.tensor(2), True,
                             Rounding.RND, Overflow.SAT)
    with pytest.raises(TypeError):
        quantize_elementwise(torch.tensor([1]), torch.tensor(1), torch.tensor(2), True, Rounding.RND, Overflow.SAT)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_all_finite_finds_every_nan_and_inf(dtype: torch.dtype) -> None:
    """One aminmax pass: a NaN or an infinity anywhere (vectorised body or tail) is found."""
    from codesign.quant.elementwise import all_finite

    assert all_finite(torch.zeros(0, dtype=dtype)) and all_finite(torch.randn(1000, dtype=dtype))
    for n in (1, 7, 64, 1000, 100_003):
        for pos in sorted({0, n // 2, n - 1}):
            for bad in (float("nan"), float("inf"), -float("inf")):
                x = torch.randn(n, dtype=dtype)
                x[pos] = bad
                assert not all_finite(x), (n, pos, bad)
