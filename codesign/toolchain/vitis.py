"""Vitis HLS driver: render the project script, run it, collect the vendor reports.

The code generator describes a project with :class:`HlsProjectSpec`; :func:`run_vitis_hls` renders
``hls/templates/tcl/vitis_hls.tcl.j2`` into the work directory, runs it with ``vitis_hls -f`` or
``vitis-run --mode hls --tcl`` (chosen by version, see :mod:`codesign.toolchain.vendor`), then
copies what the tool wrote into the reports directory under the names ``codesign.reports``
expects: ``csynth.xml``, ``<top>_cosim.rpt``, ``<top>_csim.log``.
"""

from __future__ import annotations

import time
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, get_args

from codesign.toolchain.errors import ToolError
from codesign.toolchain.process import log_tail, run_process
from codesign.toolchain.templates import (
    TclValueError,
    copy_atomic,
    render_tcl,
    tcl_name,
    tcl_number,
    tcl_word,
    vlnv_part,
    write_if_changed,
)
from codesign.toolchain.vendor import ToolVersion, hls_invocation

HlsStep = Literal["csim", "csynth", "cosim", "export"]
#: The steps in the order a script runs them.
HLS_STEPS: tuple[HlsStep, ...] = get_args(HlsStep)
#: Operations bound to LUT fabric (``config_op <op> -impl fabric``) when ``fabric_arithmetic``.
FABRIC_OPS = ("mul", "add", "sub")
TEMPLATE = "vitis_hls.tcl.j2"
# Reports older than the run (minus this slack for coarse file-system clocks) are stale.
_MTIME_SLACK_S = 0.05


@dataclass(frozen=True)
class IpMetadata:
    """The vendor, library and version of the exported IP's VLNV (its name is the top)."""

    vendor: str = "codesign"
    library: str = "hls"
    version: str = "1.0"

    def __post_init__(self) -> None:
        for value in (self.vendor, self.library, self.version):
            vlnv_part(value)

    def vlnv(self, name: str) -> str:
        """``vendor:library:name:version``."""
        return f"{self.vendor}:{self.library}:{tcl_name(name)}:{self.version}"


@dataclass(frozen=True)
class HlsProjectSpec:
    """Everything the Vitis HLS script needs; filled by the code generator.

    Attributes:
        top: the top function (a C identifier); also the exported IP's name.
        sources: synthesizable C++ files.
        part: the FPGA part, e.g. ``xczu3eg-sbva484-1-i`` (from the board).
        clock_mhz: target clock (MHz); the script sets the period 1000/clock_mhz ns.
        include_dirs: ``-I`` directories for sources and testbench (no whitespace).
        testbench: testbench C++ files (``add_files -tb``).
        vectors: data files the testbench reads, added with ``add_files -tb`` so that csim and
            cosim find them in their run directories.
        cflags: extra compiler flags for sources and testbench (``-std=c++14`` is added unless
            one of them sets ``-std=``).
        testbench_argv: arguments passed to the testbench's ``main`` (csim and cosim ``-argv``).
        ip: vendor/library/version of the exported IP.
        fabric_arithmetic: bind mul/add/sub to LUT fabric so that synthesis uses no DSP.
        project_name: the HLS project folder, inside the work directory.
        solution: the solution name.
    """

    top: str
    sources: tuple[Path, ...]
    part: str
    clock_mhz: float
    include_dirs: tuple[Path, ...] = ()
    testbench: tuple[Path, ...] = ()
    vectors: tuple[Path, ...] = ()
    cflags: tuple[str, ...] = ()
    testbench_argv: tuple[str, ...] = ()
    ip: IpMetadata = field(default_factory=IpMetadata)
    fabric_arithmetic: bool = True
    project_name: str = "hls_project"
    solution: str = "solution1"

    def __post_init__(self) -> None:
        for name in (self.top, self.project_name, self.solution):
            tcl_name(name)
        tcl_word(self.part)
        tcl_number(self.clock_mhz)
        if not self.sources:
            raise ValueError("an HLS project needs at least one source file")
        for path in (*self.sources, *self.testbench, *self.vectors):
            tcl_word(path)
        for token in (*(str(d) for d in self.include_dirs), *self.cflags, *self.testbench_argv):
            tcl_word(token)
            if any(ch.isspace() for ch in token):
                raise TclValueError(f"{token!r}: a flag, include directory or argument may "
                                    "not contain whitespace")

    @property
    def clock_period_ns(self) -> float:
        """The clock period (ns), rounded to 1 ps."""
        return round(1000.0 / self.clock_mhz, 3)

    def compile_flags(self) -> str:
        """The ``-cflags`` string of sources and testbench."""
        flags = [] if any(f.startswith("-std=") for f in self.cflags) else ["-std=c++14"]
        flags += [f"-I{Path(d).resolve()}" for d in self.include_dirs]
        return " ".join([*flags, *self.cflags])

    def solution_dir(self, work_dir: Path) -> Path:
        """``<work_dir>/<project>/<solution>``: the classic layout of the tool's outputs."""
        return work_dir / self.project_name / self.solution


@dataclass(frozen=True)
class VitisResult:
    """One finished Vitis HLS run.

    Attributes:
        steps: the steps it ran, in order.
        tool: ``vitis_hls`` or ``vitis-run``.
        version: the tool's version (None when it did not say).
        script: the TCL script it ran.
        log_path: the log of the run.
        seconds: wall time.
        csim_log: ``<reports>/<top>_csim.log`` (csim, when the tool wrote one).
        csynth_xml: ``<reports>/csynth.xml`` (csynth).
        cosim_rpt: ``<reports>/<top>_cosim.rpt`` (cosim).
        ip_dir: the exported IP catalog folder (export), for Vivado's ``ip_repo_paths``.
    """

    steps: tuple[HlsStep, ...]
    tool: str
    version: ToolVersion | None
    script: Path
    log_path: Path
    seconds: float
    csim_log: Path | None = None
    csynth_xml: Path | None = None
    cosim_rpt: Path | None = None
    ip_dir: Path | None = None


def normalize_steps(steps: Collection[str]) -> tuple[HlsStep, ...]:
    """``steps`` in script order.

    Raises:
        ValueError: empty, or a step that is not one of csim, csynth, cosim, export.
    """
    unknown = sorted(set(steps) - set(HLS_STEPS))
    if unknown or not steps:
        raise ValueError(f"HLS steps must be a non-empty subset of {list(HLS_STEPS)}; got "
                         f"{sorted(steps)}")
    return tuple(step for step in HLS_STEPS if step in steps)


def render_vitis_script(project: HlsProjectSpec, steps: Collection[str], script_name: str) -> str:
    """The TCL text that runs ``steps`` on ``project``.

    The project and solution are reset only when the steps include csynth; cosim and export
    alone reuse the synthesized solution.
    """
    ordered = normalize_steps(steps)
    flags = project.compile_flags()
    context: dict[str, object] = {
        "script_name": script_name,
        "fresh": "csynth" in ordered,
        "project_name": project.project_name,
        "solution": project.solution,
        "top": project.top,
        "sources": [p.resolve() for p in project.sources],
        "testbench": [p.resolve() for p in project.testbench],
        "vectors": [p.resolve() for p in project.vectors],
        "cflags": flags,
        "tb_cflags": flags,
        "part": project.part,
        "period_ns": project.clock_period_ns,
        "fabric_ops": FABRIC_OPS if project.fabric_arithmetic else (),
        "ip": {"vendor": project.ip.vendor, "library": project.ip.library,
               "version": project.ip.version, "name": project.top},
        "argv": " ".join(project.testbench_argv),
        **{step: step in ordered for step in HLS_STEPS},
    }
    return render_tcl(TEMPLATE, context)


def _check_inputs(project: HlsProjectSpec, steps: tuple[HlsStep, ...], work_dir: Path) -> None:
    missing = [p for p in (*project.sources, *project.testbench, *project.vectors)
               if not p.is_file()]
    if missing:
        raise FileNotFoundError("HLS project files missing: " + ", ".join(map(str, missing)))
    if ("csim" in steps or "cosim" in steps) and not project.testbench:
        raise ValueError("csim and cosim need testbench files")
    needs_synthesis = {"cosim", "export"} & set(steps)
    if needs_synthesis and "csynth" not in steps and not _has_solution(project, work_dir):
        raise ValueError(f"{'/'.join(sorted(needs_synthesis))} needs a synthesized solution in "
                         f"{work_dir}: include the csynth step")


def _has_solution(project: HlsProjectSpec, work_dir: Path) -> bool:
    return any((root / "syn").is_dir() for root in _output_roots(project, work_dir))


def _output_roots(project: HlsProjectSpec, work_dir: Path) -> list[Path]:
    """Folders that may hold the tool's syn/, sim/, csim/, impl/ trees: the classic solution
    folder, then any unified-layout ``.../hls`` folder a few levels down."""
    roots = [project.solution_dir(work_dir)]
    for pattern in ("*/hls", "*/*/hls", "*/*/*/hls"):
        roots += sorted(p for p in work_dir.glob(pattern) if p.is_dir())
    return roots


def _fresh_file(
    project: HlsProjectSpec, work_dir: Path, relative: str, since: float
) -> Path | None:
    for root in _output_roots(project, work_dir):
        candidate = root / relative
        if candidate.is_file() and candidate.stat().st_mtime >= since - _MTIME_SLACK_S:
            return candidate
    return None


def _require(
    project: HlsProjectSpec, work_dir: Path, relative: str, since: float, tool: str,
    log_path: Path,
) -> Path:
    """The fresh ``relative`` output, or a ToolError saying the tool did not write it."""
    path = _fresh_file(project, work_dir, relative, since)
    if path is None:
        raise ToolError(tool, 0, log_path, log_tail(log_path),
                        reason=f"finished but wrote no {relative} under {work_dir}")
    return path


def run_vitis_hls(
    project: HlsProjectSpec,
    steps: Collection[str],
    work_dir: Path,
    log_path: Path,
    timeout_s: float,
    *,
    reports_dir: Path | None = None,
) -> VitisResult:
    """Run ``steps`` of the Vitis HLS flow on ``project`` in ``work_dir``.

    The script is written to ``<work_dir>/vitis_hls_<steps>.tcl`` (only when its text changed).
    Reports go to ``reports_dir`` (default ``<work_dir>/reports``).

    Raises:
        ToolNotFoundError: neither vitis_hls nor vitis-run is installed.
        ToolError: the tool failed, or finished without writing a report a step must write
            (the message carries the log tail).
        ToolTimeoutError: it ran past ``timeout_s``.
        FileNotFoundError, ValueError: missing project files or an impossible step set.
    """
    ordered = normalize_steps(steps)
    work_dir = work_dir.resolve()
    reports_dir = (reports_dir or work_dir / "reports").resolve()
    _check_inputs(project, ordered, work_dir)
    script = work_dir / f"vitis_hls_{'_'.join(ordered)}.tcl"
    write_if_changed(script, render_vitis_script(project, ordered, script.name))
    invocation = hls_invocation(log_path=log_path)
    started = time.time()
    result = run_process(invocation.argv(script), log_path=log_path, timeout_s=timeout_s,
                         cwd=work_dir)
    top = project.top
    csim_log: Path | None = None
    csynth_xml: Path | None = None
    cosim_rpt: Path | None = None
    ip_dir: Path | None = None
    if "csim" in ordered:
        log = _fresh_file(project, work_dir, f"csim/report/{top}_csim.log", started)
        csim_log = copy_atomic(log, reports_dir / f"{top}_csim.log") if log else None
    if "csynth" in ordered:
        xml = _require(project, work_dir, "syn/report/csynth.xml", started, invocation.tool,
                       log_path)
        csynth_xml = copy_atomic(xml, reports_dir / "csynth.xml")
    if "cosim" in ordered:
        rpt = _require(project, work_dir, f"sim/report/{top}_cosim.rpt", started,
                       invocation.tool, log_path)
        cosim_rpt = copy_atomic(rpt, reports_dir / f"{top}_cosim.rpt")
    if "export" in ordered:
        ip_dir = _require(project, work_dir, "impl/ip/component.xml", started, invocation.tool,
                          log_path).parent
    return VitisResult(
        steps=ordered,
        tool=invocation.tool,
        version=invocation.version,
        script=script,
        log_path=log_path,
        seconds=result.seconds,
        csim_log=csim_log,
        csynth_xml=csynth_xml,
        cosim_rpt=cosim_rpt,
        ip_dir=ip_dir,
    )
