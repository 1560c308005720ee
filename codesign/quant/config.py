"""Frozen, typed quantization configuration: one ``QuantSpec`` per place in a layer.

A ``QuantSpec`` says how one tensor is quantized (scheme, width, initial binary
point, modes, K for K-hot, HGQ options). ``LayerQuant`` groups the specs of every
place of a layer; ``LayerQuant.defaults(scheme, width)`` gives the defaults per
scheme. ``make_quantizer`` turns a spec into a quantizer module.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from codesign.fixed import Overflow, Rounding
from codesign.quant.base import Quantizer

Scheme = Literal["fixed", "qfx", "khot", "hgq"]
Granularity = Literal["element", "channel", "tensor"]
Kind = Literal["weight", "activation"]


@dataclass(frozen=True)
class QuantSpec:
    """How one tensor is quantized.

    Attributes:
        scheme: ``fixed`` (type never changes), ``qfx`` (learned binary point),
            ``khot`` (at most ``k`` power-of-two digits per value), ``hgq``
            (per-element learned fractional bits).
        width: word length W (fixed, qfx, khot; for hgq the initial total bits).
        int_bits: initial integer bits I (learned from here by qfx/khot when
            ``learn_int_bits``).
        signed: two's complement values.
        rounding, overflow: cast modes of the quantized tensor.
        per_channel: one binary point per channel (qfx, khot) instead of per tensor.
        learn_int_bits: qfx/khot binary point is trainable.
        k: K-hot digit count (khot only).
        unsigned_digits: K-hot digits are all +1 (else signed digits +-1).
        init_frac_bits: HGQ initial fractional bits.
        granularity: HGQ granularity of the fractional bits.
    """

    scheme: Scheme = "qfx"
    width: int = 8
    int_bits: int = 0
    signed: bool = True
    rounding: Rounding = Rounding.RND
    overflow: Overflow = Overflow.SAT
    per_channel: bool = False
    learn_int_bits: bool = True
    k: int | None = None
    unsigned_digits: bool = False
    init_frac_bits: float = 6.0
    granularity: Granularity = "element"

    def __post_init__(self) -> None:
        if self.scheme not in ("fixed", "qfx", "khot", "hgq"):
            raise ValueError(f"unknown scheme {self.scheme!r}; allowed: fixed, qfx, khot, hgq")
        if not 1 <= self.width <= 53:
            raise ValueError(f"width must be in 1..53 (float64-exact emulation), got {self.width}")
        if self.scheme == "khot" and (self.k is None or self.k < 1):
            raise ValueError(f"khot needs k >= 1, got k={self.k!r}")
        if self.granularity not in ("element", "channel", "tensor"):
            raise ValueError(f"unknown HGQ granularity {self.granularity!r}")

    def but(self, **changes: object) -> QuantSpec:
        """A copy with some fields changed (``spec.but(width=4)``)."""
        return replace(self, **changes)  # type: ignore[arg-type]


@dataclass(frozen=True)
class LayerQuant:
    """Quantization of every place of a layer. ``None`` leaves a place unquantized
    (allowed in training only; export requires every place quantized)."""

    input: QuantSpec | None = None
    weight: QuantSpec | None = None
    bias: QuantSpec | None = None
    output: QuantSpec | None = None
    bn_scale: QuantSpec | None = None
    bn_bias: QuantSpec | None = None
    residual: QuantSpec | None = None

    @classmethod
    def defaults(cls, scheme: Scheme = "qfx", width: int = 8, k: int = 2) -> LayerQuant:
        """Defaults per scheme, every place at ``width`` bits with AP_RND/AP_SAT: weights and
        BN scales in the scheme (K-hot for both under ``khot``), biases, BN biases,
        activations and residual sums in QFX (learned binary points). Accumulators are
        not places: layers size them exactly."""
        base = QuantSpec(scheme="qfx", width=width, int_bits=2)
        if scheme == "hgq":
            weight = QuantSpec(scheme="hgq", width=width, init_frac_bits=width - 2)
            act = QuantSpec(scheme="hgq", width=width, init_frac_bits=width - 3, granularity="element")
        elif scheme == "khot":
            weight = QuantSpec(scheme="khot", width=width, int_bits=1, k=k)
            act = base
        elif scheme == "fixed":
            weight = QuantSpec(scheme="fixed", width=width, int_bits=1)
            act = QuantSpec(scheme="fixed", width=width, int_bits=3)
        else:
            weight = base.but(int_bits=1)
            act = base.but(int_bits=3)
        bias = base.but(scheme="fixed" if scheme == "fixed" else "qfx", int_bits=2)
        bn_scale = weight if scheme != "hgq" else base.but(int_bits=2)
        return cls(input=act, weight=weight, bias=bias, output=act, bn_scale=bn_scale, bn_bias=bias, residual=act)


def make_quantizer(
    spec: QuantSpec,
    *,
    channels: int | None = None,
    shape: tuple[int, ...] | None = None,
    channel_axis: int = 0,
    kind: Kind = "activation",
) -> Quantizer:
    """Build the quantizer module a spec describes.

    Args:
        spec: the spec.
        channels: number of channels for per-channel binary points / HGQ channel granularity.
        shape: full tensor shape (without batch for activations) for HGQ element granularity;
            None lets an activation quantizer take it from its first input.
        channel_axis: axis of the channels in the tensor (0 for weights, 1 for activations
            with a batch axis).
        kind: ``weight`` (integer bits from the values) or ``activation`` (from calibration).
    """
    from codesign.fixed import FixedType
    from codesign.quant.base import FixedQuantizer

    if spec.scheme == "fixed":
        return FixedQuantizer(FixedType(spec.width, spec.int_bits, spec.signed, spec.rounding, spec.overflow))
    per_channel = channels if spec.per_channel else None
    if spec.scheme == "qfx":
        from codesign.quant.qfx import QFXQuantizer

        return QFXQuantizer(
            spec.width,
            signed=spec.signed,
            int_bits=spec.int_bits,
            rounding=spec.rounding,
            overflow=spec.overflow,
            channels=per_channel,
            channel_axis=channel_axis,
            learn=spec.learn_int_bits,
        )
    if spec.scheme == "khot":
        from codesign.quant.khot import KHotQuantizer

        assert spec.k is not None  # checked in QuantSpec
        return KHotQuantizer(
            spec.k,
            spec.width,
            signed=spec.signed,
            int_bits=spec.int_bits,
            rounding=spec.rounding,
            overflow=spec.overflow,
            channels=per_channel,
            channel_axis=channel_axis,
            learn_int_bits=spec.learn_int_bits,
            unsigned_digits=spec.unsigned_digits,
        )
    from codesign.quant.hgq import HGQQuantizer

    return HGQQuantizer(
        init_frac_bits=spec.init_frac_bits,
        signed=spec.signed,
        kind=kind,
        granularity=spec.granularity,
        shape=shape,
        channels=channels,
        channel_axis=channel_axis,
        rounding=spec.rounding,
        overflow=spec.overflow,
    )


__all__ = ["Granularity", "Kind", "LayerQuant", "QuantSpec", "Scheme", "make_quantizer"]
