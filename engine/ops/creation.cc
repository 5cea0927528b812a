// Factories: empty, zeros, ones, full and the *_like family; fill_ and zero_.
#include "engine/ops/kernel_table.h"
#include "engine/ops/op_id.h"
#include "engine/ops/ops.h"
#include "engine/ops/rules.h"

namespace kiln::ops {

Tensor empty(IntList size, std::optional<DType> dtype, std::optional<Device> device) {
  return empty_tensor(rules::size("empty", size), dtype.value_or(default_float_dtype()),
                      device.value_or(kCPU));
}

Tensor fill_(const Tensor& self, const Scalar& value) {
  rules::check_defined("fill_", self, "self");
  rules::check_supported(OpId::fill_, "fill_", self.device(), self.dtype());
  KILN_CHECK(!rules::has_internal_overlap(self),
             "fill_: unsupported operation: more than one element of the written-to tensor "
             "refers to a single memory location. Please clone() the tensor first.");
  auto fn = kernel_table(self.device().type).fill_;
  if (fn == nullptr) rules::missing_kernel("fill_", self.device());
  fn(self, value);
  self.bump_version();
  return self;
}

Tensor zero_(const Tensor& self) { return fill_(self, Scalar(0)); }

Tensor zeros(IntList size, std::optional<DType> dtype, std::optional<Device> device) {
  return fill_(empty(size, dtype, device), Scalar(0));
}

Tensor ones(IntList size, std::optional<DType> dtype, std::optional<Device> device) {
  return fill_(empty(size, dtype, device), Scalar(1));
}

Tensor full(IntList size, const Scalar& fill_value, std::optional<DType> dtype,
            std::optional<Device> device) {
  const DType t = dtype.value_or(rules::scalar_dtype("full", fill_value));
  return fill_(empty(size, t, device), fill_value);
}

Tensor empty_like(const Tensor& self, std::optional<DType> dtype, std::optional<Device> device) {
  rules::check_defined("empty_like", self, "self");
  return empty_tensor(self.sizes(), dtype.value_or(self.dtype()), device.value_or(self.device()));
}

Tensor zeros_like(const Tensor& self, std::optional<DType> dtype, std::optional<Device> device) {
  return fill_(empty_like(self, dtype, device), Scalar(0));
}

Tensor ones_like(const Tensor& self, std::optional<DType> dtype, std::optional<Device> device) {
  return fill_(empty_like(self, dtype, device), Scalar(1));
}

Tensor full_like(const Tensor& self, const Scalar& fill_value, std::optional<DType> dtype,
                 std::optional<Device> device) {
  return fill_(empty_like(self, dtype, device), fill_value);
}

}  // namespace kiln::ops
