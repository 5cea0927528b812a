#include "engine/optim/clip_grad.h"

#include "engine/autograd/functions.h"

namespace kiln::optim {

namespace {

std::vector<Tensor> grads_of(const std::vector<Tensor>& parameters) {
  std::vector<Tensor> grads;
  for (const Tensor& p : parameters) {
    if (!p.defined()) continue;
    Tensor g = p.grad();
    if (g.defined()) grads.push_back(g);
  }
  return grads;
}

}  // namespace

Tensor clip_grad_norm_(const std::vector<Tensor>& parameters, double max_norm, double norm_type,
                       bool error_if_nonfinite) {
  return kiln::clip_grad_norm_(grads_of(parameters), max_norm, norm_type, error_if_nonfinite);
}

void clip_grad_value_(const std::vector<Tensor>& parameters, double clip_value) {
  const std::vector<Tensor> grads = grads_of(parameters);
  if (!grads.empty()) kiln::clip_grad_value_(grads, clip_value);
}

}  // namespace kiln::optim
