"""Numbers and type spellings for the templates (numbers only: the text is in the templates)."""

from __future__ import annotations

import math

import numpy as np

from codesign.fixed.types import FixedType
from codesign.ir import BINARY
from codesign.ir.graph import TensorType


def type_spelling(t: FixedType) -> str:
    """The C++ type of a fixed-point tensor, e.g. ``ap_fixed<8,3,AP_RND,AP_SAT>``."""
    return t.cpp


def value_literal(raw: int, t: FixedType) -> str:
    """A C++ literal of the exact value ``raw * 2^-F`` (shortest round-trip double: exact
    because every IR type has at most 53 bits)."""
    value = math.ldexp(int(raw), -t.frac_bits)
    text = repr(value)
    return text if ("." in text or "e" in text) else text + ".0"


def value_literals(raw: np.ndarray, t: FixedType) -> list[str]:
    """``value_literal`` of every element of a raw array, flattened in C order."""
    return [value_literal(int(r), t) for r in np.asarray(raw).reshape(-1)]


def lane_bits(t: TensorType) -> int:
    """Bits one raw value occupies in packed 64-bit words (binary: 1)."""
    return 1 if t == BINARY else t.width
