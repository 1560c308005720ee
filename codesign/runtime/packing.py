"""Raw integers <-> the 64-bit words of an ``mm`` top (numpy only).

The layout is the one ``hls/include/codesign/mm.h`` reads and writes and ``manifest.json``'s
``packing`` section describes: the raw values of one image in pixel-major order (pixel
``p = y * W + x``, then channel ``c``; an IR tensor ``[C, H, W]`` is read as ``H*W`` pixels of
``C`` channels, a vector ``[N]`` as one pixel), each value in ``lane_bits`` bits (two's
complement; binary tensors: 1 bit, 1 = +1), ``64 // lane_bits`` lanes per word, value ``v`` in
word ``v // lanes`` at bit ``(v % lanes) * lane_bits``, lanes never straddle words, unused bits
0, every image starting at a new word.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

WORD_BITS = 64
"""Bits of one memory word of the ``mm`` interface."""


class PackingError(ValueError):
    """Values that do not fit the layout (shape, range or word count)."""


@dataclass(frozen=True)
class Layout:
    """How one tensor's raw values sit in 64-bit words.

    Attributes:
        shape: the IR shape of one image (``[C, H, W]`` or ``[N]``).
        type: the IR type spelling (``ap_fixed<...>``, ``ap_ufixed<...>``, ``binary``).
        lane_bits: bits per value (1 for binary).
        words_per_image: 64-bit words one image occupies.
    """

    shape: tuple[int, ...]
    type: str
    lane_bits: int
    words_per_image: int

    def __post_init__(self) -> None:
        if not 1 <= self.lane_bits <= WORD_BITS:
            raise PackingError(f"lane_bits must be in 1..{WORD_BITS}, got {self.lane_bits}")
        if self.binary and self.lane_bits != 1:
            raise PackingError(f"a binary tensor takes 1-bit lanes, got lane_bits {self.lane_bits}")
        needed = math.ceil(self.values / self.lanes_per_word)
        if self.words_per_image != needed:
            raise PackingError(f"{self.values} values of {self.lane_bits} bits need {needed} words "
                               f"per image, the manifest says {self.words_per_image}")

    @property
    def binary(self) -> bool:
        """Binary tensor: raw -1/+1, one bit each."""
        return self.type == "binary"

    @property
    def signed(self) -> bool:
        """Two's complement lanes (``ap_fixed``/``ap_int``), else unsigned."""
        return not self.binary and not self.type.startswith(("ap_ufixed", "ap_uint"))

    @property
    def values(self) -> int:
        """Raw values per image."""
        return math.prod(self.shape)

    @property
    def lanes_per_word(self) -> int:
        """Values per 64-bit word."""
        return WORD_BITS // self.lane_bits

    @property
    def raw_range(self) -> tuple[int, int]:
        """The smallest and largest raw value a lane holds."""
        if self.binary:
            return -1, 1
        if self.signed:
            return -(1 << (self.lane_bits - 1)), (1 << (self.lane_bits - 1)) - 1
        return 0, (1 << self.lane_bits) - 1


def _pixel_major(raw: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """``(B, *shape)`` in IR order -> ``(B, values)`` pixel-major, channel fastest."""
    batch, channels = raw.shape[0], shape[0]
    return raw.reshape(batch, channels, -1).transpose(0, 2, 1).reshape(batch, -1)


def pack(raw: np.ndarray, layout: Layout) -> np.ndarray:
    """Pack a batch of raw integers into words.

    Args:
        raw: ``(B, *layout.shape)`` raw integers (or ``(B, values)`` flattened in IR order).
        layout: the tensor's layout.

    Returns:
        ``(B, words_per_image)`` uint64.

    Raises:
        PackingError: wrong size, or a value outside the lane's range (binary: not -1/+1).
    """
    x = np.asarray(raw)
    if x.dtype.kind not in "iub":
        raise PackingError(f"raw values must be integers, got dtype {x.dtype}")
    x = x.astype(np.int64)
    if x.ndim < 2 or math.prod(x.shape[1:]) != layout.values:
        raise PackingError(f"expected (batch, {layout.values}) values of shape {list(layout.shape)}, "
                           f"got an array of shape {list(x.shape)}")
    flat = _pixel_major(x.reshape(len(x), -1), layout.shape)
    lo, hi = layout.raw_range
    if flat.size:
        bad = (flat < lo) | (flat > hi) | ((flat == 0) if layout.binary else False)
        if bad.any():
            i, j = (int(k) for k in np.argwhere(bad)[0])
            allowed = "-1/+1" if layout.binary else f"[{lo}, {hi}]"
            raise PackingError(f"image {i}, value {j}: raw {int(flat[i, j])} is outside {allowed} "
                               f"of {layout.type}")
    lanes, bits = layout.lanes_per_word, layout.lane_bits
    fields = (flat > 0).astype(np.uint64) if layout.binary else flat.view(np.uint64)
    fields = fields & np.uint64((1 << bits) - 1)
    padded = np.zeros((len(x), layout.words_per_image * lanes), dtype=np.uint64)
    padded[:, :layout.values] = fields
    shifts = (np.arange(lanes, dtype=np.uint64) * np.uint64(bits))
    shifted = padded.reshape(len(x), layout.words_per_image, lanes) << shifts
    return np.bitwise_or.reduce(shifted, axis=2)


def unpack(words: np.ndarray, layout: Layout) -> np.ndarray:
    """Unpack words into raw integers.

    Args:
        words: ``(B, words_per_image)`` (or ``B * words_per_image`` flat) 64-bit words.
        layout: the tensor's layout.

    Returns:
        ``(B, *layout.shape)`` int64 raw integers in IR order (binary: -1/+1).

    Raises:
        PackingError: the word count is not a whole number of images.
    """
    w = np.asarray(words)
    if w.size % layout.words_per_image:
        raise PackingError(f"{w.size} words are not a whole number of images of "
                           f"{layout.words_per_image} words")
    w = w.reshape(-1, layout.words_per_image).astype(np.uint64)
    lanes, bits = layout.lanes_per_word, layout.lane_bits
    shifts = (np.arange(lanes, dtype=np.uint64) * np.uint64(bits))
    fields = (w[:, :, None] >> shifts) & np.uint64((1 << bits) - 1)
    fields = fields.reshape(len(w), -1)[:, :layout.values]
    if layout.binary:
        flat = np.where(fields == 1, 1, -1).astype(np.int64)
    elif layout.signed and bits < WORD_BITS:
        flat = fields.astype(np.int64)
        flat = np.where(flat >= (1 << (bits - 1)), flat - (1 << bits), flat)
    else:
        flat = fields.view(np.int64) if layout.signed else fields.astype(np.int64)
    channels = layout.shape[0]
    ir_order = flat.reshape(len(w), -1, channels).transpose(0, 2, 1)
    return ir_order.reshape(len(w), *layout.shape)
