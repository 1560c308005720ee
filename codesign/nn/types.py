"""Type arithmetic shared by the quantized layers: unions, observed types, exact sums.

Everything here works on ``FixedType`` values and raw integer ranges. A *raw range*
``(lo, hi, frac)`` is the set of values ``r * 2**-frac`` with integer ``lo <= r <= hi``.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

import numpy as np
import torch

from codesign.fixed import FixedType, product_raw_range, type_for_raw_range
from codesign.quant.base import Quantizer
from codesign.quant.fused import observe

FLOAT64_EXACT_BITS = 53
"""Eval mode computes in float64: sums of exact products stay exact up to this width."""

BINARY = "binary"
"""The IR spelling of a binary (+-1) tensor type."""

RawRange = tuple[int, int, int]
"""(raw_lo, raw_hi, frac_bits): the values ``r * 2**-frac_bits`` for lo <= r <= hi."""


def union_type(types: Sequence[FixedType]) -> FixedType:
    """The narrowest type holding every value of every type in ``types`` exactly.

    Cast modes are taken from the first type (the union is used for constants,
    which are never cast into).
    """
    if not types:
        raise ValueError("union_type needs at least one type")
    frac = max(t.frac_bits for t in types)
    lo = min(t.raw_min << (frac - t.frac_bits) for t in types)
    hi = max(t.raw_max << (frac - t.frac_bits) for t in types)
    u = type_for_raw_range(lo, hi, frac)
    return u.with_modes(types[0].rounding, types[0].overflow)


def holds(outer: FixedType, inner: FixedType) -> bool:
    """True when every value of ``inner`` is a value of ``outer`` (casting is the identity)."""
    if outer.frac_bits < inner.frac_bits:
        return False
    shift = outer.frac_bits - inner.frac_bits
    return outer.raw_min <= inner.raw_min << shift and inner.raw_max << shift <= outer.raw_max


def quantizer_type(q: Quantizer) -> FixedType:
    """One type for every value a quantizer produces: the union of its per-channel types."""
    return union_type(q.fixed_types())


def single_type(q: Quantizer, where: str) -> FixedType:
    """The one type of a quantizer that an IR cast targets.

    Raises:
        ValueError: the quantizer has several (per-channel or per-element) types, which
            one IR cast cannot express.
    """
    types = q.fixed_types()
    if len(set(types)) != 1:
        raise ValueError(
            f"{where}: the quantizer has {len(types)} different per-channel/per-element types; "
            "an IR cast needs one type per tensor (use a per-tensor output quantizer)"
        )
    return types[0]


def khot_k(q: Quantizer | None) -> int | None:
    """K of a K-hot quantizer, None for any other quantizer (or none)."""
    from codesign.quant.khot import KHotQuantizer

    return int(q.k) if isinstance(q, KHotQuantizer) else None


def parse_type(text: str) -> FixedType | None:
    """Parse an IR type: a C++ ap_fixed spelling, or ``binary`` (returned as None)."""
    return None if text == BINARY else FixedType.parse(text)


def scaled_range(t: FixedType, frac: int) -> RawRange:
    """The raw range of ``t`` expressed with ``frac >= t.frac_bits`` fractional bits."""
    shift = frac - t.frac_bits
    if shift < 0:
        raise ValueError(f"cannot align {t} to {frac} fractional bits exactly")
    return t.raw_min << shift, t.raw_max << shift, frac


def sum_type(ranges: Sequence[RawRange]) -> FixedType:
    """The narrowest type holding every sum of one value from each raw range, and every
    partial sum of them (zero included), exactly.

    Raises:
        ValueError: ``ranges`` is empty.
    """
    if not ranges:
        raise ValueError("sum_type needs at least one range")
    frac = max(f for _, _, f in ranges)
    lo = sum(min(0, r_lo) << (frac - f) for r_lo, _, f in ranges)
    hi = sum(max(0, r_hi) << (frac - f) for _, r_hi, f in ranges)
    return type_for_raw_range(lo, hi, frac)


def dot_range(in_t: FixedType, w_t: FixedType, fan_in: int) -> RawRange:
    """Raw range of any sum of ``fan_in`` products in_t * w_t (F = F_in + F_w)."""
    lo, hi = product_raw_range(in_t, w_t)
    return min(0, fan_in * lo), max(0, fan_in * hi), in_t.frac_bits + w_t.frac_bits


def dot_acc_type(in_t: FixedType, w_t: FixedType, fan_in: int, bias_t: FixedType | None) -> FixedType:
    """Accumulator of ``sum_{fan_in} x*w + bias`` with no overflow and no rounding."""
    ranges = [dot_range(in_t, w_t, fan_in)]
    if bias_t is not None:
        ranges.append((bias_t.raw_min, bias_t.raw_max, bias_t.frac_bits))
    return sum_type(ranges)


def observed_type(x: torch.Tensor) -> FixedType:
    """The narrowest type holding every value of ``x`` exactly (from the values themselves).

    Used by eval mode to prove that float64 sums are exact without knowing which
    layer produced the input. An all-zero tensor gives ``ap_ufixed<1,1>``.

    On the CPU, one pass of a compiled kernel reads the extremes and the lowest set bit
    from the IEEE bits (``codesign.quant.fused.observe``); elsewhere (CUDA, no compiler,
    ``CODESIGN_FUSED=0``) the per-element torch path does the same in several passes.
    """
    x = x.detach().to(torch.float64)
    if x.numel() == 0:
        return FixedType(1, 1, False)
    seen = observe(x)
    if seen is None:
        return _observed_type_per_element(x)
    if seen.count == 0:
        return FixedType(1, 1, False)
    scale = Fraction(2) ** -seen.lowest_exp
    return type_for_raw_range(int(Fraction(seen.lo) * scale), int(Fraction(seen.hi) * scale), -seen.lowest_exp)


def _observed_type_per_element(x: torch.Tensor) -> FixedType:
    """``observed_type`` from each nonzero element's exponent and trailing zero bits."""
    x = x.detach().to(torch.float64)
    nonzero = x[x != 0]
    if nonzero.numel() == 0:
        return FixedType(1, 1, False)
    mantissa, exponent = torch.frexp(nonzero)  # nonzero = mantissa * 2**exponent, |m| in [1/2, 1)
    digits = (mantissa.abs() * 2.0**FLOAT64_EXACT_BITS).to(torch.int64)
    lowest_bit = digits & -digits  # 2**(trailing zeros)
    trailing = torch.frexp(lowest_bit.to(torch.float64))[1] - 1
    frac = int((FLOAT64_EXACT_BITS - exponent - trailing).max())
    scale = Fraction(2) ** frac
    lo = int(Fraction(float(nonzero.min())) * scale)
    hi = int(Fraction(float(nonzero.max())) * scale)
    return type_for_raw_range(lo, hi, frac)


def check_exact(acc_t: FixedType, where: str) -> None:
    """Refuse an accumulation float64 cannot carry out exactly.

    Raises:
        ValueError: ``acc_t`` is wider than 53 bits.
    """
    if acc_t.width > FLOAT64_EXACT_BITS:
        raise ValueError(
            f"{where}: the exact accumulator needs {acc_t} ({acc_t.width} bits), but eval mode "
            f"computes in float64, exact up to {FLOAT64_EXACT_BITS} bits; quantize the input "
            "(quantize_input=True) or use narrower input/weight types"
        )


FLOAT32_EXACT_BITS = 24
"""Mantissa bits of float32 (with the implicit bit)."""


def float32_exact(acc_t: FixedType) -> bool:
    """Whether float32 carries out an accumulation into ``acc_t`` exactly.

    Every operand, product and partial sum is then an integer multiple of the LSB of
    ``acc_t`` with magnitude below 2**24 LSBs, and its exponents stay inside float32's
    normal range (2**-126 .. 2**127), so each float32 operation is exact in any order.
    """
    return acc_t.width <= FLOAT32_EXACT_BITS and -acc_t.frac_bits >= -100 and acc_t.int_bits <= 100


def to_raw_array(values: torch.Tensor, t: FixedType, where: str) -> np.ndarray:
    """The raw int64 integers of already-quantized ``values`` in type ``t``.

    Raises:
        ValueError: a value is not on t's grid or outside t's range.
    """
    if not t.signed and t.width > 63 or t.width > 64:
        raise ValueError(f"{where}: raw values of {t} do not fit in int64")
    v = values.detach().to(torch.float64).cpu()
    scaled = v * 2.0**t.frac_bits
    if not bool((scaled == torch.round(scaled)).all()):
        raise ValueError(f"{where}: values are not multiples of the LSB of {t}")
    raw = scaled.to(torch.int64).numpy()
    if raw.size and (int(raw.min()) < t.raw_min or int(raw.max()) > t.raw_max):
        raise ValueError(f"{where}: raw values [{raw.min()}, {raw.max()}] outside {t}")
    return raw
