"""The Jinja environment that renders the TCL scripts of the vendor tools, and atomic file output.

Templates (``hls/templates/tcl/*.tcl.j2``) hold the TCL text; Python builds the context. Every
value that reaches a script passes through one of the filters below, which either make it inert
in TCL or reject it:

- ``tcl``: a word (path, string) brace-quoted as ``{...}``; TCL substitutes nothing inside
  braces, and the value may hold no brace, backslash, ``$``, ``[``, ``]``, quote, ``;``,
  ``#`` or control character (so even a tool that re-evaluates the word finds nothing to run);
- ``tcl_name``: an identifier (C function, HLS port, project, cell), emitted as is;
- ``tcl_number``: a finite positive number, emitted in plain decimal.

A value that fails raises :class:`TclValueError` naming the value and the rule it broke.
"""

from __future__ import annotations

import math
import os
import re
import shutil
from pathlib import Path

import jinja2

#: The repository's TCL templates (templates are data of the source tree, like ``boards/``).
TCL_TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "hls" / "templates" / "tcl"

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_VLNV_PART = re.compile(r"[A-Za-z][A-Za-z0-9_.\-]*\Z")
_FORBIDDEN = frozenset('{}\\$[]";#')


class TclValueError(ValueError):
    """A value cannot be placed into a TCL script safely."""


def tcl_word(value: object) -> str:
    """``value`` (str, Path, number) as one brace-quoted TCL word.

    Raises:
        TclValueError: the value is empty or holds a character that could end the word or
            start a substitution (braces, backslash, ``$``, brackets, quote, ``;``, ``#``,
            control characters).
    """
    text = os.fspath(value) if isinstance(value, os.PathLike) else str(value)
    if not text:
        raise TclValueError("empty value cannot be placed into a TCL script")
    bad = sorted({ch for ch in text if ch in _FORBIDDEN or ord(ch) < 0x20 or ord(ch) == 0x7F})
    if bad:
        shown = ", ".join(repr(ch) for ch in bad)
        raise TclValueError(f"{text!r} holds characters not allowed in a TCL value: {shown}")
    return "{" + text + "}"


def tcl_name(value: object) -> str:
    """``value`` checked to be an identifier ``[A-Za-z_][A-Za-z0-9_]*`` and returned as is.

    Raises:
        TclValueError: anything else.
    """
    text = str(value)
    if not _NAME.match(text):
        raise TclValueError(f"{text!r} is not an identifier ([A-Za-z_][A-Za-z0-9_]*)")
    return text


def vlnv_part(value: object) -> str:
    """A vendor, library or version field of an IP VLNV (letters, digits, ``_ . -``).

    Raises:
        TclValueError: anything else (a colon would split the VLNV).
    """
    text = str(value)
    if not _VLNV_PART.match(text) and not re.fullmatch(r"[0-9]+(\.[0-9]+)*", text):
        raise TclValueError(f"{text!r} is not a valid IP vendor/library/version field")
    return text


def tcl_number(value: object) -> str:
    """A finite positive number in plain decimal (``10``, ``3.333``).

    Raises:
        TclValueError: not a number, not finite, or not positive.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TclValueError(f"{value!r} is not a number")
    if not math.isfinite(value) or value <= 0:
        raise TclValueError(f"{value!r} is not a finite positive number")
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return text


def tcl_environment(templates_dir: Path = TCL_TEMPLATES_DIR) -> jinja2.Environment:
    """A fresh Jinja environment over ``templates_dir`` with the TCL filters installed."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir)),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters["tcl"] = tcl_word
    env.filters["tcl_name"] = tcl_name
    env.filters["tcl_number"] = tcl_number
    env.filters["vlnv_part"] = vlnv_part
    return env


def render_tcl(template: str, context: dict[str, object]) -> str:
    """Render ``hls/templates/tcl/<template>`` with ``context``.

    Raises:
        TclValueError: a value of the context failed its filter.
        jinja2.UndefinedError: the template uses a name the context lacks.
    """
    return tcl_environment().get_template(template).render(**context)


def write_if_changed(path: Path, text: str) -> bool:
    """Write ``text`` to ``path`` atomically unless the file already holds exactly it.

    Returns:
        True when the file was (re)written.
    """
    try:
        if path.read_text(encoding="utf-8") == text:
            return False
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return True


def copy_atomic(source: Path, destination: Path) -> Path:
    """Copy ``source`` to ``destination`` through a temporary name, so no reader ever sees a
    half-copied file; returns ``destination``."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    tmp = destination.with_name(f".{destination.name}.tmp{os.getpid()}")
    shutil.copyfile(source, tmp)
    os.replace(tmp, destination)
    return destination
