"""Running a deploy bundle's check on a board over ssh: copy, run, fetch the result."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

from codesign.toolchain.errors import ToolchainError, ToolError
from codesign.toolchain.process import run_process

SSH_UNREACHABLE = 255
"""ssh's exit status when it could not reach or log in to the host."""
_HOST_RE = re.compile(r"^(?:[A-Za-z0-9._-]+@)?[A-Za-z0-9._-]+$")


class RemoteError(ToolchainError):
    """The board could not be reached, or the check could not run there."""


@dataclass(frozen=True)
class RemoteRun:
    """A finished remote check: the fetched JSON result and the board's exit status (0 pass, 1 mismatch)."""

    result: Path
    returncode: int


def _ssh_base(host: str, port: int | None) -> list[str]:
    return ["ssh", "-o", "BatchMode=yes", "-o", "ConnectTimeout=10", *(["-p", str(port)] if port else []), host]


def deploy_remote(bundle: Path, host: str, out_dir: Path, *, log_path: Path, timeout_s: float = 600,
                  remote_dir: str = "/tmp/codesign_deploy", python: str = "python3", emulate: bool = False,
                  port: int | None = None) -> RemoteRun:
    """Copy ``bundle`` (a .tar.gz) to ``host``, run ``python -m codesign.runtime`` there, and
    fetch its JSON result into ``out_dir/result.json``.

    The board needs numpy, pynq and codesign (``pip install --no-deps``) installed. Nothing
    local is changed unless the run completes: the result is fetched to a temporary name
    and renamed.

    Raises:
        ValueError: a host that is not ``[user@]name``.
        RemoteError: the host is unreachable, or the check could not run there (exit 2: e.g.
            no pynq, wrong board, bad bundle), with the board's message.
        ToolTimeoutError: the remote check ran past ``timeout_s``.
    """
    if not _HOST_RE.fullmatch(host):
        raise ValueError(f"--host must be [user@]hostname, got {host!r}")
    if not bundle.is_file():
        raise RemoteError(f"bundle {bundle} not found (run the flow's package stage first)")
    remote_bundle = f"{remote_dir}/{bundle.name}"
    remote_result = f"{remote_dir}/result.json"
    scp_port = ["-P", str(port)] if port else []
    try:
        run_process([*_ssh_base(host, port), "mkdir", "-p", shlex.quote(remote_dir)], log_path=log_path, timeout_s=60)
        run_process(["scp", "-o", "BatchMode=yes", *scp_port, bundle, f"{host}:{remote_bundle}"],
                    log_path=log_path, timeout_s=timeout_s)
    except ToolError as exc:
        raise RemoteError(_unreachable(host, exc)) from exc
    command = [python, "-m", "codesign.runtime", remote_bundle, "--out", remote_result, *(["--emulate"] if emulate else [])]
    run = run_process([*_ssh_base(host, port), " ".join(shlex.quote(c) for c in command)], log_path=log_path,
                      timeout_s=timeout_s, check=False)
    if run.returncode == SSH_UNREACHABLE:
        raise RemoteError(f"lost the connection to {host} while the check ran; see {log_path}")
    if run.returncode not in (0, 1):
        raise RemoteError(f"the check could not run on {host} (exit {run.returncode}); the board said:\n"
                          + _tail(log_path))
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = out_dir / ".result.json.part"
    try:
        run_process(["scp", "-o", "BatchMode=yes", *scp_port, f"{host}:{remote_result}", tmp],
                    log_path=log_path, timeout_s=120)
    except ToolError as exc:
        raise RemoteError(f"the check ran on {host} but its result could not be fetched; see {log_path}") from exc
    target = out_dir / "result.json"
    tmp.replace(target)
    return RemoteRun(target, run.returncode)


def _unreachable(host: str, exc: ToolError) -> str:
    if exc.returncode == SSH_UNREACHABLE:
        return f"cannot reach {host} over ssh (check the address, the network and key-based login); see {exc.log_path}"
    return f"copying the bundle to {host} failed (exit {exc.returncode}); see {exc.log_path}"


def _tail(log_path: Path, lines: int = 8) -> str:
    return "\n".join(log_path.read_text(errors="replace").splitlines()[-lines:])
