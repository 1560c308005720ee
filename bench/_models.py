"""Models and inputs shared by bench/codegen_csim.py and bench/emulation_throughput.py.

Two zoo models, briefly trained with the project's trainer (``codesign.train.fit``: the
binary points calibrated on the first training batches, then a few Adam epochs in QFX /
K-hot QAT), so that weights, binary points and activation ranges are realistic; they are
not meant to be accurate:

- ``jet_mlp`` (16-64-32-32-5, QFX 8 bits) on synthetic standardised features: 16 standard
  normal features per sample, labels from a fixed random linear map (there is no jets
  file here); after training every binary point is recalibrated on the training samples.
  Benchmark inputs: standardised heavy-tailed features (``jet_bench_inputs``), so that the
  saturation paths are exercised too.
- ``bnn_tiny`` (``bnn`` size tiny, K-hot K=2, 8 bits) on the bundled 8x8 digits.
  Benchmark inputs: the 1,797 digits images (test split first, then train) repeated
  cyclically up to the number asked for.

Both are deterministic for a seed, so the two scripts measure the same models.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from codesign.data import load_dataset
from codesign.data.base import DataSplit
from codesign.models import build_model
from codesign.quant.ptq import calibrate
from codesign.train import TrainConfig, evaluate, fit

MODELS = ("jet_mlp", "bnn_tiny")
JET_FEATURES, JET_CLASSES = 16, 5
JET_TRAIN = 6_000


@dataclass(frozen=True)
class BenchModel:
    """A briefly trained model and its benchmark inputs.

    Attributes:
        name: ``jet_mlp`` or ``bnn_tiny``.
        model: the trained zoo model (eval mode).
        example: a few dataset values for ``export`` (shapes and its self-check).
        inputs: ``[n, ...]`` dataset values (float32 features or uint8 images).
        test_accuracy: fixed-point test accuracy after the brief training.
        training: one line saying how it was trained.
    """

    name: str
    model: nn.Module
    example: np.ndarray
    inputs: np.ndarray
    test_accuracy: float
    training: str


def jet_features(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Standardised synthetic features ``[n, 16]`` (float32) and labels from a fixed
    random linear map (seed 1234), so that training has something to learn."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, JET_FEATURES)).astype(np.float32)
    w = np.random.default_rng(1234).standard_normal((JET_FEATURES, JET_CLASSES))
    return x, (x @ w).argmax(axis=1).astype(np.int64)


def jet_bench_inputs(n: int, seed: int) -> np.ndarray:
    """Benchmark features ``[n, 16]`` (float32): standardised (mean 0, variance 1) but heavy-tailed,
    Student t with 3 degrees of freedom scaled by 1/sqrt(3), so that some values saturate at the
    input cast and in the hidden layers, as real jet features (skewed, long-tailed) do."""
    rng = np.random.default_rng(seed)
    return (rng.standard_t(3, size=(n, JET_FEATURES)) / np.sqrt(3.0)).astype(np.float32)


def digits_cycle(n: int) -> np.ndarray:
    """``n`` digits images ``[n, 1, 8, 8]`` uint8: test split, then train, repeated."""
    ds = load_dataset("digits")
    pool = np.concatenate([ds.test.x, ds.train.x])
    return pool[np.arange(n) % len(pool)]


def _train(model: nn.Module, train: DataSplit, test: DataSplit, spec: dict, epochs: int, seed: int) -> float:
    cfg = TrainConfig(epochs=epochs, batch_size=64, lr=3e-3, seed=seed, device="cpu", eval_every=epochs,
                      calibrate_batches=4)
    with tempfile.TemporaryDirectory(prefix="bench_train_") as tmp:
        result = fit(model, train, test, cfg, Path(tmp), spec, progress=False)
    model.eval()
    return float(result.test_accuracy)


def bench_model(name: str, n_inputs: int, *, epochs: int | None = None, train_samples: int | None = None,
                seed: int = 0) -> BenchModel:
    """Build and briefly train ``name`` (see the module docstring); ``n_inputs`` benchmark inputs.

    ``epochs`` and ``train_samples`` (jet_mlp only) shrink the training for quick runs.
    """
    torch.manual_seed(seed)
    if name == "jet_mlp":
        epochs = 2 if epochs is None else epochs
        spec = {"name": "jet_mlp", "scheme": "qfx", "width": 8}
        model = build_model(**spec)
        n_train = JET_TRAIN if train_samples is None else train_samples
        train_x, train_y = jet_features(n_train, seed)
        test_x, test_y = jet_features(2_000, seed + 1)
        _train(model, DataSplit(train_x, train_y), DataSplit(test_x, test_y), model.model_spec, epochs, seed)
        # After so short a QAT the learned binary points still sit where the first calibration put them
        # (on the random initial weights): most logits saturate. Recalibrating every binary point on the
        # trained model (eval mode, all training samples) gives realistic ranges.
        calibrate(model, [torch.as_tensor(train_x[i:i + 1000]) for i in range(0, len(train_x), 1000)])
        model.eval()
        acc = evaluate(model, DataSplit(test_x, test_y)).accuracy
        inputs = jet_bench_inputs(n_inputs, seed + 2)
        how = (f"QFX 8-bit QAT, {epochs} epochs of Adam (lr 3e-3, batch 64) on {n_train:,} synthetic "
               f"standardised samples after calibrating the binary points on 4 batches, then every binary "
               f"point recalibrated (eval mode) on the {n_train:,} training samples")
        return BenchModel(name, model, train_x[:8], inputs, acc, how)
    if name == "bnn_tiny":
        epochs = 8 if epochs is None else epochs
        spec = {"name": "bnn", "size": "tiny"}
        model = build_model(**spec)
        ds = load_dataset("digits")
        acc = _train(model, ds.train, ds.test, model.model_spec, epochs, seed)
        how = (f"K-hot (K=2) 8-bit QAT, {epochs} epochs of Adam (lr 3e-3, batch 64) on the 1,438 digits "
               f"training images after calibrating the binary points on 4 batches")
        return BenchModel(name, model, ds.train.x[:8], digits_cycle(n_inputs), acc, how)
    raise ValueError(f"unknown bench model {name!r}; allowed: {', '.join(MODELS)}")
