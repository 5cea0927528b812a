// Gradient helpers of the nn_conv family (table/nn_conv.yaml), written with kiln:: ops so
// that they are differentiable again.
#include "engine/autograd/backward_helpers.h"
#include "engine/autograd/functions.h"

namespace kiln {

namespace {

// A gradient that is really there: multi-output nodes hand zeros of the output's shape for
// unused outputs, and masked-off outputs of convolution_backward have 0 elements.
bool present(const Tensor& g, const Tensor& like) {
  return g.defined() && g.numel() > 0 && g.sizes() == like.sizes();
}

}  // namespace

std::vector<Tensor> convolution_backward_grads(const Tensor& grad, const Tensor& input,
                                               const Tensor& weight, IntList bias_sizes,
                                               IntList stride, IntList padding, IntList dilation,
                                               bool transposed, IntList output_padding,
                                               int64_t groups, const std::array<bool, 3>& mask) {
  const bool has_bias = bias_sizes.size() > 0;
  std::optional<Shape> bs;
  if (has_bias) bs = Shape(bias_sizes.begin(), bias_sizes.end());
  auto [gi, gw, gb] = convolution_backward(
      grad, input, weight, bs, stride, padding, dilation, transposed, output_padding, groups,
      Shape{mask[0] ? 1 : 0, mask[1] ? 1 : 0, (mask[2] && has_bias) ? 1 : 0});
  return {mask[0] ? gi : Tensor(), mask[1] ? gw : Tensor(),
          (mask[2] && has_bias) ? gb : Tensor()};
}

std::vector<Tensor> convolution_double_backward(const std::vector<Tensor>& grads,
                                                const Tensor& grad_output, const Tensor& input,
                                                const Tensor& weight, IntList stride,
                                                IntList padding, IntList dilation,
                                                bool transposed, IntList output_padding,
                                                int64_t groups, const std::array<bool, 3>& mask) {
  const Tensor& ggi = grads[0];
  const Tensor& ggw = grads.size() > 1 ? grads[1] : Tensor();
  const Tensor& ggb = grads.size() > 2 ? grads[2] : Tensor();
  const bool has_i = present(ggi, input), has_w = present(ggw, weight);
  const int64_t c_out = grad_output.sizes()[1];
  const bool has_b = ggb.defined() && ggb.dim() == 1 && ggb.sizes()[0] == c_out && c_out > 0;
  std::vector<Tensor> out(3);
  if (mask[0]) {
    // grad_input = F_I^T grad_output and grad_weight = F_W^T grad_output are linear in
    // grad_output: their adjoints are the convolution F itself.
    Tensor g = zeros_like(grad_output);
    if (has_i) {
      g = add(g, convolution(ggi, weight, Tensor(), stride, padding, dilation, transposed,
                             output_padding, groups));
    }
    if (has_w) {
      g = add(g, convolution(input, ggw, Tensor(), stride, padding, dilation, transposed,
                             output_padding, groups));
    }
    if (has_b) {
      Shape s(grad_output.dim(), 1);
      s[1] = c_out;
      g = add(g, reshape(ggb, s));
    }
    out[0] = g;
  }
  // <ggw, grad_weight(input)> is <F(input, ggw), grad_output>: its input gradient is
  // convolution_backward's input gradient with ggw as the weight; likewise for weight.
  if (mask[1]) {
    out[1] = has_w ? std::get<0>(convolution_backward(grad_output, input, ggw, std::nullopt,
                                                      stride, padding, dilation, transposed,
                                                      output_padding, groups, Shape{1, 0, 0}))
                   : zeros_like(input);
  }
  if (mask[2]) {
    out[2] = has_i ? std::get<1>(convolution_backward(grad_output, ggi, weight, std::nullopt,
                                                      stride, padding, dilation, transposed,
                                                      output_padding, groups, Shape{0, 1, 0}))
                   : zeros_like(weight);
  }
  return out;
}

Tensor max_pool2d_double_backward(const Tensor& grad, const Tensor& indices) {
  const int64_t n = grad.dim();
  const Tensor flat = flatten(grad, n - 2, n - 1);
  return view(gather(flat, n - 2, flatten(indices, n - 2, n - 1)), indices.sizes());
}

Tensor adaptive_avg_pool2d_double_backward(const Tensor& grad, IntList grad_output_sizes) {
  const size_t n = grad_output_sizes.size();
  return adaptive_avg_pool2d(grad, Shape{grad_output_sizes[n - 2], grad_output_sizes[n - 1]});
}

}  // namespace kiln
