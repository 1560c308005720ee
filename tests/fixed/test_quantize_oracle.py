"""quantize() against Xilinx's ap_fixed.h, compiled with g++: zero mismatches allowed.

For every (W, I, signed) of the oracle grid and all 7 x 4 (rounding, overflow)
modes, >= 20,000 doubles per type: ties at +-0.5 LSB, one LSB inside and outside
each bound, far out of range, zero and negative zero, tiny and subnormal values,
and random values. Results with more than 53 significant bits (possible only for
W > 53) cannot be held by a float64 and are excluded; their count is checked.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from apfixed_oracle import MODES, Oracle, raw_to_values
from codesign.fixed import FixedType, quantize

# The grid compiled into tests/oracle/oracle.h (the oracle's `list` output is
# checked against it below, so the two cannot drift apart).
GRID_WI = [
    (1, 1), (1, 0), (1, -3), (1, 4), (2, 1), (3, -2), (4, 2), (4, 0), (4, 7), (5, -4), (8, 3),
    (8, 8), (8, 12), (10, -2), (16, 6), (24, -8), (32, 16), (40, 45), (53, 20), (63, 31),
    (64, 32), (64, 64), (64, -5), (64, 70),
]
GRID = [(w, i, s) for w, i in GRID_WI for s in (True, False)]
VALUES_PER_TYPE = 20_000


def adversarial_values(width: int, int_bits: int, signed: bool, seed: int) -> np.ndarray:
    """At least VALUES_PER_TYPE doubles that probe every decision of the cast."""
    rng = np.random.default_rng(seed)
    t = FixedType(width, int_bits, signed)
    lsb = np.ldexp(1.0, -t.frac_bits)
    lo, hi = t.min, t.max
    parts = []
    # Bounds: exact, one LSB inside and outside, half an LSB outside (a tie that overflows).
    edges = np.array([lo, hi, lo + lsb, hi - lsb, lo - lsb, hi + lsb, lo - lsb / 2, hi + lsb / 2,
                      lo + lsb / 2, hi - lsb / 2, lo - lsb / 4, hi + lsb / 4, 0.0, -0.0,
                      lsb, -lsb, lsb / 2, -lsb / 2, 3 * lsb / 2, -3 * lsb / 2, lsb / 4, -lsb / 4])
    parts.append(edges)
    # Exact ties k*lsb +- lsb/2 across the range (k drawn as integers within the raw range).
    raw_lo, raw_hi = max(t.raw_min, -(2**52)), min(t.raw_max, 2**52)
    k = rng.integers(raw_lo, raw_hi, size=4000, endpoint=True).astype(np.float64)
    parts.append(np.ldexp(k + 0.5, -t.frac_bits))
    parts.append(np.ldexp(k - 0.5, -t.frac_bits))
    # Exact grid points and points a quarter LSB off them.
    parts.append(np.ldexp(k, -t.frac_bits))
    parts.append(np.ldexp(k + 0.25, -t.frac_bits))
    parts.append(np.ldexp(k - 0.75, -t.frac_bits))
    # Uniform over 1.5x the range and log-uniform magnitudes far outside and far inside.
    span = max(abs(lo), abs(hi), lsb)
    parts.append(rng.uniform(-1.5 * span, 1.5 * span, size=2000))
    mags = np.ldexp(rng.uniform(1.0, 2.0, size=2000), rng.integers(-t.frac_bits - 60, int_bits + 60, size=2000))
    parts.append(mags * rng.choice([-1.0, 1.0], size=2000))
    # Powers of two around both ends, and the extremes of double.
    exps = np.arange(-t.frac_bits - 8, int_bits + 70)
    parts.append(np.ldexp(1.0, exps))
    parts.append(-np.ldexp(1.0, exps))
    parts.append(np.array([5e-324, -5e-324, 2.2250738585072014e-308, 1e300, -1e300,
                           np.finfo(np.float64).max, -np.finfo(np.float64).max]))
    # Random doubles with all 53 mantissa bits set near the LSB and MSB.
    for scale_exp in (-t.frac_bits, int_bits - 1):
        m = rng.integers(2**52, 2**53, size=500).astype(np.float64)
        parts.append(np.ldexp(m, scale_exp - 52) * rng.choice([-1.0, 1.0], size=500))
    values = np.concatenate(parts)
    values = values[np.isfinite(values)]
    if values.size < VALUES_PER_TYPE:
        extra = rng.uniform(-2 * span, 2 * span, size=VALUES_PER_TYPE - values.size)
        values = np.concatenate([values, extra])
    return values


def test_oracle_grid_matches_this_file(ap_oracle: Oracle) -> None:
    assert sorted(ap_oracle.grid()) == sorted(GRID)


@pytest.mark.parametrize(("width", "int_bits", "signed"), GRID, ids=lambda v: str(v))
def test_quantize_equals_ap_fixed(ap_oracle: Oracle, width: int, int_bits: int, signed: bool) -> None:
    values = adversarial_values(width, int_bits, signed, seed=width * 1000 + int_bits * 2 + signed)
    assert values.size >= VALUES_PER_TYPE
    raw = ap_oracle.quantize(width, int_bits, signed, values)
    expected, representable = raw_to_values(raw, width, int_bits, signed)
    if width <= 53:
        assert representable.all()
    x = torch.from_numpy(values)
    # quantize takes a fast path when every |x| * 2**F < 2**51; the full set (with huge
    # values) takes the general path, the moderate subset alone the fast one. Both are checked.
    moderate = np.abs(values) * 2.0 ** (width - int_bits) < 2.0**50
    x_moderate = torch.from_numpy(values[moderate])
    failures = []
    for row, (rounding, overflow) in enumerate(MODES):
        t = FixedType(width, int_bits, signed, rounding, overflow)
        got = quantize(x, t).numpy()
        got[moderate] = quantize(x_moderate, t).numpy()
        bad = np.flatnonzero((got != expected[row]) & representable[row])
        if not moderate.all():  # the general path on the moderate values too
            general = quantize(x, t).numpy()
            bad = np.union1d(bad, np.flatnonzero((general != expected[row]) & representable[row]))
        if bad.size:
            j = bad[0]
            failures.append(
                f"{t}: {bad.size} mismatches; first at index {j}: x={values[j].hex()} "
                f"ap_fixed raw=0x{int(raw[row, j]):x} ({expected[row, j]!r}), quantize={got[j]!r}"
            )
    assert not failures, "\n".join(failures)
