// codesign/mm.h -- memory-mapped image I/O for `mm` tops: packed 64-bit words <-> beats.
//
// Packing (also written to manifest.json for the host): the raw values of one image, in
// pixel-major order (pixel p = y * W + x, then channel c), each occupying lane_bits bits
// (the type's width; 1 for binary, bit 1 meaning +1), lanes_per_word = 64 / lane_bits
// values per word, value v in word v / lanes_per_word at bit (v % lanes_per_word) *
// lane_bits, two's complement, unused high bits zero. Every image starts at a new word.
//
// CFG: static constexpr unsigned n_pixels, n_chan, lane_bits; typedef beat_t
//      (codesign::array<T, n_chan> or ap_uint<n_chan>).
// mm_read<CFG>(in, out): the image at `in` -> n_pixels beats.
// mm_write<CFG>(in, out): n_pixels beats -> the image at `out`.
#ifndef CODESIGN_MM_H
#define CODESIGN_MM_H

#include "codesign/common.h"
#include "codesign/stream.h"

namespace codesign {

namespace detail {

// Access to lane c of a beat as raw bits (low bits of a 64-bit word).
template <class BEAT>
struct lanes;

template <class T, unsigned C>
struct lanes<array<T, C> > {
    static ap_uint<64> get(const array<T, C>& beat, unsigned c) {
#pragma HLS INLINE
        ap_uint<64> field = 0;
        field.range(fixed_traits<T>::width - 1, 0) = raw_bits(beat.data[c]).range(fixed_traits<T>::width - 1, 0);
        return field;
    }
    static void set(array<T, C>& beat, unsigned c, const ap_uint<64>& field) {
#pragma HLS INLINE
        beat.data[c] = from_raw<T>(field);
    }
};

template <int C>
struct lanes<ap_uint<C> > {
    static ap_uint<64> get(const ap_uint<C>& beat, unsigned c) {
#pragma HLS INLINE
        return ap_uint<64>(beat[c]);
    }
    static void set(ap_uint<C>& beat, unsigned c, const ap_uint<64>& field) {
#pragma HLS INLINE
        beat[c] = field[0];
    }
};

}  // namespace detail

template <class CFG>
// lint: allow(pointer) the top's m_axi port, passed down unchanged (HLS maps it to the top's interface)
void mm_read(const ap_uint<64>* in, stream<typename CFG::beat_t>& out) {
#pragma HLS INLINE off
    constexpr unsigned per_word = 64 / CFG::lane_bits;
    static_assert(per_word >= 1, "a lane must fit a 64-bit word");
    ap_uint<64> word = 0;
    unsigned v = 0;
    for (unsigned p = 0; p < CFG::n_pixels; ++p) {
        typename CFG::beat_t beat;
        for (unsigned c = 0; c < CFG::n_chan; ++c) {
#pragma HLS PIPELINE II=1
            const unsigned slot = v % per_word;
            if (slot == 0) {
                word = in[v / per_word];
            }
            detail::lanes<typename CFG::beat_t>::set(beat, c, word >> (slot * CFG::lane_bits));
            ++v;
        }
        out.write(beat);
    }
}

template <class CFG>
// lint: allow(pointer) the top's m_axi port, passed down unchanged (HLS maps it to the top's interface)
void mm_write(stream<typename CFG::beat_t>& in, ap_uint<64>* out) {
#pragma HLS INLINE off
    constexpr unsigned per_word = 64 / CFG::lane_bits;
    static_assert(per_word >= 1, "a lane must fit a 64-bit word");
    constexpr unsigned n_values = CFG::n_pixels * CFG::n_chan;
    ap_uint<64> word = 0;
    unsigned v = 0;
    for (unsigned p = 0; p < CFG::n_pixels; ++p) {
        const typename CFG::beat_t beat = in.read();
        for (unsigned c = 0; c < CFG::n_chan; ++c) {
#pragma HLS PIPELINE II=1
            const unsigned slot = v % per_word;
            word |= detail::lanes<typename CFG::beat_t>::get(beat, c) << (slot * CFG::lane_bits);
            ++v;
            if (slot == per_word - 1 || v == n_values) {
                out[(v - 1) / per_word] = word;
                word = 0;
            }
        }
    }
}

}  // namespace codesign

#endif  // CODESIGN_MM_H
