"""The generated project: golden files, names, templates, files, the mm interface, and the
stream depths checked by the threaded csim (an undersized skip FIFO deadlocks)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from jinja2 import UndefinedError

from codesign import codegen, ir
from codesign.toolchain.csim import CsimDeadlockError, compare_with_ir, csim
from graphs import random_inputs, residual_graph

GOLDEN = Path(__file__).parent / "golden"
SEED = 3


@pytest.fixture(scope="module")
def residual() -> ir.Graph:
    return residual_graph(SEED)


def test_golden_top_and_manifest(residual: ir.Graph, tmp_path: Path) -> None:
    """Regenerate with CODESIGN_UPDATE_GOLDEN=1 after an intended change."""
    project = codegen.generate(residual, tmp_path / "p", top="residual_top", part="xczu3eg-sbva484-1-i",
                               clock_mhz=200.0)
    for rel, golden in (("firmware/residual_top.cpp", "residual_top.cpp"), ("manifest.json", "manifest.json")):
        text = (project.path / rel).read_text()
        if os.environ.get("CODESIGN_UPDATE_GOLDEN"):
            (GOLDEN / golden).write_text(text)
        assert text == (GOLDEN / golden).read_text(), rel


def test_skip_stream_is_deeper_than_the_main_path_line_buffer(residual: ir.Graph, tmp_path: Path) -> None:
    depths = codegen.generate(residual, tmp_path / "p").manifest["stream_depths"]
    # conv2 on the main path buffers (3 - 1) * (6 + 2) + 3 = 19 beats before its first output
    assert depths["act_stream1"] >= 19
    assert depths["act_stream0"] == 2


def test_templates_render_with_strict_undefined() -> None:
    env = codegen.make_environment()
    with pytest.raises(UndefinedError):
        env.get_template("firmware/top.h.j2").render(top="t")


@pytest.mark.parametrize("top", ["bad name", "x; system(\"rm -rf /\")", "int", "a__b", "_Ugly", "1abc",
                                 "act_stream0", "act_t"])
def test_top_name_injection_is_rejected(residual: ir.Graph, top: str, tmp_path: Path) -> None:
    with pytest.raises(codegen.CodegenError):
        codegen.generate(residual, tmp_path / "p", top=top)
    assert not (tmp_path / "p").exists()


def test_node_name_injection_is_rejected() -> None:
    d = residual_graph(SEED).to_dict()
    d["nodes"][1]["name"] = 'act); system("sh"); //'
    d["nodes"][2]["inputs"] = [d["nodes"][1]["name"]]
    with pytest.raises(ir.IRError):
        ir.Graph.from_dict(d, dict(residual_graph(SEED).params))


def test_bad_options_are_rejected(residual: ir.Graph, tmp_path: Path) -> None:
    with pytest.raises(codegen.CodegenError, match="interface"):
        codegen.generate(residual, tmp_path / "p", interface="axi")
    with pytest.raises(codegen.CodegenError, match="unknown keys"):
        codegen.generate(residual, tmp_path / "p", parallelism={"conv1": {"pe": 2}})
    with pytest.raises(codegen.CodegenError, match="unknown layers"):
        codegen.generate(residual, tmp_path / "p", parallelism={"nope": {"reuse_factor": 2}})
    with pytest.raises(codegen.CodegenError, match="names no stream"):
        codegen.generate(residual, tmp_path / "p", stream_depths={"nope": 4})
    with pytest.raises(codegen.CodegenError, match="part"):
        codegen.generate(residual, tmp_path / "p", part='x"; exec')


def test_files_are_rewritten_only_when_changed(residual: ir.Graph, tmp_path: Path) -> None:
    project = codegen.generate(residual, tmp_path / "p")
    stamps = {f: (project.path / f).stat().st_mtime_ns for f in project.files}
    os.utime(project.path / "manifest.json", ns=(1, 1))
    codegen.generate(residual, tmp_path / "p")
    assert (project.path / "manifest.json").stat().st_mtime_ns == 1
    assert {f: (project.path / f).stat().st_mtime_ns for f in project.files if f != "manifest.json"} == {
        f: t for f, t in stamps.items() if f != "manifest.json"}
    manifest = json.loads((project.path / "manifest.json").read_text())
    assert manifest["ir_hash"] == codegen.ir_hash(residual)


def test_mm_interface_csim_equals_ir(residual: ir.Graph, codegen_cache: Path) -> None:
    project = codegen.generate(residual, codegen_cache / "residual_mm", top="residual_mm", interface="mm")
    top = (project.path / "firmware" / "residual_mm.cpp").read_text()
    for pragma in ("m_axi port=in offset=slave bundle=gmem_in", "m_axi port=out offset=slave bundle=gmem_out",
                   "s_axilite port=n", "s_axilite port=return", "#pragma HLS DATAFLOW",
                   "LOOP_TRIPCOUNT min=1 max=1024", "depth=9216"):
        assert pragma in top
    packing = project.manifest["packing"]
    assert packing["input"] == {"lane_bits": 8, "words_per_image": 9}
    report = compare_with_ir(project, residual, random_inputs(residual, 30, SEED)["x"], threaded=True)
    assert report.ok, str(report)


def test_threaded_csim_catches_an_undersized_skip_fifo(residual: ir.Graph, codegen_cache: Path) -> None:
    inputs = random_inputs(residual, 4, SEED)["x"]
    project = codegen.generate(residual, codegen_cache / "residual_tight", top="residual_tight",
                               stream_depths={"act_stream1": 2})
    with pytest.raises(CsimDeadlockError, match="stream 'act_stream1' \\(full, 2/2\\)"):
        csim(project.path, inputs.reshape(4, -1), threaded=True)
    # sequential csim hides the problem
    assert csim(project.path, inputs.reshape(4, -1)).shape == (4, 72)


def test_hls_project_spec_from_the_manifest(residual: ir.Graph, tmp_path: Path) -> None:
    project = codegen.generate(residual, tmp_path / "p", top="res_top", part="xc7z020clg400-1", clock_mhz=125.0)
    spec = codegen.hls_project_spec(project)
    assert spec.top == "res_top" and spec.part == "xc7z020clg400-1" and spec.clock_mhz == 125.0
    assert spec.sources == (project.path / "firmware" / "res_top.cpp",)
    assert spec.testbench == (project.path / "tb" / "tb_res_top.cpp",)
    assert not spec.fabric_arithmetic  # the convolutions have general multipliers
