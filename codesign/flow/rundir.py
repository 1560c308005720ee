"""Run directories: ``results/runs/<flow>/<run-id>/`` and the ``latest`` pointer beside them.

A run directory holds ``flow.yaml`` (the resolved flow), the stages' outputs (``checkpoint.pt``,
``ir/``, ``hls/``, ``reports/``...), ``logs/<stage>.log``, ``summary.json`` and two hidden folders
of the runner: ``.stamps/`` (one stamp per successful stage) and ``.staging/`` (outputs being
written; emptied at the start of every run). A new run directory starts from the outputs and
stamps of the flow's latest run (hard links), so unchanged stages are cached across runs.
"""

from __future__ import annotations

import fcntl
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from codesign.flow.atomic import atomic_symlink, link_tree, remove_path

#: Where run directories go unless ``--run-dir`` names one.
RUNS_ROOT = Path("results/runs")
LATEST = "latest"
STAMPS = ".stamps"
STAGING = ".staging"
#: Names in a run directory that belong to the runner, not to any stage.
RESERVED = frozenset({"flow.yaml", "summary.json", "logs", STAMPS, STAGING, ".lock"})


class RunDirError(RuntimeError):
    """A run directory cannot be used (busy, or not a directory)."""


@dataclass(frozen=True)
class RunDir:
    """One run directory and the runner's places in it."""

    path: Path

    @property
    def run_id(self) -> str:
        """The run's id: the directory's name."""
        return self.path.name

    @property
    def logs_dir(self) -> Path:
        """``logs/``: one log per stage."""
        return self.path / "logs"

    @property
    def staging_root(self) -> Path:
        """``.staging/``: outputs being written, and replaced outputs on their way out."""
        return self.path / STAGING

    def stamp_path(self, stage: str) -> Path:
        """The stamp file of ``stage``."""
        return self.path / STAMPS / f"{stage}.json"

    def staging_dir(self, stage: str) -> Path:
        """Where ``stage`` writes its outputs before they are committed."""
        return self.staging_root / stage

    def log_path(self, stage: str) -> Path:
        """The log file of ``stage``."""
        return self.logs_dir / f"{stage}.log"

    def prepare(self) -> None:
        """Create the directory and its folders; drop staging left by a killed run."""
        if self.path.exists() and not self.path.is_dir():
            raise RunDirError(f"{self.path} exists and is not a directory")
        remove_path(self.staging_root)
        for folder in (self.path, self.logs_dir, self.path / STAMPS, self.staging_root):
            folder.mkdir(parents=True, exist_ok=True)

    @contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the directory's lock: a second runner on the same directory fails at once."""
        with open(self.path / ".lock", "w", encoding="utf-8") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise RunDirError(f"{self.path} is in use by another codesign run") from None
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def latest_run_dir(flow_name: str, runs_root: Path = RUNS_ROOT) -> Path | None:
    """The flow's latest run directory, or ``None`` when it has none."""
    pointer = runs_root / flow_name / LATEST
    if pointer.is_symlink():
        target = pointer.resolve()
    elif pointer.is_file():
        target = runs_root / flow_name / pointer.read_text(encoding="utf-8").strip()
    else:
        return None
    return target if target.is_dir() else None


def _new_run_id(flow_root: Path) -> str:
    stem = datetime.now().strftime("%Y%m%d-%H%M%S")
    run_id, n = stem, 1
    while (flow_root / run_id).exists() or (flow_root / run_id).is_symlink():
        n += 1
        run_id = f"{stem}-{n}"
    return run_id


def seed_from(previous: Path, run_dir: RunDir) -> None:
    """Copy (hard-link) every stage output and stamp of ``previous`` into ``run_dir``.

    Outputs first, each stamp last: a stamp that arrives without its outputs is caught by the
    output hashes anyway.
    """
    for stamp_file in sorted((previous / STAMPS).glob("*.json")):
        try:
            outputs = json.loads(stamp_file.read_text(encoding="utf-8"))["output_hashes"]
        except (OSError, ValueError, KeyError, TypeError):
            continue
        for relpath in outputs:
            source, target = previous / relpath, run_dir.path / relpath
            if source.exists() and not target.exists():
                link_tree(source, target)
        link_tree(stamp_file, run_dir.path / STAMPS / stamp_file.name)


def open_run_dir(flow_name: str, run_dir: Path | None, runs_root: Path = RUNS_ROOT) -> RunDir:
    """The run directory to use: ``run_dir`` when given (created or reused as is), else a new
    ``<runs_root>/<flow>/<timestamp>/`` seeded from the flow's latest run and made the latest."""
    if run_dir is not None:
        if run_dir.exists() and not run_dir.is_dir():
            raise RunDirError(f"{run_dir} exists and is not a directory")
        run_dir.mkdir(parents=True, exist_ok=True)
        return RunDir(run_dir)
    flow_root = runs_root / flow_name
    flow_root.mkdir(parents=True, exist_ok=True)
    previous = latest_run_dir(flow_name, runs_root)
    chosen = RunDir(flow_root / _new_run_id(flow_root))
    chosen.path.mkdir()
    if previous is not None:
        seed_from(previous, chosen)
    mark_latest(chosen)
    return chosen


def mark_latest(run_dir: RunDir) -> None:
    """Point ``<flow>/latest`` at ``run_dir`` (a relative symbolic link when it is a sibling)."""
    parent = run_dir.path.parent
    target = run_dir.run_id if parent.resolve() == run_dir.path.resolve().parent else str(
        run_dir.path.resolve()
    )
    atomic_symlink(target, parent / LATEST)

