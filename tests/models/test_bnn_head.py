"""The BNN's classifier heads: global pooling, or pooling to a small map and flattening, with
the flattened classifier's learning rate divided by its extra fan-in."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from codesign.models import build_model
from codesign.nn import QAvgPool2d, QFlatten, QGlobalAvgPool2d, QLinear


def _head(model: torch.nn.Module, n: int) -> list[torch.nn.Module]:
    return list(model)[-n:]


def test_global_head_is_the_default() -> None:
    model = build_model("bnn", size="tiny")
    pool, classifier = _head(model, 2)
    assert isinstance(pool, QGlobalAvgPool2d) and isinstance(classifier, QLinear)
    assert classifier.in_features == 32 and classifier.lr_scale == 1.0
    assert model.model_spec["head"] == "global"


@pytest.mark.parametrize(("size", "channels", "pool", "features", "scale"), [
    ("tiny", 32, 2, 32 * 2 * 2, 1 / 4),   # 8x8 digits: last stage 4x4, pooled to 2x2
    ("tiny", 8, 1, 8 * 4 * 4, 1 / 16),    # no pooling: 4x4 positions
    ("cifar", 8, 4, 32 * 2 * 2, 1 / 4),   # 32x32: last stage 8x8 with 4x channels, pooled to 2x2
])
def test_flatten_head_shapes_and_lr_scale(size: str, channels: int, pool: int, features: int, scale: float) -> None:
    model = build_model("bnn", size=size, channels=channels, head="flatten", head_pool=pool, levels=2)
    layers = _head(model, 3 if pool > 1 else 2)
    if pool > 1:
        assert isinstance(layers[0], QAvgPool2d) and layers[0].kernel_size == (pool, pool)
    flatten, classifier = layers[-2:]
    assert isinstance(flatten, QFlatten) and isinstance(classifier, QLinear)
    assert classifier.in_features == features and classifier.lr_scale == scale
    side = 8 if size == "tiny" else 32
    x = torch.randint(0, 256, (3, 1 if size == "tiny" else 3, side, side)).float()
    assert model(x).shape == (3, 10)


def test_flatten_head_rebuilds_from_its_spec() -> None:
    model = build_model("bnn", size="tiny", channels=8, head="flatten", head_pool=2, levels=4)
    again = build_model(**model.model_spec)
    assert again.model_spec == model.model_spec
    assert list(again)[-1].in_features == list(model)[-1].in_features == 8 * 2 * 2


@pytest.mark.parametrize(("options", "message"), [
    ({"head": "max"}, "unknown bnn head 'max'; allowed: global, flatten"),
    ({"head": "flatten", "head_pool": 3}, "divide the last stage's side 4, got 3"),
    ({"head": "flatten", "head_pool": 0}, "head_pool must be >= 1"),
])
def test_bad_heads_are_refused(options: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        build_model("bnn", size="tiny", **options)


def test_flatten_head_follows_the_input_size() -> None:
    """28x28 images (Fashion-MNIST) through the tiny network: last stage 14x14, pooled to 7x7."""
    model = build_model("bnn", size="tiny", channels=8, head="flatten", head_pool=2, levels=2, input_size=28)
    assert list(model)[-1].in_features == 8 * 7 * 7
    assert model(torch.randint(0, 256, (2, 1, 28, 28)).float()).shape == (2, 10)
    with pytest.raises(ValueError, match="input_size must be >= 1"):
        build_model("bnn", size="tiny", head="flatten", input_size=0)


def test_train_run_sizes_the_head_from_the_data(tmp_path: Path) -> None:
    from codesign.train import TrainConfig, load_checkpoint
    from codesign.train.run import TrainRequest, train_run

    request = TrainRequest(model="bnn", dataset="digits", limit=60, scheme="khot",
                           model_options={"size": "tiny", "channels": 4, "levels": 2, "head": "flatten"},
                           train=TrainConfig(epochs=1, batch_size=32, threads=1))
    summary = train_run(request, tmp_path, progress=False)
    assert 0.0 <= summary["accuracy_fixed"] <= 1.0
    model = load_checkpoint(Path(summary["checkpoint"]))
    assert model.model_spec["input_size"] == 8  # from the data, not the builder's default (None)
