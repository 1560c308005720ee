// Binary file I/O shared by the oracle programs (native little-endian values).
#ifndef CODESIGN_TESTS_BINARY_IO_H_
#define CODESIGN_TESTS_BINARY_IO_H_

#include <cstdint>
#include <cstdio>
#include <vector>

namespace oracle_io {

// Appends every whole value of type T in the file `path` to `values`; false if unreadable.
template <typename T>
bool read_values(const char* path, std::vector<T>& values) {
  FILE* f = std::fopen(path, "rb");
  if (!f) return false;
  T x;
  while (std::fread(&x, sizeof x, 1, f) == 1) values.push_back(x);
  std::fclose(f);
  return true;
}

// Writes `values` to `path`; false on any error.
inline bool write_values(const char* path, const std::vector<uint64_t>& values) {
  FILE* f = std::fopen(path, "wb");
  if (!f) return false;
  const size_t n = std::fwrite(values.data(), sizeof(uint64_t), values.size(), f);
  return std::fclose(f) == 0 && n == values.size();
}

}  // namespace oracle_io

#endif  // CODESIGN_TESTS_BINARY_IO_H_
