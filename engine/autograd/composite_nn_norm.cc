// nn_norm entry points written over the fused ops (table/nn_norm.yaml, impl: composite):
// torch.nn.functional's layer_norm, batch_norm, group_norm and dropout. Each checks its
// arguments under its own name first, then calls the native op, whose gradient is theirs.
#include "engine/autograd/functions.h"
#include "engine/ops/rules.h"

namespace kiln {

Tensor layer_norm(const Tensor& input, IntList normalized_shape, const Tensor& weight,
                  const Tensor& bias, double eps) {
  rules::check_defined("layer_norm", input, "input");
  rules::require_floating("layer_norm", input);
  rules::layer_norm("layer_norm", input, normalized_shape, weight, bias);
  return std::get<0>(native_layer_norm(input, normalized_shape, weight, bias, eps));
}

Tensor batch_norm(const Tensor& input, const Tensor& running_mean, const Tensor& running_var,
                  const Tensor& weight, const Tensor& bias, bool training, double momentum,
                  double eps) {
  rules::check_defined("batch_norm", input, "input");
  rules::require_floating("batch_norm", input);
  rules::batch_norm("batch_norm", input, weight, bias, running_mean, running_var, training);
  return std::get<0>(
      native_batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps));
}

Tensor group_norm(const Tensor& input, int64_t num_groups, const Tensor& weight,
                  const Tensor& bias, double eps) {
  rules::check_defined("group_norm", input, "input");
  rules::require_floating("group_norm", input);
  rules::group_norm("group_norm", input, num_groups, weight, bias);
  const int64_t n = input.sizes()[0], c = input.sizes()[1];
  int64_t hxw = 1;
  for (int64_t d = 2; d < input.dim(); ++d) hxw *= input.sizes()[d];
  return std::get<0>(native_group_norm(input, weight, bias, n, c, hxw, num_groups, eps));
}

// PyTorch hands back input itself when not training.
Tensor dropout(const Tensor& input, double p, bool training, bool inplace) {
  rules::check_defined("dropout", input, "input");
  rules::dropout("dropout", input, p);
  if (!training) return input;
  Tensor r = std::get<0>(native_dropout(input, p, true));
  if (inplace) return copy_(input, r);
  return r;
}

}  // namespace kiln
