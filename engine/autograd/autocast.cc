// torch.autocast's state and casts (see autocast.h).
#include "engine/autograd/autocast.h"

#include "engine/autograd/functions.h"

namespace kiln::autocast {

namespace {

struct State {
  bool enabled[kNumDeviceTypes] = {false, false};
  DType dtype[kNumDeviceTypes] = {DType::kBFloat16, DType::kFloat16};
  bool suspended = false;
  int enabled_count = 0;  // how many device types are on (for the fast path)
};

State& state() {
  thread_local State s;
  return s;
}

bool eligible(const Tensor& t, DeviceType type) {
  return t.defined() && t.device().type == type && is_floating(t.dtype()) &&
         t.dtype() != DType::kFloat64;
}

int rank(DType t) {
  // float16 and bfloat16 promote to float32 together (PyTorch's promote_types).
  return t == DType::kFloat64 ? 3 : t == DType::kFloat32 ? 2 : 1;
}

}  // namespace

bool is_enabled(DeviceType type) { return state().enabled[int(type)]; }
DType get_dtype(DeviceType type) { return state().dtype[int(type)]; }

AutocastGuard::AutocastGuard(DeviceType type, DType dtype, bool enabled) : type_(type) {
  KILN_CHECK(dtype == DType::kFloat16 || dtype == DType::kBFloat16,
             "autocast: only float16 and bfloat16 are supported as the autocast dtype, got ",
             dtype);
  State& s = state();
  prev_enabled_ = s.enabled[int(type)];
  prev_dtype_ = s.dtype[int(type)];
  s.enabled_count += int(enabled) - int(prev_enabled_);
  s.enabled[int(type)] = enabled;
  s.dtype[int(type)] = dtype;
}

AutocastGuard::~AutocastGuard() {
  State& s = state();
  s.enabled_count += int(prev_enabled_) - int(s.enabled[int(type_)]);
  s.enabled[int(type_)] = prev_enabled_;
  s.dtype[int(type_)] = prev_dtype_;
}

Suspend::Suspend() : prev_(state().suspended) { state().suspended = true; }
Suspend::~Suspend() { state().suspended = prev_; }

bool active() {
  const State& s = state();
  return s.enabled_count > 0 && !s.suspended;
}

DeviceType device_type_of(std::initializer_list<const Tensor*> tensors,
                          std::initializer_list<const std::vector<Tensor>*> lists) {
  for (const Tensor* t : tensors) {
    if (t->defined()) return t->device().type;
  }
  for (const auto* l : lists) {
    for (const Tensor& t : *l) {
      if (t.defined()) return t.device().type;
    }
  }
  return DeviceType::kCPU;
}

DType target_dtype(Policy policy, DeviceType type, std::initializer_list<const Tensor*> tensors,
                   std::initializer_list<const std::vector<Tensor>*> lists) {
  if (policy == Policy::kLower) return get_dtype(type);
  if (policy == Policy::kFp32) return DType::kFloat32;
  // Promote: the widest eligible dtype; two different half types meet at float32.
  std::optional<DType> widest;
  auto see = [&](const Tensor& t) {
    if (!eligible(t, type)) return;
    if (!widest) {
      widest = t.dtype();
    } else if (*widest != t.dtype()) {
      widest = rank(t.dtype()) > rank(*widest) ? t.dtype()
               : rank(t.dtype()) == rank(*widest) ? DType::kFloat32
                                                  : *widest;
    }
  };
  for (const Tensor* t : tensors) see(*t);
  for (const auto* l : lists) {
    for (const Tensor& t : *l) see(t);
  }
  return widest.value_or(DType::kFloat32);
}

Tensor cast(const Tensor& t, DType dtype, DeviceType type) {
  if (!eligible(t, type) || t.dtype() == dtype) return t;
  return kiln::to(t, std::nullopt, dtype, false);
}

std::vector<Tensor> cast(const std::vector<Tensor>& ts, DType dtype, DeviceType type) {
  std::vector<Tensor> out;
  out.reserve(ts.size());
  for (const Tensor& t : ts) out.push_back(cast(t, dtype, type));
  return out;
}

}  // namespace kiln::autocast
