"""Packing of raw integers into the mm top's 64-bit words (mm.h's layout)."""

from __future__ import annotations

import numpy as np
import pytest

from codesign.runtime.packing import Layout, PackingError, pack, unpack


def _layout(shape: tuple[int, ...], type_: str, bits: int) -> Layout:
    values = int(np.prod(shape))
    return Layout(shape, type_, bits, -(-values // (64 // bits)))


@pytest.mark.parametrize("shape,type_,bits", [
    ((12,), "ap_fixed<8,3>", 8), ((3, 2, 5), "ap_fixed<5,2>", 5), ((7,), "ap_ufixed<6,0>", 6),
    ((65,), "binary", 1), ((4, 3, 3), "binary", 1), ((3,), "ap_fixed<64,32>", 64), ((5,), "ap_fixed<33,3>", 33),
])
def test_round_trip(shape: tuple[int, ...], type_: str, bits: int) -> None:
    layout = _layout(shape, type_, bits)
    rng = np.random.default_rng(1)
    lo, hi = layout.raw_range
    raw = rng.choice([-1, 1], size=(6, *shape)) if layout.binary else rng.integers(lo, hi, size=(6, *shape),
                                                                                   endpoint=True)
    raw[0].flat[0], raw[1].flat[-1] = lo, hi
    words = pack(raw, layout)
    assert words.dtype == np.uint64 and words.shape == (6, layout.words_per_image)
    np.testing.assert_array_equal(unpack(words, layout), raw)


def test_lanes_pixel_major_and_twos_complement() -> None:
    layout = _layout((2, 1, 5), "ap_fixed<8,3>", 8)  # C=2 channels, 5 pixels, 10 values -> 2 words
    raw = np.array([[[[1, 2, 3, 4, 5]], [[-1, -2, -3, -4, -128]]]])
    words = pack(raw, layout)
    order = [1, -1, 2, -2, 3, -3, 4, -4, 5, -128]
    expected = [sum((v & 0xFF) << (8 * k) for k, v in enumerate(order[:8])),
                sum((v & 0xFF) << (8 * k) for k, v in enumerate(order[8:]))]
    assert [int(w) for w in words[0]] == expected


def test_lanes_never_straddle_words() -> None:
    layout = _layout((3,), "ap_fixed<40,8>", 40)  # one lane per word, 24 high bits unused
    words = pack(np.array([[-1, 2, -(1 << 39)]]), layout)
    assert [int(w) for w in words[0]] == [(1 << 40) - 1, 2, 1 << 39]


def test_binary_bits() -> None:
    layout = _layout((3,), "binary", 1)
    assert int(pack(np.array([[1, -1, 1]]), layout)[0, 0]) == 0b101


def test_out_of_range_and_shape_errors() -> None:
    layout = _layout((4,), "ap_fixed<4,2>", 4)
    with pytest.raises(PackingError, match="raw 8 is outside"):
        pack(np.array([[0, 8, 0, 0]]), layout)
    with pytest.raises(PackingError, match="-1/\\+1"):
        pack(np.array([[0, 1, 1]]), _layout((3,), "binary", 1))
    with pytest.raises(PackingError, match="expected \\(batch, 4\\)"):
        pack(np.zeros((2, 5), dtype=np.int64), layout)
    with pytest.raises(PackingError, match="words per image"):
        Layout((4,), "ap_fixed<4,2>", 4, 2)
