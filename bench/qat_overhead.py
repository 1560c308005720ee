"""Benchmark: one training step (forward + backward + optimizer) of ResNet-20, float vs QAT.

A CIFAR-shaped ResNet-20 (3x32x32, batch 128) as a plain torch model, and the same
architecture from the codesign zoo with QFX, HGQ and K-hot quantization, timed in one run
with interleaved repeats (the median of each). Writes results/bench_qat_overhead.csv with
the step time and the ratio to float. Targets (issue 3): QFX <= 1.5x, HGQ <= 2x float.

Usage: python bench/qat_overhead.py [--batch 128] [--repeats 5] [--device cpu|cuda]
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import statistics
import time
from pathlib import Path

import torch
from torch import nn

from codesign.models import build_model
from codesign.quant.ptq import calibrate


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


def float_resnet20(num_classes: int = 10) -> nn.Module:
    """The float reference: ResNet-20 for 32x32 inputs (16-32-64 channels, 3 blocks per stage)."""
    layers: list[nn.Module] = [nn.Conv2d(3, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU()]
    cin = 16
    for stage, cout in enumerate((16, 32, 64)):
        for block in range(3):
            layers.append(BasicBlock(cin, cout, 2 if stage > 0 and block == 0 else 1))
            cin = cout
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, num_classes)]
    return nn.Sequential(*layers)


def make_models(device: torch.device, x: torch.Tensor) -> dict[str, nn.Module]:
    """float, qfx, hgq and khot ResNet-20s, calibrated on x (HGQ/QFX/K-hot ranges)."""
    models: dict[str, nn.Module] = {"float": float_resnet20()}
    for scheme in ("qfx", "hgq", "khot"):
        models[scheme] = build_model("resnet20", scheme=scheme, width=8, k=2)
    for name, model in models.items():
        model.to(device).train()
        if name != "float":
            with torch.no_grad():
                model(x)  # materialise lazily shaped HGQ quantizers
            calibrate(model, [x], train_mode=True)
    return models


def step_seconds(model: nn.Module, opt: torch.optim.Optimizer, x: torch.Tensor, y: torch.Tensor,
                 device: torch.device) -> float:
    start = time.perf_counter()
    loss = nn.functional.cross_entropy(model(x), y)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--out", type=Path, default=Path("results/bench_qat_overhead.csv"))
    args = parser.parse_args()
    device = torch.device(args.device)
    torch.manual_seed(0)
    x = (torch.rand(args.batch, 3, 32, 32, device=device) * 255).round()
    y = torch.randint(0, 10, (args.batch,), device=device)
    models = make_models(device, x)
    opts = {name: torch.optim.SGD(m.parameters(), lr=1e-3, momentum=0.9) for name, m in models.items()}
    times: dict[str, list[float]] = {name: [] for name in models}
    for name, model in models.items():  # warm-up
        step_seconds(model, opts[name], x, y, device)
    for _ in range(args.repeats):  # interleaved so machine drift affects every model alike
        for name, model in models.items():
            times[name].append(step_seconds(model, opts[name], x, y, device))
    base = statistics.median(times["float"])
    rows = []
    for name in models:
        median = statistics.median(times[name])
        rows.append({"model": "resnet20", "scheme": name, "batch": args.batch, "device": device.type,
                     "step_ms": round(median * 1e3, 1), "ratio_to_float": round(median / base, 2),
                     "threads": torch.get_num_threads(), "torch": torch.__version__,
                     "machine": f"{platform.machine()} {os.cpu_count()} cpus"})
        print(f"{name:6s} {median * 1e3:8.1f} ms/step  {median / base:5.2f}x float")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(".tmp")
    with open(tmp, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    os.replace(tmp, args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
