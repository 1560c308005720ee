"""Flow files, stages, the content-hash cache, the runner and run directories.

- :mod:`codesign.flow.spec`: the flow file schema, :func:`load_flow`, :class:`FlowError`.
- :mod:`codesign.flow.stage`: the :class:`Stage` contract, :class:`StageContext`, :class:`StageResult`.
- :mod:`codesign.flow.cache`: fingerprints and stamps.
- :mod:`codesign.flow.rundir`: ``results/runs/<flow>/<run-id>/`` and the ``latest`` pointer.
- :mod:`codesign.flow.runner`: :func:`run_flow` and :func:`explain_flow`.
- :mod:`codesign.flow.summary`: stage records, exit codes, ``summary.json``, the final table.
- :mod:`codesign.flow.stages`: the registry of real stages.
"""

from codesign.flow.runner import (
    Explanation,
    RunnerError,
    RunOptions,
    explain_flow,
    run_flow,
    select_stages,
)
from codesign.flow.rundir import RunDir, RunDirError, latest_run_dir, open_run_dir
from codesign.flow.spec import STAGE_ORDER, FlowError, FlowSpec, load_flow
from codesign.flow.stage import Stage, StageContext, StageResult, StageStatus
from codesign.flow.summary import RunSummary, StageRecord

__all__ = [
    "STAGE_ORDER",
    "Explanation",
    "FlowError",
    "FlowSpec",
    "RunDir",
    "RunDirError",
    "RunOptions",
    "RunSummary",
    "RunnerError",
    "Stage",
    "StageContext",
    "StageRecord",
    "StageResult",
    "StageStatus",
    "explain_flow",
    "latest_run_dir",
    "load_flow",
    "open_run_dir",
    "run_flow",
    "select_stages",
]
