// codesign/conv2d.h -- fixed-point 2-D convolution over a pixel stream.
//
// Config struct CFG:
//   static constexpr unsigned in_height, in_width, n_chan;   // input [n_chan, H, W]
//   static constexpr unsigned n_filt;                          // output channels
//   static constexpr unsigned kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w;
//   static constexpr unsigned out_height, out_width;           // checked against the above
//   static constexpr bool depthwise;     // false: groups = 1; true: groups = n_chan = n_filt
//   static constexpr unsigned reuse_factor;  // initiation interval per padded pixel (>= 1)
//   typedef ... input_t, weight_t, bias_t, accum_t, output_t;
// Streams: in  codesign::stream<codesign::array<input_t, n_chan>>, one beat per input
//          pixel, row-major; out codesign::stream<codesign::array<output_t, n_filt>>, one
//          beat per output pixel, row-major.
// Weights: `const weight_t w[...]` in the IR's order [n_filt][n_chan or 1][kh][kw]
//          flattened, or a K-hot table (codesign/khot.h) indexed the same way;
//          bias[n_filt] (zeros when the layer has none). Zero padding.
// Each padded position takes one pipelined iteration (II = reuse_factor, which lets
// HLS share multipliers across the iteration's cycles).
#ifndef CODESIGN_CONV2D_H
#define CODESIGN_CONV2D_H

#include "codesign/common.h"
#include "codesign/khot.h"
#include "codesign/stream.h"
#include "codesign/window.h"

namespace codesign {

namespace detail {

template <class CFG, class WEIGHTS>
void conv2d_body(stream<array<typename CFG::input_t, CFG::n_chan> >& in,
                 stream<array<typename CFG::output_t, CFG::n_filt> >& out, const WEIGHTS& weights,
                 const typename CFG::bias_t bias[CFG::n_filt]) {
#pragma HLS INLINE
    typedef array<typename CFG::input_t, CFG::n_chan> in_beat;
    typedef array<typename CFG::output_t, CFG::n_filt> out_beat;
    constexpr unsigned kh = CFG::kernel_h, kw = CFG::kernel_w;
    constexpr unsigned padded_h = CFG::in_height + 2 * CFG::pad_h;
    constexpr unsigned padded_w = CFG::in_width + 2 * CFG::pad_w;
    constexpr unsigned rf = CFG::reuse_factor;
    static_assert(rf >= 1, "reuse_factor is the initiation interval, >= 1");
    static_assert(CFG::out_height == (padded_h - kh) / CFG::stride_h + 1, "out_height");
    static_assert(CFG::out_width == (padded_w - kw) / CFG::stride_w + 1, "out_width");
    static_assert(!CFG::depthwise || CFG::n_chan == CFG::n_filt, "depthwise needs n_filt == n_chan");
    constexpr unsigned fan_in = CFG::depthwise ? kh * kw : CFG::n_chan * kh * kw;

    sliding_window<in_beat, kh, kw, padded_w> sw;
#pragma HLS ARRAY_PARTITION variable=sw.lines type=complete dim=1
#pragma HLS ARRAY_PARTITION variable=sw.window type=complete dim=0
    in_beat zero;
    for (unsigned c = 0; c < CFG::n_chan; ++c) {
#pragma HLS UNROLL
        zero.data[c] = 0;
    }
    for (unsigned py = 0; py < padded_h; ++py) {
        for (unsigned px = 0; px < padded_w; ++px) {
#pragma HLS PIPELINE II=rf
            const bool inside = py >= CFG::pad_h && py < CFG::pad_h + CFG::in_height &&
                                px >= CFG::pad_w && px < CFG::pad_w + CFG::in_width;
            const in_beat pixel = inside ? in.read() : zero;
            window_push(sw, pixel, px);
            if (window_output<kh, kw, CFG::stride_h, CFG::stride_w>(py, px)) {
                out_beat result;
                for (unsigned f = 0; f < CFG::n_filt; ++f) {
                    typename CFG::accum_t acc = bias[f];
                    for (unsigned c = 0; c < (CFG::depthwise ? 1u : CFG::n_chan); ++c) {
                        const unsigned ci = CFG::depthwise ? f : c;
                        for (unsigned ky = 0; ky < kh; ++ky) {
                            for (unsigned kx = 0; kx < kw; ++kx) {
                                acc += multiply<typename CFG::accum_t>(
                                    sw.window[ky][kx].data[ci], weights,
                                    f * fan_in + (c * kh + ky) * kw + kx);
                            }
                        }
                    }
                    result.data[f] = acc;  // the layer's one cast
                }
                out.write(result);
            }
        }
    }
}

}  // namespace detail

template <class CFG>
void conv2d(stream<array<typename CFG::input_t, CFG::n_chan> >& in,
            stream<array<typename CFG::output_t, CFG::n_filt> >& out,
            const typename CFG::weight_t (&weights)[CFG::n_filt * (CFG::depthwise ? 1 : CFG::n_chan) *
                                                   CFG::kernel_h * CFG::kernel_w],
            const typename CFG::bias_t bias[CFG::n_filt]) {
#pragma HLS INLINE off
#pragma HLS ARRAY_PARTITION variable=weights type=complete
#pragma HLS ARRAY_PARTITION variable=bias type=complete
    detail::conv2d_body<CFG>(in, out, weights, bias);
}

template <class CFG, class TABLE>
void conv2d(stream<array<typename CFG::input_t, CFG::n_chan> >& in,
            stream<array<typename CFG::output_t, CFG::n_filt> >& out, const khot_table<TABLE>& weights,
            const typename CFG::bias_t bias[CFG::n_filt]) {
#pragma HLS INLINE off
#pragma HLS ARRAY_PARTITION variable=bias type=complete
    detail::conv2d_body<CFG>(in, out, weights, bias);
}

}  // namespace codesign

#endif  // CODESIGN_CONV2D_H
