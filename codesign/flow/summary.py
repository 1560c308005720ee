"""The run summary: one record per stage, the exit code, ``summary.json`` and the final table.

``summary.json`` holds the run's identity (``flow``, ``run_id``, ``run_dir``), ``exit_code``,
``started_at``/``finished_at``, ``stages`` (a list of records) and, at its top level, every figure
of every stage that is done or cached (a later stage's figure of the same name wins), which is
where ``codesign report`` reads ``accuracy``, ``ebops`` and the like.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from codesign.flow.atomic import atomic_write_json
from codesign.flow.stage import Figure, StageStatus

EXIT_OK = 0
EXIT_STAGE_FAILED = 1
EXIT_REQUIRED_SKIPPED = 2  # also: a bad flow file or command line

_STYLE = {
    StageStatus.DONE: "green",
    StageStatus.CACHED: "cyan",
    StageStatus.SKIPPED: "yellow",
    StageStatus.FAILED: "bold red",
    StageStatus.NOT_RUN: "dim",
}


@dataclass(frozen=True)
class StageRecord:
    """How one stage went.

    Attributes:
        name: the stage.
        status: done, cached, skipped, failed or not run.
        message: the reason (skipped, not run, cached), the failure, or the stage's note.
        seconds: wall time in this run (0 when it did not run).
        figures: its figures (a cached stage's from its last success).
        log: its log file, when it ran.
    """

    name: str
    status: StageStatus
    message: str = ""
    seconds: float = 0.0
    figures: Mapping[str, Figure] = field(default_factory=dict)
    log: Path | None = None

    def to_json(self) -> dict[str, Any]:
        """The record as summary.json holds it."""
        return {
            "name": self.name,
            "status": self.status.value,
            "message": self.message,
            "seconds": round(self.seconds, 3),
            "figures": dict(self.figures),
            "log": str(self.log) if self.log else None,
        }


def exit_code(records: Sequence[StageRecord], required: Sequence[str]) -> int:
    """1 when a stage failed, else 2 when a required stage was skipped, else 0."""
    if any(r.status is StageStatus.FAILED for r in records):
        return EXIT_STAGE_FAILED
    if any(r.status is StageStatus.SKIPPED and r.name in required for r in records):
        return EXIT_REQUIRED_SKIPPED
    return EXIT_OK


@dataclass(frozen=True)
class RunSummary:
    """A finished run."""

    flow: str
    run_dir: Path
    records: tuple[StageRecord, ...]
    required: tuple[str, ...]
    started_at: str
    finished_at: str

    @property
    def exit_code(self) -> int:
        """The process exit code the run deserves (see :func:`exit_code`)."""
        return exit_code(self.records, self.required)

    @property
    def figures(self) -> dict[str, Figure]:
        """Figures of the done and cached stages, merged in stage order."""
        merged: dict[str, Figure] = {}
        for record in self.records:
            if record.status in (StageStatus.DONE, StageStatus.CACHED):
                merged.update(record.figures)
        return merged

    def problems(self) -> list[str]:
        """One line per failed stage (naming its log) and per skipped required stage."""
        lines = []
        for r in self.records:
            if r.status is StageStatus.FAILED:
                log = f" (log: {r.log})" if r.log else ""
                lines.append(f"stage {r.name} failed: {r.message}{log}")
            elif r.status is StageStatus.SKIPPED and r.name in self.required:
                lines.append(f"required stage {r.name} was skipped: {r.message}")
        return lines

    def to_json(self) -> dict[str, Any]:
        """The content of summary.json."""
        return {
            "flow": self.flow,
            "run_id": self.run_dir.name,
            "run_dir": str(self.run_dir.resolve()),
            "exit_code": self.exit_code,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "stages": [r.to_json() for r in self.records],
            **self.figures,
        }

    def write(self) -> Path:
        """Write ``summary.json`` into the run directory atomically; returns its path."""
        path = self.run_dir / "summary.json"
        atomic_write_json(path, self.to_json())
        return path


def _format_figure(value: Figure) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def summary_table(summary: RunSummary) -> Table:
    """The end-of-run table: stage, status (with the reason), time, key figures."""
    table = Table(title=f"{summary.flow}: {summary.run_dir}", title_justify="left")
    table.add_column("stage")
    table.add_column("status")
    table.add_column("time", justify="right")
    table.add_column("figures")
    for r in summary.records:
        status = r.status.value
        if r.message and r.status is not StageStatus.DONE:
            status = f"{status} ({r.message})"
        time = f"{r.seconds:.1f}s" if r.status in (StageStatus.DONE, StageStatus.FAILED) else ""
        figures = ", ".join(f"{k}={_format_figure(v)}" for k, v in r.figures.items())
        table.add_row(r.name, Text(status, style=_STYLE[r.status]), time, Text(figures))
    return table


def print_summary(summary: RunSummary, console: Console) -> None:
    """Print the table and the problems that decide a nonzero exit code."""
    console.print(summary_table(summary))
    for line in summary.problems():
        console.print(Text.assemble(("error: ", "bold red"), line), soft_wrap=True)
