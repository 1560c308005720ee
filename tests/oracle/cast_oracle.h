// Ground-truth oracle for codesign.fixed.rawcast: the ap_fixed assignment
// `ap_fixed_base<W,I,S,Q,O> d = s;` from a fixed-point source, on raw integers.
// The (source, destination) pair grid is split in parts, each instantiated in its
// own translation unit (cast_a.cpp, cast_b.cpp, cast_c.cpp) so they compile in parallel.
#ifndef CODESIGN_TESTS_CAST_ORACLE_H_
#define CODESIGN_TESTS_CAST_ORACLE_H_

#include <cstdint>
#include <vector>

// X(W2, I2, S2, W, I, S): source ap_fixed_base<W2, I2, S2>, destination <W, I, S>.
// Narrowing by many bits, widening, negative I, I > W, W = 1, signed <-> unsigned,
// and 62-bit types (the widest cast_raw supports).
#define CODESIGN_CAST_PAIRS_A(X)                                                          \
  X(8, 3, 1, 4, 2, 1) X(8, 3, 1, 4, 2, 0) X(8, 3, 0, 4, 2, 1) X(8, 3, 0, 4, 2, 0)           \
  X(8, 3, 1, 8, 3, 1) X(8, 3, 1, 8, 3, 0) X(8, 3, 0, 8, 3, 1) X(8, 3, 1, 16, 6, 1)          \
  X(8, 3, 0, 16, 6, 0) X(8, 3, 1, 12, 2, 1) X(8, 3, 1, 1, 1, 1) X(8, 3, 1, 1, 0, 0)         \
  X(8, 3, 1, 1, -2, 1) X(8, 3, 0, 1, 4, 0) X(8, 3, 1, 3, -2, 1) X(8, 3, 1, 4, 7, 1)
#define CODESIGN_CAST_PAIRS_B(X)                                                          \
  X(1, 1, 1, 4, 2, 1) X(1, 1, 0, 4, 2, 1) X(1, 0, 1, 2, 1, 0) X(1, -3, 0, 3, -2, 1)         \
  X(4, -2, 1, 8, 0, 1) X(4, -2, 1, 2, -3, 1) X(4, -2, 1, 3, 1, 0) X(5, 9, 1, 4, 7, 1)       \
  X(5, 9, 0, 6, 9, 1) X(5, 9, 1, 3, 5, 0) X(16, 6, 1, 6, 3, 1) X(16, 6, 1, 6, 3, 0)         \
  X(16, 6, 0, 6, 3, 1) X(16, 6, 1, 10, -4, 0) X(16, 6, 1, 20, 30, 1) X(16, 8, 1, 16, 8, 1)
#define CODESIGN_CAST_PAIRS_C(X)                                                          \
  X(20, 12, 1, 8, 4, 1) X(24, -8, 1, 8, -12, 1) X(24, -8, 0, 8, -8, 1)                      \
  X(24, 10, 1, 2, 1, 1) X(32, 16, 1, 62, 31, 1) X(32, 16, 1, 1, 1, 1)                       \
  X(48, 40, 1, 12, 12, 1) X(48, 20, 1, 20, 10, 0) X(62, 31, 1, 62, 31, 0)                   \
  X(62, 31, 1, 16, 8, 1) X(62, 31, 0, 62, 40, 1) X(62, 20, 0, 8, 3, 1)                      \
  X(62, 62, 1, 32, 62, 1) X(62, -10, 1, 62, 20, 1) X(40, 45, 1, 6, 45, 1) X(12, 12, 1, 62, 0, 1)

// For every raw source value of `in` (two's complement, within the source range),
// appends the raw W-bit pattern of ap_fixed_base<W, I, S, Q, O> d = s to `out` for
// the 28 (Q, O) pairs, rounding-major (AP_TRN, AP_TRN_ZERO, AP_RND, AP_RND_ZERO,
// AP_RND_MIN_INF, AP_RND_INF, AP_RND_CONV) x (AP_WRAP, AP_SAT, AP_SAT_ZERO,
// AP_SAT_SYM), each mode's block holding all values in order.
template <int W2, int I2, bool S2, int W, int I, bool S>
void cast_all(const std::vector<int64_t>& in, std::vector<uint64_t>& out);

#endif  // CODESIGN_TESTS_CAST_ORACLE_H_
