"""Every zoo model, briefly trained and exported, generates an HLS project whose threaded
C simulation (every dataflow process in its own thread, FIFOs of exactly the generated
depths) completes without deadlock and equals ir.run bit for bit on 200 inputs."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch

from codesign import codegen, ir
from codesign.data import load_dataset
from codesign.models import build_model
from codesign.nn.export import export, raw_inputs
from codesign.toolchain.csim import compare_with_ir

sys.path.insert(0, str(Path(__file__).parents[1] / "models"))
from zoo_helpers import jet_like, random_images, train_briefly  # noqa: E402

N_INPUTS = 200


def _data(model: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if model == "jet_mlp":
        x, y = jet_like(600, seed=0)
        return x, y, jet_like(N_INPUTS, seed=1)[0]
    if model == "resnet20":
        x, y = random_images(32, seed=0)
        return x, y, random_images(N_INPUTS, seed=1)[0]
    ds = load_dataset("digits")
    return ds.train.x, ds.train.y, ds.test.x[:N_INPUTS]


CASES = {
    "bnn_tiny": ("bnn", {"size": "tiny"}),
    "bnn_tiny_flatten": ("bnn", {"size": "tiny", "head": "flatten", "head_pool": 2}),  # the flagship's head
    "jet_mlp": ("jet_mlp", {"scheme": "qfx"}),
    "digits_cnn": ("digits_cnn", {"scheme": "qfx"}),
    "resnet_short": ("resnet20", {"blocks_per_stage": 1, "base_channels": 4}),
}


@pytest.fixture(autouse=True)
def one_torch_thread() -> Iterator[None]:
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def exported(case_id: str, out: Path) -> tuple[ir.Graph, np.ndarray]:
    """The case's model, trained a few steps and exported; its raw test inputs."""
    model_name, options = CASES[case_id]
    torch.manual_seed(0)
    model = build_model(model_name, **options)
    train_x, train_y, test_x = _data(model_name)
    train_briefly(model, train_x, train_y, steps=3, batch=16)
    result = export(model, train_x[:4], out / "ir")
    return ir.load(result.path), raw_inputs(model, test_x)


@pytest.mark.parametrize("case_id", list(CASES))
def test_zoo_threaded_csim_equals_ir(case_id: str, codegen_cache: Path, tmp_path: Path) -> None:
    graph, inputs = exported(case_id, tmp_path)
    project = codegen.generate(graph, codegen_cache / f"zoo_{case_id}", top=f"{case_id}_top")
    report = compare_with_ir(project, graph, inputs, threaded=True)
    assert report.ok, str(report)
    assert report.samples == N_INPUTS
    audit = project.manifest["multiplier_audit"]
    if case_id.startswith("bnn_tiny"):
        assert audit["total_multipliers"] == 0 and audit["total_general_products"] == 0
    else:
        assert audit["total_multipliers"] > 0
    print(f"{case_id}: {report}")


def test_bnn_baseline_audit_counts_the_multipliers_khot_removes(codegen_cache: Path, tmp_path: Path) -> None:
    """The plain-BatchNorm baseline (k=None) has general multipliers; K=2 has none (above)."""
    torch.manual_seed(0)
    model = build_model("bnn", size="tiny", k=None)
    train_x, train_y, _ = _data("bnn")
    train_briefly(model, train_x, train_y, steps=2, batch=16)
    graph = ir.load(export(model, train_x[:4], tmp_path / "ir").path)
    project = codegen.generate(graph, codegen_cache / "zoo_bnn_baseline", top="bnn_baseline_top")
    audit = project.manifest["multiplier_audit"]
    assert audit["total_multipliers"] > 0
    general = {name for name, layer in audit["per_layer"].items() if layer["multipliers"] > 0}
    assert general and all(graph.node(name).op in ("batchnorm", "prelu", "dense") for name in general), general
