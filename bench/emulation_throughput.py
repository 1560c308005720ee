"""Benchmark: inputs per second of the three implementations of the numeric contract (DESIGN.md)
on the same inputs: the torch eval emulation (codesign.nn, float64), the IR reference
interpreter (ir.run, numpy int64) and the g++ C simulation shared library (csim.predict,
ctypes), for bnn tiny and jet_mlp (briefly trained, bench/_models.py).

Each implementation is timed on the same ``--inputs`` inputs: torch in batches of each
``--batch`` size with each ``--threads`` count (torch.set_num_threads); ir.run in batches of each
``--batch`` size (numpy int64: one thread); csim in one ctypes call over all inputs (the library
runs the generated top once per input, single-threaded). What is timed is the computation on
the implementation's own input format: dataset values for torch (float32 tensor), raw int64 for
ir.run and csim; the conversions are outside the timings. Each timing is the median of
``--reps`` runs, interleaved over
the configurations (a single run when one takes longer than 30 s). Every implementation's outputs
are compared with ir.run's, as raw integers (torch: value * 2^F, which must be an integer), on
all inputs, and the count of equal values is recorded.

Writes results/bench_emulation_throughput.csv.

Usage: python bench/emulation_throughput.py [--inputs 10000] [--batch 100 1000] [--threads 1 2]
       [--models jet_mlp bnn_tiny] [--reps 3] [--out results/bench_emulation_throughput.csv]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _models import MODELS, BenchModel, bench_model  # noqa: E402

from _results import write_csv
from codesign import codegen, ir  # noqa: E402
from codesign.nn.export import export, raw_inputs  # noqa: E402
from codesign.toolchain import csim  # noqa: E402

FIELDS = ("model", "implementation", "batch", "threads", "inputs", "reps", "seconds", "seconds_all",
          "inputs_per_s", "equal_values", "compared_values", "identical", "detail", "torch", "machine")
LONG_S = 30.0


def torch_outputs(model: torch.nn.Module, x: torch.Tensor, batch: int) -> torch.Tensor:
    with torch.no_grad():
        return torch.cat([model(x[i:i + batch]) for i in range(0, len(x), batch)])


def ir_outputs(graph: ir.Graph, raw: np.ndarray, batch: int) -> np.ndarray:
    outs = [np.asarray(ir.run(graph, {graph.inputs[0].name: raw[i:i + batch]}).outputs[graph.outputs[0]])
            for i in range(0, len(raw), batch)]
    return np.concatenate(outs).reshape(len(raw), -1)


def bench_one(bm: BenchModel, work: Path, args: argparse.Namespace) -> list[dict[str, Any]]:
    """All timings and comparisons of one model."""
    n = len(bm.inputs)
    result = export(bm.model, bm.example, work / "ir")
    graph = result.graph
    project = codegen.generate(graph, work / "hls", top=f"{bm.name}_top")
    csim.build_predict_library(project.path)
    raw = raw_inputs(bm.model, bm.inputs)
    frac = graph.nodes[-1].out_type.frac_bits
    rows: list[dict[str, Any]] = []

    def add(impl: str, batch: Any, threads: Any, times: list[float], got: np.ndarray, want: np.ndarray,
            detail: str) -> None:
        med = statistics.median(times)
        equal = int((got == want).sum())
        rows.append({"model": bm.name, "implementation": impl, "batch": batch, "threads": threads, "inputs": n,
                     "reps": len(times), "seconds": round(med, 4), "seconds_all": " ".join(f"{t:.4f}" for t in times),
                     "inputs_per_s": round(n / med, 1), "equal_values": equal, "compared_values": want.size,
                     "identical": equal == want.size, "detail": detail})
        print(f"{bm.name:8s} {impl:22s} batch {str(batch):>5s} threads {threads}: {n / med:12,.0f} inputs/s  "
              f"equal to ir.run {equal}/{want.size}")

    x = torch.as_tensor(bm.inputs, dtype=torch.float32)
    model = bm.model.eval()
    # (implementation, batch, threads, run): every run computes all n inputs
    configs: list[tuple[str, Any, int, Callable[[], Any]]] = []
    for batch in args.batch:
        configs.append(("ir.run", batch, 1, lambda b=batch: ir_outputs(graph, raw, b)))
    for threads in args.threads:
        for batch in args.batch:
            configs.append(("torch eval emulation", batch, threads, lambda b=batch: torch_outputs(model, x, b)))
    configs.append(("csim (g++, ctypes)", "all", 1, lambda: csim.predict(project.path, raw).reshape(n, -1)))
    # warm-up on a slice, then repetitions interleaved over the configurations (machine drift hits all
    # alike); a configuration whose run took longer than LONG_S is not repeated
    ir_outputs(graph, raw[:16], 16)
    csim.predict(project.path, raw[:16])
    before = torch.get_num_threads()
    times: dict[int, list[float]] = {i: [] for i in range(len(configs))}
    outputs: dict[int, Any] = {}
    try:
        for threads in args.threads:
            torch.set_num_threads(threads)
            torch_outputs(model, x[:max(args.batch)], max(args.batch))
        for _ in range(args.reps):
            for i, (impl, _batch, threads, run) in enumerate(configs):
                if times[i] and times[i][-1] > LONG_S:
                    continue
                if impl.startswith("torch"):
                    torch.set_num_threads(threads)
                start = time.perf_counter()
                outputs[i] = run()
                times[i].append(time.perf_counter() - start)
    finally:
        torch.set_num_threads(before)
    reference = outputs[0]
    for i, (impl, batch, threads, _run) in enumerate(configs):
        got, detail = outputs[i], ""
        if impl == "ir.run":
            detail = "numpy int64 on raw integers (single-threaded)"
        elif impl.startswith("torch"):
            scaled = got.double().numpy().reshape(n, -1) * 2.0**frac
            on_grid = np.array_equal(scaled, np.round(scaled))
            detail = (f"codesign.nn eval mode under no_grad, float32 dataset values in; output dtype {got.dtype}"
                      + ("" if on_grid else "; OUTPUTS OFF THE FIXED-POINT GRID"))
            got = np.round(scaled).astype(np.int64) if on_grid else np.full(scaled.shape, np.iinfo(np.int64).min)
        else:
            detail = (f"csim.predict: one ctypes call, the generated top run once per input; "
                      f"g++ {' '.join(csim.CSIM_CXXFLAGS[:2])}")
        add(impl, batch, threads, times[i], got, reference, detail)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, default=10_000)
    parser.add_argument("--batch", type=int, nargs="+", default=[100, 1000], help="torch and ir.run batch sizes")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2], help="torch thread counts")
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=None, help="training epochs (default: bench/_models.py's)")
    parser.add_argument("--train-samples", type=int, default=None, help="jet_mlp training samples (default 6000)")
    parser.add_argument("--out", type=Path, default=Path("results/bench_emulation_throughput.csv"))
    args = parser.parse_args()
    torch.set_num_threads(max(args.threads))
    common = {"torch": torch.__version__, "machine": f"{platform.machine()} {os.cpu_count()} cpus"}
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench_emulation_") as tmp:
        for name in args.models:
            bm = bench_model(name, args.inputs, epochs=args.epochs, train_samples=args.train_samples)
            print(f"{name}: test accuracy {bm.test_accuracy:.3f} ({bm.training})")
            rows += bench_one(bm, Path(tmp) / name, args)
    write_csv(args.out, ({**r, **common} for r in rows), FIELDS)


if __name__ == "__main__":
    main()
