// codesign/common.h -- beat formats and raw-bit helpers shared by every kernel.
//
// Stream beats (see docs/kernels.md):
//   * fixed-point activations: codesign::array<T, C>, the C channels of one pixel;
//   * binary activations: ap_uint<C>, bit c = channel c, 1 meaning +1 and 0 meaning -1.
//
// fixed_traits<T> describes any ap_fixed / ap_ufixed / ap_int / ap_uint type T: its
// width, fractional bits F (value = raw * 2^-F) and signedness, and raw_t, the integer
// type that holds its raw bits (ap_int<W> or ap_uint<W>). raw_bits() and from_raw()
// move between a value and its raw bits without any rounding or overflow handling.
#ifndef CODESIGN_COMMON_H
#define CODESIGN_COMMON_H

#include <ap_fixed.h>
#include <ap_int.h>
#include <type_traits>

namespace codesign {

// One pixel of fixed-point activations. A plain aggregate with no member functions:
// Vitis HLS stream element types must not carry methods.
template <class T, unsigned N>
struct array {
    T data[N];
};

template <class T>
struct fixed_traits;

template <int W, int I, ap_q_mode Q, ap_o_mode O, int N>
struct fixed_traits<ap_fixed<W, I, Q, O, N> > {
    static constexpr int width = W;
    static constexpr int frac_bits = W - I;
    static constexpr bool is_signed = true;
    typedef ap_int<W> raw_t;
};

template <int W, int I, ap_q_mode Q, ap_o_mode O, int N>
struct fixed_traits<ap_ufixed<W, I, Q, O, N> > {
    static constexpr int width = W;
    static constexpr int frac_bits = W - I;
    static constexpr bool is_signed = false;
    typedef ap_uint<W> raw_t;
};

template <int W>
struct fixed_traits<ap_int<W> > {
    static constexpr int width = W;
    static constexpr int frac_bits = 0;
    static constexpr bool is_signed = true;
    typedef ap_int<W> raw_t;
};

template <int W>
struct fixed_traits<ap_uint<W> > {
    static constexpr int width = W;
    static constexpr int frac_bits = 0;
    static constexpr bool is_signed = false;
    typedef ap_uint<W> raw_t;
};

// The raw bits of x as an integer of x's signedness.
template <class T>
typename fixed_traits<T>::raw_t raw_bits(const T& x) {
#pragma HLS INLINE
    typename fixed_traits<T>::raw_t r;
    r.range(fixed_traits<T>::width - 1, 0) = x.range(fixed_traits<T>::width - 1, 0);
    return r;
}

// The value of type T whose raw bits are the low W bits of r (two's complement wrap).
template <class T, class R>
T from_raw(const R& r) {
#pragma HLS INLINE
    const typename fixed_traits<T>::raw_t low = r;  // keeps the low W bits
    T x;
    x.range(fixed_traits<T>::width - 1, 0) = low.range(fixed_traits<T>::width - 1, 0);
    return x;
}

// T reinterpreted with K more fractional bits: the same raw bits mean raw * 2^-(F+K),
// i.e. the value divided by 2^K, exactly. AP_TRN/AP_WRAP: it is never cast into.
template <class T, int K>
struct scaled_down {
    typedef typename std::conditional<
        fixed_traits<T>::is_signed,
        ap_fixed<fixed_traits<T>::width, fixed_traits<T>::width - fixed_traits<T>::frac_bits - K>,
        ap_ufixed<fixed_traits<T>::width, fixed_traits<T>::width - fixed_traits<T>::frac_bits - K> >::type
        type;
};

// Number of bits of an unsigned integer holding 0..n (compile time only).
constexpr int bits_for(unsigned long long n) {
    int bits = 1;
    // lint: allow(unbounded-loop) constexpr, evaluated by the compiler for template arguments, never hardware
    while ((n >> bits) != 0) {
        ++bits;
    }
    return bits;
}

// Number of bits set in a packed word: an adder tree after unrolling. C simulation counts
// 64-bit chunks with the compiler's popcount instead (the same number, without one
// ap_uint operation per bit).
template <int N>
ap_uint<bits_for(N)> popcount(const ap_uint<N>& word) {
#pragma HLS INLINE
#ifndef __SYNTHESIS__
    unsigned total = 0;
    for (int low = 0; low < N; low += 64) {
        const int high = low + 63 < N - 1 ? low + 63 : N - 1;
        const ap_uint<64> chunk = word.range(high, low);
        total += static_cast<unsigned>(__builtin_popcountll(chunk.to_uint64()));
    }
    return total;
#else
    ap_uint<bits_for(N)> count = 0;
    for (int b = 0; b < N; ++b) {
#pragma HLS UNROLL
        count += word[b];
    }
    return count;
#endif
}

}  // namespace codesign

#endif  // CODESIGN_COMMON_H
