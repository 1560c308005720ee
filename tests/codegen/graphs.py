"""Small IR graphs for the code generator tests, built with Graph.from_dict and inline data."""

from __future__ import annotations

from typing import Any

import numpy as np

from codesign.fixed.types import FixedType
from codesign.ir import BINARY, Graph
from codesign.quant.khot_codebook import codebook_raw


def rand_raw(rng: np.random.Generator, t: Any, shape: tuple[int, ...]) -> np.ndarray:
    """Random raw integers of a type (binary: -1/+1), edges included."""
    if t == BINARY or t == "binary":
        return rng.choice(np.array([-1, 1]), size=shape).astype(np.int64)
    ft = FixedType.parse(t) if isinstance(t, str) else t
    return rng.integers(ft.raw_min, ft.raw_max + 1, size=shape, dtype=np.int64)


def khot_raw(rng: np.random.Generator, t: str, k: int, shape: tuple[int, ...]) -> np.ndarray:
    """Random members of the K-hot codebook of a type."""
    ft = FixedType.parse(t)
    book = codebook_raw(ft.width, k, signed=ft.signed)
    return rng.choice(book, size=shape).astype(np.int64)


def param(t: str, data: np.ndarray) -> dict[str, Any]:
    return {"type": t, "data": np.asarray(data, dtype=np.int64)}


def ops_graph(seed: int) -> tuple[Graph, dict[str, dict[str, int]]]:
    """Every op alone: one graph input and one output per op instance (random data, narrow
    saturating and wrapping output types). Returns the graph and its parallelism."""
    rng = np.random.default_rng(seed)
    inputs: list[dict[str, Any]] = []
    nodes: list[dict[str, Any]] = []

    def inp(name: str, shape: list[int], t: str) -> str:
        inputs.append({"name": name, "shape": shape, "type": t})
        return name

    x8 = "ap_fixed<8,3>"
    # dense, general weights, folded, saturating output
    nodes.append({"op": "dense", "name": "dense_fold", "inputs": [inp("in_dense_fold", [12], x8)], "shape": [5],
                  "out_type": "ap_fixed<6,2,AP_RND,AP_SAT>", "acc_type": "ap_fixed<40,26>",
                  "params": {"weight": param("ap_fixed<6,1>", rand_raw(rng, "ap_fixed<6,1>", (5, 12))),
                             "bias": param("ap_fixed<8,2>", rand_raw(rng, "ap_fixed<8,2>", (5,)))}})
    # dense, latency, wrapping output, no bias
    nodes.append({"op": "dense", "name": "dense_lat", "inputs": [inp("in_dense_lat", [7], "ap_ufixed<6,2>")],
                  "shape": [4], "out_type": "ap_fixed<5,1,AP_TRN,AP_WRAP>", "acc_type": "ap_fixed<40,26>",
                  "params": {"weight": param("ap_fixed<5,2>", rand_raw(rng, "ap_fixed<5,2>", (4, 7)))}})
    # dense, K-hot
    nodes.append({"op": "dense", "name": "dense_khot", "inputs": [inp("in_dense_khot", [9], x8)], "shape": [6],
                  "out_type": "ap_fixed<8,4,AP_RND_CONV,AP_SAT_SYM>", "acc_type": "ap_fixed<40,26>",
                  "attrs": {"khot": 2},
                  "params": {"weight": param("ap_fixed<8,2>", khot_raw(rng, "ap_fixed<8,2>", 2, (6, 9))),
                             "bias": param("ap_fixed<8,2>", rand_raw(rng, "ap_fixed<8,2>", (6,)))}})
    # conv2d 3x3 pad 1, reuse 2
    nodes.append({"op": "conv2d", "name": "conv_a", "inputs": [inp("in_conv_a", [3, 5, 6], x8)], "shape": [4, 5, 6],
                  "out_type": "ap_fixed<7,3,AP_RND,AP_SAT>", "acc_type": "ap_fixed<40,26>",
                  "attrs": {"kernel": [3, 3], "stride": [1, 1], "padding": [1, 1]},
                  "params": {"weight": param("ap_fixed<6,1>", rand_raw(rng, "ap_fixed<6,1>", (4, 3, 3, 3))),
                             "bias": param("ap_fixed<8,2>", rand_raw(rng, "ap_fixed<8,2>", (4,)))}})
    # conv2d 2x3 stride 2, no pad, wrap, K-hot
    nodes.append({"op": "conv2d", "name": "conv_b", "inputs": [inp("in_conv_b", [2, 7, 7], x8)], "shape": [3, 3, 3],
                  "out_type": "ap_fixed<6,2,AP_TRN,AP_WRAP>", "acc_type": "ap_fixed<40,26>",
                  "attrs": {"kernel": [2, 3], "stride": [2, 2], "padding": [0, 0], "khot": 2},
                  "params": {"weight": param("ap_fixed<6,1>", khot_raw(rng, "ap_fixed<6,1>", 2, (3, 2, 2, 3)))}})
    # depthwise conv
    nodes.append({"op": "conv2d", "name": "conv_dw", "inputs": [inp("in_conv_dw", [3, 4, 4], x8)], "shape": [3, 4, 4],
                  "out_type": "ap_fixed<8,3,AP_RND,AP_SAT>", "acc_type": "ap_fixed<40,26>",
                  "attrs": {"kernel": [3, 3], "stride": [1, 1], "padding": [1, 1], "groups": 3},
                  "params": {"weight": param("ap_fixed<6,1>", rand_raw(rng, "ap_fixed<6,1>", (3, 1, 3, 3)))}})
    # binary conv, pad +1, folded
    nodes.append({"op": "binary_conv2d", "name": "bconv", "inputs": [inp("in_bconv", [6, 5, 5], "binary")],
                  "shape": [4, 5, 5], "out_type": "ap_fixed<8,8>",
                  "attrs": {"kernel": [3, 3], "stride": [1, 1], "padding": [1, 1], "pad_value": 1},
                  "params": {"weight": param("binary", rand_raw(rng, BINARY, (4, 6, 3, 3)))}})
    # 80-bit SIMD words: wider than an integer literal
    nodes.append({"op": "binary_dense", "name": "bdense", "inputs": [inp("in_bdense", [80], "binary")],
                  "shape": [6], "out_type": "ap_fixed<8,9>",
                  "params": {"weight": param("binary", rand_raw(rng, BINARY, (6, 80)))}})
    # batchnorm general / K-hot; prelu general / K-hot
    nodes.append({"op": "batchnorm", "name": "bn", "inputs": [inp("in_bn", [3, 2, 3], x8)], "shape": [3, 2, 3],
                  "out_type": "ap_fixed<6,2,AP_RND,AP_SAT>", "acc_type": "ap_fixed<30,14>",
                  "params": {"scale": param("ap_fixed<8,2>", rand_raw(rng, "ap_fixed<8,2>", (3,))),
                             "bias": param("ap_fixed<8,2>", rand_raw(rng, "ap_fixed<8,2>", (3,)))}})
    nodes.append({"op": "batchnorm", "name": "bn_khot", "inputs": [inp("in_bn_khot", [5], x8)], "shape": [5],
                  "out_type": "ap_fixed<6,2,AP_RND_ZERO,AP_WRAP>", "acc_type": "ap_fixed<30,14>",
                  "attrs": {"khot": 2},
                  "params": {"scale": param("ap_fixed<8,2>", khot_raw(rng, "ap_fixed<8,2>", 2, (5,))),
                             "bias": param("ap_fixed<8,2>", rand_raw(rng, "ap_fixed<8,2>", (5,)))}})
    nodes.append({"op": "prelu", "name": "prelu", "inputs": [inp("in_prelu", [4, 3, 3], x8)], "shape": [4, 3, 3],
                  "out_type": "ap_fixed<7,3,AP_RND,AP_SAT>", "acc_type": "ap_fixed<30,14>",
                  "params": {"slope": param("ap_fixed<6,1>", rand_raw(rng, "ap_fixed<6,1>", (4,)))}})
    nodes.append({"op": "prelu", "name": "prelu_khot", "inputs": [inp("in_prelu_khot", [6], x8)], "shape": [6],
                  "out_type": "ap_fixed<6,2,AP_RND_INF,AP_SAT>", "acc_type": "ap_fixed<30,14>", "attrs": {"khot": 1},
                  "params": {"slope": param("ap_fixed<6,1>", khot_raw(rng, "ap_fixed<6,1>", 1, (6,)))}})
    a, b = inp("in_add_a", [3, 2, 2], x8), inp("in_add_b", [3, 2, 2], "ap_ufixed<6,1>")
    nodes.append({"op": "add", "name": "add", "inputs": [a, b], "shape": [3, 2, 2],
                  "out_type": "ap_fixed<6,2,AP_RND,AP_SAT>", "acc_type": "ap_fixed<12,5>"})
    nodes.append({"op": "relu", "name": "relu", "inputs": [inp("in_relu", [3, 2, 2], x8)], "shape": [3, 2, 2],
                  "out_type": "ap_ufixed<5,2,AP_RND,AP_SAT>"})
    nodes.append({"op": "hardtanh", "name": "htanh", "inputs": [inp("in_htanh", [8], x8)], "shape": [8],
                  "out_type": "ap_fixed<6,1,AP_RND,AP_SAT>", "attrs": {"min_raw": -40, "max_raw": 1000}})
    nodes.append({"op": "sign", "name": "sign", "inputs": [inp("in_sign", [5, 2, 2], x8)], "shape": [5, 2, 2],
                  "out_type": "binary"})
    nodes.append({"op": "avgpool2d", "name": "pool2", "inputs": [inp("in_pool2", [2, 4, 6], x8)], "shape": [2, 2, 3],
                  "out_type": "ap_fixed<6,2,AP_RND,AP_SAT>", "attrs": {"kernel": [2, 2]}})
    nodes.append({"op": "avgpool2d", "name": "pool3", "inputs": [inp("in_pool3", [2, 6, 3], x8)], "shape": [2, 2, 1],
                  "out_type": "ap_fixed<8,3,AP_RND,AP_SAT>", "attrs": {"kernel": [3, 3]}, "acc_type": "ap_fixed<30,8>",
                  "params": {"reciprocal": {"type": "ap_ufixed<10,0>", "data": np.array(114, dtype=np.int64)}}})
    nodes.append({"op": "avgpool2d", "name": "pool3k", "inputs": [inp("in_pool3k", [2, 6, 3], x8)], "shape": [2, 2, 1],
                  "out_type": "ap_fixed<8,3,AP_RND,AP_SAT>", "attrs": {"kernel": [3, 3], "khot": 3},
                  "acc_type": "ap_fixed<30,8>",  # 114 = 128 - 16 + 2: a 3-hot 1/9
                  "params": {"reciprocal": {"type": "ap_ufixed<10,0>", "data": np.array(114, dtype=np.int64)}}})
    nodes.append({"op": "global_avgpool", "name": "gpool", "inputs": [inp("in_gpool", [3, 4, 4], x8)], "shape": [3],
                  "out_type": "ap_fixed<8,3,AP_RND,AP_SAT>"})
    nodes.append({"op": "global_avgpool", "name": "gpool7k", "inputs": [inp("in_gpool7k", [3, 7, 7], x8)], "shape": [3],
                  "out_type": "ap_fixed<8,3,AP_RND,AP_SAT>", "attrs": {"khot": 2},
                  "acc_type": "ap_fixed<32,10>",  # 1/49 ~ 21/1024 = (16 + 4 + 1)/1024: 20 = 16 + 4 (2-hot)
                  "params": {"reciprocal": {"type": "ap_ufixed<10,0>", "data": np.array(20, dtype=np.int64)}}})
    nodes.append({"op": "thermometer", "name": "thermo", "inputs": [inp("in_thermo", [2, 3, 3], "ap_uint<8>")],
                  "shape": [6, 3, 3], "out_type": "binary", "attrs": {"thresholds": [10, 128, 250]}})
    nodes.append({"op": "flatten", "name": "flat", "inputs": [inp("in_flat", [3, 2, 2], x8)], "shape": [12],
                  "out_type": x8})
    nodes.append({"op": "flatten", "name": "flat_bin", "inputs": [inp("in_flat_bin", [2, 2, 3], "binary")],
                  "shape": [12], "out_type": "binary"})
    graph = Graph.from_dict({"schema_version": 1, "name": "ops", "inputs": inputs,
                             "outputs": [n["name"] for n in nodes], "nodes": nodes})
    folding = {"dense_fold": {"reuse_factor": 3}, "conv_a": {"reuse_factor": 2}, "bconv": {"pe": 2, "simd": 9},
               "bdense": {"pe": 3, "simd": 80}}
    return graph, folding


def residual_graph(seed: int) -> Graph:
    """input -> conv -> relu -> (conv -> add with the relu output): one fork and join."""
    rng = np.random.default_rng(seed)
    x8 = "ap_fixed<8,3,AP_RND,AP_SAT>"

    def conv(name: str, src: str) -> dict[str, Any]:
        return {"op": "conv2d", "name": name, "inputs": [src], "shape": [2, 6, 6], "out_type": x8,
                "acc_type": "ap_fixed<30,16>", "attrs": {"kernel": [3, 3], "stride": [1, 1], "padding": [1, 1]},
                "params": {"weight": param("ap_fixed<4,1>", rand_raw(rng, "ap_fixed<4,1>", (2, 2, 3, 3)))}}

    nodes = [conv("conv1", "x"),
             {"op": "relu", "name": "act", "inputs": ["conv1"], "shape": [2, 6, 6], "out_type": x8},
             conv("conv2", "act"),
             {"op": "add", "name": "join", "inputs": ["conv2", "act"], "shape": [2, 6, 6], "out_type": x8,
              "acc_type": "ap_fixed<10,5>"}]
    return Graph.from_dict({"schema_version": 1, "name": "residual",
                            "inputs": [{"name": "x", "shape": [2, 6, 6], "type": x8}],
                            "outputs": ["join"], "nodes": nodes})


def random_inputs(graph: Graph, batch: int, seed: int) -> dict[str, np.ndarray]:
    """Random raw inputs for every graph input."""
    rng = np.random.default_rng(seed)
    return {i.name: rand_raw(rng, i.type, (batch, *i.shape)) for i in graph.inputs}
