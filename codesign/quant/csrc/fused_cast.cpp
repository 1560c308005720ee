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
// cs_affine_cast_f32 / cs_affine_cast_grad_f32: y = cast(a), a = x * p[c] + b[c] where x > 0, else
//   x * n[c] + b[c] (per channel; one per-tensor saturating output type), in one pass, and its
//   backward in one pass: the masked gradient times the slope, per channel the sums for the
//   gradients of p, n and b, and the two sums of the output's binary-point gradient. The training
//   BatchNorm is p = n = its scale, b its shift; the training PReLU is p = 1, n = its slope, b = 0.
//   The backward recomputes a with the same float operations, so its mask is the forward's.
//
// Both run on the calling thread. Spawning threads per call made training slower with two torch
// threads: torch's OpenMP workers keep spinning on the other cores for a while after each op, and
// the spawned threads contended with them (ResNet-20 QFX step, batch 128, 2 threads: 2.05x the float
// step with per-call threads, 1.68x without; results/bench_qat_overhead_2threads.csv and its README).
//
// Built with g++ -O3 -ffp-contract=off -fno-trapping-math, plus -mavx2 where the host has AVX2
// (codesign/quant/fused.py): no fast-math (the rounding decision needs IEEE floats and no
// contraction). The element loops are written on GCC vector types of kWidth floats, which the
// compiler lowers to two SSE2 registers or one AVX register: its auto-vectorizer turned the scalar
// form into 4-wide code with three times the instructions (SSE2) or left it scalar (AVX2). The
// same templates run on single floats for the tails, so both paths compute the same values; the
// gradient sums keep kLanes (8) float lanes in row order, so they do not depend on the target either.

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

namespace {

enum RoundingCode { TRN = 0, TRN_ZERO = 1, RND = 2, RND_ZERO = 3, RND_MIN_INF = 4, RND_INF = 5, RND_CONV = 6 };

constexpr int64_t kMaxRowLength = 8192;
constexpr int64_t kMinRowLength = 256;
#ifdef __AVX__
constexpr int kWidth = 8;  // floats per vector in the casts: one AVX register
#else
constexpr int kWidth = 4;  // one SSE2 register (GCC lowers wider generic vectors poorly there)
#endif
constexpr int kLanes = 8;  // accumulator lanes of the gradient sums, on every target
constexpr float kExact = 8388608.0f;    // 2**23: every float of at least this magnitude is an integer
constexpr float kBounded = 4194304.0f;  // 2**22

typedef float FloatVec __attribute__((vector_size(4 * kWidth)));
typedef int32_t IntVec __attribute__((vector_size(4 * kWidth)));
typedef float Float4 __attribute__((vector_size(16)));

template <class V>
inline V load(const float* p) {
  V v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
template <class V>
inline void store(float* p, V v) {
  std::memcpy(p, &v, sizeof v);
}

// V(c): the constant c as a float or a vector of floats.
template <class V>
inline V splat(float c) {
  return V{} + c;
}

// floor and trunc for |v| <= 2**23 through an int32 conversion, which vectorizes on every
// target (SSE2 has no vector floor).
inline float trunc_small(float v) { return static_cast<float>(static_cast<int32_t>(v)); }
inline FloatVec trunc_small(FloatVec v) { return __builtin_convertvector(__builtin_convertvector(v, IntVec), FloatVec); }
template <class V>
inline V floor_small(V v) {
  const V t = trunc_small(v);
  return t > v ? t - 1.0f : t;
}

// Rounds s (|s| <= 2**23) to an integer-valued float in rounding mode R.
template <int R, class V>
inline V round_scaled(V s) {
  if (R == TRN) return floor_small(s);
  if (R == TRN_ZERO) return trunc_small(s);
  const V one = splat<V>(1.0f), zero = splat<V>(0.0f);
  const V q = floor_small(s);
  const V d = s - q;  // exact: s and floor(s) share their exponent range
  // branch-free: (d > h) and (d == h) as 0/1 values
  const V above = d > 0.5f ? one : zero;
  const V tie = d == 0.5f ? one : zero;
  V up;
  if (R == RND) {
    up = above + tie;
  } else if (R == RND_ZERO) {
    up = above + tie * (q < 0.0f ? one : zero);
  } else if (R == RND_MIN_INF) {
    up = above;
  } else if (R == RND_INF) {
    up = above + tie * (q >= 0.0f ? one : zero);
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

// Rounds and saturates s (x * scale, exact) to a raw integer value; NaN stays NaN. B is float
// or V (one bound per element).
// BOUNDED: |lo|, |hi| <= 2**22 are integers, so clamping s to [lo, hi] first gives the same
// result (rounding is monotone and keeps integers), and then s + 0.5 is exact and AP_RND is one
// floor; NaN is clamped to lo for the arithmetic and selected back at the end.
// Otherwise (infinite bounds) s is clamped to +-2**23 for the rounding arithmetic and selected
// back unchanged beyond, where every float is an integer already.
template <int R, bool BOUNDED, class V, class B>
inline V raw_cast(V s, B lo, B hi) {
  const V low = splat<V>(0.0f) + lo, high = splat<V>(0.0f) + hi;
  if (BOUNDED) {
    V c = s >= lo ? s : low;
    c = c <= hi ? c : high;
    const V q = R == RND ? floor_small(c + 0.5f) : round_scaled<R>(c);
    return s == s ? q : s;
  }
  const V small = s >= -kExact ? (s <= kExact ? s : splat<V>(kExact)) : splat<V>(-kExact);
  V q = (s < -kExact || s > kExact) ? s : round_scaled<R>(small);
  q = s == s ? q : s;
  q = q < lo ? low : q;
  return q > hi ? high : q;
}

template <int R, bool BOUNDED>
void cast_row(const float* __restrict x, float* __restrict out, int64_t len, float scale, float inv_scale,
              float lo, float hi) {
  int64_t j = 0;
  for (; j + kWidth <= len; j += kWidth) {
    store(out + j, raw_cast<R, BOUNDED>(load<FloatVec>(x + j) * scale, lo, hi) * inv_scale);
  }
  for (; j < len; ++j) out[j] = raw_cast<R, BOUNDED>(x[j] * scale, lo, hi) * inv_scale;
}

template <int R, bool BOUNDED>
void cast_row_elementwise(const float* __restrict x, float* __restrict out, int64_t len,
                          const float* __restrict scale, const float* __restrict inv_scale,
                          const float* __restrict lo, const float* __restrict hi) {
  int64_t j = 0;
  for (; j + kWidth <= len; j += kWidth) {
    const FloatVec s = load<FloatVec>(x + j) * load<FloatVec>(scale + j);
    store(out + j, raw_cast<R, BOUNDED>(s, load<FloatVec>(lo + j), load<FloatVec>(hi + j)) * load<FloatVec>(inv_scale + j));
  }
  for (; j < len; ++j) out[j] = raw_cast<R, BOUNDED>(x[j] * scale[j], lo[j], hi[j]) * inv_scale[j];
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

// The masked gradient of 4 elements out; their three products added to the accumulators.
inline void grad_block(const float* grad, const float* x, const float* xq, float l, float h, float* grad_x,
                       Float4& gq, Float4& mx, Float4& mq) {
  const Float4 xv = load<Float4>(x), g = load<Float4>(grad), qv = load<Float4>(xq);
  const Float4 gm = (xv >= l) & (xv <= h) ? g : Float4{};
  store(grad_x, gm);
  gq += g * qv;
  mx += gm * xv;
  mq += gm * qv;
}

// One row of one group: masked gradient out, the three sums added to acc[0..2]. Element j
// goes to accumulator lane j % kLanes (two 4-float vectors); the tail continues from lane 0.
void grad_row(const float* grad, const float* x, const float* xq, float l, float h, float* grad_x, int64_t len,
              double* acc) {
  Float4 gq[2] = {}, mx[2] = {}, mq[2] = {};
  int64_t j = 0;
  for (; j + kLanes <= len; j += kLanes) {
    grad_block(grad + j, x + j, xq + j, l, h, grad_x + j, gq[0], mx[0], mq[0]);
    grad_block(grad + j + 4, x + j + 4, xq + j + 4, l, h, grad_x + j + 4, gq[1], mx[1], mq[1]);
  }
  for (int lane = 0; j < len; ++j, ++lane) {
    const float xv = x[j], g = grad[j], qv = xq[j];
    const float gm = (xv >= l && xv <= h) ? g : 0.0f;
    grad_x[j] = gm;
    gq[lane / 4][lane % 4] += g * qv;
    mx[lane / 4][lane % 4] += gm * xv;
    mq[lane / 4][lane % 4] += gm * qv;
  }
  for (int lane = 0; lane < kLanes; ++lane) {
    acc[0] += gq[lane / 4][lane % 4];
    acc[1] += mx[lane / 4][lane % 4];
    acc[2] += mq[lane / 4][lane % 4];
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

// The piecewise affine a = x * (x > 0 ? p : n) + b of one element or vector.
template <class V>
inline V piecewise(V x, float p, float n, float b) {
  return (x > 0.0f ? x * p : x * n) + b;
}

// y = cast(a) for one row of one channel (see cs_affine_cast_f32).
template <int R>
void affine_cast_row(const float* __restrict x, float* __restrict y, int64_t len, float p, float n, float b,
                     float scale, float inv_scale, float lo, float hi) {
  int64_t j = 0;
  for (; j + kWidth <= len; j += kWidth) {
    store(y + j, raw_cast<R, true>(piecewise(load<FloatVec>(x + j), p, n, b) * scale, lo, hi) * inv_scale);
  }
  for (; j < len; ++j) y[j] = raw_cast<R, true>(piecewise(x[j], p, n, b) * scale, lo, hi) * inv_scale;
}

template <int R>
void affine_cast(const float* x, float* y, int64_t outer, int64_t channels, int64_t inner, const float* p,
                 const float* n, const float* b, float scale, float lo, float hi) {
  for (int64_t row = 0; row < outer * channels; ++row) {
    const int64_t c = row % channels;
    affine_cast_row<R>(x + row * inner, y + row * inner, inner, p[c], n[c], b[c], scale, 1.0f / scale, lo, hi);
  }
}

// Five sums over kLanes float lanes (two 4-float vectors each), element j in lane j % kLanes.
struct AffineLanes {
  Float4 gxp[2] = {}, gxn[2] = {}, g[2] = {}, gy[2] = {}, ga[2] = {};
};

// The masked gradient of 4 elements times the slope out; their products added to the lanes.
inline void affine_grad_block(const float* grad, const float* x, const float* y, float p, float n, float b,
                              float lo, float hi, float* grad_x, AffineLanes& acc, int half) {
  const Float4 xv = load<Float4>(x), gv = load<Float4>(grad), yv = load<Float4>(y), zero = {};
  const Float4 a = piecewise(xv, p, n, b);
  const Float4 gm = (a >= lo) & (a <= hi) ? gv : zero;
  const Float4 gx = gm * xv;
  const auto positive = xv > 0.0f;
  store(grad_x, positive ? gm * p : gm * n);
  acc.gxp[half] += positive ? gx : zero;
  acc.gxn[half] += positive ? zero : gx;
  acc.g[half] += gm;
  acc.gy[half] += gv * yv;
  acc.ga[half] += gm * a;
}

// One row of one channel; adds sum(g_a * x) over x > 0 and over x <= 0, and sum(g_a), to
// channel_sums[0..2], and sum(g * y), sum(g_a * a) to sums[0..1], where g_a = grad where
// lo <= a <= hi, else 0.
void affine_grad_row(const float* grad, const float* x, const float* y, float p, float n, float b, float lo,
                     float hi, float* grad_x, int64_t len, double* channel_sums, double* sums) {
  AffineLanes acc;
  int64_t j = 0;
  for (; j + kLanes <= len; j += kLanes) {
    affine_grad_block(grad + j, x + j, y + j, p, n, b, lo, hi, grad_x + j, acc, 0);
    affine_grad_block(grad + j + 4, x + j + 4, y + j + 4, p, n, b, lo, hi, grad_x + j + 4, acc, 1);
  }
  for (int lane = 0; j < len; ++j, ++lane) {
    const float a = piecewise(x[j], p, n, b);
    const float gm = (a >= lo && a <= hi) ? grad[j] : 0.0f;
    const bool positive = x[j] > 0.0f;
    grad_x[j] = positive ? gm * p : gm * n;
    (positive ? acc.gxp : acc.gxn)[lane / 4][lane % 4] += gm * x[j];
    acc.g[lane / 4][lane % 4] += gm;
    acc.gy[lane / 4][lane % 4] += grad[j] * y[j];
    acc.ga[lane / 4][lane % 4] += gm * a;
  }
  for (int lane = 0; lane < kLanes; ++lane) {
    channel_sums[0] += acc.gxp[lane / 4][lane % 4];
    channel_sums[1] += acc.gxn[lane / 4][lane % 4];
    channel_sums[2] += acc.g[lane / 4][lane % 4];
    sums[0] += acc.gy[lane / 4][lane % 4];
    sums[1] += acc.ga[lane / 4][lane % 4];
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

// y = cast(a), a = x * p[c] + b[c] where x > 0, else x * n[c] + b[c], with x, y of
// outer * channels * inner float32 elements (channel c = (k / inner) % channels), the cast
// saturating to raw [raw_lo, raw_hi] (integers, |.| <= 2**22) at the power-of-two scale.
// Returns 0, or 1 for an unknown rounding code.
int cs_affine_cast_f32(const float* x, float* y, int64_t outer, int64_t channels, int64_t inner, const float* p,
                       const float* n, const float* b, float scale, float raw_lo, float raw_hi, int rounding) {
  switch (rounding) {
    case TRN: affine_cast<TRN>(x, y, outer, channels, inner, p, n, b, scale, raw_lo, raw_hi); return 0;
    case TRN_ZERO: affine_cast<TRN_ZERO>(x, y, outer, channels, inner, p, n, b, scale, raw_lo, raw_hi); return 0;
    case RND: affine_cast<RND>(x, y, outer, channels, inner, p, n, b, scale, raw_lo, raw_hi); return 0;
    case RND_ZERO: affine_cast<RND_ZERO>(x, y, outer, channels, inner, p, n, b, scale, raw_lo, raw_hi); return 0;
    case RND_MIN_INF:
      affine_cast<RND_MIN_INF>(x, y, outer, channels, inner, p, n, b, scale, raw_lo, raw_hi);
      return 0;
    case RND_INF: affine_cast<RND_INF>(x, y, outer, channels, inner, p, n, b, scale, raw_lo, raw_hi); return 0;
    case RND_CONV: affine_cast<RND_CONV>(x, y, outer, channels, inner, p, n, b, scale, raw_lo, raw_hi); return 0;
    default: return 1;
  }
}

// The backward of cs_affine_cast_f32 for upstream grad, with the value bounds lo, hi of the output
// type: grad_x = g_a * (x > 0 ? p[c] : n[c]); channel_sums [channels, 3] = per channel
// sum(g_a * x) over x > 0 and over x <= 0, and sum(g_a); sums [2] = sum(grad * y), sum(g_a * a);
// all overwritten, accumulated in row order.
void cs_affine_cast_grad_f32(const float* grad, const float* x, const float* y, int64_t outer, int64_t channels,
                             int64_t inner, const float* p, const float* n, const float* b, float lo, float hi,
                             float* grad_x, double* channel_sums, double* sums) {
  std::fill(channel_sums, channel_sums + channels * 3, 0.0);
  sums[0] = sums[1] = 0.0;
  for (int64_t row = 0; row < outer * channels; ++row) {
    const int64_t c = row % channels, off = row * inner;
    affine_grad_row(grad + off, x + off, y + off, p[c], n[c], b[c], lo, hi, grad_x + off, inner,
                    channel_sums + 3 * c, sums);
  }
}

}  // extern "C"
