"""Calibration: integer bits from observed ranges (the PTQ baseline and QAT init).

Protocol, implemented by every trainable quantizer of ``codesign.quant``:

- ``start_calibration()``: from now on ``forward(x)`` records the running max of
  ``|x|`` per calibration unit (tensor, channel or element, as the quantizer's
  integer bits are shaped) and returns ``x`` unchanged. Pass-through is chosen
  so that a calibration pass measures the ranges of the float model: no
  quantizer's error feeds the ranges seen downstream.
- ``finish_calibration(margin=1.0)``: sets the integer bits to the smallest
  value that covers ``max|x| * margin`` and leaves calibration mode.
- ``freeze_int_bits()``: integer bits stop changing in training (QAT with
  frozen calibrated binary points).

``calibrate(model, batches)`` drives the protocol over a whole model.
"""

from __future__ import annotations

import abc
from collections.abc import Iterable
from typing import Any

import torch
from torch import nn


class Calibratable(abc.ABC):
    """Mixin for quantizers whose integer bits can come from observed ranges."""

    _calibrating: bool = False
    _observed_amax: torch.Tensor | None = None

    @property
    def calibrating(self) -> bool:
        """True between ``start_calibration`` and ``finish_calibration``."""
        return self._calibrating

    def start_calibration(self) -> None:
        """Enter calibration mode: forward records max |x| and returns x unchanged."""
        self._calibrating = True
        self._observed_amax = None

    def _observe(self, x: torch.Tensor) -> torch.Tensor:
        """Record max |x| per calibration unit; returns x (calibration forward)."""
        amax = self._unit_amax(x.detach()).to(torch.float64)
        self._observed_amax = amax if self._observed_amax is None else torch.maximum(self._observed_amax, amax)
        return x

    def finish_calibration(self, margin: float = 1.0) -> None:
        """Set the integer bits to cover the observed ``max|x| * margin``; leave calibration.

        Raises:
            ValueError: not calibrating, no batch observed, or margin <= 0.
        """
        if not self._calibrating:
            raise ValueError(f"{type(self).__name__}.finish_calibration called without start_calibration")
        if not margin > 0:
            raise ValueError(f"calibration margin must be > 0, got {margin}")
        if self._observed_amax is None:
            raise ValueError(f"{type(self).__name__}: no batch was observed during calibration")
        amax, self._observed_amax = self._observed_amax, None
        self._calibrating = False
        self._apply_calibration(amax, float(margin))

    @abc.abstractmethod
    def _unit_amax(self, x: torch.Tensor) -> torch.Tensor:
        """max |x| per calibration unit (shape of the integer-bit parameter)."""

    @abc.abstractmethod
    def _apply_calibration(self, amax: torch.Tensor, margin: float) -> None:
        """Set the integer bits from ``amax`` (float64, unit-shaped) and ``margin``."""

    @abc.abstractmethod
    def freeze_int_bits(self) -> None:
        """Stop the integer bits from changing in training."""


def calibrate(
    model: nn.Module, batches: Iterable[Any], margin: float = 1.0, *, train_mode: bool = False
) -> list[nn.Module]:
    """Set every calibratable quantizer's integer bits from the ranges the batches produce.

    Runs ``model(batch)`` (``model(*batch)`` for tuples/lists) on every batch in eval
    mode (``train_mode=True``: training mode, so BatchNorm normalises with batch
    statistics as QAT will, and updates its running statistics) under ``torch.no_grad``, with all calibratable quantizers passing their input
    through unchanged while they record it; then finishes each with ``margin`` and
    restores the modules' train/eval flags. Non-calibratable quantizers (fixed types)
    keep quantizing.

    Returns:
        The calibrated quantizer modules.

    Raises:
        ValueError: the model holds no calibratable quantizer, or no batch was given.
    """
    quantizers = [m for m in model.modules() if isinstance(m, Calibratable)]
    if not quantizers:
        raise ValueError("calibrate: the model holds no calibratable quantizer")
    modes = {m: m.training for m in model.modules()}
    model.train(train_mode)
    seen = 0
    try:
        for q in quantizers:
            q.start_calibration()
        with torch.no_grad():
            for batch in batches:
                model(*batch) if isinstance(batch, (tuple, list)) else model(batch)
                seen += 1
        if seen == 0:
            raise ValueError("calibrate: no batches given")
        for q in quantizers:
            q.finish_calibration(margin)
    finally:
        for q in quantizers:
            q._calibrating = False
            q._observed_amax = None
        for m, training in modes.items():
            m.train(training)
    return quantizers


def freeze_int_bits(model: nn.Module) -> int:
    """Freeze the integer bits of every calibratable quantizer in ``model``; returns how many."""
    count = 0
    for m in model.modules():
        if isinstance(m, Calibratable):
            m.freeze_int_bits()
            count += 1
    return count


__all__ = ["Calibratable", "calibrate", "freeze_int_bits"]
