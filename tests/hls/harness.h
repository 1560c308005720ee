// Test harness for the kernel test programs: raw integers in, raw integers out.
//
// Every value crosses the process boundary as its raw integer (the IR's convention);
// binary words as one 0/1 integer per bit. Each generated case reads its parameters and
// inputs from the input file and prints "case <name>" followed by its outputs on one line.
#ifndef CODESIGN_TEST_HARNESS_H
#define CODESIGN_TEST_HARNESS_H

#include <fstream>
#include <iostream>

#include "codesign/codesign.h"

namespace harness {

// The input file of the run (argv[1]), opened by main before any case runs.
inline std::ifstream& input() {
    static std::ifstream file;
    return file;
}

template <class T>
T read_value() {
    long long raw = 0;
    input() >> raw;
    return codesign::from_raw<T>(ap_int<64>(raw));
}

template <class T, unsigned N>
void read_values(T (&values)[N]) {
    for (unsigned i = 0; i < N; ++i) {
        values[i] = read_value<T>();
    }
}

template <int W>
ap_uint<W> read_bits() {
    ap_uint<W> word = 0;
    for (int b = 0; b < W; ++b) {
        int bit = 0;
        input() >> bit;
        word[b] = bit;
    }
    return word;
}

template <class T>
void write_value(const T& value) {
    std::cout << ' ' << codesign::raw_bits(value).to_int64();
}

template <int W>
void write_bits(const ap_uint<W>& word) {
    for (int b = 0; b < W; ++b) {
        std::cout << ' ' << static_cast<int>(word[b]);
    }
}

template <class T, unsigned C>
void feed_pixels(codesign::stream<codesign::array<T, C> >& s, unsigned n_pixels) {
    for (unsigned p = 0; p < n_pixels; ++p) {
        codesign::array<T, C> beat;
        for (unsigned c = 0; c < C; ++c) {
            beat.data[c] = read_value<T>();
        }
        s.write(beat);
    }
}

template <class T, unsigned C>
void drain_pixels(codesign::stream<codesign::array<T, C> >& s, unsigned n_pixels) {
    for (unsigned p = 0; p < n_pixels; ++p) {
        const codesign::array<T, C> beat = s.read();
        for (unsigned c = 0; c < C; ++c) {
            write_value(beat.data[c]);
        }
    }
}

inline void begin_case(const char* name) { std::cout << "case " << name; }
inline void end_case() { std::cout << '\n'; }

}  // namespace harness

#endif  // CODESIGN_TEST_HARNESS_H
