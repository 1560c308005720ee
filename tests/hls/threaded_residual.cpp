// A residual block as a dataflow region: fork -> conv2d (3x3, pad 1) -> add(conv, skip).
//
// The add needs the first skip beat together with the conv's first output, which comes
// only after the conv has read in_width + 2 pixels; so the skip FIFO must hold about
// that many beats. Built with -DSKIP_DEPTH=N; in threaded csim mode an undersized skip
// FIFO deadlocks and the watchdog names it, while sequential csim completes anyway.
// Prints the raw output values, one line per pixel.
#include <iostream>

#include "codesign/codesign.h"

#ifndef SKIP_DEPTH
#error "build with -DSKIP_DEPTH=<depth of the skip FIFO>"
#endif

typedef ap_fixed<8, 4, AP_RND, AP_SAT> act_t;
typedef codesign::array<act_t, 2> pixel_t;

struct fork_cfg {
    static constexpr unsigned n_beats = 36;
    typedef pixel_t beat_t;
};

struct conv_cfg {
    static constexpr unsigned in_height = 6, in_width = 6, n_chan = 2, n_filt = 2;
    static constexpr unsigned kernel_h = 3, kernel_w = 3, stride_h = 1, stride_w = 1, pad_h = 1, pad_w = 1;
    static constexpr unsigned out_height = 6, out_width = 6, reuse_factor = 1;
    static constexpr bool depthwise = false;
    typedef act_t input_t;
    typedef ap_fixed<4, 1> weight_t;
    typedef ap_fixed<8, 4> bias_t;
    typedef ap_fixed<20, 9> accum_t;
    typedef act_t output_t;
};

struct add_cfg {
    static constexpr unsigned n_pixels = 36, n_chan = 2;
    typedef act_t input1_t;
    typedef act_t input2_t;
    typedef ap_fixed<9, 5> accum_t;
    typedef act_t output_t;
};

static conv_cfg::weight_t weights[36];
static conv_cfg::bias_t bias[2];

void residual_block(codesign::stream<pixel_t>& in, codesign::stream<pixel_t>& out) {
#pragma HLS DATAFLOW
    CODESIGN_STREAM(main_path, 2, pixel_t);
    CODESIGN_STREAM(skip, SKIP_DEPTH, pixel_t);
    CODESIGN_STREAM(conv_out, 2, pixel_t);
    CODESIGN_DATAFLOW_BEGIN
    CODESIGN_PROCESS(fork, codesign::fork<fork_cfg>(in, main_path, skip));
    CODESIGN_PROCESS(conv, codesign::conv2d<conv_cfg>(main_path, conv_out, weights, bias));
    CODESIGN_PROCESS(add, codesign::add<add_cfg>(conv_out, skip, out));
    CODESIGN_DATAFLOW_END
}

int main() {
    for (int i = 0; i < 36; ++i) {
        weights[i] = codesign::from_raw<conv_cfg::weight_t>(ap_int<8>(i % 7 - 3));
    }
    bias[0] = codesign::from_raw<conv_cfg::bias_t>(ap_int<8>(5));
    bias[1] = codesign::from_raw<conv_cfg::bias_t>(ap_int<8>(-9));
    codesign::stream<pixel_t> in("in"), out("out");
    for (int p = 0; p < 36; ++p) {
        pixel_t px;
        px.data[0] = codesign::from_raw<act_t>(ap_int<8>(p * 5 % 61 - 30));
        px.data[1] = codesign::from_raw<act_t>(ap_int<8>(p * 11 % 53 - 26));
        in.write(px);
    }
    residual_block(in, out);
    for (int p = 0; p < 36; ++p) {
        const pixel_t px = out.read();
        std::cout << "pixel " << codesign::raw_bits(px.data[0]).to_int64() << ' '
                  << codesign::raw_bits(px.data[1]).to_int64() << '\n';
    }
    return 0;
}
