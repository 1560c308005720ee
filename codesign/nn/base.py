"""``QModule``: the base class of every quantized layer.

Conventions shared by all layers:

- **Train mode** runs in the input's dtype (float32) with straight-through gradients;
  each quantizer is one call, no per-element Python.
- **Eval mode** converts the input to float64 and computes exactly the integer semantics
  of ``docs/ir.md``: products and sums are exact (checked: accumulators wider than 53 bits
  are refused), values change only in the output quantizer (the IR cast). Outputs are
  float64 tensors holding the exact fixed-point values.
- Quantizers live in ``self.quant`` (a ``ModuleDict``) under the names of their places:
  ``input``, ``weight``, ``bias``, ``output``, ``scale``, ``slope``, ``reciprocal``.
  A missing place is unquantized (training only; ``ir_node`` refuses it).
- ``ir_node(name, inputs, in_types, in_shapes)`` describes the layer as an IR node (see
  ``codesign.nn.ir``).
"""

from __future__ import annotations

import abc

import torch
from torch import nn

from codesign.fixed import FixedType
from codesign.nn.ir import IRNode
from codesign.nn.types import holds, parse_type, single_type
from codesign.quant.base import Quantizer
from codesign.quant.config import Kind, QuantSpec, make_quantizer


class QModule(nn.Module, abc.ABC):
    """A quantized layer: quantizers per place, exact eval mode, and an IR description."""

    ir_op: str = ""
    """The IR op this layer exports as."""

    def __init__(self) -> None:
        super().__init__()
        self.quant = nn.ModuleDict()

    # ---------------------------------------------------------------- quantizers
    def _add_quantizer(
        self,
        place: str,
        spec: QuantSpec | None,
        *,
        kind: Kind,
        channels: int | None = None,
        shape: tuple[int, ...] | None = None,
        channel_axis: int = 0,
    ) -> None:
        """Build ``self.quant[place]`` from ``spec`` (nothing when ``spec`` is None)."""
        if spec is not None:
            self.quant[place] = make_quantizer(
                spec, channels=channels, shape=shape, channel_axis=channel_axis, kind=kind
            )

    def quantizers(self) -> dict[str, Quantizer]:
        """Place name -> quantizer, for the places this layer quantizes."""
        return {place: q for place, q in self.quant.items() if isinstance(q, Quantizer)}

    def _q(self, place: str, x: torch.Tensor) -> torch.Tensor:
        """Quantize ``x`` at ``place``, or pass it through when the place is unquantized."""
        q = self.quant[place] if place in self.quant else None
        return x if q is None else q(x)

    def _fused_affine_output(self, x: torch.Tensor, scale: torch.Tensor, shift: torch.Tensor,
                             negative_scale: torch.Tensor | None = None) -> torch.Tensor | None:
        """Training: the output quantizer applied to ``x * scale + shift`` per channel (or
        ``x * negative_scale + shift`` where ``x <= 0``) in one fused pass each way, or None
        where the output quantizer has no fused form or it does not apply
        (``QFXQuantizer.affine_train``); then the layer computes the affine itself."""
        output = self.quant["output"] if "output" in self.quant else None
        affine_train = getattr(output, "affine_train", None)
        return None if affine_train is None else affine_train(x, scale, shift, negative_scale)

    def _checks_exactness(self) -> bool:
        """Eval mode outside calibration: the exactness checks apply.

        During ``codesign.quant.ptq.calibrate`` quantizers pass float values through, so
        the float64 sums are not fixed-point sums and are not checked.
        """
        from codesign.quant.ptq import Calibratable

        return not self.training and not any(
            isinstance(q, Calibratable) and q.calibrating for q in self.quant.values()
        )

    def _required(self, place: str) -> Quantizer:
        """The quantizer of a place export needs.

        Raises:
            ValueError: the place is unquantized.
        """
        if place not in self.quant:
            raise ValueError(
                f"{type(self).__name__}: place {place!r} is unquantized; export needs every "
                "place quantized (give the LayerQuant a spec for it)"
            )
        return self.quant[place]  # type: ignore[return-value]

    def _out_type(self) -> FixedType:
        """The single type of the output quantizer (the IR cast target)."""
        return single_type(self._required("output"), f"{type(self).__name__} output")

    @staticmethod
    def _fixed_in_type(in_types: list[str], index: int, layer: str) -> FixedType:
        """Parse ``in_types[index]``, refusing a binary input where fixed-point is needed."""
        t = parse_type(in_types[index])
        if t is None:
            raise ValueError(f"{layer}: input {index} is binary; this op needs a fixed-point input")
        return t

    def _in_type(self, in_types: list[str], layer: str) -> FixedType:
        """The type of the first input as the IR sees it.

        With an input quantizer the incoming type must already be one the quantizer holds
        exactly (then the quantizer is the identity and the IR needs no cast; export gives
        the graph input the quantizer's type).

        Raises:
            ValueError: the input is binary, or the input quantizer would change values.
        """
        t = self._fixed_in_type(in_types, 0, layer)
        if "input" in self.quant:
            q_t = single_type(self.quant["input"], f"{layer} input")  # type: ignore[arg-type]
            if not holds(q_t, t):
                raise ValueError(
                    f"{layer}: its input quantizer ({q_t}) would cast the incoming {t}; the IR has "
                    f"no cast before this op, so feed it {q_t} (the graph input type)"
                )
        return t

    # ------------------------------------------------------------------- export
    @abc.abstractmethod
    def ir_node(
        self, name: str, inputs: list[str], in_types: list[str], in_shapes: list[list[int]]
    ) -> IRNode:
        """Describe this layer as one IR node (see ``codesign.nn.ir`` for the contract)."""

    def khot(self) -> int | None:
        """K of the K-hot constant multiplicands, or None when they are not K-hot."""
        return None
