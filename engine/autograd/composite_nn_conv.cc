// The functional convolutions and max_pool2d (table/nn_conv.yaml, impl: composite), over the
// convolution and max_pool2d_with_indices primitives; gradients flow through those.
#include "engine/autograd/functions.h"
#include "engine/ops/rules.h"

namespace kiln {

namespace {

// Runs `conv` on a batched view of an unbatched input and drops the batch dim again.
template <typename F>
Tensor batched(const Tensor& input, int64_t k, F&& conv) {
  if (input.dim() == k + 2) return conv(input);
  return squeeze(conv(unsqueeze(input, 0)), 0);
}

// padding="same"/"valid": the symmetric part goes to convolution; an odd total puts the extra
// entry on the right (bottom), by padding the input first, as PyTorch does.
Tensor conv_str(const char* op, const Tensor& input, const Tensor& weight, const Tensor& bias,
                IntList stride, const std::string& padding, IntList dilation, int64_t groups,
                int64_t k) {
  rules::check_defined(op, input, "input");
  rules::check_defined(op, weight, "weight");
  rules::conv_dtype(op, input, weight, bias);
  rules::conv_nd_str_shape(op, input, weight, bias, stride, padding, dilation, groups, k);
  const std::vector<int64_t> total = rules::same_padding(op, weight, stride, padding, dilation, k);
  Shape sym, extra;
  bool odd = false;
  for (int64_t i = k - 1; i >= 0; --i) {  // constant_pad_nd counts from the last dim
    extra.insert(extra.end(), {0, total[i] % 2});
    odd = odd || total[i] % 2;
  }
  for (int64_t i = 0; i < k; ++i) sym.push_back(total[i] / 2);
  return batched(input, k, [&](const Tensor& x) {
    return convolution(odd ? constant_pad_nd(x, extra, 0) : x, weight, bias, stride, sym,
                       dilation, false, Shape(k, 0), groups);
  });
}

}  // namespace

Tensor conv1d(const Tensor& input, const Tensor& weight, const Tensor& bias, IntList stride,
              IntList padding, IntList dilation, int64_t groups) {
  rules::check_defined("conv1d", input, "input");
  rules::check_defined("conv1d", weight, "weight");
  rules::conv_dtype("conv1d", input, weight, bias);
  rules::conv_nd_shape("conv1d", input, weight, bias, stride, padding, dilation, groups, 1);
  return batched(input, 1, [&](const Tensor& x) {
    return convolution(x, weight, bias, stride, padding, dilation, false, Shape{0}, groups);
  });
}

Tensor conv1d(const Tensor& input, const Tensor& weight, const Tensor& bias, IntList stride,
              const std::string& padding, IntList dilation, int64_t groups) {
  return conv_str("conv1d", input, weight, bias, stride, padding, dilation, groups, 1);
}

Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias, IntList stride,
              IntList padding, IntList dilation, int64_t groups) {
  rules::check_defined("conv2d", input, "input");
  rules::check_defined("conv2d", weight, "weight");
  rules::conv_dtype("conv2d", input, weight, bias);
  rules::conv_nd_shape("conv2d", input, weight, bias, stride, padding, dilation, groups, 2);
  return batched(input, 2, [&](const Tensor& x) {
    return convolution(x, weight, bias, stride, padding, dilation, false, Shape{0}, groups);
  });
}

Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias, IntList stride,
              const std::string& padding, IntList dilation, int64_t groups) {
  return conv_str("conv2d", input, weight, bias, stride, padding, dilation, groups, 2);
}

Tensor conv_transpose2d(const Tensor& input, const Tensor& weight, const Tensor& bias,
                        IntList stride, IntList padding, IntList output_padding, int64_t groups,
                        IntList dilation) {
  rules::check_defined("conv_transpose2d", input, "input");
  rules::check_defined("conv_transpose2d", weight, "weight");
  rules::conv_dtype("conv_transpose2d", input, weight, bias);
  rules::conv_transpose_nd_shape("conv_transpose2d", input, weight, bias, stride, padding,
                                 output_padding, groups, dilation, 2);
  return batched(input, 2, [&](const Tensor& x) {
    return convolution(x, weight, bias, stride, padding, dilation, true, output_padding, groups);
  });
}

Tensor max_pool2d(const Tensor& self, IntList kernel_size, IntList stride, IntList padding,
                  IntList dilation, bool ceil_mode) {
  rules::check_defined("max_pool2d", self, "self");
  rules::pool2d_shape("max_pool2d", self, kernel_size, stride, padding, dilation, ceil_mode);
  return std::get<0>(
      max_pool2d_with_indices(self, kernel_size, stride, padding, dilation, ceil_mode));
}

}  // namespace kiln
