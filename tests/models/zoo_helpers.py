"""Helpers for the zoo tests: brief training, data, and per-tensor HGQ activations."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from codesign.nn import QBatchNorm1d, QBatchNorm2d, QModule
from codesign.quant.hgq import HGQQuantizer


def per_tensor_hgq_activations(model: nn.Module) -> int:
    """Replace every element-granularity HGQ activation quantizer (layer inputs and
    outputs) by a per-tensor one with the same signedness, modes and initial bits.

    Schema-1 IR casts a tensor to one type; per-element HGQ activation types cannot be
    exported (the exporter refuses them). Call before training.

    Returns:
        The number of quantizers replaced.
    """
    replaced = 0
    for layer in model.modules():
        if not isinstance(layer, QModule):
            continue
        for place, q in list(layer.quant.items()):
            if isinstance(q, HGQQuantizer) and q.kind == "activation" and q.granularity == "element":
                layer.quant[place] = HGQQuantizer(
                    init_frac_bits=q.init_frac_bits, signed=q.signed, kind="activation",
                    granularity="tensor", rounding=q.rounding, overflow=q.overflow)
                replaced += 1
    return replaced


def train_briefly(model: nn.Module, x: np.ndarray, y: np.ndarray, *, steps: int, batch: int = 64,
                  lr: float = 1e-2, seed: int = 0) -> None:
    """A few Adam steps on random mini-batches, then BatchNorm statistics of the first 256
    samples (weights, statistics and activation ranges become realistic); leaves the
    model in train mode.

    Args:
        x: dataset values ``[N, ...]`` (uint8 pixels or float features).
        y: class indices ``[N]``.
    """
    gen = torch.Generator().manual_seed(seed)
    model.train()
    with torch.no_grad():  # materialise lazy shapes before the optimizer sees the parameters
        model(torch.as_tensor(x[:batch]).float())
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    for _ in range(steps):
        idx = torch.randint(0, len(x), (batch,), generator=gen).numpy()
        loss = nn.functional.cross_entropy(model(torch.as_tensor(x[idx]).float()), torch.as_tensor(y[idx]))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    settle_batchnorm(model, x[:256])


def settle_batchnorm(model: nn.Module, x: np.ndarray) -> None:
    """Set every BatchNorm's running statistics to those of ``x`` (one train-mode forward
    with momentum 1), so eval mode after a few steps behaves like the trained model."""
    norms = [m for m in model.modules() if isinstance(m, (QBatchNorm1d, QBatchNorm2d))]
    momenta = [m.momentum for m in norms]
    for m in norms:
        m.momentum = 1.0
    try:
        with torch.no_grad():
            model(torch.as_tensor(x).float())
    finally:
        for m, momentum in zip(norms, momenta):
            m.momentum = momentum


def jet_like(n: int, seed: int, features: int = 16, classes: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """Standardised random features ``[n, features]`` (float32) with labels from a fixed
    random linear map, so training has something to learn."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, features)).astype(np.float32)
    w = np.random.default_rng(1234).standard_normal((features, classes))
    return x, (x @ w).argmax(axis=1).astype(np.int64)


def random_images(n: int, seed: int, shape: tuple[int, int, int] = (3, 32, 32),
                  classes: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Random uint8 images ``[n, *shape]`` (a random level per image and channel plus
    noise, so pooled features differ between images) and random labels."""
    rng = np.random.default_rng(seed)
    level = rng.uniform(0, 255, size=(n, shape[0], 1, 1))
    pixels = np.clip(np.rint(level + rng.normal(0, 40, size=(n, *shape))), 0, 255).astype(np.uint8)
    return pixels, rng.integers(0, classes, size=n).astype(np.int64)
