"""Discovery of the AMD/Xilinx tools (``vitis_hls``, ``vitis-run``, ``vivado``) and their versions.

A tool is looked up on PATH first, then in the ``bin/`` folder of its install variable
(``$XILINX_HLS`` for ``vitis_hls``, ``$XILINX_VITIS`` / ``$XILINX_HLS`` for ``vitis-run``,
``$XILINX_VIVADO`` for ``vivado``). Versions come from the tool itself (``vitis_hls -version``
prints "Vitis HLS - High-Level Synthesis from C, C++ and OpenCL v2023.2 (64-bit)", ``vivado
-version`` prints "vivado v2022.2 (64-bit)"), or, for ``vitis-run``, from its install path
(``.../2025.1/...``) before asking it.

Which HLS command runs a TCL script depends on the release: ``vitis_hls -f script.tcl`` up to
2024.1; from 2024.2 ``vitis_hls`` is deprecated (and from 2025.1 gone) and the script runs with
``vitis-run --mode hls --tcl script.tcl``, which exists since 2023.2.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from codesign.toolchain.errors import ToolNotFoundError
from codesign.toolchain.process import run_process

VITIS_HLS = "vitis_hls"
VITIS_RUN = "vitis-run"
VIVADO = "vivado"

#: Install variables whose ``bin/`` folder holds each tool, in lookup order.
_INSTALL_VARS: dict[str, tuple[str, ...]] = {
    VITIS_HLS: ("XILINX_HLS",),
    VITIS_RUN: ("XILINX_VITIS", "XILINX_HLS"),
    VIVADO: ("XILINX_VIVADO",),
}
_HINTS: dict[str, str] = {
    VITIS_HLS: "set XILINX_HLS or source settings64.sh",
    VITIS_RUN: "set XILINX_VITIS or source settings64.sh",
    VIVADO: "set XILINX_VIVADO or source settings64.sh",
}
_VERSION = re.compile(r"\bv?(20\d\d)\.(\d)(?:\.(\d+))?\b")
_VERSION_TIMEOUT_S = 120.0


@dataclass(frozen=True, order=True)
class ToolVersion:
    """A release such as 2023.2 (``update`` is the ``.N`` of 2023.2.2, 0 when absent)."""

    year: int
    release: int
    update: int = 0

    def __str__(self) -> str:
        base = f"{self.year}.{self.release}"
        return f"{base}.{self.update}" if self.update else base


#: First release where ``vitis_hls`` is deprecated in favour of ``vitis-run --mode hls --tcl``.
VITIS_RUN_FROM = ToolVersion(2024, 2)


@dataclass(frozen=True)
class HlsInvocation:
    """How to run a Vitis HLS TCL script: the tool, its version and the argv before the script."""

    tool: str
    path: Path
    version: ToolVersion | None

    def argv(self, script: Path) -> list[str]:
        """The full command line that runs ``script``."""
        if self.tool == VITIS_RUN:
            return [str(self.path), "--mode", "hls", "--tcl", str(script)]
        return [str(self.path), "-f", str(script)]


def parse_version(text: str) -> ToolVersion | None:
    """The first ``YYYY.N[.U]`` release in ``text`` (a ``-version`` banner or a path)."""
    match = _VERSION.search(text)
    if match is None:
        return None
    return ToolVersion(int(match[1]), int(match[2]), int(match[3] or 0))


def which(tool: str) -> Path | None:
    """``tool`` on PATH, else in ``bin/`` of its install variable; None when absent."""
    found = shutil.which(tool)
    if found:
        return Path(found)
    for var in _INSTALL_VARS.get(tool, ()):
        root = os.environ.get(var)
        if root:
            candidate = Path(root) / "bin" / tool
            if candidate.is_file() and os.access(candidate, os.X_OK):
                return candidate
    return None


def find_tool(tool: str) -> Path:
    """Like :func:`which`, but a missing tool is an error.

    Raises:
        ToolNotFoundError: "<tool> not found on PATH (set XILINX_... or source settings64.sh)".
    """
    found = which(tool)
    if found is None:
        hint = _HINTS.get(tool, "source settings64.sh")
        raise ToolNotFoundError(f"{tool} not found on PATH ({hint})")
    return found


def detect_version(path: Path, *, log_path: Path) -> ToolVersion | None:
    """The version a tool reports (``-version`` for vitis_hls/vivado, ``--version`` otherwise).

    ``vitis-run`` is first read from its install path, which needs no process. The tool's
    output goes to ``log_path``; None when it prints no recognisable version.
    """
    if path.name == VITIS_RUN:
        from_path = parse_version(str(path.resolve()))
        if from_path is not None:
            return from_path
    flag = "--version" if path.name == VITIS_RUN else "-version"
    start = log_path.stat().st_size if log_path.is_file() else 0
    result = run_process(
        [path, flag], log_path=log_path, timeout_s=_VERSION_TIMEOUT_S, check=False
    )
    if result.returncode != 0:
        return None
    with open(log_path, "rb") as log:
        log.seek(start)
        output = log.read().decode(errors="replace")
    # Skip the "$ command" line run_process writes first: its path may hold a version too.
    return parse_version(output.split("\n", 1)[1] if "\n" in output else "")


def hls_invocation(*, log_path: Path) -> HlsInvocation:
    """The command that will run a Vitis HLS script on this machine.

    ``vitis-run`` when ``vitis_hls`` is missing or is 2024.2 or newer (and ``vitis-run`` exists),
    else ``vitis_hls -f``.

    Raises:
        ToolNotFoundError: neither tool is installed.
    """
    classic = which(VITIS_HLS)
    unified = which(VITIS_RUN)
    if classic is not None:
        version = detect_version(classic, log_path=log_path)
        if unified is None or version is None or version < VITIS_RUN_FROM:
            return HlsInvocation(VITIS_HLS, classic, version)
        return HlsInvocation(VITIS_RUN, unified, version)
    if unified is not None:
        return HlsInvocation(VITIS_RUN, unified, detect_version(unified, log_path=log_path))
    raise ToolNotFoundError(f"{VITIS_HLS} not found on PATH ({_HINTS[VITIS_HLS]})")
