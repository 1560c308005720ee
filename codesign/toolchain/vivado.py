"""Vivado driver: block design (PS + exported HLS IP), implementation, bitstream and reports.

:func:`run_vivado_bitstream` renders ``hls/templates/tcl/vivado_bd.tcl.j2`` for the board's
processing system (``zynq_ultra_ps_e`` on the Ultra96-V2/ZCU104, ``processing_system7`` on the
PYNQ-Z2), runs ``vivado -mode batch``, and copies ``<top>.bit`` and ``<top>.hwh`` (one base name,
as PYNQ's ``Overlay`` wants) into the output directory and the routed utilization and timing
reports into the reports directory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from codesign.toolchain.errors import ToolError
from codesign.toolchain.process import log_tail, run_process
from codesign.toolchain.templates import (
    copy_atomic,
    render_tcl,
    tcl_name,
    tcl_number,
    tcl_word,
    write_if_changed,
)
from codesign.toolchain.vendor import VIVADO, ToolVersion, detect_version, find_tool
from codesign.toolchain.vitis import IpMetadata

if TYPE_CHECKING:  # codesign.flow imports the toolchain; only the type is needed here.
    from codesign.flow.board import Board

TEMPLATE = "vivado_bd.tcl.j2"


@dataclass(frozen=True)
class VivadoBdSpec:
    """The block design around one exported HLS IP.

    Attributes:
        top: the HLS top / IP name; names the outputs ``<top>.bit``, ``<top>.hwh`` and the
            reports ``<top>_utilization_routed.rpt``, ``<top>_timing_summary_routed.rpt``.
        ip_repo: the exported IP catalog folder (``VitisResult.ip_dir``).
        board: the board (part, optional board part, processing system).
        clock_mhz: the PL clock the PS generates (pl_clk0 / FCLK_CLK0).
        ip: vendor/library/version of the exported IP.
        m_axi_ports: the IP's AXI4 master interfaces (``m_axi_<bundle>``), each wired to the PS
            HP port (S_AXI_HP0_FPD / S_AXI_HP0).
        s_axilite_port: the IP's AXI4-Lite control interface, wired to the PS GP master
            (M_AXI_HPM0_FPD / M_AXI_GP0).
        jobs: parallel jobs of synthesis and implementation runs.
        project_name: the Vivado project name.
        bd_name: the block design name.
    """

    top: str
    ip_repo: Path
    board: Board
    clock_mhz: float
    ip: IpMetadata = field(default_factory=IpMetadata)
    m_axi_ports: tuple[str, ...] = ("m_axi_gmem",)
    s_axilite_port: str = "s_axi_control"
    jobs: int = 2
    project_name: str = "bd_project"
    bd_name: str = "design_1"

    def __post_init__(self) -> None:
        for name in (self.top, self.s_axilite_port, self.project_name, self.bd_name,
                     *self.m_axi_ports):
            tcl_name(name)
        tcl_word(self.ip_repo)
        tcl_word(self.board.part)
        if self.board.board_part is not None:
            tcl_word(self.board.board_part)
        tcl_number(self.clock_mhz)
        if self.jobs < 1:
            raise ValueError(f"jobs must be >= 1, got {self.jobs}")

    @property
    def cell(self) -> str:
        """The HLS IP's cell name in the block design (as PYNQ's ip_dict will key it)."""
        return f"{self.top}_0"


@dataclass(frozen=True)
class VivadoResult:
    """One finished bitstream build.

    Attributes:
        bitstream: ``<output_dir>/<top>.bit``.
        hwh: ``<output_dir>/<top>.hwh``.
        utilization: ``<reports_dir>/<top>_utilization_routed.rpt``.
        timing: ``<reports_dir>/<top>_timing_summary_routed.rpt``.
        version: Vivado's version (None when it did not say).
        script: the TCL script it ran.
        log_path: the log of the run.
        seconds: wall time of the build.
    """

    bitstream: Path
    hwh: Path
    utilization: Path
    timing: Path
    version: ToolVersion | None
    script: Path
    log_path: Path
    seconds: float


def render_vivado_script(spec: VivadoBdSpec, work_dir: Path, script_name: str) -> str:
    """The TCL text that builds ``spec`` with its project and outputs under ``work_dir``."""
    context: dict[str, object] = {
        "script_name": script_name,
        "project_dir": work_dir / spec.project_name,
        "out_dir": work_dir / "out",
        "project_name": spec.project_name,
        "bd_name": spec.bd_name,
        "top": spec.top,
        "part": spec.board.part,
        "board_part": spec.board.board_part,
        "ip_repo": spec.ip_repo.resolve(),
        "ps": spec.board.processing_system,
        "clock_mhz": spec.clock_mhz,
        "ip_vlnv": spec.ip.vlnv(spec.top),
        "cell": spec.cell,
        "s_axilite_port": spec.s_axilite_port,
        "m_axi_ports": spec.m_axi_ports,
        "jobs": spec.jobs,
    }
    return render_tcl(TEMPLATE, context)


def run_vivado_bitstream(
    spec: VivadoBdSpec,
    *,
    work_dir: Path,
    output_dir: Path,
    reports_dir: Path,
    log_path: Path,
    timeout_s: float,
) -> VivadoResult:
    """Build the bitstream of ``spec`` in ``work_dir`` and collect its outputs.

    Raises:
        ToolNotFoundError: vivado is not installed.
        FileNotFoundError: ``spec.ip_repo`` holds no exported IP (component.xml).
        ToolError: Vivado failed (a failed run makes the script exit nonzero) or finished
            without writing an output (the message carries the log tail).
        ToolTimeoutError: it ran past ``timeout_s``.
    """
    if not (spec.ip_repo / "component.xml").is_file():
        raise FileNotFoundError(f"{spec.ip_repo} holds no exported HLS IP (component.xml)")
    vivado = find_tool(VIVADO)
    work_dir = work_dir.resolve()
    script = work_dir / "vivado_bd.tcl"
    write_if_changed(script, render_vivado_script(spec, work_dir, script.name))
    version = detect_version(vivado, log_path=log_path)
    out = work_dir / "out"
    # Outputs of an earlier build must not pass for this one's.
    for stale in out.glob(f"{spec.top}*"):
        stale.unlink()
    result = run_process(
        [vivado, "-mode", "batch", "-nojournal", "-nolog", "-source", script],
        log_path=log_path,
        timeout_s=timeout_s,
        cwd=work_dir,
    )
    targets = {
        f"{spec.top}.bit": output_dir,
        f"{spec.top}.hwh": output_dir,
        f"{spec.top}_utilization_routed.rpt": reports_dir,
        f"{spec.top}_timing_summary_routed.rpt": reports_dir,
    }
    missing = [name for name in targets if not (out / name).is_file()]
    if missing:
        raise ToolError(VIVADO, 0, log_path, log_tail(log_path),
                        reason=f"finished but wrote no {', '.join(missing)} in {out}")
    bit, hwh, util, timing = (copy_atomic(out / n, d / n) for n, d in targets.items())
    return VivadoResult(bit, hwh, util, timing, version, script, log_path, result.seconds)
