"""Paths of the hand-written vendor report fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "reports"


@pytest.fixture
def fixtures() -> Path:
    """``tests/fixtures/reports`` with its csynth/, cosim/ and vivado/ folders."""
    return FIXTURES
