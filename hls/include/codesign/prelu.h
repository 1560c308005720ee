// codesign/prelu.h -- per-channel parametric ReLU: out = cast(x >= 0 ? x : x * slope[c]).
//
// Config struct CFG:
//   static constexpr unsigned n_pixels, n_chan;  // a vector [N] is 1 pixel of N channels
//   typedef ... input_t, slope_t, accum_t, output_t;
// accum_t holds x (aligned) and x * slope exactly; its assignment to output_t is the one
// cast. Streams: codesign::array<input_t, n_chan> in, codesign::array<output_t, n_chan>
// out, n_pixels beats each, one pixel per cycle.
// Slope: `const slope_t slope[n_chan]` (general multiply) or a K-hot table
// (codesign/khot.h) indexed by channel (shift-add, no DSP).
#ifndef CODESIGN_PRELU_H
#define CODESIGN_PRELU_H

#include "codesign/common.h"
#include "codesign/khot.h"
#include "codesign/stream.h"

namespace codesign {

namespace detail {

template <class CFG, class SLOPE>
void prelu_body(stream<array<typename CFG::input_t, CFG::n_chan> >& in,
                stream<array<typename CFG::output_t, CFG::n_chan> >& out, const SLOPE& slope) {
#pragma HLS INLINE
    for (unsigned p = 0; p < CFG::n_pixels; ++p) {
#pragma HLS PIPELINE II=1
        const array<typename CFG::input_t, CFG::n_chan> x = in.read();
        array<typename CFG::output_t, CFG::n_chan> y;
        for (unsigned c = 0; c < CFG::n_chan; ++c) {
            typename CFG::accum_t acc = x.data[c];
            if (x.data[c] < 0) {
                acc = multiply<typename CFG::accum_t>(x.data[c], slope, c);
            }
            y.data[c] = acc;  // the layer's one cast
        }
        out.write(y);
    }
}

}  // namespace detail

template <class CFG>
void prelu(stream<array<typename CFG::input_t, CFG::n_chan> >& in,
           stream<array<typename CFG::output_t, CFG::n_chan> >& out,
           const typename CFG::slope_t (&slope)[CFG::n_chan]) {
#pragma HLS INLINE off
#pragma HLS ARRAY_PARTITION variable=slope type=complete
    detail::prelu_body<CFG>(in, out, slope);
}

template <class CFG, class TABLE>
void prelu(stream<array<typename CFG::input_t, CFG::n_chan> >& in,
           stream<array<typename CFG::output_t, CFG::n_chan> >& out, const khot_table<TABLE>& slope) {
#pragma HLS INLINE off
    detail::prelu_body<CFG>(in, out, slope);
}

}  // namespace codesign

#endif  // CODESIGN_PRELU_H
