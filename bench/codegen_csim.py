"""Benchmark: codesign export + codegen + g++ build vs hls4ml convert + compile, csim throughput,
and bit-exact agreement of the two on the same jet_mlp at the same precisions.

In one run:

- codesign, for jet_mlp and bnn tiny (briefly trained, bench/_models.py): ``export`` to the IR,
  ``codegen.generate`` of the HLS project, and the g++ build of its ctypes predict library
  (``toolchain.csim.build_predict_library``), each timed, ``--reps`` times with a cold build
  cache: the cache of ``toolchain.gxx.build`` is the ``<library>.buildkey`` stamp and the
  ``.objs/`` folder beside the library, inside the project folder, so every repetition
  exports, generates and builds in a fresh temporary folder. Then the prediction throughput of
  ``csim.predict`` (one ctypes call over all inputs) and of ``ir.run``, and whether the two agree
  bit for bit.
- hls4ml, for jet_mlp: a float torch model (nn.Linear / nn.ReLU) holding the dequantized
  fixed-point weights and biases of the IR (exactly representable), an hls4ml config
  (``config_from_pytorch_model(granularity='name')``) whose input, weight, bias, accumulator,
  dense result and ReLU result precisions are the IR's types spelled as the IR spells them,
  ``convert_from_pytorch_model(backend='Vitis', io_type='io_parallel')`` and
  ``hls_model.compile()`` (hls4ml writes its project and runs g++ through build_lib.sh) in a
  fresh folder per repetition, interleaved with the codesign repetitions; then
  ``hls_model.predict`` on the same inputs (float32, the values the codesign input was
  quantized from) and the number of output values equal to the IR's (raw * 2^-F).
- A control, run once and untimed: the same hls4ml model with every accumulator left at the
  config's default precision ap_fixed<16,6>, to show the agreement check detects a difference.

Writes results/bench_codegen_csim.csv: one row per (tool, model, phase) with the median seconds
over the repetitions (all values listed), throughput rows (inputs/s), agreement rows (values
exactly equal / values compared) and the ratio row "hls4ml convert+compile / codesign
export+codegen+build" of the medians. Target (issue 5): the ratio > 1.

Usage: python bench/codegen_csim.py [--reps 3] [--inputs 10000] [--out results/bench_codegen_csim.csv]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _models import BenchModel, bench_model  # noqa: E402

from _results import write_csv
from codesign import codegen, ir  # noqa: E402
from codesign.nn.export import export, raw_inputs  # noqa: E402
from codesign.toolchain import csim  # noqa: E402
from codesign.toolchain.gxx import find_gxx  # noqa: E402
from codesign.toolchain.process import run_process  # noqa: E402

FIELDS = ("tool", "model", "phase", "reps", "seconds", "seconds_all", "inputs", "inputs_per_s",
          "equal_values", "compared_values", "ratio", "detail", "hls4ml", "gxx", "torch", "machine")
HLS4ML_CONTROL_ACCUM = "ap_fixed<16,6>"


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Swallow hls4ml's progress prints (they would also cost a little time)."""
    with contextlib.redirect_stdout(io.StringIO()):
        yield


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


# ---------------------------------------------------------------------------- codesign
def codesign_build(bm: BenchModel, work: Path) -> tuple[dict[str, float], ir.Graph, Path]:
    """Export, codegen and g++ build into ``work`` (fresh: nothing cached); phase seconds."""
    top = f"{bm.name}_top"
    result, t_export = timed(lambda: export(bm.model, bm.example, work / "ir"))
    project, t_codegen = timed(lambda: codegen.generate(result.graph, work / "hls", top=top))
    stamp = project.path / "build" / f"lib{top}_predict.so.buildkey"
    assert not stamp.exists(), "the build cache must be cold"
    _, t_build = timed(lambda: csim.build_predict_library(project.path))
    assert stamp.exists()
    return {"export": t_export, "codegen": t_codegen, "build": t_build}, result.graph, project.path


# ----------------------------------------------------------------------------- hls4ml
class FloatMLP(nn.Module):
    """The jet MLP in plain torch: fc0, relu0, ..., fc{n}."""

    def __init__(self, sizes: list[int]) -> None:
        super().__init__()
        self.depth = len(sizes) - 1
        for i, (a, b) in enumerate(zip(sizes, sizes[1:])):
            setattr(self, f"fc{i}", nn.Linear(a, b))
            if i < self.depth - 1:
                setattr(self, f"relu{i}", nn.ReLU())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for i in range(self.depth - 1):
            x = getattr(self, f"relu{i}")(getattr(self, f"fc{i}")(x))
        return getattr(self, f"fc{self.depth - 1}")(x)


def mlp_layers(graph: ir.Graph) -> tuple[list[ir.Node], list[ir.Node]]:
    """The dense and relu nodes of a dense/relu chain (the exported jet MLP)."""
    dense = [n for n in graph.nodes if n.op == "dense"]
    relu = [n for n in graph.nodes if n.op == "relu"]
    ops = [n.op for n in graph.nodes]
    if ops != ["dense", "relu"] * len(relu) + ["dense"]:
        raise ValueError(f"not a dense/relu chain: {ops}")
    return dense, relu


def float_twin(graph: ir.Graph) -> FloatMLP:
    """A float torch MLP whose weights and biases are the IR's, dequantized (exact in float32:
    8-bit values)."""
    dense, _ = mlp_layers(graph)
    sizes = [int(dense[0].params["weight"].shape[1])] + [int(n.shape[0]) for n in dense]
    model = FloatMLP(sizes)
    with torch.no_grad():
        for i, node in enumerate(dense):
            layer = getattr(model, f"fc{i}")
            for key in ("weight", "bias"):
                value = graph.params[f"{node.name}.{key}"] * 2.0 ** -node.params[key].type.frac_bits
                getattr(layer, key).copy_(torch.as_tensor(value, dtype=torch.float32))
                assert np.array_equal(getattr(layer, key).double().numpy(), value), "not exact in float32"
    return model.eval()


def hls4ml_config(graph: ir.Graph, model: nn.Module, *, accum: str | None = None) -> dict[str, Any]:
    """The hls4ml config with the IR's types per layer (``accum`` overrides every accumulator)."""
    import hls4ml

    n_in = int(graph.inputs[0].shape[0])
    cfg = hls4ml.utils.config_from_pytorch_model(model, (n_in,), granularity="name", backend="Vitis")
    layers = cfg["LayerName"]
    dense, relu = mlp_layers(graph)
    inputs = [name for name in layers if not name.startswith(("fc", "relu"))]
    assert len(inputs) == 1, f"expected one input layer, got {inputs}"
    layers[inputs[0]]["Precision"]["result"] = str(graph.inputs[0].type)
    for i, node in enumerate(dense):
        precision = layers[f"fc{i}"]["Precision"]
        precision["weight"] = str(node.params["weight"].type)
        precision["bias"] = str(node.params["bias"].type)
        precision["accum"] = accum or str(node.acc_type)
        precision["result"] = str(node.out_type)
    for i, node in enumerate(relu):
        layers[f"relu{i}"]["Precision"]["result"] = str(node.out_type)
    return cfg


def hls4ml_build(graph: ir.Graph, work: Path, *, accum: str | None = None) -> tuple[dict[str, float], Any]:
    """convert (config + conversion) and compile (write + g++) into ``work``; phase seconds."""
    import hls4ml

    model = float_twin(graph)

    def convert() -> Any:
        cfg = hls4ml_config(graph, model, accum=accum)
        return hls4ml.converters.convert_from_pytorch_model(
            model, output_dir=str(work / "hls4ml"), project_name="myproject", backend="Vitis",
            io_type="io_parallel", hls_config=cfg)

    with quiet():
        hls_model, t_convert = timed(convert)
        _, t_compile = timed(hls_model.compile)
    return {"convert": t_convert, "compile": t_compile}, hls_model


def hls4ml_typedefs(hls_model: Any) -> str:
    """The typedefs hls4ml generated (to record what it really used)."""
    defines = Path(hls_model.config.get_output_dir()) / "firmware" / "defines.h"
    return "; ".join(line.strip().removeprefix("typedef ").rstrip(";") for line in defines.read_text().splitlines()
                     if line.startswith("typedef") and "_index" not in line and "table" not in line)


# ------------------------------------------------------------------------------- main
def throughput(fn: Callable[[], Any], reps: int, *, long_s: float = 30.0) -> tuple[Any, list[float]]:
    """Time ``fn`` ``reps`` times (once only when a call takes longer than ``long_s``)."""
    out, times = None, []
    for _ in range(reps):
        out, seconds = timed(fn)
        times.append(seconds)
        if seconds > long_s:
            break
    return out, times


def run_ir(graph: ir.Graph, raw: np.ndarray, batch: int) -> np.ndarray:
    """``ir.run`` over ``raw`` in batches (it keeps every tap); outputs ``[N, values]``."""
    outs = [np.asarray(ir.run(graph, {graph.inputs[0].name: raw[i:i + batch]}).outputs[graph.outputs[0]])
            for i in range(0, len(raw), batch)]
    return np.concatenate(outs).reshape(len(raw), -1)


def at_bounds(graph: ir.Graph, raw: np.ndarray) -> str:
    """Per tensor, how many values sit at a bound of their type (saturated, or exactly there):
    shows which saturation paths the inputs exercise. Unsigned types: the maximum only."""
    taps = ir.run(graph, {graph.inputs[0].name: raw}).taps
    parts = []
    for name, t, values in [(graph.inputs[0].name, graph.inputs[0].type, raw),
                            *((n.name, n.out_type, taps[n.name]) for n in graph.nodes)]:
        hit = values == t.raw_max
        if t.signed:
            hit |= values == t.raw_min
        parts.append(f"{name} {int(hit.sum())}")
    return "values at a bound of their type: " + ", ".join(parts)


def gxx_version(work: Path) -> str:
    log = work / "gxx_version.log"
    run_process([find_gxx(), "-dumpfullversion"], log_path=log, timeout_s=30)
    return f"g++ {log.read_text().splitlines()[-1].strip()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3, help="cold-cache build repetitions (median reported)")
    parser.add_argument("--inputs", type=int, default=10_000, help="inputs for throughput and agreement")
    parser.add_argument("--predict-reps", type=int, default=3, help="repetitions of each throughput timing")
    parser.add_argument("--ir-batch", type=int, default=1000, help="ir.run batch size")
    parser.add_argument("--threads", type=int, default=2, help="torch threads (training, export)")
    parser.add_argument("--models", nargs="+", default=["jet_mlp", "bnn_tiny"], choices=["jet_mlp", "bnn_tiny"])
    parser.add_argument("--no-hls4ml", action="store_true", help="codesign only")
    parser.add_argument("--no-control", action="store_true", help="skip the hls4ml default-accumulator control")
    parser.add_argument("--out", type=Path, default=Path("results/bench_codegen_csim.csv"))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    use_hls4ml = not args.no_hls4ml and "jet_mlp" in args.models
    if use_hls4ml:
        import hls4ml
        hls4ml_version = hls4ml.__version__
    else:
        hls4ml_version = ""
    root = Path(tempfile.mkdtemp(prefix="bench_codegen_csim_"))
    common = {"hls4ml": hls4ml_version, "gxx": gxx_version(root), "torch": torch.__version__,
              "machine": f"{platform.machine()} {os.cpu_count()} cpus"}
    rows: list[dict[str, Any]] = []

    def row(**values: Any) -> None:
        rows.append({**{k: "" for k in FIELDS}, **values, **common})

    try:
        models = {}
        for name in args.models:
            bm, seconds = timed(lambda: bench_model(name, args.inputs))
            models[name] = bm
            print(f"{name}: trained in {seconds:.0f} s, test accuracy {bm.test_accuracy:.3f} ({bm.training})")

        # cold builds, interleaved: codesign jet, hls4ml jet, codesign bnn, per repetition
        phases: dict[tuple[str, str], dict[str, list[float]]] = {}
        graphs: dict[str, ir.Graph] = {}
        projects: dict[str, Path] = {}
        hls_model = None
        for rep in range(args.reps):
            for name, bm in models.items():
                work = root / f"rep{rep}_{name}"
                times, graphs[name], projects[name] = codesign_build(bm, work)
                for phase, s in times.items():
                    phases.setdefault(("codesign", name), {}).setdefault(phase, []).append(s)
                print(f"rep {rep} codesign {name}: " + "  ".join(f"{p} {s:.2f} s" for p, s in times.items()))
                if name == "jet_mlp" and use_hls4ml:
                    times, hls_model = hls4ml_build(graphs[name], work)
                    for phase, s in times.items():
                        phases.setdefault(("hls4ml", name), {}).setdefault(phase, []).append(s)
                    print(f"rep {rep} hls4ml   {name}: " + "  ".join(f"{p} {s:.2f} s" for p, s in times.items()))

        totals: dict[tuple[str, str], float] = {}
        for (tool, name), by_phase in phases.items():
            total = [sum(v) for v in zip(*by_phase.values())]
            by_phase["+".join(by_phase)] = total
            for phase, values in by_phase.items():
                row(tool=tool, model=name, phase=phase, reps=len(values), seconds=round(statistics.median(values), 3),
                    seconds_all=" ".join(f"{v:.3f}" for v in values),
                    detail="cold build cache (fresh project folder)" if phase in ("build", "compile") else "")
            totals[(tool, name)] = statistics.median(total)
        if use_hls4ml:
            ratio = totals[("hls4ml", "jet_mlp")] / totals[("codesign", "jet_mlp")]
            row(tool="hls4ml/codesign", model="jet_mlp", phase="hls4ml convert+compile / codesign export+codegen+build",
                reps=args.reps, ratio=round(ratio, 2),
                detail=f"medians {totals[('hls4ml', 'jet_mlp')]:.2f} s / {totals[('codesign', 'jet_mlp')]:.2f} s")
            print(f"ratio hls4ml / codesign (jet_mlp): {ratio:.2f}")

        # throughput and agreement on the same inputs
        n = args.inputs
        for name, bm in models.items():
            graph = graphs[name]
            raw = raw_inputs(bm.model, bm.inputs)
            csim.predict(projects[name], raw[:16])  # load once (the build is cached now)
            got, t_csim = throughput(lambda: csim.predict(projects[name], raw), args.predict_reps)
            want, t_ir = throughput(lambda: run_ir(graph, raw, args.ir_batch), args.predict_reps)
            for phase, times, how in (("predict csim (ctypes)", t_csim, "csim.predict: one ctypes call over all inputs"),
                                      ("predict ir.run", t_ir, f"ir.run in batches of {args.ir_batch}")):
                med = statistics.median(times)
                row(tool="codesign", model=name, phase=phase, reps=len(times), seconds=round(med, 4),
                    seconds_all=" ".join(f"{v:.4f}" for v in times), inputs=n, inputs_per_s=round(n / med),
                    detail=f"{how}; raw int64 in and out")
            equal = int((got == want).sum())
            row(tool="codesign", model=name, phase="agree csim vs ir.run", inputs=n, equal_values=equal,
                compared_values=want.size, detail="raw integers")
            print(f"{name}: csim {n / statistics.median(t_csim):,.0f} inputs/s, ir.run {n / statistics.median(t_ir):,.0f}"
                  f" inputs/s; csim == ir.run on {equal}/{want.size} values")
            if name == "jet_mlp" and use_hls4ml:
                out_t = graph.nodes[-1].out_type
                want_real = want * 2.0 ** -out_t.frac_bits
                x = np.ascontiguousarray(bm.inputs, dtype=np.float32)
                with quiet():
                    hls_model.predict(x[:16])
                    y, t_h = throughput(lambda: hls_model.predict(x), args.predict_reps)
                med = statistics.median(t_h)
                row(tool="hls4ml", model=name, phase="predict", reps=len(t_h), seconds=round(med, 4),
                    seconds_all=" ".join(f"{v:.4f}" for v in t_h), inputs=n, inputs_per_s=round(n / med),
                    detail="hls_model.predict: float32 in and out, one ctypes call per input")
                y = np.asarray(y, dtype=np.float64).reshape(n, -1)
                equal = int((y == want_real).sum())
                rows_equal = int((y == want_real).all(axis=1).sum())
                row(tool="hls4ml", model=name, phase="agree hls4ml vs codesign", inputs=n, equal_values=equal,
                    compared_values=want.size,
                    detail=f"real values (raw * 2^-{out_t.frac_bits}); {rows_equal}/{n} inputs equal in every output; "
                           f"{at_bounds(graph, raw)}; hls4ml types: {hls4ml_typedefs(hls_model)}")
                print(f"{name}: hls4ml predict {n / med:,.0f} inputs/s; hls4ml == codesign on {equal}/{want.size} values "
                      f"({rows_equal}/{n} inputs)")
                if not args.no_control:
                    with quiet():
                        _, control = hls4ml_build(graph, root / "control", accum=HLS4ML_CONTROL_ACCUM)
                        yc = np.asarray(control.predict(x), dtype=np.float64).reshape(n, -1)
                    equal_c = int((yc == want_real).sum())
                    row(tool="hls4ml", model=name, phase="agree hls4ml vs codesign (control)", inputs=n,
                        equal_values=equal_c, compared_values=want.size,
                        detail=f"control: every accum at {HLS4ML_CONTROL_ACCUM} instead of the IR's "
                               f"{', '.join(str(d.acc_type) for d in mlp_layers(graph)[0])}, other types as above; "
                               f"{int((yc == want_real).all(axis=1).sum())}/{n} inputs equal in every output")
                    print(f"{name}: control (accum {HLS4ML_CONTROL_ACCUM}): {equal_c}/{want.size} values equal")
    finally:
        shutil.rmtree(root, ignore_errors=True)

    write_csv(args.out, rows, FIELDS)


if __name__ == "__main__":
    main()
