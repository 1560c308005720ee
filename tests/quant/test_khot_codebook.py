"""K-hot codebooks against brute-force enumeration of every digit vector."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from codesign.quant.khot_codebook import (
    codebook_raw,
    codebook_values,
    decompose_raw,
    decompose_value,
    nearest_raw,
    raw_range,
)

SMALL = [(w, k) for w in range(1, 7) for k in range(1, 5)]


def _brute(width: int, signed: bool, unsigned_digits: bool) -> dict[int, int]:
    """raw value -> fewest digits over every digit vector in {-1,0,1}^W (or {0,1}^W)."""
    lo, hi = raw_range(width, signed)
    digits = (0, 1) if unsigned_digits else (-1, 0, 1)
    best: dict[int, int] = {}
    for vec in itertools.product(digits, repeat=width):
        value = sum(d << e for e, d in enumerate(vec))
        if lo <= value <= hi:
            count = sum(d != 0 for d in vec)
            best[value] = min(best.get(value, count), count)
    return best


@pytest.mark.parametrize("signed", [True, False])
@pytest.mark.parametrize("unsigned_digits", [False, True])
def test_codebook_decompose_and_nearest_exhaustive(signed: bool, unsigned_digits: bool) -> None:
    for width in range(1, 7):
        brute = _brute(width, signed, unsigned_digits)
        lo, hi = raw_range(width, signed)
        for k in range(1, 5):
            book = codebook_raw(width, k, signed=signed, unsigned_digits=unsigned_digits)
            expected = sorted(v for v, n in brute.items() if n <= k)
            assert book.tolist() == expected, (width, k)
            assert np.all(np.diff(book) > 0)
            for member in book.tolist():
                terms = decompose_raw(member, k, width, signed=signed, unsigned_digits=unsigned_digits)
                assert sum(s * (1 << e) for s, e in terms) == member
                assert len(terms) == brute[member]  # minimal
                assert len({e for _, e in terms}) == len(terms)
                assert all(0 <= e < width for _, e in terms)
                assert all(s == 1 for s, _ in terms) or not unsigned_digits
            grid = np.arange(lo, hi + 1)
            got = nearest_raw(grid, book)
            for r, g in zip(grid.tolist(), got.tolist()):
                dist = min(abs(r - m) for m in expected)
                assert abs(r - g) == dist
                ties = [m for m in expected if abs(r - m) == dist]
                assert g == max(ties)  # ties go to the larger member


def test_non_members_are_rejected() -> None:
    # 0b1011 = 11 needs 3 signed digits (16-4-1 would need exponent 4 > W-1 for W=5? no: 8+2+1 or 16-4-1)
    with pytest.raises(ValueError, match="not in the K-hot codebook"):
        decompose_raw(11, 2, 5, signed=True)
    with pytest.raises(ValueError, match="outside the raw range"):
        decompose_raw(16, 4, 5, signed=True)
    with pytest.raises(ValueError, match="not in the K-hot codebook"):
        decompose_raw(-1, 3, 4, signed=True, unsigned_digits=True)
    with pytest.raises(ValueError, match="k must be"):
        codebook_raw(4, 0)


def test_value_units_and_cache() -> None:
    values = codebook_values(6, 2, 2)
    assert np.array_equal(values, codebook_raw(6, 2) * 2.0**-4)
    assert codebook_raw(6, 2) is codebook_raw(6, 2)
    assert not codebook_raw(6, 2).flags.writeable
    terms = decompose_value(-0.9375, 2, 6, 1)  # -1 + 1/16
    assert terms == [(-1, 0), (1, -4)]
    assert sum(s * 2.0**e for s, e in terms) == -0.9375
    with pytest.raises(ValueError, match="multiple"):
        decompose_value(0.01, 2, 6, 1)
