// codesign/vector_io.h -- testbench-only helpers: raw integers <-> beats and packed words.
//
// The vector format (docs/ir.md, DESIGN.md): a text file of raw integers, one sample per
// line, tensors in the IR's C-major order; binary values as -1/+1. In a beat, channel c of
// pixel p is raw value c * n_pixels + p of the tensor.
// Packed words follow codesign/mm.h (pixel-major, lane_bits per value).
// Not synthesizable on purpose (std::vector): never include it from a top.
#ifndef CODESIGN_VECTOR_IO_H
#define CODESIGN_VECTOR_IO_H

#include <vector>

#include "codesign/common.h"
#include "codesign/mm.h"

namespace codesign {

namespace tb {

template <class T, unsigned C>
void set_raw(array<T, C>& beat, unsigned c, long long raw) {
    beat.data[c] = from_raw<T>(ap_int<64>(raw));
}

template <int C>
void set_raw(ap_uint<C>& beat, unsigned c, long long raw) {
    beat[c] = raw > 0 ? 1 : 0;
}

template <class T, unsigned C>
long long get_raw(const array<T, C>& beat, unsigned c) {
    return raw_bits(beat.data[c]).to_int64();
}

template <int C>
long long get_raw(const ap_uint<C>& beat, unsigned c) {
    return beat[c] ? 1 : -1;
}

// The beats of one tensor whose raw values start at raw[offset].
template <class BEAT>
std::vector<BEAT> to_beats(const std::vector<long long>& raw, unsigned offset, unsigned n_pixels, unsigned n_chan) {
    std::vector<BEAT> beats(n_pixels);
    for (unsigned p = 0; p < n_pixels; ++p) {
        for (unsigned c = 0; c < n_chan; ++c) {
            set_raw(beats[p], c, raw[offset + c * n_pixels + p]);
        }
    }
    return beats;
}

// Appends the raw values of a tensor given as beats, in C-major order.
template <class BEAT>
void from_beats(const std::vector<BEAT>& beats, unsigned n_chan, std::vector<long long>& raw) {
    for (unsigned c = 0; c < n_chan; ++c) {
        for (unsigned p = 0; p < beats.size(); ++p) {
            raw.push_back(get_raw(beats[p], c));
        }
    }
}

// Beats -> packed words (codesign/mm.h layout) at words[0 .. ceil(values / lanes)).
template <class BEAT>
void pack(const std::vector<BEAT>& beats, unsigned n_chan, unsigned lane_bits, ap_uint<64>* words) {
    const unsigned per_word = 64 / lane_bits;
    unsigned v = 0;
    for (unsigned p = 0; p < beats.size(); ++p) {
        for (unsigned c = 0; c < n_chan; ++c, ++v) {
            if (v % per_word == 0) {
                words[v / per_word] = 0;
            }
            words[v / per_word] |= detail::lanes<BEAT>::get(beats[p], c) << ((v % per_word) * lane_bits);
        }
    }
}

template <class BEAT>
std::vector<BEAT> unpack(const ap_uint<64>* words, unsigned n_pixels, unsigned n_chan, unsigned lane_bits) {
    const unsigned per_word = 64 / lane_bits;
    std::vector<BEAT> beats(n_pixels);
    unsigned v = 0;
    for (unsigned p = 0; p < n_pixels; ++p) {
        for (unsigned c = 0; c < n_chan; ++c, ++v) {
            detail::lanes<BEAT>::set(beats[p], c, words[v / per_word] >> ((v % per_word) * lane_bits));
        }
    }
    return beats;
}

}  // namespace tb

}  // namespace codesign

#endif  // CODESIGN_VECTOR_IO_H
