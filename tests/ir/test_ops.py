"""Every op of docs/ir.md on small hand-computed examples (raw integers)."""

from __future__ import annotations

import numpy as np
import pytest

from codesign import ir
from irgraphs import one_node


def run1(graph: ir.Graph, x, y=None) -> list:
    inputs = {"x": np.asarray([x])}
    if y is not None:
        inputs["y"] = np.asarray([y])
    result = ir.run(graph, inputs)
    assert result.outputs["out"].dtype == np.int64
    assert result.taps["out"] is result.outputs["out"]
    return result.outputs["out"][0].tolist()


def test_thermometer_planes_are_channel_major() -> None:
    g = one_node("thermometer", "ap_uint<8>", [2, 1, 2], [4, 1, 2], "binary",
                 attrs={"thresholds": [10, 100]})
    # channel 0: [5, 10]; channel 1: [99, 255]; plane c*T + t is +1 where x[c] >= thr[t]
    assert run1(g, [[[5, 10]], [[99, 255]]]) == [[[-1, 1]], [[-1, -1]], [[1, 1]], [[-1, 1]]]


BCONV_X = [[[1, -1], [-1, 1]]]


def test_binary_conv2d_pads_with_pad_value() -> None:
    attrs = {"kernel": [2, 2], "stride": [1, 1], "padding": [1, 1], "pad_value": -1}
    g = one_node("binary_conv2d", "binary", [1, 2, 2], [1, 3, 3], "ap_int<8>", attrs=attrs,
                 params={"weight": ([[[[1, 1], [1, 1]]]], "binary")})
    assert run1(g, BCONV_X) == [[[-2, -2, -4], [-2, 0, -2], [-4, -2, -2]]]


def test_binary_conv2d_stride_and_scaled_out_type() -> None:
    attrs = {"kernel": [2, 2], "stride": [2, 2], "padding": [1, 1], "pad_value": -1}
    # out_type with F = -1: raw = count, i.e. the value is 2 * count (no cast)
    g = one_node("binary_conv2d", "binary", [1, 2, 2], [1, 2, 2], "ap_fixed<5,6>", attrs=attrs,
                 params={"weight": ([[[[1, 1], [1, 1]]]], "binary")})
    assert run1(g, BCONV_X) == [[[-2, -4], [-4, -2]]]


def test_binary_dense_counts_agreements() -> None:
    g = one_node("binary_dense", "binary", [3], [2], "ap_int<4>",
                 params={"weight": ([[1, 1, 1], [-1, 1, -1]], "binary")})
    assert run1(g, [1, -1, 1]) == [1, -3]


@pytest.mark.parametrize(("out_type", "expected"), [
    ("ap_fixed<8,3,AP_RND,AP_SAT>", [17, -29]),   # 134/8 = 16.75 -> 17; -232/8 = -29
    ("ap_fixed<3,0,AP_TRN,AP_SAT>", [3, -4]),     # 4.19 -> sat 3; -7.25 -> floor -8 -> sat -4
    ("ap_fixed<3,0>", [-4, 0]),                   # floor 4 wraps to -4; floor -8 wraps to 0
])
def test_dense_with_bias_and_output_cast(out_type: str, expected: list[int]) -> None:
    # x F=5, w F=3 -> products F=8; bias F=4 aligned by 4; acc = [6+128, 24-256] = [134, -232]
    g = one_node("dense", "ap_fixed<8,3>", [4], [2], out_type, acc_type="ap_fixed<16,8>",
                 params={"weight": ([[1, -2, 3, 0], [4, 5, -6, 7]], "ap_fixed<4,1>"),
                         "bias": ([8, -16], "ap_fixed<6,2>")}, attrs={"khot": None})
    assert run1(g, [1, 2, 3, 4]) == expected


def test_conv2d_valid() -> None:
    g = one_node("conv2d", "ap_int<6>", [1, 3, 3], [1, 2, 2], "ap_int<16>", acc_type="ap_int<16>",
                 attrs={"kernel": [2, 2], "stride": [1, 1], "padding": [0, 0]},
                 params={"weight": ([[[[1, 2], [3, 4]]]], "ap_int<4>")})
    assert run1(g, [[[1, 2, 3], [4, 5, 6], [7, 8, 9]]]) == [[[37, 47], [67, 77]]]


def test_conv2d_zero_padding_and_stride() -> None:
    g = one_node("conv2d", "ap_int<6>", [1, 3, 3], [1, 2, 2], "ap_int<16>", acc_type="ap_int<16>",
                 attrs={"kernel": [2, 2], "stride": [2, 2], "padding": [1, 1], "groups": 1},
                 params={"weight": ([[[[1, 1], [1, 1]]]], "ap_int<4>")})
    assert run1(g, [[[1, 2, 3], [4, 5, 6], [7, 8, 9]]]) == [[[1, 5], [11, 28]]]


def test_conv2d_groups_bias_and_cast() -> None:
    # depthwise 1x1: channel 0 times 2, channel 1 times -3; bias F=1 aligned to F=2
    g = one_node("conv2d", "ap_fixed<6,5>", [2, 1, 2], [2, 1, 2], "ap_fixed<6,6,AP_RND_CONV,AP_SAT>",
                 acc_type="ap_fixed<16,12>",
                 attrs={"kernel": [1, 1], "stride": [1, 1], "padding": [0, 0], "groups": 2},
                 params={"weight": ([[[[2]]], [[[-3]]]], "ap_fixed<4,3>"), "bias": ([1, 0], "ap_fixed<4,3>")})
    # acc F=2: ch0 [3*2+2, -5*2+2] = [8, -8] -> /4 = [2, -2]; ch1 [7*-3, 1*-3] = [-21, -3]
    # -> -5.25 -> -5, -0.75 -> -1 (round to nearest)
    assert run1(g, [[[3, -5]], [[7, 1]]]) == [[[2, -2]], [[-5, -1]]]


def test_batchnorm_scale_bias_ties_to_even() -> None:
    g = one_node("batchnorm", "ap_fixed<8,4>", [2, 2], [2, 2], "ap_fixed<8,4,AP_RND_CONV>",
                 acc_type="ap_fixed<16,8>", attrs={"khot": 2},
                 params={"scale": ([24, -8], "ap_fixed<6,2>"), "bias": ([4, 16], "ap_fixed<8,4>")})
    # acc F=8: [[384+64, -192+64], [-24+256, -40+256]] = [[448, -128], [232, 216]]; /16
    assert run1(g, [[16, -8], [3, 5]]) == [[28, -8], [14, 14]]


def test_add_aligns_then_casts() -> None:
    g = one_node("add", "ap_fixed<8,4>", [3], [3], "ap_fixed<6,3,AP_RND_INF,AP_SAT>",
                 acc_type="ap_fixed<12,7>", second_input=("ap_fixed<6,1>", [3]))
    # acc F=5: [32+8, -6+31, -10-4] = [40, 25, -14]; /4: 10, 6.25 -> 6, -3.5 -> -4 (away from 0)
    assert run1(g, [16, -3, -5], [8, 31, -4]) == [10, 6, -4]


def test_relu_then_saturating_cast() -> None:
    g = one_node("relu", "ap_fixed<8,4>", [4], [4], "ap_ufixed<4,2,AP_RND,AP_SAT>")
    assert run1(g, [-20, 0, 7, 100]) == [0, 0, 2, 15]


def test_hardtanh_clamps_in_input_units() -> None:
    g = one_node("hardtanh", "ap_fixed<8,4>", [4], [4], "ap_fixed<4,2>",
                 attrs={"min_raw": -16, "max_raw": 16})
    assert run1(g, [-40, -16, 5, 30]) == [-4, -4, 1, 4]
    wide = one_node("hardtanh", "ap_fixed<8,4>", [2], [2], "ap_fixed<8,4>",
                    attrs={"min_raw": -1000, "max_raw": 1000})
    assert run1(wide, [-128, 127]) == [-128, 127]


def test_sign_zero_is_plus_one() -> None:
    g = one_node("sign", "ap_fixed<8,4>", [3], [3], "binary")
    assert run1(g, [-3, 0, 2]) == [-1, 1, 1]


def test_prelu_per_channel_slope() -> None:
    g = one_node("prelu", "ap_fixed<8,4>", [2, 2], [2, 2], "ap_fixed<8,4,AP_RND>",
                 acc_type="ap_fixed<14,6>", params={"slope": ([4, -8], "ap_fixed<4,0>")})
    # acc F=8: [[16<<4, -8*4], [-3*-8, 5<<4]] = [[256, -32], [24, 80]]; /16 -> 16, -2, 1.5->2, 5
    assert run1(g, [[16, -8], [-3, 5]]) == [[16, -2], [2, 5]]


def test_avgpool2d_power_of_two_moves_the_binary_point() -> None:
    g = one_node("avgpool2d", "ap_fixed<8,4>", [1, 2, 4], [1, 1, 2], "ap_fixed<8,4,AP_RND>",
                 attrs={"kernel": [2, 2], "divisor": 4})
    # sums 14, 23 at F=6; /4 -> 3.5 -> 4, 5.75 -> 6
    assert run1(g, [[[1, 2, 3, 4], [5, 6, 7, 9]]]) == [[[4, 6]]]


def test_avgpool2d_reciprocal_and_acc_type() -> None:
    for acc in (None, "ap_fixed<24,10>"):
        g = one_node("avgpool2d", "ap_fixed<8,4>", [1, 1, 3], [1, 1, 1], "ap_fixed<8,4>",
                     attrs={"kernel": [1, 3], "khot": 3}, acc_type=acc,
                     params={"reciprocal": (85, "ap_ufixed<8,0>")})
        # sum 16 (F=4) * 85 (F=8) = 1360 at F=12 -> floor(1360/256) = 5
        assert run1(g, [[[4, 5, 7]]]) == [[[5]]]


def test_global_avgpool_round_half_to_zero() -> None:
    g = one_node("global_avgpool", "ap_fixed<8,4>", [2, 2, 2], [2], "ap_fixed<8,4,AP_RND_ZERO>")
    # sums 10, -11 at F=6 -> /4: 2.5 -> 2, -2.75 -> -3
    assert run1(g, [[[1, 2], [3, 4]], [[-1, -2], [-3, -5]]]) == [2, -3]


def test_flatten_is_channel_major() -> None:
    g = one_node("flatten", "ap_fixed<8,4>", [2, 1, 2], [4], "ap_fixed<8,4>")
    assert run1(g, [[[1, 2]], [[3, 4]]]) == [1, 2, 3, 4]


def test_every_op_has_a_kernel_and_a_test() -> None:
    from codesign.ir.interp import _KERNELS

    assert set(_KERNELS) == set(ir.OPS)
    source = open(__file__).read()
    for op in ir.OPS:
        assert f'"{op}"' in source, op


def test_run_accepts_a_single_array_and_batches() -> None:
    g = one_node("sign", "ap_fixed<8,4>", [3], [3], "binary")
    out = ir.run(g, np.array([[-1, 0, 1], [5, -5, 0]], dtype=np.int16)).outputs["out"]
    assert out.tolist() == [[-1, 1, 1], [1, -1, 1]]
    assert ir.run(g, np.zeros((0, 3), dtype=np.int64)).outputs["out"].shape == (0, 3)


@pytest.mark.parametrize(("inputs", "message"), [
    (np.array([[1.0, 2.0, 3.0]]), "dtype"),
    (np.array([1, 2, 3]), "shape"),
    (np.array([[1, 2, 300]]), "outside"),
    ({"y": np.zeros((1, 3), dtype=np.int64)}, "unknown input"),
    ({}, "missing"),
])
def test_run_rejects_bad_inputs(inputs, message: str) -> None:
    g = one_node("sign", "ap_fixed<8,4>", [3], [3], "binary")
    with pytest.raises(ir.IRError, match=message):
        ir.run(g, inputs)
