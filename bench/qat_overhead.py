"""Benchmark: one training step (forward + backward + optimizer) float vs codesign QAT vs Brevitas.

Two models, each in five versions timed in one run with interleaved repeats (the median of
each), the ratio taken to the float version of the same model measured in the same run:

- ``resnet20``: a CIFAR-shaped ResNet-20 (3x32x32 pixel values 0..255, batch 128 by
  default, ``--batch``);
- ``jet_mlp``: the hls4ml jet-tagging MLP 16-64-32-32-5 on a random standardised
  ``[batch, 16]`` tensor (standard normal features; batch 512 by default, ``--jet-batch``,
  the usual batch of jet-tagging training). One step takes milliseconds, so each timed
  sample is the mean of ``--jet-steps`` consecutive steps (ResNet-20: one step a sample).

Versions (column ``scheme``):

- ``float``: plain torch (``nn.Conv2d``/``nn.BatchNorm2d``/``nn.Linear``/ReLU);
- ``qfx``, ``khot``, ``hgq``: ``codesign.models.build_model(name, scheme=..., width=8, k=2)``,
  every tensor fixed point (weights, biases, BatchNorm, layer outputs, activations,
  residual sums, pooling), binary points calibrated on the batch first
  (``codesign.quant.ptq.calibrate``);
- ``brevitas``: the same architecture with Brevitas's 8-bit fixed-point (power-of-two scale)
  quantizers from ``brevitas.quant.fixed_point``: ``QuantConv2d``/``QuantLinear`` weights
  ``Int8WeightPerTensorFixedPoint`` (narrow int8, per-tensor power-of-two scale from max|w|),
  classifier biases ``Int8BiasPerTensorFixedPointInternalScaling``, ``QuantReLU`` outputs
  ``Uint8ActPerTensorFixedPoint`` (unsigned, as codesign's ReLU outputs), signed tensors
  (the residual sum, jet features, logits) ``QuantIdentity``/``output_quant`` with
  ``Int8ActPerTensorFixedPoint``, the graph input ``Uint8ActPerTensorFixedPoint`` (pixels)
  or ``Int8ActPerTensorFixedPoint`` (features), the pooled vector the classifier's
  ``input_quant`` (``Uint8ActPerTensorFixedPoint``). BatchNorm stays float
  (``nn.BatchNorm2d``) and the conv/linear outputs are not cast, so Brevitas quantizes fewer
  places than codesign. The activation scales are learned parameters initialised from
  statistics; they are initialised with ``brevitas.graph.calibrate.calibration_mode`` on the
  batch before timing, so the timed steps are steady-state QAT (not Brevitas's first 300
  statistics-collection steps).

Brevitas is a bench-only dependency: ``pip install -e '.[bench]'``. Without it the Brevitas
rows are skipped with a printed note and the other rows still run. brevitas 0.13.4 (the
version this was written against, with torch 2.13.0+cpu) requires ``setuptools<81`` although
its code never imports setuptools, so installing the extra downgrades setuptools; torch is
left alone (brevitas asks only ``torch>=1.13``). On the development machine it was installed
with ``pip install --no-deps brevitas==0.13.4 dependencies==2.0.1 unfoldNd==0.2.3`` (its other
requirements, sympy, packaging and typing-extensions, were present) to keep setuptools as it was.

Writes results/bench_qat_overhead.csv (columns: model, scheme, batch, device, step_ms,
ratio_to_float, threads, torch, brevitas, machine). Targets (issue 3): QFX <= 1.5x,
HGQ <= 2x float.

Usage: python bench/qat_overhead.py [--models resnet20,jet_mlp] [--batch 128]
       [--jet-batch 512] [--jet-steps 20] [--repeats 5] [--device cpu|cuda] [--out CSV]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from pathlib import Path
from typing import Any

import torch
from torch import nn

from _results import write_csv
from codesign.models import build_model
from codesign.quant.ptq import calibrate

try:  # bench-only extra: pip install -e '.[bench]'
    import brevitas
    from brevitas import nn as qnn
    from brevitas.graph.calibrate import calibration_mode
    from brevitas.quant.fixed_point import (
        Int8ActPerTensorFixedPoint,
        Int8BiasPerTensorFixedPointInternalScaling,
        Int8WeightPerTensorFixedPoint,
        Uint8ActPerTensorFixedPoint,
    )
except ImportError:  # pragma: no cover - depends on the environment
    brevitas = None

MODELS = ("resnet20", "jet_mlp")
CODESIGN_SCHEMES = ("qfx", "khot", "hgq")
JET_FEATURES, JET_HIDDEN, JET_CLASSES = 16, (64, 32, 32), 5


# ------------------------------------------------------------------------ float models
class BasicBlock(nn.Module):
    """Float ResNet basic block with the same shapes as the zoo's quantized one."""

    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(),
            nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout))
        self.shortcut = (nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))
                         if stride != 1 or cin != cout else nn.Identity())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.body(x) + self.shortcut(x))


def _resnet20_stages() -> list[tuple[int, int, int]]:
    """(cin, cout, stride) of the nine basic blocks: 16-32-64 channels, 3 blocks per stage."""
    blocks, cin = [], 16
    for stage, cout in enumerate((16, 32, 64)):
        for block in range(3):
            blocks.append((cin, cout, 2 if stage > 0 and block == 0 else 1))
            cin = cout
    return blocks


def float_resnet20(num_classes: int = 10) -> nn.Module:
    """The float reference: ResNet-20 for 32x32 inputs (16-32-64 channels, 3 blocks per stage)."""
    layers: list[nn.Module] = [nn.Conv2d(3, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU()]
    layers += [BasicBlock(cin, cout, stride) for cin, cout, stride in _resnet20_stages()]
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, num_classes)]
    return nn.Sequential(*layers)


def float_jet_mlp() -> nn.Module:
    """The float reference: Linear 16-64, ReLU, 64-32, ReLU, 32-32, ReLU, 32-5."""
    sizes = [JET_FEATURES, *JET_HIDDEN]
    layers: list[nn.Module] = []
    for a, b in zip(sizes, sizes[1:]):
        layers += [nn.Linear(a, b), nn.ReLU()]
    layers.append(nn.Linear(sizes[-1], JET_CLASSES))
    return nn.Sequential(*layers)


# --------------------------------------------------------------------- Brevitas models
def _bconv(cin: int, cout: int, kernel: int, stride: int) -> nn.Module:
    return qnn.QuantConv2d(cin, cout, kernel, stride=stride, padding=kernel // 2, bias=False,
                           weight_quant=Int8WeightPerTensorFixedPoint)


def _blinear(cin: int, cout: int, **quant: Any) -> nn.Module:
    return qnn.QuantLinear(cin, cout, bias=True, weight_quant=Int8WeightPerTensorFixedPoint,
                           bias_quant=Int8BiasPerTensorFixedPointInternalScaling, **quant)


def _brelu() -> nn.Module:
    return qnn.QuantReLU(act_quant=Uint8ActPerTensorFixedPoint)


class BrevitasBasicBlock(nn.Module):
    """The basic block in Brevitas: 8-bit fixed-point conv weights, ReLU outputs and residual
    sum (``QuantIdentity``), float BatchNorm."""

    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        self.body = nn.Sequential(_bconv(cin, cout, 3, stride), nn.BatchNorm2d(cout), _brelu(),
                                  _bconv(cout, cout, 3, 1), nn.BatchNorm2d(cout))
        self.shortcut = (nn.Sequential(_bconv(cin, cout, 1, stride), nn.BatchNorm2d(cout))
                         if stride != 1 or cin != cout else nn.Identity())
        self.add_quant = qnn.QuantIdentity(act_quant=Int8ActPerTensorFixedPoint)
        self.relu = _brelu()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.relu(self.add_quant(self.body(x) + self.shortcut(x)))


def brevitas_resnet20(num_classes: int = 10) -> nn.Module:
    """ResNet-20 with Brevitas 8-bit fixed-point quantizers, same shapes as ``float_resnet20``."""
    layers: list[nn.Module] = [qnn.QuantIdentity(act_quant=Uint8ActPerTensorFixedPoint),  # pixels
                               _bconv(3, 16, 3, 1), nn.BatchNorm2d(16), _brelu()]
    layers += [BrevitasBasicBlock(cin, cout, stride) for cin, cout, stride in _resnet20_stages()]
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(),
               _blinear(64, num_classes, input_quant=Uint8ActPerTensorFixedPoint,
                        output_quant=Int8ActPerTensorFixedPoint)]
    return nn.Sequential(*layers)


def brevitas_jet_mlp() -> nn.Module:
    """The jet MLP with Brevitas 8-bit fixed-point quantizers, same shapes as ``float_jet_mlp``."""
    sizes = [JET_FEATURES, *JET_HIDDEN]
    layers: list[nn.Module] = [qnn.QuantIdentity(act_quant=Int8ActPerTensorFixedPoint)]  # features
    for a, b in zip(sizes, sizes[1:]):
        layers += [_blinear(a, b), _brelu()]
    layers.append(_blinear(sizes[-1], JET_CLASSES, output_quant=Int8ActPerTensorFixedPoint))
    return nn.Sequential(*layers)


# ------------------------------------------------------------------------------ bench
def make_inputs(model: str, batch: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """Dataset-shaped inputs and labels: pixel values 0..255 or standardised features."""
    if model == "resnet20":
        x = (torch.rand(batch, 3, 32, 32, device=device) * 255).round()
        return x, torch.randint(0, 10, (batch,), device=device)
    x = torch.randn(batch, JET_FEATURES, device=device)
    return x, torch.randint(0, JET_CLASSES, (batch,), device=device)


def make_models(model: str, device: torch.device, x: torch.Tensor) -> dict[str, nn.Module]:
    """float, qfx, khot, hgq (and brevitas when installed) versions of ``model``, in train
    mode, their quantizer ranges calibrated on x."""
    models: dict[str, nn.Module] = {"float": float_resnet20() if model == "resnet20" else float_jet_mlp()}
    for scheme in CODESIGN_SCHEMES:
        models[scheme] = build_model(model, scheme=scheme, width=8, k=2)
    if brevitas is not None:
        models["brevitas"] = brevitas_resnet20() if model == "resnet20" else brevitas_jet_mlp()
    for name, m in models.items():
        m.to(device).train()
        if name in CODESIGN_SCHEMES:
            with torch.no_grad():
                m(x)  # materialise lazily shaped HGQ quantizers
            calibrate(m, [x], train_mode=True)
        elif name == "brevitas":
            with torch.no_grad(), calibration_mode(m):
                m(x)  # activation scales from statistics, then learned parameters
            m.train()
    return models


def step_seconds(model: nn.Module, opt: torch.optim.Optimizer, x: torch.Tensor, y: torch.Tensor,
                 device: torch.device, steps: int = 1) -> float:
    """Mean wall time of ``steps`` consecutive training steps."""
    start = time.perf_counter()
    for _ in range(steps):
        loss = nn.functional.cross_entropy(model(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return (time.perf_counter() - start) / steps


def parse_models(text: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    bad = [n for n in names if n not in MODELS]
    if bad or not names:
        raise argparse.ArgumentTypeError(f"unknown model(s) {bad or text!r}; allowed: {', '.join(MODELS)}")
    return list(dict.fromkeys(names))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=parse_models, default=list(MODELS),
                        help="comma-separated: resnet20,jet_mlp")
    parser.add_argument("--batch", type=int, default=128, help="ResNet-20 batch")
    parser.add_argument("--jet-batch", type=int, default=512, help="jet_mlp batch")
    parser.add_argument("--jet-steps", type=int, default=20, help="jet_mlp steps per timed sample")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--out", type=Path, default=Path("results/bench_qat_overhead.csv"))
    args = parser.parse_args()
    device = torch.device(args.device)
    torch.manual_seed(0)
    if brevitas is None:
        print("note: brevitas is not installed (pip install -e '.[bench]'): Brevitas rows skipped")

    batch = {"resnet20": args.batch, "jet_mlp": args.jet_batch}
    steps = {"resnet20": 1, "jet_mlp": args.jet_steps}
    runs: dict[tuple[str, str], tuple[nn.Module, torch.optim.Optimizer, torch.Tensor, torch.Tensor]] = {}
    for model in args.models:
        x, y = make_inputs(model, batch[model], device)
        for scheme, m in make_models(model, device, x).items():
            runs[model, scheme] = (m, torch.optim.SGD(m.parameters(), lr=1e-3, momentum=0.9), x, y)

    times: dict[tuple[str, str], list[float]] = {key: [] for key in runs}
    for (model, _), (m, opt, x, y) in runs.items():  # warm-up
        step_seconds(m, opt, x, y, device, steps[model])
    for _ in range(args.repeats):  # interleaved so machine drift affects every version alike
        for key, (m, opt, x, y) in runs.items():
            times[key].append(step_seconds(m, opt, x, y, device, steps[key[0]]))

    version = brevitas.__version__ if brevitas is not None else ""
    rows = []
    for model, scheme in runs:
        median = statistics.median(times[model, scheme])
        base = statistics.median(times[model, "float"])
        rows.append({"model": model, "scheme": scheme, "batch": batch[model], "device": device.type,
                     "step_ms": round(median * 1e3, 3), "ratio_to_float": round(median / base, 2),
                     "threads": torch.get_num_threads(), "torch": torch.__version__,
                     "brevitas": version, "machine": f"{platform.machine()} {os.cpu_count()} cpus"})
        print(f"{model:8s} {scheme:8s} {median * 1e3:10.3f} ms/step  {median / base:5.2f}x float")
    write_csv(args.out, rows, list(rows[0]))


if __name__ == "__main__":
    main()
