"""The fused CPU training casts equal the exact cast bit for bit, and their gradients equal
the torch formulation."""

from __future__ import annotations

import math

import pytest
import torch

from codesign.fixed import FixedType, Overflow, Rounding, quantize
from codesign.quant import HGQQuantizer, QFXQuantizer, fused
from lane_sums import lane_sum

pytestmark = pytest.mark.skipif(fused.library() is None, reason="needs g++ to build the fused kernels")

SATURATING = (Overflow.SAT, Overflow.SAT_SYM)


def _raw_bounds(t: FixedType) -> tuple[float, float]:
    low = -t.raw_max if (t.overflow is Overflow.SAT_SYM and t.signed and t.width > 1) else t.raw_min
    return float(low), float(t.raw_max)


def _adversarial(t: FixedType, n: int, generator: torch.Generator) -> torch.Tensor:
    """Random values over twice the range plus every tie, bound and edge of the type."""
    lsb = 2.0 ** -t.frac_bits
    span = (t.max - t.min) or lsb
    random = (torch.rand(n, generator=generator, dtype=torch.float64) * 2 - 0.5) * span + t.min
    raw = torch.arange(t.raw_min - 3, t.raw_max + 4, dtype=torch.float64)
    ties = (raw + 0.5) * lsb
    edges = torch.tensor([t.min, t.max, t.min - lsb / 2, t.max + lsb / 2, 0.0, -0.0, 1e30, -1e30,
                          math.inf, -math.inf, lsb / 4, -lsb / 4, 2.0**-126, -(2.0**-126)], dtype=torch.float64)
    return torch.cat([random, ties, raw * lsb, edges]).to(torch.float32)


@pytest.fixture(params=["host", "baseline"])
def isa(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
        monkeypatch: pytest.MonkeyPatch) -> str:
    """The kernels as built for this CPU (``-mavx2`` where it has AVX2), or the baseline build
    without ISA flags (SSE2 on x86-64) in a cache of its own."""
    if request.param == "baseline":
        monkeypatch.setattr(fused, "_isa_flags", lambda: ())
        monkeypatch.setenv("CODESIGN_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "baseline_isa_cache"))
    return str(request.param)


@pytest.mark.parametrize("rounding", list(Rounding))
@pytest.mark.parametrize("overflow", SATURATING)
@pytest.mark.parametrize("width,int_bits,signed", [(8, 3, True), (6, -2, True), (5, 7, False), (1, 0, True),
                                                   (20, 4, True), (3, 3, False)])
def test_per_tensor_cast_equals_exact_cast(rounding: Rounding, overflow: Overflow, width: int, int_bits: int,
                                           signed: bool, isa: str) -> None:
    t = FixedType(width, int_bits, signed, rounding, overflow)
    x = _adversarial(t, 3000, torch.Generator().manual_seed(width * 31 + int_bits))
    lo, hi = _raw_bounds(t)
    got = fused.sat_cast(x, 2.0**t.frac_bits, lo, hi, rounding)
    want = quantize(x.to(torch.float64), t, check_finite=False).to(torch.float32)
    mismatch = (got != want).nonzero()
    assert mismatch.numel() == 0, (
        f"{t}: first mismatch at {int(mismatch[0])}: x={float(x[mismatch[0]])!r} "
        f"fused={float(got[mismatch[0]])!r} exact={float(want[mismatch[0]])!r}")


@pytest.mark.parametrize("rounding", [Rounding.RND, Rounding.RND_CONV, Rounding.TRN_ZERO])
def test_per_channel_and_per_element_casts_equal_exact_cast(rounding: Rounding, isa: str) -> None:
    generator = torch.Generator().manual_seed(3)
    x = torch.randn(5, 4, 3, 7, generator=generator) * 4
    x[0, :, 0, 0] = torch.tensor([0.125, -0.375, 1.5, -2.5])  # ties for some F
    for view_shape in ((1, 4, 1, 1), (4, 1, 1), (1, 4, 3, 7), (5, 1, 1, 1)):
        int_bits = torch.randint(-1, 5, view_shape, generator=generator).to(torch.float32)
        width = 6
        frac = width - int_bits
        top = 2.0 ** (width - 1) - 1
        got = fused.sat_cast(x, torch.exp2(frac), -top - 1, top, rounding)
        want = torch.empty_like(x)
        expanded = frac.expand_as(x)
        for index in range(x.numel()):
            f = int(expanded.reshape(-1)[index])
            t = FixedType(width, width - f, True, rounding, Overflow.SAT)
            want.view(-1)[index] = quantize(x.reshape(-1)[index:index + 1].double(), t).float()[0]
        assert torch.equal(got, want), view_shape


def test_group_layout() -> None:
    assert fused.group_layout((8, 4, 5, 5), ()) == (1, 1, 800)
    assert fused.group_layout((8, 4, 5, 5), (1, 4, 1, 1)) == (8, 4, 25)
    assert fused.group_layout((8, 4, 5, 5), (4, 1, 1)) == (8, 4, 25)
    assert fused.group_layout((8, 4, 5, 5), (1, 4, 5, 5)) == (8, 100, 1)
    assert fused.group_layout((4, 3, 3, 3), (4, 1, 1, 1)) == (1, 4, 27)
    assert fused.group_layout((8, 4, 5, 5), (1, 4, 1, 5)) is None  # not one contiguous run
    assert fused.group_layout((8, 4, 5, 5), (1, 2, 1, 1)) is None  # does not match the tensor
    assert fused.group_layout((4,), (1, 4)) is None


def test_unsupported_inputs_fall_back() -> None:
    x = torch.randn(10)
    assert fused.sat_cast(x.double(), 4.0, -8.0, 7.0, Rounding.RND) is None
    assert fused.sat_cast(torch.randn(2, 3, 4), torch.ones(1, 1, 4) * 2, -8.0, 7.0, Rounding.RND) is not None
    assert fused.sat_cast(torch.randn(2, 3, 4), torch.ones(1, 3, 4), torch.zeros(3, 1), 7.0, Rounding.RND) is None


def test_disabled_by_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CODESIGN_FUSED", "0")
    assert fused.library() is None
    assert fused.sat_cast(torch.randn(4), 4.0, -8.0, 7.0, Rounding.RND) is None


def test_missing_compiler_warns_and_falls_back(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("CODESIGN_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("CXX", "/bin/false")
    with pytest.warns(RuntimeWarning, match="fused training casts unavailable"):
        assert fused.library() is None
    assert fused.sat_cast(torch.randn(4), 4.0, -8.0, 7.0, Rounding.RND) is None


@pytest.mark.parametrize("view_shape", [(), (1, 6, 1, 1), (1, 6, 5, 5)])
def test_gradient_kernel_matches_torch(view_shape: tuple[int, ...], isa: str) -> None:
    generator = torch.Generator().manual_seed(11)
    x = torch.randn(9, 6, 5, 5, generator=generator) * 3
    grad = torch.randn(x.shape, generator=generator)
    xq = torch.round(x * 4) / 4
    lo = -torch.rand(view_shape, generator=generator) * 4 if view_shape else -2.5
    hi = torch.rand(view_shape, generator=generator) * 4 if view_shape else 2.0
    x.view(-1)[0] = float(hi if not view_shape else hi.reshape(-1)[0])  # on the bound: kept
    grad_x, sums = fused.sat_cast_grad(grad, x, xq, lo, hi)
    inside = (x >= lo) & (x <= hi)
    want_grad = grad * inside
    assert torch.equal(grad_x, want_grad)
    reduce_dims = [0] + ([] if len(view_shape) == 4 and view_shape[2] > 1 else [2, 3]) if view_shape else None

    def reduce(t: torch.Tensor) -> torch.Tensor:
        t = t.double()
        return t.sum().reshape(1) if reduce_dims is None else t.sum(dim=reduce_dims).reshape(-1)

    torch.testing.assert_close(sums[:, 0], reduce(grad * xq), rtol=1e-5, atol=1e-4)
    torch.testing.assert_close(sums[:, 1], reduce(want_grad * x), rtol=1e-5, atol=1e-4)
    torch.testing.assert_close(sums[:, 2], reduce(want_grad * xq), rtol=1e-5, atol=1e-4)
    again = fused.sat_cast_grad(grad, x, xq, lo, hi)
    assert torch.equal(again[1], sums)  # deterministic


def _grads(quantizer: torch.nn.Module, x: torch.Tensor, upstream: torch.Tensor) -> list[torch.Tensor]:
    x = x.clone().requires_grad_(True)
    quantizer.zero_grad()
    out = quantizer(x)
    out.backward(upstream)
    return [out.detach(), x.grad.clone(), *[p.grad.clone() for p in quantizer.parameters()]]


@pytest.mark.parametrize("make", [
    lambda: QFXQuantizer(6, int_bits=2.0),
    lambda: QFXQuantizer(5, int_bits=1.0, channels=8, channel_axis=1, overflow=Overflow.SAT_SYM),
    lambda: HGQQuantizer(init_frac_bits=3.0, kind="activation", granularity="element"),
    lambda: HGQQuantizer(init_frac_bits=2.0, kind="activation", granularity="channel", channels=8, channel_axis=1),
    lambda: HGQQuantizer(init_frac_bits=2.0, kind="weight", granularity="element"),
])
def test_quantizer_gradients_equal_the_torch_path(make, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    generator = torch.Generator().manual_seed(5)
    x = torch.randn(16, 8, 4, 4, generator=generator) * 2
    upstream = torch.randn(x.shape, generator=generator)
    torch.manual_seed(0)
    fused_q = make().train()
    fused_q(x)  # materialise lazy shapes and record ranges
    torch_q = make().train()
    torch_q.load_state_dict(fused_q.state_dict())
    got = _grads(fused_q, x, upstream)
    monkeypatch.setenv("CODESIGN_FUSED", "0")
    want = _grads(torch_q, x, upstream)
    assert torch.equal(got[0], want[0])  # no rounding ties in these random inputs
    assert torch.equal(got[1], want[1])
    for g, w in zip(got[2:], want[2:]):
        torch.testing.assert_close(g, w, rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("bounds", [(-128.0, 127.0), (-math.inf, math.inf)])
@pytest.mark.parametrize("rounding", list(Rounding))
def test_nan_stays_nan(bounds: tuple[float, float], rounding: Rounding, isa: str) -> None:
    """A diverged training step must not be hidden by the cast, in the vector loop (the first
    32 elements) and in the scalar tail (the last 3)."""
    x = torch.linspace(-9.0, 9.0, 35)
    nan_at = [0, 5, 17, 31, 32, 34]
    x[nan_at] = math.nan
    out = fused.sat_cast(x, 16.0, *bounds, rounding)
    width = 8 if math.isfinite(bounds[1]) else 20  # raw -128..127, or wide enough not to saturate
    want = quantize(x.double(), FixedType(width, width - 4, True, rounding, Overflow.SAT), check_finite=False).float()
    assert torch.isnan(out[nan_at]).all()
    kept = torch.ones(35, dtype=torch.bool)
    kept[nan_at] = False
    assert torch.equal(out[kept], want[kept])


def test_gradient_sums_follow_the_documented_lane_order(isa: str) -> None:
    """The sums do not depend on the vector width the kernels were built with."""
    generator = torch.Generator().manual_seed(2)
    x = torch.randn(45, generator=generator) * 3
    grad = torch.randn(45, generator=generator) * 1e3
    xq = torch.round(x * 8) / 8
    grad_x, sums = fused.sat_cast_grad(grad, x, xq, -2.0, 2.5)
    assert torch.equal(grad_x, grad * ((x >= -2.0) & (x <= 2.5)))
    products = [grad * xq, grad_x * x, grad_x * xq]  # exact float32 products, as in the kernel
    assert sums[0].tolist() == [lane_sum(p.tolist()) for p in products]
