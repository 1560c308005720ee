"""FixedType parsing/printing, ranges, and the ap_fixed result-type rules."""

from __future__ import annotations

import itertools

import pytest

from apfixed_oracle import Oracle
from codesign.fixed import (
    FixedType,
    Overflow,
    Rounding,
    accumulator_type,
    add_type,
    mul_type,
    sub_type,
    type_for_raw_range,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ap_fixed<8,3>", FixedType(8, 3)),
        ("ap_fixed<8, 3, AP_RND_CONV, AP_SAT>", FixedType(8, 3, True, Rounding.RND_CONV, Overflow.SAT)),
        ("ap_ufixed<16,-2,AP_RND>", FixedType(16, -2, False, Rounding.RND)),
        ("ap_fixed<4,7,AP_TRN,AP_SAT_SYM,0>", FixedType(4, 7, True, Rounding.TRN, Overflow.SAT_SYM)),
        ("ap_int<12>", FixedType(12, 12)),
        ("ap_uint<1>", FixedType(1, 1, False)),
        ("  ap_fixed<64,70>  ", FixedType(64, 70)),
    ],
)
def test_parse(text: str, expected: FixedType) -> None:
    assert FixedType.parse(text) == expected


@pytest.mark.parametrize("rounding", list(Rounding))
@pytest.mark.parametrize("overflow", list(Overflow))
@pytest.mark.parametrize("signed", [True, False])
def test_str_round_trips(rounding: Rounding, overflow: Overflow, signed: bool) -> None:
    t = FixedType(9, -4, signed, rounding, overflow)
    assert FixedType.parse(str(t)) == t
    assert str(t).startswith("ap_fixed<" if signed else "ap_ufixed<")


def test_str_omits_default_modes() -> None:
    assert str(FixedType(8, 3)) == "ap_fixed<8,3>"
    assert str(FixedType(8, 3, rounding=Rounding.RND)) == "ap_fixed<8,3,AP_RND>"
    assert str(FixedType(8, 3, overflow=Overflow.SAT)) == "ap_fixed<8,3,AP_TRN,AP_SAT>"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("ap_fixed<0,3>", "width"),
        ("ap_fixed<2000,3>", "width"),
        ("ap_fixed<8,3,AP_ROUND>", "rounding mode"),
        ("ap_fixed<8,3,AP_TRN,AP_CLAMP>", "overflow mode"),
        ("ap_fixed<8>", "2 to 5 arguments"),
        ("ap_int<8,3>", "one argument"),
        ("ap_fixed<8,x>", "int_bits must be an integer"),
        ("ap_fixed<8,3,AP_TRN,AP_SAT,2>", "saturation bits"),
        ("float", "cannot parse"),
        ("ap_fixed<8,3>; system(rm)", "cannot parse"),
        ("", "cannot parse"),
    ],
)
def test_parse_rejects_garbage(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        FixedType.parse(text)


def test_constructor_validates() -> None:
    with pytest.raises(ValueError, match="width"):
        FixedType(0, 0)
    with pytest.raises(ValueError, match="int"):
        FixedType(8, 2.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="rounding"):
        FixedType(8, 2, True, "AP_RND")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="overflow"):
        FixedType(8, 2, True, Rounding.RND, "AP_SAT")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="signed"):
        FixedType(8, 2, 1)  # type: ignore[arg-type]


def test_ranges() -> None:
    t = FixedType(8, 3)
    assert (t.frac_bits, t.lsb, t.min, t.max) == (5, 2**-5, -4.0, 4 - 2**-5)
    u = FixedType(4, -2, signed=False)
    assert (u.frac_bits, u.lsb, u.min, u.max) == (6, 2**-6, 0.0, 15 * 2**-6)
    one = FixedType(1, 1)
    assert (one.min, one.max) == (-1.0, 0.0)
    wide = FixedType(64, 70)
    assert wide.lsb == 64.0 and wide.raw_min == -(2**63)


def test_result_types_match_the_compiler(ap_oracle: Oracle) -> None:
    rows = ap_oracle.result_types()
    assert len(rows) == 6 * 6 * 4
    for a, b, results in rows:
        assert mul_type(a, b) == results["mul"], (a, b)
        assert add_type(a, b) == results["add"], (a, b)
        assert sub_type(a, b) == results["sub"], (a, b)


SMALL_TYPES = [FixedType(w, i, s) for w, i, s in itertools.product((1, 2, 3), (-1, 0, 2, 4), (True, False))]


@pytest.mark.parametrize("fan_in", [1, 2, 3, 5])
def test_accumulator_type_is_exact_and_narrowest(fan_in: int) -> None:
    """Enumerate every sum of fan_in products: it fits, and one bit less would not."""
    for a, b in itertools.product(SMALL_TYPES, SMALL_TYPES):
        acc = accumulator_type(a, b, fan_in)
        assert acc.frac_bits == a.frac_bits + b.frac_bits
        products = sorted({x * y for x in range(a.raw_min, a.raw_max + 1) for y in range(b.raw_min, b.raw_max + 1)})
        lo, hi = min(0, fan_in * products[0]), max(0, fan_in * products[-1])
        assert acc.raw_min <= lo and hi <= acc.raw_max, (a, b, fan_in, acc)
        assert acc.signed == (lo < 0)
        if acc.width > 1:
            narrower = FixedType(acc.width - 1, acc.int_bits - 1, acc.signed)
            assert lo < narrower.raw_min or hi > narrower.raw_max, (a, b, fan_in, acc)


def test_type_for_raw_range() -> None:
    assert type_for_raw_range(0, 0, 3) == FixedType(1, -2, False)
    assert type_for_raw_range(-1, 0, 0) == FixedType(1, 1, True)
    assert type_for_raw_range(-128, 127, 4) == FixedType(8, 4, True)
    assert type_for_raw_range(-129, 127, 4) == FixedType(9, 5, True)
    assert type_for_raw_range(0, 255, 0) == FixedType(8, 8, False)
    with pytest.raises(ValueError):
        type_for_raw_range(2, 1, 0)
    with pytest.raises(ValueError, match="fan_in"):
        accumulator_type(FixedType(4, 2), FixedType(4, 2), 0)
