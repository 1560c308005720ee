"""Every kernel of hls/include/codesign, compiled with g++ against the ap_types headers,
equals an independent numpy integer computation bit for bit (random configurations,
including the saturation and wrap edges of the output casts; every folding variant of a
layer gives the same bits)."""

from __future__ import annotations

from pathlib import Path

import pytest

from codesign.toolchain import BuildSpec, ap_types_include, build, run_process
from kernel_cases import Case, binary_cases, fixed_cases, translation_unit

HERE = Path(__file__).parent
INCLUDE = HERE.parents[1] / "hls" / "include"
# -Wno-unknown-pragmas: g++ does not know the HLS pragmas. -Wno-(maybe-)uninitialized:
# false positives inside ap_private (ap_types) default constructors, reported at our
# call sites after inlining, which -isystem cannot silence.
CXXFLAGS = (
    "-std=c++14", "-O1", "-Wall", "-Wextra", "-Werror", "-Wno-unknown-pragmas",
    "-Wno-uninitialized", "-Wno-maybe-uninitialized",
)
SEED = 20240605


def build_program(cache_dir: Path, name: str, source_text: str, defines: tuple[str, ...] = ()) -> Path:
    """Write ``source_text`` to ``cache_dir/name.cpp`` (when changed) and build it (cached)."""
    source = cache_dir / f"{name}.cpp"
    if not source.is_file() or source.read_text() != source_text:
        source.write_text(source_text)
    spec = BuildSpec(
        sources=(source,),
        output=cache_dir / name,
        include_dirs=(INCLUDE, HERE),
        system_include_dirs=(ap_types_include(),),
        defines=defines,
        cxxflags=CXXFLAGS,
        hash_dirs=(INCLUDE / "codesign",),
    )
    build(spec, log_path=cache_dir / f"{name}.build.log", jobs=1)
    return spec.output


def run_cases(exe: Path, cases: list[Case], work: Path) -> dict[str, list[int]]:
    """Run a test program on the cases' inputs; its outputs per case name."""
    data = work / f"{exe.name}.in"
    data.write_text(" ".join(str(v) for case in cases for v in case.inputs) + "\n")
    log = work / f"{exe.name}.out"
    log.unlink(missing_ok=True)
    run_process([exe, data], log_path=log, timeout_s=120)
    outputs = {}
    for line in log.read_text().splitlines():
        if line.startswith("case "):
            _, name, *values = line.split()
            outputs[name] = [int(v) for v in values]
    return outputs


@pytest.fixture(scope="module")
def cache_dir(request: pytest.FixtureRequest) -> Path:
    return Path(request.config.cache.mkdir("hls_kernels"))


@pytest.mark.parametrize("group", [fixed_cases, binary_cases], ids=["fixed", "binary"])
def test_kernels_match_numpy(group, cache_dir: Path) -> None:
    cases = group(SEED)
    exe = build_program(cache_dir, f"kernels_{group.__name__}", translation_unit(cases))
    outputs = run_cases(exe, cases, cache_dir)
    mismatched = []
    for case in cases:
        got = outputs.get(case.name)
        if got != case.expected:
            mismatched.append(f"{case.name}: expected {case.expected}\n{'':>{len(case.name)}}  got      {got}")
    assert not mismatched, "kernel outputs differ from numpy:\n" + "\n".join(mismatched)
