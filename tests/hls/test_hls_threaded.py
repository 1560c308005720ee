"""Threaded csim (CODESIGN_THREADED_CSIM): dataflow processes in threads over FIFOs of
exactly their declared depths. A correctly sized residual skip FIFO completes with the
sequential result; an undersized one -- which sequential csim runs happily -- is reported
as a deadlock naming the stream."""

from __future__ import annotations

from pathlib import Path

import pytest

from codesign.toolchain import BuildSpec, ap_types_include, build, run_process
from test_hls_kernels import CXXFLAGS, HERE, INCLUDE

SOURCE = HERE / "threaded_residual.cpp"
DEADLOCK_EXIT = 3


def build_variant(cache_dir: Path, name: str, defines: tuple[str, ...]) -> Path:
    spec = BuildSpec(
        sources=(SOURCE,),
        output=cache_dir / name,
        include_dirs=(INCLUDE,),
        system_include_dirs=(ap_types_include(),),
        defines=defines,
        cxxflags=(*CXXFLAGS, "-pthread"),
        hash_dirs=(INCLUDE / "codesign",),
    )
    build(spec, log_path=cache_dir / f"{name}.build.log", jobs=1)
    return spec.output


def run(exe: Path) -> tuple[int, str]:
    log = exe.with_suffix(".log")
    log.unlink(missing_ok=True)
    result = run_process([exe], log_path=log, timeout_s=60, check=False)
    return result.returncode, log.read_text()


def pixels(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("pixel ")]


@pytest.fixture(scope="module")
def cache_dir(request: pytest.FixtureRequest) -> Path:
    return Path(request.config.cache.mkdir("hls_threaded"))


def test_threaded_csim_completes_and_catches_undersized_skip_fifo(cache_dir: Path) -> None:
    sequential = build_variant(cache_dir, "sequential_depth2", ("SKIP_DEPTH=2",))
    sized = build_variant(cache_dir, "threaded_depth16", ("CODESIGN_THREADED_CSIM", "SKIP_DEPTH=16"))
    undersized = build_variant(
        cache_dir, "threaded_depth2",
        ("CODESIGN_THREADED_CSIM", "SKIP_DEPTH=2", "CODESIGN_DEADLOCK_TIMEOUT_MS=200"),
    )

    rc_seq, out_seq = run(sequential)
    assert rc_seq == 0, out_seq  # sequential csim hides the deadlock
    assert len(pixels(out_seq)) == 36

    rc_ok, out_ok = run(sized)
    assert rc_ok == 0, out_ok
    assert pixels(out_ok) == pixels(out_seq)

    rc_bad, out_bad = run(undersized)
    assert rc_bad == DEADLOCK_EXIT, out_bad
    assert "DEADLOCK" in out_bad
    assert "blocked writing stream 'skip' (full, 2/2)" in out_bad
    assert not pixels(out_bad)
