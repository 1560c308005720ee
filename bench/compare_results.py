"""Does a rerun of a benchmark match its committed table within noise?

Rows of the committed CSV and of the rerun's CSV are matched on ``--key`` columns; every
``--value`` column of each matched pair is compared with an absolute tolerance
(``--abs-tol``, e.g. one test image of accuracy) or a relative one (``--rel-tol``, for
timings, whose noise is relative). Rows present in only one file are listed. Exit status 0
when every matched value is within tolerance and at least one row matched, 1 otherwise,
2 on unusable input (a missing file or column).

Usage:
    python bench/compare_results.py results/qfx_vs_ptq_digits.csv /tmp/rerun.csv \\
        --key seed width method --value accuracy --abs-tol 0.0028
    python bench/compare_results.py results/bench_qat_overhead.csv /tmp/qat.csv \\
        --key model scheme --value ratio_to_float --rel-tol 0.10
"""

from __future__ import annotations

import argparse
import csv
import math
import sys
from dataclasses import dataclass
from pathlib import Path


ROUNDING = 1e-12
"""Slack for decimal values that are not exact binary floats (0.9861 - 0.9889 > 0.0028 in doubles)."""


class CompareError(Exception):
    """An input file or column that cannot be compared (exit status 2)."""


@dataclass(frozen=True)
class Difference:
    """One compared value: the key of its rows, the column, both values and whether it is within tolerance."""

    key: tuple[str, ...]
    column: str
    committed: float
    rerun: float
    within: bool


def read_rows(path: Path, keys: list[str], values: list[str]) -> dict[tuple[str, ...], dict[str, str]]:
    """The rows of ``path`` keyed by the ``keys`` columns (which, like ``values``, must exist);
    a repeated key is an error (the comparison would be ambiguous)."""
    if not path.is_file():
        raise CompareError(f"{path}: no such file")
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        missing = [c for c in keys + values if c not in (reader.fieldnames or [])]
        if missing:
            raise CompareError(f"{path}: no column {', '.join(missing)} (columns: {', '.join(reader.fieldnames or [])})")
        rows: dict[tuple[str, ...], dict[str, str]] = {}
        for row in reader:
            key = tuple(row[c] for c in keys)
            if key in rows:
                raise CompareError(f"{path}: key {key} appears twice; add key columns to make rows unique")
            rows[key] = row
    return rows


def _number(text: str) -> float:
    """A cell's number, NaN for an empty cell."""
    return float(text) if text else math.nan


def compare(committed: dict[tuple[str, ...], dict[str, str]], rerun: dict[tuple[str, ...], dict[str, str]],
            values: list[str], abs_tol: float, rel_tol: float) -> list[Difference]:
    """Compare ``values`` of the rows present in both tables; a value is within tolerance when
    ``|rerun - committed| <= abs_tol + rel_tol * |committed|`` (plus ``ROUNDING``). A cell
    empty in both tables is skipped; empty in one only is outside tolerance."""
    differences = []
    for key in committed.keys() & rerun.keys():
        for column in values:
            texts = committed[key][column].strip(), rerun[key][column].strip()
            if not any(texts):
                continue  # no value in either table (a column that does not apply to this row)
            if not all(texts):
                differences.append(Difference(key, column, _number(texts[0]), _number(texts[1]), False))
                continue
            try:
                a, b = float(texts[0]), float(texts[1])
            except ValueError as exc:
                raise CompareError(f"column {column} of key {key} is not a number: {exc}") from exc
            differences.append(Difference(key, column, a, b, abs(b - a) <= abs_tol + rel_tol * abs(a) + ROUNDING))
    return sorted(differences, key=lambda d: (d.key, d.column))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("committed", type=Path, help="the committed CSV under results/")
    parser.add_argument("rerun", type=Path, help="the rerun's CSV (written with the benchmark's --out)")
    parser.add_argument("--key", nargs="+", required=True, help="columns that identify a row")
    parser.add_argument("--value", nargs="+", required=True, help="numeric columns to compare")
    parser.add_argument("--abs-tol", type=float, default=0.0, help="absolute tolerance")
    parser.add_argument("--rel-tol", type=float, default=0.0, help="relative tolerance (fraction of the committed value)")
    args = parser.parse_args(argv)
    try:
        committed = read_rows(args.committed, args.key, args.value)
        rerun = read_rows(args.rerun, args.key, args.value)
        differences = compare(committed, rerun, args.value, args.abs_tol, args.rel_tol)
    except CompareError as exc:
        print(f"compare_results: {exc}", file=sys.stderr)
        return 2
    for d in differences:
        mark = "ok " if d.within else "OUT"
        print(f"{mark} {' '.join(d.key)} {d.column}: committed {d.committed:.6g} rerun {d.rerun:.6g} "
              f"(diff {d.rerun - d.committed:+.4g})")
    for name, only in (("committed", committed.keys() - rerun.keys()), ("rerun", rerun.keys() - committed.keys())):
        if only:
            print(f"only in {name}: {len(only)} rows (e.g. {' '.join(sorted(only)[0])})")
    outside = sum(not d.within for d in differences)
    print(f"{len(differences)} values compared, {outside} outside tolerance "
          f"(abs {args.abs_tol:g}, rel {args.rel_tol:g})")
    return 0 if differences and outside == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
