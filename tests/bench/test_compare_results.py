"""bench/compare_results.py: matched rows within tolerance pass, a value outside fails, and
unusable input (missing file, column or a repeated key) exits 2 with a message."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def run(*args: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "bench/compare_results.py", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)


COMMITTED = "seed,width,method,accuracy,seconds\n0,4,qfx,0.9889,10\n0,4,ptq,0.3658,0\n1,4,qfx,0.9861,11\n"


def test_within_absolute_tolerance_passes(tmp_path: Path) -> None:
    a = write(tmp_path / "a.csv", COMMITTED)
    b = write(tmp_path / "b.csv", "seed,width,method,accuracy,seconds\n0,4,ptq,0.3658,0\n0,4,qfx,0.9861,99\n")
    proc = run(a, b, "--key", "seed", "width", "method", "--value", "accuracy", "--abs-tol", "0.0028")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "2 values compared, 0 outside tolerance" in proc.stdout
    assert "only in committed: 1 rows" in proc.stdout


def test_value_outside_tolerance_fails(tmp_path: Path) -> None:
    a = write(tmp_path / "a.csv", COMMITTED)
    b = write(tmp_path / "b.csv", "seed,width,method,accuracy,seconds\n0,4,qfx,0.9800,10\n")
    proc = run(a, b, "--key", "seed", "width", "method", "--value", "accuracy", "--abs-tol", "0.0028")
    assert proc.returncode == 1
    assert "OUT 0 4 qfx accuracy: committed 0.9889 rerun 0.98" in proc.stdout


def test_relative_tolerance(tmp_path: Path) -> None:
    a = write(tmp_path / "a.csv", COMMITTED)
    b = write(tmp_path / "b.csv", "seed,width,method,accuracy,seconds\n0,4,qfx,0.9889,10.9\n1,4,qfx,0.9861,12.2\n")
    proc = run(a, b, "--key", "seed", "width", "method", "--value", "seconds", "--rel-tol", "0.1")
    assert proc.returncode == 1
    assert "ok  0 4 qfx seconds" in proc.stdout and "OUT 1 4 qfx seconds" in proc.stdout


def test_no_matched_rows_fails(tmp_path: Path) -> None:
    a = write(tmp_path / "a.csv", COMMITTED)
    b = write(tmp_path / "b.csv", "seed,width,method,accuracy,seconds\n7,4,qfx,0.9889,10\n")
    assert run(a, b, "--key", "seed", "width", "method", "--value", "accuracy").returncode == 1


def test_unusable_input_exits_2(tmp_path: Path) -> None:
    a = write(tmp_path / "a.csv", COMMITTED)
    proc = run(a, tmp_path / "missing.csv", "--key", "seed", "width", "method", "--value", "accuracy")
    assert proc.returncode == 2 and "missing.csv: no such file" in proc.stderr
    proc = run(a, a, "--key", "seed", "width", "method", "--value", "loss")
    assert proc.returncode == 2 and "no column loss" in proc.stderr
    proc = run(a, a, "--key", "seed", "--value", "accuracy")
    assert proc.returncode == 2 and "appears twice" in proc.stderr


def test_empty_cells(tmp_path: Path) -> None:
    """Empty in both tables: skipped; empty in one: outside tolerance."""
    a = write(tmp_path / "a.csv", "name,ratio\nbuild,\ntotal,1.2\n")
    b = write(tmp_path / "b.csv", "name,ratio\nbuild,\ntotal,1.25\n")
    proc = run(a, b, "--key", "name", "--value", "ratio", "--rel-tol", "0.1")
    assert proc.returncode == 0 and "1 values compared, 0 outside" in proc.stdout
    c = write(tmp_path / "c.csv", "name,ratio\nbuild,3\ntotal,1.25\n")
    proc = run(a, c, "--key", "name", "--value", "ratio", "--rel-tol", "0.1")
    assert proc.returncode == 1 and "OUT build ratio: committed nan rerun 3" in proc.stdout
