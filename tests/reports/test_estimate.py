"""The analytical estimate: cycles from folding, multiplier classes, memories, totals."""

from __future__ import annotations

import numpy as np
import pytest

from codesign.fixed import FixedType, accumulator_type
from codesign.ir import Graph
from codesign.reports.estimate import Folding, estimate


def _graph(khot: int | None, weight_type: str = "ap_fixed<8,1>", in_type: str = "ap_fixed<8,3>") -> Graph:
    rng = np.random.default_rng(0)
    return Graph.from_dict({
        "schema_version": 1, "name": "g",
        "inputs": [{"name": "input", "shape": [4, 8, 8], "type": "binary"}],
        "outputs": ["fc"],
        "nodes": [
            {"op": "binary_conv2d", "name": "bconv", "inputs": ["input"], "shape": [8, 8, 8], "out_type": "ap_fixed<8,8>",
             "attrs": {"kernel": [3, 3], "stride": [1, 1], "padding": [1, 1], "pad_value": -1},
             "params": {"weight": {"type": "binary", "shape": [8, 4, 3, 3]}}},
            {"op": "global_avgpool", "name": "gap", "inputs": ["bconv"], "shape": [8], "out_type": in_type,
             "attrs": {}, "acc_type": "ap_fixed<14,8>"},
            {"op": "dense", "name": "fc", "inputs": ["gap"], "shape": [3], "out_type": "ap_fixed<12,6>",
             "attrs": {"khot": khot}, "params": {"weight": {"type": weight_type, "shape": [3, 8]}},
             "acc_type": accumulator_type(FixedType.parse(in_type), FixedType.parse(weight_type), 8).cpp},
        ],
    }, {"bconv.weight": rng.choice([-1, 1], size=(8, 4, 3, 3)).astype(np.int8),
        "fc.weight": np.array([[1, 2, -4, 8, 0, 16, -32, 64]] * 3, dtype=np.int64)})


def test_binary_cycles_follow_pe_simd() -> None:
    g = _graph(2)
    full = estimate(g, 100.0, default=Folding(pe=1, simd=1))
    folded = estimate(g, 100.0, default=Folding(pe=8, simd=36))
    bconv = {e.name: e for e in full.nodes}["bconv"]
    assert bconv.cycles == 64 * 8 * 36  # pixels * ceil(Cout/PE) * ceil(fan_in/SIMD)
    assert {e.name: e for e in folded.nodes}["bconv"].cycles == 64
    assert folded.interval_cycles < full.interval_cycles and folded.fps > full.fps
    assert folded.total("lut") > full.total("lut")  # parallel lanes cost LUTs


def test_khot_has_no_general_multipliers_and_plain_does() -> None:
    assert estimate(_graph(2), 100.0).total("general_multipliers") == 0
    plain = estimate(_graph(None), 100.0)
    assert plain.total("general_multipliers") == 24  # 3 x 8 products, fully parallel
    assert plain.total("dsp") == 0  # 8-bit x 8-bit products go to LUTs
    wide = estimate(_graph(None, "ap_fixed<16,2>", "ap_fixed<16,6>"), 100.0)
    assert wide.total("dsp") == 24


def test_reuse_factor_shares_multipliers() -> None:
    plain = estimate(_graph(None), 100.0, {"fc": Folding(reuse_factor=4)})
    fc = {e.name: e for e in plain.nodes}["fc"]
    assert fc.general_multipliers == 6 and fc.cycles == 4


@pytest.mark.parametrize("clock", [100.0, 250.0])
def test_figures_and_utilisation(clock: float) -> None:
    e = estimate(_graph(2), clock)
    figs = e.figures()
    assert figs["est_fps"] == pytest.approx(clock * 1e6 / e.interval_cycles, rel=1e-3)
    util = e.utilisation({"lut": 70560, "ff": 141120, "dsp": 360, "bram_18k": 432})
    assert 0 < util["lut"] < 1 and util["dsp"] == 0
