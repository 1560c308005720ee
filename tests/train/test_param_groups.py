"""Per-layer learning-rate scales: the optimizer gives a QLinear's weight lr * lr_scale."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from codesign.nn import QLinear
from codesign.train import TrainConfig
from codesign.train.loop import _optimizer, param_groups


def _model(scale: float) -> nn.Sequential:
    torch.manual_seed(0)
    return nn.Sequential(QLinear(6, 5, quantize_input=True), QLinear(5, 3, lr_scale=scale))


def test_groups_put_the_scaled_weight_apart() -> None:
    model = _model(0.25)
    groups = param_groups(model, 0.02)
    assert [g["lr"] for g in groups] == [0.02, 0.005]
    assert groups[1]["params"] == [model[1].weight]
    everything = [p for g in groups for p in g["params"]]
    assert len(everything) == len({id(p) for p in everything}) == len(list(model.parameters()))


def test_no_scale_means_one_group() -> None:
    groups = param_groups(_model(1.0), 0.02)
    assert len(groups) == 1 and groups[0]["lr"] == 0.02


@pytest.mark.parametrize("optimizer", ["adam", "adamw"])
def test_first_adam_step_moves_the_scaled_weight_by_its_rate(optimizer: str) -> None:
    """Adam's first step moves every weight with a nonzero gradient by about lr; the scaled
    weight by about lr * lr_scale."""
    model = _model(0.25)
    before = [p.detach().clone() for p in (model[0].weight, model[1].weight)]
    opt = _optimizer(model, TrainConfig(lr=0.02, optimizer=optimizer))  # type: ignore[arg-type]
    x = torch.randn(32, 6)
    nn.functional.cross_entropy(model(x), torch.randint(0, 3, (32,))).backward()
    opt.step()
    first, second = (p.detach() - b for p, b in zip((model[0].weight, model[1].weight), before))
    assert first.abs().max().item() == pytest.approx(0.02, rel=1e-3)
    assert second.abs().max().item() == pytest.approx(0.005, rel=1e-3)


def test_lr_scale_must_be_positive() -> None:
    with pytest.raises(ValueError, match="lr_scale must be > 0"):
        QLinear(4, 2, lr_scale=0.0)


@pytest.mark.parametrize("optimizer", ["adam", "adamw", "sgd"])
def test_optimizers_use_the_fused_update_on_cpu(optimizer: str) -> None:
    opt = _optimizer(_model(0.5), TrainConfig(optimizer=optimizer))  # type: ignore[arg-type]
    assert opt.defaults["fused"] is True
    assert [g["lr"] for g in opt.param_groups] == [TrainConfig().lr, TrainConfig().lr * 0.5]


def test_optimizer_falls_back_without_a_fused_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    real = torch.optim.Adam

    def no_fused(*args: object, fused: bool | None = None, **kwargs: object) -> torch.optim.Optimizer:
        if fused:
            raise RuntimeError("`fused=True` requires all the params to be floating point Tensors")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(torch.optim, "Adam", no_fused)
    opt = _optimizer(_model(1.0), TrainConfig())
    assert isinstance(opt, real) and not opt.defaults.get("fused")
