// One-pass observation of a float64 tensor for codesign.nn.types.observed_type (host CPU code,
// not HLS): the smallest and largest nonzero value and the exponent of the lowest set bit over
// all nonzero values (each nonzero double is m * 2**e with an odd integer m; the result is the
// smallest such e). Read from the IEEE-754 bits, so it is exact for normal and subnormal values.

#include <cstdint>
#include <cstring>

extern "C" {

// Returns the number of nonzero values (lo, hi and lowest_exp are untouched when it is 0), or -1
// when a value is NaN or infinite.
int64_t cs_observe_f64(const double* x, int64_t n, double* lo, double* hi, int64_t* lowest_exp) {
  int64_t nonzero = 0;
  double min_v = 0.0, max_v = 0.0;
  int64_t min_e = INT64_MAX;
  for (int64_t k = 0; k < n; ++k) {
    const double v = x[k];
    if (v == 0.0) continue;
    uint64_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    const int64_t biased = static_cast<int64_t>((bits >> 52) & 0x7ff);
    if (biased == 0x7ff) return -1;
    uint64_t mantissa = bits & ((uint64_t{1} << 52) - 1);
    int64_t e = -1074;  // subnormal: value = mantissa * 2**-1074
    if (biased != 0) {
      mantissa |= uint64_t{1} << 52;
      e = biased - 1075;
    }
    e += __builtin_ctzll(mantissa);
    if (e < min_e) min_e = e;
    if (nonzero == 0 || v < min_v) min_v = v;
    if (nonzero == 0 || v > max_v) max_v = v;
    ++nonzero;
  }
  if (nonzero > 0) {
    *lo = min_v;
    *hi = max_v;
    *lowest_exp = min_e;
  }
  return nonzero;
}

}  // extern "C"
