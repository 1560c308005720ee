"""The table of IR ops: inputs, attributes, parameters and accumulator of each (docs/ir.md).

The semantics live in ``interp.py`` and the checks in ``validate.py``; this module only
says what a node of each op must carry, so both read one definition.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

from codesign.fixed.types import FixedType

MAX_TYPE_WIDTH = 53
"""Widest type allowed anywhere in the IR: the torch emulation computes in float64, exact
up to 53 significant bits (DESIGN.md, the numeric contract)."""

# Attribute kinds (checked by validate.py):
#   "int": any int; "pos_int": int >= 1; "pos_pair": two ints >= 1; "nonneg_pair": two ints
#   >= 0; "pm1": -1 or +1; "khot": null or int >= 1; "thresholds": non-empty list of
#   strictly ascending ints.
ATTR_KINDS = ("int", "pos_int", "pos_pair", "nonneg_pair", "pm1", "khot", "thresholds")


@dataclass(frozen=True)
class OpSpec:
    """What a node of one op carries.

    Attributes:
        n_inputs: number of inputs.
        input_kind: "fixed", "binary" or "any" (the kind of every input tensor).
        output_kind: "fixed", "binary" or "same" (same type as the input).
        attrs: required attributes, name -> kind (see ATTR_KINDS).
        optional_attrs: optional attributes, name -> kind.
        params: required parameters.
        optional_params: optional parameters.
        acc: whether the node names an ``acc_type``: "required", "optional" or "none".
    """

    n_inputs: int
    input_kind: str
    output_kind: str
    attrs: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    optional_attrs: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    params: tuple[str, ...] = ()
    optional_params: tuple[str, ...] = ()
    acc: str = "none"


def _m(**kinds: str) -> Mapping[str, str]:
    return MappingProxyType(kinds)


_CONV_ATTRS = _m(kernel="pos_pair", stride="pos_pair", padding="nonneg_pair")

OPS: Mapping[str, OpSpec] = MappingProxyType({
    "thermometer": OpSpec(1, "fixed", "binary", attrs=_m(thresholds="thresholds")),
    "binary_conv2d": OpSpec(1, "binary", "fixed", attrs=_m(**_CONV_ATTRS, pad_value="pm1"),
                            params=("weight",)),
    "binary_dense": OpSpec(1, "binary", "fixed", params=("weight",)),
    "dense": OpSpec(1, "fixed", "fixed", optional_attrs=_m(khot="khot"), params=("weight",),
                    optional_params=("bias",), acc="required"),
    "conv2d": OpSpec(1, "fixed", "fixed", attrs=_CONV_ATTRS,
                     optional_attrs=_m(groups="pos_int", khot="khot"), params=("weight",),
                     optional_params=("bias",), acc="required"),
    "batchnorm": OpSpec(1, "fixed", "fixed", optional_attrs=_m(khot="khot"),
                        params=("scale", "bias"), acc="required"),
    "add": OpSpec(2, "fixed", "fixed", acc="required"),
    "relu": OpSpec(1, "fixed", "fixed"),
    "hardtanh": OpSpec(1, "fixed", "fixed", attrs=_m(min_raw="int", max_raw="int")),
    "sign": OpSpec(1, "fixed", "binary"),
    "prelu": OpSpec(1, "fixed", "fixed", optional_attrs=_m(khot="khot"), params=("slope",),
                    acc="required"),
    "avgpool2d": OpSpec(1, "fixed", "fixed", attrs=_m(kernel="pos_pair"),
                        optional_attrs=_m(divisor="pos_int", khot="khot"),
                        optional_params=("reciprocal",), acc="optional"),
    "global_avgpool": OpSpec(1, "fixed", "fixed",
                             optional_attrs=_m(kernel="pos_pair", divisor="pos_int", khot="khot"),
                             optional_params=("reciprocal",), acc="optional"),
    "flatten": OpSpec(1, "any", "same"),
})
"""Every op of schema version 1, by name."""


def power_of_two_exponent(n: int) -> int | None:
    """k when ``n == 2**k`` (n >= 1), else None."""
    return n.bit_length() - 1 if n >= 1 and n & (n - 1) == 0 else None


def pool_value_range(x: FixedType, window: int, reciprocal_raw: int | None,
                     reciprocal_frac: int = 0) -> tuple[int, int, int]:
    """The exact range of an average pool's value before its output cast.

    The window sum of ``window`` inputs is exact; a power-of-two ``window = 2**k`` divides
    by moving the binary point (F grows by k, the raw sum is unchanged); otherwise the sum
    is multiplied by the reciprocal constant (exact product, F = F(x) + F(reciprocal)).

    Args:
        x: input type.
        window: number of summed inputs (the divisor), >= 1.
        reciprocal_raw: raw integer of the reciprocal; None for a power-of-two window.
        reciprocal_frac: fractional bits of the reciprocal's type.

    Returns:
        (raw_lo, raw_hi, frac_bits) of the pooled value, zero included in the range.
    """
    lo, hi = window * x.raw_min, window * x.raw_max
    if reciprocal_raw is None:
        k = power_of_two_exponent(window)
        if k is None:
            raise ValueError(f"a window of {window} is not a power of two: a reciprocal is needed")
        return min(lo, 0), max(hi, 0), x.frac_bits + k
    corners = (lo * reciprocal_raw, hi * reciprocal_raw)
    return min(*corners, 0), max(*corners, 0), x.frac_bits + reciprocal_frac

