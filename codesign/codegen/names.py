"""Validation of names that become C++ identifiers (beyond what the IR already checks)."""

from __future__ import annotations

from codesign.codegen.errors import CodegenError
from codesign.ir.validate import CPP_KEYWORDS, IDENTIFIER_RE

RESERVED = frozenset({"main", "NULL", "assert", "codesign", "hls", "std"})


def check_identifier(name: object, what: str) -> str:
    """``name`` when it is a safe C++ identifier, else CodegenError naming ``what``."""
    if not isinstance(name, str) or not IDENTIFIER_RE.fullmatch(name):
        raise CodegenError(f"{what} {name!r} is not a C++ identifier ([A-Za-z_][A-Za-z0-9_]*)")
    if name in CPP_KEYWORDS or name in RESERVED:
        raise CodegenError(f"{what} {name!r} is a C++ keyword or reserved name")
    if "__" in name or (name.startswith("_") and len(name) > 1 and name[1].isupper()):
        raise CodegenError(f"{what} {name!r} is reserved in C++ ('__' or '_' + capital)")
    return name
