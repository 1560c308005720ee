// codesign/khot.h -- constant multiplies as explicit shifts and adds (K-hot weights).
//
// A K-hot constant is a sum of at most K signed powers of two, w = sum_j s_j * 2^e_j.
// It is spelled as a type so that every shift amount is a compile-time constant:
//
//     typedef codesign::khot<codesign::term<+1, 2>, codesign::term<-1, -3> > w;  // 4 - 1/8
//     acc_t p = codesign::khot_mul<acc_t, w>(x);                                  // x * w
//
// e_j is the absolute exponent of the digit (its value is 2^e_j), independent of any
// type. codesign::khot<> (no terms) is the constant 0.
//
// Kernels take a table of K-hot constants wherever they take a weight array. A code
// generator writes one table per layer, in a header, as a struct deriving from
// codesign::khot_table<itself> with one static member template:
//
//     struct fc1_weights : codesign::khot_table<fc1_weights> {
//         template <class ACC, class X>
//         static ACC product(const X& x, unsigned index) {
//     #pragma HLS INLINE
//             switch (index) {
//             case 0: return codesign::khot_mul<ACC, codesign::khot<codesign::term<1, 0> > >(x);
//             ...
//             default: return ACC(0);
//             }
//         }
//     };
//
// and passes fc1_weights() to the kernel. Where the index is a constant after unrolling
// the switch folds away and only that weight's adders remain; in folded loops the
// switch becomes a multiplexer over the per-weight shift-add results (still no DSP).
//
// Arithmetic: every term x * 2^e is formed on raw bits in ACC's width, so it is exact
// modulo 2^W(ACC); the sum of the terms is the exact product whenever the product fits
// ACC (which the IR's accumulator rule guarantees), even when a partial sum of terms
// would not. Requires e_j + F(ACC) - F(X) >= 0 (ACC holds every bit of the product).
#ifndef CODESIGN_KHOT_H
#define CODESIGN_KHOT_H

#include "codesign/common.h"

namespace codesign {

template <int SIGN, int EXP>
struct term {
    static_assert(SIGN == 1 || SIGN == -1, "a K-hot digit has sign +1 or -1");
};

template <class... TERMS>
struct khot {};

// Base of generated K-hot tables (CRTP): marks a type as a table for the kernels.
template <class TABLE>
struct khot_table {};

namespace detail {

template <class ACC, int SIGN, int EXP, class X>
typename fixed_traits<ACC>::raw_t khot_term(const X& x) {
#pragma HLS INLINE
    constexpr int shift = EXP + fixed_traits<ACC>::frac_bits - fixed_traits<X>::frac_bits;
    static_assert(shift >= 0, "accumulator has fewer fractional bits than a K-hot product");
    typename fixed_traits<ACC>::raw_t r = raw_bits(x);  // extended (or wrapped) to ACC's width
    r <<= shift;                                          // constant shift: wiring only
    if (SIGN < 0) {
        r = -r;
    }
    return r;
}

template <class ACC, class X, int... S, int... E>
ACC khot_mul_impl(const X& x, khot<term<S, E>...>) {
#pragma HLS INLINE
    typedef typename fixed_traits<ACC>::raw_t raw_t;
    // A leading zero keeps the array non-empty for the constant 0 (no terms).
    const raw_t parts[] = {raw_t(0), khot_term<ACC, S, E>(x)...};
    raw_t sum = 0;
    for (unsigned k = 0; k < sizeof(parts) / sizeof(parts[0]); ++k) {
#pragma HLS UNROLL
        sum += parts[k];  // wraps in ACC's width; exact modulo 2^W
    }
    return from_raw<ACC>(sum);
}

}  // namespace detail

// x * KHOT as an ACC, with shifts and adds only.
template <class ACC, class KHOT, class X>
ACC khot_mul(const X& x) {
#pragma HLS INLINE
    return detail::khot_mul_impl<ACC>(x, KHOT());
}

// The product used by every kernel: weight array element (general multiply) ...
template <class ACC, class X, class W, unsigned N>
ACC multiply(const X& x, const W (&weights)[N], unsigned index) {
#pragma HLS INLINE
    return x * weights[index];  // exact full-precision product, then held by ACC
}

// ... or K-hot table entry (shift-add).
template <class ACC, class X, class TABLE>
ACC multiply(const X& x, const khot_table<TABLE>&, unsigned index) {
#pragma HLS INLINE
    return TABLE::template product<ACC>(x, index);
}

}  // namespace codesign

#endif  // CODESIGN_KHOT_H
