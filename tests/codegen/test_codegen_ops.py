"""Every IR op alone, on random configurations (folding, strides, padding, K-hot, binary,
saturating and wrapping output types): the generated C++ equals ir.run bit for bit. All
ops share one graph (one graph input and output each), so one g++ build covers them. The
build uses -Wall -Wextra -Werror (codesign.toolchain.csim): the generated C++ and the new
kernels compile without a warning."""

from __future__ import annotations

from pathlib import Path

import pytest

from codesign import codegen
from codesign.toolchain.csim import compare_with_ir
from graphs import ops_graph, random_inputs

SEED = 7


@pytest.fixture(scope="module")
def ops_project(codegen_cache: Path):
    graph, folding = ops_graph(SEED)
    project = codegen.generate(graph, codegen_cache / "ops", top="ops_top", parallelism=folding)
    return graph, project


def test_every_op_is_covered(ops_project) -> None:
    graph, _ = ops_project
    assert {n.op for n in graph.nodes} == set(codegen.EMITTERS)


def test_each_op_csim_equals_ir(ops_project) -> None:
    graph, project = ops_project
    report = compare_with_ir(project, graph, random_inputs(graph, 60, SEED))
    assert report.ok, str(report)
    assert report.samples == 60


def test_ops_audit_counts_general_products(ops_project) -> None:
    _, project = ops_project
    audit = project.manifest["multiplier_audit"]["per_layer"]
    for khot in ("dense_khot", "conv_b", "bn_khot", "prelu_khot"):
        assert audit[khot]["multipliers"] == 0 and audit[khot]["kind"] == "khot"
    for binary in ("bconv", "bdense"):
        assert audit[binary]["multipliers"] == 0 and audit[binary]["kind"] == "binary"
    assert audit["dense_lat"]["multipliers"] > 0
    assert audit["pool2"]["multipliers"] == 0 and audit["pool3"]["multipliers"] == 2
    for khot_pool in ("pool3k", "gpool7k"):  # K-hot reciprocals: shifts and adds
        assert audit[khot_pool]["multipliers"] == 0 and audit[khot_pool]["kind"] == "khot"
    # folding divides the hardware multipliers (12 inputs, reuse 3)
    assert audit["dense_fold"]["multipliers"] <= 20
