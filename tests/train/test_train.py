"""Trainer: determinism, checkpoints that rebuild models, metrics files, PTQ, the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner

from codesign.cli import main
from codesign.data import load_dataset
from codesign.models import build_model
from codesign.train import (
    CheckpointError,
    TrainConfig,
    evaluate,
    fit,
    load_checkpoint,
    post_training_quantize,
    read_checkpoint,
)
from codesign.train.loop import random_shift


@pytest.fixture(scope="module")
def digits_small():
    return load_dataset("digits", limit=300)


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny models train faster on one thread than on two contended ones."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _fit(ds, out: Path, seed: int = 0, epochs: int = 2, **cfg):
    torch.manual_seed(seed)
    model = build_model("digits_cnn", width=6, channels=8)
    result = fit(model, ds.train, ds.test, TrainConfig(epochs=epochs, batch_size=32, seed=seed, **cfg), out,
                 model.model_spec, progress=False)
    return model, result


def test_fit_is_deterministic_and_writes_metrics(digits_small, tmp_path: Path) -> None:
    _, a = _fit(digits_small, tmp_path / "a")
    _, b = _fit(digits_small, tmp_path / "b")
    assert [r["train_loss"] for r in a.history] == [r["train_loss"] for r in b.history]
    assert a.test_accuracy == b.test_accuracy
    _, c = _fit(digits_small, tmp_path / "c", seed=1)
    assert [r["train_loss"] for r in c.history] != [r["train_loss"] for r in a.history]
    rows = json.loads((tmp_path / "a" / "metrics.json").read_text())
    assert [r["epoch"] for r in rows] == [1, 2]
    assert (tmp_path / "a" / "metrics.csv").read_text().splitlines()[0].startswith("epoch,")


def test_training_learns(digits_small, tmp_path: Path) -> None:
    model, result = _fit(digits_small, tmp_path, epochs=6)
    assert result.history[-1]["train_loss"] < result.history[0]["train_loss"]
    assert result.test_accuracy > 0.5  # 10 classes: chance is 0.1


def test_checkpoint_rebuilds_the_model_bit_exactly(digits_small, tmp_path: Path) -> None:
    model, result = _fit(digits_small, tmp_path)
    rebuilt = load_checkpoint(result.last_checkpoint)
    x = torch.as_tensor(digits_small.test.x, dtype=torch.float32)
    model.eval()
    with torch.no_grad():
        assert torch.equal(model(x), rebuilt(x))
    assert read_checkpoint(result.last_checkpoint)["model_spec"]["name"] == "digits_cnn"


def test_best_checkpoint_is_the_last_without_validation_and_the_best_with(digits_small, tmp_path: Path) -> None:
    _, result = _fit(digits_small, tmp_path / "plain", epochs=3)
    assert result.best_checkpoint.read_bytes() == result.last_checkpoint.read_bytes()
    assert not list((tmp_path / "plain").glob(".*tmp*"))  # no temp file left behind
    torch.manual_seed(0)
    model = build_model("digits_cnn", width=6, channels=8)
    validated = fit(model, digits_small.train, digits_small.test, TrainConfig(epochs=3, batch_size=32),
                    tmp_path / "val", model.model_spec, val=digits_small.test, progress=False)
    scores = [row["val_accuracy"] for row in validated.history]
    best_epoch = scores.index(max(scores)) + 1  # the first epoch with the highest score
    assert read_checkpoint(validated.best_checkpoint)["metrics"]["epoch"] == best_epoch
    assert read_checkpoint(validated.last_checkpoint)["metrics"]["epoch"] == 3


def test_checkpoint_errors(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="not found"):
        read_checkpoint(tmp_path / "missing.pt")
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="not a readable checkpoint"):
        read_checkpoint(bad)
    other = tmp_path / "other.pt"
    torch.save({"something": 1}, other)
    with pytest.raises(CheckpointError, match="not a codesign checkpoint"):
        read_checkpoint(other)


def test_frozen_binary_points_do_not_move(digits_small, tmp_path: Path) -> None:
    model, _ = _fit(digits_small, tmp_path / "f", freeze_binary_points=True)
    frozen = {n: p.detach().clone() for n, p in model.named_parameters() if n.endswith("int_bits")}
    assert frozen
    model2, _ = _fit(digits_small, tmp_path / "g", epochs=3, freeze_binary_points=True)
    for name, value in model2.named_parameters():
        if name.endswith("int_bits"):
            assert torch.equal(value.detach(), frozen[name]), name


def test_ptq_keeps_weights_and_sets_binary_points(digits_small, tmp_path: Path) -> None:
    model, _ = _fit(digits_small, tmp_path)
    quantized = post_training_quantize(model, 4, digits_small.train.x)
    assert quantized.model_spec["width"] == 4
    widths = {t.width for m in quantized.modules() if hasattr(m, "quantizers")
              for q in m.quantizers().values() for t in q.fixed_types()}
    assert widths == {4}  # every tensor, biases and residuals included
    assert 0.0 <= evaluate(quantized, digits_small.test).accuracy <= 1.0


def test_random_shift_moves_pixels_by_at_most_one() -> None:
    x = torch.zeros(64, 1, 5, 5)
    x[:, :, 2, 2] = 1.0
    shifted = random_shift(x, torch.Generator().manual_seed(0))
    positions = {tuple(torch.nonzero(s[0]).tolist()[0]) for s in shifted}
    assert positions <= {(r, c) for r in (1, 2, 3) for c in (1, 2, 3)}
    assert len(positions) > 3
    assert torch.equal(random_shift(torch.ones(4, 7), torch.Generator()), torch.ones(4, 7))


@pytest.mark.parametrize(("field", "value", "message"), [
    ("epochs", 0, "epochs"), ("lr", 0.0, "lr"), ("optimizer", "lbfgs", "optimizer"),
    ("augment", "flip", "augment"), ("calibration_margin", 0.0, "margin"),
    ("label_smoothing", 1.0, "label_smoothing"), ("label_smoothing", -0.1, "label_smoothing"),
])
def test_config_errors(field: str, value: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        TrainConfig(**{field: value})


def test_build_model_errors() -> None:
    with pytest.raises(ValueError, match="unknown model"):
        build_model("vgg")
    with pytest.raises(ValueError, match="bad options"):
        build_model("jet_mlp", colour="red")
    with pytest.raises(ValueError, match="bnn size"):
        build_model("bnn", size="huge")


def test_cli_train_writes_a_run(tmp_path: Path) -> None:
    run = tmp_path / "run"
    result = CliRunner().invoke(main, ["train", "--model", "digits_cnn", "--limit", "200", "--epochs", "1",
                                       "--width", "6", "--option", "channels=8", "--threads", "1",
                                       "--run-dir", str(run)])
    assert result.exit_code == 0, result.output
    summary = json.loads((run / "summary.json").read_text())
    assert summary["model"] == "digits_cnn" and 0 <= summary["accuracy_fixed"] <= 1
    assert (run / "checkpoint_last.pt").is_file()


def test_cli_train_takes_the_flagship_recipe(tmp_path: Path) -> None:
    run = tmp_path / "bnn"
    result = CliRunner().invoke(main, ["train", "--model", "bnn", "--scheme", "khot", "--limit", "120",
                                       "--epochs", "1", "--option", "size=tiny", "--option", "channels=4",
                                       "--option", "head=flatten", "--label-smoothing", "0.1", "--threads", "1",
                                       "--run-dir", str(run)])
    assert result.exit_code == 0, result.output
    assert read_checkpoint(run / "checkpoint_last.pt")["model_spec"]["head"] == "flatten"
    result = CliRunner().invoke(main, ["train", "--model", "bnn", "--label-smoothing", "1.5",
                                       "--run-dir", str(tmp_path / "bad")])
    assert result.exit_code == 2 and "label_smoothing must be in [0, 1)" in result.output


def test_cli_train_ptq_reports_both_accuracies(tmp_path: Path) -> None:
    run = tmp_path / "ptq"
    result = CliRunner().invoke(main, ["train", "--model", "digits_cnn", "--scheme", "ptq", "--limit", "200",
                                       "--epochs", "1", "--width", "4", "--option", "channels=8", "--threads", "1",
                                       "--run-dir", str(run)])
    assert result.exit_code == 0, result.output
    summary = json.loads((run / "summary.json").read_text())
    assert {"accuracy_float", "accuracy_fixed"} <= set(summary)
    assert read_checkpoint(run / "checkpoint_ptq.pt")["model_spec"]["width"] == 4


def test_cli_train_errors_are_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["train", "--model", "nope", "--run-dir", str(tmp_path / "x")])
    assert result.exit_code == 2 and "unknown model" in result.output
    result = CliRunner().invoke(main, ["train", "--model", "digits_cnn", "--dataset", "mnist",
                                       "--data", str(tmp_path / "missing"), "--run-dir", str(tmp_path / "y")])
    assert result.exit_code == 2 and "missing" in result.output
    result = CliRunner().invoke(main, ["train", "--model", "digits_cnn", "--option", "bad"])
    assert result.exit_code == 2 and "KEY=VALUE" in result.output
