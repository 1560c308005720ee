"""Board descriptions (``boards/<name>.yaml``): part, clock, resources, processing system.

A board file is validated by :class:`Board` (unknown keys are errors) and loaded with
:func:`load_board`, by name (``"ultra96v2"`` -> ``boards/ultra96v2.yaml``) or by path.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

#: The repository's ``boards/`` folder (boards are data of the source tree, not of the wheel).
BOARDS_DIR = Path(__file__).resolve().parents[2] / "boards"


class BoardError(ValueError):
    """A board file is missing or invalid.

    Attributes:
        path: the board file.
        problems: one ``field.path: message`` line per invalid field.
    """

    def __init__(self, path: Path, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        super().__init__(f"{path}: " + "; ".join(problems))


class BoardResources(BaseModel):
    """Programmable-logic resources of the board's part (counts of sites)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    lut: int = Field(gt=0, description="6-input LUTs")
    ff: int = Field(gt=0, description="flip-flops")
    dsp: int = Field(ge=0, description="DSP48 slices")
    bram_18k: int = Field(ge=0, description="18 Kb block RAMs")
    uram: int = Field(ge=0, description="288 Kb UltraRAMs (0 on parts without)")


class Board(BaseModel):
    """One FPGA board as the flow, the Vivado block design and the runtime need it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    part: str = Field(min_length=1, description="Vivado part, e.g. xczu3eg-sbva484-1-i")
    board_part: str | None = Field(
        default=None, description="Vivado board part, e.g. avnet.com:ultra96v2:part0:1.2"
    )
    default_clock_mhz: float = Field(gt=0, le=1000, description="default PL clock (MHz)")
    resources: BoardResources
    processing_system: Literal["zynq_ultra_ps_e", "processing_system7"]
    pynq: bool = Field(description="a PYNQ image exists for the board")

    @property
    def default_clock_ns(self) -> float:
        """The default clock period (ns)."""
        return 1000.0 / self.default_clock_mhz


def available_boards(boards_dir: Path = BOARDS_DIR) -> list[str]:
    """Names of the board files in ``boards_dir``, sorted."""
    return sorted(path.stem for path in boards_dir.glob("*.yaml"))


def _board_path(name_or_path: str | Path, boards_dir: Path) -> Path:
    text = str(name_or_path)
    if isinstance(name_or_path, Path) or text.endswith((".yaml", ".yml")) or "/" in text:
        return Path(name_or_path)
    path = boards_dir / f"{text}.yaml"
    if not path.is_file():
        known = ", ".join(available_boards(boards_dir)) or "none"
        raise BoardError(path, [f"no board named {text!r} (boards: {known})"])
    return path


def load_board(name_or_path: str | Path, boards_dir: Path = BOARDS_DIR) -> Board:
    """Load and validate a board by name (a file of ``boards_dir``) or by path.

    Raises:
        BoardError: the file is missing, is not a YAML mapping, or a field is invalid; the
            message names the file and every invalid field with its allowed values.
    """
    path = _board_path(name_or_path, boards_dir)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise BoardError(path, ["board file not found"]) from None
    except yaml.YAMLError as exc:
        raise BoardError(path, [f"not valid YAML ({exc})"]) from None
    if not isinstance(data, dict):
        raise BoardError(path, ["expected a mapping of board fields at the top level"])
    try:
        return Board.model_validate(data)
    except ValidationError as exc:
        problems = [
            f"{'.'.join(str(part) for part in error['loc']) or '<root>'}: {error['msg']}"
            for error in exc.errors()
        ]
        raise BoardError(path, problems) from None
