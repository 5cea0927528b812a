// CPU kernels of convolution and pooling (engine/ops/table/nn_conv.yaml).
//
// Outputs come first and arrive allocated with the op's shape and dtype; every size was
// checked by the op's rules (engine/ops/rules_nn_conv.cc). Floating dtypes; half types compute
// in float. Results do not depend on the thread count: threads split outputs, and sums over
// the batch run in a fixed order.
#pragma once

#include <optional>

#include "engine/core/tensor.h"

namespace kiln::cpu {

// conv.cc: out (N, C_out, *O) from input (N, C_in, *I), weight (C_out, C_in / groups, *K)
// (transposed: weight (C_in, C_out / groups, *K)), 1 or 2 spatial dims. im2col + BLAS GEMM;
// 1x1 stride-1 unpadded convolutions skip im2col; depthwise ones run a direct loop.
void convolution(const Tensor& out, const Tensor& input, const Tensor& weight, const Tensor& bias,
                 IntList stride, IntList padding, IntList dilation, bool transposed,
                 IntList output_padding, int64_t groups);
// The gradients for input, weight and bias; a masked-off one arrives with 0 elements.
void convolution_backward(const Tensor& grad_input, const Tensor& grad_weight,
                          const Tensor& grad_bias, const Tensor& grad_output, const Tensor& input,
                          const Tensor& weight, const std::optional<Shape>& bias_sizes,
                          IntList stride, IntList padding, IntList dilation, bool transposed,
                          IntList output_padding, int64_t groups, IntList output_mask);

// pool.cc: planes (.., H, W) -> (.., oH, oW). Max: NaN wins, ties keep the first position;
// indices are flat positions h * W + w in the input plane.
void max_pool2d_with_indices(const Tensor& values, const Tensor& indices, const Tensor& self,
                             IntList kernel_size, IntList stride, IntList padding,
                             IntList dilation, bool ceil_mode);
void max_pool2d_with_indices_backward(const Tensor& out, const Tensor& grad_output,
                                      const Tensor& self, IntList kernel_size, IntList stride,
                                      IntList padding, IntList dilation, bool ceil_mode,
                                      const Tensor& indices);
void avg_pool2d(const Tensor& out, const Tensor& self, IntList kernel_size, IntList stride,
                IntList padding, bool ceil_mode, bool count_include_pad,
                std::optional<int64_t> divisor_override);
void avg_pool2d_backward(const Tensor& out, const Tensor& grad_output, const Tensor& self,
                         IntList kernel_size, IntList stride, IntList padding, bool ceil_mode,
                         bool count_include_pad, std::optional<int64_t> divisor_override);
// pool_adaptive.cc: window i of n over a size-S dim spans [floor(i*S/n), ceil((i+1)*S/n)).
void adaptive_avg_pool2d(const Tensor& out, const Tensor& self, IntList output_size);
void adaptive_avg_pool2d_backward(const Tensor& out, const Tensor& grad_output,
                                  const Tensor& self);

}  // namespace kiln::cpu
