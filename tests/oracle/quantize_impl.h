// Definition of quantize_all, included by quantize_a.cpp and quantize_b.cpp
// after they define CODESIGN_ORACLE_HALF to one half of the grid.
#include <ap_fixed.h>

#include "oracle.h"

namespace {

template <int W, int I, bool S, ap_q_mode Q, ap_o_mode O>
void quantize_mode(const std::vector<double>& in, std::vector<uint64_t>& out) {
  for (double x : in) {
    ap_fixed_base<W, I, S, Q, O> v = x;
    out.push_back(v.range(W - 1, 0).to_uint64());
  }
}

template <int W, int I, bool S, ap_q_mode Q>
void quantize_rounding(const std::vector<double>& in, std::vector<uint64_t>& out) {
  quantize_mode<W, I, S, Q, AP_WRAP>(in, out);
  quantize_mode<W, I, S, Q, AP_SAT>(in, out);
  quantize_mode<W, I, S, Q, AP_SAT_ZERO>(in, out);
  quantize_mode<W, I, S, Q, AP_SAT_SYM>(in, out);
}

}  // namespace

template <int W, int I, bool S>
void quantize_all(const std::vector<double>& in, std::vector<uint64_t>& out) {
  quantize_rounding<W, I, S, AP_TRN>(in, out);
  quantize_rounding<W, I, S, AP_TRN_ZERO>(in, out);
  quantize_rounding<W, I, S, AP_RND>(in, out);
  quantize_rounding<W, I, S, AP_RND_ZERO>(in, out);
  quantize_rounding<W, I, S, AP_RND_MIN_INF>(in, out);
  quantize_rounding<W, I, S, AP_RND_INF>(in, out);
  quantize_rounding<W, I, S, AP_RND_CONV>(in, out);
}

#define CODESIGN_ORACLE_INSTANTIATE(W, I)                                                   \
  template void quantize_all<W, I, true>(const std::vector<double>&, std::vector<uint64_t>&); \
  template void quantize_all<W, I, false>(const std::vector<double>&, std::vector<uint64_t>&);
CODESIGN_ORACLE_HALF(CODESIGN_ORACLE_INSTANTIATE)
#undef CODESIGN_ORACLE_INSTANTIATE
