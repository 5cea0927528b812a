// CPU kernels of the nn_norm and nn_loss families (engine/ops/table/nn_norm.yaml, nn_loss.yaml):
// softmax, layer/batch/group norm, embedding, dropout, cross_entropy and nll_loss, each with
// its backward. Outputs come first, allocated (contiguous) with the op's shape and dtype;
// inputs arrive cast to the op's compute dtype and were shape-checked by its rules. Data
// checks (class indices, embedding indices) run here, before anything is written.
// Half types compute in float; float32 and float64 in their own type.
#pragma once

#include <cstdint>
#include <algorithm>
#include <cmath>
#include <cstring>
#include <optional>
#include <string>

#include "engine/core/half.h"
#include "engine/core/tensor.h"
#include "kernels/cpu/vec_math.h"

namespace kiln::cpu {

// softmax.cc: along dim, for any layout ((outer, size, inner) around dim).
void softmax(const Tensor& out, const Tensor& self, int64_t dim, std::optional<DType> dtype);
void log_softmax(const Tensor& out, const Tensor& self, int64_t dim, std::optional<DType> dtype);
void softmax_backward_data(const Tensor& out, const Tensor& grad_output, const Tensor& output,
                           int64_t dim, DType input_dtype);
void log_softmax_backward_data(const Tensor& out, const Tensor& grad_output, const Tensor& output,
                               int64_t dim, DType input_dtype);

// layer_norm.cc: rows of input (M, N) with N the product of normalized_shape.
void native_layer_norm(const Tensor& out, const Tensor& mean, const Tensor& rstd,
                       const Tensor& input, IntList normalized_shape, const Tensor& weight,
                       const Tensor& bias, double eps);
void native_layer_norm_backward(const Tensor& grad_input, const Tensor& grad_weight,
                                const Tensor& grad_bias, const Tensor& grad_out,
                                const Tensor& input, IntList normalized_shape, const Tensor& mean,
                                const Tensor& rstd, const Tensor& weight, const Tensor& bias);

// batch_norm.cc: input (N, C, HxW...), statistics per channel.
void native_batch_norm(const Tensor& out, const Tensor& save_mean, const Tensor& save_invstd,
                       const Tensor& input, const Tensor& weight, const Tensor& bias,
                       const Tensor& running_mean, const Tensor& running_var, bool training,
                       double momentum, double eps);
void native_batch_norm_backward(const Tensor& grad_input, const Tensor& grad_weight,
                                const Tensor& grad_bias, const Tensor& grad_out,
                                const Tensor& input, const Tensor& weight,
                                const Tensor& running_mean, const Tensor& running_var,
                                const Tensor& save_mean, const Tensor& save_invstd, bool train,
                                double eps);

// group_norm.cc: input (N, C, HxW), statistics per (N, group).
void native_group_norm(const Tensor& out, const Tensor& mean, const Tensor& rstd,
                       const Tensor& input, const Tensor& weight, const Tensor& bias, int64_t N,
                       int64_t C, int64_t HxW, int64_t group, double eps);
void native_group_norm_backward(const Tensor& grad_input, const Tensor& grad_weight,
                                const Tensor& grad_bias, const Tensor& grad_out,
                                const Tensor& input, const Tensor& mean, const Tensor& rstd,
                                const Tensor& weight, int64_t N, int64_t C, int64_t HxW,
                                int64_t group);

// embedding.cc: out (*indices, D) = weight (num_weights, D) rows.
void embedding(const Tensor& out, const Tensor& weight, const Tensor& indices, int64_t padding_idx,
               bool scale_grad_by_freq, bool sparse);
void embedding_dense_backward(const Tensor& out, const Tensor& grad_output, const Tensor& indices,
                              int64_t num_weights, int64_t padding_idx, bool scale_grad_by_freq);

// dropout.cc: Philox from the current default generator (engine/core/generator.h).
void native_dropout(const Tensor& output, const Tensor& mask, const Tensor& input, double p,
                    bool train);
void native_dropout_backward(const Tensor& out, const Tensor& grad_output, const Tensor& mask,
                             double scale);

// loss.cc: input (N, C, d...) or (C,); target class indices or (cross_entropy) probabilities.
void cross_entropy(const Tensor& out, const Tensor& input, const Tensor& target,
                   const Tensor& weight, int64_t ignore_index, const std::string& reduction,
                   double label_smoothing);
void cross_entropy_backward(const Tensor& out, const Tensor& grad_output, const Tensor& input,
                            const Tensor& target, const Tensor& weight, int64_t ignore_index,
                            const std::string& reduction, double label_smoothing);
void nll_loss(const Tensor& out, const Tensor& input, const Tensor& target, const Tensor& weight,
              int64_t ignore_index, const std::string& reduction);
void nll_loss_backward(const Tensor& out, const Tensor& grad_output, const Tensor& input,
                       const Tensor& target, const Tensor& weight, int64_t ignore_index,
                       const std::string& reduction);

namespace nn_detail {

// `t` contiguous (itself when it already is).
Tensor dense(const Tensor& t);
// A Tensor? argument as a contiguous float/double array of its values, or empty when None.
Tensor dense_as(const Tensor& t, DType dtype);

// (outer, size, inner) around dim; a 0-d tensor is (1, 1, 1).
struct Around {
  int64_t outer = 1, size = 1, inner = 1;
  Around(IntList sizes, int64_t dim);
};

// exp(x) for float as plain arithmetic the compiler vectorizes (libm's expf is not):
// vec_math.h's, accurate to a few ulp over the whole range (underflow and overflow included).
inline float vexp(float x) { return vec::exp(x); }
inline double vexp(double x) { return std::exp(x); }

// Lanes of independent partial results: float sums do not vectorize without reassociation,
// so reductions keep kLanes accumulators and combine them in a fixed order (the same bits on
// any thread count).
constexpr int kLanes = 16;

template <typename A, typename F>
A lane_sum(int64_t n, const F& f) {
  A acc[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int k = 0; k < kLanes; ++k) acc[k] += f(i + k);
  }
  for (int k = 0; i < n; ++i, ++k) acc[k] += f(i);
  A s = 0;
  for (int k = 0; k < kLanes; ++k) s += acc[k];
  return s;
}

// Rows per chunk when partial sums over rows must not depend on the thread count.
inline int64_t row_chunk(int64_t rows) { return std::max<int64_t>(16, (rows + 63) / 64); }

}  // namespace nn_detail

}  // namespace kiln::cpu
