"""Model inspection: every tensor's fixed type per layer, and a summary table."""

from __future__ import annotations

import pandas as pd
import torch
from torch import nn

from codesign.fixed import FixedType
from codesign.nn.base import QModule
from codesign.nn.binary import _BinaryLayer
from codesign.nn.bits import weight_bits
from codesign.nn.types import quantizer_type

_CONSTANT_PARAM = {"weight": "weight", "bias": "bias", "scale": None, "slope": "slope"}
"""Place -> float parameter holding the constant (None: derived, e.g. BN scale)."""


def qmodules(model: nn.Module) -> dict[str, QModule]:
    """Qualified name -> quantized layer, in module order (the root is named ``model``)."""
    return {name or "model": m for name, m in model.named_modules() if isinstance(m, QModule)}


def fixed_types(model: nn.Module) -> dict[str, dict[str, list[FixedType]]]:
    """Per layer, per quantized place, the current types (one per channel/element unit).

    Binary layers report their weight as ``ap_fixed<1,1>`` (-1/+1 in hardware as a bit) and
    their output type.
    """
    out: dict[str, dict[str, list[FixedType]]] = {}
    for name, m in qmodules(model).items():
        places = {place: q.fixed_types() for place, q in m.quantizers().items()}
        if isinstance(m, _BinaryLayer):
            places["output"] = [m.out_fixed_type]
        out[name] = places
    return out


def _constant(m: QModule, place: str) -> torch.Tensor | None:
    """The float tensor a constant place quantizes (None for derived constants)."""
    attr = _CONSTANT_PARAM.get(place)
    value = getattr(m, attr, None) if attr else None
    return value if isinstance(value, torch.Tensor) else None


def _weight_stats(m: QModule) -> tuple[float | None, float | None]:
    """(total weight bits, pruned fraction) of a layer's main constant, or Nones."""
    if isinstance(m, _BinaryLayer):
        return float(m.weight.numel()), 0.0
    for place in ("weight", "slope"):
        q = m.quantizers().get(place)
        value = _constant(m, place)
        if q is not None and value is not None:
            with torch.no_grad():
                bits = weight_bits(q, value)
                pruned = float((q(value.detach().to(torch.float64)) == 0).double().mean())
            return float(bits.sum()), pruned
    return None, None


def _type_text(m: QModule, place: str) -> str:
    q = m.quantizers().get(place)
    if q is None:
        return ""
    types = q.fixed_types()
    union = quantizer_type(q).cpp
    return union if len(set(types)) == 1 else f"{union} ({len(types)} units)"


def summary(model: nn.Module, example_input: torch.Tensor | None = None) -> pd.DataFrame:
    """One row per quantized layer.

    Columns: ``layer`` (qualified name), ``kind`` (class), ``input``, ``weight``, ``bias``,
    ``output`` (types; the union and the unit count where per-channel/element types
    differ), ``weight_bits`` (sum of the main constant's bits), ``ebops`` (needs
    ``example_input``; NaN for layers without multiplies), ``khot`` (K or None),
    ``pruned`` (fraction of the main constant that quantizes to 0).
    """
    ebops_by_layer: dict[str, float] = {}
    if example_input is not None:
        from codesign.nn.ebops import ebops

        ebops_by_layer = {name or "model": v for name, v in ebops(model, example_input).as_floats().items()}
    rows = []
    for name, m in qmodules(model).items():
        bits, pruned = _weight_stats(m)
        output = _type_text(m, "output")
        if isinstance(m, _BinaryLayer):
            output = m.out_fixed_type.cpp
        rows.append(
            {
                "layer": name,
                "kind": type(m).__name__,
                "input": _type_text(m, "input"),
                "weight": _type_text(m, "weight") or _type_text(m, "scale") or _type_text(m, "slope"),
                "bias": _type_text(m, "bias"),
                "output": output,
                "weight_bits": bits,
                "ebops": ebops_by_layer.get(name, float("nan")),
                "khot": m.khot(),
                "pruned": pruned,
            }
        )
    return pd.DataFrame(rows)
