"""Cached, parallel g++ builds (C simulation, test oracles, the csim shared library)."""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from codesign.toolchain.errors import ToolNotFoundError
from codesign.toolchain.process import run_process

DEFAULT_CXXFLAGS = ("-std=c++14", "-O1")


def find_gxx() -> str:
    """The C++ compiler: $CXX when set, else g++ on PATH."""
    compiler = os.environ.get("CXX") or shutil.which("g++")
    if not compiler:
        raise ToolNotFoundError("g++ not found on PATH (set CXX to a C++14 compiler)")
    return compiler


@dataclass(frozen=True)
class BuildSpec:
    """What to build.

    Attributes:
        sources: C++ translation units, each compiled to its own object in parallel.
        output: the executable or shared library to link.
        include_dirs: -I directories (our own headers: warnings apply).
        system_include_dirs: -isystem directories (vendor headers: no warnings).
        defines: NAME or NAME=VALUE preprocessor definitions.
        cxxflags: compiler flags.
        shared: link a shared library (-shared -fPIC) instead of an executable.
        hash_dirs: directories whose files' contents enter the cache key (headers).
        ldflags: extra link flags (e.g. -pthread).
    """

    sources: tuple[Path, ...]
    output: Path
    include_dirs: tuple[Path, ...] = ()
    system_include_dirs: tuple[Path, ...] = ()
    defines: tuple[str, ...] = ()
    cxxflags: tuple[str, ...] = DEFAULT_CXXFLAGS
    shared: bool = False
    hash_dirs: tuple[Path, ...] = field(default=())
    ldflags: tuple[str, ...] = ()


def _hash_files(paths: Iterable[Path], digest: "hashlib._Hash") -> None:
    for path in sorted(paths):
        digest.update(str(path).encode())
        digest.update(path.read_bytes())


def build_key(spec: BuildSpec, compiler: str) -> str:
    """Content hash of everything that decides the build output."""
    digest = hashlib.sha256()
    digest.update(compiler.encode())
    for part in (spec.include_dirs, spec.system_include_dirs, spec.defines, spec.cxxflags):
        digest.update(repr(tuple(str(p) for p in part)).encode())
    digest.update(str(spec.shared).encode())
    if spec.ldflags:
        digest.update(repr(spec.ldflags).encode())
    _hash_files(spec.sources, digest)
    for directory in spec.hash_dirs:
        _hash_files((p for p in directory.rglob("*") if p.is_file()), digest)
    return digest.hexdigest()


def build(spec: BuildSpec, *, log_path: Path, jobs: int = 2, timeout_s: float = 900) -> bool:
    """Compile and link ``spec`` unless an identical build already produced ``spec.output``.

    Objects go to ``<output>.objs/``; the output is linked to a temporary name and
    renamed, so an interrupted build never leaves a binary a rerun would trust.

    Returns:
        True when it compiled, False when the cached output was reused.

    Raises:
        ToolNotFoundError, ToolError, ToolTimeoutError: from the compiler.
    """
    compiler = find_gxx()
    key = build_key(spec, compiler)
    stamp = spec.output.with_name(spec.output.name + ".buildkey")
    if spec.output.is_file() and stamp.is_file() and stamp.read_text() == key:
        return False
    obj_dir = spec.output.with_name(spec.output.name + ".objs")
    obj_dir.mkdir(parents=True, exist_ok=True)
    common: list[str] = list(spec.cxxflags)
    if spec.shared:
        common.append("-fPIC")
    common += [f"-I{d}" for d in spec.include_dirs]
    for d in spec.system_include_dirs:
        common += ["-isystem", str(d)]
    common += [f"-D{d}" for d in spec.defines]

    def compile_one(index_source: tuple[int, Path]) -> Path:
        index, source = index_source
        obj = obj_dir / f"{index}_{source.stem}.o"
        run_process(
            [compiler, *common, "-c", str(source), "-o", str(obj)],
            log_path=log_path,
            timeout_s=timeout_s,
        )
        return obj

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        objects = list(pool.map(compile_one, enumerate(spec.sources)))
    tmp_output = spec.output.with_name(f".{spec.output.name}.tmp{os.getpid()}")
    link = [compiler, *[str(o) for o in objects], *spec.ldflags, "-o", str(tmp_output)]
    if spec.shared:
        link.insert(1, "-shared")
    run_process(link, log_path=log_path, timeout_s=timeout_s)
    os.replace(tmp_output, spec.output)
    stamp.write_text(key)
    return True


def sources_in(directory: Path, patterns: Sequence[str] = ("*.cpp",)) -> tuple[Path, ...]:
    """The sorted source files of a directory matching any of ``patterns``."""
    found: set[Path] = set()
    for pattern in patterns:
        found.update(directory.glob(pattern))
    return tuple(sorted(found))
