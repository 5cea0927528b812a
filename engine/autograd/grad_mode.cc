#include "engine/autograd/grad_mode.h"

namespace kiln {
namespace {
thread_local bool t_grad_enabled = true;
thread_local bool t_inference = false;
}  // namespace

bool GradMode::is_enabled() { return t_grad_enabled; }
void GradMode::set_enabled(bool enabled) { t_grad_enabled = enabled; }

InferenceModeGuard::InferenceModeGuard()
    : prev_grad_(t_grad_enabled), prev_inference_(t_inference) {
  t_grad_enabled = false;
  t_inference = true;
}

InferenceModeGuard::~InferenceModeGuard() {
  t_grad_enabled = prev_grad_;
  t_inference = prev_inference_;
}

bool InferenceModeGuard::is_enabled() { return t_inference; }

}  // namespace kiln
