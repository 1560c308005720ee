// codesign/binary.h -- binary (XNOR-popcount) convolution and dense layers.
//
// Binary values are bits, 1 meaning +1 and 0 meaning -1. For an input bit vector a and
// a weight bit vector w of length fan_in, sum_i a_i * w_i = fan_in - 2 * popcount(a ^ w).
// That count is written as the RAW value of output_t (no cast: an output type with
// F = -s scales the count by 2^s for free); output_t must hold [-fan_in, fan_in].
//
// Folding: PE output channels in parallel, SIMD fan-in bits per cycle; one output pixel
// (or vector) takes (n_out / PE) * (fan_in / SIMD) cycles at II=1.
// Weights: `const ap_uint<SIMD> weights[PE][(n_out / PE) * (fan_in / SIMD)]`;
// output channel o = nf * PE + pe keeps its fan-in bits [sf*SIMD, sf*SIMD + SIMD) in
// weights[pe][nf * (fan_in / SIMD) + sf], bit b of the word = fan-in bit sf*SIMD + b.
//
// binary_conv2d CFG:
//   static constexpr unsigned in_height, in_width, n_chan, n_filt;
//   static constexpr unsigned kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w;
//   static constexpr unsigned out_height, out_width;
//   static constexpr int pad_value;              // -1 (pad bit 0) or +1 (pad bit 1)
//   static constexpr unsigned pe, simd;          // pe | n_filt, simd | kernel_h*kernel_w*n_chan
//   typedef ... output_t;
//   Streams: in  codesign::stream<ap_uint<n_chan>> (one pixel per beat, row-major);
//            out codesign::stream<codesign::array<output_t, n_filt>>.
//   Fan-in order: bit (ky * kernel_w + kx) * n_chan + c (window position major, channel
//   minor -- the order of the packed pixels in the window).
//
// binary_dense CFG:
//   static constexpr unsigned n_in, n_out, pe, simd;
//   typedef ... output_t;
//   Arguments: in, the packed vector ap_uint<n_in> (bit i = element i); out[n_out] array.
#ifndef CODESIGN_BINARY_H
#define CODESIGN_BINARY_H

#include "codesign/common.h"
#include "codesign/stream.h"
#include "codesign/window.h"

namespace codesign {

namespace detail {

// The XNOR-popcount matrix-vector product of one fan-in vector, folded PE x SIMD.
template <class OUT, unsigned N_OUT, unsigned FAN_IN, unsigned PE, unsigned SIMD>
void xnor_popcount(const ap_uint<FAN_IN>& bits, const ap_uint<SIMD> weights[PE][(N_OUT / PE) * (FAN_IN / SIMD)],
                   OUT out[N_OUT]) {
#pragma HLS INLINE
    static_assert(N_OUT % PE == 0, "pe must divide the number of output channels");
    static_assert(FAN_IN % SIMD == 0, "simd must divide the fan-in");
    constexpr unsigned nf_total = N_OUT / PE;
    constexpr unsigned sf_total = FAN_IN / SIMD;
    typedef ap_uint<bits_for(FAN_IN)> count_t;
    count_t mismatches[PE];
#pragma HLS ARRAY_PARTITION variable=mismatches type=complete
    unsigned nf = 0, sf = 0;
    for (unsigned t = 0; t < nf_total * sf_total; ++t) {
#pragma HLS PIPELINE II=1
        const ap_uint<SIMD> chunk = bits.range(sf * SIMD + SIMD - 1, sf * SIMD);
        for (unsigned pe = 0; pe < PE; ++pe) {
            const count_t previous = sf == 0 ? count_t(0) : mismatches[pe];
            mismatches[pe] = previous + popcount<SIMD>(chunk ^ weights[pe][nf * sf_total + sf]);
            if (sf == sf_total - 1) {
                const ap_int<bits_for(FAN_IN) + 2> count =
                    ap_int<bits_for(FAN_IN) + 2>(FAN_IN) - 2 * mismatches[pe];
                out[nf * PE + pe] = from_raw<OUT>(count);
            }
        }
        if (sf == sf_total - 1) {
            sf = 0;
            ++nf;
        } else {
            ++sf;
        }
    }
}

}  // namespace detail

template <class CFG>
void binary_conv2d(stream<ap_uint<CFG::n_chan> >& in, stream<array<typename CFG::output_t, CFG::n_filt> >& out,
                   const ap_uint<CFG::simd> weights[CFG::pe]
                                                   [(CFG::n_filt / CFG::pe) *
                                                    (CFG::kernel_h * CFG::kernel_w * CFG::n_chan / CFG::simd)]) {
#pragma HLS INLINE off
#pragma HLS ARRAY_PARTITION variable=weights type=complete dim=1
    typedef ap_uint<CFG::n_chan> in_beat;
    constexpr unsigned kh = CFG::kernel_h, kw = CFG::kernel_w, c = CFG::n_chan;
    constexpr unsigned padded_h = CFG::in_height + 2 * CFG::pad_h;
    constexpr unsigned padded_w = CFG::in_width + 2 * CFG::pad_w;
    constexpr unsigned fan_in = kh * kw * c;
    static_assert(CFG::pad_value == 1 || CFG::pad_value == -1, "pad_value is -1 or +1");
    static_assert(CFG::out_height == (padded_h - kh) / CFG::stride_h + 1, "out_height");
    static_assert(CFG::out_width == (padded_w - kw) / CFG::stride_w + 1, "out_width");

    sliding_window<in_beat, kh, kw, padded_w> sw;
#pragma HLS ARRAY_PARTITION variable=sw.lines type=complete dim=1
#pragma HLS ARRAY_PARTITION variable=sw.window type=complete dim=0
    // -1 pads with 0 bits, +1 with 1 bits.
    const in_beat pad = CFG::pad_value > 0 ? in_beat(~in_beat(0)) : in_beat(0);
    for (unsigned py = 0; py < padded_h; ++py) {
        for (unsigned px = 0; px < padded_w; ++px) {
            const bool inside = py >= CFG::pad_h && py < CFG::pad_h + CFG::in_height &&
                                px >= CFG::pad_w && px < CFG::pad_w + CFG::in_width;
            const in_beat pixel = inside ? in.read() : pad;
            detail::window_push(sw, pixel, px);
            if (detail::window_output<kh, kw, CFG::stride_h, CFG::stride_w>(py, px)) {
                ap_uint<fan_in> bits;
                for (unsigned k = 0; k < kh * kw; ++k) {
#pragma HLS UNROLL
                    bits.range(k * c + c - 1, k * c) = sw.window[k / kw][k % kw];
                }
                array<typename CFG::output_t, CFG::n_filt> result;
                detail::xnor_popcount<typename CFG::output_t, CFG::n_filt, fan_in, CFG::pe, CFG::simd>(
                    bits, weights, result.data);
                out.write(result);
            }
        }
    }
}

template <class CFG>
void binary_dense(const ap_uint<CFG::n_in>& in, typename CFG::output_t out[CFG::n_out],
                  const ap_uint<CFG::simd> weights[CFG::pe][(CFG::n_out / CFG::pe) * (CFG::n_in / CFG::simd)]) {
#pragma HLS INLINE
#pragma HLS ARRAY_PARTITION variable=weights type=complete dim=1
#pragma HLS ARRAY_PARTITION variable=out type=complete
    detail::xnor_popcount<typename CFG::output_t, CFG::n_out, CFG::n_in, CFG::pe, CFG::simd>(in, weights, out);
}

}  // namespace codesign

#endif  // CODESIGN_BINARY_H
