"""The ap_fixed assignment ``dst = src`` on raw integers, in numpy int64.

This module needs numpy only (no torch), so the IR interpreter and the board
runtime can use it. A raw integer ``r`` of type ``t`` means ``r * 2**-t.frac_bits``.

``cast_raw`` computes exactly what ``ap_fixed_base<W,I,S,Q,O> d = s;`` stores (checked
bit for bit against Xilinx's ``ap_fixed.h`` compiled with g++, see
``tests/fixed/test_rawcast_oracle.py``):

1. the bits below the new LSB are dropped, rounding the exact value by ``dst.rounding``;
2. the result is brought into the range of ``dst`` by ``dst.overflow`` (AP_WRAP keeps the
   low W bits; AP_SAT clamps; AP_SAT_ZERO gives 0 out of range; AP_SAT_SYM clamps to
   ``[-max, max]`` when both types are signed, as the headers do, mapping ``min`` itself to
   ``-max``).

All arithmetic is exact in int64 for types of at most ``MAX_RAW_WIDTH`` bits.
"""

from __future__ import annotations

import numpy as np

from codesign.fixed.types import FixedType, Overflow, Rounding

MAX_RAW_WIDTH = 62
"""Widest type whose raw values (and one carry bit) fit in int64 with room for every step."""

_SHIFT_CAP = 63
"""Right shifts beyond this are clipped: raw values of <= 62 bits have the same floor and
the same rounding decisions for any shift >= 63 (the floor is 0 or -1)."""


def _check_width(t: FixedType, role: str) -> None:
    if t.width > MAX_RAW_WIDTH:
        raise ValueError(
            f"cast_raw: {role} type {t} is {t.width} bits wide; raw int64 arithmetic supports "
            f"at most {MAX_RAW_WIDTH} bits"
        )


def _as_int64(raw: np.ndarray | int) -> np.ndarray:
    arr = np.asarray(raw)
    if arr.dtype.kind not in "iu" and arr.dtype != np.bool_:
        raise TypeError(f"raw integers must have an integer dtype, got {arr.dtype}")
    if arr.dtype == np.uint64 and arr.size and int(arr.max()) > np.iinfo(np.int64).max:
        raise ValueError("raw integers exceed the int64 range")
    return arr.astype(np.int64, copy=False)


def _round_right_shift(raw: np.ndarray, shift: int, rounding: Rounding) -> np.ndarray:
    """``raw * 2**-shift`` rounded to an integer by ``rounding`` (shift >= 1)."""
    shift = min(shift, _SHIFT_CAP)
    floor = raw >> np.int64(shift)
    if rounding is Rounding.TRN:
        return floor
    rem = raw & np.int64((1 << shift) - 1)  # raw - floor * 2**shift, in [0, 2**shift)
    if rounding is Rounding.TRN_ZERO:
        up = (raw < 0) & (rem != 0)
    else:
        half = np.int64(1 << (shift - 1))
        above = rem > half
        tie = rem == half
        if rounding is Rounding.RND:
            up = above | tie
        elif rounding is Rounding.RND_ZERO:
            up = above | (tie & (raw < 0))
        elif rounding is Rounding.RND_MIN_INF:
            up = above
        elif rounding is Rounding.RND_INF:
            up = above | (tie & (raw > 0))
        elif rounding is Rounding.RND_CONV:
            up = above | (tie & ((floor & np.int64(1)) != 0))
        else:  # pragma: no cover - the enum is closed
            raise ValueError(f"unknown rounding mode {rounding!r}")
    return floor + up.astype(np.int64)


def _wrap(q: np.ndarray, t: FixedType) -> np.ndarray:
    """q modulo 2**W, as the raw integer of t (two's complement when signed)."""
    modulus = np.int64(1 << t.width)
    r = q & np.int64((1 << t.width) - 1)
    if t.signed:
        r = np.where(r >= np.int64(1 << (t.width - 1)), r - modulus, r)
    return r


def _saturate(q: np.ndarray, over: np.ndarray, under: np.ndarray, src: FixedType,
              dst: FixedType) -> np.ndarray:
    """Apply a saturating overflow mode; ``over``/``under`` flag values beyond the range."""
    if dst.overflow is Overflow.SAT_ZERO:
        return np.where(over | under, np.int64(0), q)
    low = dst.raw_min
    if dst.overflow is Overflow.SAT_SYM and dst.signed and src.signed and dst.width > 1:
        low = -dst.raw_max
    out = np.where(over, np.int64(dst.raw_max), q)
    return np.where(under | (out < low), np.int64(low), out)


def cast_raw(raw: np.ndarray, src: FixedType, dst: FixedType) -> np.ndarray:
    """The raw integers of ``dst = src`` in ap_fixed (rounding, then overflow, of ``dst``).

    Args:
        raw: int64 array of any shape: raw integers of ``src`` (value ``raw * 2**-F_src``),
            each within ``[src.raw_min, src.raw_max]``.
        src: the source type (its own rounding and overflow modes play no part).
        dst: the destination type; ``dst.rounding`` and ``dst.overflow`` apply.

    Returns:
        int64 array of raw's shape: raw integers of ``dst`` (value ``* 2**-F_dst``).

    Raises:
        ValueError: a type wider than ``MAX_RAW_WIDTH`` bits.
        TypeError: ``raw`` is not an integer array.
    """
    _check_width(src, "source")
    _check_width(dst, "destination")
    raw = _as_int64(raw)
    drop = src.frac_bits - dst.frac_bits
    if drop > 0:
        q = _round_right_shift(raw, drop, dst.rounding)  # |q| <= 2**62: fits
        if dst.overflow is Overflow.WRAP:
            return _wrap(q, dst)
        return _saturate(q, q > dst.raw_max, q < dst.raw_min, src, dst)
    shift = -drop
    if dst.overflow is Overflow.WRAP:
        if shift >= dst.width:
            return np.zeros(raw.shape, dtype=np.int64)
        # The low W bits of raw << shift depend only on the low W - shift bits of raw.
        low = raw & np.int64((1 << (dst.width - shift)) - 1)
        return _wrap(low << np.int64(shift), dst)
    # raw * 2**shift > raw_max  <=>  raw > floor(raw_max / 2**shift); likewise below.
    over = raw > (dst.raw_max >> shift)
    under = raw < -((-dst.raw_min) >> shift)
    inside = np.where(over | under, np.int64(0), raw)
    q = inside << np.int64(min(shift, _SHIFT_CAP)) if shift else inside
    return _saturate(q, over, under, src, dst)


def align_raw(raw: np.ndarray, from_frac: int, to_frac: int) -> np.ndarray:
    """Shift raw integers from ``from_frac`` to ``to_frac >= from_frac`` fractional bits (exact).

    Args:
        raw: integer array of any shape.
        from_frac: fractional bits F of ``raw``.
        to_frac: fractional bits of the result; at least ``from_frac``.

    Returns:
        int64 array ``raw * 2**(to_frac - from_frac)``.

    Raises:
        ValueError: ``to_frac < from_frac`` (that would drop bits: use ``cast_raw``), or a
            result that does not fit in int64.
    """
    raw = _as_int64(raw)
    shift = to_frac - from_frac
    if shift < 0:
        raise ValueError(
            f"align_raw: cannot align from {from_frac} to {to_frac} fractional bits without "
            "dropping bits; use cast_raw"
        )
    if shift == 0 or raw.size == 0:
        return raw.copy()
    limit = np.iinfo(np.int64).max >> shift if shift < 63 else 0
    lo, hi = int(raw.min()), int(raw.max())
    if hi > limit or lo < -limit - 1:
        raise ValueError(
            f"align_raw: raw values in [{lo}, {hi}] shifted left by {shift} bits overflow int64"
        )
    return raw << np.int64(shift)
