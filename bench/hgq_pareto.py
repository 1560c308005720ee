"""HGQ accuracy vs EBOPs Pareto front against uniform fixed-point (QFX) baselines.

The HGQ paper's claim: per-element bitwidths trained against an EBOPs penalty give a better
accuracy/resource trade-off than one word length for every tensor. This sweeps the HGQ penalty
weight beta for the ``jet_mlp`` MLP (64-32-32 hidden, ReLU) and trains the same MLP with every
tensor at W bits (QFX learned binary points) for several W, then reports for every trained model:

- the fixed-point test accuracy (eval mode, bit exact: ``codesign.train.evaluate``);
- the EBOPs of the trained model in eval mode (``codesign.nn.ebops`` traced on a batch of test
  inputs): sum over every multiply of bits(input element) * bits(weight element);
- the pruned fraction of the dense weights (weights that quantize to 0, from ``codesign.nn.summary``).

Data: ``--jets PATH`` trains on the hls4ml jets (16 standardised features, 5 classes); without
it, on the bundled 8x8 digits flattened to 64 features and scaled to [0, 1) by x/256 (exact).

Writes (each to a temp file, then renamed) ``<out-dir>/hgq_pareto.csv`` (one row per run),
``hgq_pareto.png`` (accuracy vs EBOPs, log x, the Pareto front of the per-configuration means)
and ``hgq_pareto.md`` (per-configuration means, the front, the computed headline, the command
and the machine).

Usage: python bench/hgq_pareto.py [--jets PATH] [--limit N] [--seeds 0 1] [--betas B ...]
                                  [--widths 3 4 5 6 8] [--epochs 15] [--lr 1e-2] [--batch-size 32]
                                  [--beta-ramp exponential] [--hgq-width 10] [--out-dir results]
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

from _results import write_csv
from codesign.data import DataSplit, load_dataset
from codesign.models import build_model
from codesign.nn import QLinear, ebops, summary
from codesign.train import TrainConfig, evaluate, fit

DEFAULT_BETAS = [1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2]
EXAMPLE_BATCH = 256
"""Test inputs the EBOPs trace runs on (the count does not change the EBOPs)."""

CSV_FIELDS = ["dataset", "model", "scheme", "width", "beta", "beta_ramp", "epochs", "lr", "seed",
              "accuracy", "ebops", "pruned_fraction", "weight_bits", "train_seconds"]


@dataclass(frozen=True)
class Data:
    """The splits and the MLP's input/output sizes."""

    name: str
    train: DataSplit
    test: DataSplit
    in_features: int
    num_classes: int


def load_data(jets: Path | None, limit: int | None) -> Data:
    """The jets from a local file, or the digits flattened to [N, 64] and scaled to [0, 1)."""
    if jets is not None:
        ds = load_dataset("jets", jets, limit=limit)
        return Data("jets", ds.train, ds.test, int(ds.input_shape[0]), ds.num_classes)
    ds = load_dataset("digits", limit=limit)

    def flat(split: DataSplit) -> DataSplit:
        # uint8 / 256 is exact in float32: values k/256, k = 0..255
        return DataSplit(split.x.reshape(len(split), -1).astype(np.float32) / np.float32(256.0), split.y)

    return Data("digits", flat(ds.train), flat(ds.test), int(np.prod(ds.input_shape)), ds.num_classes)


def pruned_stats(model: torch.nn.Module) -> tuple[float, float]:
    """(fraction of dense weights that quantize to 0, total weight bits) over every QLinear."""
    modules = dict(model.named_modules())
    table = summary(model)
    zeros = count = bits = 0.0
    for row in table.itertuples():
        module = modules.get(row.layer)
        if isinstance(module, QLinear) and row.pruned is not None:
            n = module.weight.numel()
            zeros += float(row.pruned) * n
            count += n
            bits += float(row.weight_bits)
    return (zeros / count if count else float("nan")), bits


def run_one(data: Data, scheme: str, width: int, beta: float, seed: int, args: argparse.Namespace,
            work: Path) -> dict[str, Any]:
    """Train one model and measure it."""
    torch.manual_seed(seed)
    model = build_model("jet_mlp", scheme=scheme, width=width, in_features=data.in_features,
                        num_classes=data.num_classes)
    ramp = args.beta_ramp if beta > 0 else "constant"
    cfg = TrainConfig(epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, seed=seed, beta=beta,
                      beta_ramp=ramp, threads=args.threads, device="cpu", eval_every=args.epochs)
    result = fit(model, data.train, data.test, cfg, work, model.model_spec, progress=False)
    model.eval()
    accuracy = evaluate(model, data.test).accuracy
    example = torch.as_tensor(data.test.x[:EXAMPLE_BATCH], dtype=torch.float32)
    with torch.no_grad():
        total = float(ebops(model, example).total)
    pruned, bits = pruned_stats(model)
    return {"dataset": data.name, "model": "jet_mlp", "scheme": scheme, "width": width, "beta": beta,
            "beta_ramp": ramp, "epochs": args.epochs, "lr": args.lr, "seed": seed, "accuracy": accuracy,
            "ebops": total, "pruned_fraction": pruned, "weight_bits": bits,
            "train_seconds": round(result.seconds, 2)}


# ------------------------------------------------------------------ aggregation
@dataclass(frozen=True)
class Config:
    """Means over seeds of one configuration (an HGQ beta or a uniform width)."""

    label: str
    scheme: str
    width: int
    beta: float
    accuracy: float
    accuracy_min: float
    accuracy_max: float
    ebops: float
    pruned: float
    seeds: int


def config_label(scheme: str, width: int, beta: float) -> str:
    return f"HGQ beta={beta:.0e}" if scheme == "hgq" else f"uniform {width}-bit"


def aggregate(rows: list[dict[str, Any]]) -> list[Config]:
    """One Config per (scheme, width, beta), uniform widths first, then HGQ by beta."""
    groups: dict[tuple[str, int, float], list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault((r["scheme"], r["width"], r["beta"]), []).append(r)
    out = []
    for (scheme, width, beta), rs in groups.items():
        accs = [r["accuracy"] for r in rs]
        out.append(Config(config_label(scheme, width, beta), scheme, width, beta, statistics.mean(accs), min(accs),
                          max(accs), statistics.mean(r["ebops"] for r in rs),
                          statistics.mean(r["pruned_fraction"] for r in rs), len(rs)))
    return sorted(out, key=lambda c: (c.scheme != "qfx", c.width if c.scheme == "qfx" else c.beta))


def pareto_front(configs: list[Config]) -> list[Config]:
    """Non-dominated configurations (no other has EBOPs <= and accuracy >=, one strictly),
    sorted by EBOPs."""
    front = []
    for c in configs:
        dominated = any(o is not c and o.ebops <= c.ebops and o.accuracy >= c.accuracy
                        and (o.ebops < c.ebops or o.accuracy > c.accuracy) for o in configs)
        if not dominated:
            front.append(c)
    return sorted(front, key=lambda c: c.ebops)


@dataclass(frozen=True)
class Match:
    """The cheapest HGQ configuration at least as accurate as one uniform baseline."""

    uniform: Config
    hgq: Config | None

    @property
    def ratio(self) -> float:
        return self.uniform.ebops / self.hgq.ebops if self.hgq else float("nan")


def matches(configs: list[Config]) -> list[Match]:
    """For each uniform width, the HGQ configuration with the fewest EBOPs whose mean accuracy
    is equal or better (None when no HGQ configuration reaches it)."""
    hgq = [c for c in configs if c.scheme == "hgq"]
    out = []
    for u in (c for c in configs if c.scheme == "qfx"):
        ok = [h for h in hgq if h.accuracy >= u.accuracy]
        out.append(Match(u, min(ok, key=lambda h: h.ebops) if ok else None))
    return out


def headline(configs: list[Config], found: list[Match], dataset: str) -> str:
    """The computed headline sentence: against the most accurate uniform baseline that some HGQ
    configuration matches with fewer EBOPs (ties: the wider one). Only uniform baselines that no
    other uniform width dominates count (a noisy width beaten by a narrower one would flatter HGQ)."""
    uniform_front = {id(c) for c in pareto_front([c for c in configs if c.scheme == "qfx"])}
    matched = [m for m in found if m.hgq is not None and m.ratio > 1 and id(m.uniform) in uniform_front]
    best_uniform = max((c for c in configs if c.scheme == "qfx"), key=lambda c: (c.accuracy, c.width))
    if not matched:
        return (f"On {dataset}, no HGQ configuration is both as accurate as and cheaper (in EBOPs) than any "
                f"non-dominated uniform baseline (best uniform: {best_uniform.label}, "
                f"{100 * best_uniform.accuracy:.2f}%).")
    m = max(matched, key=lambda m: (m.uniform.accuracy, m.uniform.width))
    text = (f"On {dataset}, HGQ ({m.hgq.label}) reaches {100 * m.hgq.accuracy:.2f}% at "
            f"{m.hgq.ebops:,.0f} EBOPs, {m.ratio:.1f}x fewer than the uniform {m.uniform.width}-bit model "
            f"({100 * m.uniform.accuracy:.2f}% at {m.uniform.ebops:,.0f} EBOPs) at equal or better accuracy")
    if m.uniform is not best_uniform:
        text += (f"; no HGQ configuration reaches the most accurate uniform model ({best_uniform.label}, "
                 f"{100 * best_uniform.accuracy:.2f}%)")
    return text + " (means over seeds)."


# ------------------------------------------------------------------ outputs
def _tmp(path: Path) -> Path:
    return path.with_name(f".{path.name}.tmp{os.getpid()}")


def write_rows(path: Path, rows: list[dict[str, Any]]) -> None:
    """The per-run CSV, with EBOPs, pruned fraction and weight bits rounded for reading."""
    write_csv(path, ({**r, "ebops": f"{r['ebops']:.1f}", "pruned_fraction": f"{r['pruned_fraction']:.4f}",
                      "weight_bits": f"{r['weight_bits']:.0f}"} for r in rows), CSV_FIELDS)


def write_png(path: Path, rows: list[dict[str, Any]], configs: list[Config], front: list[Config],
              title: str) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7.5, 5.0), dpi=120)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    styles = {"hgq": ("o", "tab:blue", "HGQ (beta sweep)"), "qfx": ("s", "tab:orange", "uniform W-bit (QFX)")}
    for scheme, (marker, color, label) in styles.items():
        runs = [r for r in rows if r["scheme"] == scheme]
        ax.scatter([r["ebops"] for r in runs], [100 * r["accuracy"] for r in runs], marker=marker, color=color,
                   alpha=0.3, s=18, linewidths=0)
        means = [c for c in configs if c.scheme == scheme]
        ax.scatter([c.ebops for c in means], [100 * c.accuracy for c in means], marker=marker, color=color,
                   s=60, edgecolors="black", linewidths=0.6, label=f"{label}, mean of seeds", zorder=3)
        for c in means:
            text = f"{c.width}b" if scheme == "qfx" else f"{c.beta:.0e}"
            offset = (5, -10) if scheme == "qfx" else (-12, 7)
            ax.annotate(text, (c.ebops, 100 * c.accuracy), textcoords="offset points", xytext=offset,
                        fontsize=7, color=color)
    ax.plot([c.ebops for c in front], [100 * c.accuracy for c in front], color="black", linewidth=1.2,
            drawstyle="steps-post", label="Pareto front (means)", zorder=2)
    ax.set_xscale("log")
    ax.set_xlabel("EBOPs (trained model, eval mode)")
    ax.set_ylabel("fixed-point test accuracy (%)")
    ax.set_title(title, fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    tmp = _tmp(path)
    fig.savefig(tmp, format="png")
    os.replace(tmp, path)


def machine() -> str:
    cpus = os.cpu_count()
    return (f"{platform.machine()}, {cpus} CPUs shared with other jobs, Python {platform.python_version()}, "
            f"torch {torch.__version__}, {torch.get_num_threads()} torch thread(s)")


def write_md(path: Path, args: argparse.Namespace, data: Data, configs: list[Config], front: list[Config],
             found: list[Match], head: str, seconds: float) -> None:
    command = "python bench/hgq_pareto.py" + ("" if len(sys.argv) < 2 else " " + shlex.join(sys.argv[1:]))
    source = (f"hls4ml jets from `{args.jets}` (16 standardised features, 5 classes)" if args.jets else
              "scikit-learn's 8x8 digits, flattened to 64 features and scaled to [0, 1) by x/256 (exact)")
    on_front = {id(c) for c in front}
    lines = [
        f"# HGQ vs uniform fixed point: accuracy vs EBOPs ({data.name})",
        "",
        f"Command: `{command}`",
        "(writes [hgq_pareto.csv](hgq_pareto.csv), one row per run, and [hgq_pareto.png](hgq_pareto.png)).",
        f"Machine: {machine()}; the whole run took {seconds / 60:.1f} min.",
        "",
        f"**{head}**",
        "",
        f"Model: `jet_mlp` {data.in_features}-64-32-32-{data.num_classes}, ReLU, every tensor quantized "
        f"(input, weights, biases, dense outputs, activations, logits). Data: {source}; "
        f"{len(data.train):,} train / {len(data.test):,} test samples. Training: Adam, lr {args.lr:g} (cosine), "
        f"batch {args.batch_size}, {args.epochs} epochs, seeds {', '.join(map(str, args.seeds))}.",
        "",
        "- **uniform W-bit**: scheme `qfx`, every tensor W bits with a learned binary point per tensor.",
        f"- **HGQ**: scheme `hgq` (per-element fractional bits for weights and activations, initialised at "
        f"{args.hgq_width - 2} fractional bits for weights and {args.hgq_width - 3} for activations, "
        f"integer bits from the values / calibrated ranges), loss = cross-entropy + beta * EBOPs, "
        + ("beta constant." if args.beta_ramp == "constant" else
           f"beta ramped {args.beta_ramp}ly from beta/100 over the first half of the epochs, then constant."),
        "",
        "Accuracy is the bit-exact fixed-point (eval mode) test accuracy; EBOPs are those of the trained model "
        "in eval mode (sum over every multiply of bits(input) * bits(weight), `codesign.nn.ebops`); pruned is "
        "the fraction of dense weights that quantize to 0. One test sample is "
        f"{100 / len(data.test):.2f} points.",
        "",
        "| configuration | accuracy % (mean) | min-max over seeds | EBOPs (mean) | vs uniform 8-bit EBOPs | pruned | on front |",
        "|---|---:|---|---:|---:|---:|:-:|",
    ]
    ref = next((c for c in configs if c.scheme == "qfx" and c.width == 8), None)
    for c in configs:
        rel = f"{c.ebops / ref.ebops:.3f}" if ref else ""
        lines.append(f"| {c.label} | {100 * c.accuracy:.2f} | {100 * c.accuracy_min:.2f}-{100 * c.accuracy_max:.2f} "
                     f"| {c.ebops:,.0f} | {rel} | {100 * c.pruned:.1f}% | {'yes' if id(c) in on_front else ''} |")
    n_hgq = sum(c.scheme == "hgq" for c in front)
    lines += ["", f"Pareto front (non-dominated configurations by mean accuracy and mean EBOPs), by EBOPs: "
              f"{n_hgq} HGQ and {len(front) - n_hgq} uniform configuration(s).", "",
              "| configuration | accuracy % | EBOPs |", "|---|---:|---:|"]
    lines += [f"| {c.label} | {100 * c.accuracy:.2f} | {c.ebops:,.0f} |" for c in front]
    uniform_front = {id(c) for c in pareto_front([c for c in configs if c.scheme == "qfx"])}
    lines += ["", "Cheapest HGQ configuration at equal or better mean accuracy, per uniform width (EBOPs ratio = "
              "uniform / HGQ; the headline uses only uniform widths that no other width dominates):", "",
              "| uniform | accuracy % | EBOPs | dominated by another width | cheapest HGQ at >= accuracy "
              "| accuracy % | EBOPs | EBOPs ratio |",
              "|---|---:|---:|:-:|---|---:|---:|---:|"]
    for m in found:
        u = m.uniform
        head = (f"| {u.label} | {100 * u.accuracy:.2f} | {u.ebops:,.0f} "
                f"| {'' if id(u) in uniform_front else 'yes'} ")
        if m.hgq is None:
            lines.append(head + "| none | | | |")
        else:
            lines.append(head + f"| {m.hgq.label} | {100 * m.hgq.accuracy:.2f} | {m.hgq.ebops:,.0f} "
                         f"| {m.ratio:.1f}x |")
    lines.append("")
    tmp = _tmp(path)
    tmp.write_text("\n".join(lines))
    os.replace(tmp, path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jets", type=Path, default=None, help="local jets file (default: the bundled digits)")
    parser.add_argument("--limit", type=int, default=None, help="subsample each split (seeded, stratified)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--betas", type=float, nargs="+", default=DEFAULT_BETAS)
    parser.add_argument("--beta-ramp", choices=["constant", "linear", "exponential"], default="exponential")
    parser.add_argument("--hgq-width", type=int, default=10,
                        help="HGQ initial width: weights start at width-2 fractional bits, activations at width-3")
    parser.add_argument("--widths", type=int, nargs="+", default=[3, 4, 5, 6, 8])
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--lr", type=float, default=1e-2)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (small models: 1 is fastest)")
    parser.add_argument("--out-dir", type=Path, default=Path("results"))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    data = load_data(args.jets, args.limit)
    start = time.monotonic()
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        for seed in args.seeds:
            jobs = [("qfx", w, 0.0) for w in args.widths] + [("hgq", args.hgq_width, b) for b in args.betas]
            for scheme, width, beta in jobs:
                row = run_one(data, scheme, width, beta, seed, args, work / f"{scheme}_{width}_{beta:g}_{seed}")
                rows.append(row)
                print(f"seed {seed} {config_label(scheme, width, beta):>18}: acc {100 * row['accuracy']:6.2f}%  "
                      f"EBOPs {row['ebops']:>10,.0f}  pruned {100 * row['pruned_fraction']:5.1f}%  "
                      f"({row['train_seconds']:.0f} s)", flush=True)
    seconds = time.monotonic() - start
    configs = aggregate(rows)
    front = pareto_front(configs)
    found = matches(configs)
    head = headline(configs, found, data.name)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    write_rows(args.out_dir / "hgq_pareto.csv", rows)
    write_png(args.out_dir / "hgq_pareto.png", rows, configs, front,
              f"jet_mlp on {data.name}: HGQ beta sweep vs uniform fixed point ({len(args.seeds)} seeds)")
    write_md(args.out_dir / "hgq_pareto.md", args, data, configs, front, found, head, seconds)
    print(f"wrote {args.out_dir / 'hgq_pareto.csv'}, .png, .md in {seconds:.0f} s")
    print(head)


if __name__ == "__main__":
    main()
