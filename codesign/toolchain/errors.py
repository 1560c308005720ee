"""Typed errors of the toolchain: every failure names the tool, the log and its tail."""

from __future__ import annotations

from pathlib import Path


class ToolchainError(RuntimeError):
    """Base class of every error raised by codesign.toolchain."""


class ToolNotFoundError(ToolchainError):
    """A tool or header directory the stage needs is not installed."""


class ToolError(ToolchainError):
    """A tool ran and failed.

    Attributes:
        tool: the program name (argv[0]).
        returncode: its exit status (None when it was killed for the timeout).
        log_path: the full log of the run.
        log_tail: the last lines of that log.
    """

    def __init__(
        self, tool: str, returncode: int | None, log_path: Path, log_tail: str, reason: str = ""
    ) -> None:
        self.tool = tool
        self.returncode = returncode
        self.log_path = log_path
        self.log_tail = log_tail
        what = reason or f"exited with status {returncode}"
        super().__init__(f"{tool} {what}; full log: {log_path}\n--- log tail ---\n{log_tail}")


class ToolTimeoutError(ToolError):
    """A tool ran past its time limit and was killed."""
