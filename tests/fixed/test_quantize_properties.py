"""Properties of quantize/to_raw/from_raw that hold for every type and mode."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from codesign.fixed import FixedType, Overflow, Rounding, from_raw, quantize, to_raw

fixed_types = st.builds(
    FixedType,
    width=st.integers(1, 40),
    int_bits=st.integers(-12, 48),
    signed=st.booleans(),
    rounding=st.sampled_from(list(Rounding)),
    overflow=st.sampled_from(list(Overflow)),
)
finite_doubles = st.floats(allow_nan=False, allow_infinity=False, width=64)
value_lists = st.lists(finite_doubles, min_size=1, max_size=64)


@settings(max_examples=300, deadline=None)
@given(t=fixed_types, values=value_lists)
def test_idempotent_and_in_range(t: FixedType, values: list[float]) -> None:
    x = torch.tensor(values, dtype=torch.float64)
    q = quantize(x, t)
    assert torch.equal(quantize(q, t), q)
    assert bool(((q >= t.min) & (q <= t.max)).all())
    raw = q * 2.0**t.frac_bits
    assert torch.equal(raw, torch.round(raw))


@settings(max_examples=300, deadline=None)
@given(
    t=fixed_types.filter(lambda t: t.overflow is not Overflow.WRAP and t.overflow is not Overflow.SAT_ZERO),
    values=value_lists,
)
def test_monotone_for_saturating_modes(t: FixedType, values: list[float]) -> None:
    x = torch.tensor(sorted(values), dtype=torch.float64)
    q = quantize(x, t)
    assert bool((q[1:] >= q[:-1]).all())


@settings(max_examples=200, deadline=None)
@given(t=fixed_types, values=value_lists)
def test_representable_values_are_fixed_points(t: FixedType, values: list[float]) -> None:
    """Every value already on the grid and in range is returned unchanged (except the
    most negative value under AP_SAT_SYM, which the headers map to -max)."""
    low = t.raw_min
    if t.overflow is Overflow.SAT_SYM and t.signed and t.width > 1:
        low += 1
    raw = torch.tensor([int(v) % (t.raw_max - low + 1) + low for v in values], dtype=torch.int64)
    x = from_raw(raw, t)
    assert torch.equal(quantize(x, t), x)
    assert torch.equal(to_raw(x, t), raw)


@pytest.mark.parametrize("rounding", list(Rounding))
@pytest.mark.parametrize("overflow", list(Overflow))
def test_float32_equals_float64(rounding: Rounding, overflow: Overflow) -> None:
    t = FixedType(12, 3, True, rounding, overflow)
    gen = torch.Generator().manual_seed(0)
    x32 = (torch.randn(50_000, generator=gen) * 6).to(torch.float32)
    ties = (torch.arange(-3000, 3000, dtype=torch.float32) + 0.5) * t.lsb
    x32 = torch.cat([x32, ties])
    q32 = quantize(x32, t)
    assert q32.dtype == torch.float32
    assert torch.equal(q32.double(), quantize(x32.double(), t))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("rounding", list(Rounding))
@pytest.mark.parametrize("overflow", list(Overflow))
@pytest.mark.parametrize(("width", "int_bits", "signed"), [(8, 3, True), (5, -2, False), (12, 14, True), (1, 0, True)])
def test_fast_path_equals_general_path(
    dtype: torch.dtype, rounding: Rounding, overflow: Overflow, width: int, int_bits: int, signed: bool
) -> None:
    """Moderate inputs take the fast path; one huge value forces the general path on the
    same values. Both must agree element for element."""
    t = FixedType(width, int_bits, signed, rounding, overflow)
    gen = torch.Generator().manual_seed(width * 7 + int_bits)
    span = 2.0 ** (int_bits + 1)
    x = ((torch.rand(20_000, generator=gen, dtype=torch.float64) * 2 - 1) * span).to(dtype)
    ties = ((torch.arange(-500, 500, dtype=torch.float64) + 0.5) * t.lsb).to(dtype)
    x = torch.cat([x, ties])
    fast = quantize(x, t)
    general = quantize(torch.cat([x, torch.tensor([1e30], dtype=dtype)]), t)[:-1]
    assert torch.equal(fast, general)


def test_half_precision_inputs() -> None:
    t = FixedType(6, 2, True, Rounding.RND_CONV, Overflow.SAT)
    x = torch.linspace(-3, 3, 999, dtype=torch.float64)
    for dtype in (torch.float16, torch.bfloat16):
        xd = x.to(dtype)
        assert torch.equal(quantize(xd, t).double(), quantize(xd.double(), t))


def test_known_values() -> None:
    x = torch.tensor([2.5, -2.5, 3.5, -3.5, 0.49, 7.9, -9.0, -8.0], dtype=torch.float64)
    t = FixedType(4, 4)  # integers -8..7
    expected = {
        (Rounding.RND, Overflow.WRAP): [3, -2, 4, -3, 0, -8, 7, -8],
        (Rounding.RND_CONV, Overflow.SAT): [2, -2, 4, -4, 0, 7, -8, -8],
        (Rounding.RND_ZERO, Overflow.SAT_SYM): [2, -2, 3, -3, 0, 7, -7, -7],
        (Rounding.RND_INF, Overflow.SAT_ZERO): [3, -3, 4, -4, 0, 0, 0, -8],
        (Rounding.TRN_ZERO, Overflow.WRAP): [2, -2, 3, -3, 0, 7, 7, -8],
        (Rounding.TRN, Overflow.SAT): [2, -3, 3, -4, 0, 7, -8, -8],
        (Rounding.RND_MIN_INF, Overflow.SAT): [2, -3, 3, -4, 0, 7, -8, -8],
    }
    for (rounding, overflow), values in expected.items():
        assert quantize(x, t.with_modes(rounding, overflow)).tolist() == values, (rounding, overflow)



@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_sat_sym_maps_min_to_minus_max_on_every_path(dtype: torch.dtype) -> None:
    """A value rounding exactly to raw_min must become -max under AP_SAT_SYM, also when the
    whole tensor is otherwise in range (the fast path skips overflow handling then)."""
    t = FixedType(5, 0, True, Rounding.RND_INF, Overflow.SAT_SYM)  # raw -16..15, lsb 1/32
    x = torch.tensor([-0.4939, 0.1], dtype=dtype)
    assert quantize(x, t).tolist() == [-15 / 32, 0.09375]
    assert quantize(torch.tensor([-0.5], dtype=dtype), t).tolist() == [-15 / 32]


def test_nan_and_inf_raise() -> None:
    t = FixedType(8, 3)
    for bad in (math.nan, math.inf, -math.inf):
        with pytest.raises(ValueError, match="NaN or inf"):
            quantize(torch.tensor([0.0, bad]), t)


def test_rejects_integer_tensors() -> None:
    with pytest.raises(TypeError, match="floating-point"):
        quantize(torch.tensor([1, 2]), FixedType(8, 3))


def test_straight_through_gradient() -> None:
    t = FixedType(4, 2, True, Rounding.RND, Overflow.SAT)  # range [-2, 1.75]
    x = torch.tensor([-3.0, -2.0, -0.3, 0.0, 1.7, 1.75, 1.8, 5.0], requires_grad=True)
    quantize(x, t).sum().backward()
    assert x.grad.tolist() == [0, 1, 1, 1, 1, 1, 0, 0]
    w = torch.tensor([-3.0, 0.3, 5.0], requires_grad=True)
    quantize(w, t.with_modes(overflow=Overflow.WRAP)).sum().backward()
    assert w.grad.tolist() == [1, 1, 1]


def test_to_raw_and_from_raw() -> None:
    t = FixedType(8, 3, True, Rounding.RND, Overflow.SAT)
    x = torch.tensor([0.0, 1.0, -4.0, 3.97, 100.0, 0.015625])
    raw = to_raw(x, t)
    assert raw.dtype == torch.int64
    assert raw.tolist() == [0, 32, -128, 127, 127, 1 if 0.015625 * 32 >= 0.5 else 0]
    assert torch.equal(from_raw(raw, t), quantize(x.double(), t))
    with pytest.raises(ValueError, match="outside the range"):
        from_raw(torch.tensor([128]), t)
    with pytest.raises(ValueError, match="int64"):
        to_raw(x, FixedType(64, 10, signed=False))
    with pytest.raises(TypeError):
        from_raw(torch.tensor([1.0]), t)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_equals_cpu() -> None:  # pragma: no cover - runs where a GPU exists
    t = FixedType(10, 2, True, Rounding.RND_CONV, Overflow.SAT_SYM)
    x = torch.randn(100_000, dtype=torch.float64) * 3
    assert torch.equal(quantize(x.cuda(), t).cpu(), quantize(x, t))


def test_numpy_and_torch_agree_on_wrap() -> None:
    t = FixedType(5, 2, True, Rounding.TRN, Overflow.WRAP)
    x = np.linspace(-20, 20, 4001)
    raw = np.floor(x * 2**3).astype(np.int64)
    wrapped = ((raw + 16) % 32) - 16
    assert np.array_equal(quantize(torch.from_numpy(x), t).numpy(), wrapped / 8.0)
