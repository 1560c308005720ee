"""The content-hash cache: fingerprints of what a stage depends on, and stamps of its successes.

A stage's :class:`Fingerprint` holds its code version, its flattened config slice, a hash of each
input file or directory, a hash of each extra hash input and the names of its outputs. After a
successful run the runner writes a :class:`Stamp` (the fingerprint plus hashes of the outputs it
committed). The stage is cached while its current fingerprint equals the stamp's and its outputs
still hash as recorded; otherwise :func:`stale_reasons` says, in words, what changed.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from codesign.flow.atomic import atomic_write_json

_CHUNK = 1 << 20


def hash_path(path: Path) -> str | None:
    """SHA-256 of a file's content, or of a directory tree (names and contents); ``None`` when
    ``path`` does not exist."""
    if path.is_file():
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
        return digest.hexdigest()
    if path.is_dir():
        digest = hashlib.sha256(b"dir\0")
        for root, dirs, files in os.walk(path):
            dirs.sort()
            base = Path(root)
            rel = base.relative_to(path).as_posix()
            digest.update(f"d {rel}\0".encode())
            for name in sorted(files):
                digest.update(f"f {rel}/{name}\0{hash_path(base / name)}\0".encode())
        return digest.hexdigest()
    return None


def flatten_config(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested mappings flattened to dotted keys (``{"hls": {"top": "x"}}`` -> ``{"hls.top": "x"}``).

    Values must be JSON: they are normalised through JSON so a stamp compares equal after reading.
    """
    flat: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            flat.update(flatten_config(value, f"{name}."))
        else:
            flat[name] = json.loads(json.dumps(value))
    return flat


@dataclass(frozen=True)
class Fingerprint:
    """Everything a stage's outputs depend on.

    Attributes:
        version: the stage's code version.
        config: the config slice, flattened to dotted keys.
        inputs: hash of each input, by its name (relative path or absolute path).
        extra: hash (or literal string) of each extra hash input, by name.
        outputs: the declared outputs.
    """

    version: str
    config: dict[str, Any]
    inputs: dict[str, str]
    extra: dict[str, str]
    outputs: list[str]

    @property
    def key(self) -> str:
        """One SHA-256 over all of it."""
        text = json.dumps(asdict(self), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Stamp:
    """The record of a stage's last success (``.stamps/<stage>.json`` in the run directory).

    Attributes:
        key: the fingerprint's key.
        fingerprint: the fingerprint it ran with.
        output_hashes: hash of each output as committed.
        figures: the figures it returned.
        message: the message it returned.
        seconds: how long it ran.
        finished_at: ISO time of the success.
    """

    key: str
    fingerprint: Fingerprint
    output_hashes: dict[str, str]
    figures: dict[str, Any] = field(default_factory=dict)
    message: str = ""
    seconds: float = 0.0
    finished_at: str = ""


def write_stamp(path: Path, stamp: Stamp) -> None:
    """Write a stamp atomically."""
    atomic_write_json(path, asdict(stamp))


def read_stamp(path: Path) -> Stamp | None:
    """The stamp at ``path``, or ``None`` when it is missing or unreadable (then never trusted)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        fingerprint = Fingerprint(**data.pop("fingerprint"))
        stamp = Stamp(fingerprint=fingerprint, **data)
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None
    if stamp.key != fingerprint.key:
        return None
    return stamp


def _changed(kind: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    reasons = []
    for name in sorted(set(old) | set(new)):
        if name not in old:
            reasons.append(f"{kind} {name} added")
        elif name not in new:
            reasons.append(f"{kind} {name} removed")
        elif old[name] != new[name]:
            reasons.append(f"{kind} {name} changed")
    return reasons


def _config_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    reasons = []
    for name in sorted(set(old) | set(new)):
        if old.get(name, "<unset>") != new.get(name, "<unset>"):
            before = json.dumps(old[name]) if name in old else "unset"
            after = json.dumps(new[name]) if name in new else "unset"
            reasons.append(f"config {name} changed ({_clip(before)} -> {_clip(after)})")
    return reasons


def _clip(text: str) -> str:
    return text if len(text) <= 40 else text[:37] + "..."


def stale_reasons(
    fingerprint: Fingerprint, stamp: Stamp | None, run_dir: Path
) -> list[str]:
    """Why the stage must run again: empty when its stamp matches and its outputs are intact."""
    if stamp is None:
        return ["no successful run recorded"]
    old = stamp.fingerprint
    reasons: list[str] = []
    if old.version != fingerprint.version:
        reasons.append(f"code version changed ({old.version} -> {fingerprint.version})")
    reasons += _changed("input", old.inputs, fingerprint.inputs)
    reasons += _config_changes(old.config, fingerprint.config)
    reasons += _changed("extra", old.extra, fingerprint.extra)
    if old.outputs != fingerprint.outputs:
        reasons.append("declared outputs changed")
    if not reasons:
        for relpath, digest in stamp.output_hashes.items():
            current = hash_path(run_dir / relpath)
            if current is None:
                reasons.append(f"output {relpath} missing")
            elif current != digest:
                reasons.append(f"output {relpath} modified since it was made")
    return reasons
