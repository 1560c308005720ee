"""The deploy bundle: what a board receives from a run directory (stdlib and numpy only).

Layout of a bundle directory (and of its ``.tar.gz``)::

    manifest.json          version, top, IP name, register offsets, buffers, packing, checksums
    ir/                    model.json, tensors.npz (the emulated device's reference)
    vectors/               inputs.txt, expected.txt, labels.txt (one sample per line, raw integers)
    hls/manifest.json      the generated project's manifest, as codegen wrote it
    bitstream/<top>.bit    and <top>.hwh, when the run built them

``load_bundle`` checks the version and the sha256 of every file before anything runs.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tarfile
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from codesign.runtime.packing import Layout

BUNDLE_VERSION = 1
"""The bundle format this runtime writes and reads."""

MANIFEST = "manifest.json"
VECTOR_FILES = ("inputs.txt", "expected.txt", "labels.txt")
#: The ``mm`` top's s_axilite arguments in declaration order, with their widths in bits.
MM_ARGS = (("in", 64), ("out", 64), ("n", 32))
#: Control registers of a Vitis HLS s_axilite adapter (byte offsets).
CONTROL_REGISTERS = {"control": 0x00, "gie": 0x04, "ier": 0x08, "isr": 0x0C}
FIRST_ARG_OFFSET = 0x10


class BundleError(ValueError):
    """A bundle cannot be made or used; the message names the file."""


def vitis_register_offsets(args: tuple[tuple[str, int], ...] = MM_ARGS) -> dict[str, int]:
    """Byte offsets of s_axilite arguments by Vitis HLS's rule.

    Arguments follow the control registers from 0x10 in declaration order; each takes
    ``ceil(bits / 32)`` 32-bit data registers and one reserved register after them (so a
    64-bit pointer at 0x10 is followed by the next argument at 0x1c).
    """
    offsets, offset = {}, FIRST_ARG_OFFSET
    for name, bits in args:
        offsets[name] = offset
        offset += 4 * (-(-bits // 32) + 1)
    return offsets


def header_register_offsets(header: str, top: str) -> dict[str, int]:
    """Argument offsets from a generated ``x<top>_hw.h`` (``#define X<TOP>_<BUS>_ADDR_<ARG>_DATA``).

    Vitis renames C++ keywords (``in`` -> ``in_r``); both spellings map to the argument.
    """
    found: dict[str, int] = {}
    pattern = re.compile(rf"#define\s+X{re.escape(top.upper())}_\w*?ADDR_(\w+)_DATA\s+(0x[0-9a-fA-F]+|\d+)")
    for m in pattern.finditer(header):
        name = m.group(1).lower()
        for arg, _ in MM_ARGS:
            if name in (arg, f"{arg}_r"):
                found[arg] = int(m.group(2), 0)
    return found


@dataclass(frozen=True)
class BundleManifest:
    """The parsed ``manifest.json`` of a bundle.

    Attributes:
        top: the HLS top function.
        ip_name: the IP's instance name in the block design (``overlay.ip_dict`` key).
        board: the board the bitstream was built for (None: unknown, not checked).
        part: the FPGA part.
        registers: byte offsets: ``control``, ``gie``, ``ier``, ``isr`` and the arguments
            ``in``, ``out``, ``n``.
        register_source: where the argument offsets came from.
        input, output: the layouts of one image in the buffers (64-bit words).
        max_images: the most images one start may process (the m_axi depth).
        files: sha256 by relative path of every other file in the bundle.
        raw: the whole JSON object.
    """

    top: str
    ip_name: str
    board: str | None
    part: str
    registers: Mapping[str, int]
    register_source: str
    input: Layout
    output: Layout
    max_images: int
    files: Mapping[str, str]
    raw: Mapping[str, Any]

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], source: str = MANIFEST) -> "BundleManifest":
        """Parse and check a manifest dict; BundleError naming ``source`` otherwise."""
        if not isinstance(d, Mapping):
            raise BundleError(f"{source}: expected a JSON object")
        version = d.get("bundle_version")
        if version != BUNDLE_VERSION:
            raise BundleError(f"{source}: bundle version {version!r}, this runtime reads version "
                              f"{BUNDLE_VERSION}; rebuild the bundle with a matching codesign")
        try:
            buffers = d["buffers"]
            layouts = [Layout(tuple(buffers[k]["shape"]), buffers[k]["type"], buffers[k]["lane_bits"],
                              buffers[k]["words_per_image"]) for k in ("input", "output")]
            registers = {k: int(v) for k, v in d["registers"]["offsets"].items()}
            missing = sorted({*CONTROL_REGISTERS, *(a for a, _ in MM_ARGS)} - set(registers))
            if missing:
                raise BundleError(f"{source}: registers.offsets lacks {missing}")
            return cls(top=d["top"], ip_name=d["ip_name"], board=d.get("board"), part=d["part"],
                       registers=registers, register_source=d["registers"]["source"],
                       input=layouts[0], output=layouts[1], max_images=int(d["max_images"]),
                       files=dict(d["files"]), raw=d)
        except (KeyError, TypeError, ValueError) as e:
            if isinstance(e, BundleError):
                raise
            raise BundleError(f"{source}: malformed manifest ({type(e).__name__}: {e})") from e


@dataclass(frozen=True)
class Bundle:
    """A verified bundle directory.

    Attributes:
        path: the bundle directory.
        manifest: its manifest.
    """

    path: Path
    manifest: BundleManifest

    @property
    def bitstream(self) -> Path | None:
        """The ``.bit`` file, when the bundle has one."""
        rel = self.manifest.raw.get("bitstream")
        return self.path / rel if rel else None

    @property
    def hwh(self) -> Path | None:
        """The ``.hwh`` file, when the bundle has one."""
        rel = self.manifest.raw.get("hwh")
        return self.path / rel if rel else None

    @property
    def ir_dir(self) -> Path:
        """The IR directory (model.json, tensors.npz)."""
        return self.path / "ir"

    def vectors(self, name: str) -> np.ndarray:
        """Rows of raw integers (int64) of ``vectors/<name>.txt``."""
        return read_vectors(self.path / "vectors" / f"{name}.txt")


def read_vectors(path: Path) -> np.ndarray:
    """The shared vector format: one sample per line, raw integers separated by spaces."""
    try:
        rows = [[int(v) for v in line.split()] for line in path.read_text().splitlines() if line.strip()]
    except ValueError as e:
        raise BundleError(f"{path}: not a vector file of raw integers ({e})") from e
    if len({len(r) for r in rows}) > 1:
        raise BundleError(f"{path}: rows have different lengths")
    return np.array(rows, dtype=np.int64).reshape(len(rows), -1)


def sha256_file(path: Path) -> str:
    """The hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _find_header(run_dir: Path, top: str) -> Path | None:
    headers = sorted(run_dir.rglob(f"x{top}_hw.h"))
    return headers[0] if headers else None


def _registers(run_dir: Path, top: str) -> dict[str, Any]:
    offsets = {**CONTROL_REGISTERS, **vitis_register_offsets()}
    source = "computed: Vitis HLS s_axilite rule (0x10 + per argument ceil(bits/32)+1 registers)"
    header = _find_header(run_dir, top)
    if header is not None:
        found = header_register_offsets(header.read_text(errors="replace"), top)
        missing = sorted({a for a, _ in MM_ARGS} - set(found))
        if missing:
            raise BundleError(f"{header}: no register offsets for arguments {missing}")
        offsets.update(found)
        source = f"driver header: {header.relative_to(run_dir)}"
    return {"source": source, "offsets": offsets}


def _buffer(entry: Mapping[str, Any], side: Mapping[str, Any]) -> dict[str, Any]:
    return {"name": entry["name"], "shape": list(entry["shape"]), "type": entry["type"], "port": entry["port"],
            "dtype": "uint64", "lane_bits": side["lane_bits"], "words_per_image": side["words_per_image"]}


def make_bundle(run_dir: Path | str, out_dir: Path | str, *, board: str | None = None,
                ip_name: str | None = None) -> Path:
    """Build the bundle of a run directory: ``out_dir`` and ``out_dir.tar.gz``, both atomically.

    Args:
        run_dir: ``results/runs/<flow>/<run-id>/`` with ``ir/``, ``vectors/``, ``hls/manifest.json``
            (``mm`` interface) and optionally ``bitstream/<top>.bit``/``.hwh`` and the generated
            driver header ``x<top>_hw.h`` anywhere below it (its register offsets win).
        out_dir: the bundle directory to (re)create.
        board: the board name recorded for the on-board check (None: not checked).
        ip_name: the IP instance name in the block design (default ``<top>_0``).

    Returns:
        ``out_dir``.

    Raises:
        BundleError: a missing or unusable input, naming the file.
    """
    run, out = Path(run_dir), Path(out_dir)
    hls_manifest_path = run / "hls" / "manifest.json"
    try:
        hls = json.loads(hls_manifest_path.read_text())
    except (OSError, ValueError) as e:
        raise BundleError(f"{hls_manifest_path}: cannot read the generated project's manifest ({e})") from e
    if hls.get("interface") != "mm" or "packing" not in hls:
        raise BundleError(f"{hls_manifest_path}: the board runtime drives the 'mm' interface; this project "
                          f"has interface {hls.get('interface')!r}")
    top = hls["top"]
    sources = {f"ir/{n}": run / "ir" / n for n in ("model.json", "tensors.npz")}
    sources.update({f"vectors/{n}": run / "vectors" / n for n in VECTOR_FILES})
    sources["hls/manifest.json"] = hls_manifest_path
    for rel, src in sources.items():
        if not src.is_file():
            raise BundleError(f"{src}: missing ({rel} of the bundle)")
    bit, hwh = run / "bitstream" / f"{top}.bit", run / "bitstream" / f"{top}.hwh"
    if bit.is_file() != hwh.is_file():
        raise BundleError(f"{bit if not bit.is_file() else hwh}: missing (a bitstream needs both .bit and .hwh)")
    if bit.is_file():
        sources[f"bitstream/{bit.name}"] = bit
        sources[f"bitstream/{hwh.name}"] = hwh
    packing = hls["packing"]
    manifest = {
        "bundle_version": BUNDLE_VERSION, "top": top, "ip_name": ip_name or f"{top}_0",
        "ip_vlnv": f"xilinx.com:hls:{top}:1.0", "board": board, "part": hls["part"],
        "clock_mhz": hls["clock_mhz"], "graph": hls["graph"], "ir_hash": hls["ir_hash"],
        "interface": "mm", "registers": _registers(run, top),
        "buffers": {"input": _buffer(hls["inputs"][0], packing["input"]),
                    "output": _buffer(hls["outputs"][0], packing["output"])},
        "packing": packing, "max_images": packing["max_images"],
        "bitstream": f"bitstream/{bit.name}" if bit.is_file() else None,
        "hwh": f"bitstream/{hwh.name}" if hwh.is_file() else None,
        "files": {rel: sha256_file(src) for rel, src in sorted(sources.items())},
    }
    BundleManifest.from_dict(manifest, str(hls_manifest_path))
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        for rel, src in sources.items():
            (staging / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, staging / rel)
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
        tar_tmp = staging.with_suffix(".tar.gz.tmp")
        with tarfile.open(tar_tmp, "w:gz") as tar:
            tar.add(staging, arcname=out.name)
        _replace_dir(staging, out)
        os.replace(tar_tmp, out.parent / f"{out.name}.tar.gz")
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        staging.with_suffix(".tar.gz.tmp").unlink(missing_ok=True)
    return out


def _replace_dir(new: Path, target: Path) -> None:
    """Move ``new`` to ``target``, replacing an existing directory (the old one moved aside first)."""
    if target.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old.", dir=target.parent))
        os.replace(target, old / target.name)
        os.replace(new, target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(new, target)


def _extract(archive: Path, dest: Path) -> Path:
    with tarfile.open(archive, "r:gz") as tar:
        members = tar.getmembers()
        for m in members:
            parts = Path(m.name).parts
            if m.name.startswith("/") or ".." in parts or not (m.isfile() or m.isdir()):
                raise BundleError(f"{archive}: unsafe archive member {m.name!r}")
        tops = {Path(m.name).parts[0] for m in members}
        if len(tops) != 1:
            raise BundleError(f"{archive}: expected one bundle directory, found {sorted(tops)}")
        tar.extractall(dest, members=members)
    return dest / tops.pop()


def load_bundle(path: Path | str, extract_to: Path | str | None = None) -> Bundle:
    """Open a bundle directory or ``.tar.gz`` and verify its version and every checksum.

    Args:
        path: the bundle directory or its ``.tar.gz``.
        extract_to: where a ``.tar.gz`` is unpacked (default: a new temporary directory).

    Raises:
        BundleError: a wrong version, a missing, unlisted or changed file (named).
    """
    p = Path(path)
    if p.is_file() and p.name.endswith(".tar.gz"):
        p = _extract(p, Path(extract_to) if extract_to else Path(tempfile.mkdtemp(prefix="codesign-bundle-")))
    manifest_path = p / MANIFEST
    try:
        data = json.loads(manifest_path.read_text())
    except (OSError, ValueError) as e:
        raise BundleError(f"{manifest_path}: cannot read the bundle manifest ({e})") from e
    manifest = BundleManifest.from_dict(data, str(manifest_path))
    for rel, digest in manifest.files.items():
        f = p / rel
        if not f.is_file():
            raise BundleError(f"{f}: listed in the manifest but missing from the bundle")
        if sha256_file(f) != digest:
            raise BundleError(f"{f}: checksum mismatch (the file is corrupted or was changed)")
    listed = set(manifest.files) | {MANIFEST}
    extra = sorted(str(f.relative_to(p)) for f in p.rglob("*") if f.is_file() and
                   str(f.relative_to(p).as_posix()) not in listed)
    if extra:
        raise BundleError(f"{p / extra[0]}: not listed in the bundle manifest")
    return Bundle(p, manifest)
