"""The training BatchNorm's and PReLU's fused affine and output cast
(``QFXQuantizer.affine_train``): the same outputs as the affine (or ``F.prelu``) followed by the
quantizer, bit for bit, and the same gradients."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from codesign.fixed import Overflow, Rounding
from codesign.nn import QBatchNorm2d, QPReLU
from codesign.quant import KHotQuantizer, QFXQuantizer, QuantSpec, fused
from codesign.quant.config import LayerQuant
from lane_sums import lane_sum

pytestmark = pytest.mark.skipif(fused.library() is None, reason="needs g++ to build the fused kernels")


def _inputs(shape: tuple[int, ...], seed: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(shape, generator=generator) * 3
    channels = shape[1]
    scale = torch.randn(channels, generator=generator) * 1.5
    shift = torch.randn(channels, generator=generator)
    x.view(-1)[: channels] = 0.0  # a = shift exactly for some elements
    return x, scale, shift


def _unfused(q: QFXQuantizer, x: torch.Tensor, scale: torch.Tensor, shift: torch.Tensor) -> torch.Tensor:
    """The reference: the affine as a separate multiply and add (no contraction), then the quantizer."""
    view = (1, -1) + (1,) * (x.dim() - 2)
    return q(x * scale.view(view) + shift.view(view))


def _grads(run, q: QFXQuantizer, x: torch.Tensor, scale: torch.Tensor, shift: torch.Tensor,  # type: ignore[no-untyped-def]
           upstream: torch.Tensor) -> list[torch.Tensor]:
    leaves = [t.clone().requires_grad_(True) for t in (x, scale, shift)]
    q.zero_grad()
    out = run(q, *leaves)
    out.backward(upstream)
    return [out.detach(), *[t.grad for t in leaves], q.int_bits.grad.clone()]


@pytest.mark.parametrize("shape", [(16, 6, 5, 5), (9, 4, 16), (33, 3, 4, 5)])  # vector loop and scalar tail
@pytest.mark.parametrize("rounding", [Rounding.RND, Rounding.RND_CONV, Rounding.TRN])
@pytest.mark.parametrize("overflow,signed", [(Overflow.SAT, True), (Overflow.SAT_SYM, True), (Overflow.SAT, False)])
def test_fused_affine_cast_equals_affine_then_quantizer(shape: tuple[int, ...], rounding: Rounding,
                                                       overflow: Overflow, signed: bool) -> None:
    x, scale, shift = _inputs(shape, seed=len(shape))
    q = QFXQuantizer(6, int_bits=2.0, rounding=rounding, overflow=overflow, signed=signed).train()
    upstream = torch.randn(shape, generator=torch.Generator().manual_seed(9))
    got = _grads(lambda quantizer, *t: quantizer.affine_train(*t), q, x, scale, shift, upstream)
    want = _grads(_unfused, q, x, scale, shift, upstream)
    assert torch.equal(got[0], want[0]), "outputs differ"
    assert torch.equal(got[1], want[1]), "input gradients differ"
    for name, g, w in zip(("scale", "shift", "int_bits"), got[2:], want[2:]):
        torch.testing.assert_close(g, w, rtol=1e-5, atol=1e-4, msg=f"{name} gradient")


def _fused_prelu(q: QFXQuantizer, x: torch.Tensor, slope: torch.Tensor, _unused: torch.Tensor) -> torch.Tensor:
    return q.affine_train(x, torch.ones_like(slope), torch.zeros_like(slope), slope)


def _plain_prelu(q: QFXQuantizer, x: torch.Tensor, slope: torch.Tensor, _unused: torch.Tensor) -> torch.Tensor:
    return q(F.prelu(x, slope))


@pytest.mark.parametrize("shape", [(16, 6, 5, 5), (33, 3, 17)])
@pytest.mark.parametrize("rounding", [Rounding.RND, Rounding.TRN_ZERO])
def test_fused_prelu_cast_equals_prelu_then_quantizer(shape: tuple[int, ...], rounding: Rounding) -> None:
    """Including exact zeros (value 0, gradient through the slope, as F.prelu)."""
    x, slope, _ = _inputs(shape, seed=7)
    q = QFXQuantizer(7, int_bits=2.0, rounding=rounding).train()
    upstream = torch.randn(shape, generator=torch.Generator().manual_seed(8))
    got = _grads(_fused_prelu, q, x, slope, slope, upstream)
    want = _grads(_plain_prelu, q, x, slope, slope, upstream)
    assert torch.equal(got[0], want[0]), "outputs differ"
    assert torch.equal(got[1], want[1]), "input gradients differ"
    torch.testing.assert_close(got[2], want[2], rtol=1e-5, atol=1e-4, msg="slope gradient")
    torch.testing.assert_close(got[4], want[4], rtol=1e-5, atol=1e-4, msg="int_bits gradient")


@pytest.mark.parametrize("run", [lambda quantizer, *t: quantizer.affine_train(*t), _fused_prelu])
def test_torch_fallback_in_backward_matches_the_kernel(run, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    x, scale, shift = _inputs((8, 5, 4, 4), seed=3)
    q = QFXQuantizer(8, int_bits=3.0).train()
    upstream = torch.randn(x.shape, generator=torch.Generator().manual_seed(4))
    kernel = _grads(run, q, x, scale, shift, upstream)
    monkeypatch.setattr(fused, "affine_cast_grad", lambda *args: None)
    fallback = _grads(run, q, x, scale, shift, upstream)
    assert torch.equal(kernel[1], fallback[1])
    for g, w in zip(kernel[2:], fallback[2:]):
        torch.testing.assert_close(g, w, rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("make,why", [
    (lambda: QFXQuantizer(8, int_bits=3.0, channels=5, channel_axis=1), "per-channel type"),
    (lambda: KHotQuantizer(2, 8, int_bits=3.0), "K-hot snapping"),
    (lambda: QFXQuantizer(8, int_bits=3.0, overflow=Overflow.WRAP), "wrapping overflow"),
    (lambda: QFXQuantizer(24, int_bits=3.0), "too wide for float32"),
    (lambda: QFXQuantizer(8, int_bits=3.0).eval(), "eval mode"),
])
def test_where_the_fusion_does_not_apply_the_caller_is_told(make, why: str) -> None:  # type: ignore[no-untyped-def]
    x, scale, shift = _inputs((4, 5, 3, 3), seed=1)
    assert make().affine_train(x, scale, shift) is None, why


def test_no_fusion_without_grad_or_for_mismatched_shapes() -> None:
    x, scale, shift = _inputs((4, 5, 3, 3), seed=2)
    q = QFXQuantizer(8, int_bits=3.0).train()
    with torch.no_grad():
        assert q.affine_train(x, scale, shift) is None
    assert q.affine_train(x, scale[:4], shift[:4]) is None
    assert q.affine_train(x.double(), scale.double(), shift.double()) is None
    small, scale, shift = _inputs((64, 5), seed=3)  # BatchNorm1d over [N, C]: torch is faster
    assert q.affine_train(small, scale, shift) is None
    assert q.affine_train(small.reshape(16, 5, 4), scale, shift) is None
    q.start_calibration()  # calibration observes ranges: the quantizer must see the affine
    assert q.affine_train(x, scale, shift) is None


_QUANT = LayerQuant(output=QuantSpec(scheme="qfx", width=8, int_bits=3),
                    weight=QuantSpec(scheme="khot", width=8, int_bits=2, k=2),
                    bn_scale=QuantSpec(scheme="khot", width=8, int_bits=2, k=2),
                    bn_bias=QuantSpec(scheme="qfx", width=12, int_bits=4))


@pytest.mark.parametrize("make", [lambda: QBatchNorm2d(6, quant=_QUANT), lambda: QPReLU(6, _QUANT)])
def test_layer_training_step_is_unchanged_by_the_fusion(make, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """A whole QBatchNorm2d or QPReLU forward and backward in training mode, fused and unfused."""
    x, _, _ = _inputs((32, 6, 4, 4), seed=5)
    upstream = torch.randn(x.shape, generator=torch.Generator().manual_seed(6))

    def step() -> list[torch.Tensor]:
        torch.manual_seed(0)
        layer = make().train()
        with torch.no_grad():
            for parameter in layer.parameters():
                if parameter.dim() == 1 and parameter.numel() == 6:
                    parameter.uniform_(0.25, 1.5)
        leaf = x.clone().requires_grad_(True)
        layer(leaf).backward(upstream)
        return [leaf.grad, *[p.grad for p in layer.parameters()], *layer.buffers()]

    fused_step = step()
    monkeypatch.setattr(QFXQuantizer, "affine_train", lambda self, *args: None)
    plain_step = step()
    assert len(fused_step) == len(plain_step)
    for got, want in zip(fused_step, plain_step):
        torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-4)


def test_affine_gradient_sums_follow_the_documented_lane_order() -> None:
    """One sample, one channel, 21 elements: the five sums as the kernel documents them, so
    they do not depend on the vector width of the build."""
    generator = torch.Generator().manual_seed(12)
    x = torch.randn(1, 1, 21, generator=generator) * 2
    grad = torch.randn(1, 1, 21, generator=generator) * 100
    p, n, b = torch.tensor([0.75]), torch.tensor([-0.3125]), torch.tensor([0.5])
    y = torch.round(torch.randn(1, 1, 21, generator=generator) * 4) / 4
    lo, hi = -1.5, 1.25
    grad_x, channel_sums, (sum_gy, sum_ga) = fused.affine_cast_grad(grad, x, y, p, n, b, lo, hi)
    a = torch.where(x > 0, x * p, x * n) + b  # float32, two roundings, as the kernel
    masked = torch.where((a >= lo) & (a <= hi), grad, torch.zeros_like(grad))
    assert torch.equal(grad_x, torch.where(x > 0, masked * p, masked * n))
    gx = masked * x
    want = [lane_sum(torch.where(x > 0, gx, 0.0).flatten().tolist()),
            lane_sum(torch.where(x > 0, 0.0, gx).flatten().tolist()),
            lane_sum(masked.flatten().tolist())]
    assert channel_sums[0].tolist() == want
    assert (sum_gy, sum_ga) == (lane_sum((grad * y).flatten().tolist()), lane_sum((masked * a).flatten().tolist()))
