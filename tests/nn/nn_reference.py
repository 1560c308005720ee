"""Independent numpy int64 reference of docs/ir.md's op semantics (raw integers only).

Nothing here imports codesign.nn: every op is written out with explicit integer
arithmetic so that the layers' eval mode can be checked against it bit for bit.
"""

from __future__ import annotations

import numpy as np

from codesign.fixed import FixedType, Overflow, Rounding


def cast(acc: np.ndarray, acc_frac: int, t: FixedType) -> np.ndarray:
    """ap_fixed assignment of raw ``acc`` (value acc * 2**-acc_frac) into ``t``; raw of t."""
    acc = np.asarray(acc, dtype=np.int64)
    shift = acc_frac - t.frac_bits
    if shift <= 0:
        r = acc << -shift
    else:
        q = acc >> shift  # floor
        rem = acc - (q << shift)
        half = np.int64(1) << (shift - 1)
        neg = acc < 0
        if t.rounding is Rounding.TRN:
            up = np.zeros_like(acc, dtype=bool)
        elif t.rounding is Rounding.TRN_ZERO:
            up = (rem != 0) & neg
        elif t.rounding is Rounding.RND:
            up = rem >= half
        elif t.rounding is Rounding.RND_ZERO:
            up = (rem > half) | ((rem == half) & neg)
        elif t.rounding is Rounding.RND_MIN_INF:
            up = rem > half
        elif t.rounding is Rounding.RND_INF:
            up = (rem > half) | ((rem == half) & ~neg)
        else:  # RND_CONV
            up = (rem > half) | ((rem == half) & (q % 2 != 0))
        r = q + up.astype(np.int64)
    lo, hi = t.raw_min, t.raw_max
    if t.overflow is Overflow.WRAP:
        m = np.int64(1) << t.width
        r = r % m
        if t.signed:
            r = np.where(r > hi, r - m, r)
        return r
    if t.overflow is Overflow.SAT:
        return np.clip(r, lo, hi)
    if t.overflow is Overflow.SAT_ZERO:
        return np.where((r < lo) | (r > hi), 0, r)
    low = -hi if t.signed and t.width > 1 else lo  # SAT_SYM
    return np.clip(r, low, hi)


def dense(x: np.ndarray, w: np.ndarray, b: np.ndarray | None, b_shift: int) -> np.ndarray:
    """x [B, N] raw, w [M, N] raw; acc at F_x+F_w plus bias shifted left by b_shift (may be < 0:
    then the acc is shifted left instead, returned with the flag)."""
    acc = np.zeros((x.shape[0], w.shape[0]), dtype=np.int64)
    for m in range(w.shape[0]):
        acc[:, m] = (x * w[m][None, :]).sum(axis=1)
    if b is not None:
        acc = acc + (b[None, :] << b_shift)
    return acc


def conv2d(x: np.ndarray, w: np.ndarray, stride: int, padding: int, groups: int) -> np.ndarray:
    """x [B, Cin, H, W] raw, w [Cout, Cin/g, kh, kw] raw -> exact sums [B, Cout, H', W'] (zero padding)."""
    b, cin, h, wd = x.shape
    cout, cpg, kh, kw = w.shape
    xp = np.zeros((b, cin, h + 2 * padding, wd + 2 * padding), dtype=np.int64)
    xp[:, :, padding : padding + h, padding : padding + wd] = x
    oh = (h + 2 * padding - kh) // stride + 1
    ow = (wd + 2 * padding - kw) // stride + 1
    out = np.zeros((b, cout, oh, ow), dtype=np.int64)
    opg = cout // groups
    for o in range(cout):
        g = o // opg
        for i in range(oh):
            for j in range(ow):
                win = xp[:, g * cpg : (g + 1) * cpg, i * stride : i * stride + kh, j * stride : j * stride + kw]
                out[:, o, i, j] = (win * w[o][None]).reshape(b, -1).sum(axis=1)
    return out


def popcount_conv(a_bits: np.ndarray, w_bits: np.ndarray, stride: int, padding: int, pad_value: int) -> np.ndarray:
    """Binary conv as fan_in - 2*popcount(a xor w); bits are 1 for +1, padding holds pad_value."""
    b, cin, h, wd = a_bits.shape
    cout, _, kh, kw = w_bits.shape
    pad_bit = 1 if pad_value == 1 else 0
    ap = np.full((b, cin, h + 2 * padding, wd + 2 * padding), pad_bit, dtype=np.int64)
    ap[:, :, padding : padding + h, padding : padding + wd] = a_bits
    oh = (h + 2 * padding - kh) // stride + 1
    ow = (wd + 2 * padding - kw) // stride + 1
    fan_in = cin * kh * kw
    out = np.zeros((b, cout, oh, ow), dtype=np.int64)
    for o in range(cout):
        for i in range(oh):
            for j in range(ow):
                win = ap[:, :, i * stride : i * stride + kh, j * stride : j * stride + kw]
                pop = np.bitwise_xor(win, w_bits[o][None]).reshape(b, -1).sum(axis=1)
                out[:, o, i, j] = fan_in - 2 * pop
    return out


def signed_digit_count(n: int) -> int:
    """Fewest nonzero signed power-of-two digits of integer n (non-adjacent form weight)."""
    n = abs(n)
    count = 0
    while n:
        if n & 1:
            count += 1
            n = n - 1 if n & 3 == 1 else n + 1
        n >>= 1
    return count
