"""Where Xilinx's ap_types headers (ap_fixed.h, ap_int.h, hls_stream.h) live."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

from codesign.toolchain.errors import ToolNotFoundError

_HLS4ML_SUBDIR = ("templates", "vivado", "ap_types")


def _hls4ml_ap_types() -> Path | None:
    """The ap_types directory shipped as package data of the hls4ml wheel (not imported)."""
    spec = importlib.util.find_spec("hls4ml")
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        candidate = Path(location).joinpath(*_HLS4ML_SUBDIR)
        if (candidate / "ap_fixed.h").is_file():
            return candidate
    return None


def ap_types_include() -> Path:
    """The include directory holding ``ap_fixed.h``.

    ``$XILINX_HLS/include`` when XILINX_HLS is set (a Vitis HLS install), else the
    hls4ml wheel's ``templates/vivado/ap_types``.

    Raises:
        ToolNotFoundError: neither exists.
    """
    xilinx_hls = os.environ.get("XILINX_HLS")
    if xilinx_hls:
        candidate = Path(xilinx_hls) / "include"
        if (candidate / "ap_fixed.h").is_file():
            return candidate
        raise ToolNotFoundError(
            f"XILINX_HLS is set to {xilinx_hls!r} but {candidate}/ap_fixed.h does not exist; "
            "fix or unset XILINX_HLS"
        )
    found = _hls4ml_ap_types()
    if found is None:
        raise ToolNotFoundError(
            "Xilinx ap_types headers not found: set XILINX_HLS to a Vitis HLS install, or "
            "`pip install hls4ml` (its wheel ships the headers)"
        )
    return found
