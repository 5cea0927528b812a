// Hand-written ops of the index family: the backward ops of slice and select (zeros with the
// gradient written into the view the forward op took).
#include "engine/ops/ops.h"
#include "engine/ops/rules.h"

namespace kiln::ops {

Tensor slice_backward(const Tensor& grad_output, IntList input_sizes, int64_t dim, int64_t start,
                      int64_t end, int64_t step) {
  rules::check_defined("slice_backward", grad_output, "grad_output");
  const Shape shape =
      rules::slice_backward("slice_backward", grad_output, input_sizes, dim, start, end, step);
  Tensor out = zeros(shape, grad_output.dtype(), grad_output.device());
  copy_(slice(out, dim, start, end, step), grad_output, false);
  return out;
}

Tensor select_backward(const Tensor& grad_output, IntList input_sizes, int64_t dim, int64_t index) {
  rules::check_defined("select_backward", grad_output, "grad_output");
  const Shape shape =
      rules::select_backward("select_backward", grad_output, input_sizes, dim, index);
  Tensor out = zeros(shape, grad_output.dtype(), grad_output.device());
  copy_(select(out, dim, index), grad_output, false);
  return out;
}

}  // namespace kiln::ops
