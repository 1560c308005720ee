"""``codesign.nn.export``: graph discovery by tracing, naming, types, input conventions,
refusals with clear errors, and the bit-for-bit comparison with the IR interpreter."""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from codesign import ir
from codesign.fixed import FixedType, to_raw
from codesign.models import build_model
from codesign.nn import BinaryConv2d, QAct, QAdd, QLinear, ThermometerEncoder, compare_with_ir, export, raw_inputs
from codesign.nn.export import ExportError
from codesign.quant import LayerQuant, QuantSpec

QUANT = LayerQuant.defaults("qfx", width=8)


def _features(n: int = 32, f: int = 4, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, f)).astype(np.float32)


def _settle(model: nn.Module, x: np.ndarray) -> nn.Module:
    """One training forward (BatchNorm statistics, lazy shapes); returns the model."""
    model.train()
    with torch.no_grad():
        model(torch.as_tensor(x))
    return model


class Residual(nn.Module):
    """fc1 -> (body: fc, relu) + identity shortcut -> add -> out."""

    def __init__(self, quant: LayerQuant = QUANT) -> None:
        super().__init__()
        self.fc1 = QLinear(4, 4, quant=quant, quantize_input=True)
        self.body = nn.Sequential(QLinear(4, 4, quant=quant), QAct("relu", quant))
        self.shortcut = nn.Identity()
        self.add = QAdd(quant)
        self.out = QLinear(4, 3, quant=quant)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.fc1(x)
        return self.out(self.add(self.body(h), self.shortcut(h)))


class PlainOpBetween(Residual):
    """Doubles a layer's output with a plain torch op before the next layer."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.fc1(x) * 2
        return self.out(self.add(self.body(h), h))


class PlainOpAfter(Residual):
    """A plain torch op after the last layer."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(x) + 1


class InPlaceOp(Residual):
    """Changes a layer output in place before it is consumed."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.fc1(x)
        h.mul_(0.5)
        return self.out(self.add(self.body(h), h))


# ------------------------------------------------------------------ the happy path
def test_residual_model_exports_and_matches_bit_for_bit(tmp_path: Path) -> None:
    torch.manual_seed(0)
    x = _features()
    model = _settle(Residual(), x)
    result = export(model, x[:2], tmp_path / "ir")
    graph = ir.load(tmp_path / "ir")
    assert graph == result.graph
    assert [n.name for n in graph.nodes] == ["fc1", "body_0", "body_1", "add", "out"]
    assert graph.node("add").inputs == ("body_1", "fc1")
    assert graph.outputs == ("out",)
    assert graph.inputs[0].name == "input" and graph.inputs[0].shape == (4,)
    in_t = model.fc1.quant["input"].fixed_type
    assert result.input_type == in_t and graph.inputs[0].type == in_t
    assert graph.node("body_0").out_type == model.body[0].quant["output"].fixed_type
    cmp = compare_with_ir(model, graph, x, batch_size=10)  # several batches
    assert cmp.ok and cmp.samples == len(x) and cmp.taps == 6, str(cmp)


def test_export_restores_each_modules_mode(tmp_path: Path) -> None:
    x = _features()
    model = _settle(Residual(), x)
    model.body.eval()
    export(model, x[:2], tmp_path / "ir")
    assert model.training and model.fc1.training and model.out.training
    assert not model.body.training and not model.body[0].training


def test_features_raw_inputs_are_the_input_quantizer_raw_values() -> None:
    x = _features()
    model = _settle(Residual(), x)
    t = model.fc1.quant["input"].fixed_type
    assert np.array_equal(raw_inputs(model, x), to_raw(torch.as_tensor(x), t).numpy())


def test_image_models_take_pixel_bytes_and_cast_them_for_the_first_layer(tmp_path: Path) -> None:
    torch.manual_seed(0)
    x = np.random.default_rng(0).integers(0, 256, size=(6, 1, 8, 8), dtype=np.uint8)
    model = _settle(build_model("digits_cnn", channels=4), x.astype(np.float32))
    result = export(model, x, tmp_path / "ir")
    graph = result.graph
    assert result.input_type == FixedType.parse("ap_ufixed<8,0>")
    assert np.array_equal(raw_inputs(model, x), x.astype(np.int64))
    cast = graph.nodes[0]
    assert cast.op == "hardtanh" and cast.name == "layer0_0_input_cast" and cast.inputs == ("input",)
    assert cast.out_type == model[0][0].quant["input"].fixed_type
    assert dict(cast.attrs) == {"min_raw": 0, "max_raw": 255}
    assert graph.nodes[1].inputs == ("layer0_0_input_cast",)
    assert compare_with_ir(model, graph, x).ok


def test_thermometer_input_is_the_integer_pixel(tmp_path: Path) -> None:
    torch.manual_seed(0)
    x = np.random.default_rng(1).integers(0, 256, size=(4, 1, 4, 4), dtype=np.uint8)
    model = nn.Sequential(ThermometerEncoder(1, levels=3), BinaryConv2d(3, 2, 3, padding=1))
    result = export(model, x, tmp_path / "ir")
    assert result.input_type == FixedType(8, 8, False)
    assert [n.op for n in result.graph.nodes] == ["thermometer", "binary_conv2d"]
    assert np.array_equal(raw_inputs(model, x), x.astype(np.int64))
    assert compare_with_ir(model, result.graph, x).ok


def test_node_names_are_cpp_safe_and_unique(tmp_path: Path) -> None:
    x = _features()
    layers = OrderedDict([("new", QLinear(4, 4, quant=QUANT, quantize_input=True)),
                          ("7", QAct("relu", QUANT)), ("new_2", QLinear(4, 4, quant=QUANT))])
    model = _settle(nn.Sequential(layers), x)
    graph = export(model, x[:2], tmp_path / "ir", name="my_net").graph
    assert graph.name == "my_net"
    assert [n.name for n in graph.nodes] == ["new_layer", "layer7", "new_2"]


def test_compare_reports_the_first_mismatch(tmp_path: Path) -> None:
    x = _features()
    model = _settle(Residual(), x)
    graph = export(model, x[:2], tmp_path / "ir").graph
    params = {k: np.array(v) for k, v in graph.params.items()}
    w = params["out.weight"]
    w[0] = np.where(w[0] == w[0].max(), w[0] - 1, w[0] + 1)  # every weight of output 0 moves
    tampered = ir.Graph.from_dict(graph.to_dict(), params)
    cmp = compare_with_ir(model, tampered, x)
    assert not cmp.ok and cmp.first is not None
    assert cmp.first.node == "out" and cmp.first.index == (0,)
    assert cmp.first.ir_raw != cmp.first.torch_raw
    assert "node 'out'" in str(cmp) and str(graph.node("out").out_type) in str(cmp)


# ------------------------------------------------------------------------ refusals
@pytest.mark.parametrize("cls, match", [
    (PlainOpBetween, r"layer 'body\.0' \(QLinear\) consumes a tensor that no codesign.nn layer produced"),
    (PlainOpAfter, "model's output is not the output of a codesign.nn layer"),
    (InPlaceOp, r"layer 'body\.0' \(QLinear\) consumes 'fc1' after an in-place change"),
])
def test_plain_torch_ops_between_layers_are_refused(cls: type[nn.Module], match: str, tmp_path: Path) -> None:
    x = _features()
    model = _settle(cls(), x)
    with pytest.raises(ExportError, match=match):
        export(model, x[:2], tmp_path / "ir")
    assert not (tmp_path / "ir").exists()


def test_changing_the_input_before_the_first_layer_is_refused(tmp_path: Path) -> None:
    class Scaled(Residual):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return super().forward(x * 3)

    x = _features()
    with pytest.raises(ExportError, match="changes its input before the first layer 'fc1'"):
        export(_settle(Scaled(), x), x[:2], tmp_path / "ir")


@pytest.mark.parametrize("plain, kind", [(nn.Linear(4, 4), "Linear"), (nn.ReLU(), "ReLU")])
def test_plain_torch_modules_are_refused(plain: nn.Module, kind: str, tmp_path: Path) -> None:
    model = nn.Sequential(QLinear(4, 4, quant=QUANT, quantize_input=True), nn.Sequential(plain),
                          QLinear(4, 2, quant=QUANT))
    with pytest.raises(ExportError, match=rf"unsupported module '1\.0' \({kind}\)"):
        export(model, _features()[:2], tmp_path / "ir")


def test_types_wider_than_53_bits_are_refused_naming_the_layer(tmp_path: Path) -> None:
    wide = LayerQuant(input=QuantSpec("fixed", 30, 10), weight=QuantSpec("fixed", 30, 2),
                      bias=QuantSpec("fixed", 30, 10), output=QuantSpec("fixed", 16, 8))
    model = nn.Sequential(OrderedDict(fc=QLinear(4, 2, quant=wide, quantize_input=True)))
    with pytest.raises(ExportError, match=r"layer 'fc' \(QLinear\).*53 bits"):
        export(model, _features()[:2], tmp_path / "ir")


def test_per_element_hgq_activations_are_refused_naming_the_layer(tmp_path: Path) -> None:
    x = _features(f=16)
    model = _settle(build_model("jet_mlp", scheme="hgq", hidden=[8]), x)
    with pytest.raises(ExportError, match=r"layer '0' \(QLinear\) input.*per-element types"):
        export(model, x[:2], tmp_path / "ir")


def test_graph_input_type_must_be_known(tmp_path: Path) -> None:
    model = nn.Sequential(QLinear(4, 2, quant=QUANT))
    with pytest.raises(ExportError, match="cannot tell the graph input type"):
        export(model, _features()[:2], tmp_path / "ir")


def test_raw_inputs_refuse_values_off_the_pixel_grid() -> None:
    model = build_model("digits_cnn", channels=4)
    x = np.full((2, 1, 8, 8), 3.0, dtype=np.float32)
    x[1, 0, 2, 5] = 3.5
    with pytest.raises(ExportError, match=r"input value 3.5 at \[1, 0, 2, 5\] .*ap_ufixed<8,0>"):
        raw_inputs(model, x)
    with pytest.raises(ExportError, match=r"\[0, 255\]"):
        raw_inputs(model, np.full((1, 1, 8, 8), 256.0))


def test_a_reused_layer_is_refused(tmp_path: Path) -> None:
    fc = QLinear(4, 4, quant=QUANT, quantize_input=True)

    class Twice(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = fc

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.fc(self.fc(x))

    with pytest.raises(ExportError, match=r"layer 'fc' \(QLinear\) is called twice"):
        export(Twice(), _features()[:2], tmp_path / "ir")
