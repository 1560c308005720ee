// codesign/pool.h -- average pooling (window = stride, no padding) and global average.
//
// avgpool2d CFG:
//   static constexpr unsigned in_height, in_width, n_chan, pool_h, pool_w;
//   static constexpr int divisor_log2;   // pool_h*pool_w == 2^divisor_log2, or -1
//   typedefs input_t, accum_t (holds the window sum exactly), output_t;
//   and, when divisor_log2 == -1, reciprocal_t (the reciprocal argument's type) and
//   product_t (holds sum * reciprocal exactly).
// global_avgpool CFG: in_height, in_width, n_chan, divisor_log2; the same typedefs.
//
// The sum s of a window is exact. A power-of-two divisor 2^k is a reinterpretation of s
// with k more fractional bits (exact, no hardware); otherwise s * reciprocal (exact
// product; a K-hot reciprocal table -- codesign/khot.h, one entry -- makes it shifts and
// adds). Then one cast to output_t.
// Streams: in codesign::array<input_t, n_chan> per input pixel (row-major); out
// codesign::array<output_t, n_chan> per output pixel (global: one beat).
#ifndef CODESIGN_POOL_H
#define CODESIGN_POOL_H

#include "codesign/common.h"
#include "codesign/khot.h"
#include "codesign/stream.h"

namespace codesign {

namespace detail {

// Stands in for the reciprocal of a power-of-two window.
struct no_reciprocal_t {};

// The window average of `sum` as output_t: sum / 2^divisor_log2, a reinterpretation of its
// bits with more fractional bits ...
template <class CFG, class ACC>
typename CFG::output_t window_average(const ACC& sum, no_reciprocal_t) {
#pragma HLS INLINE
    return from_raw<typename scaled_down<ACC, CFG::divisor_log2>::type>(raw_bits(sum));
}

// ... or sum times a K-hot reciprocal (entry 0 of its table): shifts and adds into product_t ...
template <class CFG, class ACC, class TABLE>
typename CFG::output_t window_average(const ACC& sum, const khot_table<TABLE>& reciprocal) {
#pragma HLS INLINE
    return multiply<typename CFG::product_t>(sum, reciprocal, 0);
}

// ... or sum * reciprocal, the exact product (a general multiplier).
template <class CFG, class ACC>
typename CFG::output_t window_average(const ACC& sum, const typename CFG::reciprocal_t& reciprocal) {
#pragma HLS INLINE
    return sum * reciprocal;
}

template <class CFG, class RECIPROCAL>
void avgpool2d_body(stream<array<typename CFG::input_t, CFG::n_chan> >& in,
                    stream<array<typename CFG::output_t, CFG::n_chan> >& out, const RECIPROCAL& reciprocal) {
#pragma HLS INLINE
    static_assert(CFG::in_height % CFG::pool_h == 0 && CFG::in_width % CFG::pool_w == 0,
                  "the pool window must tile the input");
    constexpr unsigned out_w = CFG::in_width / CFG::pool_w;
    typename CFG::accum_t sums[out_w][CFG::n_chan];
#pragma HLS ARRAY_PARTITION variable=sums type=complete dim=2
    for (unsigned y = 0; y < CFG::in_height; ++y) {
        for (unsigned x = 0; x < CFG::in_width; ++x) {
#pragma HLS PIPELINE II=1
            const array<typename CFG::input_t, CFG::n_chan> px = in.read();
            const unsigned ox = x / CFG::pool_w;
            const bool first = y % CFG::pool_h == 0 && x % CFG::pool_w == 0;
            const bool last = y % CFG::pool_h == CFG::pool_h - 1 && x % CFG::pool_w == CFG::pool_w - 1;
            array<typename CFG::output_t, CFG::n_chan> result;
            for (unsigned c = 0; c < CFG::n_chan; ++c) {
                typename CFG::accum_t s = first ? typename CFG::accum_t(0) : sums[ox][c];
                s += px.data[c];
                sums[ox][c] = s;
                result.data[c] = window_average<CFG>(s, reciprocal);
            }
            if (last) {
                out.write(result);
            }
        }
    }
}

template <class CFG, class RECIPROCAL>
void global_avgpool_body(stream<array<typename CFG::input_t, CFG::n_chan> >& in,
                         stream<array<typename CFG::output_t, CFG::n_chan> >& out, const RECIPROCAL& reciprocal) {
#pragma HLS INLINE
    typename CFG::accum_t sums[CFG::n_chan];
#pragma HLS ARRAY_PARTITION variable=sums type=complete
    for (unsigned c = 0; c < CFG::n_chan; ++c) {
#pragma HLS UNROLL
        sums[c] = 0;
    }
    for (unsigned p = 0; p < CFG::in_height * CFG::in_width; ++p) {
#pragma HLS PIPELINE II=1
        const array<typename CFG::input_t, CFG::n_chan> px = in.read();
        for (unsigned c = 0; c < CFG::n_chan; ++c) {
            sums[c] += px.data[c];
        }
    }
    array<typename CFG::output_t, CFG::n_chan> result;
    for (unsigned c = 0; c < CFG::n_chan; ++c) {
#pragma HLS UNROLL
        result.data[c] = window_average<CFG>(sums[c], reciprocal);
    }
    out.write(result);
}

}  // namespace detail

// Power-of-two window.
template <class CFG>
void avgpool2d(stream<array<typename CFG::input_t, CFG::n_chan> >& in,
               stream<array<typename CFG::output_t, CFG::n_chan> >& out) {
#pragma HLS INLINE off
    static_assert(CFG::divisor_log2 >= 0 && (1u << CFG::divisor_log2) == CFG::pool_h * CFG::pool_w,
                  "pool_h*pool_w must be 2^divisor_log2 (else pass the reciprocal)");
    detail::avgpool2d_body<CFG>(in, out, detail::no_reciprocal_t());
}

// Any window: average = sum * reciprocal, where the reciprocal is a CFG::reciprocal_t (one
// general multiplier per channel) or a K-hot table (shifts and adds, no multiplier).
template <class CFG, class RECIPROCAL>
void avgpool2d(stream<array<typename CFG::input_t, CFG::n_chan> >& in,
               stream<array<typename CFG::output_t, CFG::n_chan> >& out, const RECIPROCAL& reciprocal) {
#pragma HLS INLINE off
    static_assert(CFG::divisor_log2 < 0, "power-of-two windows take no reciprocal");
    detail::avgpool2d_body<CFG>(in, out, reciprocal);
}

template <class CFG>
void global_avgpool(stream<array<typename CFG::input_t, CFG::n_chan> >& in,
                    stream<array<typename CFG::output_t, CFG::n_chan> >& out) {
#pragma HLS INLINE off
    static_assert(CFG::divisor_log2 >= 0 && (1u << CFG::divisor_log2) == CFG::in_height * CFG::in_width,
                  "in_height*in_width must be 2^divisor_log2 (else pass the reciprocal)");
    detail::global_avgpool_body<CFG>(in, out, detail::no_reciprocal_t());
}

// Any window (see avgpool2d).
template <class CFG, class RECIPROCAL>
void global_avgpool(stream<array<typename CFG::input_t, CFG::n_chan> >& in,
                    stream<array<typename CFG::output_t, CFG::n_chan> >& out, const RECIPROCAL& reciprocal) {
#pragma HLS INLINE off
    static_assert(CFG::divisor_log2 < 0, "power-of-two windows take no reciprocal");
    detail::global_avgpool_body<CFG>(in, out, reciprocal);
}

}  // namespace codesign

#endif  // CODESIGN_POOL_H
