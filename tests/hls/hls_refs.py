"""Independent numpy integer references for the HLS kernel tests.

Everything here works on raw int64 integers (value = raw * 2**-F), written from the
IR's op definitions (docs/ir.md), without codesign.fixed's torch code: the cast is the
ap_fixed assignment re-derived on integers.
"""

from __future__ import annotations

import numpy as np

from codesign.fixed import FixedType, Overflow, Rounding


def cast_raw(raw: np.ndarray, frac_bits: int, t: FixedType) -> np.ndarray:
    """Raw integers of ``t(value)`` for values ``raw * 2**-frac_bits`` (ap_fixed assignment)."""
    raw = np.asarray(raw, dtype=np.int64)
    shift = frac_bits - t.frac_bits
    if shift > 0:
        q = raw >> shift  # floor
        rem = raw - (q << shift)  # in [0, 2**shift)
        half = np.int64(1) << (shift - 1)
        above, tie, exact = rem > half, rem == half, rem == 0
        up = {
            Rounding.TRN: np.zeros_like(above),
            Rounding.TRN_ZERO: ~exact & (raw < 0),
            Rounding.RND: rem >= half,
            Rounding.RND_ZERO: above | (tie & (raw < 0)),
            Rounding.RND_MIN_INF: above,
            Rounding.RND_INF: above | (tie & (raw > 0)),
            Rounding.RND_CONV: above | (tie & (q % 2 != 0)),
        }[t.rounding]
        q = q + up.astype(np.int64)
    else:
        q = raw << (-shift)
    lo, hi = t.raw_min, t.raw_max
    if t.overflow is Overflow.WRAP:
        modulus = np.int64(1) << t.width
        wrapped = np.mod(q, modulus)
        return np.where(wrapped > hi, wrapped - modulus, wrapped) if t.signed else wrapped
    outside = (q < lo) | (q > hi)
    if t.overflow is Overflow.SAT_ZERO:
        return np.where(outside, 0, q)
    if t.overflow is Overflow.SAT_SYM and t.signed and t.width > 1:
        lo = -hi
    return np.clip(q, lo, hi)


def align(raw: np.ndarray, from_frac: int, to_frac: int) -> np.ndarray:
    """Shift raw integers to more fractional bits (exact)."""
    assert to_frac >= from_frac
    return np.asarray(raw, dtype=np.int64) << (to_frac - from_frac)


def pad_chw(x: np.ndarray, pad_h: int, pad_w: int, value: int) -> np.ndarray:
    """Pad a [C, H, W] array on both sides of H and W with a constant."""
    return np.pad(x, ((0, 0), (pad_h, pad_h), (pad_w, pad_w)), constant_values=value)


def conv_sums(x: np.ndarray, w: np.ndarray, stride: tuple[int, int], depthwise: bool) -> np.ndarray:
    """Integer correlation of padded x [C, Hp, Wp] with w [F, C or 1, kh, kw] -> [F, Ho, Wo]."""
    n_filt, _, kh, kw = w.shape
    _, hp, wp = x.shape
    ho, wo = (hp - kh) // stride[0] + 1, (wp - kw) // stride[1] + 1
    out = np.zeros((n_filt, ho, wo), dtype=np.int64)
    for oy in range(ho):
        for ox in range(wo):
            patch = x[:, oy * stride[0] : oy * stride[0] + kh, ox * stride[1] : ox * stride[1] + kw]
            if depthwise:
                out[:, oy, ox] = (patch * w[:, 0]).sum(axis=(1, 2))
            else:
                out[:, oy, ox] = (patch[None] * w).sum(axis=(1, 2, 3))
    return out


def random_type(rng: np.random.Generator, width: tuple[int, int], int_bits: tuple[int, int],
                signed: bool | None = None, modes: bool = False) -> FixedType:
    """A random fixed type; with ``modes``, random rounding and overflow modes too."""
    w = int(rng.integers(width[0], width[1] + 1))
    i = int(rng.integers(int_bits[0], int_bits[1] + 1))
    s = bool(rng.integers(2)) if signed is None else signed
    if not modes:
        return FixedType(w, i, s)
    return FixedType(w, i, s, Rounding(rng.choice([r.value for r in Rounding])),
                     Overflow(rng.choice([o.value for o in Overflow])))


def random_raw(rng: np.random.Generator, t: FixedType, shape: tuple[int, ...] | int) -> np.ndarray:
    """Uniform raw integers over the whole range of t."""
    return rng.integers(t.raw_min, t.raw_max + 1, size=shape, dtype=np.int64)


def signed_type_for(bound: int, frac_bits: int) -> FixedType:
    """The narrowest signed type holding raw values in [-bound, bound] with F = frac_bits."""
    width = int(bound).bit_length() + 1
    return FixedType(width, width - frac_bits, True)


def output_type_near(rng: np.random.Generator, acc_bits: int, acc_frac: int) -> FixedType:
    """A random output type whose range cuts into the accumulator's (saturation/wrap edges)."""
    width = int(rng.integers(3, 10))
    frac = acc_frac - int(rng.integers(0, 4))
    int_bits = width - frac
    # Pull the binary point so that the top of the output sits inside the sum's range.
    acc_int = acc_bits - acc_frac
    int_bits = min(int_bits, acc_int - int(rng.integers(0, 3)))
    return random_modes(rng, FixedType(width, int_bits, bool(rng.integers(4) != 0)))


def random_modes(rng: np.random.Generator, t: FixedType) -> FixedType:
    """t with random rounding and overflow modes."""
    return t.with_modes(Rounding(rng.choice([r.value for r in Rounding])),
                        Overflow(rng.choice([o.value for o in Overflow])))


def khot_digits(rng: np.random.Generator, k: int, lo_exp: int, hi_exp: int) -> list[tuple[int, int]]:
    """Up to k (sign, exponent) digits with distinct exponents in [lo_exp, hi_exp]."""
    n = int(rng.integers(0, k + 1))
    exps = rng.choice(np.arange(lo_exp, hi_exp + 1), size=min(n, hi_exp - lo_exp + 1), replace=False)
    return [(int(rng.choice([-1, 1])), int(e)) for e in exps]


def khot_raw(digits: list[tuple[int, int]], frac_bits: int) -> int:
    """Raw value (F = frac_bits) of a K-hot constant sum(s * 2**e)."""
    return sum(s * (1 << (e + frac_bits)) for s, e in digits)


def pack_binary_weights(w_bits: np.ndarray, pe: int, simd: int) -> np.ndarray:
    """[n_out, fan_in] 0/1 -> [pe, nf*sf, simd] in the kernels' PE x SIMD layout."""
    n_out, fan_in = w_bits.shape
    nf, sf = n_out // pe, fan_in // simd
    packed = np.zeros((pe, nf * sf, simd), dtype=np.int64)
    for o in range(n_out):
        for s in range(sf):
            packed[o % pe, (o // pe) * sf + s] = w_bits[o, s * simd : (s + 1) * simd]
    return packed


def divisors(n: int) -> list[int]:
    """The positive divisors of n."""
    return [d for d in range(1, n + 1) if n % d == 0]
