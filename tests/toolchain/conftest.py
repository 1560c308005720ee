"""Fixtures of the tool-driver tests: fake vendor tools on PATH and a small HLS project."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

pytest.importorskip("tkinter", reason="the fake vendor tools evaluate TCL with tkinter")

from fake_xilinx import install_fake_tools  # noqa: E402

GOLDEN = Path(__file__).resolve().parent / "golden"


@dataclass(frozen=True)
class FakeTools:
    """Fake tools installed on PATH; ``configure`` sets what they pretend and expect."""

    bin_dir: Path
    calls_file: Path
    monkeypatch: pytest.MonkeyPatch

    def configure(self, *, version: str = "2023.2", mode: str = "ok", **env: str) -> None:
        """Set the fakes' version, mode and other FAKE_XILINX_<NAME> variables."""
        self.monkeypatch.setenv("FAKE_XILINX_VERSION", version)
        self.monkeypatch.setenv("FAKE_XILINX_MODE", mode)
        for name, value in env.items():
            self.monkeypatch.setenv(f"FAKE_XILINX_{name.upper()}", value)

    def expect(self, **values: object) -> None:
        """What the script must say (part, period_ns, top, board_part, ps, clock_mhz)."""
        self.monkeypatch.setenv("FAKE_XILINX_EXPECT", json.dumps(values))

    def calls(self) -> list[dict]:
        """Every fake invocation so far: {tool, argv, commands}."""
        if not self.calls_file.is_file():
            return []
        return [json.loads(line) for line in self.calls_file.read_text().splitlines()]

    def runs(self) -> list[dict]:
        """The invocations that ran a script (not version queries)."""
        return [c for c in self.calls() if c["commands"]]


def _fake_tools(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tools: tuple[str, ...]
) -> FakeTools:
    bin_dir = install_fake_tools(tmp_path / "fakebin", tools)
    monkeypatch.setenv("PATH", str(bin_dir))
    for var in ("XILINX_HLS", "XILINX_VITIS", "XILINX_VIVADO"):
        monkeypatch.delenv(var, raising=False)
    for var in [v for v in os.environ if v.startswith("FAKE_XILINX_")]:
        monkeypatch.delenv(var)
    calls = tmp_path / "calls.jsonl"
    monkeypatch.setenv("FAKE_XILINX_CALLS", str(calls))
    fake = FakeTools(bin_dir, calls, monkeypatch)
    fake.configure()
    return fake


@pytest.fixture
def fake_tools(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeTools:
    """vitis_hls, vitis-run and vivado fakes, alone on PATH."""
    return _fake_tools(tmp_path, monkeypatch, ("vitis_hls", "vitis-run", "vivado"))


@pytest.fixture
def make_fake_tools(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Install only some of the fakes: ``make_fake_tools(("vitis-run",))``."""
    return lambda tools: _fake_tools(tmp_path, monkeypatch, tools)


@dataclass(frozen=True)
class SmallProject:
    """Files of a small generated HLS project."""

    root: Path
    sources: tuple[Path, ...]
    include_dirs: tuple[Path, ...]
    testbench: tuple[Path, ...]
    vectors: tuple[Path, ...]


@pytest.fixture
def small_project(tmp_path: Path) -> SmallProject:
    """firmware/top.cpp + top.h, tb/tb.cpp and two vector files."""
    root = tmp_path / "hls"
    firmware, tb = root / "firmware", root / "tb"
    firmware.mkdir(parents=True)
    tb.mkdir()
    (firmware / "top.h").write_text("void mlp_top(const int* in, int* out, int n);\n")
    (firmware / "top.cpp").write_text('#include "top.h"\nvoid mlp_top(const int* in, int* out, '
                                      "int n) { for (int i = 0; i < n; ++i) out[i] = in[i]; }\n")
    (tb / "tb.cpp").write_text('#include "top.h"\nint main(int argc, char** argv) { return 0; }\n')
    (tb / "in.txt").write_text("1 2 3\n")
    (tb / "out.txt").write_text("1 2 3\n")
    return SmallProject(root, (firmware / "top.cpp",), (firmware,), (tb / "tb.cpp",),
                        (tb / "in.txt", tb / "out.txt"))


def _check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("CODESIGN_UPDATE_GOLDEN") == "1":
        path.write_text(text)
    assert path.is_file(), f"missing golden file {path} (run with CODESIGN_UPDATE_GOLDEN=1)"
    assert text == path.read_text(), f"{name} differs from its golden file"


@pytest.fixture
def golden():
    """``golden(name, text)``: compare ``text`` with ``golden/<name>``; CODESIGN_UPDATE_GOLDEN=1
    rewrites the file instead."""
    return _check_golden
