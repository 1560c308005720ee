"""QFX (learned binary points) vs PTQ vs QAT with frozen calibrated binary points.

For each seed: train the model with every tensor in 20-bit QFX (the float reference), then
for each word length W: PTQ of that reference to W bits (binary points calibrated on the
first --calibration-images training images, no retraining), QAT at W bits with binary points
calibrated once and frozen, and QAT at W bits with learned (QFX) binary points. Every tensor
is quantized (input, weights, biases, conv outputs, BatchNorm scale and bias, residual add,
pooling, logits); accuracies are the bit-exact fixed-point (eval mode) accuracies on the test
split.

Writes results/qfx_vs_ptq_<dataset>.csv (digits_cnn) or results/qfx_vs_ptq_<dataset>_<model>.csv
(one row per seed, width and method, with the train and test sizes and the training seconds)
and prints the per-width means.

Usage: python bench/qfx_vs_ptq.py [--dataset digits] [--model digits_cnn] [--widths 4 5 6 8]
                                  [--seeds 0 1 2] [--epochs 12] [--train-limit N] [--test-limit N]
                                  [--data PATH] [--methods ptq qat_frozen qfx]
                                  [--model-option in_channels=1 ...]
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import tempfile
import time
from pathlib import Path

import torch

from _results import write_csv
from codesign.data import load_dataset
from codesign.models import build_model
from codesign.train import FLOAT_REFERENCE_WIDTH, TrainConfig, evaluate, fit, post_training_quantize


METHODS = ("ptq", "qat_frozen", "qfx")


def parse_options(pairs: list[str]) -> dict[str, int | float | str]:
    """``key=value`` model options; values that parse as int or float become numbers."""
    options: dict[str, int | float | str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.isidentifier():
            raise SystemExit(f"--model-option expects key=value, got {pair!r}")
        for kind in (int, float):
            try:
                options[key] = kind(value)
                break
            except ValueError:
                continue
        else:
            options[key] = value
    return options


def load_splits(args: argparse.Namespace):
    """The dataset with ``--train-limit`` / ``--test-limit`` stratified subsets (seed 0)."""
    dataset = load_dataset(args.dataset, args.data)
    train = dataset.subsample(args.train_limit).train if args.train_limit else dataset.train
    test = dataset.subsample(args.test_limit).test if args.test_limit else dataset.test
    return dataclasses.replace(dataset, train=train, test=test)


def train(args: argparse.Namespace, width: int, seed: int, dataset, out: Path, *,
          freeze: bool) -> tuple[torch.nn.Module, float, float]:
    """QAT at ``width`` bits; returns the model, its fixed-point test accuracy and the seconds."""
    torch.manual_seed(seed)
    model = build_model(args.model, scheme="qfx", width=width, **args.model_options)
    cfg = TrainConfig(epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, seed=seed,
                      eval_every=args.epochs, freeze_binary_points=freeze)
    result = fit(model, dataset.train, dataset.test, cfg, out, model.model_spec, progress=False)
    return model, result.test_accuracy, result.seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="digits")
    parser.add_argument("--data", type=Path, default=None, help="local dataset path (not needed for digits)")
    parser.add_argument("--model", default="digits_cnn")
    parser.add_argument("--model-option", dest="model_options", action="append", default=[], metavar="KEY=VALUE",
                        help="extra builder option, e.g. in_channels=1 for resnet20 on grey images")
    parser.add_argument("--widths", type=int, nargs="+", default=[4, 5, 6, 8])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--methods", nargs="+", choices=METHODS, default=list(METHODS))
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--train-limit", type=int, default=None, help="stratified training subset (seed 0)")
    parser.add_argument("--test-limit", type=int, default=None, help="stratified test subset (seed 0)")
    parser.add_argument("--calibration-images", type=int, default=2048,
                        help="PTQ calibrates on the first this many training images (eval-mode fixed point is slow)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (small models: 1 is fastest)")
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    args.model_options = parse_options(args.model_options)
    torch.set_num_threads(args.threads)
    dataset = load_splits(args)
    suffix = "" if args.model == "digits_cnn" else f"_{args.model}"
    out = args.out or Path(f"results/qfx_vs_ptq_{args.dataset}{suffix}.csv")
    print(f"{args.dataset}: {len(dataset.train)} train / {len(dataset.test)} test images, model {args.model} "
          f"{args.model_options or ''}")
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        for seed in args.seeds:
            start = time.monotonic()
            reference, ref_acc, ref_s = train(args, FLOAT_REFERENCE_WIDTH, seed, dataset, work / "ref", freeze=False)
            rows.append({"seed": seed, "width": FLOAT_REFERENCE_WIDTH, "method": "float_reference",
                         "accuracy": ref_acc, "train_seconds": round(ref_s, 1)})
            for width in args.widths:
                results: dict[str, tuple[float, float]] = {}
                if "ptq" in args.methods:
                    ptq_model = post_training_quantize(reference, width, dataset.train.x[:args.calibration_images])
                    results["ptq"] = (evaluate(ptq_model, dataset.test).accuracy, 0.0)
                if "qat_frozen" in args.methods:
                    _, acc, seconds = train(args, width, seed, dataset, work / "frozen", freeze=True)
                    results["qat_frozen"] = (acc, seconds)
                if "qfx" in args.methods:
                    _, acc, seconds = train(args, width, seed, dataset, work / "qfx", freeze=False)
                    results["qfx"] = (acc, seconds)
                for method, (acc, seconds) in results.items():
                    rows.append({"seed": seed, "width": width, "method": method, "accuracy": acc,
                                 "train_seconds": round(seconds, 1)})
                print(f"seed {seed} W={width}: float {ref_acc:.4f} "
                      + " ".join(f"{m} {acc:.4f}" for m, (acc, _) in results.items()), flush=True)
            print(f"seed {seed} done in {time.monotonic() - start:.0f} s", flush=True)
    options = " ".join(f"{k}={v}" for k, v in args.model_options.items())
    for row in rows:
        row.update({"dataset": args.dataset, "model": args.model, "model_options": options,
                    "train_images": len(dataset.train), "test_images": len(dataset.test),
                    "epochs": args.epochs, "batch_size": args.batch_size, "lr": args.lr})
    write_csv(out, rows, ["dataset", "model", "model_options", "train_images", "test_images", "epochs",
                          "batch_size", "lr", "seed", "width", "method", "accuracy", "train_seconds"])
    for width in args.widths:
        means = {m: statistics.mean(r["accuracy"] for r in rows if r["width"] == width and r["method"] == m)
                 for m in args.methods}
        print(f"W={width}: " + "  ".join(f"{m} {v:.4f}" for m, v in means.items()))


if __name__ == "__main__":
    main()
