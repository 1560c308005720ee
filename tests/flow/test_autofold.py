"""Folding chosen for the board (``codesign.codegen.autofold``), the flow fields that ask for it
(``hls.target_fps``, ``hls.resource_margin``), the codegen/estimate stages that use it, and the
flow files that ship with the repository."""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from click.testing import CliRunner

from codesign import codegen, ir
from codesign.cli import main
from codesign.codegen.autofold import RESOURCES, FoldingChoice, FoldingError, choose_folding, divisors
from codesign.codegen.parallelism import KEYS
from codesign.flow.board import load_board
from codesign.flow.spec import FlowError, flow_to_yaml, load_flow, validate_flow
from codesign.models import build_model
from codesign.nn.export import export
from codesign.reports.estimate import Folding, estimate

sys.path.insert(0, str(Path(__file__).parents[1] / "codegen"))
from graphs import ops_graph  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
ULTRA96 = load_board("ultra96v2").resources.model_dump()
CLOCK_MHZ = 100.0


def _export(model: torch.nn.Module, x: np.ndarray, out: Path) -> ir.Graph:
    """The untrained model after one train-mode forward (BatchNorm statistics), exported."""
    torch.manual_seed(0)
    model.train()
    with torch.no_grad():
        model(torch.as_tensor(x).float())
    return ir.load(export(model, x[:4], out).path)


@pytest.fixture(scope="module")
def bnn_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The flagship's network (bnn tiny, 16 thermometer levels) exported to an IR directory."""
    torch.manual_seed(0)
    pixels = np.random.default_rng(0).integers(0, 256, size=(64, 1, 8, 8), dtype=np.uint8)
    out = tmp_path_factory.mktemp("bnn") / "ir"
    _export(build_model("bnn", size="tiny", levels=16), pixels, out)
    return out


@pytest.fixture(scope="module")
def bnn(bnn_dir: Path) -> ir.Graph:
    return ir.load(bnn_dir)


@pytest.fixture(scope="module")
def jet(tmp_path_factory: pytest.TempPathFactory) -> ir.Graph:
    torch.manual_seed(0)
    features = np.random.default_rng(0).standard_normal((64, 16)).astype(np.float32)
    return _export(build_model("jet_mlp", scheme="qfx"), features, tmp_path_factory.mktemp("jet") / "ir")


@pytest.fixture(scope="module")
def ops() -> ir.Graph:
    """Every op once, conv2d and binary_dense included."""
    return ops_graph(0)[0]


def _graph(request: pytest.FixtureRequest, name: str) -> ir.Graph:
    return request.getfixturevalue(name)


def _fits(choice: FoldingChoice, margin: float, available: Mapping[str, int] = ULTRA96) -> bool:
    return all(choice.estimate.total(r) <= margin * available[r] for r in RESOURCES)


@pytest.mark.parametrize("graph_name", ["bnn", "jet", "ops"])
@pytest.mark.parametrize("target", [None, 2000.0])
def test_the_choice_is_legal_fits_and_meets_the_target(graph_name: str, target: float | None,
                                                       request: pytest.FixtureRequest, tmp_path: Path) -> None:
    graph = _graph(request, graph_name)
    choice = choose_folding(graph, ULTRA96, CLOCK_MHZ, target)
    foldable = {n.name: n.op for n in graph.nodes if n.op in KEYS}
    assert set(choice.folding) == set(foldable)
    for name, fold in choice.folding.items():
        assert set(fold) == set(KEYS[foldable[name]])
    codegen.generate(graph, tmp_path / "hls", parallelism=choice.folding)  # the generator accepts it
    assert _fits(choice, 0.7)
    assert choice.fps == choice.estimate.fps == CLOCK_MHZ * 1e6 / choice.estimate.interval_cycles
    assert max(choice.estimate.nodes, key=lambda n: n.cycles).name == choice.bottleneck
    assert choice.estimate == estimate(graph, CLOCK_MHZ, {k: Folding(**v) for k, v in choice.folding.items()})
    if target is not None:
        assert choice.fps >= target
    assert choice.reasons[0].startswith("start:")


def _legal_folds(op: str, n_out: int, fan_in: int, n_in: int) -> list[dict[str, int]]:
    """Every divisor-respecting folding (the test's own enumeration)."""
    if op in ("binary_conv2d", "binary_dense"):
        return [{"pe": p, "simd": s} for p in divisors(n_out) for s in divisors(fan_in)]
    limit = n_in if op == "dense" else n_out * fan_in
    return [{"reuse_factor": r} for r in divisors(limit)]


def test_a_target_unfolds_no_layer_further_than_needed(bnn: ir.Graph) -> None:
    """For every layer, no legal setting that is at most as expensive in every resource (and
    cheaper in one) still meets the target: each layer is as folded as the target allows."""
    target = 10_000.0
    choice = choose_folding(bnn, ULTRA96, CLOCK_MHZ, target)
    budget = CLOCK_MHZ * 1e6 / target
    rows = {n.name: n for n in choice.estimate.nodes}
    for node in bnn.nodes:
        if node.op not in KEYS:
            continue
        weight = node.params["weight"]
        n_out, fan_in = int(weight.shape[0]), int(np.prod(weight.shape[1:]))
        mine = rows[node.name]
        for fold in _legal_folds(node.op, n_out, fan_in, fan_in):
            other = {k: Folding(**v) for k, v in choice.folding.items()} | {node.name: Folding(**fold)}
            row = next(r for r in estimate(bnn, CLOCK_MHZ, other).nodes if r.name == node.name)
            cheaper = all(getattr(row, r) <= getattr(mine, r) for r in RESOURCES) and any(
                getattr(row, r) < getattr(mine, r) for r in RESOURCES)
            assert not (cheaper and row.cycles <= budget), (node.name, fold, choice.folding[node.name])


def test_max_is_at_least_every_lower_target_and_a_low_target_is_not_max(bnn: ir.Graph) -> None:
    fastest = choose_folding(bnn, ULTRA96, CLOCK_MHZ, None)
    assert fastest.target_fps is None and "stopped at" in fastest.reasons[1]
    for target in (500.0, 10_000.0, 100_000.0, fastest.fps):
        chosen = choose_folding(bnn, ULTRA96, CLOCK_MHZ, target)
        assert target <= chosen.fps <= fastest.fps
    low = choose_folding(bnn, ULTRA96, CLOCK_MHZ, 1_000.0)
    assert low.fps < fastest.fps and low.estimate.total("lut") < fastest.estimate.total("lut")
    assert dict(low.folding) != dict(fastest.folding)


def test_a_smaller_margin_gives_a_smaller_or_slower_design(bnn: ir.Graph) -> None:
    wide = choose_folding(bnn, ULTRA96, CLOCK_MHZ, None, margin=0.7)
    narrow = choose_folding(bnn, ULTRA96, CLOCK_MHZ, None, margin=0.4)
    assert _fits(narrow, 0.4) and narrow.fps <= wide.fps
    assert narrow.margin == 0.4


def test_overrides_are_kept(bnn: ir.Graph, ops: ir.Graph) -> None:
    partial = choose_folding(bnn, ULTRA96, CLOCK_MHZ, 20_000.0, overrides={"layer4_conv": {"pe": 2}})
    assert partial.folding["layer4_conv"]["pe"] == 2 and partial.fps >= 20_000
    full = choose_folding(bnn, ULTRA96, CLOCK_MHZ, None, overrides={"layer1": {"pe": 1, "simd": 16}})
    assert dict(full.folding["layer1"]) == {"pe": 1, "simd": 16}
    assert full.bottleneck == "layer1" and "fixed by its override" in full.reasons[1]
    conv = choose_folding(ops, ULTRA96, CLOCK_MHZ, None, overrides={"conv_a": {"reuse_factor": 5}})
    assert dict(conv.folding["conv_a"]) == {"reuse_factor": 5}


@pytest.mark.parametrize("overrides, layer, text", [
    ({"layer4_conv": {"pe": 3}}, "layer4_conv", "pe 3 must divide the outputs 32"),
    ({"layer8": {"pe": 2}}, "layer8", "unknown keys ['pe']"),
    ({"layer2": {"pe": 2}}, "layer2", "takes no folding"),
    ({"nope": {"pe": 2}}, "nope", "unknown layers ['nope']"),
])
def test_bad_overrides_name_the_layer(bnn: ir.Graph, overrides: dict, layer: str, text: str) -> None:
    with pytest.raises(FoldingError, match=layer) as info:
        choose_folding(bnn, ULTRA96, CLOCK_MHZ, None, overrides=overrides)
    assert info.value.kind == "override" and info.value.layer == layer and text in str(info.value)


def test_an_impossible_target_names_the_bottleneck_and_the_best_fps(bnn: ir.Graph) -> None:
    fastest = choose_folding(bnn, ULTRA96, CLOCK_MHZ, None)
    with pytest.raises(FoldingError) as info:  # beyond the thermometer's one pixel per cycle
        choose_folding(bnn, ULTRA96, CLOCK_MHZ, 2 * fastest.fps)
    error = info.value
    assert error.kind == "target" and error.layer == "layer0" and error.best_fps == fastest.fps
    assert "'layer0' (thermometer) has no folding" in str(error) and "1,562,500 fps" in str(error)
    with pytest.raises(FoldingError) as info:  # the board runs out first
        choose_folding(bnn, ULTRA96, CLOCK_MHZ, 1e6, margin=0.3)
    error = info.value
    assert error.kind == "target" and error.resource == "lut" and error.layer is not None
    assert error.layer.endswith("conv") or error.layer == "layer1"
    assert f"bottleneck {error.layer!r}" in str(error) and "LUT" in str(error) and "30% of 70,560" in str(error)
    assert error.best_fps is not None and error.best_fps < 1e6


def test_a_board_too_small_names_the_resource_and_the_excess(bnn: ir.Graph, jet: ir.Graph) -> None:
    tiny = {**ULTRA96, "lut": 5_000}
    with pytest.raises(FoldingError, match=r"most folded design does not fit: LUT .* over by [\d,]+ LUT") as info:
        choose_folding(bnn, tiny, CLOCK_MHZ, None)
    assert info.value.kind == "fit" and info.value.resource == "lut"
    assert "largest users: " in str(info.value)
    with pytest.raises(FoldingError, match=r"LUT [\d,]+ > 70 allowed \(70% of 100;") as info:
        choose_folding(jet, {**ULTRA96, "lut": 100}, CLOCK_MHZ, None)
    assert "layer0 (dense)" in str(info.value)


def test_the_choice_is_deterministic(bnn: ir.Graph, jet: ir.Graph) -> None:
    for graph in (bnn, jet):
        for target in (None, 3_000.0):
            a = choose_folding(graph, ULTRA96, CLOCK_MHZ, target)
            b = choose_folding(graph, dict(reversed(list(ULTRA96.items()))), CLOCK_MHZ, target)
            assert a.to_json() == b.to_json()
            assert json.loads(json.dumps(a.to_json())) == a.to_json()


def test_bad_arguments(bnn: ir.Graph) -> None:
    for margin in (0.0, 1.5, -0.1):
        with pytest.raises(ValueError, match="margin"):
            choose_folding(bnn, ULTRA96, CLOCK_MHZ, None, margin=margin)
    with pytest.raises(ValueError, match="target_fps"):
        choose_folding(bnn, ULTRA96, CLOCK_MHZ, -5.0)
    with pytest.raises(ValueError, match="bram_18k"):
        choose_folding(bnn, {"lut": 1, "ff": 1, "dsp": 1}, CLOCK_MHZ, None)


# ------------------------------------------------------------------ flow spec
FLOW = """\
name: tiny_fold
board: ultra96v2
dataset: {name: digits}
model: {name: bnn, options: {size: tiny, levels: 16}}
quantization: {scheme: khot, width: 8, k: 2}
export: {test_vectors: 10}
hls: {interface: mm, HLS}
stages: [codegen, estimate]
"""


def _flow(hls: str) -> dict:
    return yaml.safe_load(FLOW.replace("HLS", hls))


def test_spec_defaults_and_values() -> None:
    path = Path("flow.yaml")
    spec = validate_flow(_flow("top: t"), path)
    assert spec.hls.target_fps is None and spec.hls.resource_margin == 0.7
    assert validate_flow(_flow("target_fps: max"), path).hls.target_fps == "max"
    assert validate_flow(_flow("target_fps: 1e4"), path).hls.target_fps == 10_000.0  # YAML: a string
    spec = validate_flow(_flow("target_fps: 2500, resource_margin: 1, parallelism: {layers: {layer1: {pe: 4}}}"), path)
    assert spec.hls.target_fps == 2500.0 and spec.hls.resource_margin == 1.0
    again = validate_flow(yaml.safe_load(flow_to_yaml(spec)), path)  # a run's flow.yaml loads again
    assert again == spec


@pytest.mark.parametrize("hls, field, text", [
    ("target_fps: max, parallelism: {default: {pe: 4}}", "hls.parallelism.default",
     "cannot be set together with hls.target_fps"),
    ("resource_margin: 0", "hls.resource_margin", "greater than 0"),
    ("resource_margin: 1.5", "hls.resource_margin", "less than or equal to 1"),
    ("target_fps: fast", "hls.target_fps", "positive number of frames per second, 'max' or null"),
    ("target_fps: -3", "hls.target_fps", "positive number"),
    ("target_fps: true", "hls.target_fps", "positive number"),
])
def test_spec_errors_name_the_field(hls: str, field: str, text: str) -> None:
    with pytest.raises(FlowError) as info:
        validate_flow(_flow(hls), Path("flow.yaml"))
    message = str(info.value)
    assert f"flow.yaml: {field}" in message and text in message


@pytest.mark.parametrize("name", ["ultra96_bnn", "ultra96_bnn_baseline", "ultra96_bnn_cifar10"])
def test_the_shipped_flows_validate(name: str) -> None:
    path = REPO / "flows" / f"{name}.yaml"
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    spec = load_flow(path)
    assert spec.name == name and spec.board == "ultra96v2" and spec.hls.interface == "mm"
    assert spec.hls.target_fps is not None


def test_the_baseline_is_the_flagship_without_khot() -> None:
    flagship = load_flow(REPO / "flows" / "ultra96_bnn.yaml").model_dump()
    baseline = load_flow(REPO / "flows" / "ultra96_bnn_baseline.yaml").model_dump()
    assert baseline["quantization"]["scheme"] != "khot"  # the trainer builds bnn(k=None)
    for section in ("dataset", "training", "export", "stages", "board"):
        assert baseline[section] == flagship[section], section
    assert baseline["quantization"]["options"] == flagship["quantization"]["options"]
    assert {k: v for k, v in baseline["model"]["options"].items() if k != "scheme"} == flagship["model"]["options"]
    assert {k: v for k, v in baseline["hls"].items() if k != "top"} == {
        k: v for k, v in flagship["hls"].items() if k != "top"}


def test_the_cifar10_flow_reads_a_local_path() -> None:
    spec = load_flow(REPO / "flows" / "ultra96_bnn_cifar10.yaml")
    assert spec.dataset.name == "cifar10" and spec.dataset.path is not None
    assert Path(spec.dataset.path).is_absolute() and spec.model.options["size"] == "cifar"
    assert spec.training.epochs >= 30 and isinstance(spec.hls.target_fps, float)


# ------------------------------------------------------------------ codegen + estimate stages
def _run(tmp_path: Path, bnn_dir: Path, hls: str) -> tuple[int, str, Path]:
    run_dir = tmp_path / "run"
    shutil.copytree(bnn_dir, run_dir / "ir")
    flow = tmp_path / "flow.yaml"
    flow.write_text(FLOW.replace("HLS", hls))
    result = CliRunner().invoke(main, ["run", str(flow), "--run-dir", str(run_dir)])
    return result.exit_code, result.output, run_dir


def test_codegen_records_the_choice_and_estimate_uses_it(tmp_path: Path, bnn_dir: Path) -> None:
    code, output, run_dir = _run(tmp_path, bnn_dir, "target_fps: 50000, parallelism: {layers: {layer1: {simd: 16}}}")
    assert code == 0, output
    record = json.loads((run_dir / "hls" / "folding.json").read_text())
    assert record["source"] == "hls.target_fps" and record["target_fps"] == 50_000.0
    assert record["fps"] >= 50_000 and record["folding"]["layer1"]["simd"] == 16
    assert record["utilisation"]["lut"] <= 0.7 and record["reasons"]
    manifest = json.loads((run_dir / "hls" / "manifest.json").read_text())
    assert manifest["parallelism"] == record["folding"]
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["folding_fps"] == summary["est_fps"] == round(record["fps"], 1)
    assert summary["folding_bottleneck"] == record["bottleneck"]
    assert summary["est_lut"] == record["resources"]["lut"]
    codegen_stage = next(s for s in summary["stages"] if s["name"] == "codegen")
    assert codegen_stage["message"].startswith("folding for 50,000 fps: ")


def test_without_a_target_codegen_and_estimate_share_the_explicit_folding(tmp_path: Path, bnn_dir: Path,
                                                                          bnn: ir.Graph) -> None:
    code, output, run_dir = _run(tmp_path, bnn_dir, "parallelism: {default: {pe: 4, simd: 40}}")
    assert code == 0, output
    record = json.loads((run_dir / "hls" / "folding.json").read_text())
    assert record["source"] == "hls.parallelism"
    assert record["folding"]["layer1"] == {"pe": 4, "simd": 36}  # shrunk to a divisor of 144
    expected = estimate(bnn, CLOCK_MHZ, {k: Folding(**v) for k, v in record["folding"].items()})
    assert json.loads((run_dir / "summary.json").read_text())["est_interval_cycles"] == expected.interval_cycles


def test_an_unreachable_target_fails_the_codegen_stage_naming_the_field(tmp_path: Path, bnn_dir: Path) -> None:
    code, output, run_dir = _run(tmp_path, bnn_dir, "target_fps: 1.0e+8")
    assert code == 1
    summary = json.loads((run_dir / "summary.json").read_text())
    stage = next(s for s in summary["stages"] if s["name"] == "codegen")
    assert stage["status"] == "failed"
    assert stage["message"].startswith("hls.target_fps: target 100,000,000 fps is not reachable")
    assert "'layer0'" in stage["message"]
