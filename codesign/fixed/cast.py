"""``quantize``: the value ``ap_fixed<W,I,Q,O>(x)`` holds in C++, computed in torch.

Every step is exact in floating point: scaling by 2**F is a power-of-two multiply,
``fmod`` is exact in IEEE arithmetic, and rounding decisions compare the exact
fraction ``s - floor(s)`` with 1/2 instead of adding 1/2 (which could round).
The result is exact whenever it is representable in the output dtype (always
for W <= 24 in float32 and W <= 53 in float64; wider types are exact except for
results with more than 24 / 53 significant bits, such as the saturation bound
of a 64-bit type).

Gradient: straight-through. For the saturating modes it is 1 where x lies inside
[t.min, t.max] and 0 outside; for AP_WRAP it is 1 everywhere (the wrapped
function has slope 1 almost everywhere).
"""

from __future__ import annotations

import math

import torch

from codesign.fixed.types import FixedType, Overflow, Rounding

_FLOAT32_SAFE_EXPONENT = 100
"""|F| and |I| up to this keep every power of two used below normal in float32."""


def _work_dtype(x: torch.Tensor, t: FixedType) -> torch.dtype:
    """float64 for float64 inputs and for types whose scale leaves float32's range."""
    if x.dtype == torch.float64:
        return torch.float64
    if max(abs(t.frac_bits), abs(t.int_bits) + 2) > _FLOAT32_SAFE_EXPONENT:
        return torch.float64
    return torch.float32


def _round_scaled(s: torch.Tensor, rounding: Rounding) -> torch.Tensor:
    """Round the exact scaled value ``s = x * 2**F`` to an integer-valued float."""
    if rounding is Rounding.TRN:
        return torch.floor(s)
    if rounding is Rounding.TRN_ZERO:
        return torch.trunc(s)
    floor = torch.floor(s)
    frac = s - floor  # exact: floor(s) and s share their exponent range
    if rounding is Rounding.RND:
        return floor + (frac >= 0.5).to(s.dtype)
    above = frac > 0.5
    tie = frac == 0.5
    if rounding is Rounding.RND_ZERO:
        up = above | (tie & (s < 0))
    elif rounding is Rounding.RND_MIN_INF:
        up = above
    elif rounding is Rounding.RND_INF:
        up = above | (tie & (s > 0))
    elif rounding is Rounding.RND_CONV:
        odd = torch.fmod(floor, 2.0) != 0
        up = above | (tie & odd)
    else:  # pragma: no cover - the enum is closed
        raise ValueError(f"unknown rounding mode {rounding!r}")
    return floor + up.to(s.dtype)


def _lowest_raw(t: FixedType) -> int:
    """The smallest raw value a cast into t can produce.

    raw_min, except under AP_SAT_SYM for signed W > 1: the headers saturate to
    min | 1 = -max and map min itself there too (for W = 1, min | 1 is min again).
    """
    if t.overflow is Overflow.SAT_SYM and t.signed and t.width > 1:
        return -t.raw_max
    return t.raw_min


def _wrap_integer(q: torch.Tensor, t: FixedType) -> torch.Tensor:
    """Reduce integer-valued q modulo 2**W into the raw range of t."""
    modulus = 2.0**t.width
    r = torch.fmod(q, modulus)  # exact, in (-2**W, 2**W), sign of q
    if t.signed:
        half = 2.0 ** (t.width - 1)
        r = torch.where(r >= half, r - modulus, r)
        r = torch.where(r < -half, r + modulus, r)
    else:
        r = torch.where(r < 0, r + modulus, r)
    return r


def _quantize_raw_exact(x: torch.Tensor, t: FixedType) -> torch.Tensor:
    """The raw integer of ``t(x)`` as an integer-valued float tensor of x's dtype.

    Exact for every finite x: out-of-range magnitudes are reduced (WRAP) or clamped
    (saturating modes) before scaling, so ``x * 2**F`` never overflows.
    """
    scale = 2.0**t.frac_bits
    # Above the MSB: the raw integer of any in-range value is below 2**W in magnitude,
    # so a power-of-two bound beyond the range changes no decision and keeps
    # x * 2**F finite and exact.
    if t.overflow is Overflow.WRAP:
        # Subtracting multiples of 2**I changes neither the bits kept nor the sign
        # of x, so every rounding mode sees the same fraction. Torch's vectorised
        # fmod computes x - trunc(x/m)*m, exact for a power-of-two m unless x/m
        # overflows; reducing modulo 2 first (a multiple of 2**I when I < 1) keeps
        # x/m finite.
        if t.int_bits < 1:
            x = torch.fmod(x, 2.0)
        x = torch.fmod(x, 2.0**t.int_bits)
    else:
        bound = 2.0 ** (t.int_bits + 1)
        x = torch.clamp(x, -bound, bound)
    s = x * scale
    if t.frac_bits < 0:
        # A negative value below the smallest normal can underflow to -0 when
        # scaled down; its floor is -1, so give it a stand-in in (-1/2, 0).
        s = torch.where((s == 0) & (x < 0), torch.full_like(s, -0.25), s)
    q = _round_scaled(s, t.rounding)

    if t.overflow is Overflow.WRAP:
        return _wrap_integer(q, t)
    # q > raw_max  <=>  q >= raw_max + 1, a power of two (exactly representable).
    above = q >= float(t.raw_max + 1)
    below = q < float(t.raw_min)
    if t.overflow is Overflow.SAT_ZERO:
        return torch.where(above | below, torch.zeros_like(q), q)
    return torch.clamp(q, float(_lowest_raw(t)), float(t.raw_max))


_MANTISSA_BITS = {torch.float32: 24, torch.float64: 53}


def _round_in_place(s: torch.Tensor, rounding: Rounding) -> torch.Tensor:
    """``_round_scaled`` for a tensor this module owns: fewer passes, reusing ``s``'s memory."""
    if rounding is Rounding.TRN:
        return s.floor_()
    if rounding is Rounding.TRN_ZERO:
        return s.trunc_()
    if rounding is Rounding.RND_CONV:
        return s.round_()  # IEEE round-half-to-even: exact
    if rounding is Rounding.RND:
        floor = torch.floor(s)
        return floor.add_(s.sub_(floor) >= 0.5)
    return _round_scaled(s, rounding)


def _overflow_in_place(q: torch.Tensor, t: FixedType) -> torch.Tensor:
    """Apply t's overflow mode to integer-valued q with |q| < 2**(mantissa - 1)."""
    if t.overflow is Overflow.WRAP:
        modulus = 2.0**t.width
        offset = 2.0 ** (t.width - 1) if t.signed else 0.0
        # q - 2**W * floor((q + offset) / 2**W): every step is an exact integer operation.
        wraps = torch.add(q, offset).mul_(1.0 / modulus).floor_()
        return q.sub_(wraps.mul_(modulus))
    if t.overflow is Overflow.SAT_ZERO:
        return q.masked_fill_((q < float(t.raw_min)) | (q > float(t.raw_max)), 0.0)
    return q.clamp_(float(_lowest_raw(t)), float(t.raw_max))


def _quantize_raw(x: torch.Tensor, t: FixedType, check_finite: bool) -> torch.Tensor:
    """Raw integers of ``t(x)`` as floats: a fast exact path for moderate values, else
    the general exact path.

    One ``aminmax`` pass checks finiteness and bounds |x * 2**F|. Below
    2**(mantissa - 2) the scaled values and every intermediate integer are exact
    without pre-reduction, and the overflow step is skipped when the rounded extremes
    (rounding is monotone) are already in range.
    """
    if x.numel() == 0:
        return x.clone()
    lo, hi = (float(v) for v in torch.aminmax(x))
    if not (math.isfinite(lo) and math.isfinite(hi)):
        if check_finite:
            raise ValueError(
                "quantize: input holds NaN or inf, which ap_fixed cannot represent; "
                "clean the tensor (e.g. torch.nan_to_num) before quantizing"
            )
        return _quantize_raw_exact(x, t)
    mantissa = _MANTISSA_BITS[x.dtype]
    scale = 2.0**t.frac_bits
    fast = t.width <= mantissa - 2 and max(abs(lo), abs(hi)) * scale < 2.0 ** (mantissa - 2)
    if not fast or (t.frac_bits < 0 and lo < 0):
        return _quantize_raw_exact(x, t)
    q = _round_in_place(x * scale, t.rounding)
    extremes = _round_scaled(torch.tensor([lo * scale, hi * scale], dtype=torch.float64), t.rounding)
    if float(extremes[0]) >= _lowest_raw(t) and float(extremes[1]) <= t.raw_max:
        return q
    return _overflow_in_place(q, t)


class _QuantizeSTE(torch.autograd.Function):
    """Straight-through estimator around the exact forward quantizer."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, t: FixedType, check_finite: bool) -> torch.Tensor:  # type: ignore[override]
        out = _quantize_no_grad(x, t, check_finite)
        if t.overflow is Overflow.WRAP:
            ctx.save_for_backward(None)
        else:
            inside = (x >= t.min) & (x <= t.max)
            ctx.save_for_backward(inside)
        return out

    @staticmethod
    def backward(ctx, grad: torch.Tensor):  # type: ignore[override]
        (inside,) = ctx.saved_tensors
        if inside is None:
            return grad, None, None
        return grad * inside, None, None


def _quantize_no_grad(x: torch.Tensor, t: FixedType, check_finite: bool) -> torch.Tensor:
    work = _work_dtype(x, t)
    raw = _quantize_raw(x.detach().to(work), t, check_finite)
    return raw.mul_(2.0**-t.frac_bits).to(x.dtype)


def quantize(x: torch.Tensor, t: FixedType, *, check_finite: bool = True) -> torch.Tensor:
    """Return the value ``t(x)`` holds in C++ when ``x`` is converted from double.

    Args:
        x: floating-point tensor of any shape, on any device.
        t: the target type (width, binary point, rounding and overflow modes).
        check_finite: raise on NaN/inf (the check shares the one reduction pass
            that bounds the values); with False, NaN/inf give unspecified results.

    Returns:
        A tensor of x's shape and dtype holding the quantized values.

    Raises:
        TypeError: x is not a floating-point tensor.
        ValueError: x holds NaN or inf.
    """
    if not isinstance(x, torch.Tensor) or not x.is_floating_point():
        raise TypeError(f"quantize expects a floating-point tensor, got {type(x).__name__}"
                        + (f" of dtype {x.dtype}" if isinstance(x, torch.Tensor) else ""))
    if x.requires_grad and torch.is_grad_enabled():
        return _QuantizeSTE.apply(x, t, check_finite)
    return _quantize_no_grad(x, t, check_finite)


def to_raw(x: torch.Tensor, t: FixedType) -> torch.Tensor:
    """Quantize ``x`` to ``t`` and return the raw integers (int64, value = raw * 2**-F).

    Raises:
        ValueError: for unsigned 64-bit types, whose raw values do not fit in int64.
    """
    if not t.signed and t.width > 63:
        raise ValueError(f"to_raw: raw values of {t} do not fit in int64 (max width 63 unsigned)")
    q = quantize(x.detach().to(torch.float64), t)
    return (q * 2.0**t.frac_bits).to(torch.int64)


def from_raw(raw: torch.Tensor, t: FixedType, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """Values of raw integers of type ``t``: ``raw * 2**-F`` in ``dtype``.

    Raises:
        ValueError: a raw value lies outside [t.raw_min, t.raw_max].
    """
    if raw.dtype.is_floating_point or raw.dtype == torch.bool:
        raise TypeError(f"from_raw expects an integer tensor, got {raw.dtype}")
    if raw.numel():
        lo, hi = int(raw.min()), int(raw.max())
        if lo < t.raw_min or hi > t.raw_max:
            raise ValueError(
                f"from_raw: raw values [{lo}, {hi}] outside the range "
                f"[{t.raw_min}, {t.raw_max}] of {t}"
            )
    return raw.to(torch.float64).mul(2.0**-t.frac_bits).to(dtype)
