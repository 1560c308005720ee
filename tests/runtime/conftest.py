"""A tiny ``mm`` run directory (IR, golden vectors, generated project, fake bitstream) and its bundle."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from codesign import ir
from codesign.runtime import Bundle, load_bundle, make_bundle

FAKE_PYNQ = Path(__file__).parent / "fake_pynq"
TOP = "tiny_top"


def tiny_graph() -> ir.Graph:
    """12 inputs ap_fixed<8,3> (two words per image) -> dense -> 3 outputs."""
    w = np.arange(36).reshape(3, 12) % 15 - 7
    return ir.Graph.from_dict({
        "schema_version": 1, "name": "tiny",
        "inputs": [{"name": "x", "shape": [12], "type": "ap_fixed<8,3>"}], "outputs": ["fc"],
        "nodes": [{"op": "dense", "name": "fc", "inputs": ["x"], "shape": [3],
                   "out_type": "ap_fixed<8,3,AP_RND,AP_SAT>", "acc_type": "ap_fixed<24,10>",
                   "params": {"weight": {"type": "ap_fixed<4,1>", "data": w}}}],
    })


def _write_vectors(path: Path, rows: np.ndarray) -> None:
    path.write_text("".join(" ".join(str(int(v)) for v in row) + "\n" for row in rows.reshape(len(rows), -1)))


@pytest.fixture(scope="session")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from codesign.codegen.project import generate

    run = tmp_path_factory.mktemp("run")
    graph = tiny_graph()
    ir.save(graph, None, run / "ir")
    x = np.random.default_rng(0).integers(-128, 128, size=(20, 12))
    y = ir.run(graph, x).outputs["fc"]
    (run / "vectors").mkdir()
    _write_vectors(run / "vectors" / "inputs.txt", x)
    _write_vectors(run / "vectors" / "expected.txt", y)
    _write_vectors(run / "vectors" / "labels.txt", y.argmax(axis=1).reshape(-1, 1))
    generate(graph, run / "hls", top=TOP, interface="mm", max_images=8)
    (run / "bitstream").mkdir()
    (run / "bitstream" / f"{TOP}.bit").write_bytes(b"\x00fake bitstream")
    (run / "bitstream" / f"{TOP}.hwh").write_text(
        '<EDKSYSTEM><SYSTEMINFO ARCH="zynquplus" DEVICE="xczu3eg" PACKAGE="sbva484" SPEEDGRADE="-1"/></EDKSYSTEM>\n')
    return run


@pytest.fixture
def bundle(run_dir: Path, tmp_path: Path) -> Bundle:
    return load_bundle(make_bundle(run_dir, tmp_path / "bundle", board="ultra96v2"))


@pytest.fixture
def fake_pynq(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``import pynq`` find the fake, on an Ultra96-V2."""
    monkeypatch.syspath_prepend(str(FAKE_PYNQ))
    monkeypatch.setenv("BOARD", "Ultra96V2")
    monkeypatch.delitem(__import__("sys").modules, "pynq", raising=False)
