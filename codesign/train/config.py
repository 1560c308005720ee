"""The trainer's typed, frozen configuration."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Optimizer = Literal["adam", "adamw", "sgd"]
Schedule = Literal["constant", "cosine", "step"]
Device = Literal["auto", "cpu", "cuda"]
Augment = Literal["none", "shift"]
BetaRamp = Literal["constant", "linear", "exponential"]


@dataclass(frozen=True)
class TrainConfig:
    """How to train.

    Attributes:
        epochs: passes over the training split.
        batch_size: samples per step.
        optimizer: ``adam``, ``adamw`` or ``sgd`` (momentum 0.9, Nesterov).
        lr: peak learning rate.
        weight_decay: L2 / decoupled weight decay.
        schedule: learning-rate schedule over the whole run (per step): constant,
            cosine (to 0), or step (x0.1 at 50% and 75%).
        warmup_epochs: linear warm-up before the schedule (may be fractional).
        seed: seeds torch, the loader's shuffling and the model initialisation.
        device: ``auto`` picks CUDA when available.
        beta: HGQ EBOPs penalty weight (0 disables the penalty).
        beta_ramp: how beta reaches its value: constant, or ramped from beta/100
            (linear or exponential) over the first half of the epochs.
        target_ebops: when set, a controller steers beta each epoch toward this EBOPs.
        eval_every: evaluate the test split in fixed point every this many epochs
            (always after the last).
        threads: torch CPU threads (0 keeps torch's default).
        calibrate_batches: before training, set every learnable binary point from the
            ranges these many training batches produce (in training mode, so BatchNorm
            scales are measured as training sees them); 0 keeps the configured initial
            binary points.
        calibration_margin: headroom factor on the observed max |x| (>= 1 leaves room
            for growth during training).
        freeze_binary_points: after that calibration, keep the binary points fixed (the
            "QAT with frozen calibrated binary points" baseline).
        augment: ``shift`` translates each training image by -1, 0 or +1 pixel in each
            direction (zero fill); ``none`` trains on the images as they are.
        label_smoothing: cross-entropy target smoothing in [0, 1) (a regulariser for
            small datasets; 0 is plain cross-entropy).
    """

    epochs: int = 10
    batch_size: int = 64
    optimizer: Optimizer = "adam"
    lr: float = 3e-3
    weight_decay: float = 0.0
    schedule: Schedule = "cosine"
    warmup_epochs: float = 0.0
    seed: int = 0
    device: Device = "auto"
    beta: float = 0.0
    beta_ramp: BetaRamp = "constant"
    target_ebops: float | None = None
    eval_every: int = 1
    threads: int = 0
    calibrate_batches: int = 4
    calibration_margin: float = 1.0
    freeze_binary_points: bool = False
    augment: Augment = "none"
    label_smoothing: float = 0.0

    def __post_init__(self) -> None:
        if self.epochs < 1:
            raise ValueError(f"epochs must be >= 1, got {self.epochs}")
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {self.batch_size}")
        if not self.lr > 0:
            raise ValueError(f"lr must be > 0, got {self.lr}")
        if self.optimizer not in ("adam", "adamw", "sgd"):
            raise ValueError(f"unknown optimizer {self.optimizer!r}; allowed: adam, adamw, sgd")
        if self.schedule not in ("constant", "cosine", "step"):
            raise ValueError(f"unknown schedule {self.schedule!r}; allowed: constant, cosine, step")
        if self.device not in ("auto", "cpu", "cuda"):
            raise ValueError(f"unknown device {self.device!r}; allowed: auto, cpu, cuda")
        if self.beta < 0:
            raise ValueError(f"beta must be >= 0, got {self.beta}")
        if self.beta_ramp not in ("constant", "linear", "exponential"):
            raise ValueError(f"unknown beta_ramp {self.beta_ramp!r}")
        if self.calibrate_batches < 0:
            raise ValueError(f"calibrate_batches must be >= 0, got {self.calibrate_batches}")
        if not self.calibration_margin > 0:
            raise ValueError(f"calibration_margin must be > 0, got {self.calibration_margin}")
        if self.augment not in ("none", "shift"):
            raise ValueError(f"unknown augment {self.augment!r}; allowed: none, shift")
        if not 0.0 <= self.label_smoothing < 1.0:
            raise ValueError(f"label_smoothing must be in [0, 1), got {self.label_smoothing}")
        if self.eval_every < 1:
            raise ValueError(f"eval_every must be >= 1, got {self.eval_every}")
