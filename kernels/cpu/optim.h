// Optimizer steps and gradient clipping (engine/ops/table/optim.yaml).
//
// The fused steps update a whole parameter group in one pass over memory per tensor: every
// element's new parameter and state come from one read of param, grad and state. Each list
// holds one tensor per param with the param's shape and dtype, contiguous (engine/ops/optim.cc
// checks and densifies); a list the configuration does not use is empty. Element math follows
// PyTorch 1.13's single-tensor optimizers operation by operation (same order and roundings in
// float32/float64; the half types compute in float). Work is split into fixed pieces across
// threads, so results do not depend on the thread count.
#pragma once

#include <vector>

#include "engine/core/tensor.h"

namespace kiln::cpu {

// params, grads, momentum_buffers: (N_i) each
void fused_sgd(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
               const std::vector<Tensor>& momentum_buffers, double lr, double momentum,
               double dampening, double weight_decay, bool nesterov, bool maximize,
               bool is_first_step);

// params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs: (N_i); state_steps: one element each,
// incremented before use.
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

// params, grads, square_avgs, grad_avgs (centered), momentum_buffers (momentum > 0): (N_i)
void fused_rmsprop(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                   const std::vector<Tensor>& square_avgs, const std::vector<Tensor>& grad_avgs,
                   const std::vector<Tensor>& momentum_buffers, double lr, double alpha,
                   double eps, double weight_decay, double momentum, bool centered,
                   bool maximize);

// params, grads, state_sums: (N_i); state_steps: one element each, incremented before use.
void fused_adagrad(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                   const std::vector<Tensor>& state_sums, const std::vector<Tensor>& state_steps,
                   double lr, double lr_decay, double weight_decay, double eps, bool maximize);

// total_norm: () of the grads' promoted dtype. grads: any shapes and strides, scaled in place
// by min(1, max_norm / (total_norm + 1e-6)) unless error_if_nonfinite finds a non-finite norm.
void clip_grad_norm(const Tensor& total_norm, const std::vector<Tensor>& grads, double max_norm,
                    double norm_type, bool error_if_nonfinite);
// grads: any shapes and strides, clamped in place to [-clip_value, clip_value].
void clip_grad_value(const std::vector<Tensor>& grads, double clip_value);

}  // namespace kiln::cpu
