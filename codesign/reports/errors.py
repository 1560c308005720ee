"""The one error type of codesign.reports: a report file that is missing or cannot be read."""

from __future__ import annotations

from pathlib import Path


class ReportError(ValueError):
    """A vendor report is missing, malformed, or lacks a figure the parser needs.

    Attributes:
        path: the report file (or run directory) concerned.
        problem: what is missing or malformed, in words.
    """

    def __init__(self, path: Path | str, problem: str) -> None:
        self.path = Path(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


def read_report_text(path: Path | str) -> str:
    """Read a text report: UTF-8 with or without BOM, any line ending, undecodable bytes replaced.

    Raises:
        ReportError: the file does not exist or cannot be read.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ReportError(path, "report file not found") from None
    except OSError as exc:
        raise ReportError(path, f"cannot read report file ({exc.strerror})") from None
    return data.decode("utf-8-sig", errors="replace")
