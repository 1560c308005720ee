"""Straight-through functions shared by the binary layers and ``QAct``."""

from __future__ import annotations

import torch


class _SignSTE(torch.autograd.Function):
    """sign with sign(0) = +1; clipped straight-through gradient (1 where |x| <= 1, else 0)."""

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        ctx.save_for_backward(x)
        return binary_sign(x)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        (x,) = ctx.saved_tensors
        return grad * (x.abs() <= 1).to(grad.dtype)


def binary_sign(x: torch.Tensor) -> torch.Tensor:
    """+1 where ``x >= 0``, else -1, in x's dtype (no gradient)."""
    return torch.where(x >= 0, 1.0, -1.0).to(x.dtype)


def sign_ste(x: torch.Tensor) -> torch.Tensor:
    """``binary_sign`` with the clipped straight-through gradient when x requires grad."""
    if x.requires_grad and torch.is_grad_enabled():
        return _SignSTE.apply(x)
    return binary_sign(x)


def check_binary(x: torch.Tensor, where: str) -> None:
    """Raise unless every value of ``x`` is -1 or +1.

    Raises:
        ValueError: naming ``where``.
    """
    if not bool((x.abs() == 1).all()):
        raise ValueError(f"{where}: input must be binary (-1/+1 values), e.g. from QAct('sign')")
