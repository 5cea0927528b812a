// CUDA kernels of the nn families (engine/ops/table/nn_norm.yaml, nn_loss.yaml, nn_seq.yaml)
// and the fused optimizer steps (optim.yaml). Signatures as kernel_table.h: outputs first,
// allocated with the op's shape and dtype; inputs cast to the compute dtype and shape-checked
// by the op's rules; data checks (class and embedding indices) run before anything is
// written. Floating dtypes; float16/bfloat16 compute in float32. Every kernel runs on the
// device's compute stream; status errors throw, naming the op.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/core/tensor.h"

namespace kiln::cuda {

// nn_softmax.cu
void softmax(const Tensor& out, const Tensor& self, int64_t dim, std::optional<DType> dtype);
void log_softmax(const Tensor& out, const Tensor& self, int64_t dim, std::optional<DType> dtype);
void softmax_backward_data(const Tensor& out, const Tensor& grad_output, const Tensor& output,
                           int64_t dim, DType input_dtype);
void log_softmax_backward_data(const Tensor& out, const Tensor& grad_output, const Tensor& output,
                               int64_t dim, DType input_dtype);
// Softmax of contiguous (rows, n) into contiguous out (attention's unfused path).
void softmax_rows(const Tensor& out, const Tensor& x, int64_t rows, int64_t n, const char* op);

// nn_layer_norm.cu: input rows (M, N), N the product of normalized_shape.
void native_layer_norm(const Tensor& out, const Tensor& mean, const Tensor& rstd,
                       const Tensor& input, IntList normalized_shape, const Tensor& weight,
                       const Tensor& bias, double eps);
void native_layer_norm_backward(const Tensor& grad_input, const Tensor& grad_weight,
                                const Tensor& grad_bias, const Tensor& grad_out,
                                const Tensor& input, IntList normalized_shape, const Tensor& mean,
                                const Tensor& rstd, const Tensor& weight, const Tensor& bias);

// nn_loss.cu: input (N, C, d...) or (C,); target class indices (int64) or probabilities.
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

// nn_embedding.cu: out (*indices, D) = weight (num_weights, D) rows; the backward adds rows
// with float atomics into a float32 buffer (order-dependent in the last bits for float32).
void embedding(const Tensor& out, const Tensor& weight, const Tensor& indices, int64_t padding_idx,
               bool scale_grad_by_freq, bool sparse);
void embedding_dense_backward(const Tensor& out, const Tensor& grad_output, const Tensor& indices,
                              int64_t num_weights, int64_t padding_idx, bool scale_grad_by_freq);

// nn_dropout.cu: the CPU kernel's Philox stream (engine/core/generator.h), so one seed gives
// the same mask on CPU and GPU.
void native_dropout(const Tensor& output, const Tensor& mask, const Tensor& input, double p,
                    bool train);
void native_dropout_backward(const Tensor& out, const Tensor& grad_output, const Tensor& mask,
                             double scale);

// nn_linear.cu (cuBLAS): out (*, N) = input (*, K) @ weight (N, K)^T [+ bias].
void linear(const Tensor& out, const Tensor& input, const Tensor& weight, const Tensor& bias);
void linear_backward(const Tensor& grad_input, const Tensor& grad_weight, const Tensor& grad_bias,
                     const Tensor& self, const Tensor& grad_output, const Tensor& weight,
                     bool input_grad, bool weight_grad, bool bias_grad);

// nn_rnn_cells.cu: the elementwise halves of lstm_cell and gru_cell.
void lstm_cell_gates(const Tensor& hy, const Tensor& cy, const Tensor& gates, const Tensor& cx);
void lstm_cell_gates_backward(const Tensor& grad_gates, const Tensor& grad_cx,
                              const Tensor& grad_hy, const Tensor& grad_cy, const Tensor& gates,
                              const Tensor& cx, const Tensor& cy);
void gru_cell_gates(const Tensor& out, const Tensor& igates, const Tensor& hgates,
                    const Tensor& hx);
void gru_cell_gates_backward(const Tensor& grad_igates, const Tensor& grad_hgates,
                             const Tensor& grad_hx, const Tensor& grad_hy, const Tensor& igates,
                             const Tensor& hgates, const Tensor& hx);

// attention_sdpa.cu: the table's _scaled_dot_product_attention returns the probabilities
// (saved for backward), so it runs unfused: batched GEMM, masked softmax, batched GEMM.
void scaled_dot_product_attention(const Tensor& output, const Tensor& attn, const Tensor& query,
                                  const Tensor& key, const Tensor& value,
                                  const Tensor& attn_mask, double dropout_p, bool is_causal);
void scaled_dot_product_attention_backward(const Tensor& grad_query, const Tensor& grad_key,
                                           const Tensor& grad_value, const Tensor& grad_output,
                                           const Tensor& query, const Tensor& key,
                                           const Tensor& value, const Tensor& attn,
                                           double dropout_p);

// optim_fused.cu: one launch per step over every tensor of the group (multi-tensor apply).
void fused_sgd(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
               const std::vector<Tensor>& momentum_buffers, double lr, double momentum,
               double dampening, double weight_decay, bool nesterov, bool maximize,
               bool is_first_step);
void fused_adam(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                const std::vector<Tensor>& exp_avgs, const std::vector<Tensor>& exp_avg_sqs,
                const std::vector<Tensor>& max_exp_avg_sqs,
                const std::vector<Tensor>& state_steps, double lr, double beta1, double beta2,
                double weight_decay, double eps, bool amsgrad, bool maximize);
void fused_adamw(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                 const std::vector<Tensor>& exp_avgs, const std::vector<Tensor>& exp_avg_sqs,
                 const std::vector<Tensor>& max_exp_avg_sqs,
                 const std::vector<Tensor>& state_steps, double lr, double beta1, double beta2,
                 double weight_decay, double eps, bool amsgrad, bool maximize);
void fused_rmsprop(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                   const std::vector<Tensor>& square_avgs, const std::vector<Tensor>& grad_avgs,
                   const std::vector<Tensor>& momentum_buffers, double lr, double alpha,
                   double eps, double weight_decay, double momentum, bool centered,
                   bool maximize);
void fused_adagrad(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                   const std::vector<Tensor>& state_sums, const std::vector<Tensor>& state_steps,
                   double lr, double lr_decay, double weight_decay, double eps, bool maximize);

// optim_fused.cu: GradScaler's ops (engine/ops/amp.cc checks the arguments).
void amp_non_finite_check_and_unscale(const std::vector<Tensor>& self, const Tensor& found_inf,
                                      const Tensor& inv_scale);
void amp_update_scale(const Tensor& scale, const Tensor& growth_tracker, const Tensor& found_inf,
                      double growth_factor, double backoff_factor, int64_t growth_interval);

// ---- cudaconv: convolution, pooling, batch norm, group norm ----

// nn_conv_cudnn.cu (cuDNN legacy API): input (N, C, L) or (N, C, H, W); transposed runs as
// the plain convolution's backward-data pass.
void convolution(const Tensor& result, const Tensor& input, const Tensor& weight,
                 const Tensor& bias, IntList stride, IntList padding, IntList dilation,
                 bool transposed, IntList output_padding, int64_t groups);
void convolution_backward(const Tensor& grad_input, const Tensor& grad_weight,
                          const Tensor& grad_bias, const Tensor& grad_output, const Tensor& input,
                          const Tensor& weight, const std::optional<Shape>& bias_sizes,
                          IntList stride, IntList padding, IntList dilation, bool transposed,
                          IntList output_padding, int64_t groups, IntList output_mask);

// nn_pool.cu: planes (.., H, W) -> (.., OH, OW); indices are flat positions in a plane.
void max_pool2d_with_indices(const Tensor& values, const Tensor& indices, const Tensor& self,
                             IntList kernel_size, IntList stride, IntList padding,
                             IntList dilation, bool ceil_mode);
void max_pool2d_with_indices_backward(const Tensor& result, const Tensor& grad_output,
                                      const Tensor& self, IntList kernel_size, IntList stride,
                                      IntList padding, IntList dilation, bool ceil_mode,
                                      const Tensor& indices);
void avg_pool2d(const Tensor& result, const Tensor& self, IntList kernel_size, IntList stride,
                IntList padding, bool ceil_mode, bool count_include_pad,
                std::optional<int64_t> divisor_override);
void avg_pool2d_backward(const Tensor& result, const Tensor& grad_output, const Tensor& self,
                         IntList kernel_size, IntList stride, IntList padding, bool ceil_mode,
                         bool count_include_pad, std::optional<int64_t> divisor_override);
void adaptive_avg_pool2d(const Tensor& result, const Tensor& self, IntList output_size);
void adaptive_avg_pool2d_backward(const Tensor& result, const Tensor& grad_output,
                                  const Tensor& self);

// nn_batch_norm.cu: statistics over dim 1 of (N, C, ...); running stats updated in place.
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

// nn_group_norm.cu: input viewed as (N, C, HxW), mean and rstd (N, group).
void native_group_norm(const Tensor& out, const Tensor& mean, const Tensor& rstd,
                       const Tensor& input, const Tensor& weight, const Tensor& bias, int64_t N,
                       int64_t C, int64_t HxW, int64_t group, double eps);
void native_group_norm_backward(const Tensor& grad_input, const Tensor& grad_weight,
                                const Tensor& grad_bias, const Tensor& grad_out,
                                const Tensor& input, const Tensor& mean, const Tensor& rstd,
                                const Tensor& weight, int64_t N, int64_t C, int64_t HxW,
                                int64_t group);
// ---- end cudaconv ----

}  // namespace kiln::cuda
