// Errors: what went wrong and where, in PyTorch's words.
//
// KILN_CHECK(cond, ...)        user error (bad shape, dtype, index): throws kiln::Error.
// KILN_CHECK_INDEX / _TYPE / _VALUE / _NOT_IMPLEMENTED / _OOM pick the error kind that the
//                              Python client maps to IndexError, TypeError, ValueError, ...
// KILN_ASSERT(cond, ...)       internal invariant: throws too (the daemon never aborts on a
//                              request's behalf), but says it is a bug.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace kiln {

enum class ErrorKind {
  kRuntime,         // RuntimeError
  kValue,           // ValueError
  kIndex,           // IndexError
  kType,            // TypeError
  kNotImplemented,  // NotImplementedError
  kOutOfMemory,     // torch.OutOfMemoryError
  kInternal,        // a Kiln bug
};

const char* error_kind_name(ErrorKind kind);

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, std::string msg) : std::runtime_error(std::move(msg)), kind_(kind) {}
  ErrorKind kind() const { return kind_; }

 private:
  ErrorKind kind_;
};

namespace detail {

template <typename... Args>
std::string str_cat(const Args&... args) {
  std::ostringstream os;
  (os << ... << args);
  return os.str();
}

[[noreturn]] void throw_error(ErrorKind kind, std::string msg);
[[noreturn]] void throw_assert(const char* cond, const char* file, int line, std::string msg);

}  // namespace detail

// Builds a message from any streamable pieces: str("dim ", d, " out of range").
template <typename... Args>
std::string str(const Args&... args) {
  return detail::str_cat(args...);
}

}  // namespace kiln

#define KILN_CHECK_KIND(kind, cond, ...)                                      \
  do {                                                                        \
    if (__builtin_expect(!(cond), 0)) {                                       \
      ::kiln::detail::throw_error(kind, ::kiln::detail::str_cat(__VA_ARGS__)); \
    }                                                                         \
  } while (0)

#define KILN_CHECK(cond, ...) KILN_CHECK_KIND(::kiln::ErrorKind::kRuntime, cond, __VA_ARGS__)
#define KILN_CHECK_VALUE(cond, ...) KILN_CHECK_KIND(::kiln::ErrorKind::kValue, cond, __VA_ARGS__)
#define KILN_CHECK_INDEX(cond, ...) KILN_CHECK_KIND(::kiln::ErrorKind::kIndex, cond, __VA_ARGS__)
#define KILN_CHECK_TYPE(cond, ...) KILN_CHECK_KIND(::kiln::ErrorKind::kType, cond, __VA_ARGS__)
#define KILN_CHECK_NOT_IMPLEMENTED(cond, ...) \
  KILN_CHECK_KIND(::kiln::ErrorKind::kNotImplemented, cond, __VA_ARGS__)
#define KILN_CHECK_OOM(cond, ...) KILN_CHECK_KIND(::kiln::ErrorKind::kOutOfMemory, cond, __VA_ARGS__)
#define KILN_FAIL(...) ::kiln::detail::throw_error(::kiln::ErrorKind::kRuntime, ::kiln::detail::str_cat(__VA_ARGS__))

#define KILN_ASSERT(cond, ...)                                                         \
  do {                                                                                 \
    if (__builtin_expect(!(cond), 0)) {                                                \
      ::kiln::detail::throw_assert(#cond, __FILE__, __LINE__,                          \
                                   ::kiln::detail::str_cat("" __VA_OPT__(, ) __VA_ARGS__)); \
    }                                                                                  \
  } while (0)
