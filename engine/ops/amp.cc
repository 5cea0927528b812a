// GradScaler's two engine ops (engine/ops/table/optim.yaml): argument checks as PyTorch's,
// then the device's kernel, then version bumps.
#include <vector>

#include "engine/ops/kernel_table.h"
#include "engine/ops/op_id.h"
#include "engine/ops/ops.h"
#include "engine/ops/rules.h"

namespace kiln::ops {

namespace {

void check_scalar(const char* op, const Tensor& t, const char* name, DType dtype, Device device) {
  KILN_CHECK(t.defined(), op, ": ", name, " must be a Tensor, not None");
  KILN_CHECK(t.numel() == 1, op, ": ", name, " must be a 1-element tensor.");
  KILN_CHECK(t.dtype() == dtype, op, ": ", name, " must be a ", dtype, " tensor.");
  KILN_CHECK(t.device() == device, op, ": ", name, " must be on ", device, ", got ",
             t.device());
}

void bump(const std::vector<Tensor>& ts) {
  for (const Tensor& t : ts) t.bump_version();
}

}  // namespace

void _amp_foreach_non_finite_check_and_unscale_(const std::vector<Tensor>& self,
                                                const Tensor& found_inf,
                                                const Tensor& inv_scale) {
  static constexpr const char* kOp = "_amp_foreach_non_finite_check_and_unscale_";
  const Device device = found_inf.defined() ? found_inf.device() : kCPU;
  check_scalar(kOp, found_inf, "found_inf", DType::kFloat32, device);
  check_scalar(kOp, inv_scale, "inv_scale", DType::kFloat32, device);
  for (size_t i = 0; i < self.size(); ++i) {
    const Tensor& t = self[i];
    KILN_CHECK(t.defined(), kOp, ": self[", i, "] must be a Tensor, not None");
    KILN_CHECK(t.device() == device, kOp, ": self[", i, "] is on ", t.device(),
               " but found_inf is on ", device);
    rules::check_supported(OpId::_amp_foreach_non_finite_check_and_unscale_, kOp, device,
                           t.dtype());
    KILN_CHECK(!rules::has_internal_overlap(t), kOp,
               ": self must not have elements that share memory (expanded tensors)");
  }
  auto fn = kernel_table(device.type)._amp_foreach_non_finite_check_and_unscale_;
  if (fn == nullptr) rules::missing_kernel(kOp, device);
  fn(self, found_inf, inv_scale);
  bump(self);
  found_inf.bump_version();
}

void _amp_update_scale_(const Tensor& self, const Tensor& growth_tracker, const Tensor& found_inf,
                        double scale_growth_factor, double scale_backoff_factor,
                        int64_t growth_interval) {
  static constexpr const char* kOp = "_amp_update_scale_";
  const Device device = self.defined() ? self.device() : kCPU;
  check_scalar(kOp, self, "current_scale", DType::kFloat32, device);
  check_scalar(kOp, growth_tracker, "growth_tracker", DType::kInt32, device);
  check_scalar(kOp, found_inf, "found_inf", DType::kFloat32, device);
  KILN_CHECK(growth_interval > 0, kOp, ": growth_interval must be positive, got ",
             growth_interval);
  auto fn = kernel_table(device.type)._amp_update_scale_;
  if (fn == nullptr) rules::missing_kernel(kOp, device);
  fn(self, growth_tracker, found_inf, scale_growth_factor, scale_backoff_factor, growth_interval);
  self.bump_version();
  growth_tracker.bump_version();
}

}  // namespace kiln::ops
