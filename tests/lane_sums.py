"""The documented summation order of the fused CPU kernels' gradient sums (codesign/quant/csrc/fused_cast.cpp)."""

from __future__ import annotations

import torch


def lane_sum(values: list[float]) -> float:
    """One row: element j into float32 lane j % 8 (the tail after the last full block of 8 from
    lane 0 again), then the lanes added in double, in order."""
    lanes = [torch.zeros((), dtype=torch.float32) for _ in range(8)]
    full = len(values) - len(values) % 8
    for j, v in enumerate(values):
        lane = j % 8 if j < full else j - full
        lanes[lane] = lanes[lane] + torch.tensor(v, dtype=torch.float32)
    return sum(float(lane) for lane in lanes)
