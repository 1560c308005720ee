"""Training-recipe variants of the flagship BNN (bnn tiny on digits): accuracy and training time.

Issue 4 asks bnn tiny to reach >= 98% fixed-point test accuracy (mean of 3 seeds) in under 30 s of
training on 2 CPU cores. This benchmark trains the flagship (flows/ultra96_bnn.yaml) through the
real trainer (``codesign.train.run.train_run``, the path of ``codesign run``) with one recipe
change at a time, so each row says what that change is worth:

- ``flagship``: the flow file as committed.
- ``global_head``: the classifier on the globally pooled channels (the earlier head) instead of
  the 2x2-pooled, flattened map.
- ``shift``: random +-1 pixel shifts of the training images (the earlier augmentation).
- ``no_smoothing``: plain cross-entropy instead of label smoothing 0.1.
- ``previous``: all three of the above, the recipe before this benchmark (global head, shift
  augmentation, no label smoothing).
- ``epochs_N``: the flagship with N epochs instead of the flow's (the time/accuracy trade).

Each variant runs for every seed; a row holds the fixed-point (bit-exact eval mode) test
accuracy and the trainer's wall time (``fit``: calibration, epochs and the one evaluation at
the end; ``fit`` loads torch's optimizer machinery, which imports ``torch._dynamo``, before its
clock starts, as library loading), on however many torch threads the flow asks for, and ``reference_ms``: a fixed torch
workload (a 3x3 convolution of 32 channels over a batch of 128 8x8 maps, forward and backward,
the median of 15) timed on the same threads just before the run. This VM's speed drifts by a
quarter or more within an hour; a run's seconds move with its reference time. Writes ``--out`` (default
results/bnn_tiny_recipe.csv) and the summary table beside it (.md), both atomically, the CSV
after every run.

Usage: python bench/bnn_recipe.py [--variants flagship global_head shift no_smoothing previous
       epochs_25] [--seeds 0 1 2] [--out results/bnn_tiny_recipe.csv]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import shlex
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _results import write_csv, write_text  # noqa: E402

from codesign.flow.spec import load_flow  # noqa: E402
from codesign.flow.stages.train import train_request  # noqa: E402
from codesign.train.run import TrainRequest, train_run  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
FLAGSHIP = ROOT / "flows" / "ultra96_bnn.yaml"
COLUMNS = ["variant", "seed", "head", "augment", "label_smoothing", "epochs", "batch_size", "lr", "threads",
           "accuracy", "train_seconds", "reference_ms", "torch", "machine"]
FIXED_VARIANTS = ("flagship", "global_head", "shift", "no_smoothing", "previous")


def variant_request(base: TrainRequest, variant: str, seed: int) -> TrainRequest:
    """``base`` with one named recipe change and ``seed``; ValueError for an unknown name."""
    model_options = dict(base.model_options)
    train = dataclasses.replace(base.train, seed=seed)
    if variant in ("global_head", "previous"):
        model_options["head"] = "global"
    if variant in ("shift", "previous"):
        train = dataclasses.replace(train, augment="shift")
    if variant in ("no_smoothing", "previous"):
        train = dataclasses.replace(train, label_smoothing=0.0)
    if variant.startswith("epochs_") and variant.removeprefix("epochs_").isdigit():
        epochs = max(1, int(variant.removeprefix("epochs_")))
        train = dataclasses.replace(train, epochs=epochs, eval_every=epochs)
    elif variant not in FIXED_VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; allowed: {', '.join(FIXED_VARIANTS)}, epochs_N")
    return dataclasses.replace(base, model_options=model_options, train=train)


def reference_ms(threads: int, repeats: int = 15) -> float:
    """Median milliseconds of a fixed torch workload (see the module docstring): the machine's
    speed at the moment, independent of codesign's code."""
    torch.set_num_threads(threads)
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(128, 32, 10, 10, generator=generator, requires_grad=True)
    w = torch.randn(32, 32, 3, 3, generator=generator, requires_grad=True)
    times = []
    for _ in range(repeats + 3):
        start = time.perf_counter()
        torch.nn.functional.conv2d(x, w).sum().backward()
        times.append(time.perf_counter() - start)
    return round(1e3 * statistics.median(times[3:]), 2)


def markdown(rows: list[dict[str, Any]], variants: list[str], command: str, seconds: float) -> str:
    """The summary table: mean and per-seed accuracy and training seconds per variant."""
    lines = ["# bnn tiny on digits: training-recipe variants", "",
             f"Command: `{command}` (writes [bnn_tiny_recipe.csv](bnn_tiny_recipe.csv) and this file; "
             f"{rows[0]['machine']}, torch {rows[0]['torch']}; {seconds / 60:.0f} min in all).", "",
             "Each variant is the flagship [flows/ultra96_bnn.yaml](../flows/ultra96_bnn.yaml) with one recipe "
             "change (see bench/bnn_recipe.py), trained by `codesign.train.run.train_run`. Accuracy: bit-exact "
             "fixed-point test accuracy on the 359 test images (one image is 0.28 points). Seconds: the trainer's "
             "wall time (calibration, epochs, one evaluation at the end; library loading comes before the clock, "
             "including the torch._dynamo import of torch.optim's first use, about 2 s). Reference ms: a fixed torch "
             "convolution timed just before each run (the machine's speed then; the seconds scale with it).", "",
             "| variant | head | augment | label smoothing | epochs | threads | accuracy % (mean) | per seed | "
             "train s (mean) | per seed | reference ms per seed |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for variant in variants:
        mine = [r for r in rows if r["variant"] == variant]
        if not mine:
            continue
        acc = [100 * r["accuracy"] for r in mine]
        secs = [r["train_seconds"] for r in mine]
        refs = [r["reference_ms"] for r in mine]
        first = mine[0]
        lines.append(f"| {variant} | {first['head']} | {first['augment']} | {first['label_smoothing']:g} | "
                     f"{first['epochs']} | {first['threads']} | {statistics.mean(acc):.2f} | "
                     f"{' / '.join(f'{a:.2f}' for a in acc)} | {statistics.mean(secs):.1f} | "
                     f"{' / '.join(f'{s:.1f}' for s in secs)} | "
                     f"{' / '.join(f'{ms:.1f}' for ms in refs)} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--variants", nargs="+", default=["flagship", "global_head", "shift", "no_smoothing",
                                                          "previous"])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "bnn_tiny_recipe.csv")
    args = parser.parse_args()
    spec = load_flow(FLAGSHIP)
    base = train_request(spec, None)  # digits is embedded: no data path
    requests = [(v, s, variant_request(base, v, s)) for v in args.variants for s in args.seeds]  # fail early
    machine = f"{platform.machine()} {os.cpu_count()} cpus"
    command = "python bench/bnn_recipe.py" + "".join(f" {shlex.quote(a)}" for a in sys.argv[1:])
    rows: list[dict[str, Any]] = []
    start = time.monotonic()
    with tempfile.TemporaryDirectory() as scratch:
        for index, (variant, seed, request) in enumerate(requests):
            reference = reference_ms(request.train.threads or torch.get_num_threads())
            summary = train_run(request, Path(scratch) / f"run{index}", progress=False)
            cfg = request.train
            rows.append({"variant": variant, "seed": seed, "head": request.model_options.get("head", "global"),
                         "augment": cfg.augment, "label_smoothing": cfg.label_smoothing, "epochs": cfg.epochs,
                         "batch_size": cfg.batch_size, "lr": cfg.lr, "threads": cfg.threads,
                         "accuracy": round(summary["accuracy_fixed"], 6), "train_seconds": summary["train_seconds"],
                         "reference_ms": reference,
                         "torch": torch.__version__, "machine": machine})
            print(f"{variant} seed {seed}: {100 * rows[-1]['accuracy']:.2f}% in {rows[-1]['train_seconds']:.1f} s",
                  flush=True)
            write_csv(args.out, rows, COLUMNS)
    write_text(args.out.with_suffix(".md"), markdown(rows, args.variants, command, time.monotonic() - start))


if __name__ == "__main__":
    main()
