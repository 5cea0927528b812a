// Mixed precision: torch.autocast(device_type, dtype) as a thread-local guard. While it is
// on for a device type, the generated autograd wrapper of every op with an `autocast:` key in
// the table casts that op's floating inputs on that device type first, by PyTorch's policy:
//   lower    to the autocast dtype (matmuls, linear, convolution, attention)
//   fp32     float16/bfloat16 inputs to float32 (softmax, norms, losses)
//   promote  to the widest floating dtype among the inputs (dot)
// float64 inputs are never cast. The casts are ordinary `to` ops, so gradients flow back to
// the original dtypes. The op itself (and whatever it calls) runs with autocast suspended,
// as PyTorch excludes the autocast key inside an autocast wrapper.
#pragma once

#include <initializer_list>
#include <vector>

#include "engine/core/tensor.h"

namespace kiln::autocast {

enum class Policy { kLower, kFp32, kPromote };

bool is_enabled(DeviceType type);
// The lower-precision dtype for `type` (float16 for cuda, bfloat16 for cpu unless set).
DType get_dtype(DeviceType type);

// torch.autocast(device_type, dtype, enabled): sets the state for the scope, restores it after.
class AutocastGuard {
 public:
  AutocastGuard(DeviceType type, DType dtype, bool enabled = true);
  ~AutocastGuard();
  AutocastGuard(const AutocastGuard&) = delete;
  AutocastGuard& operator=(const AutocastGuard&) = delete;

 private:
  DeviceType type_;
  bool prev_enabled_;
  DType prev_dtype_;
};

// Turns autocast off for the scope (inside an autocast wrapper).
class Suspend {
 public:
  Suspend();
  ~Suspend();
  Suspend(const Suspend&) = delete;
  Suspend& operator=(const Suspend&) = delete;

 private:
  bool prev_;
};

// Cheap test the generated wrappers make first: some device type has autocast on and it is
// not suspended on this thread.
bool active();

// The device type of the first defined tensor (lists included); kCPU when none.
DeviceType device_type_of(std::initializer_list<const Tensor*> tensors,
                          std::initializer_list<const std::vector<Tensor>*> lists = {});

// The dtype `policy` casts eligible inputs to (eligible: defined, floating, not float64, on
// `type`); for kPromote the widest floating dtype among the eligible inputs.
DType target_dtype(Policy policy, DeviceType type, std::initializer_list<const Tensor*> tensors,
                   std::initializer_list<const std::vector<Tensor>*> lists = {});

// `t` cast to `dtype` when eligible, else `t` itself.
Tensor cast(const Tensor& t, DType dtype, DeviceType type);
std::vector<Tensor> cast(const std::vector<Tensor>& ts, DType dtype, DeviceType type);

}  // namespace kiln::autocast
