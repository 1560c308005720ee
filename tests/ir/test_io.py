"""save/load round trips, atomic replacement, and the import-without-torch guarantee."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from codesign import ir
from irgraphs import demo_model


def demo_graph(seed: int = 0) -> ir.Graph:
    model, arrays = demo_model(seed)
    return ir.Graph.from_dict(model, arrays)


def test_round_trip_preserves_graph_params_and_results(tmp_path: Path) -> None:
    g = demo_graph()
    ir.save(g, None, tmp_path / "ir")
    loaded = ir.load(tmp_path / "ir")
    assert loaded == g
    assert loaded.to_dict() == g.to_dict()
    assert set(loaded.params) == set(g.params)
    for key in g.params:
        np.testing.assert_array_equal(loaded.params[key], g.params[key])
    x = np.random.default_rng(1).integers(0, 256, size=(3, 2, 6, 6))
    for name, value in ir.run(g, x).taps.items():
        np.testing.assert_array_equal(ir.run(loaded, x).taps[name], value)


def test_file_format_matches_the_doc(tmp_path: Path) -> None:
    ir.save(demo_graph(), None, tmp_path / "ir")
    model = json.loads((tmp_path / "ir" / "model.json").read_text())
    assert model["schema_version"] == 1
    assert model["nodes"][1]["params"]["weight"] == {"type": "binary", "shape": [3, 4, 3, 3]}
    with np.load(tmp_path / "ir" / "tensors.npz") as npz:
        assert npz["bconv.weight"].dtype == np.int8
        assert npz["bn.scale"].dtype == np.int64
        assert npz["gap.reciprocal"].shape == ()


def test_save_replaces_an_existing_ir_and_leaves_no_temporaries(tmp_path: Path) -> None:
    target = tmp_path / "ir"
    ir.save(demo_graph(0), None, target)
    g1 = demo_graph(1)
    ir.save(g1, None, target)
    np.testing.assert_array_equal(ir.load(target).params["fc.weight"], g1.params["fc.weight"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ir"]
    assert sorted(p.name for p in target.iterdir()) == ["model.json", "tensors.npz"]


def test_save_refuses_a_directory_with_other_files(tmp_path: Path) -> None:
    (tmp_path / "ir").mkdir()
    (tmp_path / "ir" / "notes.txt").write_text("mine")
    with pytest.raises(ir.IRError, match="notes.txt"):
        ir.save(demo_graph(), None, tmp_path / "ir")
    assert (tmp_path / "ir" / "notes.txt").read_text() == "mine"


def test_save_with_params_validates_them(tmp_path: Path) -> None:
    g = demo_graph()
    params = dict(g.params)
    params["bn.scale"] = np.array([100, 0, 0])
    with pytest.raises(ir.IRError, match="bn.scale"):
        ir.save(g, params, tmp_path / "ir")
    assert not (tmp_path / "ir").exists()


@pytest.mark.parametrize("missing", ["model.json", "tensors.npz"])
def test_load_names_a_missing_file(tmp_path: Path, missing: str) -> None:
    ir.save(demo_graph(), None, tmp_path / "ir")
    (tmp_path / "ir" / missing).unlink()
    with pytest.raises(ir.IRError, match=missing):
        ir.load(tmp_path / "ir")


def test_load_refuses_pickled_arrays(tmp_path: Path) -> None:
    ir.save(demo_graph(), None, tmp_path / "ir")
    with np.load(tmp_path / "ir" / "tensors.npz") as npz:
        arrays = {k: npz[k] for k in npz.files}
    arrays["bn.scale"] = np.array([1, 2, 3], dtype=object)
    np.savez(tmp_path / "ir" / "tensors.npz", **arrays)
    with pytest.raises(ir.IRError, match="tensors.npz"):
        ir.load(tmp_path / "ir")


def test_import_without_torch_jinja2_pandas() -> None:
    """codesign.ir (and the IR round trip) works in a process where those imports fail."""
    script = textwrap.dedent("""
        import sys, tempfile
        import numpy as np

        class Block:
            BLOCKED = ("torch", "jinja2", "pandas")
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in self.BLOCKED:
                    raise ImportError(f"blocked import of {name}")
                return None

        sys.meta_path.insert(0, Block())
        from codesign import ir
        from codesign.fixed.rawcast import cast_raw
        sys.path.insert(0, sys.argv[1])
        from irgraphs import demo_model
        model, arrays = demo_model()
        g = ir.Graph.from_dict(model, arrays)
        with tempfile.TemporaryDirectory() as d:
            ir.save(g, None, d + "/ir")
            out = ir.run(ir.load(d + "/ir"), np.zeros((1, 2, 6, 6), dtype=np.int64)).outputs
        assert set(out) == {"fc", "bfc", "gap"}
        leaked = sorted(m for m in sys.modules if m.split(".")[0] in Block.BLOCKED)
        assert not leaked, leaked
        print("ok")
    """)
    tests_ir = str(Path(__file__).parent)
    root = str(Path(__file__).parents[2])
    proc = subprocess.run([sys.executable, "-c", script, tests_ir], capture_output=True, text=True,
                          cwd=root, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"
