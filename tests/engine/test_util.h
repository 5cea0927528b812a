// Helpers the engine gtests share: reading a tensor's values and an error's message.
#pragma once

#include <string>
#include <vector>

#include "engine/core/error.h"
#include "engine/ops/ops.h"

namespace kiln {

// Every element of t, in order, as double.
inline std::vector<double> values(const Tensor& t) {
  Tensor c = contiguous(t);
  std::vector<double> out;
  for (int64_t i = 0; i < c.numel(); ++i) out.push_back(cpu_element_as_double(c, i));
  return out;
}

// The message of the error `f` throws ("" when it throws none).
template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace kiln

// The message contains `part`.
#define EXPECT_HAS(msg, part) \
  EXPECT_NE(std::string(msg).find(part), std::string::npos) << "message: " << (msg)
