"""K-hot tables from raw integers (numpy only)."""

from __future__ import annotations

import numpy as np

from codesign.codegen.context import KhotEntry, KhotTable
from codesign.codegen.errors import CodegenError
from codesign.fixed.types import FixedType
from codesign.quant.khot_codebook import decompose_raw


def khot_table(name: str, raw: np.ndarray, t: FixedType, k: int, where: str) -> KhotTable:
    """The table of ``raw`` (flattened in C order): per weight its minimal signed digits,
    exponents made absolute (value units: raw exponent - F(t)).

    Raises:
        CodegenError: a value needs more than ``k`` digits.
    """
    entries = []
    for index, r in enumerate(np.asarray(raw).reshape(-1)):
        try:
            terms = decompose_raw(int(r), k, t.width, signed=t.signed)
        except ValueError as exc:
            raise CodegenError(f"{where}: weight {index} is not {k}-hot: {exc}") from None
        entries.append(KhotEntry(index, tuple((sign, exp - t.frac_bits) for sign, exp in terms)))
    return KhotTable(name, tuple(entries))


def is_power_of_two_or_zero(raw: int) -> bool:
    """Whether a constant multiplicand is 0 or +-2^e (a shift, not a multiplier)."""
    magnitude = abs(int(raw))
    return magnitude & (magnitude - 1) == 0


def general_products(raw: np.ndarray) -> int:
    """Entries of a constant array that need a general multiplier."""
    return sum(0 if is_power_of_two_or_zero(int(r)) else 1 for r in np.asarray(raw).reshape(-1))
