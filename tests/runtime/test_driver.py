"""Bundle, driver and emulated device against the fake pynq; clear errors on every failure path."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from codesign.runtime import (
    Accelerator,
    AcceleratorError,
    AcceleratorTimeout,
    Bundle,
    BundleError,
    EmulatedDevice,
    check,
    emulate,
    load_bundle,
    make_bundle,
    open_board,
)
from codesign.runtime.__main__ import main
from codesign.runtime.bundle import header_register_offsets, vitis_register_offsets

TOP = "tiny_top"  # the conftest run directory's top

REPO = Path(__file__).resolve().parents[2]


def test_register_offsets_follow_vitis_rule(bundle: Bundle) -> None:
    assert vitis_register_offsets() == {"in": 0x10, "out": 0x1C, "n": 0x28}
    assert dict(bundle.manifest.registers) == {"control": 0, "gie": 4, "ier": 8, "isr": 0xC,
                                               "in": 0x10, "out": 0x1C, "n": 0x28}
    assert bundle.manifest.register_source.startswith("computed")


def test_driver_header_overrides_offsets(run_dir: Path, tmp_path: Path) -> None:
    header = ("#define XTINY_TOP_CONTROL_ADDR_AP_CTRL 0x00\n#define XTINY_TOP_CONTROL_ADDR_IN_R_DATA 0x20\n"
              "#define XTINY_TOP_CONTROL_ADDR_OUT_R_DATA 0x2c\n#define XTINY_TOP_CONTROL_ADDR_N_DATA 0x38\n")
    assert header_register_offsets(header, TOP) == {"in": 0x20, "out": 0x2C, "n": 0x38}
    run = tmp_path / "run"
    shutil.copytree(run_dir, run)
    (run / "synth" / "drivers").mkdir(parents=True)
    (run / "synth" / "drivers" / f"x{TOP}_hw.h").write_text(header)
    manifest = load_bundle(make_bundle(run, tmp_path / "b")).manifest
    assert (manifest.registers["in"], manifest.registers["n"]) == (0x20, 0x38)
    assert "x" + TOP + "_hw.h" in manifest.register_source


def test_bundle_layout_and_tarball(bundle: Bundle) -> None:
    names = {str(p.relative_to(bundle.path)) for p in bundle.path.rglob("*") if p.is_file()}
    assert names == {"manifest.json", "ir/model.json", "ir/tensors.npz", "vectors/inputs.txt",
                     "vectors/expected.txt", "vectors/labels.txt", "hls/manifest.json",
                     f"bitstream/{TOP}.bit", f"bitstream/{TOP}.hwh"}
    raw = bundle.manifest.raw
    assert raw["buffers"]["input"] == {"name": "x", "shape": [12], "type": "ap_fixed<8,3>", "port": "x_mmin",
                                       "dtype": "uint64", "lane_bits": 8, "words_per_image": 2}
    assert raw["ip_name"] == f"{TOP}_0" and raw["part"] == "xczu3eg-sbva484-1-i" and raw["max_images"] == 8
    tarball = bundle.path.parent / "bundle.tar.gz"
    assert load_bundle(tarball, bundle.path.parent / "unpacked").manifest.files == bundle.manifest.files


def test_emulated_check_passes_bit_for_bit(bundle: Bundle, tmp_path: Path) -> None:
    device = emulate(bundle)
    result = check(bundle, Accelerator(device, bundle.manifest), device_kind="emulated", out=tmp_path / "r.json")
    assert result.passed and result.mismatches == 0 and result.samples == 20
    assert result.accuracy == 1.0 and [t.batch for t in result.timings] == [1, 2, 4, 8]
    assert device.starts >= 3  # 20 samples in starts of at most 8 images
    assert json.loads((tmp_path / "r.json").read_text())["passed"] is True


def test_mismatch_reports_first_index_and_raw_values(bundle: Bundle) -> None:
    device = emulate(bundle)
    backend = device.backend

    def flip_low_bit(raw: np.ndarray) -> np.ndarray:
        out = np.array(backend(raw))
        out[:, 1] ^= 1
        return out

    device.backend = flip_low_bit
    result = check(bundle, Accelerator(device, bundle.manifest), repeats=1)
    expected = bundle.vectors("expected")
    assert not result.passed and result.mismatches == 20
    assert result.first_mismatch == {"sample": 0, "value": 1, "expected": int(expected[0, 1]),
                                     "got": int(expected[0, 1]) ^ 1}


def test_board_path_with_fake_pynq(bundle: Bundle, fake_pynq: None, tmp_path: Path) -> None:
    result = check(bundle, open_board(bundle), out=tmp_path / "board.json")
    assert result.passed and result.device == "board"


class NeverDone(EmulatedDevice):
    """A device whose start is ignored: ap_done never comes."""

    def start(self) -> None:
        self.starts += 1


def test_timeout(bundle: Bundle) -> None:
    device = NeverDone(bundle.manifest, lambda raw: raw)
    with pytest.raises(AcceleratorTimeout, match="no ap_done within 0.05 s"):
        Accelerator(device, bundle.manifest, timeout_s=0.05).run(bundle.vectors("inputs")[:2])


def test_corrupted_bundle_names_the_file(bundle: Bundle) -> None:
    expected = bundle.path / "vectors" / "expected.txt"
    expected.write_text(expected.read_text().replace("\n", " \n", 1))
    with pytest.raises(BundleError, match=r"vectors/expected.txt: checksum mismatch"):
        load_bundle(bundle.path)


def test_wrong_bundle_version(bundle: Bundle) -> None:
    path = bundle.path / "manifest.json"
    data = json.loads(path.read_text())
    data["bundle_version"] = 99
    path.write_text(json.dumps(data))
    with pytest.raises(BundleError, match="bundle version 99"):
        load_bundle(bundle.path)


def test_bundle_for_another_board(bundle: Bundle, fake_pynq: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOARD", "Pynq-Z2")
    with pytest.raises(BundleError, match="for board 'ultra96v2', this is 'Pynq-Z2'"):
        open_board(bundle)


def test_hwh_for_another_part(run_dir: Path, tmp_path: Path, fake_pynq: None) -> None:
    run = tmp_path / "run"
    shutil.copytree(run_dir, run)
    (run / "bitstream" / f"{TOP}.hwh").write_text('<EDKSYSTEM><SYSTEMINFO DEVICE="xc7z020"/></EDKSYSTEM>')
    with pytest.raises(BundleError, match="device 'xc7z020'"):
        open_board(load_bundle(make_bundle(run, tmp_path / "b", board="ultra96v2")))


def test_wrong_ip_name(bundle: Bundle, fake_pynq: None) -> None:
    with pytest.raises(AcceleratorError, match=r"no IP named 'accel_0' \(HLS IPs in it: \['tiny_top_0'\]"):
        open_board(bundle, ip_name="accel_0")


def test_cli_emulate(bundle: Bundle, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(bundle.path.parent / "bundle.tar.gz"), "--emulate", "--out", str(tmp_path / "o.json")]) == 0
    assert capsys.readouterr().out.startswith("PASS (emulated): 20 samples, 0 mismatching values")
    bad = tmp_path / "missing"
    assert main([str(bad), "--emulate", "--out", str(tmp_path / "o.json")]) == 2


BLOCKER = """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("torch", "jinja2", "pandas", "yaml", "pydantic"):
            raise ImportError(f"blocked: {name}")
        return None
sys.meta_path.insert(0, Block())
from codesign.runtime.__main__ import main
code = main([sys.argv[1], "--emulate", "--out", sys.argv[2]])
heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("torch", "jinja2", "pandas"))
other = sorted(m for m in sys.modules if m.startswith("codesign.") and
               not m.startswith(("codesign.runtime", "codesign.ir", "codesign.fixed")))
print("heavy", heavy, "other", other)
sys.exit(code if not heavy and not other else 3)
"""


def test_runtime_runs_with_torch_jinja2_pandas_blocked(bundle: Bundle, tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-c", BLOCKER, str(bundle.path), str(tmp_path / "o.json")],
                          capture_output=True, text=True, env=env, timeout=60, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "heavy [] other []" in proc.stdout
