"""The Vitis HLS project description of a generated project (for the synth/cosim stages)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from codesign.codegen.environment import INCLUDE_DIR
from codesign.codegen.project import Project
from codesign.toolchain.vitis import HlsProjectSpec


def hls_project_spec(project: Project, *, vectors: Sequence[Path] = (),
                     testbench_argv: Sequence[str] = ()) -> HlsProjectSpec:
    """``HlsProjectSpec`` from the project's manifest: top, sources, testbench, part, clock.

    Layers without general multipliers (multiplier audit total 0) ask for fabric arithmetic,
    so that synthesis uses no DSP at all.
    """
    top = project.top
    firmware = project.path / "firmware"
    return HlsProjectSpec(
        top=top,
        sources=(firmware / f"{top}.cpp",),
        part=str(project.manifest["part"]),
        clock_mhz=float(project.manifest["clock_mhz"]),
        include_dirs=(INCLUDE_DIR, firmware),
        testbench=(project.path / "tb" / f"tb_{top}.cpp",),
        vectors=tuple(Path(v) for v in vectors),
        cflags=("-DNDEBUG",),
        testbench_argv=tuple(testbench_argv),
        fabric_arithmetic=project.manifest["multiplier_audit"]["total_multipliers"] == 0,
    )
