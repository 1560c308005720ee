"""Flow files: defaults, resolution, and one clear error (file, field, allowed values) per problem."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codesign.flow.board import load_board
from codesign.flow.spec import STAGE_ORDER, FlowError, FlowSpec, load_flow, validate_flow

GOOD = """\
name: digits_mlp
board: pynq_z2
dataset: {name: digits, limit: 500}
model: {name: mlp, options: {hidden: [64, 32], dropout: 0.1}}
quantization: {scheme: hgq, width: 8, beta: {start: 1.0e-6, end: 1.0e-4}}
training: {epochs: 3, batch_size: 32, device: cpu}
hls:
  interface: mm
  parallelism:
    default: {reuse_factor: 2}
    layers: {dense_0: {reuse_factor: 8, pe: 4}}
stages: [train, export, codegen, csim, estimate]
required: [csim]
tools: {vitis_hls_timeout_s: 600}
"""


def _write(tmp_path: Path, text: str | bytes, name: str = "flow.yaml") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


def _error(tmp_path: Path, text: str | bytes) -> str:
    path = _write(tmp_path, text)
    with pytest.raises(FlowError) as info:
        load_flow(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ")
    return message


def _replace(old: str, new: str) -> str:
    assert old in GOOD
    return GOOD.replace(old, new)


def test_good_flow_is_resolved(tmp_path: Path) -> None:
    spec = load_flow(_write(tmp_path, GOOD))
    assert spec.name == "digits_mlp" and spec.board == "pynq_z2"
    assert spec.hls.clock_mhz == load_board("pynq_z2").default_clock_mhz
    assert spec.hls.top == "digits_mlp_top"
    assert spec.hls.parallelism.for_layer("dense_0").model_dump() == {
        "reuse_factor": 8, "pe": 4, "simd": 1}
    assert spec.hls.parallelism.for_layer("other").reuse_factor == 2
    assert spec.training.optimizer == "adam" and spec.tools.vivado_timeout_s == 8 * 3600
    assert spec.section("hls.clock_mhz", "dataset") == {
        "hls.clock_mhz": 100.0,
        "dataset": {"name": "digits", "path": None, "limit": 500, "options": {}},
    }
    with pytest.raises(KeyError, match="no field 'hls.nope'"):
        spec.section("hls.nope")
    with pytest.raises(Exception):
        spec.name = "other"  # type: ignore[misc]


def test_defaults_list_every_stage(tmp_path: Path) -> None:
    text = "name: f\nboard: zcu104\ndataset: {name: digits}\nmodel: {name: m}\nquantization: {scheme: ptq}\n"
    spec = load_flow(_write(tmp_path, text))
    assert tuple(spec.stages) == STAGE_ORDER and spec.required == []


def test_relative_paths_are_relative_to_the_flow_file(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    board = Path(__file__).resolve().parents[2] / "boards" / "ultra96v2.yaml"
    (tmp_path / "sub" / "myboard.yaml").write_text(board.read_text())
    text = _replace("board: pynq_z2", "board: myboard.yaml").replace(
        "{name: digits, limit: 500}", "{name: digits, path: data/digits}")
    spec = load_flow(_write(tmp_path / "sub", text))
    assert spec.board == str(tmp_path / "sub" / "myboard.yaml")
    assert spec.dataset.path == str(tmp_path / "sub" / "data" / "digits")
    assert spec.hls.clock_mhz == 100.0


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("epochs: 3", "epochs: -3",
         "training.epochs: Input should be greater than or equal to 0 (got -3)"),
        ("device: cpu", "device: gpu", "training.device: String should match pattern"),
        ("scheme: hgq", "scheme: int4",
         "quantization.scheme: Input should be 'qfx', 'khot', 'hgq', 'ptq' or 'fixed' (got 'int4')"),
        ("interface: mm", "interface: axi", "hls.interface: Input should be 'stream' or 'mm'"),
        ("pe: 4", "pe: 0", "hls.parallelism.layers.dense_0.pe: Input should be greater than or equal to 1"),
        ("name: digits,", "name: imagenet,",
         "dataset.name: unknown dataset 'imagenet' (allowed: cifar10, digits, fashion_mnist, jets, mnist, svhn)"),
        ("board: pynq_z2", "board: kv260", "board: "),
        ("board: pynq_z2", "board: kv260", "no board named 'kv260' (boards: pynq_z2, ultra96v2, zcu104)"),
        ("stages: [train, export", "stages: [export, train",
         "stages: stages must be distinct and in the order train -> export -> codegen"),
        ("required: [csim]", "required: [synth]",
         "required stage(s) synth not in stages (allowed: train, export, codegen, csim, estimate)"),
        ("required: [csim]", "required: [fly]", "required.0: Input should be 'train', 'export'"),
        ("quantization: {scheme: hgq,", "quantization: {scheme: qfx,",
         "quantization: beta applies to scheme hgq only, not qfx"),
        ("name: digits_mlp", "name: 3layers", "name: '3layers' is not an identifier (allowed: 1-64"),
        ("name: digits_mlp", "name: class", "name: 'class' is reserved (a C++ or Python keyword"),
        ("interface: mm", "interface: mm\n  top: \"my top\"", "hls.top: 'my top' is not an identifier"),
        ("dense_0:", "\"dense 0\":", "hls.parallelism.layers.dense 0: 'dense 0' is not an identifier"),
        ("model: {name: mlp,", "model: {name: mlp, extra: 1,",
         "model.extra: unknown key (allowed keys here: name, options)"),
        ("tools: {vitis_hls_timeout_s: 600}", "tools: {vitis_timeout: 600}",
         "tools.vitis_timeout: unknown key (allowed keys here: vitis_hls_timeout_s, vivado_timeout_s"),
        ("default: {reuse_factor: 2}", "default: {reuse: 2}",
         "hls.parallelism.default.reuse: unknown key (allowed keys here: reuse_factor, pe, simd)"),
        ("training: {epochs", "trianing: {epochs", "trianing: unknown key (allowed keys here: name, board"),
        ("quantization: {scheme: hgq, width: 8, beta: {start: 1.0e-6, end: 1.0e-4}}\n", "",
         "quantization: required field missing"),
        ("training: {epochs: 3, batch_size: 32, device: cpu}", "training: [3]",
         "training: expected a mapping (allowed keys: epochs, batch_size, optimizer"),
        ("dropout: 0.1", "dropout: {a: 1}", "model.options.dropout"),
    ],
)
def test_each_error_names_file_field_and_allowed_values(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    assert expected in _error(tmp_path, _replace(old, new))


def test_all_problems_in_one_message(tmp_path: Path) -> None:
    text = _replace("epochs: 3", "epochs: x").replace("interface: mm", "interface: 7")
    message = _error(tmp_path, text)
    assert ": 2 problems:\n  training.epochs: " in message and "\n  hls.interface: " in message


def test_control_characters_are_rejected(tmp_path: Path) -> None:
    text = _replace("{name: digits, limit: 500}", '{name: digits, path: "a\\nb"}')
    assert "dataset.path: control characters and newlines are not allowed" in _error(tmp_path, text)
    text = _replace("dropout: 0.1", 'note: "x\\ty"')
    assert "model.options.note" in _error(tmp_path, text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name: a\n  board: [x\n", "invalid YAML at line 2, column 8: mapping values are not allowed"),
        ("name: a\nname: b\n", "invalid YAML at line 2, column 1: duplicate key 'name'"),
        ("", "<top level>: expected a mapping of flow fields, got an empty file"),
        ("- a\n- b\n", "<top level>: expected a mapping of flow fields, got a list"),
        (b"name: \xff\xfe\n", "not UTF-8 text (byte 6)"),
        ("a: !!python/object:os.system x\n", "invalid YAML at line 1"),
        ("? [a, b]\n: 1\n", "invalid YAML at line 1, column 3: a mapping key must be a plain value"),
    ],
)
def test_unreadable_files(tmp_path: Path, text: str | bytes, expected: str) -> None:
    assert expected in _error(tmp_path, text)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FlowError, match="flow file not found"):
        load_flow(tmp_path / "nope.yaml")
    with pytest.raises(FlowError, match="is a directory"):
        load_flow(tmp_path)


_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=12),
    st.sampled_from(["train", "digits", "qfx", "ultra96v2", "stream", "AP_RND", "../x", "a\nb"]),
)
_keys = st.one_of(
    st.sampled_from(["name", "board", "dataset", "model", "quantization", "training", "hls",
                     "stages", "required", "tools", "scheme", "epochs", "parallelism", "layers",
                     "options", "path", "top", "clock_mhz", "default", "pe"]),
    st.text(max_size=8),
)
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_keys, inner, max_size=5)),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=_values)
def test_fuzz_any_structure_is_a_clean_error(tmp_path: Path, data: object) -> None:
    path = tmp_path / "fuzz.yaml"
    try:
        path.write_text(yaml.safe_dump(data, allow_unicode=True))
    except (yaml.YAMLError, UnicodeEncodeError):
        return
    try:
        load_flow(path)
    except FlowError as exc:
        assert str(exc).startswith(str(path))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
def test_fuzz_any_bytes_are_a_clean_error(tmp_path: Path, raw: bytes) -> None:
    path = tmp_path / "fuzz.yaml"
    path.write_bytes(raw)
    with pytest.raises(FlowError):
        load_flow(path)


_GOOD_DATA = yaml.safe_load(GOOD)
_PATHS = [
    ("name",), ("board",), ("dataset",), ("dataset", "name"), ("dataset", "limit"), ("model",),
    ("model", "options"), ("quantization", "scheme"), ("quantization", "width"),
    ("quantization", "beta"), ("training", "epochs"), ("training", "lr"), ("hls", "interface"),
    ("hls", "parallelism"), ("hls", "parallelism", "layers"), ("stages",), ("required",),
    ("tools",), ("hls",),
]


@settings(max_examples=200, deadline=None)
@given(where=st.sampled_from(_PATHS), value=_values)
def test_fuzz_one_field_of_a_good_flow(where: tuple[str, ...], value: object) -> None:
    data = yaml.safe_load(GOOD)
    node = data
    for key in where[:-1]:
        node = node[key]
    node[where[-1]] = value
    try:
        spec = validate_flow(data, Path("fuzz.yaml"))
    except FlowError as exc:
        assert str(exc).startswith("fuzz.yaml: ")
    else:
        assert isinstance(spec, FlowSpec)


def test_the_readme_example_is_valid(tmp_path: Path) -> None:
    import re

    readme = (Path(__file__).resolve().parents[2] / "flows" / "README.md").read_text()
    example = re.search(r"```yaml\n(.*?)```", readme, re.S)
    assert example is not None
    spec = load_flow(_write(tmp_path, example.group(1)))
    assert spec.name == "digits_mlp" and spec.hls.clock_mhz == 150.0
