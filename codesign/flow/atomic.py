"""Atomic file-system updates: a reader sees the old content or the new, never a half-written one.

Files are written to a temporary sibling, flushed to disk and renamed over the target; whole
directories are built elsewhere and swapped in with :func:`replace_path`.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Any


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (temporary sibling, fsync, rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    """Write UTF-8 ``text`` to ``path`` atomically."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: Path, data: Any) -> None:
    """Write ``data`` as indented JSON to ``path`` atomically."""
    atomic_write_text(path, json.dumps(data, indent=2, sort_keys=False) + "\n")


def remove_path(path: Path) -> None:
    """Remove a file, link or directory tree; nothing when it does not exist."""
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)


def replace_path(source: Path, target: Path, trash_dir: Path) -> None:
    """Move ``source`` (file or directory) to ``target``, replacing what is there.

    A file replaces a file in one rename. Otherwise the old target is first renamed into
    ``trash_dir`` (same file system), so ``target`` is at every moment absent, old or new;
    callers that must never trust an absent-or-old target record success only afterwards.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    if source.is_file() and not source.is_symlink() and (target.is_file() or not target.exists()):
        os.replace(source, target)
        return
    if target.exists() or target.is_symlink():
        trash_dir.mkdir(parents=True, exist_ok=True)
        doomed = trash_dir / f"{target.name}.{uuid.uuid4().hex}"
        os.replace(target, doomed)
        os.replace(source, target)
        remove_path(doomed)
    else:
        os.replace(source, target)


def link_tree(source: Path, target: Path) -> None:
    """Copy a file or directory tree as hard links where possible (plain copies otherwise).

    Safe because nothing in a run directory is modified in place: outputs are replaced by rename.
    """
    if source.is_dir():
        shutil.copytree(source, target, copy_function=_link_or_copy, symlinks=True)
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        _link_or_copy(str(source), str(target))


def _link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def atomic_symlink(target: str, link: Path) -> None:
    """Point the symbolic link ``link`` at ``target`` atomically (new link renamed over the old).

    Where symbolic links are not supported, ``link`` becomes a text file holding ``target``.
    """
    tmp = link.with_name(f".{link.name}.{uuid.uuid4().hex}")
    try:
        os.symlink(target, tmp)
    except OSError:
        if link.is_symlink():
            link.unlink()
        atomic_write_text(link, target + "\n")
        return
    os.replace(tmp, link)
