"""The runner: decides, stage by stage, whether to run, reuse, skip or stop, and runs.

For every stage of the flow, in order, the runner builds a :class:`StageContext`, checks the
stage's inputs, computes its fingerprint and compares it with the stamp of its last success
(:mod:`codesign.flow.cache`). A stage runs when something it depends on changed (or ``force``),
is ``cached`` when nothing did, is ``skipped`` when it cannot run here (its ``skip_reason``, an
input that a skipped stage would have made, or no implementation in the registry), and ``fails``
when it raises, returns ``failed`` or breaks its output contract. After a failure the remaining
stages are ``not run``. :func:`explain_flow` makes the same decisions without running anything.
"""

from __future__ import annotations

import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath
from time import monotonic
from typing import Literal

from rich.console import Console

from codesign.flow.atomic import atomic_write_text, remove_path, replace_path
from codesign.flow.board import Board, load_board
from codesign.flow.cache import (
    Fingerprint,
    Stamp,
    flatten_config,
    hash_path,
    read_stamp,
    stale_reasons,
    write_stamp,
)
from codesign.flow.display import NullReporter, RunDisplay
from codesign.flow.rundir import RESERVED, RunDir
from codesign.flow.spec import FlowSpec, flow_to_yaml
from codesign.flow.stage import (
    Figure,
    Reporter,
    Stage,
    StageContext,
    StageResult,
    StageStatus,
    check_relpath,
)
from codesign.flow.summary import RunSummary, StageRecord, print_summary

Verdict = Literal["run", "cached", "maybe", "skip", "fail", "not run"]
_MAX_REASONS = 3


class RunnerError(ValueError):
    """The command line or the stage registry does not fit the flow (exit code 2)."""


@dataclass(frozen=True)
class RunOptions:
    """What to run, from the command line.

    Attributes:
        from_stage: first stage to run (earlier stages are not run; their outputs are used).
        to_stage: last stage to run.
        only: run exactly these stages.
        force: run the selected stages even when cached.
        require: stages added to the flow's ``required``.
        data: the dataset location, overriding ``dataset.path``.
    """

    from_stage: str | None = None
    to_stage: str | None = None
    only: tuple[str, ...] = ()
    force: bool = False
    require: tuple[str, ...] = ()
    data: Path | None = None


@dataclass(frozen=True)
class Decision:
    """What the runner will do with a stage, and why."""

    verdict: Verdict
    reason: str
    fingerprint: Fingerprint | None = None
    stamp: Stamp | None = None


@dataclass(frozen=True)
class Explanation:
    """One line of ``--explain``."""

    stage: str
    verdict: Verdict
    reason: str

    def __str__(self) -> str:
        return f"{self.stage:<10} {self.verdict:<8} {self.reason}"


def _check_names(spec: FlowSpec, names: Sequence[str], option: str) -> None:
    for name in names:
        if name not in spec.stages:
            raise RunnerError(
                f"{option} {name}: not a stage of flow {spec.name} (stages: {', '.join(spec.stages)})"
            )


def select_stages(spec: FlowSpec, options: RunOptions) -> list[str]:
    """The stages the options select, in flow order.

    Raises:
        RunnerError: a named stage is not in the flow, ``--only`` is combined with
            ``--from``/``--to``, or ``--from`` comes after ``--to``.
    """
    if options.only and (options.from_stage or options.to_stage):
        raise RunnerError("--only cannot be combined with --from or --to")
    bounds = [s for s in (options.from_stage, options.to_stage) if s]
    _check_names(spec, bounds, "--from/--to")
    _check_names(spec, options.only, "--only")
    _check_names(spec, options.require, "--require")
    if options.only:
        return [s for s in spec.stages if s in options.only]
    first = spec.stages.index(options.from_stage) if options.from_stage else 0
    last = spec.stages.index(options.to_stage) if options.to_stage else len(spec.stages) - 1
    if first > last:
        raise RunnerError(f"--from {options.from_stage} comes after --to {options.to_stage}")
    return spec.stages[first : last + 1]


def _selection_text(options: RunOptions) -> str:
    if options.only:
        return f"--only {' '.join(options.only)}"
    parts = [f"--from {options.from_stage}"] if options.from_stage else []
    parts += [f"--to {options.to_stage}"] if options.to_stage else []
    return " ".join(parts)


def with_data_path(spec: FlowSpec, data: Path | None) -> FlowSpec:
    """``spec`` with ``dataset.path`` replaced by ``data`` (absolute) when given."""
    if data is None:
        return spec
    dataset = spec.dataset.model_copy(update={"path": str(data.resolve())})
    return spec.model_copy(update={"dataset": dataset})


def _contains(output: str, relpath: str) -> bool:
    return relpath == output or PurePosixPath(relpath).is_relative_to(output)


@dataclass
class _Plan:
    """The flow, its board and registry, a run directory, and the stages' declared outputs."""

    spec: FlowSpec
    board: Board
    registry: Mapping[str, Stage]
    run_dir: RunDir
    options: RunOptions
    outputs: dict[str, tuple[str, ...]] = field(default_factory=dict)
    output_errors: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for key, stage in self.registry.items():
            if getattr(stage, "name", key) != key:
                raise RunnerError(f"stage registry: key {key!r} holds stage {stage.name!r}")
        claimed: dict[str, str] = {}
        for name in self.spec.stages:
            stage = self.registry.get(name)
            if stage is None:
                continue
            try:
                declared = tuple(check_relpath(str(p)) for p in stage.outputs(self.context(name)))
                for relpath in declared:
                    if PurePosixPath(relpath).parts[0] in RESERVED:
                        raise ValueError(f"output {relpath} is a name the runner reserves")
                    for other, owner in claimed.items():
                        if _contains(other, relpath) or _contains(relpath, other):
                            raise ValueError(f"output {relpath} overlaps {other} of stage {owner}")
            except ValueError as exc:
                self.output_errors[name] = f"invalid output declaration: {exc}"
                continue
            self.outputs[name] = declared
            claimed.update({relpath: name for relpath in declared})

    def context(
        self, name: str, reporter: Reporter | None = None,
        figures: Mapping[str, Mapping[str, Figure]] | None = None,
    ) -> StageContext:
        """The context of stage ``name``."""
        return StageContext(
            stage=name,
            spec=self.spec,
            board=self.board,
            run_dir=self.run_dir.path,
            staging_dir=self.run_dir.staging_dir(name),
            log_path=self.run_dir.log_path(name),
            data_path=Path(self.spec.dataset.path) if self.spec.dataset.path else None,
            figures=dict(figures or {}),
            reporter=reporter or NullReporter(),
        )

    def producer_of(self, relpath: str) -> str | None:
        """The stage whose declared outputs contain ``relpath``."""
        for name, declared in self.outputs.items():
            if any(_contains(output, relpath) for output in declared):
                return name
        return None

    def assess(
        self, name: str, ctx: StageContext, statuses: Mapping[str, StageStatus],
        pending: set[str],
    ) -> Decision:
        """Decide what to do with a selected stage. ``statuses``: earlier stages of this run;
        ``pending``: earlier stages that will run but have not (only while explaining)."""
        stage = self.registry.get(name)
        if stage is None:
            return Decision("skip", f"no implementation of stage {name} in the stage registry")
        if name in self.output_errors:
            return Decision("fail", self.output_errors[name])
        input_hashes: dict[str, str] = {}
        waiting_on: set[str] = set()
        for item in stage.inputs(ctx):
            relative = not Path(item).is_absolute()
            label = check_relpath(PurePosixPath(item).as_posix()) if relative else str(item)
            producer = self.producer_of(label) if relative else None
            if producer in pending:
                waiting_on.add(producer)
            digest = hash_path(self.run_dir.path / label if relative else Path(item))
            if digest is not None:
                input_hashes[label] = digest
                continue
            if producer in pending:
                return Decision("run", f"input {label} will be made by {producer}")
            own_skip = stage.skip_reason(ctx)  # "cannot run here" says more than "input missing"
            if own_skip:
                return Decision("skip", own_skip)
            if producer is not None and statuses.get(producer) is StageStatus.SKIPPED:
                return Decision("skip", f"input {label} missing ({producer} was skipped)")
            if producer is not None:
                return Decision("fail", f"input {label} missing; run stage {producer} first")
            skipped = [s for s, status in statuses.items() if status is StageStatus.SKIPPED]
            if skipped and relative:
                return Decision(
                    "skip", f"input {label} missing (skipped earlier: {', '.join(skipped)})"
                )
            return Decision("fail", f"input {label} not found")
        extra = {
            key: (hash_path(value) or "<missing>") if isinstance(value, Path) else str(value)
            for key, value in stage.extra_hash_inputs(ctx).items()
        }
        fingerprint = Fingerprint(
            version=str(stage.version),
            config=flatten_config(stage.config_slice(ctx)),
            inputs=input_hashes,
            extra=extra,
            outputs=list(self.outputs[name]),
        )
        stamp = read_stamp(self.run_dir.stamp_path(name))
        reasons = stale_reasons(fingerprint, stamp, self.run_dir.path)
        if self.options.force:
            reasons.insert(0, "forced (--force)")
        if not reasons:
            if waiting_on:
                return Decision(
                    "maybe", f"cached unless {', '.join(sorted(waiting_on))} changes its inputs",
                    fingerprint, stamp,
                )
            return Decision("cached", "cached", fingerprint, stamp)
        skip = stage.skip_reason(ctx)
        if skip:
            return Decision("skip", skip, fingerprint, stamp)
        text = "; ".join(reasons[:_MAX_REASONS])
        if len(reasons) > _MAX_REASONS:
            text += f"; and {len(reasons) - _MAX_REASONS} more"
        return Decision("run", text, fingerprint, stamp)

    def check_staging(self, name: str) -> str | None:
        """What is wrong with a finished stage's staging area, or ``None``."""
        staging = self.run_dir.staging_dir(name)
        declared = self.outputs[name]
        missing = [relpath for relpath in declared if not (staging / relpath).exists()]
        if missing:
            return f"declared output(s) not written: {', '.join(missing)}"
        for path in sorted(staging.rglob("*")):
            relpath = path.relative_to(staging).as_posix()
            if path.is_file() and not any(_contains(output, relpath) for output in declared):
                return f"wrote {relpath}, which is not a declared output ({', '.join(declared)})"
        return None

    def commit(self, name: str, fingerprint: Fingerprint, result: StageResult, seconds: float) -> None:
        """Move the outputs into the run directory, then write the stamp (last)."""
        staging = self.run_dir.staging_dir(name)
        trash = self.run_dir.staging_root / ".trash"
        hashes: dict[str, str] = {}
        for relpath in self.outputs[name]:
            target = self.run_dir.path / relpath
            replace_path(staging / relpath, target, trash)
            hashes[relpath] = hash_path(target) or ""
        remove_path(staging)
        write_stamp(
            self.run_dir.stamp_path(name),
            Stamp(
                key=fingerprint.key,
                fingerprint=fingerprint,
                output_hashes=hashes,
                figures=dict(result.figures),
                message=result.message,
                seconds=round(seconds, 3),
                finished_at=_now(),
            ),
        )


def _now() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")


def _first_line(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[0][:300] if lines else ""


def _execute(plan: _Plan, ctx: StageContext, decision: Decision, display: RunDisplay) -> StageRecord:
    """Run one stage whose decision is ``run`` and commit its outputs on success."""
    name = ctx.stage
    stage = plan.registry[name]
    assert decision.fingerprint is not None
    plan.run_dir.stamp_path(name).unlink(missing_ok=True)
    remove_path(ctx.staging_dir)
    ctx.staging_dir.mkdir(parents=True)
    ctx.log(f"== {name} started {_now()}: {decision.reason}")
    display.start_stage(name)
    start = monotonic()
    try:
        result = stage.run(ctx)
        if not isinstance(result, StageResult):
            raise TypeError(f"run() returned {type(result).__name__}, not a StageResult")
    except Exception as exc:  # noqa: BLE001 - any error of a stage is that stage's failure
        ctx.log(traceback.format_exc())
        result = StageResult.failed(f"{type(exc).__name__}: {_first_line(str(exc))}")
    seconds = monotonic() - start
    if result.status is StageStatus.DONE:
        problem = plan.check_staging(name)
        if problem is None:
            plan.commit(name, decision.fingerprint, result, seconds)
        else:
            result = StageResult.failed(problem, result.figures)
    if result.status is not StageStatus.DONE:
        remove_path(ctx.staging_dir)
    ctx.log(f"== {name} {result.status.value} after {seconds:.1f}s {result.message}".rstrip())
    return StageRecord(name, result.status, result.message, seconds, result.figures, ctx.log_path)


def run_flow(
    spec: FlowSpec,
    registry: Mapping[str, Stage],
    run_dir: RunDir,
    options: RunOptions = RunOptions(),
    console: Console | None = None,
) -> RunSummary:
    """Run the flow's selected stages in ``run_dir``; write ``flow.yaml`` and ``summary.json``.

    Raises:
        RunnerError: the options or the registry do not fit the flow.
        RunDirError: another run holds the run directory.
    """
    console = console or Console(stderr=True)
    spec = with_data_path(spec, options.data)
    selected = select_stages(spec, options)
    required = tuple(dict.fromkeys([*spec.required, *options.require]))
    started = _now()
    run_dir.path.mkdir(parents=True, exist_ok=True)
    with run_dir.lock():
        run_dir.prepare()
        plan = _Plan(spec, load_board(spec.board), registry, run_dir, options)
        atomic_write_text(run_dir.path / "flow.yaml", flow_to_yaml(spec))
        records: list[StageRecord] = []
        statuses: dict[str, StageStatus] = {}
        figures: dict[str, Mapping[str, Figure]] = {}
        failed: str | None = None
        with RunDisplay(console) as display:
            for name in spec.stages:
                ctx = plan.context(name, display, figures)
                if failed is not None:
                    record = StageRecord(name, StageStatus.NOT_RUN, f"{failed} failed")
                elif name not in selected:
                    record = StageRecord(
                        name, StageStatus.NOT_RUN, f"not selected ({_selection_text(options)})"
                    )
                else:
                    record = _decide_and_run(plan, ctx, statuses, display)
                if record.status is StageStatus.FAILED:
                    failed = name
                if record.status in (StageStatus.DONE, StageStatus.CACHED):
                    figures[name] = record.figures
                statuses[name] = record.status
                records.append(record)
                display.end_stage(record)
        summary = RunSummary(
            spec.name, run_dir.path, tuple(records), required, started, _now()
        )
        summary.write()
    print_summary(summary, console)
    return summary


def _decide_and_run(
    plan: _Plan, ctx: StageContext, statuses: Mapping[str, StageStatus], display: RunDisplay
) -> StageRecord:
    name = ctx.stage
    try:
        decision = plan.assess(name, ctx, statuses, set())
    except Exception as exc:  # noqa: BLE001 - a stage's declaration methods failing is its failure
        return StageRecord(name, StageStatus.FAILED, f"{type(exc).__name__}: {_first_line(str(exc))}")
    if decision.verdict == "cached":
        stamp = decision.stamp
        return StageRecord(name, StageStatus.CACHED, "", 0.0, stamp.figures if stamp else {})
    if decision.verdict == "skip":
        return StageRecord(name, StageStatus.SKIPPED, decision.reason)
    if decision.verdict == "fail":
        return StageRecord(name, StageStatus.FAILED, decision.reason)
    return _execute(plan, ctx, decision, display)


_PRETEND: dict[Verdict, StageStatus] = {
    "cached": StageStatus.CACHED,
    "maybe": StageStatus.CACHED,
    "skip": StageStatus.SKIPPED,
    "fail": StageStatus.FAILED,
}


def explain_flow(
    spec: FlowSpec, registry: Mapping[str, Stage], run_dir: Path, options: RunOptions = RunOptions()
) -> list[Explanation]:
    """For every stage, what ``run_flow`` would do in ``run_dir`` (which may not exist yet) and
    why; runs nothing and writes nothing.

    Raises:
        RunnerError: the options or the registry do not fit the flow.
    """
    spec = with_data_path(spec, options.data)
    selected = select_stages(spec, options)
    plan = _Plan(spec, load_board(spec.board), registry, RunDir(run_dir), options)
    lines: list[Explanation] = []
    statuses: dict[str, StageStatus] = {}
    pending: set[str] = set()
    failed: str | None = None
    for name in spec.stages:
        if failed is not None:
            lines.append(Explanation(name, "not run", f"{failed} would fail"))
            continue
        if name not in selected:
            lines.append(Explanation(name, "not run", f"not selected ({_selection_text(options)})"))
            continue
        try:
            decision = plan.assess(name, plan.context(name), statuses, pending)
        except Exception as exc:  # noqa: BLE001 - reported like the run would
            decision = Decision("fail", f"{type(exc).__name__}: {_first_line(str(exc))}")
        if decision.verdict == "run":
            pending.add(name)
        else:
            statuses[name] = _PRETEND.get(decision.verdict, StageStatus.NOT_RUN)
        if decision.verdict == "fail":
            failed = name
        reason = f"skipped: {decision.reason}" if decision.verdict == "skip" else decision.reason
        lines.append(Explanation(name, decision.verdict, reason))
    return lines
