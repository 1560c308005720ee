"""Plain data handed to the templates: config structs, weight arrays, K-hot tables, layers.

Nothing here holds C++ text beyond identifiers, type spellings and formatted numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Constant:
    """A ``static constexpr <ctype> <name> = <value>;`` member of a config struct."""

    ctype: str
    name: str
    value: str


@dataclass(frozen=True)
class Typedef:
    """A ``typedef <type> <name>;`` (global, or a member of a config struct)."""

    name: str
    type: str


@dataclass(frozen=True)
class Config:
    """A kernel's config struct."""

    name: str
    constants: tuple[Constant, ...]
    typedefs: tuple[Typedef, ...]


@dataclass(frozen=True)
class WeightArray:
    """A ``static const`` array (``dims`` empty: a scalar) initialised from ``rows``.

    ``rows`` holds one tuple per leading index for 2-D arrays, and a single tuple for 1-D
    arrays and scalars: value literals of ``ctype``, or, for packed binary words
    (``word_bits`` > 0, element type ``ap_uint<word_bits>``), the words as integers.
    """

    name: str
    ctype: str
    dims: tuple[int, ...]
    rows: tuple[tuple[str, ...], ...] | tuple[tuple[int, ...], ...]
    word_bits: int = 0


@dataclass(frozen=True)
class KhotEntry:
    """One weight of a K-hot table: its index and its (sign, absolute exponent) terms."""

    index: int
    terms: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class KhotTable:
    """A struct deriving from ``codesign::khot_table`` (docs/kernels.md)."""

    name: str
    entries: tuple[KhotEntry, ...]


@dataclass(frozen=True)
class Argument:
    """A parameter argument of a kernel call: an array/scalar name, or a table (``name()``)."""

    name: str
    table: bool = False


@dataclass(frozen=True)
class AuditEntry:
    """General multipliers of one layer.

    Attributes:
        general_products: constant multiplications per inference that need a general
            multiplier (neither binary, K-hot shift-add, zero, nor a power of two).
        multipliers: hardware multipliers after folding (products / reuse factor, rounded up).
        kind: how the layer multiplies (``none``, ``binary``, ``khot``, ``general``).
    """

    general_products: int
    multipliers: int
    kind: str


@dataclass(frozen=True)
class Layer:
    """Everything the templates need about one IR node.

    Attributes:
        name: the node name.
        op: the IR op.
        kernel: the templated kernel to call (``codesign::conv2d``).
        config: its config struct.
        typedefs: layer types beyond the tensors' (accumulator, weights, ...).
        arrays, tables: the layer's constants (weights/<node>.h).
        params: kernel arguments after the streams.
        delay_beats: input beats the kernel consumes before its first output (stream depths).
        in_pixels: input beats per image.
        parallelism: the resolved folding (manifest).
        audit: the multiplier audit entry.
    """

    name: str
    op: str
    kernel: str
    config: Config
    typedefs: tuple[Typedef, ...]
    arrays: tuple[WeightArray, ...]
    tables: tuple[KhotTable, ...]
    params: tuple[Argument, ...]
    delay_beats: int
    in_pixels: int
    parallelism: dict[str, int] = field(default_factory=dict)
    audit: AuditEntry = AuditEntry(0, 0, "none")
