"""QFX (learned binary points) vs PTQ vs QAT with frozen calibrated binary points.

For each seed: train the model with every tensor in 20-bit QFX (the float reference), then
for each word length W: PTQ of that reference to W bits (calibrated binary points, no
retraining), QAT at W bits with binary points calibrated once and frozen, and QAT at W bits
with learned (QFX) binary points. Every tensor is quantized (input, weights, biases, conv
outputs, BatchNorm scale and bias, residual add, pooling, logits); accuracies are the
bit-exact fixed-point (eval mode) accuracies on the test split.

Writes results/qfx_vs_ptq_<dataset>.csv (one row per seed, width and method) and prints
the per-width means.

Usage: python bench/qfx_vs_ptq.py [--dataset digits] [--model digits_cnn] [--widths 4 5 6 8]
                                  [--seeds 0 1 2] [--epochs 12] [--limit N] [--data PATH]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import torch

from _results import write_csv
from codesign.data import load_dataset
from codesign.models import build_model
from codesign.train import FLOAT_REFERENCE_WIDTH, TrainConfig, evaluate, fit, post_training_quantize


def train(model_name: str, width: int, seed: int, epochs: int, lr: float, dataset, out: Path, *,
          freeze: bool) -> tuple[torch.nn.Module, float]:
    torch.manual_seed(seed)
    model = build_model(model_name, scheme="qfx", width=width)
    cfg = TrainConfig(epochs=epochs, batch_size=64, lr=lr, seed=seed, eval_every=epochs,
                      freeze_binary_points=freeze)
    result = fit(model, dataset.train, dataset.test, cfg, out, model.model_spec, progress=False)
    return model, result.test_accuracy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="digits")
    parser.add_argument("--data", type=Path, default=None, help="local dataset path (not needed for digits)")
    parser.add_argument("--model", default="digits_cnn")
    parser.add_argument("--widths", type=int, nargs="+", default=[4, 5, 6, 8])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--limit", type=int, default=None, help="subsample each split (seeded)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (small models: 1 is fastest)")
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    dataset = load_dataset(args.dataset, args.data, limit=args.limit)
    out = args.out or Path(f"results/qfx_vs_ptq_{args.dataset}.csv")
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        for seed in args.seeds:
            start = time.monotonic()
            reference, ref_acc = train(args.model, FLOAT_REFERENCE_WIDTH, seed, args.epochs, args.lr, dataset, work / "ref", freeze=False)
            rows.append({"seed": seed, "width": FLOAT_REFERENCE_WIDTH, "method": "float_reference", "accuracy": ref_acc})
            for width in args.widths:
                ptq_acc = evaluate(post_training_quantize(reference, width, dataset.train.x), dataset.test).accuracy
                _, frozen_acc = train(args.model, width, seed, args.epochs, args.lr, dataset, work / "frozen", freeze=True)
                _, qfx_acc = train(args.model, width, seed, args.epochs, args.lr, dataset, work / "qfx", freeze=False)
                for method, acc in (("ptq", ptq_acc), ("qat_frozen", frozen_acc), ("qfx", qfx_acc)):
                    rows.append({"seed": seed, "width": width, "method": method, "accuracy": acc})
                print(f"seed {seed} W={width}: float {ref_acc:.4f} ptq {ptq_acc:.4f} frozen {frozen_acc:.4f} qfx {qfx_acc:.4f}")
            print(f"seed {seed} done in {time.monotonic() - start:.0f} s")
    for row in rows:
        row.update({"dataset": args.dataset, "model": args.model, "epochs": args.epochs, "lr": args.lr})
    write_csv(out, rows, ["dataset", "model", "epochs", "lr", "seed", "width", "method", "accuracy"])
    for width in args.widths:
        means = {m: statistics.mean(r["accuracy"] for r in rows if r["width"] == width and r["method"] == m)
                 for m in ("ptq", "qat_frozen", "qfx")}
        print(f"W={width}: " + "  ".join(f"{m} {v:.4f}" for m, v in means.items()))


if __name__ == "__main__":
    main()
