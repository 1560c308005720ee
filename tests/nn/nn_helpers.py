"""Shared test helpers: random fixed types and on-grid tensors."""

from __future__ import annotations

import numpy as np
import torch

from codesign.fixed import FixedType, Overflow, Rounding
from codesign.quant import LayerQuant, QuantSpec

ROUNDINGS = list(Rounding)
OVERFLOWS = list(Overflow)


def random_type(rng: np.random.Generator, wmin: int = 3, wmax: int = 9, signed: bool | None = None) -> FixedType:
    """A random type with random cast modes."""
    width = int(rng.integers(wmin, wmax + 1))
    return FixedType(
        width,
        int(rng.integers(-2, 6)),
        bool(rng.integers(0, 2)) if signed is None else signed,
        ROUNDINGS[int(rng.integers(len(ROUNDINGS)))],
        OVERFLOWS[int(rng.integers(len(OVERFLOWS)))],
    )


def spec(t: FixedType) -> QuantSpec:
    """A fixed-scheme spec for exactly this type."""
    return QuantSpec(scheme="fixed", width=t.width, int_bits=t.int_bits, signed=t.signed,
                     rounding=t.rounding, overflow=t.overflow)


def layer_quant(**types: FixedType) -> LayerQuant:
    """LayerQuant with fixed specs for the given places (others None)."""
    return LayerQuant(**{place: spec(t) for place, t in types.items()})


def random_raw(rng: np.random.Generator, t: FixedType, shape: tuple[int, ...]) -> np.ndarray:
    """Random raw integers covering t's whole range (extremes included)."""
    return rng.integers(t.raw_min, t.raw_max + 1, size=shape, dtype=np.int64)


def random_constant(rng: np.random.Generator, t: FixedType, shape: tuple[int, ...]) -> np.ndarray:
    """Random raw integers that a quantizer to t reproduces (AP_SAT_SYM never yields raw_min)."""
    raw = random_raw(rng, t, shape)
    if t.overflow is Overflow.SAT_SYM and t.signed and t.width > 1:
        raw = np.maximum(raw, -t.raw_max)
    return raw


def values(raw: np.ndarray, t: FixedType, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """The values of raw integers of type t."""
    return torch.from_numpy(raw.astype(np.float64) * 2.0**-t.frac_bits).to(dtype)


def raw_of(x: torch.Tensor, t: FixedType) -> np.ndarray:
    """Raw integers of exact values x in type t (asserts they are on the grid)."""
    scaled = x.detach().to(torch.float64).numpy() * 2.0**t.frac_bits
    assert np.array_equal(scaled, np.round(scaled)), "values off the type's grid"
    return scaled.astype(np.int64)
