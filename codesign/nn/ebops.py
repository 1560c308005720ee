"""Model-level EBOPs (effective bit operations, DESIGN.md "EBOPs").

For every ``QLinear`` / ``QConv2d``: the sum over every multiply of
bits(input element) * bits(weight element), computed by
``codesign.quant.ebops.ebops_dense`` / ``ebops_conv2d`` from bit maps
(``codesign.nn.bits``). Binary layers cost one bit times one bit per multiply
(``fan_in`` per output value). The input bit map of a layer is the output bit map
of the ``QModule`` that produced its input tensor (found by running ``example_input``
through the model), its own input quantizer when it has one, or else the width of the
narrowest type holding the values seen.

With HGQ quantizers the values are differentiable in the fractional bits, so
``ebops(model, x).total`` can enter a loss as ``beta * total``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from codesign.nn.base import QModule
from codesign.nn.binary import _BinaryLayer
from codesign.nn.bits import activation_bits, weight_bits
from codesign.nn.conv import QConv2d
from codesign.nn.flatten import QFlatten
from codesign.nn.linear import QLinear
from codesign.nn.types import BINARY, observed_type
from codesign.nn.weighted import WeightedLayer

BitsFn = Callable[[], torch.Tensor]


@dataclass(frozen=True)
class EBOPs:
    """EBOPs per layer (qualified module name -> scalar tensor) and their sum."""

    per_layer: dict[str, torch.Tensor]
    total: torch.Tensor

    def as_floats(self) -> dict[str, float]:
        """Per-layer values as floats (for tables)."""
        return {name: float(v.detach()) for name, v in self.per_layer.items()}


def _output_bits(module: QModule, output: torch.Tensor, in_bits: BitsFn | None) -> BitsFn | str | None:
    """Bit map source of a module's output: a function, ``binary``, or None (unknown)."""
    sample = tuple(output.shape[1:])
    if isinstance(module, QFlatten):
        return None if in_bits is None else (lambda: in_bits().reshape(sample))
    ir_op = module.ir_op
    if ir_op in ("sign", "thermometer"):
        return BINARY
    if isinstance(module, _BinaryLayer):
        width = float(module.out_fixed_type.width)
        return lambda: torch.full(sample, width)
    q = module.quantizers().get("output")
    return None if q is None else (lambda: activation_bits(q, sample))


@dataclass(frozen=True)
class _Site:
    """A traced dense/conv/binary layer: the module, its input bit map source, outputs per sample."""

    module: QModule
    in_bits: BitsFn | str
    in_shape: tuple[int, ...]
    out_numel: int


def _trace(model: nn.Module, example_input: torch.Tensor) -> dict[str, _Site]:
    """Run the model once; return, per weighted/binary layer, its input bit map source."""
    produced: dict[int, tuple[torch.Tensor, BitsFn | str | None]] = {}
    inputs_of: dict[str, _Site] = {}
    names = {m: n for n, m in model.named_modules()}

    def hook(module: nn.Module, args: tuple[torch.Tensor, ...], output: torch.Tensor) -> None:
        assert isinstance(module, QModule)
        x = args[0]
        source = produced.get(id(x), (x, None))[1]
        if isinstance(module, (WeightedLayer, _BinaryLayer)):
            if isinstance(module, WeightedLayer) and "input" in module.quant:
                q = module.quant["input"]
                sample = tuple(x.shape[1:])
                source = lambda: activation_bits(q, sample)  # noqa: E731
            elif source is None:
                width = float(observed_type(x).width)
                sample = tuple(x.shape[1:])
                source = lambda: torch.full(sample, width)  # noqa: E731
            inputs_of[names[module]] = _Site(module, source, tuple(x.shape[1:]), int(output[0].numel()))
        in_fn = source if callable(source) else None
        produced[id(output)] = (output, _output_bits(module, output, in_fn))

    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, QModule)]
    modes = {m: m.training for m in model.modules()}
    try:
        model.eval()
        with torch.no_grad():
            model(example_input)
    finally:
        for h in handles:
            h.remove()
        for m, training in modes.items():
            m.train(training)
    return inputs_of


def _site_ebops(site: _Site) -> torch.Tensor:
    """EBOPs of one traced layer."""
    from codesign.quant.ebops import ebops_conv2d, ebops_dense

    module, in_bits = site.module, site.in_bits
    if isinstance(module, _BinaryLayer):
        return torch.tensor(float(module.fan_in * site.out_numel))
    assert isinstance(module, WeightedLayer)
    b_in = torch.ones(site.in_shape) if in_bits == BINARY else in_bits()  # type: ignore[operator]
    q = module.quantizers().get("weight")
    if q is None:
        raise ValueError(f"{type(module).__name__}: EBOPs need a quantized weight")
    b_w = weight_bits(q, module.weight)
    if isinstance(module, QLinear):
        return ebops_dense(b_in, b_w)
    assert isinstance(module, QConv2d)
    return ebops_conv2d(b_in, b_w, module.stride, module.padding, module.groups)


def ebops(model: nn.Module, example_input: torch.Tensor) -> EBOPs:
    """EBOPs of every dense, conv and binary layer of ``model`` and their total.

    Args:
        model: a model of ``codesign.nn`` layers (its train/eval flags are restored).
        example_input: one batch (``[N, ...]``) to trace which layer feeds which; any N.
    """
    per_layer = {name: _site_ebops(site) for name, site in _trace(model, example_input).items()}
    total = torch.stack(list(per_layer.values())).sum() if per_layer else torch.zeros(())
    return EBOPs(per_layer, total)
