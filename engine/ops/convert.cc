// copy_, to, contiguous, clone: moving values between dtypes, layouts and devices.
#include "engine/ops/kernel_table.h"
#include "engine/ops/op_id.h"
#include "engine/ops/ops.h"
#include "engine/ops/rules.h"

namespace kiln::ops {

Tensor copy_(const Tensor& self, const Tensor& src, bool non_blocking) {
  static constexpr const char* kOp = "copy_";
  rules::check_defined(kOp, self, "self");
  rules::check_defined(kOp, src, "src");
  KILN_CHECK(!rules::has_internal_overlap(self), kOp,
             ": unsupported operation: more than one element of the written-to tensor refers "
             "to a single memory location. Please clone() the tensor before performing the "
             "operation.");
  const Tensor s = src.sizes() == self.sizes() ? src : expand(src, self.sizes());
  if (self.numel() == 0) return self;
  if (self.device() == s.device()) {
    rules::check_supported(OpId::copy_, kOp, self.device(), self.dtype());
    auto fn = kernel_table(self.device().type).copy_;
    if (fn == nullptr) rules::missing_kernel(kOp, self.device());
    fn(self, s, non_blocking);
  } else {
    // Across devices: convert and densify on the source side, move bytes, then lay them
    // out on the destination side if self is strided.
    Tensor dense = s;
    if (dense.dtype() != self.dtype() || !dense.is_contiguous()) {
      Tensor t = empty_tensor(self.sizes(), self.dtype(), s.device());
      copy_(t, s, non_blocking);
      dense = t;
    }
    if (self.is_contiguous()) {
      copy_bytes(self.raw_data(), self.device(), dense.raw_data(), dense.device(), self.nbytes());
    } else {
      Tensor staged = empty_tensor(self.sizes(), self.dtype(), self.device());
      copy_bytes(staged.raw_data(), staged.device(), dense.raw_data(), dense.device(),
                 staged.nbytes());
      copy_(self, staged, non_blocking);
    }
  }
  self.bump_version();
  return self;
}

Tensor to(const Tensor& self, std::optional<Device> device, std::optional<DType> dtype, bool copy) {
  rules::check_defined("to", self, "self");
  const Device d = device.value_or(self.device());
  const DType t = dtype.value_or(self.dtype());
  if (!copy && d == self.device() && t == self.dtype()) return self;
  Tensor out = empty_tensor(self.sizes(), t, d);
  copy_(out, self, false);
  return out;
}

Tensor contiguous(const Tensor& self) {
  rules::check_defined("contiguous", self, "self");
  return self.is_contiguous() ? self : clone(self);
}

Tensor clone(const Tensor& self) {
  rules::check_defined("clone", self, "self");
  Tensor out = empty_tensor(self.sizes(), self.dtype(), self.device());
  copy_(out, self, false);
  return out;
}

}  // namespace kiln::ops
