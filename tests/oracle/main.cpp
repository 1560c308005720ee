// Oracle command line (binary I/O is native little-endian):
//   oracle list                      one "W I S" line per compiled type
//   oracle quantize W I S IN OUT     IN: doubles; OUT: 28 * N uint64 raw patterns
//                                    (see quantize_all in oracle.h for the order)
//   oracle types                     "W1 I1 S1 W2 I2 S2 | mul W I S | add W I S | sub W I S"
//                                    for every pair of the pair grid: result types
//                                    of a*b, a+b and a-b as ap_fixed defines them.
#include <ap_fixed.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "binary_io.h"
#include "oracle.h"

namespace {

template <int W, int I, bool S>
constexpr bool signed_of(const ap_fixed_base<W, I, S>*) {
  return S;
}

template <typename T>
void print_result_type(const char* label) {
  std::printf(" | %s %d %d %d", label, T::width, T::iwidth,
              int(signed_of(static_cast<const T*>(nullptr))));
}

template <int W1, int I1, bool S1, int W2, int I2, bool S2>
void print_pair() {
  ap_fixed_base<W1, I1, S1> a;
  ap_fixed_base<W2, I2, S2> b;
  std::printf("%d %d %d %d %d %d", W1, I1, int(S1), W2, I2, int(S2));
  print_result_type<decltype(a * b)>("mul");
  print_result_type<decltype(a + b)>("add");
  print_result_type<decltype(a - b)>("sub");
  std::printf("\n");
}

#define CODESIGN_PAIR_GRID(X) X(1, 1) X(3, -2) X(4, 7) X(8, 3) X(12, 12) X(16, -4)

template <int W1, int I1>
void print_pairs_with() {
#define CODESIGN_PAIR_ROW(W2, I2)            \
  print_pair<W1, I1, true, W2, I2, true>();  \
  print_pair<W1, I1, true, W2, I2, false>(); \
  print_pair<W1, I1, false, W2, I2, true>(); \
  print_pair<W1, I1, false, W2, I2, false>();
  CODESIGN_PAIR_GRID(CODESIGN_PAIR_ROW)
#undef CODESIGN_PAIR_ROW
}

int usage() {
  std::fprintf(stderr, "usage: oracle list | oracle types | oracle quantize W I S IN OUT\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage();
  if (std::strcmp(argv[1], "list") == 0) {
#define CODESIGN_LIST(W, I) std::printf("%d %d 1\n%d %d 0\n", W, I, W, I);
    CODESIGN_ORACLE_GRID_A(CODESIGN_LIST)
    CODESIGN_ORACLE_GRID_B(CODESIGN_LIST)
#undef CODESIGN_LIST
    return 0;
  }
  if (std::strcmp(argv[1], "types") == 0) {
#define CODESIGN_PAIRS(W, I) print_pairs_with<W, I>();
    CODESIGN_PAIR_GRID(CODESIGN_PAIRS)
#undef CODESIGN_PAIRS
    return 0;
  }
  if (std::strcmp(argv[1], "quantize") != 0 || argc != 7) return usage();
  const int w = std::atoi(argv[2]);
  const int i = std::atoi(argv[3]);
  const bool s = std::atoi(argv[4]) != 0;
  std::vector<double> in;
  if (!oracle_io::read_values(argv[5], in)) {
    std::fprintf(stderr, "oracle: cannot read %s\n", argv[5]);
    return 1;
  }
  std::vector<uint64_t> out;
  out.reserve(in.size() * 28);
  bool found = false;
#define CODESIGN_DISPATCH(W, I)                     \
  if (!found && w == W && i == I) {                 \
    found = true;                                   \
    if (s) {                                        \
      quantize_all<W, I, true>(in, out);            \
    } else {                                        \
      quantize_all<W, I, false>(in, out);           \
    }                                               \
  }
  CODESIGN_ORACLE_GRID_A(CODESIGN_DISPATCH)
  CODESIGN_ORACLE_GRID_B(CODESIGN_DISPATCH)
#undef CODESIGN_DISPATCH
  if (!found) {
    std::fprintf(stderr, "oracle: type <%d,%d> is not in the compiled grid\n", w, i);
    return 2;
  }
  if (!oracle_io::write_values(argv[6], out)) {
    std::fprintf(stderr, "oracle: cannot write %s\n", argv[6]);
    return 1;
  }
  return 0;
}
