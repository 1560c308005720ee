"""HGQ: per-element types, eval bit-exactness, surrogate gradients, bits under a beta penalty."""

from __future__ import annotations

import math

import pytest
import torch

from codesign.fixed import FixedType, Overflow, Rounding, quantize
from codesign.quant import HGQQuantizer, QuantSpec, calibrate, ebops_dense, make_quantizer
from codesign.quant.elementwise import quantize_elementwise

LN2 = math.log(2.0)


def _trained_activation(granularity: str, overflow: Overflow, signed: bool = True) -> HGQQuantizer:
    gen = torch.Generator().manual_seed(0)
    q = HGQQuantizer(init_frac_bits=3.0, signed=signed, granularity=granularity, channels=4, channel_axis=1,
                     overflow=overflow, rounding=Rounding.RND_INF)
    scale = torch.tensor([0.1, 1.0, 5.0, 40.0]).reshape(1, 4, 1)
    q.train()(torch.randn(16, 4, 6, generator=gen) * scale)  # records ranges
    with torch.no_grad():
        q.frac_bits.copy_(torch.randint(-3, 8, q.frac_bits.shape, generator=gen).float() + 0.3)
    return q.eval()


@pytest.mark.parametrize("granularity", ["element", "channel", "tensor"])
@pytest.mark.parametrize("overflow", [Overflow.SAT, Overflow.WRAP, Overflow.SAT_SYM])
@pytest.mark.parametrize("signed", [True, False])
def test_activation_eval_bit_exact(granularity: str, overflow: Overflow, signed: bool) -> None:
    q = _trained_activation(granularity, overflow, signed)
    # eval inputs up to 3x beyond the recorded ranges: saturation / wrap happen
    x = torch.randn(8, 4, 6, dtype=torch.float64, generator=torch.Generator().manual_seed(9))
    x = x * torch.tensor([0.3, 3.0, 15.0, 120.0], dtype=torch.float64).reshape(1, 4, 1)
    y = q(x)
    int_map, frac_map = q.type_maps()
    assert torch.equal(y, quantize_elementwise(x, int_map, frac_map, signed, Rounding.RND_INF, overflow))
    types = q.fixed_types()
    units = {"element": 24, "channel": 4, "tensor": 1}[granularity]
    assert len(types) == units
    flat_y = y.reshape(8, -1)
    flat_x = x.reshape(8, -1)
    for e in range(24):
        unit = {"element": e, "channel": e // 6, "tensor": 0}[granularity]
        t = types[unit]
        if int(int_map.reshape(-1)[e] + frac_map.reshape(-1)[e]) < 1:
            assert bool((flat_y[:, e] == 0).all())  # pruned element
        else:
            assert torch.equal(flat_y[:, e], quantize(flat_x[:, e], t)), (e, t)


def test_activation_int_bits_from_ranges() -> None:
    q = HGQQuantizer(init_frac_bits=2.0, granularity="tensor")
    q.train()(torch.tensor([[0.5, -3.0, 1.0]]))
    assert int(q.int_bits()) == 2  # 2**2 > 3 >= 2**1
    q(torch.tensor([[4.0, 0.0, 0.0]]))
    assert int(q.int_bits()) == 3  # running max
    assert q.fixed_type == FixedType(6, 4, True, Rounding.RND, Overflow.SAT)
    assert float(q.bits().reshape(-1)[0]) == 6.0  # i + f + sign


def test_weight_types_from_values_and_pruning() -> None:
    w = torch.tensor([[0.3, -0.06, 2.7], [0.0, -1.0, 0.124]], dtype=torch.float64)
    q = HGQQuantizer(kind="weight", init_frac_bits=3.0, shape=(2, 3)).eval()
    wq = q(w)
    assert wq.tolist() == [[0.25, -0.0, 2.75], [0.0, -1.0, 0.125]]
    int_map, frac_map = q.type_maps()
    # i = floor(log2|w_q|) + 1, plus the sign bit
    assert int_map.tolist() == [[-1 + 1, -3, 2 + 1], [-3, 1 + 1, -2 + 1]]
    assert q.pruned_mask().tolist() == [[False, True, False], [True, False, False]]
    assert q.bits(w).tolist() == [[3.0, 0.0, 6.0], [0.0, 5.0, 2.0]]
    for t, x, y in zip(q.fixed_types(), w.reshape(-1), wq.reshape(-1)):
        assert quantize(x.reshape(1), t).item() == y.item()


def test_weight_channel_granularity_types_cover_the_unit() -> None:
    w = torch.randn(3, 5, dtype=torch.float64, generator=torch.Generator().manual_seed(2)) * 2
    q = HGQQuantizer(kind="weight", granularity="channel", channels=3, channel_axis=0, init_frac_bits=2.0)
    wq = q.eval()(w)
    for c, t in enumerate(q.fixed_types()):
        assert torch.equal(quantize(w[c], t), wq[c])
        assert t.frac_bits == 2


@pytest.mark.parametrize("kind", ["weight", "activation"])
def test_surrogate_gradients_match_formulas(kind: str) -> None:
    gen = torch.Generator().manual_seed(4)
    q = HGQQuantizer(kind=kind, granularity="channel", channels=3, channel_axis=1, init_frac_bits=2.4)
    x0 = torch.randn(5, 3, 4, generator=gen, dtype=torch.float64)
    q.train()
    if kind == "activation":
        q(x0 * 0.5)  # recorded range narrower than x0: some values saturate
    x = x0.clone().requires_grad_()
    g = torch.randn(5, 3, 4, generator=gen, dtype=torch.float64)
    if kind == "activation":
        q.freeze_int_bits()
    xq = q(x)
    (xq * g).sum().backward()
    if kind == "activation":
        top = torch.exp2(q.int_bits()).reshape(1, 3, 1).double()
        inside = (x0 >= -top) & (x0 <= top)
        assert bool((~inside).any())
    else:
        inside = torch.ones_like(x0, dtype=torch.bool)
    assert torch.equal(x.grad, g * inside)
    want_f = (-LN2 * g * (xq.detach() - x0) * inside).sum(dim=(0, 2))
    assert torch.allclose(q.frac_bits.grad.double(), want_f, rtol=1e-5)
    # bits are differentiable in f with slope 1 where the element has bits
    q.frac_bits.grad = None
    bits = q.bits(x0) if kind == "weight" else q.bits()
    bits.sum().backward()
    alive = (bits > 0).double()
    per_unit = alive.sum(dim=(0, 2)) if kind == "weight" else alive.sum(dim=1)
    assert torch.allclose(q.frac_bits.grad.double(), per_unit)


def test_bits_and_ebops_fall_under_beta() -> None:
    torch.manual_seed(0)
    n_in, n_out = 16, 8
    act = HGQQuantizer(init_frac_bits=6.0, granularity="element")
    wq = HGQQuantizer(kind="weight", init_frac_bits=6.0, shape=(n_out, n_in))
    w = torch.randn(n_out, n_in) * 0.5
    x = torch.randn(256, n_in)
    target = x @ w.T
    act(x)  # materialize and record ranges
    opt = torch.optim.Adam([act.frac_bits, wq.frac_bits], lr=0.1)

    def ebops() -> torch.Tensor:
        return ebops_dense(act.bits(), wq.bits(w))

    start_ebops = float(ebops())
    start_bits = float(wq.bits(w).mean() + act.bits().mean())
    for _ in range(60):
        loss = ((act(x) @ wq(w).T - target) ** 2).mean() + 1e-4 * ebops()
        opt.zero_grad()
        loss.backward()
        opt.step()
    end_ebops = float(ebops())
    end_bits = float(wq.bits(w).mean() + act.bits().mean())
    assert end_bits < start_bits - 2
    assert end_ebops < 0.6 * start_ebops
    # and without the penalty the bits do not fall
    act0 = HGQQuantizer(init_frac_bits=6.0)
    act0(x)
    opt0 = torch.optim.Adam([act0.frac_bits], lr=0.1)
    for _ in range(60):
        loss = ((act0(x) @ w.T - target) ** 2).mean()
        opt0.zero_grad()
        loss.backward()
        opt0.step()
    assert float(act0.bits().mean()) > float(act.bits().mean()) + 1


def test_lazy_shape_state_dict_and_calibration() -> None:
    q = make_quantizer(QuantSpec(scheme="hgq", init_frac_bits=4.0), kind="activation")
    assert isinstance(q, HGQQuantizer)
    with pytest.raises(ValueError, match="no recorded range"):
        q.eval()(torch.randn(2, 3, 5))
    model = torch.nn.Sequential(q)
    calibrate(model, [torch.randn(4, 3, 5) * 0.2, torch.randn(4, 3, 5)], margin=2.0)
    assert q.frac_bits.shape == (3, 5)
    assert float(q.margin) == 2.0
    fresh = HGQQuantizer(init_frac_bits=4.0)
    fresh.load_state_dict(q.state_dict())
    x = torch.randn(4, 3, 5, dtype=torch.float64)
    assert torch.equal(fresh.eval()(x), q.eval()(x))
    with pytest.raises(ValueError, match="sample shape"):
        q(torch.randn(2, 3, 4))


def test_training_cast_equals_eval_cast() -> None:
    x = torch.randn(16, 3, 7, generator=torch.Generator().manual_seed(11)) * 3
    q = HGQQuantizer(init_frac_bits=2.0, overflow=Overflow.SAT_SYM)
    train = q.train()(x.clone().requires_grad_())
    assert torch.equal(train.detach(), q.eval()(x))
    w = HGQQuantizer(kind="weight", init_frac_bits=1.0, shape=(16, 3, 7), signed=False)
    assert torch.equal(w.train()(x.clone().requires_grad_()).detach(), w.eval()(x))
