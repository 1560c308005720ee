"""Stages that drive AMD's tools: ``synth`` (Vitis HLS C synthesis), ``cosim`` (C/RTL
co-simulation) and ``bitstream`` (IP export + Vivado block design, implementation, .bit/.hwh).

Each is skipped with the reason when its tool is not installed ("vitis_hls not found on
PATH"); the runner turns that into an error only when the stage is required. The HLS
project comes from the ``codegen`` stage (``hls/manifest.json``), the test vectors from
``export`` (``vectors/``).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from codesign.codegen.hls_spec import hls_project_spec as codegen_hls_spec
from codesign.codegen.project import Project
from codesign.flow.stage import Stage, StageContext, StageResult
from codesign.reports import parse_cosim, parse_csynth, parse_timing_summary, parse_utilization
from codesign.toolchain import HlsProjectSpec, VivadoBdSpec, run_vitis_hls, run_vivado_bitstream
from codesign.toolchain.vendor import VITIS_HLS, VITIS_RUN, which

HLS_DIR = "hls"
VECTORS = ("vectors/inputs.txt",)


def hls_project_spec(ctx: StageContext, project_dir: Path) -> HlsProjectSpec:
    """The Vitis HLS project of a generated codesign project, with the exported vectors."""
    manifest = json.loads((project_dir / "manifest.json").read_text())
    project = Project(project_dir, manifest["top"], manifest["interface"], manifest, tuple(manifest["files"]))
    return codegen_hls_spec(project, vectors=[ctx.path(v) for v in VECTORS],
                            testbench_argv=("inputs.txt", "outputs.txt"))


def _hls_missing() -> str | None:
    if which(VITIS_HLS) is None and which(VITIS_RUN) is None:
        return f"{VITIS_HLS} not found on PATH (set XILINX_HLS or source settings64.sh)"
    return None


class _VitisStage(Stage):
    """Shared inputs/config of the stages that run Vitis HLS on the generated project."""

    def inputs(self, ctx: StageContext) -> Sequence[str]:
        return [HLS_DIR, *VECTORS]

    def config_slice(self, ctx: StageContext) -> Mapping[str, Any]:
        return {**ctx.spec.section("hls", "tools"), "part": ctx.board.part}

    def skip_reason(self, ctx: StageContext) -> str | None:
        return _hls_missing()


class SynthStage(_VitisStage):
    """C synthesis: ``synth/work`` (the Vitis project, reused by cosim and bitstream) and
    ``synth/reports/csynth.xml``."""

    name = "synth"
    version = "1"

    def outputs(self, ctx: StageContext) -> Sequence[str]:
        return ["synth"]

    def run(self, ctx: StageContext) -> StageResult:
        out = ctx.output("synth")
        spec = hls_project_spec(ctx, ctx.path(HLS_DIR))
        ctx.status(f"Vitis HLS C synthesis of {spec.top} for {spec.part} at {spec.clock_mhz:g} MHz")
        result = run_vitis_hls(spec, {"csynth"}, out / "work", ctx.log_path,
                               ctx.spec.tools.vitis_hls_timeout_s, reports_dir=out / "reports")
        report = parse_csynth(result.csynth_xml)
        r, lat = report.resources, report.latency
        return StageResult.done({
            "hls_lut": r.lut, "hls_ff": r.ff, "hls_dsp": r.dsp, "hls_bram_18k": r.bram_18k,
            "hls_latency_cycles": lat.worst_cycles if lat.worst_cycles is not None else "undef",
            "hls_interval_cycles": lat.interval_max_cycles if lat.interval_max_cycles is not None else "undef",
            "hls_fmax_mhz": round(report.estimated_fmax_mhz, 1) if report.estimated_fmax_mhz else "n/a",
        })


def _copy_solution(ctx: StageContext, target: Path) -> Path:
    """A private copy of synth's Vitis project for a later step (stage outputs stay immutable)."""
    shutil.copytree(ctx.path("synth/work"), target, symlinks=True)
    return target


class CosimStage(_VitisStage):
    """C/RTL co-simulation in Verilog with the exported test vectors."""

    name = "cosim"
    version = "1"

    def inputs(self, ctx: StageContext) -> Sequence[str]:
        return [*super().inputs(ctx), "synth"]

    def outputs(self, ctx: StageContext) -> Sequence[str]:
        return ["cosim"]

    def run(self, ctx: StageContext) -> StageResult:
        out = ctx.output("cosim")
        spec = hls_project_spec(ctx, ctx.path(HLS_DIR))
        work = _copy_solution(ctx, out / "work")
        ctx.status(f"C/RTL co-simulation of {spec.top}")
        result = run_vitis_hls(spec, {"cosim"}, work, ctx.log_path, ctx.spec.tools.vitis_hls_timeout_s,
                               reports_dir=out / "reports")
        report = parse_cosim(result.cosim_rpt)
        row = report.result
        figures: dict[str, Any] = {"cosim_status": report.status}
        if row is not None and row.latency_max is not None:
            figures["cosim_latency_cycles"] = row.latency_max
        if report.status != "Pass":
            return StageResult.failed(f"co-simulation status {report.status} (report {result.cosim_rpt})", figures)
        return StageResult.done(figures)


class BitstreamStage(_VitisStage):
    """IP export (Vitis HLS) and the Vivado block design for the board: ``bitstream/<top>.bit``
    and ``.hwh`` plus utilization and timing reports."""

    name = "bitstream"
    version = "1"

    def inputs(self, ctx: StageContext) -> Sequence[str]:
        return [*super().inputs(ctx), "synth"]

    def outputs(self, ctx: StageContext) -> Sequence[str]:
        return ["bitstream"]

    def skip_reason(self, ctx: StageContext) -> str | None:
        missing = _hls_missing()
        if missing:
            return missing
        if which("vivado") is None:
            return "vivado not found on PATH (set XILINX_VIVADO or source settings64.sh)"
        if ctx.spec.hls.interface != "mm":
            return "hls.interface is 'stream'; the PYNQ block design needs interface: mm"
        return None

    def run(self, ctx: StageContext) -> StageResult:
        out = ctx.output("bitstream")
        spec = hls_project_spec(ctx, ctx.path(HLS_DIR))
        work = _copy_solution(ctx, out / "hls_work")
        ctx.status(f"exporting the {spec.top} IP")
        exported = run_vitis_hls(spec, {"export"}, work, ctx.log_path, ctx.spec.tools.vitis_hls_timeout_s)
        if exported.ip_dir is None:
            return StageResult.failed("Vitis HLS exported no IP catalog directory")
        ctx.status(f"Vivado: block design, implementation and bitstream for {ctx.board.name}")
        bd = VivadoBdSpec(top=spec.top, ip_repo=exported.ip_dir, board=ctx.board, clock_mhz=spec.clock_mhz,
                          m_axi_ports=("m_axi_gmem_in", "m_axi_gmem_out"), jobs=ctx.spec.tools.jobs)
        result = run_vivado_bitstream(bd, work_dir=out / "vivado", output_dir=out, reports_dir=out / "reports",
                                      log_path=ctx.log_path, timeout_s=ctx.spec.tools.vivado_timeout_s)
        util = parse_utilization(result.utilization)
        timing = parse_timing_summary(result.timing)
        return StageResult.done({
            "impl_lut": util.lut.used, "impl_ff": util.ff.used, "impl_dsp": util.dsp.used,
            "impl_bram_18k": util.bram_18k, "wns_ns": timing.wns_ns,
            "fmax_mhz": round(timing.fmax_mhz, 1) if timing.fmax_mhz else "n/a",
        })
