"""K-hot quantizer: every value has at most K nonzero power-of-two digits.

Forward, in two exact steps:

1. cast x to the base type ``FixedType(W, I_c, signed, rounding, overflow)``
   exactly as ``QFXQuantizer`` does (so rounding and overflow follow ap_fixed);
   its raw integer r lies on the base grid;
2. replace r by the nearest member of the K-hot codebook (raw units, see
   ``khot_codebook``) found with ``searchsorted``. **Ties** (r exactly halfway
   between two consecutive members) go to the larger member, i.e. toward +inf,
   like AP_RND.

So the output is always a codebook value ``member * 2**-F_c`` exactly, and for
K >= W (every grid value is a member) the quantizer equals the QFX cast.

The base binary point is learned as in QFX (``learn_int_bits``), with the same
gradients; the gradient w.r.t. x is straight-through (1 inside the base range, 0
outside for the saturating modes).
"""

from __future__ import annotations

import numpy as np
import torch

from codesign.fixed import Overflow, Rounding
from codesign.quant.khot_codebook import codebook_raw, decompose_raw, nearest_raw
from codesign.quant.qfx import QFXQuantizer


_TABLE_MAX_WIDTH = 12
"""Base widths up to this snap through a lookup table of 2**width entries; wider ones search
the codebook."""


class KHotQuantizer(QFXQuantizer):
    """At most ``k`` signed (or unsigned) power-of-two digits per value on a W-bit base grid.

    Args:
        k: maximum number of nonzero digits per value (>= 1).
        width: base word length W (1..53).
        signed: base type is ap_fixed (else ap_ufixed).
        int_bits: initial base integer bits I.
        rounding, overflow: cast modes of the base cast (step 1).
        channels, channel_axis: per-channel base binary points (None: per tensor).
        learn_int_bits: the base binary point is trainable.
        unsigned_digits: all digits are +1 (members >= 0; negative inputs become 0).
    """

    def __init__(
        self,
        k: int,
        width: int,
        *,
        signed: bool = True,
        int_bits: float = 0,
        rounding: Rounding = Rounding.RND,
        overflow: Overflow = Overflow.SAT,
        channels: int | None = None,
        channel_axis: int = 0,
        learn_int_bits: bool = True,
        unsigned_digits: bool = False,
    ) -> None:
        super().__init__(
            width,
            signed=signed,
            int_bits=int_bits,
            rounding=rounding,
            overflow=overflow,
            channels=channels,
            channel_axis=channel_axis,
            learn=learn_int_bits,
        )
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise ValueError(f"K-hot digit count k must be an int >= 1, got {k!r}")
        self.k = k
        self.unsigned_digits = bool(unsigned_digits)
        book = codebook_raw(width, k, signed=self.signed, unsigned_digits=self.unsigned_digits)
        self.register_buffer("codebook_raw", torch.from_numpy(book.astype(np.float64)), persistent=False)
        # base-grid raw r -> its nearest member, at index r - raw_min (small widths only)
        self._raw_min = -(1 << (width - 1)) if self.signed else 0
        table = None
        if width <= _TABLE_MAX_WIDTH:
            grid = np.arange(self._raw_min, self._raw_min + (1 << width), dtype=np.int64)
            table = torch.from_numpy(nearest_raw(grid, book).astype(np.float64))
        self.register_buffer("snap_table", table, persistent=False)

    def _snap(self, xq: torch.Tensor, frac_bits: torch.Tensor | int) -> torch.Tensor:
        """Nearest codebook member of each base-grid value (ties to the larger member); NaN
        (a diverged training step, which the training cast keeps) stays NaN.

        Works on raw integers ``xq * 2**F`` (exact: a power-of-two scaling of a
        base-grid value)."""
        scale = torch.exp2(frac_bits) if isinstance(frac_bits, torch.Tensor) else 2.0**frac_bits
        raw = (xq * scale).contiguous()
        if self.snap_table is not None:  # one lookup: raw is an integer of the base range
            snapped = self.snap_table.to(raw.dtype).take(raw.sub(self._raw_min).nan_to_num_(0.0).long())
        else:
            book = self.codebook_raw.to(raw.dtype)
            idx = torch.searchsorted(book, raw)
            upper = book[idx.clamp(max=book.numel() - 1)]
            lower = book[(idx - 1).clamp(min=0)]
            snapped = torch.where(upper - raw <= raw - lower, upper, lower)
        return torch.where(raw.isnan(), raw, snapped) / scale

    def codebook(self, channel: int = 0) -> torch.Tensor:
        """The codebook of one channel in value units (float64, sorted)."""
        frac_bits = self.width - self.fixed_types()[channel].int_bits
        return self.codebook_raw * 2.0**-frac_bits

    def decompose(self, values: torch.Tensor) -> list[list[tuple[int, int]]]:
        """Digit terms of each value, exponents in value units.

        Args:
            values: codebook values (e.g. this quantizer's output), any shape; per
                channel, channels along ``channel_axis``.

        Returns:
            One list per element (flattened in C order) of ``(sign, exponent)`` with
            ``sum(sign * 2.0**exponent) == value`` and at most k terms, highest
            exponent first; empty for 0. The code generator emits exactly these
            shifts and adds.

        Raises:
            ValueError: a value is not on the base grid or not in the codebook.
        """
        v = values.detach().to(torch.float64)
        i = self.rounded_int_bits().to(torch.float64)
        if self.channels is not None:
            i = self._channel_view(i, v.ndim)
        frac = (self.width - i).expand_as(v) if v.ndim else (self.width - i)
        raw = v * torch.exp2(frac)
        if not bool((raw == torch.round(raw)).all()):
            raise ValueError("decompose: some values are not multiples of their base LSB")
        cache: dict[int, list[tuple[int, int]]] = {}
        out = []
        for r, f in zip(raw.reshape(-1).tolist(), frac.reshape(-1).tolist()):
            r, f = int(r), int(f)
            if r not in cache:
                cache[r] = decompose_raw(r, self.k, self.width, signed=self.signed,
                                         unsigned_digits=self.unsigned_digits)
            out.append([(sign, exp - f) for sign, exp in cache[r]])
        return out

    def extra_repr(self) -> str:
        digits = "unsigned" if self.unsigned_digits else "signed"
        return f"k={self.k}, {digits} digits, " + super().extra_repr()


__all__ = ["KHotQuantizer"]
