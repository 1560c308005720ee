"""Every check of ir.load / Graph.from_dict: a clean IRError naming the file, node and field."""

from __future__ import annotations

import copy
from typing import Any, Callable

import numpy as np
import pytest

from codesign import ir
from irgraphs import demo_model


def node(model: dict[str, Any], name: str) -> dict[str, Any]:
    return next(n for n in model["nodes"] if n["name"] == name)


def setter(name: str, key: str, value: Any) -> Callable[[dict, dict], None]:
    def apply(model: dict, arrays: dict) -> None:
        node(model, name)[key] = value
    return apply


def attr(name: str, key: str, value: Any) -> Callable[[dict, dict], None]:
    def apply(model: dict, arrays: dict) -> None:
        node(model, name).setdefault("attrs", {})[key] = value
    return apply


def tensor(key: str, value: Any) -> Callable[[dict, dict], None]:
    def apply(model: dict, arrays: dict) -> None:
        if value is None:
            del arrays[key]
        else:
            arrays[key] = value
    return apply


def top(key: str, value: Any) -> Callable[[dict, dict], None]:
    def apply(model: dict, arrays: dict) -> None:
        model[key] = value
    return apply


CASES = [
    # (mutation, node named in the message or None, field, words of the reason)
    (top("schema_version", 2), None, "schema_version", "unsupported schema version"),
    (top("schema_version", True), None, "schema_version", "unsupported"),
    (top("name", "class"), None, "name", "C++ keyword"),
    (top("name", 7), None, "name", "expected a string"),
    (top("outputs", ["nope"]), None, "outputs[0]", "names no graph input"),
    (top("outputs", []), None, "outputs", "at least one output"),
    (top("extra", 1), None, None, "unknown key 'extra'"),
    (setter("bn", "name", 'a;system("x")'), 'a;system("x")', "name", "not a valid identifier"),
    (setter("bn", "name", "int"), "int", "name", "C++ keyword"),
    (setter("bn", "name", "__x"), "__x", "name", "reserved"),
    (setter("bn", "name", "_Foo"), "_Foo", "name", "reserved"),
    (setter("bn", "name", "x.y"), "x.y", "name", "not a valid identifier"),
    (setter("bn", "name", "bconv"), "bconv", "name", "duplicate"),
    (setter("bn", "name", "image"), "image", "name", "duplicate"),
    (setter("bn", "op", "softmax"), "bn", "op", "unknown op 'softmax'"),
    (setter("bn", "inputs", ["act"]), "bn", "inputs[0]", "topologically ordered"),
    (setter("bn", "inputs", ["ghost"]), "bn", "inputs[0]", "names no graph input"),
    (setter("bn", "inputs", ["bconv", "bconv"]), "bn", "inputs", "takes 1 input"),
    (setter("bn", "inputs", "bconv"), "bn", "inputs", "expected a list"),
    (setter("bn", "shape", [3, 6, 5]), "bn", "shape", "op computes [3, 6, 6]"),
    (setter("bn", "shape", [3, 0, 6]), "bn", "shape", "positive ints"),
    (setter("bn", "shape", "3,6,6"), "bn", "shape", "positive ints"),
    (setter("bn", "out_type", "ap_fixed<8>"), "bn", "out_type", "2 to 5 arguments"),
    (setter("bn", "out_type", "binary"), "bn", "out_type", "not binary"),
    (setter("bn", "out_type", "ap_fixed<60,10>"), "bn", "out_type", "at most 53"),
    (setter("bn", "out_type", 8), "bn", "out_type", "expected a type string"),
    (setter("bn", "acc_type", "ap_fixed<12,6>"), "bn", "acc_type", "overflow"),
    (setter("bn", "acc_type", "ap_fixed<20,16>"), "bn", "acc_type", "round inside the op"),
    (setter("bn", "acc_type", None), "bn", "acc_type", "requires an accumulator"),
    (setter("bn", "acc_type", "binary"), "bn", "acc_type", "fixed-point type is required"),
    (setter("relu", "acc_type", "ap_fixed<16,8>"), "relu", "acc_type", "no accumulator"),
    (setter("bn", "params", {"scale": {"type": "ap_fixed<6,1>", "shape": [3]}}), "bn", "params.bias", "requires parameter"),
    (setter("bn", "params", {"scale": {"type": "ap_fixed<6,1>"}, "bias": {"type": "ap_fixed<8,4>", "shape": [3]}}),
     "bn", "params.scale.shape", "missing"),
    (setter("bn", "params", []), "bn", "params", "expected an object"),
    (setter("flat", "out_type", "ap_fixed<6,3>"), "flat", "out_type", "does not cast"),
    (setter("therm", "out_type", "ap_int<2>"), "therm", "out_type", "must be 'binary'"),
    (setter("sgn", "inputs", ["therm"]), "sgn", "inputs[0]", "fixed-point input"),
    (setter("bfc", "out_type", "ap_int<7>"), "bfc", "out_type", "cannot hold a count in [-108, 108]"),
    (attr("bconv", "kernel", [3]), "bconv", "attrs.kernel", "2 ints >= 1"),
    (attr("bconv", "kernel", [3, 3.0]), "bconv", "attrs.kernel", "2 ints >= 1"),
    (attr("bconv", "kernel", [9, 9]), "bconv", "params.weight.shape", "expected shape [3, 4, 9, 9]"),
    (attr("bconv", "pad_value", 0), "bconv", "attrs.pad_value", "-1 or 1"),
    (attr("bconv", "stride", True), "bconv", "attrs.stride", "2 ints"),
    (attr("bconv", "dilation", [1, 1]), "bconv", "attrs.dilation", "no attribute 'dilation'"),
    (attr("therm", "thresholds", [192, 64]), "therm", "attrs.thresholds", "strictly ascending"),
    (attr("therm", "thresholds", []), "therm", "attrs.thresholds", "non-empty"),
    (attr("conv", "groups", 2), "conv", "attrs.groups", "must divide"),
    (attr("conv", "khot", 0), "conv", "attrs.khot", "null or an int >= 1"),
    (attr("clip", "min_raw", 30), "clip", "attrs.min_raw", "exceeds max_raw"),
    (attr("clip", "max_raw", 2**70), "clip", "attrs.max_raw", "below 2**62"),
    (attr("pool", "kernel", [4, 4]), "pool", "attrs.kernel", "must divide"),
    (attr("pool", "divisor", 3), "pool", "attrs.divisor", "must equal"),
    (attr("gap", "kernel", [2, 2]), "gap", "attrs.kernel", "window of a global pool"),
    (setter("bconv", "attrs", {"kernel": [3, 3]}), "bconv", "attrs.stride", "requires attribute"),
    (tensor("bn.scale", None), "bn", "params.scale", "tensor 'bn.scale' is missing"),
    (tensor("bn.scale", np.zeros(4, dtype=np.int64)), "bn", "params.scale", "has shape [4], declared [3]"),
    (tensor("bn.scale", np.zeros(3)), "bn", "params.scale", "dtype float64"),
    (tensor("bn.scale", np.array([0, 0, 40])), "bn", "params.scale", "outside [-32, 31]"),
    (tensor("bconv.weight", np.zeros((3, 4, 3, 3), dtype=np.int8)), "bconv", "params.weight", "other than -1/+1"),
    (tensor("gap.reciprocal", None), "gap", "params.reciprocal", "tensor 'gap.reciprocal' is missing"),
    (lambda m, a: (node(m, "gap").pop("params"), a.pop("gap.reciprocal")), "gap", "params",
     "'reciprocal' is required"),
    (lambda m, a: node(m, "pool").update(params={"reciprocal": {"type": "ap_ufixed<8,0>", "shape": []}})
     or a.update({"pool.reciprocal": np.array(64)}), "pool", "params.reciprocal", "power of two"),
    (tensor("stray.thing", np.zeros(1, dtype=np.int64)), None, None, "belongs to no node"),
]


@pytest.mark.parametrize(("mutate", "node_name", "field", "reason"), CASES,
                         ids=[f"{i}-{c[3][:24]}" for i, c in enumerate(CASES)])
def test_bad_graph_gives_a_precise_irerror(mutate, node_name, field, reason: str) -> None:
    model, arrays = demo_model()
    mutate(model, arrays)
    with pytest.raises(ir.IRError) as info:
        ir.Graph.from_dict(model, arrays, source="m.json")
    err = info.value
    assert reason in str(err), str(err)
    assert err.node == node_name, str(err)
    assert err.field == field, str(err)
    assert err.file == "m.json"


def test_acc_type_must_hold_partial_sums() -> None:
    model, arrays = demo_model()
    ok = ir.Graph.from_dict(copy.deepcopy(model), arrays)
    assert ok.node("fc").acc_type is not None
    # fc: 27 products of ap_fixed<6,2> x ap_fixed<6,2> (F=8, p in [-992, 1024]) plus bias
    # (F=4): partial sums in [-28832, 29680] need 16 bits at F=8
    node(model, "fc")["acc_type"] = "ap_fixed<15,7>"
    with pytest.raises(ir.IRError, match="e.g. ap_fixed<"):
        ir.Graph.from_dict(model, arrays)


def test_valid_demo_passes_and_params_are_read_only_int64() -> None:
    model, arrays = demo_model()
    g = ir.Graph.from_dict(model, arrays)
    for value in g.params.values():
        assert value.dtype == np.int64 and not value.flags.writeable
    assert g.to_dict() == ir.Graph.from_dict(g.to_dict(), dict(g.params)).to_dict()


def test_node_from_dict_accepts_fixedtype_objects_and_inline_data() -> None:
    from codesign.fixed import FixedType

    g = ir.Graph.from_dict({
        "schema_version": 1, "name": "m",
        "inputs": [{"name": "x", "shape": [2], "type": FixedType(8, 3)}],
        "outputs": ["d"],
        "nodes": [{"op": "dense", "name": "d", "inputs": ["x"], "shape": [1], "out_type": "ap_fixed<8,3>",
                   "acc_type": FixedType(20, 8), "attrs": {"khot": 1},
                   "params": {"weight": {"type": "ap_fixed<4,1>", "data": np.array([[1, -1]])}}}]})
    assert g.param("d", "weight").tolist() == [[1, -1]]
    assert g.node("d").params["weight"].shape == (1, 2)


def test_kernel_larger_than_padded_input() -> None:
    from irgraphs import one_node

    with pytest.raises(ir.IRError, match="larger than the padded input"):
        one_node("conv2d", "ap_int<4>", [1, 2, 2], [1, 1, 1], "ap_int<8>", acc_type="ap_int<16>",
                 attrs={"kernel": [3, 3], "stride": [1, 1], "padding": [0, 0]},
                 params={"weight": (np.ones((1, 1, 3, 3)), "ap_int<2>")})


def test_attr_kinds_are_all_checked() -> None:
    from codesign.ir.ops import ATTR_KINDS
    from codesign.ir.validate import _ATTR_CHECKS

    assert set(_ATTR_CHECKS) == set(ATTR_KINDS)
    for spec in ir.OPS.values():
        assert set(spec.attrs.values()) | set(spec.optional_attrs.values()) <= set(ATTR_KINDS)


def test_node_from_dict_alone_names_the_field() -> None:
    with pytest.raises(ir.IRError, match="node 'n': field 'shape': expected a list"):
        ir.Node.from_dict({"op": "relu", "name": "n", "inputs": ["x"], "shape": 3, "out_type": "ap_int<4>"})
