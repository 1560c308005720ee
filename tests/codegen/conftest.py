"""Fixtures of the code generator tests: a shared cache directory for generated projects."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(scope="session")
def codegen_cache(request: pytest.FixtureRequest) -> Path:
    """Projects live here across sessions, so unchanged sources are not recompiled."""
    return Path(request.config.cache.mkdir("codegen_projects"))
