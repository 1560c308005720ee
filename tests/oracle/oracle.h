// Ground-truth oracle for codesign.fixed: what Xilinx's ap_fixed.h computes.
// The grid of (W, I) types is split in two halves, instantiated in separate
// translation units (quantize_a.cpp, quantize_b.cpp) so they compile in parallel.
#ifndef CODESIGN_TESTS_ORACLE_H_
#define CODESIGN_TESTS_ORACLE_H_

#include <cstdint>
#include <vector>

// Width 1 and 64, I < 0, I = 0, I > W, and everyday sizes.
#define CODESIGN_ORACLE_GRID_A(X) \
  X(1, 1) X(1, 0) X(1, -3) X(1, 4) X(2, 1) X(3, -2) X(4, 2) X(4, 0) X(4, 7) X(5, -4) X(8, 3) X(8, 8)
#define CODESIGN_ORACLE_GRID_B(X)                                                         \
  X(8, 12) X(10, -2) X(16, 6) X(24, -8) X(32, 16) X(40, 45) X(53, 20) X(63, 31) X(64, 32) \
  X(64, 64) X(64, -5) X(64, 70)

// For every value of `in`, appends the raw W-bit pattern of
// ap_fixed_base<W, I, S, Q, O>(value) to `out` for the 28 (Q, O) pairs,
// rounding-major (AP_TRN, AP_TRN_ZERO, AP_RND, AP_RND_ZERO, AP_RND_MIN_INF,
// AP_RND_INF, AP_RND_CONV) x (AP_WRAP, AP_SAT, AP_SAT_ZERO, AP_SAT_SYM),
// each mode's block holding all values in order.
template <int W, int I, bool S>
void quantize_all(const std::vector<double>& in, std::vector<uint64_t>& out);

#endif  // CODESIGN_TESTS_ORACLE_H_
