"""HGQ: trainable fractional bits per element, channel or tensor (High Granularity Quantization).

Each granularity unit has a real parameter f; the cast uses ``F = round(f)``
(round half to even, straight-through). Integer bits i (sign bit excluded):

- ``kind="weight"``: from the values. A weight is rounded to F fractional bits
  (rounding mode of the quantizer, no overflow is possible) giving ``w_q``; then
  ``i = floor(log2|w_q|) + 1`` per element, so ``w_q`` is exactly representable with
  i integer and F fractional bits. ``w_q == 0`` is a pruned weight (0 bits).
  Unsigned weight quantizers clip negative weights to 0 first.
- ``kind="activation"``: from ranges. A running max of ``|x|`` per unit is recorded
  in every training forward (and by calibration, ``codesign.quant.ptq``); then
  ``i = floor(log2(amax * margin)) + 1``, the smallest i with ``2**i > amax*margin``.
  Units that only ever saw 0 get ``i = -F`` (0 bits).

Element type (refinement of DESIGN.md, stated precisely): with ``s = 1`` for a
signed quantizer (else 0) and ``b = i + F``:

- ``b > 0``: ``FixedType(W = b + s, I = i + s, signed, rounding, overflow)``;
  the element's bits are ``b + s``;
- ``b <= 0``: the element has no bits at all (not even a sign bit); its value is
  the constant 0 (pruned). ``bits()`` is 0 there.

Eval mode is the exact per-element cast (``quantize_elementwise`` with
``type_maps()``); training with AP_SAT / AP_SAT_SYM uses the lean
``elementwise.train_cast`` (identical except within one float ulp of an AP_RND tie).

Gradients: w.r.t. x straight-through, masked to 0 where an activation lies
outside its integer range ``[-2**i, 2**i]`` (``[0, 2**i]`` unsigned; saturating
modes only); w.r.t. f the surrogate ``-ln2 * (x_q - x)`` (DESIGN.md), masked the
same way, summed over the elements of the unit. ``bits()`` is differentiable in f
(slope 1 where bits > 0) for the EBOPs penalty.
"""

from __future__ import annotations

import math
from typing import Literal

import torch
from torch import nn
from torch.nn.modules.lazy import LazyModuleMixin

from codesign.fixed import FixedType, Overflow, Rounding
from codesign.fixed.cast import _round_scaled
from codesign.quant import fused
from codesign.quant.base import Quantizer
from codesign.quant.elementwise import _work_dtype, all_finite, quantize_raw_elementwise, train_cast
from codesign.quant.ptq import Calibratable

_LN2 = math.log(2.0)

Kind = Literal["weight", "activation"]
Granularity = Literal["element", "channel", "tensor"]


def _round_ste(f: torch.Tensor) -> torch.Tensor:
    """round(f) forward, identity gradient."""
    return f + (torch.round(f) - f).detach()


def _msb_exponent(v: torch.Tensor) -> torch.Tensor:
    """floor(log2|v|) + 1 for v != 0 (exact, via frexp), as v's dtype."""
    return torch.frexp(v).exponent.to(v.dtype)


def _hgq_cast(
    x: torch.Tensor,
    frac: torch.Tensor,
    int_bits: torch.Tensor | None,
    signed: bool,
    rounding: Rounding,
    overflow: Overflow,
) -> torch.Tensor:
    """Detached HGQ cast in x's dtype.

    ``int_bits`` None: weight mode, round to ``frac`` fractional bits with no range
    limit (unsigned: negatives clip to 0). Otherwise the per-element ap_fixed cast
    with I = ``int_bits`` (sign included), F = ``frac``; width < 1 gives 0.
    """
    probe = frac if int_bits is None else int_bits
    work = _work_dtype(x, probe, frac)
    xw = x.detach().to(work)
    f = frac.detach().to(work)
    if int_bits is None:
        if not signed:
            xw = torch.clamp(xw, min=0.0)
        raw = _round_scaled(xw * torch.exp2(f), rounding)
    else:
        raw = quantize_raw_elementwise(xw, int_bits.to(work), f, signed, rounding, overflow)
    return (raw * torch.exp2(-f)).to(x.dtype)


def _hgq_train_cast(
    x: torch.Tensor,
    frac: torch.Tensor,
    int_bits: torch.Tensor | None,
    signed: bool,
    rounding: Rounding,
    overflow: Overflow,
) -> torch.Tensor | None:
    """The lean training cast (``elementwise.train_cast``) of ``_hgq_cast``; None where it
    does not apply (wrap / zero-saturation, wide or extreme types)."""
    if overflow not in (Overflow.SAT, Overflow.SAT_SYM) or x.dtype not in (torch.float32, torch.float64):
        return None
    f = frac.detach().to(x.dtype)
    if int_bits is None:
        if float(f.abs().max()) > 100:
            return None
        return train_cast(x, torch.exp2(f), 0.0 if not signed else -math.inf, math.inf, rounding)
    i = int_bits.to(x.dtype)
    width = i + f
    mantissa = 24 if x.dtype == torch.float32 else 53
    if float(width.max()) > mantissa - 2 or float(f.abs().max()) > 100:
        return None
    alive = width >= 1
    if signed:
        top = torch.exp2(width - 1.0) - 1.0
        low = -top if overflow is Overflow.SAT_SYM else -top - 1.0
        low = torch.where(width > 1, low, -top - 1.0)
    else:
        top = torch.exp2(width) - 1.0
        low = torch.zeros_like(top)
    zero = torch.zeros_like(top)
    return train_cast(x, torch.exp2(f), torch.where(alive, low, zero), torch.where(alive, top, zero), rounding)


class _HGQSTE(torch.autograd.Function):
    """HGQ cast with the straight-through x gradient and the -ln2*(x_q - x) f surrogate.

    ``top`` (activations): 2**i per element; the gradients are masked to 0 outside
    ``[-top, top]`` (``[0, top]`` unsigned). None: no range mask (weights, and
    activations whose range was just widened to cover the batch). ``lean``: use the
    training cast (training mode only; eval is always exact).
    """

    @staticmethod
    def forward(  # type: ignore[override]
        ctx,
        x: torch.Tensor,
        frac: torch.Tensor,
        int_bits: torch.Tensor | None,
        signed: bool,
        rounding: Rounding,
        overflow: Overflow,
        top: torch.Tensor | None,
        lean: bool,
    ) -> torch.Tensor:
        xq = _hgq_train_cast(x, frac, int_bits, signed, rounding, overflow) if lean else None
        if xq is None:
            xq = _hgq_cast(x, frac, int_bits, signed, rounding, overflow)
        if top is None or overflow is Overflow.WRAP:
            bounds = None
        else:
            top = top.to(x.dtype)
            bounds = (-top if signed else torch.zeros_like(top), top)
        ctx.save_for_backward(x, xq)
        ctx.bounds = bounds
        ctx.frac_shape = frac.shape
        ctx.frac_dtype = frac.dtype
        ctx.clip_negative = top is None and not signed
        return xq

    @staticmethod
    def backward(ctx, grad: torch.Tensor):  # type: ignore[override]
        x, xq = ctx.saved_tensors
        lo, hi = ctx.bounds if ctx.bounds is not None else (0.0 if ctx.clip_negative else -math.inf, math.inf)
        need_x, need_f = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
        fused_grads = fused.sat_cast_grad(grad, x, xq, lo, hi, ctx.frac_shape)
        if fused_grads is not None:  # sums[:, 1] - sums[:, 2] = sum(grad_x * (x - x_q))
            grad, sums = fused_grads
            grad_f = ((sums[:, 1] - sums[:, 2]) * _LN2).to(ctx.frac_dtype).reshape(ctx.frac_shape)
        else:
            if ctx.bounds is not None or ctx.clip_negative:
                grad = grad * ((x >= lo) & (x <= hi))
            grad_f = torch.sub(x, xq).mul_(grad).sum_to_size(ctx.frac_shape) * _LN2 if need_f else None
        return (grad if need_x else None), (grad_f if need_f else None), None, None, None, None, None, None


class HGQQuantizer(LazyModuleMixin, Calibratable, Quantizer):
    """Trainable fractional bits per element / channel / tensor; see the module docstring.

    Args:
        init_frac_bits: initial f of every unit.
        signed: values may be negative (one sign bit per element with bits).
        kind: ``weight`` (integer bits from the values) or ``activation`` (from ranges;
            inputs carry a leading batch axis).
        granularity: one f per ``element``, ``channel`` or the whole ``tensor``.
        shape: element shape (weights: the weight's shape; activations: without the
            batch axis) for element granularity; None takes it from the first input
            (run one forward before building the optimizer).
        channels: channel count for channel granularity.
        channel_axis: axis of the channels in the quantized tensor (activations: counted
            with the batch axis, so usually 1).
        rounding, overflow: cast modes.
    """

    def __init__(
        self,
        *,
        init_frac_bits: float = 6.0,
        signed: bool = True,
        kind: Kind = "activation",
        granularity: Granularity = "element",
        shape: tuple[int, ...] | None = None,
        channels: int | None = None,
        channel_axis: int = 0,
        rounding: Rounding = Rounding.RND,
        overflow: Overflow = Overflow.SAT,
    ) -> None:
        super().__init__()
        if kind not in ("weight", "activation"):
            raise ValueError(f"HGQ kind must be 'weight' or 'activation', got {kind!r}")
        if granularity not in ("element", "channel", "tensor"):
            raise ValueError(f"HGQ granularity must be element, channel or tensor, got {granularity!r}")
        if granularity == "channel" and (channels is None or channels < 1):
            raise ValueError("HGQ channel granularity needs channels >= 1")
        if not isinstance(rounding, Rounding) or not isinstance(overflow, Overflow):
            raise ValueError(f"rounding/overflow must be Rounding/Overflow members, got {rounding!r}, {overflow!r}")
        if not math.isfinite(float(init_frac_bits)):
            raise ValueError(f"init_frac_bits must be finite, got {init_frac_bits!r}")
        self.init_frac_bits = float(init_frac_bits)
        self.signed = bool(signed)
        self.kind: Kind = kind
        self.granularity: Granularity = granularity
        self.channels = channels if granularity == "channel" else None
        self.channel_axis = channel_axis if granularity == "channel" else None
        self.rounding = rounding
        self.overflow = overflow
        self.ranges_frozen = False
        self._sample_shape: tuple[int, ...] | None = None if shape is None else tuple(shape)
        self._last_xq: torch.Tensor | None = None

        unit_shape: tuple[int, ...] | None
        if granularity == "tensor":
            unit_shape = ()
        elif granularity == "channel":
            unit_shape = (int(channels),)  # type: ignore[arg-type]
        else:
            unit_shape = None if shape is None else tuple(shape)
        if unit_shape is None:
            self.frac_bits = nn.parameter.UninitializedParameter()
        else:
            self.frac_bits = nn.Parameter(torch.full(unit_shape, self.init_frac_bits))
        if kind == "activation":
            amax = nn.parameter.UninitializedBuffer() if unit_shape is None else torch.zeros(unit_shape)
            self.register_buffer("amax", amax)
            self.register_buffer("margin", torch.tensor(1.0))
            self.register_buffer("observed", torch.tensor(False))

    # ------------------------------------------------------------- shapes
    def initialize_parameters(self, x: torch.Tensor) -> None:  # called by LazyModuleMixin
        """Materialize element-granularity parameters from the first input."""
        if not self.has_uninitialized_params():
            return
        shape = tuple(x.shape[1:]) if self.kind == "activation" else tuple(x.shape)
        with torch.no_grad():
            self.frac_bits.materialize(shape, device=x.device)
            self.frac_bits.fill_(self.init_frac_bits)
            if self.kind == "activation":
                self.amax.materialize(shape, device=x.device)
                self.amax.zero_()

    def _sample_axis(self, ndim: int) -> int:
        """Channel axis within one sample (activations drop the batch axis)."""
        axis = self.channel_axis  # type: ignore[assignment]
        if axis is None:
            raise ValueError("only channel granularity has a channel axis")
        if self.kind == "activation":
            return axis - 1 if axis > 0 else axis + ndim
        return axis if axis >= 0 else axis + ndim

    def _unit_view(self, t: torch.Tensor, sample_ndim: int) -> torch.Tensor:
        """A unit-shaped tensor shaped to broadcast against one sample (or a batch)."""
        if self.granularity != "channel":
            return t
        shape = [1] * sample_ndim
        shape[self._sample_axis(sample_ndim)] = -1
        return t.reshape(shape)

    def _sample_ndim(self, x: torch.Tensor) -> int:
        return x.ndim - 1 if self.kind == "activation" else x.ndim

    # --------------------------------------------------------- int bits
    def _range_int_bits(self, frac: torch.Tensor) -> torch.Tensor:
        """Activation i per unit from the recorded range (detached, integer-valued)."""
        a = (self.amax * self.margin).to(frac.dtype)
        return torch.where(a > 0, _msb_exponent(a), -torch.round(frac.detach()))

    def int_bits(self) -> torch.Tensor:
        """Activation integer bits i per unit (sign excluded), detached.

        Raises:
            ValueError: for weight quantizers (their i depends on the values).
        """
        if self.kind != "activation":
            raise ValueError("weight HGQ integer bits come from the values: use type_maps()")
        return self._range_int_bits(self.frac_bits)

    # -------------------------------------------------------------- forward
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Quantize x: activations ``[batch, *sample_shape]``, weights any shape.

        Raises:
            TypeError: x is not floating point.
            ValueError: shape mismatch, NaN/inf in eval, or an activation quantizer
                with no recorded range used in eval mode.
        """
        if not isinstance(x, torch.Tensor) or not x.is_floating_point():
            raise TypeError("HGQQuantizer expects a floating-point tensor")
        self._check_shape(x)
        if self._calibrating:
            return self._observe(x)
        if not self.training and not all_finite(x):
            raise ValueError("HGQQuantizer: input holds NaN or inf, which ap_fixed cannot represent")
        frac = _round_ste(self.frac_bits)
        ndim = self._sample_ndim(x)
        int_bits = top = None
        if self.kind == "activation":
            if self.training and not self.ranges_frozen:
                self._record(x)
            elif not bool(self.observed):
                raise ValueError(
                    "HGQQuantizer (activation) has no recorded range: train it or run "
                    "codesign.quant.calibrate() before eval"
                )
            i = self._range_int_bits(frac)
            alive = (i + frac.detach()) > 0
            int_bits = self._unit_view(torch.where(alive, i + float(self.signed), -frac.detach()), ndim)
            # a range that was just widened to cover this batch (margin >= 1) saturates
            # nothing: no gradient mask is needed then
            covers = self.training and not self.ranges_frozen and float(self.margin) >= 1.0
            top = None if covers else self._unit_view(torch.exp2(i), ndim)
        frac_view = self._unit_view(frac, ndim)
        if torch.is_grad_enabled() and (x.requires_grad or frac.requires_grad):
            xq = _HGQSTE.apply(x, frac_view, int_bits, self.signed, self.rounding, self.overflow, top,
                               self.training)
        else:
            xq = _hgq_cast(x, frac_view, int_bits, self.signed, self.rounding, self.overflow)
        if self.kind == "weight":
            self._last_xq = xq.detach()
        return xq

    def _check_shape(self, x: torch.Tensor) -> None:
        sample = tuple(x.shape[1:]) if self.kind == "activation" else tuple(x.shape)
        if self._sample_shape is None:
            self._sample_shape = sample
        elif sample != self._sample_shape:
            raise ValueError(f"HGQQuantizer: input sample shape {sample} differs from {self._sample_shape}")
        if self.granularity == "channel":
            axis = self._sample_axis(len(sample))
            if sample[axis] != self.channels:
                raise ValueError(f"HGQQuantizer: {sample[axis]} channels along the channel axis, expected {self.channels}")

    def _record(self, x: torch.Tensor) -> None:
        with torch.no_grad():
            self.amax.copy_(torch.maximum(self.amax, self._unit_amax(x.detach()).to(self.amax.dtype)))
            self.observed.fill_(True)

    # ----------------------------------------------------------------- bits
    def bits(self, x: torch.Tensor | None = None) -> torch.Tensor:
        """Bits per element, differentiable in f (for EBOPs).

        Activations: shape of one sample (e.g. ``[C, H, W]``), ``relu(i + F) + s``
        where ``i + F > 0``, else 0. Weights: the weight's shape, ``i + F + s`` where
        ``w_q != 0``, else 0; ``x`` is the weight tensor (default: the one of the last
        forward).

        Raises:
            ValueError: no forward has fixed the shape / no weight seen yet.
        """
        frac = _round_ste(self.frac_bits)
        if self.kind == "weight":
            xq = self._weight_values(x, frac)
            frac_el = self._unit_view(frac, xq.ndim)
            return torch.where(xq != 0, _msb_exponent(xq) + frac_el + float(self.signed), 0.0)
        if self._sample_shape is None:
            raise ValueError("HGQQuantizer.bits: run a forward first (the element shape is unknown)")
        i = self._range_int_bits(frac)
        unit = torch.relu(i + frac) + float(self.signed) * ((i + frac.detach()) > 0)
        return self._unit_view(unit, len(self._sample_shape)).expand(self._sample_shape)

    def _weight_values(self, x: torch.Tensor | None, frac: torch.Tensor) -> torch.Tensor:
        if x is None:
            if self._last_xq is None:
                raise ValueError("HGQQuantizer: no weight seen yet; pass the weight tensor")
            return self._last_xq
        return _hgq_cast(x, self._unit_view(frac.detach(), x.ndim), None, self.signed, self.rounding, self.overflow)

    def type_maps(self, x: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """(I, F) per element as int64 tensors (sample shape / weight shape).

        I includes the sign bit; pruned elements have ``I = -F`` (width 0, value 0),
        so ``quantize_elementwise(x, I, F, ...)`` reproduces the eval output.
        """
        frac = torch.round(self.frac_bits.detach())
        if self.kind == "weight":
            xq = self._weight_values(x, frac)
            f = self._unit_view(frac, xq.ndim).expand(xq.shape)
            int_map = torch.where(xq != 0, _msb_exponent(xq) + float(self.signed), -f)
        else:
            if self._sample_shape is None:
                raise ValueError("HGQQuantizer.type_maps: run a forward first")
            i = self._range_int_bits(frac)
            unit_i = torch.where(i + frac > 0, i + float(self.signed), -frac)
            ndim = len(self._sample_shape)
            int_map = self._unit_view(unit_i, ndim).expand(self._sample_shape)
            f = self._unit_view(frac, ndim).expand(self._sample_shape)
        return int_map.to(torch.int64), f.to(torch.int64)

    def pruned_mask(self, x: torch.Tensor | None = None) -> torch.Tensor:
        """True where an element has 0 bits (its value is the constant 0)."""
        int_map, frac_map = self.type_maps(x)
        return (int_map + frac_map) < 1

    def fixed_types(self) -> list[FixedType]:
        """One type per unit (flattened; per element for element granularity).

        Per unit the smallest type holding all its elements: ``W = i + F + s``,
        ``I = i + s`` with i the largest element i of the unit. A unit with no bits
        gets the placeholder ``FixedType(1, 1 - F)`` (it only ever holds 0).
        """
        int_map, frac_map = self.type_maps()
        width = int_map + frac_map
        if self.granularity == "element":
            units_i, units_f = int_map.reshape(-1), frac_map.reshape(-1)
        elif self.granularity == "tensor":
            units_i, units_f = self._unit_max_i(int_map, width, None), frac_map.reshape(-1)[:1]
        else:
            axis = self._sample_axis(int_map.ndim)
            units_i = self._unit_max_i(int_map, width, axis)
            units_f = frac_map.movedim(axis, 0).reshape(self.channels, -1)[:, 0]
        types = []
        for i, f in zip(units_i.tolist(), units_f.tolist()):
            if i + f >= 1:
                types.append(FixedType(i + f, i, self.signed, self.rounding, self.overflow))
            else:
                types.append(FixedType(1, 1 - f, self.signed, self.rounding, self.overflow))
        return types

    def _unit_max_i(self, int_map: torch.Tensor, width: torch.Tensor, axis: int | None) -> torch.Tensor:
        """Largest I per unit among elements with bits (pruned elements ignored)."""
        low = torch.iinfo(torch.int64).min // 2
        masked = torch.where(width >= 1, int_map, torch.full_like(int_map, low))
        if axis is None:
            return masked.reshape(1, -1).amax(dim=1)
        return masked.movedim(axis, 0).reshape(self.channels, -1).amax(dim=1)

    # ----------------------------------------------------------- calibration
    def _unit_amax(self, x: torch.Tensor) -> torch.Tensor:
        if self.granularity == "tensor":
            return x.abs().amax()
        if self.granularity == "element":
            if self.kind == "weight":
                return x.abs()
            # amin/amax over the batch: aminmax(dim=0) is about 8x slower on CPU
            return torch.maximum(x.amin(dim=0).neg_(), x.amax(dim=0))
        axis = self.channel_axis if self.channel_axis >= 0 else self.channel_axis + x.ndim  # type: ignore[operator]
        dims = [d for d in range(x.ndim) if d != axis]
        return x.abs().amax(dim=dims)

    def _apply_calibration(self, amax: torch.Tensor, margin: float) -> None:
        """Activations: ``amax`` and ``margin`` define i from now on; weights: no-op."""
        if self.kind != "activation":
            return
        with torch.no_grad():
            self.amax.copy_(amax.to(self.amax.dtype).reshape(self.amax.shape))
            self.margin.fill_(margin)
            self.observed.fill_(True)

    def freeze_int_bits(self) -> None:
        """Activations stop widening their recorded ranges in training (weights: no-op)."""
        self.ranges_frozen = True

    def extra_repr(self) -> str:
        kind = "signed" if self.signed else "unsigned"
        return (f"kind={self.kind}, granularity={self.granularity}, {kind}, "
                f"{self.rounding.cpp}, {self.overflow.cpp}")


__all__ = ["HGQQuantizer"]
