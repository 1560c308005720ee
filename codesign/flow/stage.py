"""The stage contract: what a stage declares, what it receives, and what it returns.

A stage is one arrow of DESIGN.md's data flow. It reads files (its :meth:`Stage.inputs`: outputs
of earlier stages in the run directory, or external files such as the dataset), writes files (its
:meth:`Stage.outputs`, paths relative to the run directory), and depends on a slice of the flow
configuration and on some other things (template directories, a tool version) that decide, with
the content of its inputs and its code version, whether a cached result is still valid.

A stage never writes into the run directory itself: it writes each output at
``ctx.output(relpath)`` (a staging area), and the runner moves the outputs into the run
directory only when :meth:`Stage.run` returns ``done``, then records the stamp. The old stamp is
removed before a stage starts, so when it raises, returns ``failed`` or is killed, whatever is
left in the run directory is never trusted: the next run runs the stage again.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path, PurePosixPath
from typing import Any, Protocol

from codesign.flow.board import Board
from codesign.flow.spec import FlowSpec

#: A figure is one scalar: accuracy, EBOPs, LUT count, latency...
Figure = int | float | str | bool | None

#: Keys of summary.json that figures may not use (figures are merged into its top level).
RESERVED_FIGURES = frozenset(
    {"flow", "run_id", "run_dir", "exit_code", "started_at", "finished_at", "stages", "status"}
)
_FIGURE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")


class StageStatus(str, Enum):
    """How a stage ended in a run."""

    DONE = "done"
    CACHED = "cached"
    SKIPPED = "skipped"
    FAILED = "failed"
    NOT_RUN = "not run"


@dataclass(frozen=True)
class StageResult:
    """What :meth:`Stage.run` returns.

    Attributes:
        status: ``DONE`` (outputs written; the runner commits them), ``SKIPPED`` (a reason known
            only at run time; nothing is committed) or ``FAILED`` (``message`` says why).
        figures: key figures for the summary table and summary.json, e.g. ``{"accuracy": 0.97}``;
            names are identifiers (dots allowed), values scalars.
        message: one line for the summary: a skip reason, a failure, or a note.
    """

    status: StageStatus
    figures: Mapping[str, Figure] = field(default_factory=dict)
    message: str = ""

    def __post_init__(self) -> None:
        if self.status not in (StageStatus.DONE, StageStatus.SKIPPED, StageStatus.FAILED):
            raise ValueError(f"a stage returns done, skipped or failed, not {self.status.value}")
        for name, value in self.figures.items():
            if not isinstance(name, str) or not _FIGURE_NAME.fullmatch(name):
                raise ValueError(f"figure name {name!r} is not an identifier")
            if name in RESERVED_FIGURES:
                raise ValueError(f"figure name {name!r} is reserved by summary.json")
            if not isinstance(value, (int, float, str, bool)) and value is not None:
                raise ValueError(f"figure {name!r} must be a scalar, got {type(value).__name__}")

    @classmethod
    def done(cls, figures: Mapping[str, Figure] | None = None, message: str = "") -> StageResult:
        """Success: commit the outputs."""
        return cls(StageStatus.DONE, dict(figures or {}), message)

    @classmethod
    def skipped(cls, reason: str) -> StageResult:
        """Not run, for a reason found only while running (prefer :meth:`Stage.skip_reason`)."""
        return cls(StageStatus.SKIPPED, {}, reason)

    @classmethod
    def failed(cls, message: str, figures: Mapping[str, Figure] | None = None) -> StageResult:
        """Failure: nothing is committed; ``message`` goes into the summary."""
        return cls(StageStatus.FAILED, dict(figures or {}), message)


class ProgressTask(Protocol):
    """A progress bar of a stage (see :meth:`StageContext.progress`)."""

    def advance(self, amount: float = 1) -> None:
        """Move the bar forward by ``amount`` steps."""

    def update(
        self, *, completed: float | None = None, total: float | None = None,
        description: str | None = None,
    ) -> None:
        """Set the position, the total (``None`` leaves it) or the description."""


class Reporter(Protocol):
    """Where a running stage reports progress (the runner's display implements it)."""

    def status(self, text: str) -> None:
        """Replace the stage's status line."""

    def progress(self, description: str, total: float | None) -> Any:
        """A context manager yielding a :class:`ProgressTask`."""


def check_relpath(relpath: str) -> str:
    """``relpath`` as a normalised relative POSIX path inside the run directory.

    Raises:
        ValueError: absolute, empty, or leaving the directory with ``..``.
    """
    path = PurePosixPath(relpath)
    if not relpath or path.is_absolute() or ".." in path.parts or str(path) in ("", "."):
        raise ValueError(f"{relpath!r} is not a relative path inside the run directory")
    return str(path)


@dataclass(frozen=True)
class StageContext:
    """Everything a stage may use while it is assessed or run.

    Attributes:
        stage: this stage's name.
        spec: the resolved flow (``hls.clock_mhz`` and ``hls.top`` filled in).
        board: the flow's board.
        run_dir: the run directory (read inputs here: ``ctx.path("ir/model.json")``).
        staging_dir: where this stage's outputs are written before the runner commits them.
        log_path: this stage's log file (``logs/<stage>.log``); pass it to ``codesign.toolchain``.
        data_path: the dataset location: ``--data`` when given, else ``spec.dataset.path``.
        figures: figures of the stages before this one in the run (done or cached), by stage.
        reporter: the display that :meth:`status` and :meth:`progress` talk to.
    """

    stage: str
    spec: FlowSpec
    board: Board
    run_dir: Path
    staging_dir: Path
    log_path: Path
    data_path: Path | None
    figures: Mapping[str, Mapping[str, Figure]]
    reporter: Reporter

    def path(self, relpath: str | Path) -> Path:
        """An existing file of the run directory (an input), by its relative path."""
        return self.run_dir / check_relpath(str(relpath))

    def output(self, relpath: str | Path) -> Path:
        """Where to write the output ``relpath`` (relative to the run directory); parents exist.

        ``relpath`` must be one of the stage's declared outputs or lie inside one of them
        (the runner fails the stage otherwise).
        """
        path = self.staging_dir / check_relpath(str(relpath))
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def log(self, message: str) -> None:
        """Append a line to the stage's log."""
        with open(self.log_path, "a", encoding="utf-8") as handle:
            handle.write(message.rstrip("\n") + "\n")

    def status(self, text: str) -> None:
        """Show ``text`` on the stage's status line (e.g. ``"epoch 3/10, loss 0.41"``)."""
        self.reporter.status(text)

    @contextmanager
    def progress(self, description: str, total: float | None = None) -> Iterator[ProgressTask]:
        """A progress bar shown under the stage's line while the ``with`` block runs::

            with ctx.progress("epochs", total=spec.training.epochs) as bar:
                for epoch in ...:
                    bar.advance()
        """
        with self.reporter.progress(description, total) as task:
            yield task


class Stage(ABC):
    """One step of a flow. Subclass it, set ``name`` (and ``version``), implement the methods.

    Attributes:
        name: one of ``codesign.flow.spec.STAGE_ORDER``.
        version: the code version; change it when the stage's behaviour changes so cached
            results made by the old code are not reused.
    """

    name: str
    version: str = "1"

    @abstractmethod
    def outputs(self, ctx: StageContext) -> Sequence[str]:
        """Paths, relative to the run directory, of the files or directories the stage makes.

        Each must be written under ``ctx.output(...)``; a declared output that is missing after a
        ``done`` run, or a file written outside every declared output, fails the stage.
        """

    def inputs(self, ctx: StageContext) -> Sequence[str | Path]:
        """Files or directories whose content the stage reads: relative paths (to the run
        directory; usually outputs of earlier stages) or absolute paths (external files)."""
        return ()

    @abstractmethod
    def config_slice(self, ctx: StageContext) -> Mapping[str, Any]:
        """The part of the flow configuration that affects the outputs (JSON values), e.g.
        ``ctx.spec.section("hls", "quantization")``. A change of any value reruns the stage."""

    def extra_hash_inputs(self, ctx: StageContext) -> Mapping[str, Path | str]:
        """Other things the outputs depend on, by name: a ``Path`` (its content is hashed, e.g.
        the template or header directory) or a ``str`` (used as is, e.g. a tool version)."""
        return {}

    def skip_reason(self, ctx: StageContext) -> str | None:
        """Why the stage cannot run here (e.g. ``"vitis_hls not found on PATH"``), or ``None``."""
        return None

    @abstractmethod
    def run(self, ctx: StageContext) -> StageResult:
        """Do the work: read inputs with ``ctx.path``, write outputs at ``ctx.output``.

        Raising an exception is a failure like returning ``StageResult.failed``; the traceback
        goes into the stage's log.
        """
