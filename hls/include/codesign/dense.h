// codesign/dense.h -- fixed-point dense layer, out = cast(sum_i x[i] * w[o][i] + bias[o]).
//
// Config struct CFG:
//   static constexpr unsigned n_in, n_out;
//   static constexpr unsigned reuse_factor;   // dense_folded only; divides n_in
//   typedef ... input_t, weight_t, bias_t, accum_t, output_t;
// accum_t holds every product and partial sum exactly (F >= F(input)+F(weight), F >=
// F(bias), range for the fan-in); the only rounding/overflow is the final assignment
// to output_t (its own AP_Q / AP_O modes).
//
// Arguments: in[n_in], out[n_out] arrays (the fully unrolled form takes and returns
// arrays); weights either `const weight_t w[n_out * n_in]` indexed o * n_in + i (the
// IR's [M, N] order), or a K-hot table object (codesign/khot.h) indexed the same way;
// bias[n_out] (all zero when the layer has none).
//
// dense_latency: every product in parallel, one call per cycle when pipelined.
// dense_folded: n_out * n_in / reuse_factor multipliers, reuse_factor cycles (II=1
// each); cycle r handles inputs i = k * reuse_factor + r for every output.
#ifndef CODESIGN_DENSE_H
#define CODESIGN_DENSE_H

#include "codesign/common.h"
#include "codesign/khot.h"

namespace codesign {

namespace detail {

template <class CFG, class WEIGHTS>
void dense_latency_body(const typename CFG::input_t in[CFG::n_in],
                        typename CFG::output_t out[CFG::n_out], const WEIGHTS& weights,
                        const typename CFG::bias_t bias[CFG::n_out]) {
#pragma HLS INLINE
    for (unsigned o = 0; o < CFG::n_out; ++o) {
#pragma HLS UNROLL
        typename CFG::accum_t acc = bias[o];
        for (unsigned i = 0; i < CFG::n_in; ++i) {
#pragma HLS UNROLL
            acc += multiply<typename CFG::accum_t>(in[i], weights, o * CFG::n_in + i);
        }
        out[o] = acc;  // the layer's one cast
    }
}

template <class CFG, class WEIGHTS>
void dense_folded_body(const typename CFG::input_t in[CFG::n_in],
                       typename CFG::output_t out[CFG::n_out], const WEIGHTS& weights,
                       const typename CFG::bias_t bias[CFG::n_out]) {
#pragma HLS INLINE
    constexpr unsigned rf = CFG::reuse_factor;
    constexpr unsigned block = CFG::n_in / rf;
    static_assert(rf >= 1 && CFG::n_in % rf == 0, "reuse_factor must divide n_in");
    typename CFG::accum_t acc[CFG::n_out];
#pragma HLS ARRAY_PARTITION variable=acc type=complete
    for (unsigned o = 0; o < CFG::n_out; ++o) {
#pragma HLS UNROLL
        acc[o] = bias[o];
    }
    for (unsigned r = 0; r < rf; ++r) {
#pragma HLS PIPELINE II=1
        for (unsigned o = 0; o < CFG::n_out; ++o) {
            for (unsigned k = 0; k < block; ++k) {
                const unsigned i = k * rf + r;
                acc[o] += multiply<typename CFG::accum_t>(in[i], weights, o * CFG::n_in + i);
            }
        }
    }
    for (unsigned o = 0; o < CFG::n_out; ++o) {
#pragma HLS UNROLL
        out[o] = acc[o];
    }
}

}  // namespace detail

template <class CFG>
void dense_latency(const typename CFG::input_t in[CFG::n_in], typename CFG::output_t out[CFG::n_out],
                   const typename CFG::weight_t (&weights)[CFG::n_out * CFG::n_in],
                   const typename CFG::bias_t bias[CFG::n_out]) {
#pragma HLS INLINE
#pragma HLS ARRAY_PARTITION variable=in type=complete
#pragma HLS ARRAY_PARTITION variable=out type=complete
#pragma HLS ARRAY_PARTITION variable=weights type=complete
#pragma HLS ARRAY_PARTITION variable=bias type=complete
    detail::dense_latency_body<CFG>(in, out, weights, bias);
}

template <class CFG, class TABLE>
void dense_latency(const typename CFG::input_t in[CFG::n_in], typename CFG::output_t out[CFG::n_out],
                   const khot_table<TABLE>& weights, const typename CFG::bias_t bias[CFG::n_out]) {
#pragma HLS INLINE
#pragma HLS ARRAY_PARTITION variable=in type=complete
#pragma HLS ARRAY_PARTITION variable=out type=complete
#pragma HLS ARRAY_PARTITION variable=bias type=complete
    detail::dense_latency_body<CFG>(in, out, weights, bias);
}

template <class CFG>
void dense_folded(const typename CFG::input_t in[CFG::n_in], typename CFG::output_t out[CFG::n_out],
                  const typename CFG::weight_t (&weights)[CFG::n_out * CFG::n_in],
                  const typename CFG::bias_t bias[CFG::n_out]) {
#pragma HLS INLINE
    constexpr unsigned block = CFG::n_in / CFG::reuse_factor;
    constexpr unsigned lanes = CFG::n_out * block;
    static_assert(lanes >= 1 && CFG::n_in % CFG::reuse_factor == 0, "reuse_factor must divide n_in");
    // Cycle r reads in[k*rf + r] (bank k of a block partition) and weights
    // (o*block + k)*rf + r (bank o*block + k): every access of a cycle hits its own bank.
#pragma HLS ARRAY_PARTITION variable=in type=block factor=block
#pragma HLS ARRAY_PARTITION variable=weights type=block factor=lanes
#pragma HLS ARRAY_PARTITION variable=out type=complete
#pragma HLS ARRAY_PARTITION variable=bias type=complete
    detail::dense_folded_body<CFG>(in, out, weights, bias);
}

template <class CFG, class TABLE>
void dense_folded(const typename CFG::input_t in[CFG::n_in], typename CFG::output_t out[CFG::n_out],
                  const khot_table<TABLE>& weights, const typename CFG::bias_t bias[CFG::n_out]) {
#pragma HLS INLINE
    constexpr unsigned block = CFG::n_in / CFG::reuse_factor;
    static_assert(block >= 1 && CFG::n_in % CFG::reuse_factor == 0, "reuse_factor must divide n_in");
#pragma HLS ARRAY_PARTITION variable=in type=block factor=block
#pragma HLS ARRAY_PARTITION variable=out type=complete
#pragma HLS ARRAY_PARTITION variable=bias type=complete
    detail::dense_folded_body<CFG>(in, out, weights, bias);
}

}  // namespace codesign

#endif  // CODESIGN_DENSE_H
