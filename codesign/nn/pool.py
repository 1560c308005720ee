"""Average pooling with exact divisors (IR ``avgpool2d`` and ``global_avgpool``).

The window sum ``s`` is exact. A power-of-two divisor ``2**k`` is an exact shift
(``s * 2**-k``, F grows by k). Any other divisor ``d`` multiplies by a constant
``reciprocal ~ 1/d`` with at most K signed power-of-two digits (the nearest member of
the K-hot codebook of ``ap_ufixed<reciprocal_bits, 0>``; ties to the larger), so the
hardware needs K shifts and K-1 adds. Then ``cast(-> out_type)``.

``acc_type`` of the IR node is the exact type of the value before the cast (the
shifted sum, or the sum times the reciprocal).
"""

from __future__ import annotations

import abc
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from codesign.fixed import FixedType, type_for_raw_range
from codesign.nn.base import QModule
from codesign.nn.ir import IRNode, make_ir_node
from codesign.nn.types import check_exact, observed_type
from codesign.quant.config import LayerQuant
from codesign.quant.khot_codebook import codebook_raw


def khot_reciprocal(divisor: int, bits: int, k: int) -> tuple[int, FixedType]:
    """The raw integer and type (``ap_ufixed<bits, 0>``) of the K-hot constant nearest 1/divisor.

    Raises:
        ValueError: divisor < 2 or the nearest constant is 0 (too few bits).
    """
    if divisor < 2:
        raise ValueError(f"a reciprocal needs divisor >= 2, got {divisor}")
    t = FixedType(bits, 0, False)
    book = codebook_raw(bits, k, signed=False)
    target = 2.0**bits / divisor  # exact enough: ties are decided on raw integers below
    idx = int(np.searchsorted(book, target))
    candidates = [int(book[i]) for i in (idx - 1, idx) if 0 <= i < len(book)]
    raw = min(candidates, key=lambda r: (abs(r * divisor - (1 << bits)), -r))
    if raw == 0:
        raise ValueError(f"1/{divisor} rounds to 0 in {t}; raise reciprocal_bits")
    return raw, t


def _log2_exact(n: int) -> int | None:
    """k with n == 2**k, else None."""
    return n.bit_length() - 1 if n > 0 and n & (n - 1) == 0 else None


def pool_acc_type(in_t: FixedType, divisor: int, reciprocal: tuple[int, FixedType] | None) -> FixedType:
    """Exact type of the pooled value before the cast."""
    lo, hi = divisor * in_t.raw_min, divisor * in_t.raw_max
    if reciprocal is None:
        shift = _log2_exact(divisor)
        assert shift is not None
        return type_for_raw_range(lo, hi, in_t.frac_bits + shift)
    r_raw, r_t = reciprocal
    return type_for_raw_range(lo * r_raw, hi * r_raw, in_t.frac_bits + r_t.frac_bits)


class _Pool(QModule):
    """Shared body: window sums, exact divisor, output cast."""

    def __init__(self, quant: LayerQuant | None, reciprocal_bits: int, reciprocal_k: int) -> None:
        super().__init__()
        quant = LayerQuant.defaults() if quant is None else quant
        self.reciprocal_bits = reciprocal_bits
        self.reciprocal_k = reciprocal_k
        self._add_quantizer("output", quant.output, kind="activation", channel_axis=1)

    def _reciprocal(self, divisor: int) -> tuple[int, FixedType] | None:
        """None for a power-of-two divisor, else the K-hot reciprocal (raw, type)."""
        if _log2_exact(divisor) is not None:
            return None
        return khot_reciprocal(divisor, self.reciprocal_bits, self.reciprocal_k)

    @abc.abstractmethod
    def _window_sum(self, x: torch.Tensor) -> torch.Tensor:
        """Exact window sums ``[N, C, H', W']`` (or ``[N, C]`` for the global pool)."""

    def _divide(self, s: torch.Tensor, divisor: int) -> torch.Tensor:
        """``s / divisor`` as the hardware computes it: a shift or a K-hot reciprocal product."""
        recip = self._reciprocal(divisor)
        if recip is None:
            shift = _log2_exact(divisor)
            assert shift is not None
            return s * 2.0**-shift
        r_raw, r_t = recip
        return s * (r_raw * r_t.lsb)

    def _pool(self, x: torch.Tensor, divisor: int) -> torch.Tensor:
        if not self.training:
            x = x.to(torch.float64)
        if self._checks_exactness():
            recip = self._reciprocal(divisor)
            check_exact(pool_acc_type(observed_type(x), divisor, recip), f"{type(self).__name__} eval")
        return self._q("output", self._divide(self._window_sum(x), divisor))

    def _ir(
        self, name: str, inputs: list[str], in_types: list[str], shape: list[int], divisor: int, attrs: dict[str, Any]
    ) -> IRNode:
        layer = f"{type(self).__name__} {name}"
        in_t = self._fixed_in_type(in_types, 0, layer)
        recip = self._reciprocal(divisor)
        acc_t = pool_acc_type(in_t, divisor, recip)
        check_exact(acc_t, layer)
        params: dict[str, tuple[np.ndarray, str]] = {}
        attrs = {**attrs, "divisor": divisor, "khot": None}
        if recip is not None:
            params["reciprocal"] = (np.array(recip[0], dtype=np.int64), recip[1].cpp)
            attrs["khot"] = self.reciprocal_k
        return make_ir_node(self.ir_op, name, inputs, shape, self._out_type().cpp, attrs, params, acc_t.cpp)


class QAvgPool2d(_Pool):
    """Average pooling, kernel = stride, no padding (H and W divisible by the kernel).

    Args:
        kernel_size: window (and stride).
        quant: ``quant.output`` is the output spec (``LayerQuant.defaults()`` when None).
        reciprocal_bits, reciprocal_k: width and digit count of the K-hot reciprocal used
            for non-power-of-two divisors.
    """

    ir_op = "avgpool2d"

    def __init__(
        self,
        kernel_size: int | tuple[int, int],
        quant: LayerQuant | None = None,
        reciprocal_bits: int = 16,
        reciprocal_k: int = 3,
    ) -> None:
        k = (kernel_size, kernel_size) if isinstance(kernel_size, int) else tuple(kernel_size)
        self.kernel_size: tuple[int, int] = (int(k[0]), int(k[1]))
        super().__init__(quant, reciprocal_bits, reciprocal_k)

    @property
    def divisor(self) -> int:
        """kh * kw."""
        return self.kernel_size[0] * self.kernel_size[1]

    def _window_sum(self, x: torch.Tensor) -> torch.Tensor:
        return F.avg_pool2d(x, self.kernel_size, divisor_override=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x ``[N, C, H, W]`` -> ``[N, C, H/kh, W/kw]``."""
        if x.shape[-2] % self.kernel_size[0] or x.shape[-1] % self.kernel_size[1]:
            raise ValueError(f"QAvgPool2d: input {tuple(x.shape)} not divisible by kernel {self.kernel_size}")
        return self._pool(x, self.divisor)

    def ir_node(
        self, name: str, inputs: list[str], in_types: list[str], in_shapes: list[list[int]]
    ) -> IRNode:
        c, h, w = in_shapes[0]
        kh, kw = self.kernel_size
        if h % kh or w % kw:
            raise ValueError(f"QAvgPool2d {name}: input {in_shapes[0]} not divisible by kernel {self.kernel_size}")
        return self._ir(name, inputs, in_types, [c, h // kh, w // kw], self.divisor, {"kernel": [kh, kw]})

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}"


class QGlobalAvgPool2d(_Pool):
    """Global average pooling ``[N, C, H, W]`` -> ``[N, C]`` (divisor H*W).

    Args: as ``QAvgPool2d`` without the kernel; ``keepdim`` keeps ``[N, C, 1, 1]`` (as
    ``nn.AdaptiveAvgPool2d(1)``, used by ``quantize_model``).
    """

    ir_op = "global_avgpool"

    def __init__(
        self,
        quant: LayerQuant | None = None,
        reciprocal_bits: int = 16,
        reciprocal_k: int = 3,
        keepdim: bool = False,
    ) -> None:
        super().__init__(quant, reciprocal_bits, reciprocal_k)
        self.keepdim = keepdim

    def _window_sum(self, x: torch.Tensor) -> torch.Tensor:
        return x.sum(dim=(2, 3), keepdim=self.keepdim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x ``[N, C, H, W]`` -> ``[N, C]`` (``[N, C, 1, 1]`` with ``keepdim``; the IR shape is ``[C]``
        either way, and a following flatten gives the same vector)."""
        if x.dim() != 4:
            raise ValueError(f"QGlobalAvgPool2d expects [N, C, H, W], got {tuple(x.shape)}")
        return self._pool(x, x.shape[-2] * x.shape[-1])

    def ir_node(
        self, name: str, inputs: list[str], in_types: list[str], in_shapes: list[list[int]]
    ) -> IRNode:
        c, h, w = in_shapes[0]
        return self._ir(name, inputs, in_types, [c], h * w, {"kernel": [h, w]})
