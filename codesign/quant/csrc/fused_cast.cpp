// Fused single-pass training casts for codesign.quant (host CPU code, not HLS).
//
// A tensor of n = outer * groups * inner float32 elements, element k = (o*groups + g)*inner + i,
// carries one set of cast parameters per group g (a per-tensor type is groups = 1; per channel,
// groups = C and inner = H*W; per element, groups = C*H*W and inner = 1).
//
// cs_sat_cast_f32: out = clamp(round(x * scale[g]), raw_lo[g], raw_hi[g]) / scale[g], the
//   saturating ap_fixed cast in one pass. scale is a power of two, so x * scale and the final
//   division are exact; the rounding decision compares the exact fraction s - floor(s) with 1/2
//   (as codesign.fixed.cast does), so the result equals the exact cast for every rounding mode.
// cs_sat_cast_grad_f32: grad_x = grad where lo[g] <= x <= hi[g], else 0, and per group the sums
//   (in double) of grad*xq, grad_x*x and grad_x*xq, from which the quantizers form their
//   binary-point gradients, accumulated in row order: the result is deterministic.
//
// Both run on the calling thread. Spawning threads per call made training slower with two torch
// threads: torch's OpenMP workers keep spinning on the other cores for a while after each op, and
// the spawned threads contended with them (ResNet-20 QFX step, batch 128, 2 threads: 2.05x the float
// step with per-call threads, 1.68x without; results/bench_qat_overhead_2threads.csv and its README).
//
// Built with g++ -O3 -ffp-contract=off -fno-trapping-math: no fast-math (the rounding decision needs
// IEEE floats and no contraction); not trapping lets the compiler turn the selects into vector
// blends, which changes no result (nothing reads the floating-point exception flags).

#include <algorithm>
#include <cstdint>
#include <vector>

namespace {

enum RoundingCode { TRN = 0, TRN_ZERO = 1, RND = 2, RND_ZERO = 3, RND_MIN_INF = 4, RND_INF = 5, RND_CONV = 6 };

constexpr int64_t kMaxRowLength = 8192;
constexpr int64_t kMinRowLength = 256;
constexpr int kLanes = 8;
constexpr float kExact = 8388608.0f;    // 2**23: every float of at least this magnitude is an integer
constexpr float kBounded = 4194304.0f;  // 2**22

// floor and trunc for |v| <= 2**23 through an int32 conversion, which vectorizes on every
// target (SSE2 has no vector floor).
inline float trunc_small(float v) { return static_cast<float>(static_cast<int32_t>(v)); }
inline float floor_small(float v) {
  const float t = trunc_small(v);
  return t > v ? t - 1.0f : t;
}

// Rounds s (|s| <= 2**23) to an integer-valued float in rounding mode R.
template <int R>
inline float round_scaled(float s) {
  if (R == TRN) return floor_small(s);
  if (R == TRN_ZERO) return trunc_small(s);
  const float q = floor_small(s);
  const float d = s - q;  // exact: s and floor(s) share their exponent range
  // branch-free: (d > h) and (d == h) as 0/1 floats, so the loops vectorize
  const float above = d > 0.5f ? 1.0f : 0.0f;
  const float tie = d == 0.5f ? 1.0f : 0.0f;
  float up;
  if (R == RND) {
    up = above + tie;
  } else if (R == RND_ZERO) {
    up = above + tie * (q < 0.0f ? 1.0f : 0.0f);
  } else if (R == RND_MIN_INF) {
    up = above;
  } else if (R == RND_INF) {
    up = above + tie * (q >= 0.0f ? 1.0f : 0.0f);
  } else {
    up = above + tie * (q - 2.0f * floor_small(0.5f * q));  // q odd: 1
  }
  return q + up;
}

// The data as rows: with one parameter set per element (inner == 1) a row is one outer index
// (groups elements, parameter j for element j); otherwise a row is a block of `len` consecutive
// elements of one group (a divisor of inner).
struct Layout {
  int64_t rows, len, groups, parts;  // parts: rows per (outer, group) run; 0 for per-element
  bool per_element() const { return parts == 0; }
  int64_t group_of(int64_t row) const { return (row / parts) % groups; }
};

Layout make_layout(int64_t outer, int64_t groups, int64_t inner) {
  if (inner == 1 && groups > 1) return Layout{outer, groups, groups, 0};
  int64_t len = inner;
  if (inner > kMaxRowLength) {
    for (int64_t d = kMaxRowLength; d >= kMinRowLength; --d) {
      if (inner % d == 0) {
        len = d;
        break;
      }
    }
  }
  return Layout{outer * groups * (inner / len), len, groups, inner / len};
}

// Rounds and saturates s (x * scale, exact) to a raw integer value. BOUNDED: |lo|, |hi| <=
// 2**22, so s is first clamped to +-2**22, where s + 0.5 is exact and AP_RND is one floor.
// Otherwise (infinite bounds) s is clamped to +-2**23 for the rounding arithmetic and
// selected back unchanged beyond, where every float is an integer already. NaN stays NaN.
template <int R, bool BOUNDED>
inline float raw_cast(float s, float lo, float hi) {
  const float limit = BOUNDED ? kBounded : kExact;
  const float small = s < -limit ? -limit : (s > limit ? limit : s);
  float q = (R == RND && BOUNDED) ? floor_small(small + 0.5f) : round_scaled<R>(small);
  if (!BOUNDED) q = (s < -kExact || s > kExact) ? s : q;
  q = s == s ? q : s;
  q = q < lo ? lo : q;
  return q > hi ? hi : q;
}

template <int R, bool BOUNDED>
void cast_row(const float* __restrict x, float* __restrict out, int64_t len, float scale, float inv_scale,
              float lo, float hi) {
  for (int64_t j = 0; j < len; ++j) out[j] = raw_cast<R, BOUNDED>(x[j] * scale, lo, hi) * inv_scale;
}

template <int R, bool BOUNDED>
void cast_row_elementwise(const float* __restrict x, float* __restrict out, int64_t len,
                          const float* __restrict scale, const float* __restrict inv_scale,
                          const float* __restrict lo, const float* __restrict hi) {
  for (int64_t j = 0; j < len; ++j) out[j] = raw_cast<R, BOUNDED>(x[j] * scale[j], lo[j], hi[j]) * inv_scale[j];
}

template <int R, bool BOUNDED>
void sat_cast(const float* x, float* out, const Layout& layout, const float* scale, const float* lo,
              const float* hi) {
  std::vector<float> inverse(static_cast<size_t>(layout.groups));
  for (int64_t g = 0; g < layout.groups; ++g) inverse[g] = 1.0f / scale[g];  // exact: powers of two
  const float* inv_scale = inverse.data();
  const int64_t len = layout.len;
  for (int64_t row = 0; row < layout.rows; ++row) {
    if (layout.per_element()) {
      cast_row_elementwise<R, BOUNDED>(x + row * len, out + row * len, len, scale, inv_scale, lo, hi);
    } else {
      const int64_t g = layout.group_of(row);
      cast_row<R, BOUNDED>(x + row * len, out + row * len, len, scale[g], inv_scale[g], lo[g], hi[g]);
    }
  }
}

// One row of one group: masked gradient out, the three sums added to acc[0..2].
void grad_row(const float* grad, const float* x, const float* xq, float l, float h, float* grad_x, int64_t len,
              double* acc) {
  float gq[kLanes] = {}, mx[kLanes] = {}, mq[kLanes] = {};
  int64_t j = 0;
  for (; j + kLanes <= len; j += kLanes) {
    for (int lane = 0; lane < kLanes; ++lane) {
      const float xv = x[j + lane], g = grad[j + lane], qv = xq[j + lane];
      const float gm = (xv >= l && xv <= h) ? g : 0.0f;
      grad_x[j + lane] = gm;
      gq[lane] += g * qv;
      mx[lane] += gm * xv;
      mq[lane] += gm * qv;
    }
  }
  for (int lane = 0; j < len; ++j, ++lane) {
    const float xv = x[j], g = grad[j], qv = xq[j];
    const float gm = (xv >= l && xv <= h) ? g : 0.0f;
    grad_x[j] = gm;
    gq[lane] += g * qv;
    mx[lane] += gm * xv;
    mq[lane] += gm * qv;
  }
  for (int lane = 0; lane < kLanes; ++lane) {
    acc[0] += gq[lane];
    acc[1] += mx[lane];
    acc[2] += mq[lane];
  }
}

template <bool BOUNDED>
int sat_cast_mode(const float* x, float* out, const Layout& layout, const float* scale, const float* lo,
                  const float* hi, int rounding) {
  switch (rounding) {
    case TRN: sat_cast<TRN, BOUNDED>(x, out, layout, scale, lo, hi); return 0;
    case TRN_ZERO: sat_cast<TRN_ZERO, BOUNDED>(x, out, layout, scale, lo, hi); return 0;
    case RND: sat_cast<RND, BOUNDED>(x, out, layout, scale, lo, hi); return 0;
    case RND_ZERO: sat_cast<RND_ZERO, BOUNDED>(x, out, layout, scale, lo, hi); return 0;
    case RND_MIN_INF: sat_cast<RND_MIN_INF, BOUNDED>(x, out, layout, scale, lo, hi); return 0;
    case RND_INF: sat_cast<RND_INF, BOUNDED>(x, out, layout, scale, lo, hi); return 0;
    case RND_CONV: sat_cast<RND_CONV, BOUNDED>(x, out, layout, scale, lo, hi); return 0;
    default: return 1;
  }
}

}  // namespace

extern "C" {

// Returns 0 on success, 1 for an unknown rounding code.
int cs_sat_cast_f32(const float* x, float* out, int64_t outer, int64_t groups, int64_t inner, const float* scale,
                    const float* raw_lo, const float* raw_hi, int rounding) {
  const Layout layout = make_layout(outer, groups, inner);
  bool bounded = true;
  for (int64_t g = 0; g < groups; ++g) {
    bounded = bounded && raw_lo[g] >= -kBounded && raw_hi[g] <= kBounded;
  }
  return bounded ? sat_cast_mode<true>(x, out, layout, scale, raw_lo, raw_hi, rounding)
                 : sat_cast_mode<false>(x, out, layout, scale, raw_lo, raw_hi, rounding);
}

// sums: groups * 3 doubles (grad*xq, grad_x*x, grad_x*xq per group), overwritten.
void cs_sat_cast_grad_f32(const float* grad, const float* x, const float* xq, int64_t outer, int64_t groups,
                          int64_t inner, const float* lo, const float* hi, float* grad_x, double* sums) {
  const Layout layout = make_layout(outer, groups, inner);
  const int64_t len = layout.len;
  std::fill(sums, sums + groups * 3, 0.0);
  for (int64_t row = 0; row < layout.rows; ++row) {
    const int64_t off = row * len;
    if (layout.per_element()) {
      for (int64_t j = 0; j < len; ++j) {
        const float xv = x[off + j], g = grad[off + j], qv = xq[off + j];
        const float gm = (xv >= lo[j] && xv <= hi[j]) ? g : 0.0f;
        grad_x[off + j] = gm;
        sums[3 * j] += static_cast<double>(g) * qv;
        sums[3 * j + 1] += static_cast<double>(gm) * xv;
        sums[3 * j + 2] += static_cast<double>(gm) * qv;
      }
    } else {
      const int64_t grp = layout.group_of(row);
      grad_row(grad + off, x + off, xq + off, lo[grp], hi[grp], grad_x + off, len, sums + 3 * grp);
    }
  }
}

}  // extern "C"
