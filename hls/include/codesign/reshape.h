// codesign/reshape.h -- thermometer encoding, flatten, and the explicit stream fork.
//
// thermometer CFG:
//   static constexpr unsigned n_pixels, n_chan, n_thresholds;   // T = n_thresholds
//   typedef input_t;   // the unsigned pixel type, e.g. ap_uint<8>
//   in:  codesign::array<input_t, n_chan> per pixel;
//   out: ap_uint<n_chan * n_thresholds> per pixel, bit c*T + t set (+1) where
//        x[c] >= thresholds[t] (thresholds: `const input_t thresholds[T]`, input raw units).
//
// flatten CFG: static constexpr unsigned n_pixels, n_chan; typedef input_t.
//   Stream of n_pixels pixels [C, H, W] -> the [C*H*W] vector in C-major (torch) order,
//   element c * n_pixels + p = channel c of pixel p:
//   flatten:        codesign::array<input_t, n_chan> beats -> input_t out[n_chan*n_pixels];
//   flatten_binary: ap_uint<n_chan> beats -> ap_uint<n_chan*n_pixels> (same bit order).
//
// fork CFG: static constexpr unsigned n_beats; typedef beat_t.
//   Copies every beat of `in` to both outputs: the one place where a stream gets two
//   consumers (residual shortcuts), as its own dataflow process so that each stream
//   keeps exactly one producer and one consumer.
#ifndef CODESIGN_RESHAPE_H
#define CODESIGN_RESHAPE_H

#include "codesign/common.h"
#include "codesign/stream.h"

namespace codesign {

template <class CFG>
void thermometer(stream<array<typename CFG::input_t, CFG::n_chan> >& in,
                 stream<ap_uint<CFG::n_chan * CFG::n_thresholds> >& out,
                 const typename CFG::input_t thresholds[CFG::n_thresholds]) {
#pragma HLS INLINE off
#pragma HLS ARRAY_PARTITION variable=thresholds type=complete
    for (unsigned p = 0; p < CFG::n_pixels; ++p) {
#pragma HLS PIPELINE II=1
        const array<typename CFG::input_t, CFG::n_chan> x = in.read();
        ap_uint<CFG::n_chan * CFG::n_thresholds> planes;
        for (unsigned c = 0; c < CFG::n_chan; ++c) {
            for (unsigned t = 0; t < CFG::n_thresholds; ++t) {
                planes[c * CFG::n_thresholds + t] = x.data[c] >= thresholds[t] ? 1 : 0;
            }
        }
        out.write(planes);
    }
}

template <class CFG>
void flatten(stream<array<typename CFG::input_t, CFG::n_chan> >& in,
             typename CFG::input_t out[CFG::n_chan * CFG::n_pixels]) {
#pragma HLS INLINE off
    for (unsigned p = 0; p < CFG::n_pixels; ++p) {
#pragma HLS PIPELINE II=1
        const array<typename CFG::input_t, CFG::n_chan> x = in.read();
        for (unsigned c = 0; c < CFG::n_chan; ++c) {
            out[c * CFG::n_pixels + p] = x.data[c];
        }
    }
}

template <class CFG>
void flatten_binary(stream<ap_uint<CFG::n_chan> >& in, ap_uint<CFG::n_chan * CFG::n_pixels>& out) {
#pragma HLS INLINE off
    for (unsigned p = 0; p < CFG::n_pixels; ++p) {
#pragma HLS PIPELINE II=1
        const ap_uint<CFG::n_chan> x = in.read();
        for (unsigned c = 0; c < CFG::n_chan; ++c) {
            out[c * CFG::n_pixels + p] = x[c];
        }
    }
}

template <class CFG>
void fork(stream<typename CFG::beat_t>& in, stream<typename CFG::beat_t>& out1,
          stream<typename CFG::beat_t>& out2) {
#pragma HLS INLINE off
    for (unsigned b = 0; b < CFG::n_beats; ++b) {
#pragma HLS PIPELINE II=1
        const typename CFG::beat_t beat = in.read();
        out1.write(beat);
        out2.write(beat);
    }
}

}  // namespace codesign

#endif  // CODESIGN_RESHAPE_H
