"""``QBatchNorm1d`` / ``QBatchNorm2d``: batch normalization as a fixed-point affine map (IR ``batchnorm``).

Semantics:

- The layer keeps torch's BatchNorm state: ``weight`` (gamma), ``bias`` (beta),
  ``running_mean``, ``running_var``, ``eps``, ``momentum``.
- Per channel it derives ``scale = gamma / sqrt(var + eps)`` and
  ``shift = beta - mean * scale``, quantizes them (``scale`` with ``quant.bn_scale``,
  K-hot under the ``khot`` scheme; ``shift`` with ``quant.bn_bias``) and computes
  ``y = cast(x * scale_q + shift_q)``.
- **Train mode** uses the batch statistics (and updates the running ones, as
  ``nn.BatchNorm``); gradients flow through the statistics and, straight-through,
  through the quantized scale and shift.
- **Eval mode** uses the running statistics in float64; the result equals the IR's
  ``acc = x*scale + aligned bias; cast(acc -> out_type)`` bit for bit.

Folding into the previous layer is a separate, optional step (``fold_batchnorm``).
"""

from __future__ import annotations

import torch
from torch import nn

from codesign.nn.base import QModule
from codesign.nn.ir import IRNode, make_ir_node
from codesign.fixed import FixedType, product_raw_range
from codesign.nn.types import check_exact, khot_k, observed_type, quantizer_type, sum_type, to_raw_array
from codesign.quant.config import LayerQuant


def affine_acc_type(in_t: FixedType, scale_t: FixedType, bias_t: FixedType) -> FixedType:
    """Exact type of ``x*scale + bias`` (F = max(F_x + F_scale, F_bias))."""
    lo, hi = product_raw_range(in_t, scale_t)
    return sum_type([(lo, hi, in_t.frac_bits + scale_t.frac_bits), (bias_t.raw_min, bias_t.raw_max, bias_t.frac_bits)])


class _BatchMoments(torch.autograd.Function):
    """Per-channel batch mean and biased variance of ``x`` ``[N, C, ...]`` (shapes ``[C]``).

    The same values as ``torch.var_mean(x, dims, unbiased=False)`` up to float rounding,
    in three memory passes (mean, centre, mean of squares) instead of var_mean's slower
    strided reduction, and a one-pass backward: with n elements per channel,
    ``dx = grad_mean / n + grad_var * 2 (x - mean) / n`` is one ``addcmul`` with
    per-channel coefficients.
    """

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:  # type: ignore[override]
        dims = [0, *range(2, x.dim())]
        mean = x.mean(dim=dims, keepdim=True)
        var = (x - mean).square_().mean(dim=dims)
        ctx.save_for_backward(x, mean)
        return mean.reshape(-1), var

    @staticmethod
    def backward(ctx, grad_mean: torch.Tensor, grad_var: torch.Tensor):  # type: ignore[override]
        x, mean = ctx.saved_tensors
        n = x.numel() // x.shape[1]
        view = mean.shape
        slope = (grad_var * (2.0 / n)).reshape(view)
        offset = (grad_mean / n).reshape(view) - mean * slope  # dx = x * slope + offset
        return torch.addcmul(offset, x, slope)


class _QBatchNorm(QModule):
    """Shared body of the 1-D and 2-D variants (``_ranks``: accepted input ranks)."""

    ir_op = "batchnorm"
    _ranks: tuple[int, ...] = (2, 3)

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float = 0.1,
        quant: LayerQuant | None = None,
    ) -> None:
        super().__init__()
        quant = LayerQuant.defaults() if quant is None else quant
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.weight = nn.Parameter(torch.ones(num_features))
        self.bias = nn.Parameter(torch.zeros(num_features))
        self.register_buffer("running_mean", torch.zeros(num_features))
        self.register_buffer("running_var", torch.ones(num_features))
        self.register_buffer("num_batches_tracked", torch.tensor(0, dtype=torch.long))
        c = (num_features,)
        self._add_quantizer("scale", quant.bn_scale, kind="weight", channels=num_features, shape=c)
        self._add_quantizer("bias", quant.bn_bias, kind="weight", channels=num_features, shape=c)
        self._add_quantizer("output", quant.output, kind="activation", channels=num_features, channel_axis=1)

    def _check_input(self, x: torch.Tensor) -> None:
        if x.dim() not in self._ranks or x.shape[1] != self.num_features:
            raise ValueError(
                f"{type(self).__name__}({self.num_features}) expects [N, {self.num_features}, ...] "
                f"of rank {self._ranks}, got {tuple(x.shape)}"
            )

    def _batch_statistics(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Batch mean and biased variance per channel; updates the running statistics."""
        mean, var = _BatchMoments.apply(x)
        with torch.no_grad():
            n = x.numel() // x.shape[1]
            self.num_batches_tracked += 1
            unbiased = var * (n / max(n - 1, 1))
            self.running_mean.lerp_(mean.detach().to(self.running_mean.dtype), self.momentum)
            self.running_var.lerp_(unbiased.detach().to(self.running_var.dtype), self.momentum)
        return mean, var

    def affine(self, dtype: torch.dtype = torch.float64) -> tuple[torch.Tensor, torch.Tensor]:
        """Quantized (scale, shift) ``[C]`` from the running statistics (eval semantics)."""
        mean = self.running_mean.to(dtype)
        var = self.running_var.to(dtype)
        return self._quantized_affine(mean, var, dtype)

    def _quantized_affine(
        self, mean: torch.Tensor, var: torch.Tensor, dtype: torch.dtype
    ) -> tuple[torch.Tensor, torch.Tensor]:
        scale = self.weight.to(dtype) / torch.sqrt(var + self.eps)  # correctly rounded, unlike rsqrt
        shift = self.bias.to(dtype) - mean * scale
        return self._q("scale", scale), self._q("bias", shift)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x ``[N, C, ...]`` -> same shape; float64 exact values in eval mode."""
        self._check_input(x)
        view = (1, -1) + (1,) * (x.dim() - 2)
        if self.training:
            mean, var = self._batch_statistics(x)
            scale, shift = self._quantized_affine(mean, var, x.dtype)
            fused = self._fused_affine_output(x, scale, shift)
            if fused is not None:
                return fused
        else:
            x = x.to(torch.float64)
            scale, shift = self.affine()
        if self._checks_exactness():
            check_exact(
                affine_acc_type(observed_type(x), observed_type(scale), observed_type(shift)),
                f"{type(self).__name__} eval",
            )
        return self._q("output", torch.addcmul(shift.view(view), x, scale.view(view)))

    # ------------------------------------------------------------------- export
    def khot(self) -> int | None:
        return khot_k(self.quant["scale"] if "scale" in self.quant else None)  # type: ignore[arg-type]

    def ir_node(
        self, name: str, inputs: list[str], in_types: list[str], in_shapes: list[list[int]]
    ) -> IRNode:
        layer = f"{type(self).__name__} {name}"
        if self.training:
            raise ValueError(f"{layer}: call model.eval() before export")
        in_t = self._fixed_in_type(in_types, 0, layer)
        shape = list(in_shapes[0])
        if not shape or shape[0] != self.num_features:
            raise ValueError(f"{layer}: expects input shape [{self.num_features}, ...], got {shape}")
        scale_t = quantizer_type(self._required("scale"))
        bias_t = quantizer_type(self._required("bias"))
        with torch.no_grad():
            scale, shift = self.affine()
        params = {
            "scale": (to_raw_array(scale, scale_t, f"{layer} scale"), scale_t.cpp),
            "bias": (to_raw_array(shift, bias_t, f"{layer} bias"), bias_t.cpp),
        }
        acc_t = affine_acc_type(in_t, scale_t, bias_t)
        check_exact(acc_t, layer)
        return make_ir_node(
            self.ir_op, name, inputs, shape, self._out_type().cpp, {"khot": self.khot()}, params, acc_t.cpp
        )

    def extra_repr(self) -> str:
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}"


class QBatchNorm1d(_QBatchNorm):
    """Quantized BatchNorm over ``[N, C]`` or ``[N, C, L]`` (see the module docstring)."""

    _ranks = (2, 3)


class QBatchNorm2d(_QBatchNorm):
    """Quantized BatchNorm over ``[N, C, H, W]`` (see the module docstring)."""

    _ranks = (4,)
