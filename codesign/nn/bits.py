"""Bit maps: how many bits each element of a quantized tensor has (for EBOPs and summaries).

HGQ quantizers report their own (differentiable) ``bits()``; for every other quantizer
an element's bits are the width of its type (per channel where types differ).
"""

from __future__ import annotations

import torch

from codesign.quant.base import Quantizer


def _is_hgq(q: Quantizer) -> bool:
    from codesign.quant.hgq import HGQQuantizer

    return isinstance(q, HGQQuantizer)


def weight_bits(q: Quantizer, weight: torch.Tensor) -> torch.Tensor:
    """Bits per element of a constant (weight, bias, scale), shape of ``weight``.

    Args:
        q: the constant's quantizer; per-channel types run along axis 0.
        weight: the float constant (HGQ derives each element's integer bits from it).
    """
    if _is_hgq(q):
        return q.bits(weight)  # type: ignore[operator]
    return _width_map(q, weight.shape, channel_axis=0)


def activation_bits(q: Quantizer, sample_shape: torch.Size | tuple[int, ...]) -> torch.Tensor:
    """Bits per element of one sample (no batch axis) of a quantized activation.

    Per-channel types run along the sample's axis 0 (the channel axis).
    """
    if _is_hgq(q):
        return q.bits().reshape(sample_shape)  # type: ignore[operator]
    return _width_map(q, tuple(sample_shape), channel_axis=0)


def _width_map(q: Quantizer, shape: tuple[int, ...] | torch.Size, channel_axis: int) -> torch.Tensor:
    widths = torch.tensor([float(t.width) for t in q.fixed_types()], dtype=torch.float32)
    if widths.numel() == 1:
        return widths.reshape(()).expand(shape)
    view = [1] * len(shape)
    view[channel_axis] = -1
    return widths.view(view).expand(shape)
