// Definition of cast_all, included by cast_a.cpp, cast_b.cpp and cast_c.cpp after
// they define CODESIGN_CAST_PART to one part of the pair grid.
#include <ap_fixed.h>

#include "cast_oracle.h"

namespace {

template <int W2, int I2, bool S2, int W, int I, bool S, ap_q_mode Q, ap_o_mode O>
void cast_mode(const std::vector<int64_t>& in, std::vector<uint64_t>& out) {
  for (int64_t raw : in) {
    ap_fixed_base<W2, I2, S2> s;
    s.setBits(static_cast<ap_ulong>(raw));  // keeps the low W2 bits
    ap_fixed_base<W, I, S, Q, O> d = s;
    out.push_back(d.range(W - 1, 0).to_uint64());
  }
}

template <int W2, int I2, bool S2, int W, int I, bool S, ap_q_mode Q>
void cast_rounding(const std::vector<int64_t>& in, std::vector<uint64_t>& out) {
  cast_mode<W2, I2, S2, W, I, S, Q, AP_WRAP>(in, out);
  cast_mode<W2, I2, S2, W, I, S, Q, AP_SAT>(in, out);
  cast_mode<W2, I2, S2, W, I, S, Q, AP_SAT_ZERO>(in, out);
  cast_mode<W2, I2, S2, W, I, S, Q, AP_SAT_SYM>(in, out);
}

}  // namespace

template <int W2, int I2, bool S2, int W, int I, bool S>
void cast_all(const std::vector<int64_t>& in, std::vector<uint64_t>& out) {
  cast_rounding<W2, I2, S2, W, I, S, AP_TRN>(in, out);
  cast_rounding<W2, I2, S2, W, I, S, AP_TRN_ZERO>(in, out);
  cast_rounding<W2, I2, S2, W, I, S, AP_RND>(in, out);
  cast_rounding<W2, I2, S2, W, I, S, AP_RND_ZERO>(in, out);
  cast_rounding<W2, I2, S2, W, I, S, AP_RND_MIN_INF>(in, out);
  cast_rounding<W2, I2, S2, W, I, S, AP_RND_INF>(in, out);
  cast_rounding<W2, I2, S2, W, I, S, AP_RND_CONV>(in, out);
}

#define CODESIGN_CAST_INSTANTIATE(W2, I2, S2, W, I, S) \
  template void cast_all<W2, I2, S2, W, I, S>(const std::vector<int64_t>&, std::vector<uint64_t>&);
CODESIGN_CAST_PART(CODESIGN_CAST_INSTANTIATE)
#undef CODESIGN_CAST_INSTANTIATE
