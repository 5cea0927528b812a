// What the table says about each op, at run time: names, arguments, dtype sets per backend.
// The server uses it to reject unsupported ops early; tests sweep it.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "engine/core/device.h"
#include "engine/core/dtype.h"
#include "engine/ops/op_id.h"

namespace kiln {

constexpr uint32_t dtype_bit(DType t) { return 1u << static_cast<int>(t); }

struct OpArgInfo {
  const char* name;
  const char* type;      // schema type: "Tensor", "int[]?", ...
  bool kwonly;
  const char* default_;  // schema text of the default, nullptr if required
};

struct OpInfo {
  OpId id;
  const char* name;       // "max"
  const char* full_name;  // "max_dim": unique, the kernel slot and wire name
  const char* family;     // the table file it is declared in
  const char* impl;       // "kernel", "custom" or "composite"
  std::vector<OpArgInfo> args;
  std::vector<const char*> rets;
  uint32_t dtypes[kNumDeviceTypes];  // dtype_bit set per backend
  std::vector<const char*> differentiable;  // inputs with a gradient formula
  bool inplace;
  bool out;
  bool dynamic;  // output shape known only after running
  bool method;
  const char* test_skip;  // reason the value sweep skips it, or nullptr
};

std::span<const OpInfo> all_ops();
// nullptr when unknown.
const OpInfo* find_op(OpId id);
const OpInfo* find_op(std::string_view full_name);

// Whether `device`'s backend implements the op for `dtype` (composite and custom ops without
// a dtype list: true).
bool supports(OpId id, DType dtype, Device device);

}  // namespace kiln
