"""Exact ap_fixed casts where every element has its own type.

``quantize_elementwise(x, int_bits, frac_bits, ...)`` is ``codesign.fixed.quantize``
with the binary point and width given per element: ``int_bits`` and ``frac_bits``
are integer-valued tensors that broadcast against ``x`` (a per-channel type is a
``[C, 1, 1]`` tensor, a per-element type has x's shape without the batch axis).
Element ``k`` is cast to ``ap_fixed<I_k + F_k, I_k, Q, O>`` (``ap_ufixed`` when
unsigned). Exactness is kept as in ``codesign.fixed.cast``: every scale is a power
of two (``exp2`` of an integer is exact), the rounding decision compares the exact
fraction with 1/2 (the same ``_round_scaled`` helper), wrap-around uses ``fmod``.

An element whose width ``I + F`` is below 1 has no bits at all and becomes 0 (HGQ
uses this for pruned elements; ap_fixed itself needs W >= 1).
"""

from __future__ import annotations

import math

import torch

from codesign.fixed import Overflow, Rounding
from codesign.fixed.cast import _round_scaled
from codesign.quant import fused

_FLOAT32_SAFE_EXPONENT = 100
"""|F| and |I| up to this keep every power of two used below normal in float32."""


def all_finite(x: torch.Tensor) -> bool:
    """No NaN or inf in ``x``: one ``aminmax`` pass (NaN propagates through min and max),
    where ``torch.isfinite(x).all()`` takes four."""
    if x.numel() == 0:
        return True
    lo, hi = torch.aminmax(x.detach())
    return math.isfinite(float(lo)) and math.isfinite(float(hi))


def _work_dtype(x: torch.Tensor, int_bits: torch.Tensor, frac_bits: torch.Tensor) -> torch.dtype:
    """float64 for float64 inputs and for types whose scales leave float32's range."""
    if x.dtype == torch.float64:
        return torch.float64
    extreme = max(float(int_bits.abs().max()) + 2.0, float(frac_bits.abs().max()))
    return torch.float64 if extreme > _FLOAT32_SAFE_EXPONENT else torch.float32


def quantize_raw_elementwise(
    x: torch.Tensor,
    int_bits: torch.Tensor,
    frac_bits: torch.Tensor,
    signed: bool,
    rounding: Rounding,
    overflow: Overflow,
) -> torch.Tensor:
    """Raw integers of the per-element casts, as an integer-valued float tensor.

    Computed in ``x``'s dtype (float32 or float64) without autograd; the caller
    checks that ``x`` is finite and that the dtype suits the exponents. Elements
    whose width ``int_bits + frac_bits`` is below 1 get raw 0.

    Args:
        x: values, any shape.
        int_bits: integer bits I (sign included), integer-valued, broadcastable to x.
        frac_bits: fractional bits F, integer-valued, broadcastable to x.
        signed, rounding, overflow: as in ``FixedType``.

    Returns:
        Tensor of the broadcast shape: raw integer r with value ``r * 2**-F``.
    """
    dtype = x.dtype
    i = int_bits.to(dtype)
    f = frac_bits.to(dtype)
    width = i + f
    if overflow is Overflow.WRAP:
        # Subtracting multiples of 2**I changes neither the kept bits nor the sign,
        # so the rounding sees the same fraction (see codesign.fixed.cast).
        x = torch.fmod(x, torch.where(i < 1, 2.0, torch.exp2(i)))
        x = torch.fmod(x, torch.exp2(i))
    else:
        bound = torch.exp2(i + 1.0)
        x = torch.clamp(x, -bound, bound)
    s = x * torch.exp2(f)
    # A negative value can underflow to -0 when scaled down (F < 0); its floor is -1.
    if bool((f < 0).any()):
        s = torch.where((s == 0) & (x < 0), -0.25, s)
    q = _round_scaled(s, rounding)

    if overflow is Overflow.WRAP:
        modulus = torch.exp2(width)
        r = torch.fmod(q, modulus)
        if signed:
            half = modulus * 0.5
            r = torch.where(r >= half, r - modulus, r)
            r = torch.where(r < -half, r + modulus, r)
        else:
            r = torch.where(r < 0, r + modulus, r)
        q = r
    else:
        # q > raw_max  <=>  q >= raw_max + 1, a power of two (exact in any dtype).
        upper = torch.exp2(width - 1.0) if signed else torch.exp2(width)
        raw_max = upper - 1.0
        raw_min = -upper if signed else torch.zeros_like(upper)
        if overflow is Overflow.SAT_ZERO:
            q = torch.where((q >= upper) | (q < raw_min), 0.0, q)
        else:
            if overflow is Overflow.SAT_SYM and signed:
                # min | 1 = -max, except for W = 1 where it is min itself.
                raw_min = torch.where(width > 1, -raw_max, raw_min)
            q = torch.minimum(torch.maximum(q, raw_min), raw_max)
    if bool((width < 1).any()):
        q = torch.where(width < 1, 0.0, q)
    return q


def quantize_elementwise(
    x: torch.Tensor,
    int_bits: torch.Tensor,
    frac_bits: torch.Tensor,
    signed: bool,
    rounding: Rounding,
    overflow: Overflow,
    *,
    check_finite: bool = True,
) -> torch.Tensor:
    """Cast every element of ``x`` to its own ap_fixed type; no gradient.

    Equals ``codesign.fixed.quantize(x[k], FixedType(I_k + F_k, I_k, signed,
    rounding, overflow))`` for every element k, bit for bit, in x's dtype.

    Args:
        x: floating-point tensor, any shape.
        int_bits: integer bits I per element (sign included), integer-valued
            tensor broadcastable to x.
        frac_bits: fractional bits F per element, broadcastable to x.
        signed: two's complement (ap_fixed) or unsigned (ap_ufixed).
        rounding, overflow: cast modes.
        check_finite: raise on NaN/inf.

    Returns:
        Tensor of the broadcast shape and x's dtype.

    Raises:
        TypeError: x is not floating point.
        ValueError: x holds NaN/inf, or I/F are not integer-valued.
    """
    if not isinstance(x, torch.Tensor) or not x.is_floating_point():
        raise TypeError("quantize_elementwise expects a floating-point tensor")
    if check_finite and not all_finite(x):
        raise ValueError("quantize_elementwise: input holds NaN or inf, which ap_fixed cannot represent")
    for name, t in (("int_bits", int_bits), ("frac_bits", frac_bits)):
        if t.is_floating_point() and not bool((t == torch.round(t)).all()):
            raise ValueError(f"quantize_elementwise: {name} must be integer-valued")
    work = _work_dtype(x, int_bits, frac_bits)
    xw = x.detach().to(work)
    raw = quantize_raw_elementwise(xw, int_bits, frac_bits, signed, rounding, overflow)
    return (raw * torch.exp2(-frac_bits.to(work))).to(x.dtype)


def train_cast(
    x: torch.Tensor,
    scale: torch.Tensor | float,
    raw_lo: torch.Tensor | float,
    raw_hi: torch.Tensor | float,
    rounding: Rounding,
) -> torch.Tensor | None:
    """Lean training-mode saturating cast: ``clamp(round(x * scale), raw_lo, raw_hi) / scale``.

    Four elementwise passes (a fused multiply-add, floor, clamp, scale) instead of the
    exact path's eight or more. It agrees with the exact cast except where
    ``x * scale + 0.5`` rounds in floating point, i.e. within one ulp of a rounding
    tie (AP_RND); AP_RND_CONV, AP_TRN and AP_TRN_ZERO are exact. Use it for
    training only; eval mode uses the exact casts.

    Args:
        x: input, any shape; float32 or float64.
        scale: 2**F, a float or a tensor broadcastable to x.
        raw_lo, raw_hi: saturation bounds in raw units (same broadcasting).
        rounding: the rounding mode.

    On CPU float32 the fused kernel of ``codesign.quant.fused`` does this in one pass and
    is exact for every rounding mode (no tie caveat).

    Returns:
        The cast values, or None for rounding modes without a lean form (the caller
        then uses the exact path).
    """
    out = fused.sat_cast(x, scale, raw_lo, raw_hi, rounding)
    if out is not None:
        return out
    if rounding is Rounding.RND:
        half = torch.tensor(0.5, dtype=x.dtype, device=x.device)
        scale_t = scale if isinstance(scale, torch.Tensor) else torch.tensor(scale, dtype=x.dtype, device=x.device)
        s = torch.addcmul(half, x.detach(), scale_t.to(x.dtype)).floor_()
    elif rounding in (Rounding.RND_CONV, Rounding.TRN, Rounding.TRN_ZERO):
        s = torch.mul(x.detach(), scale)
        s = s.round_() if rounding is Rounding.RND_CONV else (s.floor_() if rounding is Rounding.TRN else s.trunc_())
    else:
        return None
    s = s.clamp_(raw_lo, raw_hi)
    return s.div_(scale)


__all__ = ["quantize_elementwise", "quantize_raw_elementwise", "train_cast"]
