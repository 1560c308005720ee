"""observed_type: the narrowest exact type of a tensor's values. The compiled one-pass kernel
equals the per-element torch path on random, sparse, one-signed, subnormal and wide-span
tensors, and known tensors give known types on both paths."""

from __future__ import annotations

import pytest
import torch

from codesign.fixed import FixedType
from codesign.nn.types import _observed_type_per_element, observed_type
from codesign.quant import fused


@pytest.mark.parametrize(("values", "expected"), [
    ([0.0, -0.0], FixedType(1, 1, False)),
    ([], FixedType(1, 1, False)),
    ([0.75, 0.0, 0.5], FixedType(2, 0, False)),       # raw 3 and 2 at F = 2
    ([-8.0, 0.0, -5.0], FixedType(4, 4, True)),        # raw -8..-5: the zeros do not widen it
    ([3.0, -0.25], FixedType(5, 3, True)),             # raw -1..12 at F = 2
    ([2.0**40, 1.0], FixedType(41, 41, False)),
    ([2.0**-30], FixedType(1, -29, False)),
])
def test_known_types(values: list[float], expected: FixedType) -> None:
    x = torch.tensor(values, dtype=torch.float64)
    assert observed_type(x) == expected
    if values:
        assert _observed_type_per_element(x) == expected


def test_kernel_is_used_on_cpu() -> None:
    seen = fused.observe(torch.tensor([0.0, -0.75, 2.0**-1074, 6.0], dtype=torch.float64))
    assert seen == fused.Observation(3, -0.75, 6.0, -1074)
    assert fused.observe(torch.tensor([1.0, float("nan")], dtype=torch.float64)) is None
    assert fused.observe(torch.tensor([1.0], dtype=torch.float32)) is None


def test_kernel_equals_per_element_reference() -> None:
    g = torch.Generator().manual_seed(0)
    for i in range(600):
        frac = int(torch.randint(-40, 80, (1,), generator=g))
        bits = int(torch.randint(1, 60, (1,), generator=g))
        n = int(torch.randint(1, 300, (1,), generator=g))
        raw = torch.randint(-2**bits, 2**bits, (n,), generator=g).double()
        raw[torch.rand(n, generator=g) < 0.3] = 0
        if i % 3 == 0:
            raw = raw.abs()
        if i % 5 == 0:
            raw = -raw.abs()
        if i % 7 == 0:
            raw[0] *= 2.0**30  # spans more than 53 bits: the per-element path
        if i % 11 == 0:
            frac = 1060  # subnormal values
        x = raw * 2.0**-frac
        if not bool((x != 0).any()):
            continue
        reference = _observed_type_per_element(x)
        assert observed_type(x) == reference, (i, x[:4])


def test_float32_and_shapes() -> None:
    x = torch.tensor([[0.5, -1.5], [0.0, 2.25]], dtype=torch.float32)
    assert observed_type(x) == observed_type(x.double().flatten()) == FixedType(5, 3, True)
