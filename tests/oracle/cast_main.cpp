// Cast oracle command line (binary I/O is native little-endian):
//   cast_oracle list                          one "W2 I2 S2 W I S" line per compiled pair
//   cast_oracle cast W2 I2 S2 W I S IN OUT    IN: int64 raw source values;
//                                             OUT: 28 * N uint64 raw W-bit patterns
//                                             (see cast_all in cast_oracle.h for the order)
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "binary_io.h"
#include "cast_oracle.h"

namespace {

int usage() {
  std::fprintf(stderr, "usage: cast_oracle list | cast_oracle cast W2 I2 S2 W I S IN OUT\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage();
  if (std::strcmp(argv[1], "list") == 0) {
#define CODESIGN_LIST(W2, I2, S2, W, I, S) \
  std::printf("%d %d %d %d %d %d\n", W2, I2, S2, W, I, S);
    CODESIGN_CAST_PAIRS_A(CODESIGN_LIST)
    CODESIGN_CAST_PAIRS_B(CODESIGN_LIST)
    CODESIGN_CAST_PAIRS_C(CODESIGN_LIST)
#undef CODESIGN_LIST
    return 0;
  }
  if (std::strcmp(argv[1], "cast") != 0 || argc != 10) return usage();
  int key[6];
  for (int k = 0; k < 6; ++k) key[k] = std::atoi(argv[2 + k]);
  std::vector<int64_t> in;
  if (!oracle_io::read_values(argv[8], in)) {
    std::fprintf(stderr, "cast_oracle: cannot read %s\n", argv[8]);
    return 1;
  }
  std::vector<uint64_t> out;
  out.reserve(in.size() * 28);
  bool found = false;
#define CODESIGN_DISPATCH(W2, I2, S2, W, I, S)                                          \
  if (!found && key[0] == W2 && key[1] == I2 && key[2] == S2 && key[3] == W &&          \
      key[4] == I && key[5] == S) {                                                     \
    found = true;                                                                       \
    cast_all<W2, I2, S2, W, I, S>(in, out);                                             \
  }
  CODESIGN_CAST_PAIRS_A(CODESIGN_DISPATCH)
  CODESIGN_CAST_PAIRS_B(CODESIGN_DISPATCH)
  CODESIGN_CAST_PAIRS_C(CODESIGN_DISPATCH)
#undef CODESIGN_DISPATCH
  if (!found) {
    std::fprintf(stderr, "cast_oracle: pair is not in the compiled grid\n");
    return 2;
  }
  if (!oracle_io::write_values(argv[9], out)) {
    std::fprintf(stderr, "cast_oracle: cannot write %s\n", argv[9]);
    return 1;
  }
  return 0;
}
