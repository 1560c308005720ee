"""The ap_fixed number system: types, result-type rules and exact quantization.

``FixedType`` and the result-type rules are pure Python. ``quantize``,
``to_raw`` and ``from_raw`` need torch and are loaded on first use, so numpy-only
code (the IR, the board runtime) can import the types without torch.
"""

from __future__ import annotations

from typing import Any

from codesign.fixed.types import (
    FixedType,
    Overflow,
    Rounding,
    accumulator_type,
    add_type,
    mul_type,
    product_raw_range,
    sub_type,
    type_for_raw_range,
)

_TORCH_FUNCTIONS = ("quantize", "to_raw", "from_raw")

__all__ = [
    "FixedType",
    "Overflow",
    "Rounding",
    "accumulator_type",
    "add_type",
    "mul_type",
    "product_raw_range",
    "sub_type",
    "type_for_raw_range",
    *_TORCH_FUNCTIONS,
]


def __getattr__(name: str) -> Any:
    if name in _TORCH_FUNCTIONS:
        import importlib

        return getattr(importlib.import_module("codesign.fixed.cast"), name)
    raise AttributeError(f"module 'codesign.fixed' has no attribute {name!r}")
