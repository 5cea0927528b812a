// Bounds-checked reading of the packed command encoding (docs/protocol.md). Every read checks
// the bytes left first, so a malformed or hostile batch fails with "malformed command at
// byte N: ..." and never reads past the buffer or allocates what it was told to.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/error.h"

namespace kiln::server {

class WireReader {
 public:
  WireReader(const char* data, size_t size) : p_(data), end_(data + size), begin_(data) {}
  explicit WireReader(std::string_view s) : WireReader(s.data(), s.size()) {}

  bool done() const { return p_ == end_; }
  size_t offset() const { return static_cast<size_t>(p_ - begin_); }
  size_t left() const { return static_cast<size_t>(end_ - p_); }

  template <typename T>
  T get() {
    need(sizeof(T), "value");
    T v;
    std::memcpy(&v, p_, sizeof(T));
    p_ += sizeof(T);
    return v;
  }
  uint8_t u8() { return get<uint8_t>(); }
  uint16_t u16() { return get<uint16_t>(); }
  uint32_t u32() { return get<uint32_t>(); }
  uint64_t u64() { return get<uint64_t>(); }
  int64_t i64() { return get<int64_t>(); }
  double f64() { return get<double>(); }

  // A count of `elem_size`-byte items that must all be present in the buffer.
  uint32_t count(size_t elem_size, const char* what) {
    const uint32_t n = u32();
    need(static_cast<size_t>(n) * elem_size, what);
    return n;
  }
  std::string str(const char* what) {
    const uint32_t n = count(1, what);
    std::string s(p_, n);
    p_ += n;
    return s;
  }
  template <typename T>
  std::vector<T> array(const char* what) {
    const uint32_t n = count(sizeof(T), what);
    return fixed_array<T>(n, what);
  }
  template <typename T>
  std::vector<T> fixed_array(size_t n, const char* what) {
    need(n * sizeof(T), what);
    std::vector<T> v(n);
    if (n) std::memcpy(v.data(), p_, n * sizeof(T));
    p_ += n * sizeof(T);
    return v;
  }
  // Raw bytes (not copied): valid while the buffer is.
  std::string_view bytes(size_t n, const char* what) {
    need(n, what);
    std::string_view s(p_, n);
    p_ += n;
    return s;
  }

  [[noreturn]] void fail(const std::string& why) const {
    KILN_CHECK_VALUE(false, "malformed command at byte ", offset(), ": ", why);
    __builtin_unreachable();
  }

 private:
  void need(size_t n, const char* what) const {
    if (n > left()) fail(std::string("truncated ") + what);
  }

  const char* p_;
  const char* end_;
  const char* begin_;
};

}  // namespace kiln::server
