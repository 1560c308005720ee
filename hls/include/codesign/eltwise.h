// codesign/eltwise.h -- element-wise stream kernels: residual add and activations.
//
// All take n_pixels beats of one pixel each and handle a pixel per cycle (II=1).
//
// add CFG:      n_pixels, n_chan; typedefs input1_t, input2_t, accum_t, output_t.
//               out = cast(acc_t(a) + acc_t(b)) -- accum_t holds both aligned exactly.
// relu CFG:     n_pixels, n_chan; typedefs input_t, output_t.  out = cast(max(x, 0)).
// hardtanh CFG: n_pixels, n_chan; static constexpr long long min_raw, max_raw (in the
//               input's raw units); typedefs input_t, output_t.
//               out = cast(clamp(x, min_raw, max_raw)).
// sign CFG:     n_pixels, n_chan; typedef input_t. out beat ap_uint<n_chan>, bit c = 1
//               (+1) where x[c] >= 0, else 0 (-1).
// Fixed beats are codesign::array<T, n_chan>.
#ifndef CODESIGN_ELTWISE_H
#define CODESIGN_ELTWISE_H

#include "codesign/common.h"
#include "codesign/stream.h"

namespace codesign {

template <class CFG>
void add(stream<array<typename CFG::input1_t, CFG::n_chan> >& in1,
         stream<array<typename CFG::input2_t, CFG::n_chan> >& in2,
         stream<array<typename CFG::output_t, CFG::n_chan> >& out) {
#pragma HLS INLINE off
    for (unsigned p = 0; p < CFG::n_pixels; ++p) {
#pragma HLS PIPELINE II=1
        const array<typename CFG::input1_t, CFG::n_chan> a = in1.read();
        const array<typename CFG::input2_t, CFG::n_chan> b = in2.read();
        array<typename CFG::output_t, CFG::n_chan> y;
        for (unsigned c = 0; c < CFG::n_chan; ++c) {
            typename CFG::accum_t acc = a.data[c];
            acc += b.data[c];
            y.data[c] = acc;
        }
        out.write(y);
    }
}

template <class CFG>
void relu(stream<array<typename CFG::input_t, CFG::n_chan> >& in,
          stream<array<typename CFG::output_t, CFG::n_chan> >& out) {
#pragma HLS INLINE off
    for (unsigned p = 0; p < CFG::n_pixels; ++p) {
#pragma HLS PIPELINE II=1
        const array<typename CFG::input_t, CFG::n_chan> x = in.read();
        array<typename CFG::output_t, CFG::n_chan> y;
        for (unsigned c = 0; c < CFG::n_chan; ++c) {
            const typename CFG::input_t zero = 0;
            y.data[c] = x.data[c] < zero ? zero : x.data[c];
        }
        out.write(y);
    }
}

template <class CFG>
void hardtanh(stream<array<typename CFG::input_t, CFG::n_chan> >& in,
              stream<array<typename CFG::output_t, CFG::n_chan> >& out) {
#pragma HLS INLINE off
    typedef typename CFG::input_t in_t;
    const in_t lo = from_raw<in_t>(ap_int<64>(CFG::min_raw));
    const in_t hi = from_raw<in_t>(ap_int<64>(CFG::max_raw));
    for (unsigned p = 0; p < CFG::n_pixels; ++p) {
#pragma HLS PIPELINE II=1
        const array<in_t, CFG::n_chan> x = in.read();
        array<typename CFG::output_t, CFG::n_chan> y;
        for (unsigned c = 0; c < CFG::n_chan; ++c) {
            const in_t v = x.data[c] < lo ? lo : (x.data[c] > hi ? hi : x.data[c]);
            y.data[c] = v;
        }
        out.write(y);
    }
}

template <class CFG>
void sign(stream<array<typename CFG::input_t, CFG::n_chan> >& in, stream<ap_uint<CFG::n_chan> >& out) {
#pragma HLS INLINE off
    for (unsigned p = 0; p < CFG::n_pixels; ++p) {
#pragma HLS PIPELINE II=1
        const array<typename CFG::input_t, CFG::n_chan> x = in.read();
        ap_uint<CFG::n_chan> bits;
        for (unsigned c = 0; c < CFG::n_chan; ++c) {
            bits[c] = x.data[c] >= 0 ? 1 : 0;
        }
        out.write(bits);
    }
}

}  // namespace codesign

#endif  // CODESIGN_ELTWISE_H
