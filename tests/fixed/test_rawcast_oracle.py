"""cast_raw() against Xilinx's ap_fixed.h assignment ``d = s``, compiled with g++: zero mismatches.

For every (source, destination) pair of the cast oracle grid and all 7 x 4
(rounding, overflow) modes of the destination: every raw source value when the
source has at most 14 bits, else >= 20,000 raw values that probe every decision
(both range ends, ties of the dropped bits, one LSB either side of each tie and
of each saturation bound, and random values).
"""

from __future__ import annotations

import numpy as np
import pytest

from apfixed_oracle import MODES, CastOracle
from codesign.fixed import FixedType, Overflow, Rounding
from codesign.fixed.rawcast import MAX_RAW_WIDTH, align_raw, cast_raw

# The grid compiled into tests/oracle/cast_oracle.h (checked against the oracle's `list`).
PAIRS = [
    ((8, 3, 1), (4, 2, 1)), ((8, 3, 1), (4, 2, 0)), ((8, 3, 0), (4, 2, 1)), ((8, 3, 0), (4, 2, 0)),
    ((8, 3, 1), (8, 3, 1)), ((8, 3, 1), (8, 3, 0)), ((8, 3, 0), (8, 3, 1)), ((8, 3, 1), (16, 6, 1)),
    ((8, 3, 0), (16, 6, 0)), ((8, 3, 1), (12, 2, 1)), ((8, 3, 1), (1, 1, 1)), ((8, 3, 1), (1, 0, 0)),
    ((8, 3, 1), (1, -2, 1)), ((8, 3, 0), (1, 4, 0)), ((8, 3, 1), (3, -2, 1)), ((8, 3, 1), (4, 7, 1)),
    ((1, 1, 1), (4, 2, 1)), ((1, 1, 0), (4, 2, 1)), ((1, 0, 1), (2, 1, 0)), ((1, -3, 0), (3, -2, 1)),
    ((4, -2, 1), (8, 0, 1)), ((4, -2, 1), (2, -3, 1)), ((4, -2, 1), (3, 1, 0)), ((5, 9, 1), (4, 7, 1)),
    ((5, 9, 0), (6, 9, 1)), ((5, 9, 1), (3, 5, 0)), ((16, 6, 1), (6, 3, 1)), ((16, 6, 1), (6, 3, 0)),
    ((16, 6, 0), (6, 3, 1)), ((16, 6, 1), (10, -4, 0)), ((16, 6, 1), (20, 30, 1)), ((16, 8, 1), (16, 8, 1)),
    ((20, 12, 1), (8, 4, 1)), ((24, -8, 1), (8, -12, 1)), ((24, -8, 0), (8, -8, 1)),
    ((24, 10, 1), (2, 1, 1)), ((32, 16, 1), (62, 31, 1)), ((32, 16, 1), (1, 1, 1)),
    ((48, 40, 1), (12, 12, 1)), ((48, 20, 1), (20, 10, 0)), ((62, 31, 1), (62, 31, 0)),
    ((62, 31, 1), (16, 8, 1)), ((62, 31, 0), (62, 40, 1)), ((62, 20, 0), (8, 3, 1)),
    ((62, 62, 1), (32, 62, 1)), ((62, -10, 1), (62, 20, 1)), ((40, 45, 1), (6, 45, 1)),
    ((12, 12, 1), (62, 0, 1)),
]
PAIRS = [((w2, i2, bool(s2)), (w, i, bool(s))) for (w2, i2, s2), (w, i, s) in PAIRS]
EXHAUSTIVE_WIDTH = 14
VALUES_PER_PAIR = 20_000


def probe_values(src: FixedType, dst: FixedType, seed: int) -> np.ndarray:
    """Raw source integers: all of them for narrow sources, else the decision points."""
    lo, hi = src.raw_min, src.raw_max
    if src.width <= EXHAUSTIVE_WIDTH:
        return np.arange(lo, hi + 1, dtype=np.int64)
    rng = np.random.default_rng(seed)
    drop = src.frac_bits - dst.frac_bits
    centres = [lo, hi, 0]
    if drop > 0:
        # Ties and their neighbours: k * 2**drop + 2**(drop-1).
        k = rng.integers(lo >> min(drop, 62), (hi >> min(drop, 62)) + 1, size=2000)
        base = k.astype(object) * (1 << drop)
        centres += [int(b) + (1 << (drop - 1)) for b in base] + [int(b) for b in base]
        # Saturation bounds of the destination, in source units, and the ties beside them.
        for bound in (dst.raw_max, dst.raw_min, dst.raw_max + 1, -dst.raw_max):
            centres += [bound << drop, (bound << drop) + (1 << (drop - 1)),
                        (bound << drop) - (1 << (drop - 1))]
    else:
        for bound in (dst.raw_max, dst.raw_min, -dst.raw_max):
            centres += [bound >> -drop, -((-bound) >> -drop)]
    values = set()
    for c in centres:
        for delta in (-2, -1, 0, 1, 2):
            if lo <= c + delta <= hi:
                values.add(c + delta)
    out = np.array(sorted(values), dtype=np.int64)
    extra = rng.integers(lo, hi, size=max(0, VALUES_PER_PAIR - out.size), endpoint=True)
    small = rng.integers(-5000, 5000, size=2000)
    small = small[(small >= lo) & (small <= hi)]
    return np.concatenate([out, extra.astype(np.int64), small.astype(np.int64)])


def patterns_to_raw(patterns: np.ndarray, t: FixedType) -> np.ndarray:
    """Signed int64 raw integers of W-bit patterns (two's complement when signed)."""
    raw = (patterns & np.uint64((1 << t.width) - 1)).astype(np.int64)
    if t.signed:
        raw = np.where(raw >= (1 << (t.width - 1)), raw - (1 << t.width), raw)
    return raw


def test_cast_oracle_grid_matches_this_file(ap_cast_oracle: CastOracle) -> None:
    assert ap_cast_oracle.pairs() == PAIRS


@pytest.mark.parametrize(("src_key", "dst_key"), PAIRS, ids=lambda v: "x".join(str(int(x)) for x in v))
def test_cast_raw_equals_ap_fixed(ap_cast_oracle: CastOracle, src_key, dst_key) -> None:
    src = FixedType(*src_key)
    base = FixedType(*dst_key)
    raw = probe_values(src, base, seed=abs(hash((src_key, dst_key))) % 2**32)
    if src.width > EXHAUSTIVE_WIDTH:
        assert raw.size >= VALUES_PER_PAIR
    expected_patterns = ap_cast_oracle.cast(src_key, dst_key, raw)
    failures = []
    for row, (rounding, overflow) in enumerate(MODES):
        dst = base.with_modes(rounding, overflow)
        expected = patterns_to_raw(expected_patterns[row], dst)
        got = cast_raw(raw, src, dst)
        assert got.dtype == np.int64 and got.shape == raw.shape
        bad = np.flatnonzero(got != expected)
        if bad.size:
            j = bad[0]
            failures.append(f"{src} -> {dst}: {bad.size} mismatches; first raw={raw[j]} "
                            f"ap_fixed={expected[j]} cast_raw={got[j]}")
    assert not failures, "\n".join(failures)


def test_cast_raw_rejects_wide_types() -> None:
    wide = FixedType(MAX_RAW_WIDTH + 1, 10)
    with pytest.raises(ValueError, match="62 bits"):
        cast_raw(np.zeros(3, dtype=np.int64), wide, FixedType(8, 3))
    with pytest.raises(ValueError, match="62 bits"):
        cast_raw(np.zeros(3, dtype=np.int64), FixedType(8, 3), wide)


def test_cast_raw_rejects_float_input() -> None:
    with pytest.raises(TypeError):
        cast_raw(np.zeros(3), FixedType(8, 3), FixedType(8, 3))


def test_cast_raw_keeps_shape_and_scalars() -> None:
    src, dst = FixedType(8, 3), FixedType(6, 3, rounding=Rounding.RND, overflow=Overflow.SAT)
    out = cast_raw(np.arange(-8, 8, dtype=np.int64).reshape(2, 2, 4), src, dst)
    assert out.shape == (2, 2, 4)
    assert int(cast_raw(np.int64(6), src, dst)) == 2  # 6/32 = 0.1875 -> 0.25 = raw 2 of F=3


def test_align_raw_exact_and_checked() -> None:
    x = np.array([-3, 0, 5], dtype=np.int64)
    assert align_raw(x, 2, 5).tolist() == [-24, 0, 40]
    assert align_raw(x, 4, 4).tolist() == [-3, 0, 5]
    with pytest.raises(ValueError, match="dropping bits"):
        align_raw(x, 5, 2)
    with pytest.raises(ValueError, match="overflow int64"):
        align_raw(np.array([1 << 40]), 0, 30)
    assert align_raw(np.array([-(1 << 40)]), 0, 23).tolist() == [-(1 << 63)]
