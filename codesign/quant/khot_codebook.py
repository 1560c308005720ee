"""K-hot codebooks and digit decompositions (numpy only: code generation uses it).

For a base type of ``width`` W bits (signed or not) and a digit count K, the
codebook holds the raw integers ``sum_j s_j * 2**e_j`` with at most K terms,
distinct exponents ``e_j`` in ``[0, W-1]`` (raw LSB units; in value units
``[-F, I-1]`` with F = W - I) and signs ``s_j`` in {-1, +1} (signed digits) or
{+1} (unsigned digits), keeping only the sums that lie in the raw range of the
base type (values outside are dropped, not clamped: a clamped value could need
more digits). The codebook in raw units depends on (W, signed, K, variant) only;
the binary point I just scales it by ``2**-F``.

With unsigned digits every member is >= 0, so negative inputs map to 0.

Hardware meaning: ``x * (raw * 2**-F) = sum_j s_j * (x << (e_j - F))``.
"""

from __future__ import annotations

import functools
import itertools

import numpy as np

MAX_CODEBOOK_WIDTH = 53
"""Raw integers up to 53 bits stay exact in float64 (the torch emulation's dtype)."""


def raw_range(width: int, signed: bool) -> tuple[int, int]:
    """(raw_min, raw_max) of a W-bit two's complement or unsigned integer."""
    if signed:
        return -(1 << (width - 1)), (1 << (width - 1)) - 1
    return 0, (1 << width) - 1


def _check(width: int, k: int) -> None:
    if not 1 <= width <= MAX_CODEBOOK_WIDTH:
        raise ValueError(f"K-hot base width must be in 1..{MAX_CODEBOOK_WIDTH}, got {width}")
    if k < 1:
        raise ValueError(f"K-hot digit count k must be >= 1, got {k}")


@functools.lru_cache(maxsize=64)
def _codebook_cached(width: int, signed: bool, k: int, unsigned_digits: bool) -> np.ndarray:
    lo, hi = raw_range(width, signed)
    parts = [np.zeros(1, dtype=np.int64)]
    powers = np.left_shift(np.int64(1), np.arange(width, dtype=np.int64))
    for count in range(1, min(k, width) + 1):
        exps = np.array(list(itertools.combinations(range(width), count)), dtype=np.int64)
        terms = powers[exps]  # [n_combos, count]
        if unsigned_digits:
            sums = terms.sum(axis=1)
        else:
            signs = np.array(list(itertools.product((-1, 1), repeat=count)), dtype=np.int64)
            sums = (terms[:, None, :] * signs[None, :, :]).sum(axis=2).ravel()
        parts.append(sums[(sums >= lo) & (sums <= hi)])
    book = np.unique(np.concatenate(parts))
    book.setflags(write=False)
    return book


def codebook_raw(width: int, k: int, *, signed: bool = True, unsigned_digits: bool = False) -> np.ndarray:
    """Sorted, read-only int64 array of the raw integers with at most ``k`` digits.

    Cached per (width, signed, k, unsigned_digits); k >= width gives every raw value
    of the range that the digit variant can reach.

    Raises:
        ValueError: width outside 1..53 or k < 1.
    """
    _check(width, k)
    return _codebook_cached(int(width), bool(signed), int(min(k, width)), bool(unsigned_digits))


def codebook_values(
    width: int, int_bits: int, k: int, *, signed: bool = True, unsigned_digits: bool = False
) -> np.ndarray:
    """The codebook in value units (float64, exact): raw * 2**-(width - int_bits)."""
    return np.ldexp(codebook_raw(width, k, signed=signed, unsigned_digits=unsigned_digits).astype(np.float64),
                    -(width - int_bits))


def nearest_raw(raw: np.ndarray, book: np.ndarray) -> np.ndarray:
    """Nearest codebook member of each integer in ``raw``; a tie goes to the larger member.

    Args:
        raw: integer array, any shape.
        book: sorted codebook (``codebook_raw``).
    """
    raw = np.asarray(raw, dtype=np.int64)
    idx = np.searchsorted(book, raw, side="left")
    upper = book[np.minimum(idx, len(book) - 1)]
    lower = book[np.maximum(idx - 1, 0)]
    return np.where(upper - raw <= raw - lower, upper, lower)


def min_digits(raw: int, width: int, *, unsigned_digits: bool = False) -> list[tuple[int, int]] | None:
    """A decomposition of ``raw`` with the fewest digits, exponents in [0, width-1].

    Dynamic programming over the bits from the LSB: at each position the
    remaining value r is even (digit 0) or odd (digit +1, or -1 when signed digits
    are allowed); r then halves. Every signed-digit form with distinct exponents
    is one path, so the minimum is exact. Ties prefer digit +1.

    Returns:
        ``[(sign, exponent), ...]`` with the highest exponent first, or None when
        no decomposition exists within the exponent range.
    """

    @functools.lru_cache(maxsize=None)
    def best(pos: int, r: int) -> tuple[tuple[int, int], ...] | None:
        if r == 0:
            return ()
        if pos == width:
            return None
        if r % 2 == 0:
            return best(pos + 1, r // 2)
        options = []
        for sign in (1,) if unsigned_digits else (1, -1):
            rest = best(pos + 1, (r - sign) // 2)
            if rest is not None:
                options.append(rest + ((sign, pos),))
        return min(options, key=len) if options else None

    found = best(0, int(raw))
    return None if found is None else sorted(found, key=lambda term: -term[1])


def decompose_raw(
    raw: int, k: int, width: int, *, signed: bool = True, unsigned_digits: bool = False
) -> list[tuple[int, int]]:
    """Minimal digit decomposition of a codebook member, exponents in raw LSB units.

    Returns:
        ``[(sign, exponent), ...]`` (highest exponent first; empty for 0) with
        ``sum(sign * 2**exponent) == raw`` and at most ``k`` terms.

    Raises:
        ValueError: ``raw`` is outside the raw range or needs more than ``k`` digits.
    """
    _check(width, k)
    lo, hi = raw_range(width, signed)
    if not lo <= int(raw) <= hi:
        raise ValueError(f"raw value {raw} outside the raw range [{lo}, {hi}] of a {width}-bit base")
    terms = min_digits(int(raw), width, unsigned_digits=unsigned_digits)
    if terms is None or len(terms) > k:
        needed = "no" if terms is None else f"{len(terms)}"
        variant = "unsigned" if unsigned_digits else "signed"
        raise ValueError(
            f"raw value {raw} is not in the K-hot codebook (k={k}, width={width}, {variant} digits): "
            f"it needs {needed} digit decomposition within exponents [0, {width - 1}]"
        )
    return terms


def decompose_value(
    value: float, k: int, width: int, int_bits: int, *, signed: bool = True, unsigned_digits: bool = False
) -> list[tuple[int, int]]:
    """Decomposition of a codebook value with exponents in value units (``e - F``).

    ``sum(sign * 2.0**exponent) == value`` exactly.

    Raises:
        ValueError: the value is not on the base grid or not in the codebook.
    """
    frac_bits = width - int_bits
    scaled = float(np.ldexp(np.float64(value), frac_bits))
    if scaled != np.floor(scaled):
        raise ValueError(f"value {value!r} is not a multiple of the base LSB 2**{-frac_bits}")
    terms = decompose_raw(int(scaled), k, width, signed=signed, unsigned_digits=unsigned_digits)
    return [(sign, exp - frac_bits) for sign, exp in terms]


__all__ = [
    "MAX_CODEBOOK_WIDTH",
    "codebook_raw",
    "codebook_values",
    "decompose_raw",
    "decompose_value",
    "min_digits",
    "nearest_raw",
    "raw_range",
]
