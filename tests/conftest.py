"""Shared fixtures: the ap_fixed oracle built with g++ against Xilinx's headers."""

from __future__ import annotations

import pytest

from apfixed_oracle import Oracle


@pytest.fixture(scope="session")
def ap_oracle(request: pytest.FixtureRequest) -> Oracle:
    """The oracle executable, compiled once and cached across test sessions."""
    cache_dir = request.config.cache.mkdir("ap_fixed_oracle")
    return Oracle.build(cache_dir)


@pytest.fixture(scope="session")
def ap_cast_oracle(request: pytest.FixtureRequest) -> "CastOracle":
    """The fixed-to-fixed cast oracle, compiled once and cached across test sessions."""
    from apfixed_oracle import CastOracle

    cache_dir = request.config.cache.mkdir("ap_fixed_cast_oracle")
    return CastOracle.build(cache_dir)
