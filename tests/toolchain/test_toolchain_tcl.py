"""TCL quoting filters, the Jinja environment and injection attempts."""

from __future__ import annotations

import tkinter
from pathlib import Path

import jinja2
import pytest

from codesign.flow.board import load_board
from codesign.toolchain.templates import (
    TclValueError,
    render_tcl,
    tcl_environment,
    tcl_name,
    tcl_number,
    tcl_word,
    write_if_changed,
)
from codesign.toolchain.vitis import HlsProjectSpec, IpMetadata, render_vitis_script
from codesign.toolchain.vivado import VivadoBdSpec

INJECTIONS = [
    "x; exec rm -rf ~",
    "[exec rm -rf ~]",
    "/tmp/[exec touch pwned]/top.cpp",
    "$env(HOME)",
    "a}b",
    "a{b",
    "} ; exec rm -rf ~ ; {",
    "a\\",
    "line\nexec rm -rf ~",
    'quote"d',
    "# comment",
    "nul\x00",
    "",
]


@pytest.mark.parametrize("value", INJECTIONS)
def test_tcl_word_rejects(value: str) -> None:
    with pytest.raises(TclValueError):
        tcl_word(value)


@pytest.mark.parametrize("value", ["x; exec rm -rf ~", "1top", "a-b", "top name", "", "a.b"])
def test_tcl_name_rejects(value: str) -> None:
    with pytest.raises(TclValueError):
        tcl_name(value)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), 0, -3.0, "10", True, None])
def test_tcl_number_rejects(value: object) -> None:
    with pytest.raises(TclValueError):
        tcl_number(value)


def test_tcl_number_format() -> None:
    assert [tcl_number(v) for v in (10.0, 3.333, 100, 2.5)] == ["10", "3.333", "100", "2.5"]


@pytest.mark.parametrize(
    "path",
    ["/tmp/my dir (1)/top.cpp", "/tmp/it's/a&b|c<d>*?~%!@^=+,.cpp", "/tmp/ünïcode/x.cpp"],
)
def test_brace_quoted_words_are_inert(path: str) -> None:
    """A real Tcl interpreter receives the value verbatim, as one word."""
    tcl = tkinter.Tcl()
    received: list[tuple[str, ...]] = []
    tcl.createcommand("add_files", lambda *args: received.append(args) or "")
    tcl.eval(f"add_files {tcl_word(path)} -cflags {tcl_word('-std=c++14 -I/x y')}")
    assert received == [(path, "-cflags", "-std=c++14 -I/x y")]


def _spec(**overrides: object) -> HlsProjectSpec:
    values: dict[str, object] = {
        "top": "mlp_top", "sources": (Path("/p/top.cpp"),), "part": "xczu3eg-sbva484-1-i",
        "clock_mhz": 100.0,
    }
    values.update(overrides)
    return HlsProjectSpec(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "overrides",
    [
        {"top": "x; exec rm -rf ~"},
        {"top": "top[exec ls]"},
        {"sources": (Path("/tmp/[exec touch pwned]/top.cpp"),)},
        {"testbench": (Path("/tmp/$HOME/tb.cpp"),)},
        {"vectors": (Path("/tmp/a}b.txt"),)},
        {"include_dirs": (Path("/tmp/with space"),)},
        {"cflags": ("-DX=$(rm -rf ~)",)},
        {"cflags": ("-O2 -DX",)},
        {"testbench_argv": ("in.txt; exec rm -rf ~",)},
        {"part": "xczu3eg}; exec rm -rf ~; {"},
        {"clock_mhz": float("nan")},
        {"clock_mhz": -100.0},
        {"project_name": "../escape"},
        {"solution": "sol 1"},
        {"sources": ()},
    ],
)
def test_hls_spec_rejects_injection(overrides: dict[str, object]) -> None:
    with pytest.raises((TclValueError, ValueError)):
        _spec(**overrides)


@pytest.mark.parametrize("field", ["vendor", "library", "version"])
def test_ip_metadata_rejects_injection(field: str) -> None:
    with pytest.raises(TclValueError):
        IpMetadata(**{field: "a:b; exec rm -rf ~"})


@pytest.mark.parametrize(
    "overrides",
    [
        {"top": "t; exec rm -rf ~"},
        {"ip_repo": Path("/tmp/[exec rm -rf ~]")},
        {"m_axi_ports": ("m_axi_gmem]",)},
        {"s_axilite_port": "s_axi_control; exit"},
        {"clock_mhz": 0.0},
        {"jobs": 0},
    ],
)
def test_vivado_spec_rejects_injection(overrides: dict[str, object]) -> None:
    values: dict[str, object] = {"top": "t", "ip_repo": Path("/ip"),
                                 "board": load_board("ultra96v2"), "clock_mhz": 100.0}
    values.update(overrides)
    with pytest.raises((TclValueError, ValueError)):
        VivadoBdSpec(**values)  # type: ignore[arg-type]


def test_vivado_spec_rejects_malicious_board_part() -> None:
    board = load_board("pynq_z2").model_copy(update={"board_part": "x} ; exec rm -rf ~ ; {"})
    with pytest.raises(TclValueError):
        VivadoBdSpec(top="t", ip_repo=Path("/ip"), board=board, clock_mhz=100.0)


def test_strict_undefined() -> None:
    with pytest.raises(jinja2.UndefinedError):
        render_tcl("vitis_hls.tcl.j2", {"top": "x"})
    env = tcl_environment()
    assert env.undefined is jinja2.StrictUndefined and env.trim_blocks and env.lstrip_blocks
    assert env.keep_trailing_newline


def test_steps_are_validated() -> None:
    with pytest.raises(ValueError, match="subset"):
        render_vitis_script(_spec(), {"csynth", "bitstream"}, "x.tcl")
    with pytest.raises(ValueError):
        render_vitis_script(_spec(), set(), "x.tcl")


def test_write_if_changed(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "run.tcl"
    assert write_if_changed(path, "exit\n")
    stamp = path.stat().st_mtime_ns
    assert not write_if_changed(path, "exit\n")
    assert path.stat().st_mtime_ns == stamp
    assert write_if_changed(path, "csynth_design\nexit\n")
    assert path.read_text() == "csynth_design\nexit\n"
    assert [p.name for p in path.parent.iterdir()] == ["run.tcl"]
