"""The one function in codesign that starts a process."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from codesign.toolchain.errors import ToolError, ToolNotFoundError, ToolTimeoutError

LOG_TAIL_LINES = 40


@dataclass(frozen=True)
class ProcessResult:
    """A finished process: its arguments, exit status, wall time (s) and log file."""

    args: tuple[str, ...]
    returncode: int
    seconds: float
    log_path: Path


def log_tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    """The last ``lines`` lines of a log file ('' when it does not exist)."""
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def run_process(
    args: Sequence[str | os.PathLike[str]],
    *,
    log_path: Path,
    timeout_s: float,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    check: bool = True,
) -> ProcessResult:
    """Run ``args`` with stdout and stderr appended to ``log_path``.

    Args:
        args: the program and its arguments (no shell is involved).
        log_path: log file; its parent directory is created.
        timeout_s: wall-clock limit in seconds; the whole process group is killed past it.
        cwd: working directory.
        env: extra environment variables on top of the current environment.
        check: raise ToolError on a nonzero exit status.

    Raises:
        ToolNotFoundError: the program does not exist.
        ToolTimeoutError: the limit passed.
        ToolError: nonzero exit status (when ``check``).
    """
    argv = [os.fspath(a) for a in args]
    log_path.parent.mkdir(parents=True, exist_ok=True)
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    start = time.monotonic()
    with open(log_path, "ab") as log:
        log.write(f"$ {' '.join(argv)}\n".encode())
        log.flush()
        try:
            proc = subprocess.Popen(
                argv,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=cwd,
                env=full_env,
                start_new_session=True,
            )
        except FileNotFoundError as exc:
            raise ToolNotFoundError(f"{argv[0]}: program not found ({exc.strerror})") from exc
        try:
            returncode = proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            raise ToolTimeoutError(
                argv[0], None, log_path, log_tail(log_path), f"ran past its {timeout_s:g} s limit"
            ) from None
    seconds = time.monotonic() - start
    if check and returncode != 0:
        raise ToolError(argv[0], returncode, log_path, log_tail(log_path))
    return ProcessResult(tuple(argv), returncode, seconds, log_path)
