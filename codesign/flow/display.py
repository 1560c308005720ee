"""The live display of a run: a spinner line per running stage, progress bars, one line per end.

:class:`RunDisplay` is the :class:`codesign.flow.stage.Reporter` the stages talk to through
``ctx.status`` and ``ctx.progress``. On a terminal it animates; elsewhere (CI logs, tests) only the
finished-stage lines are printed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

from codesign.flow.summary import StageRecord
from codesign.flow.stage import StageStatus

_MARK = {
    StageStatus.DONE: ("done", "green"),
    StageStatus.CACHED: ("cached", "cyan"),
    StageStatus.SKIPPED: ("skipped", "yellow"),
    StageStatus.FAILED: ("FAILED", "bold red"),
    StageStatus.NOT_RUN: ("not run", "dim"),
}


class _Task:
    """One progress bar (a :class:`codesign.flow.stage.ProgressTask`)."""

    def __init__(self, progress: Progress, task_id: TaskID) -> None:
        self._progress = progress
        self._id = task_id

    def advance(self, amount: float = 1) -> None:
        """Move forward by ``amount`` steps."""
        self._progress.advance(self._id, amount)

    def update(
        self, *, completed: float | None = None, total: float | None = None,
        description: str | None = None,
    ) -> None:
        """Set the position, the total or the description."""
        self._progress.update(self._id, completed=completed, total=total, description=description)


class RunDisplay:
    """Spinner and bars while a stage runs; a line when it ends. Use as a context manager."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        self._stage_task: TaskID | None = None
        self._stage = ""

    def __enter__(self) -> RunDisplay:
        self._progress.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._progress.stop()

    def start_stage(self, name: str) -> None:
        """Show the spinner line of a stage that starts running."""
        self._stage = name
        self._stage_task = self._progress.add_task(f"{name}: running", total=None)

    def end_stage(self, record: StageRecord) -> None:
        """Replace the stage's spinner with its final line."""
        if self._stage_task is not None:
            self._progress.remove_task(self._stage_task)
            self._stage_task = None
        word, style = _MARK[record.status]
        line = Text.assemble((f"{record.name:<10} ", "bold"), (f"{word:<8}", style))
        if record.status in (StageStatus.DONE, StageStatus.FAILED):
            line.append(f" {record.seconds:6.1f}s")
        if record.message:
            line.append(f"  {record.message}")
        if record.figures:
            line.append("  " + ", ".join(f"{k}={v}" for k, v in record.figures.items()))
        self.console.print(line)

    def status(self, text: str) -> None:
        """Replace the running stage's status text."""
        if self._stage_task is not None:
            self._progress.update(self._stage_task, description=f"{self._stage}: {text}")

    @contextmanager
    def progress(self, description: str, total: float | None) -> Iterator[_Task]:
        """A bar under the stage's line for the duration of the ``with`` block."""
        task_id = self._progress.add_task(f"  {description}", total=total)
        try:
            yield _Task(self._progress, task_id)
        finally:
            self._progress.remove_task(task_id)


class _NullTask:
    """A progress bar that shows nothing."""

    def advance(self, amount: float = 1) -> None:
        """Ignore the step."""

    def update(
        self, *, completed: float | None = None, total: float | None = None,
        description: str | None = None,
    ) -> None:
        """Ignore the update."""


class NullReporter:
    """A reporter that shows nothing: used while stages are only assessed (``--explain``)."""

    def status(self, text: str) -> None:
        """Ignore the status."""

    @contextmanager
    def progress(self, description: str, total: float | None) -> Iterator[_NullTask]:
        """A bar that shows nothing."""
        yield _NullTask()
