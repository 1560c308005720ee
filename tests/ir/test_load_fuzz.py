"""ir.load fuzzed with hypothesis: whatever the files hold, a clean IRError or a valid graph."""

from __future__ import annotations

import copy
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codesign import ir
from irgraphs import demo_model

MODEL, ARRAYS = demo_model()
MODEL_TEXT = json.dumps(MODEL)
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

NASTY_STRINGS = ['a;system("x")', "a b", "", "x.y", "class", "__init", "é", "ap_fixed<8,3>", "binary",
                 "ap_fixed<8,3,AP_BOGUS>", "ap_fixed<0,0>", "ap_fixed<99999,3>", "ap_fixed<8,3,AP_RND,AP_SAT,2>",
                 "conv2d", "../../etc/passwd", "a\x00b", "1e308"]
json_scalars = st.one_of(st.none(), st.booleans(), st.integers(min_value=-2**70, max_value=2**70),
                         st.floats(allow_nan=False), st.sampled_from(NASTY_STRINGS), st.text(max_size=8))
json_values = st.recursive(json_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=6), inner, max_size=4)), max_leaves=10)


def paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path (tuple of keys / indices) into a JSON value."""
    out = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            out += paths(v, prefix + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += paths(v, prefix + (i,))
    return out


MODEL_PATHS = paths(MODEL)[1:]


def write(directory: Path, model_text: str | bytes, arrays: dict[str, Any] | bytes) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    data = model_text.encode() if isinstance(model_text, str) else model_text
    (directory / "model.json").write_bytes(data)
    if isinstance(arrays, bytes):
        (directory / "tensors.npz").write_bytes(arrays)
    else:
        np.savez(directory / "tensors.npz", **arrays)
    return directory


def load_cleanly(directory: Path) -> None:
    """ir.load either succeeds (and the graph runs) or raises IRError; nothing else."""
    try:
        graph = ir.load(directory)
    except ir.IRError as exc:
        assert str(exc)
        return
    ir.run(graph, {gi.name: np.zeros((1, *gi.shape), dtype=np.int64) if not isinstance(gi.type, ir.BinaryType)
                   else np.ones((1, *gi.shape), dtype=np.int64) for gi in graph.inputs})


@FUZZ
@given(cut=st.integers(min_value=0, max_value=len(MODEL_TEXT) - 1))
def test_truncated_json(tmp_path_factory, cut: int) -> None:
    load_cleanly(write(tmp_path_factory.mktemp("t"), MODEL_TEXT[:cut], ARRAYS))


@FUZZ
@given(data=st.binary(max_size=200))
def test_garbage_json_bytes(tmp_path_factory, data: bytes) -> None:
    load_cleanly(write(tmp_path_factory.mktemp("g"), data, ARRAYS))


@FUZZ
@given(path=st.sampled_from(MODEL_PATHS), value=json_values)
def test_replaced_field(tmp_path_factory, path: tuple, value: Any) -> None:
    model = copy.deepcopy(MODEL)
    target = model
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    load_cleanly(write(tmp_path_factory.mktemp("r"), json.dumps(model), ARRAYS))


@FUZZ
@given(path=st.sampled_from(MODEL_PATHS))
def test_deleted_field(tmp_path_factory, path: tuple) -> None:
    model = copy.deepcopy(MODEL)
    target = model
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    load_cleanly(write(tmp_path_factory.mktemp("d"), json.dumps(model), ARRAYS))


array_values = st.one_of(
    st.lists(st.integers(min_value=-2**63, max_value=2**63 - 1), max_size=6).map(lambda v: np.array(v, dtype=np.int64)),
    st.lists(st.floats(allow_nan=True), max_size=6).map(np.array),
    st.lists(st.booleans(), max_size=6).map(np.array),
    st.lists(st.integers(min_value=0, max_value=2**64 - 1), max_size=6).map(lambda v: np.array(v, dtype=np.uint64)),
    st.sampled_from([np.zeros((3, 4, 3, 3), dtype=np.int8), np.zeros((), dtype=np.int64),
                     np.array(["a", "b"]), np.zeros((2, 0), dtype=np.int64)]),
)


@FUZZ
@given(key=st.sampled_from(sorted(ARRAYS) + ["bogus.key", "fc.weight"]), value=st.one_of(st.none(), array_values))
def test_tensor_mutations(tmp_path_factory, key: str, value: np.ndarray | None) -> None:
    arrays = dict(ARRAYS)
    if value is None:
        arrays.pop(key, None)
    else:
        arrays[key] = value
    load_cleanly(write(tmp_path_factory.mktemp("a"), MODEL_TEXT, arrays))


def npz_bytes() -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **ARRAYS)
    return buffer.getvalue()


NPZ = npz_bytes()


@FUZZ
@given(cut=st.integers(min_value=0, max_value=len(NPZ)), flips=st.lists(
    st.tuples(st.integers(min_value=0, max_value=len(NPZ) - 1), st.integers(min_value=1, max_value=255)), max_size=4))
def test_corrupted_npz(tmp_path_factory, cut: int, flips: list[tuple[int, int]]) -> None:
    data = bytearray(NPZ)
    for pos, xor in flips:
        data[pos] ^= xor
    load_cleanly(write(tmp_path_factory.mktemp("z"), MODEL_TEXT, bytes(data[:cut])))
