"""K-hot digits per constant of the flagship BNN: K = 1, 2, 3 vs unbounded (plain fixed point).

The flagship (flows/ultra96_bnn.yaml) quantizes the BatchNorm scales, PReLU slopes and
classifier weights of ``bnn`` size tiny as K-hot constants (K = 2): every constant has at most K
nonzero signed power-of-two digits, so each product is K shifts and K - 1 adds, no general
multiplier. This benchmark trains the same network with K = 1, 2, 3 and with unbounded digits
(the baseline of flows/ultra96_bnn_baseline.yaml: quantization scheme ``fixed``, which
``train_run`` maps to ``bnn(k=None)``), for several seeds, on digits and on Fashion-MNIST, and
measures for each trained model:

- the fixed-point (eval mode, bit-exact) test accuracy, as ``codesign train`` reports it;
- how much of their fixed-point grid the BatchNorm scales use: |raw integer| of every BatchNorm
  scale of the exported IR (median, 90th percentile, fraction <= 5 grid steps, the smallest
  per-layer median) and the fraction of BatchNorm biases sitting at their type's bounds;
- the accelerator the flagship flow would build from it: IR export (self-checked against the
  torch emulation), the folding chosen for the Ultra96-V2 exactly as the flow's codegen and
  estimate stages choose it (``design_folding`` with the flagship's ``hls`` section: target
  fps "max", resource margin 0.7, board clock), the generated project's multiplier audit
  (general multipliers after folding, general products per image) and the analytical estimate
  (LUT, FF, DSP, BRAM_18K, interval cycles, FPS at the board clock).

Training is the flagship's recipe read from flows/ultra96_bnn.yaml (model options, width,
optimizer, lr, schedule, batch size, epochs, quantization options: augmentation, label smoothing, torch
thread) through ``codesign.train.run.train_run``. Digits uses it as is (the flow's epochs, full splits).
Fashion-MNIST (28x28; Debian's dataset-fashion-mnist under /usr/share/datasets/fashion-mnist) is
far too slow for that on a 2-core CPU, so it trains on a fixed stratified subset with its own
epochs and batch size (``--fashion-*``): the train images are ``Dataset.subsample(N, seed 0)``
of the training split (exactly the subset ``train_run(limit=N)`` uses) and the test images
``Dataset.subsample(M, seed 0)`` of the test split; the bench writes them as idx files to a
temporary directory and passes it to ``train_run`` as the data path (``limit`` alone would test
on N images too, and bit-exact evaluation, not training, dominates the cost at 28x28).

Writes ``--out`` (default results/ultra96_bnn.csv: one row per dataset, K and seed) and the
table beside it (results/ultra96_bnn.md), each atomically; the CSV is rewritten after every
run so an interrupted sweep keeps what it finished.

Usage: python bench/bnn_khot.py [--datasets digits fashion_mnist] [--seeds 0 1 2]
       [--ks 1 2 3 unbounded] [--epochs N] [--digits-limit N] [--fashion-limit 3000]
       [--fashion-test-limit 500] [--fashion-epochs 4] [--fashion-batch 32]
       [--out results/ultra96_bnn.csv]
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _results import write_csv, write_text  # noqa: E402

from codesign import ir  # noqa: E402
from codesign.codegen import generate  # noqa: E402
from codesign.data import load_dataset  # noqa: E402
from codesign.data.base import DataSplit  # noqa: E402
from codesign.fixed import FixedType  # noqa: E402
from codesign.flow.board import load_board  # noqa: E402
from codesign.flow.spec import FlowSpec, load_flow  # noqa: E402
from codesign.flow.stages.codegen import design_folding  # noqa: E402
from codesign.nn.export import export  # noqa: E402
from codesign.reports.estimate import Folding, estimate  # noqa: E402
from codesign.train import TrainConfig, load_checkpoint  # noqa: E402
from codesign.train.run import TrainRequest, train_run  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
FLAGSHIP = ROOT / "flows" / "ultra96_bnn.yaml"
UNBOUNDED = "unbounded"
SMALL_RAW = 5
"""A BatchNorm scale on this many grid steps or fewer has almost no room for K-hot rounding to differ."""
FIELDS = ("dataset", "k", "scheme", "seed", "train_images", "test_images", "epochs", "batch_size", "lr",
          "accuracy", "train_seconds", "bn_scales", "bn_scale_types", "bn_scale_median_raw", "bn_scale_p90_raw",
          "bn_scale_le5_fraction", "bn_scale_min_layer_median_raw", "bn_bias_types", "bn_bias_saturated_fraction",
          "general_multipliers", "general_products", "general_multiplier_layers", "est_lut", "est_ff", "est_dsp",
          "est_bram_18k", "est_interval_cycles", "est_fps", "clock_mhz", "folding_bottleneck", "torch", "machine")


@dataclass(frozen=True)
class Data:
    """One dataset as the runs see it: where train_run loads it from and what it holds."""

    name: str
    path: Path | None
    limit: int | None
    epochs: int
    batch_size: int
    train_images: int
    test_images: int
    example: np.ndarray
    description: str


# ------------------------------------------------------------------- data
def write_idx(path: Path, array: np.ndarray) -> None:
    """One uint8 idx file (magic 0x0000 0x08 ndim, big-endian uint32 dimensions, the bytes)."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = bytes([0, 0, 0x08, array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes()
    path.write_bytes(header + array.tobytes())


def write_idx_split(directory: Path, prefix: str, split: DataSplit) -> None:
    write_idx(directory / f"{prefix}-images-idx3-ubyte", split.x.reshape(len(split), *split.x.shape[2:]))
    write_idx(directory / f"{prefix}-labels-idx1-ubyte", split.y.astype(np.uint8))


def prepare(name: str, args: argparse.Namespace, epochs: int, batch_size: int, scratch: Path) -> Data:
    """The dataset of the runs: digits as is (or ``--digits-limit``); Fashion-MNIST subsets as idx files."""
    if name == "digits":
        dataset = load_dataset("digits", limit=args.digits_limit)
        subset = "" if args.digits_limit is None else f", stratified subset limit {args.digits_limit} (seed 0)"
        return Data(name, None, args.digits_limit, args.epochs or epochs, batch_size, len(dataset.train),
                    len(dataset.test), dataset.test.x[:8],
                    f"scikit-learn's 8x8 digits, {len(dataset.train)} train / {len(dataset.test)} test images{subset}")
    if name != "fashion_mnist":
        raise SystemExit(f"unknown dataset {name!r}; allowed: digits, fashion_mnist")
    full = load_dataset("fashion_mnist", args.fashion_data)
    train = full.subsample(args.fashion_limit).train
    test = full.subsample(args.fashion_test_limit).test
    directory = scratch / "fashion_mnist"
    directory.mkdir()
    write_idx_split(directory, "train", train)
    write_idx_split(directory, "t10k", test)
    return Data(name, directory, None, args.fashion_epochs, args.fashion_batch, len(train), len(test), test.x[:8],
                f"Fashion-MNIST 28x28, seeded stratified subset: {len(train)} of {len(full.train)} train / "
                f"{len(test)} of {len(full.test)} test images (Dataset.subsample, seed 0)")


# ------------------------------------------------------------------- runs
def request(spec: FlowSpec, data: Data, k: int | None, seed: int) -> TrainRequest:
    """The flagship's train request with K digits (None: the fixed-point baseline) on ``data``."""
    t, q = spec.training, spec.quantization
    scheme = "fixed" if k is None else "khot"
    cfg = TrainConfig(epochs=data.epochs, batch_size=data.batch_size, optimizer=t.optimizer, lr=t.lr,
                      weight_decay=t.weight_decay, schedule=t.schedule, seed=seed, device=t.device,
                      **{**dict(q.options), "eval_every": data.epochs})
    return TrainRequest(model=spec.model.name, dataset=data.name, data_path=data.path, limit=data.limit,
                        scheme=scheme, width=q.width, k=k if k is not None else q.k,
                        model_options={**spec.model.options, "scheme": scheme}, train=cfg)


def grid_usage(graph: ir.Graph) -> dict[str, Any]:
    """How many grid steps the BatchNorm scales use (|raw integer|) and how many biases saturate."""
    scales, medians, types, bias_types, biases, saturated = [], [], [], [], 0, 0
    for node in graph.nodes:
        if node.op != "batchnorm":
            continue
        raw = np.abs(graph.param(node, "scale")).ravel()
        scales.append(raw)
        medians.append(float(np.median(raw)))
        types.append(str(node.params["scale"].type))
        bias_t = node.params["bias"].type
        bias = graph.param(node, "bias").ravel()
        assert isinstance(bias_t, FixedType)
        bias_types.append(str(bias_t))
        biases += bias.size
        saturated += int(((bias <= bias_t.raw_min) | (bias >= bias_t.raw_max)).sum())
    raw = np.concatenate(scales)
    return {"bn_scales": int(raw.size), "bn_scale_types": " ".join(sorted(set(types))),
            "bn_scale_median_raw": float(np.median(raw)), "bn_scale_p90_raw": round(float(np.percentile(raw, 90)), 2),
            "bn_scale_le5_fraction": round(float((raw <= SMALL_RAW).mean()), 4),
            "bn_scale_min_layer_median_raw": min(medians), "bn_bias_types": " ".join(sorted(set(bias_types))),
            "bn_bias_saturated_fraction": round(saturated / max(1, biases), 4)}


def hardware(spec: FlowSpec, checkpoint: Path, example: np.ndarray, work: Path) -> dict[str, Any]:
    """Export, the flow's folding for the board, codegen's multiplier audit and the estimate."""
    model = load_checkpoint(checkpoint)
    graph = export(model, torch.as_tensor(example, dtype=torch.float32), work / "ir", name=spec.name).graph
    board = load_board(spec.board)
    clock = float(spec.hls.clock_mhz or board.default_clock_mhz)
    folding, choice = design_folding(graph, spec, board)
    project = generate(graph, work / "hls", top=str(spec.hls.top), interface=spec.hls.interface,
                       parallelism=folding, part=board.part, clock_mhz=clock)
    audit = project.manifest["multiplier_audit"]
    where = " ".join(f"{name}:{entry['op']}x{entry['multipliers']}" for name, entry in audit["per_layer"].items()
                     if entry["multipliers"])
    result = estimate(graph, clock, {name: Folding(**fold) for name, fold in folding.items()})
    return {**grid_usage(graph), "general_multipliers": int(audit["total_multipliers"]),
            "general_products": int(audit["total_general_products"]), "general_multiplier_layers": where,
            "est_lut": result.total("lut"),
            "est_ff": result.total("ff"), "est_dsp": result.total("dsp"), "est_bram_18k": result.total("bram_18k"),
            "est_interval_cycles": result.interval_cycles, "est_fps": round(result.fps, 1), "clock_mhz": clock,
            "folding_bottleneck": "" if choice is None else f"{choice.bottleneck} ({graph.node(choice.bottleneck).op})"}


def parse_k(text: str) -> int | None:
    if text.lower() in (UNBOUNDED, "none", "fixed"):
        return None
    k = int(text)
    if not 1 <= k <= 8:
        raise argparse.ArgumentTypeError(f"K must be 1..8 or {UNBOUNDED}, got {text}")
    return k


def k_label(k: int | None) -> str:
    return UNBOUNDED if k is None else str(k)


# ------------------------------------------------------------------- report
def pct(x: float) -> str:
    return f"{100 * x:.2f}"


def spread(values: list[float]) -> str:
    """``mean ± sample std`` in percent (just the value for one seed)."""
    if len(values) == 1:
        return pct(values[0])
    return f"{pct(statistics.mean(values))} ± {100 * statistics.stdev(values):.2f}"


def number(value: Any) -> str:
    return f"{value:,.0f}" if isinstance(value, (int, float)) else str(value)


def percent_range(values: list[float]) -> str:
    low, high = f"{100 * min(values):.0f}", f"{100 * max(values):.0f}"
    return f"{low}%" if low == high else f"{low}-{high}%"


def same_over_seeds(group: list[dict[str, Any]], field: str) -> str:
    """The seeds' common value, or their range where they differ."""
    values = [r[field] for r in group]
    if all(v == values[0] for v in values):
        return number(values[0])
    if isinstance(values[0], (int, float)):
        return f"{number(min(values))}-{number(max(values))}"
    return "/".join(str(v) for v in values)


def recipe_text(spec: FlowSpec) -> tuple[str, str]:
    """(head, training recipe) of the flagship as prose for the table's header."""
    options = spec.model.options
    head = ("global average pool" if options.get("head", "global") == "global"
            else f"{options.get('head_pool', 2)}x{options.get('head_pool', 2)} average pool and flatten")
    q, t = spec.quantization.options, spec.training
    recipe = (f"Adam, lr {t.lr:g}, {t.schedule}, augmentation {q.get('augment', 'none')}, label smoothing "
              f"{q.get('label_smoothing', 0.0):g}, {q.get('threads', 1)} torch thread(s) for training")
    return head, recipe


def markdown(rows: list[dict[str, Any]], datas: list[Data], ks: list[int | None], seeds: list[int],
             command: str, seconds: float, machine: str, spec: FlowSpec, load_note: str) -> str:
    head, recipe = recipe_text(spec)
    lines = ["# K-hot constants of the flagship BNN: K = 1, 2, 3 vs unbounded", "",
             f"Command: `{command}` (writes [ultra96_bnn.csv](ultra96_bnn.csv) and this file; {machine}, "
             f"torch {torch.__version__}{'; ' + load_note if load_note else ''}; "
             f"{seconds / 60:.0f} min in all).", "",
             "Model: the flagship `bnn` size tiny of [flows/ultra96_bnn.yaml](../flows/ultra96_bnn.yaml) "
             "(thermometer 16 levels, binary stem conv, BatchNorm, PReLU, two binary residual blocks with "
             f"learned thresholds, average pool, {head}, dense classifier; 8-bit fixed point "
             "with learned binary points). **K** bounds the nonzero signed power-of-two digits of every "
             "BatchNorm scale, PReLU slope and classifier weight; **unbounded** is the baseline of "
             "[flows/ultra96_bnn_baseline.yaml](../flows/ultra96_bnn_baseline.yaml) (plain 8-bit fixed "
             "point, `bnn(k=None)`). Binary conv outputs carry the free power-of-two scale "
             "`binary_shift(fan_in)` = 2^-round(log2(sqrt(fan_in))) of `codesign.models.zoo`.", ""]
    lines.append(f"Training: the flagship's recipe through `codesign.train.run.train_run` ({recipe}, "
                 "calibrated then learned binary points); seeds "
                 f"{', '.join(map(str, seeds))}.")
    for data in datas:
        short = (" A short training budget (2-core CPU: bit-exact evaluation and training at 28x28 cost about "
                 "60 and 10 ms per image), far from converged: compare the K's with each other, not with "
                 "published Fashion-MNIST accuracies." if data.name == "fashion_mnist" else "")
        lines.append(f"- **{data.name}**: {data.description}; {data.epochs} epochs, batch {data.batch_size}.{short}")
    lines += ["", "Accuracy is the bit-exact fixed-point (eval mode) test accuracy, the number the IR, "
              "the generated C++ and the board reproduce (mean ± sample std over the seeds, in percent; one "
              "test image is worth " + ", ".join(f"{100 / d.test_images:.2f} points on {d.name}" for d in datas)
              + "). Hardware: the trained model exported to the IR, the folding chosen for the Ultra96-V2 as "
              "the flagship flow chooses it (target fps `max`, 70% resource margin, 100 MHz board clock), the "
              "generated project's multiplier audit (general multipliers: products by constants that are "
              "neither binary, K-hot shift-add, zero nor a power of two, counted after folding) and the "
              "analytical estimate of `codesign.reports.estimate` (not synthesis); computed for every seed, "
              "a range where the seeds differ (the architecture and folding do not depend on the seed, "
              "accumulator widths follow the learned binary points). Grid use: |raw integer| of every "
              f"BatchNorm scale in the IR (median / 90th percentile / share on <= {SMALL_RAW} grid steps, over "
              "the seeds), and the share of BatchNorm biases at their type's bounds (saturated).", ""]
    lines += ["| dataset | K | accuracy % | per seed | K - unbounded (points) | general multipliers | LUT | FF | "
              "DSP | BRAM_18K | FPS @ 100 MHz | BN scale grid steps (median / p90 / <= 5) | BN biases saturated |",
              "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    summary: dict[tuple[str, str], dict[str, Any]] = {}
    for data in datas:
        base = [r["accuracy"] for r in rows if r["dataset"] == data.name and r["k"] == UNBOUNDED]
        for k in ks:
            group = [r for r in rows if r["dataset"] == data.name and r["k"] == k_label(k)]
            if not group:
                continue
            acc = [r["accuracy"] for r in group]
            delta = (f"{100 * (statistics.mean(acc) - statistics.mean(base)):+.2f}" if base and k is not None
                     else "")
            summary[(data.name, k_label(k))] = {"mean": statistics.mean(acc), "group": group,
                                                "std": statistics.stdev(acc) if len(acc) > 1 else 0.0}
            medians = [r["bn_scale_median_raw"] for r in group]
            p90 = [r["bn_scale_p90_raw"] for r in group]
            le5 = statistics.mean(r["bn_scale_le5_fraction"] for r in group)
            grid = f"{statistics.median(medians):g} / {statistics.median(p90):g} / {100 * le5:.1f}%"
            saturated = [r["bn_bias_saturated_fraction"] for r in group]
            hw = [same_over_seeds(group, f) for f in ("general_multipliers", "est_lut", "est_ff", "est_dsp",
                                                       "est_bram_18k", "est_fps")]
            lines.append(f"| {data.name} | {k_label(k)} | {spread(acc)} | {' / '.join(pct(a) for a in acc)} | "
                         f"{delta} | " + " | ".join(hw) + f" | {grid} | "
                         f"{percent_range(saturated)} |")
    lines += ["", "Per-seed train seconds, the BatchNorm scale types and every hardware figure are in the CSV.", ""]
    lines += discussion(summary, datas)
    return "\n".join(lines) + "\n"


def _mean(group: list[dict[str, Any]], field: str) -> float:
    return statistics.mean(float(r[field]) for r in group)


def discussion(summary: dict[tuple[str, str], dict[str, Any]], datas: list[Data]) -> list[str]:
    out = ["## Reading", ""]
    for data in datas:
        base = summary.get((data.name, UNBOUNDED))
        k2 = summary.get((data.name, "2"))
        if base is None or k2 is None:
            continue
        gap = 100 * (k2["mean"] - base["mean"])
        noise = 100 * max(k2["std"], base["std"])
        verdict = ("meets the done-when criterion (K=2 at most 1 point below the baseline)" if gap >= -1.0
                   else "misses the done-when criterion (K=2 at most 1 point below the baseline)")
        caveat = (f"; the seeds' spread (std up to {noise:.1f} points) is larger than that 1-point margin, so "
                  f"{len(k2['group'])} seeds do not resolve a 1-point difference" if noise > 1.0 else "")
        b, c = base["group"], k2["group"]
        lut_b, lut_c = _mean(b, "est_lut"), _mean(c, "est_lut")
        left = c[0]["general_multiplier_layers"]
        rest = (f" The K=2 design keeps {c[0]['general_multipliers']} general multipliers ({left}, layer:op x "
                "instances)" + (": a pooling divisor that is not a power of two, whose reciprocal is a 3-hot "
                "constant that the pool kernel multiplies by, so the audit counts a general product per channel "
                "while the estimate costs it as shift-adds" if "pool" in left else "") + "." if left else "")
        out.append(f"- **{data.name}**: K=2 {pct(k2['mean'])}% vs unbounded {pct(base['mean'])}%: {gap:+.2f} "
                   f"points, {verdict}{caveat}. K-hot removes the baseline's "
                   f"{min(r['general_multipliers'] for r in b):,}-{max(r['general_multipliers'] for r in b):,} "
                   f"general multipliers (about {_mean(b, 'general_products'):,.0f} general products per image) "
                   f"and {100 * (1 - lut_c / lut_b):.0f}% of the estimated LUTs ({lut_b:,.0f} -> {lut_c:,.0f}), "
                   f"estimated DSPs {_mean(b, 'est_dsp'):.0f} -> {_mean(c, 'est_dsp'):.0f}.{rest}")
    for data in datas:
        group = [summary[(data.name, k)] for k in ("1", "2", "3") if (data.name, k) in summary]
        base = summary.get((data.name, UNBOUNDED))
        if len(group) == 3 and base is not None:
            luts = [_mean(g["group"], "est_lut") for g in group]
            out.append(f"- {data.name}: each extra digit costs about {(luts[2] - luts[0]) / 2:,.0f} LUTs "
                       f"(K=1 {luts[0]:,.0f}, K=2 {luts[1]:,.0f}, K=3 {luts[2]:,.0f}, unbounded "
                       f"{_mean(base['group'], 'est_lut'):,.0f}); K=1 (every constant a signed power of two) "
                       f"costs {100 * (base['mean'] - group[0]['mean']):.1f} points of accuracy, K=3 "
                       f"{100 * (group[2]['mean'] - base['mean']):+.2f} points against unbounded.")
        rows = [r for s in summary.values() for r in s["group"] if r["dataset"] == data.name]
        if rows and len({r["est_fps"] for r in rows}) == 1:
            out.append(f"- {data.name}: the same {rows[0]['est_fps']:,.0f} FPS for every K: with target `max` "
                       f"every design is bound by {rows[0]['folding_bottleneck']} at one pixel per cycle "
                       f"({rows[0]['est_interval_cycles']:,} cycles per image); the constant arithmetic is "
                       "never the bottleneck, it only costs area.")
    everything = [r for s in summary.values() for r in s["group"]]
    if everything:
        le5 = max(r["bn_scale_le5_fraction"] for r in everything)
        medians = [r["bn_scale_median_raw"] for r in everything]
        low = min(r["bn_scale_min_layer_median_raw"] for r in everything)
        out.append(f"- Grid use: the BatchNorm scales sit on a median of {min(medians):g}-{max(medians):g} grid "
                   f"steps (of 127 for 8 signed bits; the smallest per-layer median is {low:g}), and at most "
                   f"{100 * le5:.1f}% of them on <= {SMALL_RAW} steps, so K-hot rounding has room to matter: the "
                   "K columns compare different constants, not the same few small integers."
                   if le5 < 0.25 else
                   f"- Grid use: up to {100 * le5:.0f}% of the BatchNorm scales sit on <= {SMALL_RAW} grid steps: "
                   "there K-hot rounding changes little and the K columns are not a fair comparison.")
        worst = max(everything, key=lambda r: r["bn_bias_saturated_fraction"])
        out.append(f"- BatchNorm biases (shift = beta - mean * scale, `{worst['bn_bias_types']}`) sit at their "
                   f"type's bounds for up to "
                   f"{100 * worst['bn_bias_saturated_fraction']:.0f}% of the channels (the most with "
                   f"K={worst['k']} on {worst['dataset']}): a limit of the bias type worth a look, not studied here.")
    out.append("- DSP: the estimate maps products of operands of at most 10 bits to LUTs, not DSP48s, so the "
               "baseline's 8-bit general multipliers show up as LUTs, not DSPs; synthesis may place some in "
               "DSPs, which K-hot constants never need. FF equals LUT by the estimate's model (a register per LUT).")
    return out


# ------------------------------------------------------------------- main
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=["digits", "fashion_mnist"])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--ks", type=parse_k, nargs="+", default=[1, 2, 3, None],
                        help=f"K-hot digits, 1..8, or {UNBOUNDED} (the fixed-point baseline)")
    parser.add_argument("--epochs", type=int, default=None, help="digits epochs (default: the flagship's)")
    parser.add_argument("--digits-limit", type=int, default=None, help="stratified digits subset (smoke runs)")
    parser.add_argument("--fashion-data", type=Path, default=None,
                        help="Fashion-MNIST idx directory (default /usr/share/datasets/fashion-mnist)")
    parser.add_argument("--fashion-limit", type=int, default=3000, help="Fashion-MNIST training images")
    parser.add_argument("--fashion-test-limit", type=int, default=500, help="Fashion-MNIST test images")
    parser.add_argument("--fashion-epochs", type=int, default=4)
    parser.add_argument("--fashion-batch", type=int, default=32)
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "ultra96_bnn.csv")
    parser.add_argument("--load-note", default="",
                        help="how loaded the machine was, for the table's header (train seconds depend on it)")
    args = parser.parse_args()
    spec = load_flow(FLAGSHIP)
    machine = f"{platform.machine()} {os.cpu_count()} cpus"
    command = "python bench/bnn_khot.py" + "".join(f" {shlex.quote(a)}" for a in sys.argv[1:])
    rows: list[dict[str, Any]] = []
    start = time.monotonic()
    torch.set_num_threads(1)  # export and codegen too: the machine is shared, the models are tiny
    with tempfile.TemporaryDirectory() as scratch_dir:
        scratch = Path(scratch_dir)
        datas = []
        for name in args.datasets:
            batch = spec.training.batch_size if name == "digits" else args.fashion_batch
            data = prepare(name, args, spec.training.epochs, batch, scratch)
            datas.append(data)
            print(f"{name}: {data.description}; {data.epochs} epochs, batch {data.batch_size}", flush=True)
            for k in args.ks:
                for seed in args.seeds:
                    run_dir = scratch / f"{name}-k{k_label(k)}-s{seed}"
                    run_dir.mkdir()
                    summary = train_run(request(spec, data, k, seed), run_dir, progress=False)
                    hw = hardware(spec, Path(summary["checkpoint"]), data.example, run_dir)
                    rows.append({"dataset": name, "k": k_label(k), "scheme": "fixed" if k is None else "khot",
                                 "seed": seed, "train_images": data.train_images, "test_images": data.test_images,
                                 "epochs": data.epochs, "batch_size": data.batch_size, "lr": spec.training.lr,
                                 "accuracy": round(summary["accuracy_fixed"], 6),
                                 "train_seconds": summary["train_seconds"], **hw, "torch": torch.__version__,
                                 "machine": machine})
                    write_csv(args.out, rows, FIELDS)
                    print(f"{name} K={k_label(k)} seed {seed}: accuracy {pct(summary['accuracy_fixed'])}% in "
                          f"{summary['train_seconds']:.0f} s; BN scale steps median {hw['bn_scale_median_raw']:g}, "
                          f"<= {SMALL_RAW}: {100 * hw['bn_scale_le5_fraction']:.1f}%; {hw['general_multipliers']} "
                          f"general multipliers, LUT {hw['est_lut']:,}, DSP {hw['est_dsp']}, "
                          f"{hw['est_fps']:,.0f} FPS ({time.monotonic() - start:.0f} s elapsed)", flush=True)
    md = args.out.with_suffix(".md")
    text = markdown(rows, datas, args.ks, args.seeds, command, time.monotonic() - start, machine, spec,
                    args.load_note)
    write_text(md, text)
    print(f"wrote {args.out} and {md} ({(time.monotonic() - start) / 60:.1f} min)")


if __name__ == "__main__":
    main()
