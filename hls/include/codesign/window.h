// codesign/window.h -- line buffer and sliding window over a stream of pixels.
//
// Used by conv2d and binary_conv2d. The input is consumed row by row; the window walks
// the zero/pad_value-padded image (height + 2*pad_h) x (width + 2*pad_w), one padded
// position per call of push(); after the call, `window[ky][kx]` holds padded pixel
// (py - kh + 1 + ky, px - kw + 1 + kx), and output_ready() says whether that window
// is one of the strided output positions.
//
// PIXEL is the beat type (codesign::array<T, C> or ap_uint<C>).
#ifndef CODESIGN_WINDOW_H
#define CODESIGN_WINDOW_H

namespace codesign {

template <class PIXEL, unsigned KH, unsigned KW, unsigned PADDED_W>
struct sliding_window {
    // KH - 1 previous rows; one spare row keeps the array legal when KH == 1.
    PIXEL lines[KH > 1 ? KH - 1 : 1][PADDED_W];
    PIXEL window[KH][KW];
};

namespace detail {

// Shifts the window one column left and appends the column ending in `pixel` at
// padded column px, updating the line buffer.
template <class PIXEL, unsigned KH, unsigned KW, unsigned PADDED_W>
void window_push(sliding_window<PIXEL, KH, KW, PADDED_W>& sw, const PIXEL& pixel, unsigned px) {
#pragma HLS INLINE
    PIXEL column[KH];
#pragma HLS ARRAY_PARTITION variable=column type=complete
    for (unsigned ky = 0; ky + 1 < KH; ++ky) {
#pragma HLS UNROLL
        column[ky] = sw.lines[ky][px];
    }
    column[KH - 1] = pixel;
    for (unsigned ky = 0; ky + 1 < KH; ++ky) {
#pragma HLS UNROLL
        sw.lines[ky][px] = column[ky + 1];
    }
    for (unsigned ky = 0; ky < KH; ++ky) {
#pragma HLS UNROLL
        for (unsigned kx = 0; kx + 1 < KW; ++kx) {
#pragma HLS UNROLL
            sw.window[ky][kx] = sw.window[ky][kx + 1];
        }
        sw.window[ky][KW - 1] = column[ky];
    }
}

// Whether the window ending at padded (py, px) is an output position.
template <unsigned KH, unsigned KW, unsigned SH, unsigned SW>
bool window_output(unsigned py, unsigned px) {
#pragma HLS INLINE
    // Strides are compile-time constants: the modulo is a constant-divisor operation.
    return py + 1 >= KH && px + 1 >= KW && (py + 1 - KH) % SH == 0 && (px + 1 - KW) % SW == 0;
}

}  // namespace detail

}  // namespace codesign

#endif  // CODESIGN_WINDOW_H
