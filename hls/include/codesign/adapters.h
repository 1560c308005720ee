// codesign/adapters.h -- stream forms of the array kernels, for dataflow tops.
//
// A vector [N] travels as one beat: codesign::array<T, N> (fixed) or ap_uint<N> (binary).
//
// dense_stream<CFG>(in, out, weights, bias): one beat in, one beat out; CFG as in
//   codesign/dense.h plus `static constexpr bool folded` (false: dense_latency, true:
//   dense_folded with CFG::reuse_factor). weights: an array or a K-hot table.
// binary_dense_stream<CFG>(in, out, weights): ap_uint<n_in> beat in, array beat out;
//   CFG as binary_dense in codesign/binary.h.
// flatten_stream<CFG>(in, out): n_pixels beats of array<input_t, n_chan> in, one beat
//   array<input_t, n_chan * n_pixels> out, C-major order (codesign/reshape.h flatten).
// flatten_binary_stream<CFG>(in, out): the same for ap_uint beats.
#ifndef CODESIGN_ADAPTERS_H
#define CODESIGN_ADAPTERS_H

#include "codesign/binary.h"
#include "codesign/common.h"
#include "codesign/dense.h"
#include "codesign/reshape.h"
#include "codesign/stream.h"

namespace codesign {

namespace detail {

// Picks the dense form at compile time.
template <bool FOLDED>
struct dense_form;

template <>
struct dense_form<false> {
    template <class CFG, class WEIGHTS>
    static void run(const typename CFG::input_t in[CFG::n_in], typename CFG::output_t out[CFG::n_out],
                    const WEIGHTS& weights, const typename CFG::bias_t bias[CFG::n_out]) {
#pragma HLS INLINE
        dense_latency<CFG>(in, out, weights, bias);
    }
};

template <>
struct dense_form<true> {
    template <class CFG, class WEIGHTS>
    static void run(const typename CFG::input_t in[CFG::n_in], typename CFG::output_t out[CFG::n_out],
                    const WEIGHTS& weights, const typename CFG::bias_t bias[CFG::n_out]) {
#pragma HLS INLINE
        dense_folded<CFG>(in, out, weights, bias);
    }
};

}  // namespace detail

template <class CFG, class WEIGHTS>
void dense_stream(stream<array<typename CFG::input_t, CFG::n_in> >& in,
                  stream<array<typename CFG::output_t, CFG::n_out> >& out, const WEIGHTS& weights,
                  const typename CFG::bias_t bias[CFG::n_out]) {
#pragma HLS INLINE off
    const array<typename CFG::input_t, CFG::n_in> x = in.read();
    array<typename CFG::output_t, CFG::n_out> y;
    detail::dense_form<CFG::folded>::template run<CFG>(x.data, y.data, weights, bias);
    out.write(y);
}

template <class CFG>
void binary_dense_stream(
    stream<ap_uint<CFG::n_in> >& in, stream<array<typename CFG::output_t, CFG::n_out> >& out,
    const ap_uint<CFG::simd> weights[CFG::pe][(CFG::n_out / CFG::pe) * (CFG::n_in / CFG::simd)]) {
#pragma HLS INLINE off
    const ap_uint<CFG::n_in> x = in.read();
    array<typename CFG::output_t, CFG::n_out> y;
    binary_dense<CFG>(x, y.data, weights);
    out.write(y);
}

template <class CFG>
void flatten_stream(stream<array<typename CFG::input_t, CFG::n_chan> >& in,
                    stream<array<typename CFG::input_t, CFG::n_chan * CFG::n_pixels> >& out) {
#pragma HLS INLINE off
    array<typename CFG::input_t, CFG::n_chan * CFG::n_pixels> y;
    flatten<CFG>(in, y.data);
    out.write(y);
}

template <class CFG>
void flatten_binary_stream(stream<ap_uint<CFG::n_chan> >& in, stream<ap_uint<CFG::n_chan * CFG::n_pixels> >& out) {
#pragma HLS INLINE off
    ap_uint<CFG::n_chan * CFG::n_pixels> y;
    flatten_binary<CFG>(in, y);
    out.write(y);
}

}  // namespace codesign

#endif  // CODESIGN_ADAPTERS_H
