"""Fixed-point types with the semantics of Vitis HLS ``ap_fixed<W,I,Q,O>``.

This module is pure Python (no torch, no numpy) so that the IR and the board
runtime can parse and print types on a board's CPU.

A ``FixedType`` holds ``width`` bits, of which ``int_bits`` are left of the
binary point (the sign bit included when signed). ``int_bits`` may be negative
or larger than ``width``. The value of a raw integer ``r`` (two's complement
when signed) is ``r * 2**-frac_bits`` with ``frac_bits = width - int_bits``.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

MAX_WIDTH = 1024
"""The widest type the ap_fixed headers accept (AP_INT_MAX_W default)."""


class Rounding(enum.Enum):
    """Quantization (rounding) modes of ap_fixed, applied to bits below the LSB."""

    TRN = "AP_TRN"  # toward minus infinity (floor)
    TRN_ZERO = "AP_TRN_ZERO"  # toward zero
    RND = "AP_RND"  # to nearest, ties toward plus infinity
    RND_ZERO = "AP_RND_ZERO"  # to nearest, ties toward zero
    RND_MIN_INF = "AP_RND_MIN_INF"  # to nearest, ties toward minus infinity
    RND_INF = "AP_RND_INF"  # to nearest, ties away from zero
    RND_CONV = "AP_RND_CONV"  # to nearest, ties to even

    @property
    def cpp(self) -> str:
        """The C++ enumerator, e.g. ``AP_RND_CONV``."""
        return self.value


class Overflow(enum.Enum):
    """Overflow modes of ap_fixed, applied to bits above the MSB."""

    WRAP = "AP_WRAP"  # keep the low bits (two's complement wrap-around)
    SAT = "AP_SAT"  # clamp to [min, max]
    SAT_ZERO = "AP_SAT_ZERO"  # out of range becomes zero
    SAT_SYM = "AP_SAT_SYM"  # clamp to [-max, max] when signed

    @property
    def cpp(self) -> str:
        """The C++ enumerator, e.g. ``AP_SAT``."""
        return self.value


_ROUNDING_BY_CPP = {r.value: r for r in Rounding}
_OVERFLOW_BY_CPP = {o.value: o for o in Overflow}


@dataclass(frozen=True)
class FixedType:
    """``ap_fixed<width, int_bits, rounding, overflow>`` (or ``ap_ufixed`` when unsigned).

    Attributes:
        width: total bits W, 1..1024.
        int_bits: bits left of the binary point I (sign included); any integer.
        signed: two's complement when True.
        rounding: quantization mode used when a value is cast *into* this type.
        overflow: overflow mode used when a value is cast *into* this type.
    """

    width: int
    int_bits: int
    signed: bool = True
    rounding: Rounding = Rounding.TRN
    overflow: Overflow = Overflow.WRAP

    def __post_init__(self) -> None:
        for name in ("width", "int_bits"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"FixedType {name} must be an int, got {value!r}")
        if not 1 <= self.width <= MAX_WIDTH:
            raise ValueError(f"FixedType width must be in 1..{MAX_WIDTH}, got {self.width}")
        if not isinstance(self.signed, bool):
            raise ValueError(f"FixedType signed must be a bool, got {self.signed!r}")
        if not isinstance(self.rounding, Rounding):
            raise ValueError(f"unknown rounding mode {self.rounding!r}; use a Rounding member")
        if not isinstance(self.overflow, Overflow):
            raise ValueError(f"unknown overflow mode {self.overflow!r}; use an Overflow member")

    # ----------------------------------------------------------------- ranges
    @property
    def frac_bits(self) -> int:
        """F = W - I: bits right of the binary point (may be negative)."""
        return self.width - self.int_bits

    @property
    def lsb(self) -> float:
        """Value of one LSB, 2**-F."""
        return 2.0**-self.frac_bits

    @property
    def raw_min(self) -> int:
        """Smallest raw integer: -2**(W-1) signed, 0 unsigned."""
        return -(1 << (self.width - 1)) if self.signed else 0

    @property
    def raw_max(self) -> int:
        """Largest raw integer: 2**(W-1)-1 signed, 2**W-1 unsigned."""
        return (1 << (self.width - 1)) - 1 if self.signed else (1 << self.width) - 1

    @property
    def min(self) -> float:
        """Smallest representable value, raw_min * lsb."""
        return float(self.raw_min) * self.lsb

    @property
    def max(self) -> float:
        """Largest representable value, raw_max * lsb."""
        return float(self.raw_max) * self.lsb

    # ----------------------------------------------------------- conversions
    def with_modes(
        self, rounding: Rounding | None = None, overflow: Overflow | None = None
    ) -> FixedType:
        """The same width and binary point with other cast modes."""
        return FixedType(
            self.width,
            self.int_bits,
            self.signed,
            self.rounding if rounding is None else rounding,
            self.overflow if overflow is None else overflow,
        )

    def __str__(self) -> str:
        name = "ap_fixed" if self.signed else "ap_ufixed"
        args = [str(self.width), str(self.int_bits)]
        if self.rounding is not Rounding.TRN or self.overflow is not Overflow.WRAP:
            args.append(self.rounding.cpp)
        if self.overflow is not Overflow.WRAP:
            args.append(self.overflow.cpp)
        return f"{name}<{','.join(args)}>"

    @property
    def cpp(self) -> str:
        """The C++ spelling, e.g. ``ap_fixed<8,3,AP_RND_CONV,AP_SAT>``."""
        return str(self)

    @classmethod
    def parse(cls, text: str) -> FixedType:
        """Parse a C++ spelling: ``ap_fixed<W,I[,Q[,O[,N]]]>``, ``ap_ufixed<...>``,
        ``ap_int<W>``, ``ap_uint<W>``. Defaults follow the headers (AP_TRN, AP_WRAP).

        Raises:
            ValueError: naming what is wrong with ``text``.
        """
        if not isinstance(text, str):
            raise ValueError(f"fixed-point type must be a string, got {type(text).__name__}")
        match = _TYPE_RE.fullmatch(text.strip())
        if match is None:
            raise ValueError(
                f"cannot parse fixed-point type {text!r}: expected ap_fixed<W,I[,Q[,O]]>, "
                "ap_ufixed<W,I[,Q[,O]]>, ap_int<W> or ap_uint<W>"
            )
        kind = match.group("kind")
        args = [a.strip() for a in match.group("args").split(",")]
        signed = kind in ("ap_fixed", "ap_int")
        if kind in ("ap_int", "ap_uint"):
            if len(args) != 1:
                raise ValueError(f"{kind} takes one argument (the width), got {text!r}")
            width = _parse_int(args[0], "width", text)
            return cls(width, width, signed)
        if not 2 <= len(args) <= 5:
            raise ValueError(f"{kind} takes 2 to 5 arguments (W, I, Q, O, N), got {text!r}")
        width = _parse_int(args[0], "width", text)
        int_bits = _parse_int(args[1], "int_bits", text)
        rounding = Rounding.TRN
        overflow = Overflow.WRAP
        if len(args) >= 3:
            if args[2] not in _ROUNDING_BY_CPP:
                raise ValueError(
                    f"unknown rounding mode {args[2]!r} in {text!r}; "
                    f"allowed: {', '.join(_ROUNDING_BY_CPP)}"
                )
            rounding = _ROUNDING_BY_CPP[args[2]]
        if len(args) >= 4:
            if args[3] not in _OVERFLOW_BY_CPP:
                raise ValueError(
                    f"unknown overflow mode {args[3]!r} in {text!r}; "
                    f"allowed: {', '.join(_OVERFLOW_BY_CPP)}"
                )
            overflow = _OVERFLOW_BY_CPP[args[3]]
        if len(args) == 5 and _parse_int(args[4], "saturation bits N", text) != 0:
            raise ValueError(f"saturation bits N != 0 are not supported: {text!r}")
        return cls(width, int_bits, signed, rounding, overflow)


_TYPE_RE = re.compile(r"(?P<kind>ap_fixed|ap_ufixed|ap_int|ap_uint)\s*<(?P<args>[^<>]*)>")


def _parse_int(token: str, field: str, text: str) -> int:
    if not re.fullmatch(r"[+-]?\d+", token):
        raise ValueError(f"{field} must be an integer, got {token!r} in {text!r}")
    return int(token)


# ------------------------------------------------------------ result types
def _aligned_int_bits(a: FixedType, b: FixedType) -> int:
    """max(I) after giving the unsigned operand a sign bit when the other is signed."""
    return max(a.int_bits + int(b.signed and not a.signed), b.int_bits + int(a.signed and not b.signed))


def mul_type(a: FixedType, b: FixedType) -> FixedType:
    """Full-precision type of ``a * b`` in ap_fixed: W = Wa + Wb, I = Ia + Ib."""
    return FixedType(a.width + b.width, a.int_bits + b.int_bits, a.signed or b.signed)


def add_type(a: FixedType, b: FixedType) -> FixedType:
    """Full-precision type of ``a + b`` in ap_fixed (one carry bit above the aligned operands)."""
    int_bits = _aligned_int_bits(a, b) + 1
    frac_bits = max(a.frac_bits, b.frac_bits)
    return FixedType(int_bits + frac_bits, int_bits, a.signed or b.signed)


def sub_type(a: FixedType, b: FixedType) -> FixedType:
    """Full-precision type of ``a - b`` in ap_fixed: as ``add_type`` but always signed."""
    int_bits = _aligned_int_bits(a, b) + 1
    frac_bits = max(a.frac_bits, b.frac_bits)
    return FixedType(int_bits + frac_bits, int_bits, True)


def type_for_raw_range(raw_lo: int, raw_hi: int, frac_bits: int) -> FixedType:
    """Narrowest type with ``frac_bits`` fractional bits whose raw range holds [raw_lo, raw_hi].

    Signed exactly when ``raw_lo < 0``. The result uses AP_TRN / AP_WRAP (no cast happens
    inside an exact accumulation).
    """
    if raw_lo > raw_hi:
        raise ValueError(f"empty raw range [{raw_lo}, {raw_hi}]")
    if raw_lo < 0:
        # smallest w with -2**(w-1) <= raw_lo and raw_hi <= 2**(w-1) - 1
        width = max((-raw_lo - 1).bit_length(), raw_hi.bit_length()) + 1
        signed = True
    else:
        width = max(raw_hi.bit_length(), 1)
        signed = False
    return FixedType(width, width - frac_bits, signed)


def product_raw_range(a: FixedType, b: FixedType) -> tuple[int, int]:
    """Smallest and largest raw product of any a-value and b-value (in units of lsb_a*lsb_b)."""
    corners = [x * y for x in (a.raw_min, a.raw_max) for y in (b.raw_min, b.raw_max)]
    return min(corners), max(corners)


def accumulator_type(input_t: FixedType, weight_t: FixedType, fan_in: int) -> FixedType:
    """Narrowest type that holds any sum of ``fan_in`` products input*weight exactly.

    The fractional bits are F_in + F_w (products are exact); the integer range is
    ``fan_in`` times the extreme products of the two operand ranges.
    """
    if fan_in < 1:
        raise ValueError(f"fan_in must be >= 1, got {fan_in}")
    lo, hi = product_raw_range(input_t, weight_t)
    return type_for_raw_range(
        min(0, fan_in * lo), max(0, fan_in * hi), input_t.frac_bits + weight_t.frac_bits
    )
