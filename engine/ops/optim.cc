// The fused optimizer steps and clip_grad_value_ (engine/ops/table/optim.yaml): argument
// checks, then one kernel call over the whole group, then version bumps.
//
// Kernels see contiguous tensors only: a strided member of a group is computed in a
// contiguous copy and copied back, so a step never depends on how a parameter is laid out.
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/ops/kernel_table.h"
#include "engine/ops/op_id.h"
#include "engine/ops/ops.h"
#include "engine/ops/rules.h"

namespace kiln::ops {

namespace {

// One list of a group (grads, state buffers) next to the params it belongs to.
struct Member {
  const char* name;
  const std::vector<Tensor>* list;
  bool used;     // false: the configuration ignores it (e.g. momentum_buffers at momentum 0)
  bool written;  // the step updates it in place
};

void check_tensor(const char* op, const Tensor& t, const char* name, size_t i) {
  KILN_CHECK_TYPE(t.defined(), op, ": ", name, "[", i, "] must be a Tensor, not None");
}

// Checks every used member against params (count, shape, dtype) and returns the device.
// `params` is the list the others follow (named `first`); `unique`: no tensor twice in it.
Device check_group(OpId id, const char* op, const std::vector<Tensor>& params,
                   std::initializer_list<Member> members, const char* first = "params",
                   bool unique = true) {
  for (size_t i = 0; i < params.size(); ++i) check_tensor(op, params[i], first, i);
  for (const Member& m : members) {
    if (!m.used) continue;
    KILN_CHECK(m.list->size() == params.size(), op, ": expected one tensor in ", m.name,
               " per parameter, got ", m.list->size(), " for ", params.size(), " parameters");
    for (size_t i = 0; i < params.size(); ++i) {
      const Tensor& t = (*m.list)[i];
      check_tensor(op, t, m.name, i);
      KILN_CHECK(t.sizes() == params[i].sizes(), op, ": ", m.name, "[", i, "] has shape ",
                 shape_str(t.sizes()), " but params[", i, "] has shape ",
                 shape_str(params[i].sizes()));
      KILN_CHECK_TYPE(t.dtype() == params[i].dtype(), op, ": ", m.name, "[", i, "] is ",
                      t.dtype(), " but params[", i, "] is ", params[i].dtype());
    }
  }
  std::vector<const std::vector<Tensor>*> lists{&params};
  for (const Member& m : members) {
    if (m.used) lists.push_back(m.list);
  }
  std::optional<Device> device;
  for (const auto* l : lists) {
    for (const Tensor& t : *l) {
      if (!device) device = t.device();
      KILN_CHECK(*device == t.device(), op,
                 ": Expected all tensors to be on the same device, but found at least two "
                 "devices, ", *device, " and ", t.device(), "!");
    }
  }
  const Device d = device.value_or(kCPU);
  for (const Tensor& p : params) rules::check_supported(id, op, d, p.dtype());
  for (const Member& m : members) {
    if (!m.used || !m.written) continue;
    for (const Tensor& t : *m.list) {
      KILN_CHECK(!rules::has_internal_overlap(t), op, ": ", m.name,
                 " must not have elements that share memory (expanded tensors)");
    }
  }
  for (const Tensor& p : params) {
    KILN_CHECK(!rules::has_internal_overlap(p), op, ": ", first,
               " must not have elements that share memory (expanded tensors)");
  }
  // The same tensor twice would be updated by two threads at once.
  std::unordered_map<const TensorImpl*, size_t> seen;
  for (size_t i = 0; unique && i < params.size(); ++i) {
    auto [it, fresh] = seen.emplace(params[i].impl(), i);
    KILN_CHECK(fresh, op, ": ", first, "[", it->second, "] and ", first, "[", i,
               "] are the same tensor");
  }
  return d;
}

// One-element floating step counters (PyTorch keeps `step` as a float32 tensor).
void check_steps(const char* op, const std::vector<Tensor>& steps, size_t n) {
  KILN_CHECK(steps.size() == n, op, ": expected one tensor in state_steps per parameter, got ",
             steps.size(), " for ", n, " parameters");
  for (size_t i = 0; i < n; ++i) {
    check_tensor(op, steps[i], "state_steps", i);
    KILN_CHECK_TYPE(steps[i].numel() == 1 && (steps[i].dtype() == DType::kFloat32 ||
                                              steps[i].dtype() == DType::kFloat64),
                    op, ": state_steps[", i,
                    "] must be a one-element float32 or float64 tensor, got ", steps[i].dtype(),
                    " of shape ", shape_str(steps[i].sizes()));
  }
}

// Contiguous stand-ins for a list; `finish` copies written ones back and bumps versions.
class Dense {
 public:
  Dense(const std::vector<Tensor>& list, bool used, bool written)
      : orig_(list), written_(written) {
    if (!used) return;
    dense_.reserve(list.size());
    for (const Tensor& t : list) dense_.push_back(t.is_contiguous() ? t : clone(t));
  }
  const std::vector<Tensor>& get() const { return dense_; }
  void finish() const {
    if (!written_) return;
    for (size_t i = 0; i < dense_.size(); ++i) {
      if (!dense_[i].is_same(orig_[i])) copy_(orig_[i], dense_[i], false);
      orig_[i].bump_version();
    }
  }

 private:
  const std::vector<Tensor>& orig_;
  std::vector<Tensor> dense_;
  bool written_;
};

template <typename Slot>
Slot slot_or_throw(Slot slot, const char* op, Device device) {
  if (slot == nullptr) rules::missing_kernel(op, device);
  return slot;
}

void bump(const std::vector<Tensor>& ts) {
  for (const Tensor& t : ts) t.bump_version();
}

}  // namespace

void _fused_sgd_(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                 const std::vector<Tensor>& momentum_buffers, double lr, double momentum,
                 double dampening, double weight_decay, bool nesterov, bool maximize,
                 bool is_first_step) {
  static constexpr const char* kOp = "_fused_sgd_";
  const bool with_buf = momentum != 0;
  const Device device = check_group(OpId::_fused_sgd_, kOp, params,
                                    {{"grads", &grads, true, false},
                                     {"momentum_buffers", &momentum_buffers, with_buf, true}});
  if (params.empty()) return;
  auto fn = slot_or_throw(kernel_table(device.type)._fused_sgd_, kOp, device);
  const Dense p(params, true, true), g(grads, true, false), b(momentum_buffers, with_buf, true);
  fn(p.get(), g.get(), b.get(), lr, momentum, dampening, weight_decay, nesterov, maximize,
     is_first_step);
  p.finish();
  b.finish();
}

namespace {

using AdamSlot = decltype(KernelTable::_fused_adam_);

void adam_like(OpId id, const char* op, AdamSlot KernelTable::*slot, const std::vector<Tensor>& params,
               const std::vector<Tensor>& grads, const std::vector<Tensor>& exp_avgs,
               const std::vector<Tensor>& exp_avg_sqs,
               const std::vector<Tensor>& max_exp_avg_sqs,
               const std::vector<Tensor>& state_steps, double lr, double beta1, double beta2,
               double weight_decay, double eps, bool amsgrad, bool maximize) {
  const Device device = check_group(id, op, params,
                                    {{"grads", &grads, true, false},
                                     {"exp_avgs", &exp_avgs, true, true},
                                     {"exp_avg_sqs", &exp_avg_sqs, true, true},
                                     {"max_exp_avg_sqs", &max_exp_avg_sqs, amsgrad, true}});
  check_steps(op, state_steps, params.size());
  if (params.empty()) return;
  auto fn = slot_or_throw(kernel_table(device.type).*slot, op, device);
  const Dense p(params, true, true), g(grads, true, false), m(exp_avgs, true, true),
      v(exp_avg_sqs, true, true), vmax(max_exp_avg_sqs, amsgrad, true);
  fn(p.get(), g.get(), m.get(), v.get(), vmax.get(), state_steps, lr, beta1, beta2,
     weight_decay, eps, amsgrad, maximize);
  p.finish();
  m.finish();
  v.finish();
  vmax.finish();
  bump(state_steps);
}

}  // namespace

void _fused_adam_(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                  const std::vector<Tensor>& exp_avgs, const std::vector<Tensor>& exp_avg_sqs,
                  const std::vector<Tensor>& max_exp_avg_sqs,
                  const std::vector<Tensor>& state_steps, double lr, double beta1, double beta2,
                  double weight_decay, double eps, bool amsgrad, bool maximize) {
  adam_like(OpId::_fused_adam_, "_fused_adam_", &KernelTable::_fused_adam_, params,
            grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, state_steps, lr, beta1, beta2,
            weight_decay, eps, amsgrad, maximize);
}

void _fused_adamw_(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                   const std::vector<Tensor>& exp_avgs, const std::vector<Tensor>& exp_avg_sqs,
                   const std::vector<Tensor>& max_exp_avg_sqs,
                   const std::vector<Tensor>& state_steps, double lr, double beta1,
                   double beta2, double weight_decay, double eps, bool amsgrad, bool maximize) {
  adam_like(OpId::_fused_adamw_, "_fused_adamw_", &KernelTable::_fused_adamw_, params,
            grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, state_steps, lr, beta1, beta2,
            weight_decay, eps, amsgrad, maximize);
}

void _fused_rmsprop_(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                     const std::vector<Tensor>& square_avgs, const std::vector<Tensor>& grad_avgs,
                     const std::vector<Tensor>& momentum_buffers, double lr, double alpha,
                     double eps, double weight_decay, double momentum, bool centered,
                     bool maximize) {
  static constexpr const char* kOp = "_fused_rmsprop_";
  const bool with_buf = momentum > 0;
  const Device device = check_group(OpId::_fused_rmsprop_, kOp, params,
                                    {{"grads", &grads, true, false},
                                     {"square_avgs", &square_avgs, true, true},
                                     {"grad_avgs", &grad_avgs, centered, true},
                                     {"momentum_buffers", &momentum_buffers, with_buf, true}});
  if (params.empty()) return;
  auto fn = slot_or_throw(kernel_table(device.type)._fused_rmsprop_, kOp, device);
  const Dense p(params, true, true), g(grads, true, false), sq(square_avgs, true, true),
      ga(grad_avgs, centered, true), b(momentum_buffers, with_buf, true);
  fn(p.get(), g.get(), sq.get(), ga.get(), b.get(), lr, alpha, eps, weight_decay, momentum,
     centered, maximize);
  p.finish();
  sq.finish();
  ga.finish();
  b.finish();
}

void _fused_adagrad_(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                     const std::vector<Tensor>& state_sums, const std::vector<Tensor>& state_steps,
                     double lr, double lr_decay, double weight_decay, double eps, bool maximize) {
  static constexpr const char* kOp = "_fused_adagrad_";
  const Device device = check_group(OpId::_fused_adagrad_, kOp, params,
                                    {{"grads", &grads, true, false},
                                     {"state_sums", &state_sums, true, true}});
  check_steps(kOp, state_steps, params.size());
  if (params.empty()) return;
  auto fn = slot_or_throw(kernel_table(device.type)._fused_adagrad_, kOp, device);
  const Dense p(params, true, true), g(grads, true, false), s(state_sums, true, true);
  fn(p.get(), g.get(), s.get(), state_steps, lr, lr_decay, weight_decay, eps, maximize);
  p.finish();
  s.finish();
  bump(state_steps);
}

void clip_grad_value_(const std::vector<Tensor>& grads, double clip_value) {
  static constexpr const char* kOp = "clip_grad_value_";
  // Clamping is idempotent and runs tensor by tensor: a gradient listed twice is harmless.
  const Device device = check_group(OpId::clip_grad_value_, kOp, grads, {}, "grads", false);
  if (grads.empty()) return;
  auto fn = slot_or_throw(kernel_table(device.type).clip_grad_value_, kOp, device);
  // The clamp runs through strides itself (loops.h), so no contiguous copies here.
  fn(grads, clip_value);
  bump(grads);
}

}  // namespace kiln::ops
