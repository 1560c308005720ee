"""Every zoo model, briefly trained, exports to an IR that equals the torch eval emulation
bit for bit on every tap: the whole digits test set for the digits models, random
standardised features for the jet MLP, random 32x32 images for the short ResNet-20."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import torch

from codesign import ir
from codesign.data import load_dataset
from codesign.models import build_model
from codesign.nn.export import compare_with_ir, export, raw_inputs
from zoo_helpers import jet_like, per_tensor_hgq_activations, random_images, train_briefly

Data = tuple[np.ndarray, np.ndarray, np.ndarray]
"""(train x, train y, test x)."""


def _digits() -> Data:
    ds = load_dataset("digits")
    return ds.train.x, ds.train.y, ds.test.x


def _jets() -> Data:
    x, y = jet_like(1000, seed=0)
    test_x, _ = jet_like(500, seed=1)
    return x, y, test_x


def _images() -> Data:
    x, y = random_images(64, seed=0)
    test_x, _ = random_images(48, seed=1)
    return x, y, test_x


@dataclass(frozen=True)
class Case:
    """One zoo model: how to build it, its data, and how long to train it."""

    model: str
    options: dict[str, object]
    data: Callable[[], Data]
    steps: int
    batch: int = 64
    lr: float = 3e-2
    distinct_logits: int = 9
    """Fewest distinct IR logit rows among the first 64 test samples (non-degeneracy)."""


CASES = {
    "bnn_tiny": Case("bnn", {"size": "tiny"}, _digits, steps=20),
    "bnn_tiny_flatten": Case("bnn", {"size": "tiny", "head": "flatten", "head_pool": 2}, _digits, steps=20),
    "jet_mlp_qfx": Case("jet_mlp", {"scheme": "qfx"}, _jets, steps=20),
    "jet_mlp_hgq": Case("jet_mlp", {"scheme": "hgq"}, _jets, steps=20),
    "digits_cnn_qfx": Case("digits_cnn", {"scheme": "qfx"}, _digits, steps=20),
    "digits_cnn_hgq": Case("digits_cnn", {"scheme": "hgq"}, _digits, steps=20),
    "resnet20_short": Case("resnet20", {"blocks_per_stage": 1}, _images, steps=2, batch=16, lr=1e-2,
                           distinct_logits=1),  # random images: two steps leave the pooled features constant
}


@pytest.fixture(autouse=True)
def one_torch_thread() -> Iterator[None]:
    """These tiny models run several times faster on one thread than on two contended ones."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.mark.parametrize("case_id", list(CASES))
def test_zoo_model_ir_equals_torch_bit_for_bit(case_id: str, tmp_path: Path) -> None:
    case = CASES[case_id]
    torch.manual_seed(0)
    model = build_model(case.model, **case.options)
    if case.options.get("scheme") == "hgq":
        assert per_tensor_hgq_activations(model) > 0
    train_x, train_y, test_x = case.data()
    train_briefly(model, train_x, train_y, steps=case.steps, batch=case.batch, lr=case.lr)

    result = export(model, train_x[:4], tmp_path / "ir")
    assert model.training  # export restores the mode
    loaded = ir.load(result.path)
    assert loaded == result.graph
    assert all(np.array_equal(loaded.params[k], result.graph.params[k]) for k in result.graph.params)

    cmp = compare_with_ir(model, loaded, test_x)
    assert cmp.ok, str(cmp)
    assert cmp.samples == len(test_x)
    assert cmp.taps == len(loaded.nodes) + len(loaded.outputs)
    logits = ir.run(loaded, raw_inputs(model, test_x[:64])).outputs[loaded.outputs[0]]
    assert len(np.unique(logits, axis=0)) >= case.distinct_logits
    print(f"{case_id}: {cmp}")

