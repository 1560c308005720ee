"""Small IR graphs built from plain dicts, shared by the tests of codesign.ir."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from codesign.ir import Graph


def one_node(op: str, in_type: str, in_shape: list[int], shape: list[int], out_type: str, *,
             attrs: dict[str, Any] | None = None, params: dict[str, tuple[Any, str]] | None = None,
             acc_type: str | None = None, second_input: tuple[str, list[int]] | None = None) -> Graph:
    """A graph ``x (, y) -> op -> out``; params are key -> (raw values, type)."""
    inputs = [{"name": "x", "shape": in_shape, "type": in_type}]
    if second_input is not None:
        inputs.append({"name": "y", "shape": second_input[1], "type": second_input[0]})
    node: dict[str, Any] = {"op": op, "name": "out", "inputs": [i["name"] for i in inputs],
                            "shape": shape, "out_type": out_type}
    if attrs is not None:
        node["attrs"] = attrs
    if params:
        node["params"] = {k: {"type": t, "data": np.asarray(v, dtype=np.int64)}
                          for k, (v, t) in params.items()}
    if acc_type is not None:
        node["acc_type"] = acc_type
    return Graph.from_dict({"schema_version": 1, "name": "g", "inputs": inputs,
                            "outputs": ["out"], "nodes": [node]})


def demo_model(seed: int = 0) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """A graph using every op once: (model.json dict, tensors by "<node>.<param>")."""
    rng = np.random.default_rng(seed)

    def ints(lo: int, hi: int, shape: tuple[int, ...]) -> np.ndarray:
        return rng.integers(lo, hi, size=shape, endpoint=True).astype(np.int64)

    def pm1(shape: tuple[int, ...]) -> np.ndarray:
        return rng.choice(np.array([-1, 1], dtype=np.int8), size=shape)

    nodes = [
        {"op": "thermometer", "name": "therm", "inputs": ["image"], "shape": [4, 6, 6],
         "out_type": "binary", "attrs": {"thresholds": [64, 192]}},
        {"op": "binary_conv2d", "name": "bconv", "inputs": ["therm"], "shape": [3, 6, 6],
         "out_type": "ap_int<8>",
         "attrs": {"kernel": [3, 3], "stride": [1, 1], "padding": [1, 1], "pad_value": -1},
         "params": {"weight": {"type": "binary", "shape": [3, 4, 3, 3]}}},
        {"op": "batchnorm", "name": "bn", "inputs": ["bconv"], "shape": [3, 6, 6],
         "out_type": "ap_fixed<8,3,AP_RND,AP_SAT>", "attrs": {"khot": 2},
         "params": {"scale": {"type": "ap_fixed<6,1>", "shape": [3]},
                    "bias": {"type": "ap_fixed<8,4>", "shape": [3]}},
         "acc_type": "ap_fixed<20,10>"},
        {"op": "prelu", "name": "act", "inputs": ["bn"], "shape": [3, 6, 6],
         "out_type": "ap_fixed<8,3,AP_RND_CONV,AP_SAT>",
         "params": {"slope": {"type": "ap_fixed<4,0>", "shape": [3]}}, "acc_type": "ap_fixed<16,5>"},
        {"op": "conv2d", "name": "conv", "inputs": ["act"], "shape": [3, 6, 6],
         "out_type": "ap_fixed<8,3,AP_RND,AP_SAT_SYM>",
         "attrs": {"kernel": [3, 3], "stride": [1, 1], "padding": [1, 1], "groups": 3, "khot": None},
         "params": {"weight": {"type": "ap_fixed<4,1>", "shape": [3, 1, 3, 3]},
                    "bias": {"type": "ap_fixed<8,3>", "shape": [3]}},
         "acc_type": "ap_fixed<24,10>"},
        {"op": "add", "name": "res", "inputs": ["act", "conv"], "shape": [3, 6, 6],
         "out_type": "ap_fixed<8,4,AP_RND_ZERO,AP_SAT_ZERO>", "acc_type": "ap_fixed<10,5>"},
        {"op": "relu", "name": "relu", "inputs": ["res"], "shape": [3, 6, 6],
         "out_type": "ap_ufixed<6,3,AP_RND_INF,AP_SAT>"},
        {"op": "avgpool2d", "name": "pool", "inputs": ["relu"], "shape": [3, 3, 3],
         "out_type": "ap_ufixed<6,3,AP_RND_MIN_INF>", "attrs": {"kernel": [2, 2], "divisor": 4}},
        {"op": "hardtanh", "name": "clip", "inputs": ["pool"], "shape": [3, 3, 3],
         "out_type": "ap_fixed<6,2,AP_TRN_ZERO,AP_SAT>", "attrs": {"min_raw": 0, "max_raw": 20}},
        {"op": "flatten", "name": "flat", "inputs": ["clip"], "shape": [27],
         "out_type": "ap_fixed<6,2,AP_TRN_ZERO,AP_SAT>"},
        {"op": "dense", "name": "fc", "inputs": ["flat"], "shape": [5], "out_type": "ap_fixed<10,5,AP_RND,AP_SAT>",
         "params": {"weight": {"type": "ap_fixed<6,2>", "shape": [5, 27]},
                    "bias": {"type": "ap_fixed<8,4>", "shape": [5]}},
         "acc_type": "ap_fixed<24,10>"},
        {"op": "global_avgpool", "name": "gap", "inputs": ["pool"], "shape": [3],
         "out_type": "ap_fixed<8,3,AP_RND>", "params": {"reciprocal": {"type": "ap_ufixed<8,-3>", "shape": []}},
         "attrs": {"kernel": [3, 3], "divisor": 9, "khot": 1}},
        {"op": "sign", "name": "sgn", "inputs": ["bn"], "shape": [3, 6, 6], "out_type": "binary"},
        {"op": "flatten", "name": "sflat", "inputs": ["sgn"], "shape": [108], "out_type": "binary"},
        {"op": "binary_dense", "name": "bfc", "inputs": ["sflat"], "shape": [2], "out_type": "ap_fixed<8,8>",
         "params": {"weight": {"type": "binary", "shape": [2, 108]}}},
    ]
    arrays = {
        "bconv.weight": pm1((3, 4, 3, 3)),
        "bn.scale": ints(-32, 31, (3,)), "bn.bias": ints(-128, 127, (3,)),
        "act.slope": ints(-8, 7, (3,)),
        "conv.weight": ints(-8, 7, (3, 1, 3, 3)), "conv.bias": ints(-128, 127, (3,)),
        "fc.weight": ints(-32, 31, (5, 27)), "fc.bias": ints(-128, 127, (5,)),
        "bfc.weight": pm1((2, 108)),
        "gap.reciprocal": np.array(227, dtype=np.int64),  # 227 * 2**-11 ~ 1/9
    }
    model = {"schema_version": 1, "name": "demo",
             "inputs": [{"name": "image", "shape": [2, 6, 6], "type": "ap_uint<8>"}],
             "outputs": ["fc", "bfc", "gap"], "nodes": copy.deepcopy(nodes)}
    return model, arrays
