// codesign/batchnorm.h -- per-channel affine: out = cast(x * scale[c] + bias[c]).
//
// Config struct CFG:
//   static constexpr unsigned n_pixels, n_chan;  // a vector [N] is 1 pixel of N channels
//   typedef ... input_t, scale_t, bias_t, accum_t, output_t;
// accum_t holds x * scale + bias exactly; the assignment to output_t is the one cast.
// Streams: codesign::array<input_t, n_chan> in, codesign::array<output_t, n_chan> out,
// n_pixels beats each, one pixel per cycle.
// Scale: `const scale_t scale[n_chan]` (general multiply) or a K-hot table
// (codesign/khot.h) indexed by channel (shift-add, no DSP); bias[n_chan].
#ifndef CODESIGN_BATCHNORM_H
#define CODESIGN_BATCHNORM_H

#include "codesign/common.h"
#include "codesign/khot.h"
#include "codesign/stream.h"

namespace codesign {

namespace detail {

template <class CFG, class SCALE>
void batchnorm_body(stream<array<typename CFG::input_t, CFG::n_chan> >& in,
                    stream<array<typename CFG::output_t, CFG::n_chan> >& out, const SCALE& scale,
                    const typename CFG::bias_t bias[CFG::n_chan]) {
#pragma HLS INLINE
    for (unsigned p = 0; p < CFG::n_pixels; ++p) {
#pragma HLS PIPELINE II=1
        const array<typename CFG::input_t, CFG::n_chan> x = in.read();
        array<typename CFG::output_t, CFG::n_chan> y;
        for (unsigned c = 0; c < CFG::n_chan; ++c) {
            typename CFG::accum_t acc = multiply<typename CFG::accum_t>(x.data[c], scale, c);
            acc += bias[c];
            y.data[c] = acc;
        }
        out.write(y);
    }
}

}  // namespace detail

template <class CFG>
void batchnorm(stream<array<typename CFG::input_t, CFG::n_chan> >& in,
               stream<array<typename CFG::output_t, CFG::n_chan> >& out,
               const typename CFG::scale_t (&scale)[CFG::n_chan], const typename CFG::bias_t bias[CFG::n_chan]) {
#pragma HLS INLINE off
#pragma HLS ARRAY_PARTITION variable=scale type=complete
#pragma HLS ARRAY_PARTITION variable=bias type=complete
    detail::batchnorm_body<CFG>(in, out, scale, bias);
}

template <class CFG, class TABLE>
void batchnorm(stream<array<typename CFG::input_t, CFG::n_chan> >& in,
               stream<array<typename CFG::output_t, CFG::n_chan> >& out, const khot_table<TABLE>& scale,
               const typename CFG::bias_t bias[CFG::n_chan]) {
#pragma HLS INLINE off
#pragma HLS ARRAY_PARTITION variable=bias type=complete
    detail::batchnorm_body<CFG>(in, out, scale, bias);
}

}  // namespace codesign

#endif  // CODESIGN_BATCHNORM_H
