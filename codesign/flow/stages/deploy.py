"""The ``package`` stage (run directory -> ``bundle/`` + ``bundle.tar.gz``, what a board
receives) and the ``deploy`` stage (the bundle's bit-exact check: on the emulated device,
which runs the same driver code against a register map and buffer memory like the IP's and
computes with the C simulation build of the generated accelerator)."""

from __future__ import annotations

import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from codesign.flow.stage import Stage, StageContext, StageResult
from codesign.runtime.bundle import load_bundle, make_bundle
from codesign.runtime.driver import Accelerator, check
from codesign.runtime.emulated import Backend, emulate
from codesign.toolchain.csim import predict


def csim_backend(project_dir: Path, output_shape: Sequence[int]) -> Backend:
    """The emulated device's compute: the generated accelerator's C simulation (ctypes)."""

    def compute(raw: np.ndarray) -> np.ndarray:
        flat = predict(project_dir, np.asarray(raw).reshape(len(raw), -1))
        return flat.reshape(len(raw), *output_shape)

    return compute


class PackageStage(Stage):
    """Builds the deploy bundle: IR, golden vectors, manifest with register offsets and
    packing, checksums, and the .bit/.hwh when the bitstream stage built them."""

    name = "package"
    version = "1"

    def inputs(self, ctx: StageContext) -> Sequence[str]:
        return ["ir/model.json", "ir/tensors.npz", "vectors/inputs.txt", "vectors/expected.txt", "hls"]

    def outputs(self, ctx: StageContext) -> Sequence[str]:
        return ["bundle", "bundle.tar.gz"]

    def config_slice(self, ctx: StageContext) -> Mapping[str, Any]:
        return {"board": ctx.board.name, "interface": ctx.spec.hls.interface}

    def skip_reason(self, ctx: StageContext) -> str | None:
        if ctx.spec.hls.interface != "mm":
            return "hls.interface is 'stream'; a PYNQ bundle needs interface: mm"
        return None

    def run(self, ctx: StageContext) -> StageResult:
        bundle_dir = ctx.output("bundle")
        make_bundle(ctx.run_dir, bundle_dir, board=ctx.board.name)
        load_bundle(bundle_dir)  # verifies version and checksums of what was just written
        has_bitstream = (bundle_dir / "bitstream").is_dir()
        return StageResult.done({"bundle_bitstream": "yes" if has_bitstream else "no (not built here)"})


class DeployStage(Stage):
    """Runs the bundle's golden vectors through the board driver on the emulated device and
    checks every output bit for bit (``codesign deploy --host`` runs it on a real board)."""

    name = "deploy"
    version = "1"

    def inputs(self, ctx: StageContext) -> Sequence[str]:
        return ["bundle", "hls"]

    def outputs(self, ctx: StageContext) -> Sequence[str]:
        return ["deploy"]

    def config_slice(self, ctx: StageContext) -> Mapping[str, Any]:
        return {"board": ctx.board.name}

    def run(self, ctx: StageContext) -> StageResult:
        bundle = load_bundle(ctx.path("bundle"))
        out = ctx.output("deploy")
        out.mkdir(parents=True, exist_ok=True)
        project = out / "csim_project"  # the ctypes build writes into the project: use a copy
        shutil.copytree(ctx.path("hls"), project)
        ctx.status(f"bit-exact check of {bundle.manifest.top} on the emulated device (C simulation build)")
        backend = csim_backend(project, bundle.manifest.output.shape)
        accelerator = Accelerator(emulate(bundle, backend), bundle.manifest)
        result = check(bundle, accelerator, device_kind="emulated", repeats=1, out=out / "result.json")
        figures: dict[str, Any] = {"deploy_device": "emulated (csim build)",
                                   "deploy_mismatches": result.mismatches, "deploy_samples": result.samples}
        if result.accuracy is not None:
            figures["deploy_accuracy"] = round(result.accuracy, 4)
        if not result.passed:
            return StageResult.failed(f"emulated device differs: first mismatch {result.first_mismatch}", figures)
        return StageResult.done(figures)
