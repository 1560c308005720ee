"""Reading and writing an IR directory: ``model.json`` + ``tensors.npz`` (docs/ir.md).

``save`` writes both files into a temporary directory beside the target and renames it
into place, so a reader never sees a half-written IR. ``load`` validates everything and
raises ``IRError`` (never another exception) for any malformed content.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import zipfile
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from codesign.ir.errors import IRError
from codesign.ir.graph import BinaryType, Graph

MODEL_FILE = "model.json"
TENSORS_FILE = "tensors.npz"
_IR_FILES = frozenset({MODEL_FILE, TENSORS_FILE})


def save(graph: Graph, params: Mapping[str, np.ndarray] | None, path: str | os.PathLike[str]) -> Path:
    """Write ``graph`` to the directory ``path`` atomically.

    Args:
        graph: a validated graph.
        params: raw arrays by ``"<node>.<param>"`` to store instead of ``graph.params``
            (validated against the graph); None stores ``graph.params``.
        path: the IR directory; created, or replaced when it holds only IR files.

    Returns:
        The directory path.

    Raises:
        IRError: ``params`` do not fit the graph, or ``path`` exists and holds other files.
    """
    path = Path(path)
    if params is not None:
        graph = Graph.from_dict(graph.to_dict(), params, source=str(path / MODEL_FILE))
    if path.exists():
        if not path.is_dir():
            raise IRError(f"{path} exists and is not a directory")
        others = sorted(p.name for p in path.iterdir() if p.name not in _IR_FILES)
        if others:
            raise IRError(f"{path} holds files other than an IR ({others[0]!r}); refusing to "
                          "replace it")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.tmp", dir=path.parent))
    try:
        text = json.dumps(graph.to_dict(), indent=1) + "\n"
        (tmp / MODEL_FILE).write_text(text, encoding="utf-8")
        arrays = {}
        for node in graph.nodes:
            for key, spec in node.params.items():
                raw = graph.param(node, key)
                arrays[f"{node.name}.{key}"] = raw.astype(
                    np.int8 if isinstance(spec.type, BinaryType) else np.int64)
        with open(tmp / TENSORS_FILE, "wb") as f:
            np.savez(f, **arrays)
        if path.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{path.name}.old", dir=path.parent))
            os.replace(path, old / path.name)
            os.replace(tmp, path)
            shutil.rmtree(old)
        else:
            os.replace(tmp, path)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return path


def load(path: str | os.PathLike[str]) -> Graph:
    """Read and validate the IR directory ``path`` (with its params).

    Raises:
        IRError: a missing or unreadable file, malformed JSON, or any check of
            ``validate.validate_graph`` failing; the message names the file, node and field.
    """
    path = Path(path)
    model_path, tensors_path = path / MODEL_FILE, path / TENSORS_FILE
    data = _read_json(model_path)
    arrays = _read_npz(tensors_path)
    graph = Graph.from_dict(data, arrays, source=str(model_path), allow_inline_data=False)
    return graph


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _read_json(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise IRError("missing; an IR directory holds model.json and tensors.npz", file=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise IRError(f"cannot read: {exc}", file=str(path)) from None
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except ValueError as exc:  # JSONDecodeError is a ValueError
        raise IRError(f"invalid JSON: {exc}", file=str(path)) from None
    except RecursionError:
        raise IRError("invalid JSON: nested too deeply", file=str(path)) from None


def _read_npz(path: Path) -> dict[str, np.ndarray]:
    if not path.is_file():
        raise IRError("missing; an IR directory holds model.json and tensors.npz", file=str(path))
    try:
        with np.load(path, allow_pickle=False) as npz:
            return {key: npz[key] for key in npz.files}
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, zlib.error,
            NotImplementedError) as exc:
        raise IRError(f"cannot read the tensors: {type(exc).__name__}: {exc}", file=str(path)) from None
