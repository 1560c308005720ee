"""The stage registry of ``codesign run``: stage name -> :class:`codesign.flow.stage.Stage`.

Stages are plugged in here as they are written; the runner reports a flow's stage that has no
entry as "skipped: no implementation of stage X in the stage registry" (an error, exit code 2,
when the stage is required).
"""

from __future__ import annotations

from codesign.flow.stage import Stage


def default_stages() -> dict[str, Stage]:
    """A new registry of the stages implemented so far, keyed by stage name."""
    from codesign.flow.stages.codegen import CodegenStage, CsimStage
    from codesign.flow.stages.deploy import DeployStage, PackageStage
    from codesign.flow.stages.estimate import EstimateStage
    from codesign.flow.stages.export import ExportStage
    from codesign.flow.stages.train import TrainStage
    from codesign.flow.stages.vendor import BitstreamStage, CosimStage, SynthStage

    stages = (TrainStage(), ExportStage(), CodegenStage(), CsimStage(), EstimateStage(), SynthStage(),
              CosimStage(), BitstreamStage(), PackageStage(), DeployStage())
    return {stage.name: stage for stage in stages}
