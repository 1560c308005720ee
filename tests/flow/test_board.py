"""Board files: the three shipped boards load with DESIGN.md's figures; bad files name the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from codesign.flow.board import BOARDS_DIR, Board, BoardError, available_boards, load_board

GOOD = """\
name: test_board
part: xc7z020clg400-1
default_clock_mhz: 125
resources: {lut: 53200, ff: 106400, dsp: 220, bram_18k: 280, uram: 0}
processing_system: processing_system7
pynq: false
"""


def test_shipped_boards() -> None:
    assert available_boards() == ["pynq_z2", "ultra96v2", "zcu104"]
    u96 = load_board("ultra96v2")
    assert (u96.name, u96.part, u96.board_part) == (
        "ultra96v2", "xczu3eg-sbva484-1-i", "avnet.com:ultra96v2:part0:1.2")
    r = u96.resources
    assert (r.lut, r.ff, r.dsp, r.bram_18k, r.uram) == (70560, 141120, 360, 432, 0)
    assert u96.processing_system == "zynq_ultra_ps_e" and u96.pynq is True
    assert u96.default_clock_mhz == 100.0 and u96.default_clock_ns == 10.0
    z2 = load_board("pynq_z2")
    assert (z2.part, z2.board_part, z2.processing_system) == (
        "xc7z020clg400-1", "tul.com.tw:pynq-z2:part0:1.0", "processing_system7")
    r = z2.resources
    assert (r.lut, r.ff, r.dsp, r.bram_18k, r.uram) == (53200, 106400, 220, 280, 0)
    zcu = load_board(BOARDS_DIR / "zcu104.yaml")
    assert (zcu.part, zcu.board_part) == ("xczu7ev-ffvc1156-2-e", "xilinx.com:zcu104:part0:1.1")
    r = zcu.resources
    assert (r.lut, r.ff, r.dsp, r.bram_18k, r.uram) == (230400, 460800, 1728, 624, 96)


def test_load_by_path_and_board_is_frozen(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(GOOD)
    board = load_board(str(path))
    assert isinstance(board, Board) and board.board_part is None and board.default_clock_mhz == 125
    with pytest.raises(Exception, match="frozen"):
        board.part = "other"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("old", "new", "field", "message"),
    [
        ("pynq: false", "pynq: false\ncolour: red", "colour", "Extra inputs are not permitted"),
        ("processing_system: processing_system7", "processing_system: ps8",
         "processing_system", "'zynq_ultra_ps_e' or 'processing_system7'"),
        ("dsp: 220", "dsp: -1", "resources.dsp", "greater than or equal to 0"),
        ("lut: 53200, ", "", "resources.lut", "Field required"),
        ("default_clock_mhz: 125", "default_clock_mhz: fast", "default_clock_mhz", "valid number"),
    ],
)
def test_bad_field_is_named(tmp_path: Path, old: str, new: str, field: str, message: str) -> None:
    path = tmp_path / "bad.yaml"
    assert old in GOOD
    path.write_text(GOOD.replace(old, new))
    with pytest.raises(BoardError) as info:
        load_board(path)
    assert info.value.path == path
    assert any(p.startswith(f"{field}: ") and message in p for p in info.value.problems), (
        info.value.problems)
    assert str(path) in str(info.value)


def test_unknown_name_lists_boards(tmp_path: Path) -> None:
    with pytest.raises(BoardError, match=r"no board named 'zedboard' \(boards: pynq_z2, ultra96v2"):
        load_board("zedboard")


@pytest.mark.parametrize(
    ("text", "message"),
    [("- a\n- b\n", "expected a mapping"), ("name: [unclosed\n", "not valid YAML")],
)
def test_not_a_mapping_or_not_yaml(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "b.yaml"
    path.write_text(text)
    with pytest.raises(BoardError, match=message):
        load_board(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(BoardError, match="board file not found"):
        load_board(tmp_path / "none.yaml")
