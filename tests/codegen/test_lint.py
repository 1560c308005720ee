"""The synthesizability lint: every rule on bad and good snippets, comments, strings and
preprocessor branches, waivers, the kernel headers, generated projects (op graph, residual
stream/mm, the zoo models exported untrained), the dataflow rule on an edited top, the CLI
and the codegen stage. Text only: nothing is compiled."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from click.testing import CliRunner

from codesign import codegen, ir
from codesign.cli import main
from codesign.codegen.lint import (RULE_IDS, RULES, LintFinding, kernel_sources, lint_kernels, lint_project,
                                   lint_source, project_sources)
from graphs import ops_graph, residual_graph

SEED = 3


def rules(text: str, **kwargs: object) -> list[str]:
    return [f.rule for f in lint_source(text, "snippet.cpp", **kwargs)]  # type: ignore[arg-type]


# (rule, bad snippet, good snippet): the rule fires on the first and not on the second.
CASES = [
    ("alloc", "void f() { int* p = new int[4]; p[0] = 1; }", "void f() { int a[4]; a[0] = 1; }"),
    ("alloc", "void f(int a[4]) { delete[] a; }", "struct s { s(const s&) = delete; };"),
    ("alloc", "void f() { void* m = malloc(16); }", "void f(ap_int<8> malloc_size) { malloc_size = 1; }"),
    ("alloc", "void f(int a[4]) { free(a); }", "void f(int a[4], int free) { a[0] = free; }"),
    ("stl", "void f() { std::vector<int> v(4); }", "void f() { int v[4]; }"),
    ("stl", "void f(std::map<int, int>& m) {}", "void f(codesign::array<int, 4>& m) {}"),
    ("stl", "void f() { std::string s; }", "void f() { static_assert(std::is_same<int, int>::value, \"\"); }"),
    ("stl", "void f() { std::unordered_map<int, int> m; }", "void f() { std::size_t n = 0; }"),
    ("stl", "void f() { std::unique_ptr<int> p; }", "void f() { ap_uint<4> p = 0; }"),
    ("stl", "void f() { std::thread t; }", "void f() { hls::stream<int> t; }"),
    ("stl", "#include <vector>\nvoid f() {}", "#include <type_traits>\nvoid f() {}"),
    ("iostream", "void f(int x) { std::cout << x; }", "void f(int x, int& y) { y = x << 2; }"),
    ("iostream", "void f(int x) { printf(\"%d\", x); }", "void f(int x) { g(x); }"),
    ("iostream", "#include <iostream>\nvoid f() {}", "#include <ap_int.h>\nvoid f() {}"),
    ("recursion", "int f(int x) { return x ? f(x - 1) : 0; }",
     "int g(int x) { return x; }\nint f(int x) { return g(x); }"),
    ("recursion", "template <int N> int f(int x) { return f<N>(x); }",
     "template <int N> int f(int x) { return g<N>(x); }"),
    ("recursion", "int a(int x);\nint b(int x) { return a(x); }\nint a(int x) { return b(x); }",
     "int a(int x);\nint b(int x) { return x; }\nint a(int x) { return b(x); }"),
    ("recursion", "struct s { int f(int x) { return f(x); } };", "struct s { int f(int x) { return v.f(x); } };"),
    ("unbounded-loop", "void f(int& x) { while (x) { x--; } }", "void f(int& x) { for (int i = 0; i < 4; ++i) x--; }"),
    ("unbounded-loop", "void f(int& x) { while (true) {} }", "void f(int& x) { x = 0; }"),
    ("unbounded-loop", "void f(int& x) { do { x--; } while (x); }", "void f(int& x) { x--; }"),
    ("unbounded-loop", "void f(int& x) { for (;;) {} }", "void f(int& x) { for (int i = 0; i < 8; i++) {} }"),
    ("unbounded-loop", "void f(int a[8], int n) { for (int i = 0; i < n; ++i) a[i] = 0; }",
     "template <class CFG> void f(int a[CFG::n]) { for (unsigned i = 0; i < CFG::n; ++i) a[i] = 0; }"),
    ("unbounded-loop", "template <unsigned N> void f(int a[N]) { for (unsigned i = 0; i < N; ++i) { i = 0; } }",
     "template <unsigned N> void f(int a[N]) { for (unsigned i = 0; i < N; ++i) { a[i] = 0; } }"),
    ("unbounded-loop", "void f(int a[8]) { int n = a[0]; for (int i = 0; i < n; ++i) a[i] = 0; }",
     "void f(int a[8]) { constexpr int n = 8; for (int i = 0; i < n; ++i) a[i] = 0; }"),
    ("unbounded-loop", "void f(int a[8]) { for (int i = 0, j = 0; j < 8; ++i) a[i] = 0; }",
     "template <unsigned KH> void f(int a[8]) { for (unsigned k = 0; k + 1 < KH; ++k) a[k] = 0; }"),
    ("unbounded-loop", "void f(S& s, int a[8]) { for (int i = 0; i < s.size(); ++i) a[i] = 0; }",
     "void f(int a[8]) { const int p[] = {1, 2}; for (unsigned k = 0; k < sizeof(p) / sizeof(p[0]); ++k) a[k] = 0; }"),
    ("unbounded-loop", "void f(int a[8]) { for (int i = 0; i < g(a); ++i) a[i] = 0; }",
     "constexpr int g(int x) { return 2 * x; }\nvoid f(int a[8]) { for (int i = 0; i < g(3); ++i) a[i] = 0; }"),
    ("float", "void f(float x) {}", "void f(ap_fixed<8,3> x) {}"),
    ("float", "void f() { double y = 0; }", "void f() { ap_int<16> y = 0; }"),
    ("float", "void f() { long double y; }", "void f() { long long y; }"),
    ("float", "void f(ap_fixed<8,3>& x) { x = x * 1.5; }", "void f(ap_fixed<8,3>& x) { x = x * 3; }"),
    ("float", "void f(ap_fixed<8,3>& x) { x += 1e-3; }", "void f(ap_uint<8>& x) { x = 0x1e; }"),
    ("float", "void f(ap_fixed<8,3>& x) { x = 2.f; }", "void f(ap_uint<64>& x) { x = 1'000ULL; }"),
    ("float", "void f(ap_fixed<8,3>& x) { x = 0x1p3; }", "static const ap_fixed<8,3> w[3] = {0.5, -1.25, 1e-2};"),
    ("float", "void f(ap_fixed<8,3>& x) { const ap_fixed<8,3> y = x * 0.5; x = y; }",
     "static const ap_ufixed<10,0> r = 0.111328125;"),
    ("pointer", "void f(int* p) {}", "void f(int& r, int a[4]) { r = a[0] * a[1]; }"),
    ("pointer", "void f(const ap_uint<64>* in) {}", "template <class CFG> void f(ap_uint<CFG::a * CFG::b>& w) {}"),
    ("pointer", "template <class T> void f(T* x) {}", "template <class T> T f(T x, T w[4]) { return x * w[2]; }"),
    ("pointer", "void f(S& s) { s.p->x = 1; }", "void f(S& s) { s.q.x = 1; }"),
    ("pointer", "void f() { const char* msg = 0; }", "void f() { const ap_uint<4> n = 3; }"),
    ("pointer", "typedef ap_int<8> act_t;\nvoid f(act_t * a) {}", "void f(int k, int c) { g(k * c + c, k * c); }"),
    ("pointer", "void g(ap_uint<64>* in) {}", "void top(ap_uint<64>* in, ap_uint<64>* out, int n) {}"),
]


@pytest.mark.parametrize(("rule", "bad", "good"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_rule_fires_on_bad_and_not_on_good(rule: str, bad: str, good: str) -> None:
    assert rule in rules(bad, top="top", top_ports=("in", "out", "n")), bad
    assert rule not in rules(good, top="top", top_ports=("in", "out", "n")), good


def test_every_rule_has_a_case() -> None:
    assert {c[0] for c in CASES} | {"dataflow", "waiver"} == RULE_IDS == {r.id for r in RULES}


def test_finding_format_names_file_line_rule() -> None:
    (finding,) = lint_source("\n\nvoid f(float x) {}", "k.h")
    assert finding == LintFinding("float", "k.h", 3, "floating-point type 'float'")
    assert str(finding) == "k.h:3: [float] floating-point type 'float'"


def test_comments_and_strings_do_not_trigger() -> None:
    text = """
// std::vector<int> v; while (1) { new int; } float x = 1.5; int* p;
/* do { malloc(3); } while (true);
   std::cout << 2.5; */
void f(ap_uint<8>& y) {
    const char msg[] = "float 1.5 new delete std::vector<int> while(1) p->x // /*";
    const char c = '*';
    y = 1;  // 0.5 * y->z
}
"""
    assert lint_source(text, "c.cpp") == []


SKIPPED = """
#include <ap_int.h>
#ifndef __SYNTHESIS__
#include <iostream>
void dump(float x) { std::cout << x << "\\n"; while (true) {} }
#endif
#ifdef CODESIGN_THREADED_CSIM
#include <thread>
std::thread worker;
#else
void ok(ap_int<8>& x) { x = 1; }
#endif
#if defined(__SYNTHESIS__)
void synthesized(ap_int<8>& x) { x = 2; }
#else
void testbench(double* y) { *y = new double[3]; }
#endif
"""


def test_code_synthesis_does_not_see_is_skipped() -> None:
    assert lint_source(SKIPPED, "s.h") == []


def test_the_synthesized_branches_and_unknown_conditions_are_linted() -> None:
    text = SKIPPED.replace("x = 1;", "x = 1.5;").replace("x = 2;", "float z = 2;")
    text += "#ifdef SOME_OPTION\nvoid g(int* p) {}\n#else\nvoid h() { while (1) {} }\n#endif\n"
    found = {(f.rule, f.line) for f in lint_source(text, "s.h")}
    assert found == {("float", 11), ("float", 14), ("pointer", 19), ("unbounded-loop", 21)}


def test_pragma_operators_and_directives_are_not_code() -> None:
    text = """
#define SCALE(x) ((x) * 1.5)
#pragma HLS INTERFACE mode=m_axi port=in depth=1.5
void f(ap_int<8>& x) {
    _Pragma("HLS PIPELINE II=1.5 float")
    x = 1;
}
"""
    assert lint_source(text, "p.cpp") == []


def test_a_waiver_needs_a_known_rule_and_a_reason() -> None:
    loop = "void f(bool& go) {\n    while (go) {  // lint: allow(unbounded-loop)%s\n        go = false;\n    }\n}\n"
    assert lint_source(loop % " a handshake with the host ends it", "w.cpp") == []
    no_reason = {f.rule: f.message for f in lint_source(loop % "", "w.cpp")}
    assert set(no_reason) == {"waiver", "unbounded-loop"} and "must state a reason" in no_reason["waiver"]
    unknown = {f.rule: f.message for f in lint_source(loop.replace("unbounded-loop", "loops") % " because", "w.cpp")}
    assert set(unknown) == {"waiver", "unbounded-loop"} and "unknown rule(s) ['loops']" in unknown["waiver"]


def test_a_waiver_above_applies_to_the_next_code_line_and_an_unused_one_is_reported() -> None:
    above = "// lint: allow(pointer, float) the m_axi port of the top, passed down\nvoid f(ap_uint<64>* p) {}\n"
    (unused,) = lint_source(above, "w.cpp")
    assert unused.rule == "waiver" and "no 'float' finding on line 2" in unused.message
    assert lint_source(above.replace(", float", ""), "w.cpp") == []
    assert rules("void f() {}  // lint: allow(pointer) nothing to allow here") == ["waiver"]


def test_testbench_code_is_exempt_from_the_synthesis_rules() -> None:
    tb = ('#include <iostream>\n#include <vector>\nint main(int argc, char** argv) {\n'
          '    std::vector<double> v(3, 0.5);\n    while (argc--) { std::cout << argv[argc]; }\n'
          '    int* p = new int[3];\n    delete[] p;\n    return 0;\n}\n')
    assert lint_source(tb, "tb.cpp", synthesizable=False) == []
    assert {"stl", "iostream", "float", "pointer", "alloc", "unbounded-loop"} <= set(rules(tb))
    assert rules("int f(int x) { return f(x); }", synthesizable=False) == ["recursion"]


DATAFLOW = """
template <class CFG> void src(hls::stream<int>& in, hls::stream<int>& out) { out.write(in.read()); }
template <class CFG> void dst(hls::stream<int>& in, hls::stream<int>& out) { int x; in >> x; out << x; }
void top(hls::stream<int>& x, hls::stream<int>& y) {
#pragma HLS DATAFLOW
    CODESIGN_STREAM(s, 2, int);
    CODESIGN_DATAFLOW_BEGIN
    CODESIGN_PROCESS(a, src<c1>(x, s));
    CODESIGN_PROCESS(b, dst<c2>(s, y));
    CODESIGN_DATAFLOW_END
}
"""


def test_dataflow_one_producer_one_consumer_is_clean() -> None:
    assert lint_source(DATAFLOW, "top.cpp") == []


@pytest.mark.parametrize(("old", "new", "expect"), [
    ("dst<c2>(s, y)", "dst<c2>(x, y)", "stream 's' must have exactly one producer and one consumer process; it is "
                                       "written by a (src)"),
    ("dst<c2>(s, y)", "src<c2>(y, s)", "written by a (src) (line 8), written by b (src) (line 9)"),  # roles: src
    ("dst<c2>(s, y)", "dst<c2>(s, s)", "stream 's' is passed twice to one call of b (dst)"),
    ("dst<c2>(s, y)", "dst<c2>(x, s)", "port stream 'x' must be used by exactly one process"),
    ("src<c1>(x, s)", "src<c1>(y, s)", "port stream 'x' must be used by exactly one process; it is never used"),
    ("    CODESIGN_DATAFLOW_END", "    s.write(3);\n    CODESIGN_DATAFLOW_END", "written in the region itself"),
])
def test_dataflow_violations(old: str, new: str, expect: str) -> None:
    findings = lint_source(DATAFLOW.replace(old, new), "top.cpp")
    assert findings and all(f.rule == "dataflow" for f in findings), findings
    assert any(expect in f.message for f in findings), findings


def test_dataflow_with_unknown_kernels_counts_processes() -> None:
    text = DATAFLOW.replace("src<c1>", "k1<c1>").replace("dst<c2>", "k2<c2>")
    assert lint_source(text, "top.cpp") == []
    third = text.replace("    CODESIGN_DATAFLOW_END", "    CODESIGN_PROCESS(c, k3<c3>(s));\n    CODESIGN_DATAFLOW_END")
    (finding,) = [f for f in lint_source(third, "top.cpp") if "'s'" in f.message]
    assert finding.line == 6 and "used by a (k1)" in finding.message and "used by c (k3)" in finding.message


def test_kernel_headers_lint_clean() -> None:
    sources = kernel_sources()
    assert len(sources) >= 15 and sum(not s.synthesizable for s in sources) == 1  # vector_io.h
    assert lint_kernels() == []


def test_the_kernel_waivers_are_needed() -> None:
    mm = next(s.path for s in kernel_sources() if s.path.name == "mm.h").read_text()
    stripped = "\n".join(line for line in mm.split("\n") if "lint: allow" not in line)
    assert [f.rule for f in lint_source(stripped, "mm.h")] == ["pointer", "pointer"]


# ---------------------------------------------------------------------------------------------
# Generated projects


def _zoo_graphs(out: Path) -> dict[str, ir.Graph]:
    """The zoo models (as in test_codegen_zoo), exported untrained: calibration and
    BatchNorm statistics from a few samples; what matters here is the generated text."""
    import torch

    sys.path.insert(0, str(Path(__file__).parents[1] / "models"))
    from zoo_helpers import jet_like, random_images, settle_batchnorm

    from codesign.models import build_model
    from codesign.nn.export import export

    cases = {"bnn_tiny": ("bnn", {"size": "tiny"}), "jet_mlp": ("jet_mlp", {"scheme": "qfx"}),
             "digits_cnn": ("digits_cnn", {"scheme": "qfx"}),
             "resnet_short": ("resnet20", {"blocks_per_stage": 1, "base_channels": 4})}
    pixels = np.random.default_rng(0).integers(0, 256, (16, 1, 8, 8)).astype(np.uint8)
    data = {"jet_mlp": jet_like(16, seed=0)[0], "resnet20": random_images(16, seed=0)[0]}
    graphs = {}
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        for case, (name, options) in cases.items():
            torch.manual_seed(0)
            model = build_model(name, **options)
            x = data.get(name, pixels)
            model.train()
            with torch.no_grad():
                model(torch.as_tensor(x).float())
            settle_batchnorm(model, x)
            graphs[case] = ir.load(export(model, x[:4], out / case).path)
    finally:
        torch.set_num_threads(threads)
    return graphs


@pytest.fixture(scope="module")
def projects(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("lint_projects")
    residual = residual_graph(SEED)
    ops, folding = ops_graph(SEED)
    made = {
        "residual": codegen.generate(residual, root / "residual", top="residual_top"),
        "residual_mm": codegen.generate(residual, root / "residual_mm", top="residual_mm", interface="mm"),
        "ops": codegen.generate(ops, root / "ops", top="ops_top", parallelism=folding),
    }
    for case, graph in _zoo_graphs(root / "ir").items():
        made[f"zoo_{case}"] = codegen.generate(graph, root / f"zoo_{case}", top=f"{case}_top")
    made["zoo_bnn_tiny_mm"] = codegen.generate(ir.load(root / "ir" / "bnn_tiny"), root / "bnn_mm", top="bnn_mm",
                                               interface="mm", parallelism={})
    return {name: p.path for name, p in made.items()}


PROJECTS = ["residual", "residual_mm", "ops", "zoo_bnn_tiny", "zoo_jet_mlp", "zoo_digits_cnn", "zoo_resnet_short",
            "zoo_bnn_tiny_mm"]


@pytest.mark.parametrize("name", PROJECTS)
def test_generated_projects_lint_clean(projects: dict[str, Path], name: str) -> None:
    sources = project_sources(projects[name])
    firmware = [s for s in sources if "firmware" in s.path.parts]
    assert firmware and all(s.synthesizable for s in firmware)
    assert all(not s.synthesizable for s in sources if s.path.parent.name == "tb")
    assert any(s.path.name == "conv2d.h" or s.path.name == "dense.h" for s in sources)  # kernel headers followed
    findings = lint_project(projects[name])
    assert findings == [], "\n".join(map(str, findings))


def test_mm_top_pointers_are_the_top_ports_or_waived(projects: dict[str, Path]) -> None:
    top = (projects["residual_mm"] / "firmware" / "residual_mm.cpp").read_text()
    assert rules(top, top="residual_mm", top_ports=("in", "out", "n")) == []
    unwaived = "\n".join(line for line in top.split("\n") if "lint: allow" not in line)
    assert sorted(rules(unwaived, top="residual_mm", top_ports=("in", "out", "n"))) == [
        "pointer", "pointer", "unbounded-loop"]


@pytest.fixture()
def edited(projects: dict[str, Path], tmp_path: Path) -> Path:
    """The residual project with the join's skip stream replaced by the main-path stream:
    act_stream0 gets two consumers, act_stream1 none."""
    copy = tmp_path / "residual"
    shutil.copytree(projects["residual"], copy)
    top = copy / "firmware" / "residual_top.cpp"
    text = top.read_text()
    edit = "add<join_config>(conv2_stream, act_stream1, join_port)"
    assert edit in text
    top.write_text(text.replace(edit, edit.replace("act_stream1", "act_stream0")))
    return copy


def test_a_stream_with_two_consumers_is_caught(edited: Path) -> None:
    findings = lint_project(edited)
    assert {f.rule for f in findings} == {"dataflow"} and {Path(f.path).name for f in findings} == {"residual_top.cpp"}
    two = next(f for f in findings if "'act_stream0'" in f.message)
    assert "read by conv2 (conv2d)" in two.message and "read by join (add)" in two.message
    assert any("'act_stream1'" in f.message and "written by act_fork0 (fork)" in f.message for f in findings)


def test_cli_lint(projects: dict[str, Path], edited: Path, tmp_path: Path) -> None:
    good = CliRunner().invoke(main, ["lint", str(projects["residual"])])
    assert good.exit_code == 0, good.output
    assert good.output.strip() == f"lint: {len(project_sources(projects['residual']))} files, 0 findings"
    bad = CliRunner().invoke(main, ["lint", str(edited)])
    assert bad.exit_code == 1 and "[dataflow] stream 'act_stream0'" in bad.output
    assert "lint: " in bad.output and " files, 2 findings" in bad.output
    empty = CliRunner().invoke(main, ["lint", str(tmp_path)])
    assert empty.exit_code == 2 and "no manifest.json" in empty.output


def test_the_codegen_stage_fails_on_findings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from codesign.flow.stage import StageStatus
    from codesign.flow.stages import codegen as stage_module

    ir.save(residual_graph(SEED), None, tmp_path / "ir")
    ones = SimpleNamespace(pe=1, simd=1, reuse_factor=1)
    parallelism = SimpleNamespace(for_layer=lambda name: ones, layers={}, default=ones)
    hls = SimpleNamespace(top="res_top", interface="stream", parallelism=parallelism, clock_mhz=100.0,
                          target_fps=None, resource_margin=0.7)
    ctx = SimpleNamespace(spec=SimpleNamespace(hls=hls), board=SimpleNamespace(part="xczu3eg-sbva484-1-i",
                                                                              default_clock_mhz=100.0),
                          path=lambda rel: tmp_path / rel, output=lambda rel: tmp_path / "out" / rel,
                          log=lambda line: None)
    assert stage_module.CodegenStage().run(ctx).status == StageStatus.DONE  # type: ignore[arg-type]
    monkeypatch.setattr(stage_module, "lint_project",
                        lambda path: [LintFinding("float", "firmware/res_top.cpp", 7, "floating-point type 'float'")])
    result = stage_module.CodegenStage().run(ctx)  # type: ignore[arg-type]
    assert result.status == StageStatus.FAILED
    assert result.message == ("synthesizability lint: 1 finding(s):\n"
                              "firmware/res_top.cpp:7: [float] floating-point type 'float'")
