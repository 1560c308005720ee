"""EBOPs (effective bit operations) and the beta penalty that trades them against the loss.

EBOPs of a layer = sum over every multiply of bits(input element) * bits(weight
element) (DESIGN.md, as in HGQ). Both functions are differentiable in the bit
maps, so ``beta * ebops`` can be added to the loss. Bit maps come from
``HGQQuantizer.bits()`` (any quantizer with a fixed width can pass a constant map).

The model-level walk over layers lives in ``codesign.nn``; it calls these.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F


def ebops_dense(bits_in: torch.Tensor, bits_w: torch.Tensor) -> torch.Tensor:
    """EBOPs of a dense layer ``y = W x`` for one sample.

    Args:
        bits_in: input bits, shape ``[..., N]`` (leading axes are positions of one
            sample that share the weights, e.g. tokens; not the batch) or ``[N]``.
        bits_w: weight bits, shape ``[M, N]`` (torch ``Linear.weight`` layout).

    Returns:
        0-d tensor ``sum(bits_in @ bits_w.T)`` = sum over m, n (and positions) of
        ``bits_in[n] * bits_w[m, n]``.
    """
    if bits_w.ndim != 2:
        raise ValueError(f"ebops_dense: bits_w must be [M, N], got shape {tuple(bits_w.shape)}")
    if bits_in.ndim == 0 or bits_in.shape[-1] != bits_w.shape[1]:
        raise ValueError(
            f"ebops_dense: bits_in shape {tuple(bits_in.shape)} does not end in N={bits_w.shape[1]}"
        )
    return torch.matmul(bits_in.to(bits_w.dtype), bits_w.T).sum()


def ebops_conv2d(
    bits_in: torch.Tensor,
    bits_w: torch.Tensor,
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] = 0,
    groups: int = 1,
    dilation: int | tuple[int, int] = 1,
) -> torch.Tensor:
    """EBOPs of a 2-d convolution for one sample.

    Every output element of channel o at a position sums ``x[c, p] * w[o, c, k]``
    over its window; its cost is the same sum with bits in place of values, so the
    layer's EBOPs are the sum of ``conv2d(bits_in, bits_w)`` (zero padding adds no
    cost: padded inputs have 0 bits).

    Args:
        bits_in: input bits ``[C_in, H, W]``.
        bits_w: weight bits ``[C_out, C_in / groups, kh, kw]``.
        stride, padding, groups, dilation: as in ``torch.nn.functional.conv2d``.

    Returns:
        0-d tensor.
    """
    if bits_in.ndim != 3 or bits_w.ndim != 4:
        raise ValueError(
            f"ebops_conv2d: expected bits_in [C_in, H, W] and bits_w [C_out, C_in/groups, kh, kw], "
            f"got {tuple(bits_in.shape)} and {tuple(bits_w.shape)}"
        )
    if bits_in.shape[0] != bits_w.shape[1] * groups:
        raise ValueError(
            f"ebops_conv2d: {bits_in.shape[0]} input channels do not match weights for "
            f"{bits_w.shape[1]} x {groups} groups"
        )
    out = F.conv2d(bits_in.to(bits_w.dtype)[None], bits_w, stride=stride, padding=padding,
                   dilation=dilation, groups=groups)
    return out.sum()


def beta_penalty(ebops: torch.Tensor, beta: float) -> torch.Tensor:
    """The loss term ``beta * ebops`` (ebops: 0-d tensor, total over layers)."""
    if not beta >= 0:
        raise ValueError(f"beta must be >= 0, got {beta}")
    return ebops * beta


# ------------------------------------------------------------------ schedules
@dataclass(frozen=True)
class ConstantBeta:
    """beta(epoch) = value."""

    value: float

    def __post_init__(self) -> None:
        if not self.value >= 0:
            raise ValueError(f"beta must be >= 0, got {self.value}")

    def __call__(self, epoch: int) -> float:
        return float(self.value)


def _ramp_fraction(epoch: int, begin: int, epochs: int) -> float:
    """0 before ``begin``, 1 from ``begin + epochs`` on, linear in between."""
    if epochs <= 0:
        return 1.0 if epoch >= begin else 0.0
    return min(1.0, max(0.0, (epoch - begin) / epochs))


@dataclass(frozen=True)
class LinearRampBeta:
    """beta goes linearly from ``start`` (at epoch ``begin``) to ``end`` (at ``begin + epochs``)."""

    start: float
    end: float
    epochs: int
    begin: int = 0

    def __post_init__(self) -> None:
        if not (self.start >= 0 and self.end >= 0):
            raise ValueError(f"beta must be >= 0, got start={self.start}, end={self.end}")
        if self.epochs < 0 or self.begin < 0:
            raise ValueError(f"epochs and begin must be >= 0, got {self.epochs}, {self.begin}")

    def __call__(self, epoch: int) -> float:
        t = _ramp_fraction(epoch, self.begin, self.epochs)
        return float(self.start + (self.end - self.start) * t)


@dataclass(frozen=True)
class ExponentialRampBeta:
    """beta goes geometrically from ``start`` to ``end`` (both > 0) over ``epochs`` from ``begin``."""

    start: float
    end: float
    epochs: int
    begin: int = 0

    def __post_init__(self) -> None:
        if not (self.start > 0 and self.end > 0):
            raise ValueError(f"exponential ramp needs start, end > 0, got {self.start}, {self.end}")
        if self.epochs < 0 or self.begin < 0:
            raise ValueError(f"epochs and begin must be >= 0, got {self.epochs}, {self.begin}")

    def __call__(self, epoch: int) -> float:
        t = _ramp_fraction(epoch, self.begin, self.epochs)
        return float(math.exp(math.log(self.start) + (math.log(self.end) - math.log(self.start)) * t))


class EBOPsController:
    """Steers beta so that the model's EBOPs approach ``target``.

    After each epoch, ``update(ebops)`` multiplies beta by ``(ebops / target) ** gain``:
    above target beta grows, below it shrinks; clamped to ``[beta_min, beta_max]``.

    Args:
        target: desired EBOPs (> 0).
        beta0: initial beta (> 0).
        gain: exponent of the multiplicative step (> 0; 1 = proportional).
        beta_min, beta_max: clamp of beta.
    """

    def __init__(self, target: float, beta0: float, gain: float = 1.0,
                 beta_min: float = 1e-12, beta_max: float = 1.0) -> None:
        if not target > 0:
            raise ValueError(f"EBOPs target must be > 0, got {target}")
        if not 0 < beta_min <= beta0 <= beta_max:
            raise ValueError(f"need 0 < beta_min <= beta0 <= beta_max, got {beta_min}, {beta0}, {beta_max}")
        if not gain > 0:
            raise ValueError(f"gain must be > 0, got {gain}")
        self.target = float(target)
        self.gain = float(gain)
        self.beta_min = float(beta_min)
        self.beta_max = float(beta_max)
        self._beta = float(beta0)

    @property
    def beta(self) -> float:
        """The current beta."""
        return self._beta

    def __call__(self, epoch: int) -> float:
        """The current beta (schedule interface; the epoch is not used)."""
        return self._beta

    def update(self, ebops: float) -> float:
        """Record the EBOPs measured this epoch; returns the new beta."""
        if not ebops >= 0 or not math.isfinite(ebops):
            raise ValueError(f"EBOPs must be finite and >= 0, got {ebops}")
        ratio = max(float(ebops), 1e-12) / self.target
        self._beta = min(self.beta_max, max(self.beta_min, self._beta * ratio**self.gain))
        return self._beta


__all__ = [
    "ConstantBeta",
    "EBOPsController",
    "ExponentialRampBeta",
    "LinearRampBeta",
    "beta_penalty",
    "ebops_conv2d",
    "ebops_dense",
]
