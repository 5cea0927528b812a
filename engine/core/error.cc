#include "engine/core/error.h"

namespace kiln {

const char* error_kind_name(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kRuntime: return "RuntimeError";
    case ErrorKind::kValue: return "ValueError";
    case ErrorKind::kIndex: return "IndexError";
    case ErrorKind::kType: return "TypeError";
    case ErrorKind::kNotImplemented: return "NotImplementedError";
    case ErrorKind::kOutOfMemory: return "OutOfMemoryError";
    case ErrorKind::kInternal: return "InternalError";
  }
  return "RuntimeError";
}

namespace detail {

void throw_error(ErrorKind kind, std::string msg) { throw Error(kind, std::move(msg)); }

void throw_assert(const char* cond, const char* file, int line, std::string msg) {
  throw Error(ErrorKind::kInternal,
              str_cat("internal error (please report): ", cond, " failed at ", file, ":", line,
                      msg.empty() ? "" : ": ", msg));
}

}  // namespace detail
}  // namespace kiln
