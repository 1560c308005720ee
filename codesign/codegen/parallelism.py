"""Per-layer folding: defaults and validation."""

from __future__ import annotations

from collections.abc import Mapping

from codesign.codegen.errors import CodegenError

KEYS = {
    "dense": ("reuse_factor",),
    "conv2d": ("reuse_factor",),
    "binary_conv2d": ("pe", "simd"),
    "binary_dense": ("pe", "simd"),
}
"""Which folding options each op takes (other ops take none)."""

MAX_DEFAULT_SIMD = 64


def largest_divisor_at_most(n: int, limit: int) -> int:
    """The largest divisor of ``n`` that is <= ``limit``."""
    return max(d for d in range(1, min(n, limit) + 1) if n % d == 0)


def resolve(node_name: str, op: str, given: Mapping[str, int] | None, *, n_in: int, n_out: int,
            fan_in: int) -> dict[str, int]:
    """The folding of one layer: ``given`` checked, missing keys filled with defaults.

    Defaults: reuse_factor 1 (fully parallel); pe = n_out, simd = the largest divisor of the
    fan-in up to 64.

    Raises:
        CodegenError: unknown keys, non-integers, or values that do not divide.
    """
    allowed = KEYS.get(op, ())
    given = dict(given or {})
    unknown = sorted(set(given) - set(allowed))
    if unknown:
        raise CodegenError(f"parallelism of {node_name!r} ({op}): unknown keys {unknown}; allowed: {list(allowed)}")
    for key, value in given.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise CodegenError(f"parallelism of {node_name!r}: {key} must be an integer >= 1, got {value!r}")
    out: dict[str, int] = {}
    if "reuse_factor" in allowed:
        rf = given.get("reuse_factor", 1)
        if op == "dense" and n_in % rf:
            raise CodegenError(f"parallelism of {node_name!r}: reuse_factor {rf} must divide n_in {n_in}")
        out["reuse_factor"] = rf
    if "pe" in allowed:
        pe = given.get("pe", n_out)
        simd = given.get("simd", largest_divisor_at_most(fan_in, MAX_DEFAULT_SIMD))
        if n_out % pe:
            raise CodegenError(f"parallelism of {node_name!r}: pe {pe} must divide the outputs {n_out}")
        if fan_in % simd:
            raise CodegenError(f"parallelism of {node_name!r}: simd {simd} must divide the fan-in {fan_in}")
        out.update(pe=pe, simd=simd)
    return out
