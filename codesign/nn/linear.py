"""``QLinear``: a fully connected layer with fixed-point input, weight, bias and output (IR ``dense``)."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from codesign.nn.weighted import WeightedLayer
from codesign.quant.config import LayerQuant


class QLinear(WeightedLayer):
    """``y = cast(x @ W.T + b)``; x ``[N, in_features]`` -> y ``[N, out_features]``.

    Args:
        in_features, out_features: sizes.
        bias: add a quantized bias.
        quant: specs per place (``LayerQuant.defaults()`` when None).
        quantize_input: quantize the input with ``quant.input``.
        lr_scale: multiplier of the learning rate of ``weight`` in ``codesign.train``
            (Adam moves every weight by about the learning rate per step, so the logits of
            a classifier with a wide fan-in move fan-in times faster; a scale of
            reference/fan-in keeps the step in the logits comparable). Training only: the
            exported layer does not depend on it.
    """

    ir_op = "dense"

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        quant: LayerQuant | None = None,
        quantize_input: bool = False,
        lr_scale: float = 1.0,
    ) -> None:
        if not lr_scale > 0:
            raise ValueError(f"lr_scale must be > 0, got {lr_scale}")
        self.in_features = in_features
        self.out_features = out_features
        super().__init__((out_features, in_features), out_features, bias, quant, quantize_input)
        self.lr_scale = lr_scale

    def _accumulate(self, x: torch.Tensor, w: torch.Tensor, b: torch.Tensor | None) -> torch.Tensor:
        return F.linear(x, w, b)

    def _ir_attrs_and_shape(self, in_shape: list[int]) -> tuple[dict[str, Any], list[int]]:
        if in_shape != [self.in_features]:
            raise ValueError(f"QLinear expects input shape [{self.in_features}], got {in_shape}")
        return {}, [self.out_features]

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"
