"""The quantizer interface every scheme implements.

A quantizer is a ``torch.nn.Module`` that maps a float tensor to the values a
fixed-point type can hold:

- in training mode it runs in the input's dtype (float32) with straight-through
  (or scheme-specific surrogate) gradients;
- in eval mode its output equals ``codesign.fixed.quantize(x, t)`` exactly for
  the quantizer's current type(s) ``t``, computed in float64 when given float64.

``fixed_types()`` reports the current type of each channel along ``channel_axis``
(a single entry when the quantizer is per tensor). Export and code generation
read types only through this method.
"""

from __future__ import annotations

import abc

import torch
from torch import nn

from codesign.fixed import FixedType, quantize


class Quantizer(nn.Module, abc.ABC):
    """Base class: ``forward(x)`` quantizes, ``fixed_types()`` says to which types."""

    channel_axis: int | None = None
    """Axis along which types differ (None: one type for the whole tensor)."""

    @abc.abstractmethod
    def fixed_types(self) -> list[FixedType]:
        """The current type per channel (length 1 when per tensor)."""

    @property
    def fixed_type(self) -> FixedType:
        """The single type of a per-tensor quantizer.

        Raises:
            ValueError: the quantizer has per-channel types.
        """
        types = self.fixed_types()
        if len(types) != 1:
            raise ValueError(
                f"{type(self).__name__} has {len(types)} per-channel types; use fixed_types()"
            )
        return types[0]


class FixedQuantizer(Quantizer):
    """A quantizer to one fixed, non-trainable type (straight-through gradient)."""

    def __init__(self, fixed_type: FixedType) -> None:
        super().__init__()
        self._type = fixed_type

    def fixed_types(self) -> list[FixedType]:
        return [self._type]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return quantize(x, self._type)

    def extra_repr(self) -> str:
        return str(self._type)
