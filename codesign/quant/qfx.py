"""QFX: fixed word length, learned binary point (per tensor or per channel).

The quantizer holds a real parameter ``int_bits`` (shape ``()`` or ``(channels,)``).
The type of channel c is ``FixedType(W, I_c, signed, rounding, overflow)`` with
``I_c = round(int_bits[c])`` (round half to even) and ``F_c = W - I_c``.

Forward: eval mode is the exact ap_fixed cast (``codesign.fixed.quantize`` per
tensor, the per-element cast of ``codesign.quant.elementwise`` per channel) and
equals ``quantize(x, t_c)`` bit for bit in x's dtype. Training mode with AP_SAT /
AP_SAT_SYM uses the lean ``elementwise.train_cast`` (identical except within one
float ulp of an AP_RND tie); other modes use the exact cast in training too.

Gradients (DESIGN.md "QFX learned binary point", refined for every overflow mode):

- w.r.t. x: straight-through, 1 where ``t.min <= x <= t.max`` and 0 outside for
  the saturating modes; 1 everywhere for AP_WRAP.
- w.r.t. ``int_bits`` (through I = round(i) straight-through), summed over every
  element of the channel: ``ln2 * (x_q - x)`` inside the range; outside it
  ``ln2 * x_q`` for AP_SAT / AP_SAT_SYM (the bound scales with 2**I) and
  ``ln2 * clamp(x, t.min, t.max)`` for AP_SAT_ZERO (the bound the value would take
  if the range grew); for AP_WRAP ``ln2 * (x_q - x)`` everywhere, which is the
  exact derivative of the wrap-around ``x - k*2**I`` as well.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from codesign.fixed import FixedType, Overflow, Rounding, quantize
from codesign.quant import fused
from codesign.quant.base import Quantizer
from codesign.quant.elementwise import _work_dtype as _elementwise_work_dtype
from codesign.quant.elementwise import all_finite, quantize_raw_elementwise, train_cast
from codesign.quant.ptq import Calibratable

_LN2 = math.log(2.0)
_MAX_WIDTH = 53
_MANTISSA = {torch.float32: 24, torch.float64: 53, torch.float16: 11, torch.bfloat16: 8}
_FLOAT32_SAFE_EXPONENT = 100


class _LearnedPointSTE(torch.autograd.Function):
    """x_q = quantizer(x) with the QFX gradients w.r.t. x and the integer-bit parameter."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, int_bits: torch.Tensor, quantizer: QFXQuantizer) -> torch.Tensor:  # type: ignore[override]
        xq = quantizer._quantize_train(x) if quantizer.training else None
        if xq is None:
            xq = quantizer._quantize_detached(x)
        lo, hi = quantizer._bounds(x.ndim, x.dtype)
        ctx.save_for_backward(x, xq)
        ctx.bounds = (lo, hi)
        ctx.overflow = quantizer.overflow
        ctx.per_tensor = quantizer.channels is None
        ctx.reduce = quantizer._reduce_to_param
        ctx.param_shape = int_bits.shape
        ctx.param_dtype = int_bits.dtype
        return xq

    @staticmethod
    def backward(ctx, grad: torch.Tensor):  # type: ignore[override]
        x, xq = ctx.saved_tensors
        lo, hi = ctx.bounds
        need_x, need_i = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
        if ctx.overflow is Overflow.WRAP:
            grad_i = ctx.reduce(grad * (xq - x)) * _LN2 if need_i else None
            return (grad if need_x else None), grad_i, None
        if ctx.overflow is not Overflow.SAT_ZERO:
            fused_grads = fused.sat_cast_grad(grad, x, xq, lo, hi)
            if fused_grads is not None:  # x_q - x inside, x_q outside: sum(g*x_q) - sum(g*inside*x)
                masked, sums = fused_grads
                grad_i = _point_gradient(sums, ctx) if need_i else None
                return (masked if need_x else None), grad_i, None
        if ctx.per_tensor:
            # one fused pass: grad where lo <= x <= hi (hardtanh_backward is strict, so
            # widen the bounds by one ulp of x's dtype)
            lo_t = torch.tensor(lo, dtype=x.dtype)
            hi_t = torch.tensor(hi, dtype=x.dtype)
            lo_open = float(torch.nextafter(lo_t, torch.tensor(-math.inf, dtype=x.dtype)))
            hi_open = float(torch.nextafter(hi_t, torch.tensor(math.inf, dtype=x.dtype)))
            masked = torch.ops.aten.hardtanh_backward(grad, x, lo_open, hi_open)
        else:
            masked = grad * ((x >= lo) & (x <= hi))
        grad_i = None
        if need_i:
            if ctx.overflow is Overflow.SAT_ZERO:
                inside = (x >= lo) & (x <= hi)
                delta = torch.where(inside, xq - x, torch.clamp(x, lo, hi))
                grad_i = ctx.reduce(grad * delta) * _LN2
            else:  # x_q - x inside, x_q outside: sum(g*x_q) - sum(g*inside*x)
                grad_i = (_reduce_product(grad, xq, ctx) - _reduce_product(masked, x, ctx)) * _LN2
        return (masked if need_x else None), grad_i, None


class _AffineCastSTE(torch.autograd.Function):
    """y = quantizer(a), a = x * p[c] + b[c] where x > 0, else x * n[c] + b[c], for x
    ``[N, C, ...]`` and a per-tensor saturating QFX quantizer, in one fused CPU pass each way.
    The gradients are those of the affine (or ``F.prelu``) followed by
    :class:`_LearnedPointSTE`: with g_a the gradient where the output type's range holds a,
    dx = g_a * (p or n), dp[c] = sum over x > 0 of g_a * x, dn[c] the same over x <= 0,
    db[c] = sum(g_a), dI = (sum(g * y) - sum(g_a * a)) * ln 2. Passing one tensor as p and
    n (a BatchNorm's scale) sums its two gradients."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, p: torch.Tensor, n: torch.Tensor, b: torch.Tensor,  # type: ignore[override]
                int_bits: torch.Tensor, quantizer: QFXQuantizer) -> torch.Tensor:
        t = quantizer.fixed_type
        low, top = _raw_limits(quantizer)
        y = fused.affine_cast(x, p, n, b, 2.0**t.frac_bits, low, top, t.rounding)
        if y is None:
            raise RuntimeError("fused affine cast unavailable")  # the caller checked applicability
        ctx.save_for_backward(x, p, n, b, y)
        ctx.bounds = (t.min, t.max)
        ctx.param_shape, ctx.param_dtype = int_bits.shape, int_bits.dtype
        return y

    @staticmethod
    def backward(ctx, grad: torch.Tensor):  # type: ignore[override]
        x, p, n, b, y = ctx.saved_tensors
        lo, hi = ctx.bounds
        result = fused.affine_cast_grad(grad, x, y, p, n, b, lo, hi)
        if result is not None:
            grad_x, channel_sums, (sum_gy, sum_ga) = result
            grad_p, grad_n, grad_b = channel_sums.unbind(1)
        else:  # the same arithmetic in torch ops
            view = (1, -1) + (1,) * (x.dim() - 2)
            positive = x > 0
            slope = torch.where(positive, p.view(view), n.view(view))
            a = x * slope + b.view(view)
            masked = torch.where((a >= lo) & (a <= hi), grad, torch.zeros_like(grad))
            dims = [0, *range(2, x.dim())]
            grad_x = masked * slope
            masked_x = (masked * x).double()
            grad_p = torch.where(positive, masked_x, 0.0).sum(dims)
            grad_n = torch.where(positive, 0.0, masked_x).sum(dims)
            grad_b = masked.sum(dims, dtype=torch.float64)
            sum_gy, sum_ga = float((grad * y).double().sum()), float((masked * a).double().sum())
        need = ctx.needs_input_grad
        grad_i = torch.tensor((sum_gy - sum_ga) * _LN2, dtype=ctx.param_dtype).reshape(ctx.param_shape)
        return (grad_x if need[0] else None, grad_p.to(p.dtype) if need[1] else None,
                grad_n.to(n.dtype) if need[2] else None, grad_b.to(b.dtype) if need[3] else None,
                grad_i if need[4] else None, None)


def _raw_limits(quantizer: QFXQuantizer) -> tuple[float, float]:
    """The saturation bounds (raw units) of a quantizer's current type, SAT or SAT_SYM."""
    top = (1 << (quantizer.width - 1)) - 1 if quantizer.signed else (1 << quantizer.width) - 1
    if not quantizer.signed:
        return 0.0, float(top)
    symmetric = quantizer.overflow is Overflow.SAT_SYM and quantizer.width > 1
    return float(-top if symmetric else -top - 1), float(top)


def _point_gradient(sums: torch.Tensor, ctx) -> torch.Tensor:  # type: ignore[no-untyped-def]
    """``(sum(g*x_q) - sum(g*inside*x)) * ln 2`` per group from the fused kernel's ``sums``
    (``[groups, 3]`` float64), in the parameter's dtype and shape. One group (a per-tensor
    binary point) takes the arithmetic in Python floats, the same double operations without
    six small torch ops."""
    if ctx.per_tensor:
        total_q, masked_x, _ = sums.reshape(-1).tolist()
        return torch.tensor((total_q - masked_x) * _LN2, dtype=ctx.param_dtype).reshape(ctx.param_shape)
    return ((sums[:, 0] - sums[:, 1]) * _LN2).to(ctx.param_dtype).reshape(ctx.param_shape)


def _reduce_product(a: torch.Tensor, b: torch.Tensor, ctx) -> torch.Tensor:  # type: ignore[no-untyped-def]
    """sum(a * b) reduced to the parameter's shape (a dot product per tensor: no temporary)."""
    if ctx.per_tensor:
        return torch.dot(a.reshape(-1), b.reshape(-1))
    return ctx.reduce(a * b)


class QFXQuantizer(Calibratable, Quantizer):
    """Fixed width W, trainable binary point (integer bits), per tensor or per channel.

    Args:
        width: word length W in bits (1..53, float64-exact emulation).
        signed: ap_fixed (two's complement) or ap_ufixed.
        int_bits: initial integer bits I (sign included); a float is allowed.
        rounding, overflow: cast modes.
        channels: number of channels for per-channel binary points (None: per tensor).
        channel_axis: axis of the channels in the quantized tensor (negative allowed).
        learn: ``int_bits`` is trainable.
    """

    def __init__(
        self,
        width: int,
        *,
        signed: bool = True,
        int_bits: float = 0,
        rounding: Rounding = Rounding.RND,
        overflow: Overflow = Overflow.SAT,
        channels: int | None = None,
        channel_axis: int = 0,
        learn: bool = True,
    ) -> None:
        super().__init__()
        if isinstance(width, bool) or not isinstance(width, int) or not 1 <= width <= _MAX_WIDTH:
            raise ValueError(f"QFX width must be an int in 1..{_MAX_WIDTH}, got {width!r}")
        if channels is not None and (isinstance(channels, bool) or not isinstance(channels, int) or channels < 1):
            raise ValueError(f"channels must be a positive int or None, got {channels!r}")
        if not isinstance(rounding, Rounding) or not isinstance(overflow, Overflow):
            raise ValueError(f"rounding/overflow must be Rounding/Overflow members, got {rounding!r}, {overflow!r}")
        if not math.isfinite(float(int_bits)):
            raise ValueError(f"int_bits must be finite, got {int_bits!r}")
        self.width = width
        self.signed = bool(signed)
        self.rounding = rounding
        self.overflow = overflow
        self.channels = channels
        self.channel_axis = None if channels is None else channel_axis
        shape = () if channels is None else (channels,)
        self.int_bits = nn.Parameter(torch.full(shape, float(int_bits)), requires_grad=learn)

    # ------------------------------------------------------------ the types
    def rounded_int_bits(self) -> torch.Tensor:
        """I = round(int_bits), detached float tensor of the parameter's shape."""
        return torch.round(self.int_bits.detach())

    def fixed_types(self) -> list[FixedType]:
        return [
            FixedType(self.width, int(i), self.signed, self.rounding, self.overflow)
            for i in self.rounded_int_bits().reshape(-1).tolist()
        ]

    @property
    def fixed_type(self) -> FixedType:
        """The single type of a per-tensor quantizer (read every training step: one scalar
        read, Python's round being torch.round's half-to-even).

        Raises:
            ValueError: the quantizer has per-channel types.
        """
        if self.channels is not None:
            return super().fixed_type
        return FixedType(self.width, round(self.int_bits.item()), self.signed, self.rounding, self.overflow)

    def _channel_view(self, t: torch.Tensor, ndim: int) -> torch.Tensor:
        """A (channels,) tensor shaped to broadcast along ``channel_axis`` of an ndim tensor."""
        axis = self.channel_axis if self.channel_axis >= 0 else self.channel_axis + ndim  # type: ignore[operator]
        if not 0 <= axis < ndim:
            raise ValueError(f"channel_axis {self.channel_axis} out of range for a {ndim}-d input")
        shape = [1] * ndim
        shape[axis] = -1
        return t.reshape(shape)

    def _reduce_to_param(self, t: torch.Tensor) -> torch.Tensor:
        """Sum an input-shaped tensor to the parameter's shape."""
        if self.channels is None:
            return t.sum()
        axis = self.channel_axis if self.channel_axis >= 0 else self.channel_axis + t.ndim  # type: ignore[operator]
        dims = [d for d in range(t.ndim) if d != axis]
        return t.sum(dim=dims) if dims else t

    def _bounds(self, ndim: int, dtype: torch.dtype) -> tuple[torch.Tensor | float, torch.Tensor | float]:
        """(t.min, t.max) per channel, broadcastable to an ndim input (floats per tensor)."""
        if self.channels is None:
            t = self.fixed_type
            return t.min, t.max
        i = self._channel_view(self.rounded_int_bits().to(torch.float64), ndim)
        lsb = torch.exp2(i - self.width)
        if self.signed:
            top = torch.exp2(i - 1.0)
            return (-top).to(dtype), (top - lsb).to(dtype)
        return torch.zeros_like(i).to(dtype), (torch.exp2(i) - lsb).to(dtype)

    # -------------------------------------------------------- quantization
    def _snap(self, xq: torch.Tensor, frac_bits: torch.Tensor | int) -> torch.Tensor:
        """Hook for schemes that restrict the grid further (K-hot): maps cast values
        ``xq`` (frac_bits F, int or broadcastable tensor) to allowed values; identity here."""
        return xq

    def _quantize_detached(self, x: torch.Tensor) -> torch.Tensor:
        """The exact cast of x to the current type(s), no autograd, in x's dtype."""
        if self.channels is None:
            t = self.fixed_type
            return self._snap(quantize(x.detach(), t, check_finite=False), t.frac_bits)
        i = self._channel_view(self.rounded_int_bits(), x.ndim)
        f = self.width - i
        xw = x.detach().to(_elementwise_work_dtype(x, i, f))
        f = f.to(xw.dtype)
        raw = quantize_raw_elementwise(xw, i, f, self.signed, self.rounding, self.overflow)
        return self._snap(raw.mul_(torch.exp2(-f)), f).to(x.dtype)

    def _quantize_train(self, x: torch.Tensor) -> torch.Tensor | None:
        """Lean training cast (``elementwise.train_cast``) for the saturating modes; None
        where it does not apply (the exact cast is used then)."""
        if self.overflow not in (Overflow.SAT, Overflow.SAT_SYM) or self.width > _MANTISSA[x.dtype] - 2:
            return None
        low, top = _raw_limits(self)
        if self.channels is None:
            frac_bits = self.width - self.fixed_type.int_bits
            if x.dtype == torch.float32 and abs(frac_bits) > _FLOAT32_SAFE_EXPONENT:
                return None
            xq = train_cast(x, 2.0**frac_bits, low, top, self.rounding)
        else:
            f = self._channel_view(self.width - self.rounded_int_bits(), x.ndim)
            if x.dtype == torch.float32 and float(f.abs().max()) > _FLOAT32_SAFE_EXPONENT:
                return None
            frac_bits = f.to(x.dtype)
            xq = train_cast(x, torch.exp2(frac_bits), low, top, self.rounding)
        return None if xq is None else self._snap(xq, frac_bits)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Quantize x (any shape; per channel: channels along ``channel_axis``).

        Raises:
            TypeError: x is not floating point.
            ValueError: in eval mode, x holds NaN/inf.
        """
        if not isinstance(x, torch.Tensor) or not x.is_floating_point():
            raise TypeError(f"{type(self).__name__} expects a floating-point tensor")
        if self.channels is not None and x.shape[self._axis(x.ndim)] != self.channels:
            raise ValueError(
                f"{type(self).__name__}: input has {x.shape[self._axis(x.ndim)]} channels along axis "
                f"{self.channel_axis}, expected {self.channels}"
            )
        if self._calibrating:
            return self._observe(x)
        if not self.training and not all_finite(x):
            raise ValueError(f"{type(self).__name__}: input holds NaN or inf, which ap_fixed cannot represent")
        if torch.is_grad_enabled() and (x.requires_grad or self.int_bits.requires_grad):
            return _LearnedPointSTE.apply(x, self.int_bits, self)
        return self._quantize_detached(x)

    def affine_train(self, x: torch.Tensor, scale: torch.Tensor, shift: torch.Tensor,
                     negative_scale: torch.Tensor | None = None) -> torch.Tensor | None:
        """``self(a)`` for training in one fused pass each way, ``a = x * scale[c] + shift[c]``
        (a BatchNorm's affine), or, with ``negative_scale``, ``x * negative_scale[c] + shift[c]``
        where ``x <= 0`` (a PReLU: scale 1, shift 0); None where the fused kernels do not
        apply: then the caller computes ``a`` and calls the quantizer.

        Args:
            x: ``[N, C, ...]`` float32 CPU tensor; scale, shift, negative_scale: ``[C]``.

        Returns:
            The quantized ``a`` (x's shape), with gradients for x, the parameters and this
            quantizer's binary point; or None (another quantizer kind or mode, no gradient,
            another dtype or device, fewer than 16 elements per channel and sample).
        """
        negative = scale if negative_scale is None else negative_scale
        applies = (
            type(self) is QFXQuantizer and self.channels is None and self.training and not self._calibrating
            and torch.is_grad_enabled() and self.overflow in (Overflow.SAT, Overflow.SAT_SYM)
            and self.width <= _MANTISSA[torch.float32] - 2 and fused.library() is not None
            and fused.channel_layout(x, scale, negative, shift) is not None
        )
        if not applies or abs(self.width - self.fixed_type.int_bits) > _FLOAT32_SAFE_EXPONENT:
            return None
        return _AffineCastSTE.apply(x, scale, negative, shift, self.int_bits, self)

    def _axis(self, ndim: int) -> int:
        axis = self.channel_axis if self.channel_axis is not None else 0
        return axis if axis >= 0 else axis + ndim

    # ---------------------------------------------------------- calibration
    def _unit_amax(self, x: torch.Tensor) -> torch.Tensor:
        if self.channels is None:
            return x.abs().amax()
        axis = self._axis(x.ndim)
        dims = [d for d in range(x.ndim) if d != axis]
        return x.abs().amax(dim=dims) if dims else x.abs()

    def _apply_calibration(self, amax: torch.Tensor, margin: float) -> None:
        """Smallest I with ``amax * margin <= t.max`` (the positive bound) per channel.

        Channels that saw only zeros keep their integer bits. For signed W = 1,
        whose t.max is 0, the negative bound ``|t.min| = 2**(I-1)`` is used.
        """
        target = amax.to(torch.float64) * margin
        top_raw = float((1 << (self.width - 1)) - 1 if self.signed else (1 << self.width) - 1)
        if top_raw == 0.0:
            top_raw = 1.0
        # value of the top raw code at I is top_raw * 2**(I - W)
        positive = target > 0
        safe = torch.where(positive, target, torch.ones_like(target))
        i = torch.ceil(torch.log2(safe / top_raw)) + self.width
        i = torch.where(top_raw * torch.exp2(i - 1.0 - self.width) >= safe, i - 1.0, i)
        i = torch.where(top_raw * torch.exp2(i - self.width) < safe, i + 1.0, i)
        current = self.int_bits.detach().to(torch.float64)
        new = torch.where(positive, i, current).to(self.int_bits.dtype).reshape(self.int_bits.shape)
        with torch.no_grad():
            self.int_bits.copy_(new)

    def freeze_int_bits(self) -> None:
        """Stop learning the binary point (``int_bits`` no longer requires grad)."""
        self.int_bits.requires_grad_(False)

    def extra_repr(self) -> str:
        kind = "signed" if self.signed else "unsigned"
        per = f"channels={self.channels}, axis={self.channel_axis}" if self.channels else "per tensor"
        return (f"width={self.width}, {kind}, {per}, {self.rounding.cpp}, {self.overflow.cpp}, "
                f"learn={self.int_bits.requires_grad}")


__all__ = ["QFXQuantizer"]
