"""codesign.toolchain.csim: vector files, cached testbench builds, and the comparison with
ir.run naming the first mismatching output."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from codesign import codegen, ir
from codesign.toolchain.csim import build_testbench, compare_with_ir, csim, predict, read_vectors, write_vectors


def dense_graph(bias: list[int]) -> ir.Graph:
    weight = np.array([[3, -5, 7, 1], [-8, 2, 0, 4]], dtype=np.int64)
    return ir.Graph.from_dict({
        "schema_version": 1, "name": "tiny",
        "inputs": [{"name": "x", "shape": [4], "type": "ap_fixed<6,2>"}],
        "outputs": ["fc"],
        "nodes": [{"op": "dense", "name": "fc", "inputs": ["x"], "shape": [2],
                   "out_type": "ap_fixed<6,3,AP_RND,AP_SAT>", "acc_type": "ap_fixed<24,10>",
                   "params": {"weight": {"type": "ap_fixed<5,1>", "data": weight},
                              "bias": {"type": "ap_fixed<6,2>", "data": np.array(bias, dtype=np.int64)}}}],
    })


@pytest.fixture(scope="module")
def project(request: pytest.FixtureRequest) -> codegen.Project:
    cache = Path(request.config.cache.mkdir("csim_tiny"))
    return codegen.generate(dense_graph([1, -2]), cache / "tiny", top="tiny_top")


def test_vectors_round_trip(tmp_path: Path) -> None:
    rows = np.array([[1, -2, 3], [-(2**40), 0, 5]], dtype=np.int64)
    write_vectors(tmp_path / "v.txt", rows)
    assert (tmp_path / "v.txt").read_text().splitlines()[0] == "1 -2 3"
    assert np.array_equal(read_vectors(tmp_path / "v.txt"), rows)


def test_csim_equals_ir_and_builds_once(project: codegen.Project) -> None:
    graph = dense_graph([1, -2])
    x = np.random.default_rng(0).integers(-32, 32, size=(50, 4))
    report = compare_with_ir(project, graph, x)
    assert report.ok, str(report)
    exe = build_testbench(project.path)
    stamp = exe.stat().st_mtime_ns
    assert csim(project.path, x).shape == (50, 2)
    assert exe.stat().st_mtime_ns == stamp  # unchanged sources: no rebuild


def test_compare_names_the_first_mismatch(project: codegen.Project) -> None:
    other = dense_graph([1, 5])  # the second output's bias differs
    x = np.zeros((3, 4), dtype=np.int64)
    report = compare_with_ir(project, other, x)
    assert not report.ok
    assert report.mismatch is not None and report.mismatch[:3] == (0, "fc", 1)
    assert "sample 0, output 'fc' index 1" in str(report)


def test_predict_through_ctypes_equals_csim(project: codegen.Project) -> None:
    x = np.random.default_rng(1).integers(-32, 32, size=(40, 4))
    assert np.array_equal(predict(project.path, x), csim(project.path, x))


def test_taps_name_the_first_differing_layer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A code generator bug in one layer (its bias off by one LSB) is located by the taps."""
    from dataclasses import replace

    from codesign.codegen import emitters, project as project_module

    d = dense_graph([1, -2]).to_dict()
    d["nodes"].append({"op": "relu", "name": "act", "inputs": ["fc"], "shape": [2],
                       "out_type": "ap_fixed<6,3,AP_RND,AP_SAT>"})
    d["outputs"] = ["act"]
    graph = ir.Graph.from_dict(d, dict(dense_graph([1, -2]).params))

    def buggy_dense(e: emitters.EmitInput) -> object:
        params = dict(e.params)
        params["bias"] = params["bias"] + 1
        return emitters.emit_dense(replace(e, params=params))

    monkeypatch.setattr(project_module, "EMITTERS", {**project_module.EMITTERS, "dense": buggy_dense})
    buggy = codegen.generate(graph, tmp_path / "buggy", top="buggy_top")
    x = np.full((2, 4), 5, dtype=np.int64)
    report = compare_with_ir(buggy, graph, x, taps_dir=tmp_path / "taps")
    assert not report.ok
    assert report.first_layer == "fc", str(report)
    assert "first differing layer: 'fc'" in str(report)
