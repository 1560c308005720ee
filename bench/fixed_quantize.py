"""Benchmark: codesign.fixed.quantize vs the plain clamp(round(x*2^F))/2^F on float32 values.

Writes results/bench_fixed_quantize.csv: one row per (rounding, overflow) mode with the
median time of quantize and of the plain expression, timed alternately in the same run,
and their ratio. Target (issue 2): median ratio <= 3x for RND/SAT and TRN/WRAP.

Usage: python bench/fixed_quantize.py [--n 10000000] [--repeats 7] [--out results/bench_fixed_quantize.csv]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import torch

from _results import write_csv
from codesign.fixed import FixedType, Overflow, Rounding, quantize

BENCH_TYPE = (8, 3)  # ap_fixed<8,3,...>: a typical activation type


def plain(x: torch.Tensor, t: FixedType) -> torch.Tensor:
    """The usual fake-quantization one-liner (round-half-even, saturate)."""
    scale = 2.0**t.frac_bits
    return torch.clamp(torch.round(x * scale), t.raw_min, t.raw_max) / scale


def median_seconds(fn: Callable[[], torch.Tensor], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def run(n: int, repeats: int) -> list[dict[str, object]]:
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(n, generator=gen, dtype=torch.float32) * 3
    rows = []
    for rounding in Rounding:
        for overflow in Overflow:
            t = FixedType(*BENCH_TYPE, True, rounding, overflow)
            quantize(x, t), plain(x, t)  # warm-up
            ours, base = [], []
            for _ in range(repeats):  # alternate so drift affects both equally
                ours.append(median_seconds(lambda: quantize(x, t), 1))
                base.append(median_seconds(lambda: plain(x, t), 1))
            q, p = statistics.median(ours), statistics.median(base)
            rows.append({
                "type": str(t), "rounding": rounding.cpp, "overflow": overflow.cpp, "n": n,
                "quantize_ms": round(q * 1e3, 2), "plain_ms": round(p * 1e3, 2), "ratio": round(q / p, 2),
            })
            print(f"{str(t):40s} quantize {q*1e3:8.1f} ms  plain {p*1e3:7.1f} ms  ratio {q/p:5.2f}")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000_000)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--out", type=Path, default=Path("results/bench_fixed_quantize.csv"))
    args = parser.parse_args()
    rows = run(args.n, args.repeats)
    common = {"torch": torch.__version__, "threads": torch.get_num_threads(),
              "machine": f"{platform.machine()} {os.cpu_count()} cpus"}
    write_csv(args.out, ({**row, **common} for row in rows), [*rows[0].keys(), *common])


if __name__ == "__main__":
    main()
