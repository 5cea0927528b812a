// Kernels of linear, attention and the RNN cells' gates (table/nn_seq.yaml). Inputs arrive
// cast to the compute dtype (any strides), outputs allocated; half types compute in float.
#pragma once

#include "engine/core/tensor.h"

namespace kiln::cpu {

// linear.cc: out (*, N) = input (*, K) @ weight (N, K)^T + bias.
void linear(const Tensor& out, const Tensor& input, const Tensor& weight, const Tensor& bias);
// Outputs whose flag is false are left unwritten.
void linear_backward(const Tensor& grad_input, const Tensor& grad_weight, const Tensor& grad_bias,
                     const Tensor& self, const Tensor& grad_output, const Tensor& weight,
                     bool input_grad, bool weight_grad, bool bias_grad);

// attention.cc: output (B.., L, Ev) and the probabilities attn (B.., L, S); entries dropout
// removed keep their probability with the sign bit set (backward needs both).
void scaled_dot_product_attention(const Tensor& output, const Tensor& attn, const Tensor& query,
                                  const Tensor& key, const Tensor& value, const Tensor& attn_mask,
                                  double dropout_p, bool is_causal);
void scaled_dot_product_attention_backward(const Tensor& grad_query, const Tensor& grad_key,
                                           const Tensor& grad_value, const Tensor& grad_output,
                                           const Tensor& query, const Tensor& key,
                                           const Tensor& value, const Tensor& attn,
                                           double dropout_p);

// rnn.cc: the cells' elementwise parts; gates in PyTorch's order (LSTM i, f, g, o; GRU r, z, n).
void lstm_cell_gates(const Tensor& hy, const Tensor& cy, const Tensor& gates, const Tensor& cx);
void lstm_cell_gates_backward(const Tensor& grad_gates, const Tensor& grad_cx,
                              const Tensor& grad_hy, const Tensor& grad_cy, const Tensor& gates,
                              const Tensor& cx, const Tensor& cy);
void gru_cell_gates(const Tensor& hy, const Tensor& igates, const Tensor& hgates,
                    const Tensor& hx);
void gru_cell_gates_backward(const Tensor& grad_igates, const Tensor& grad_hgates,
                             const Tensor& grad_hx, const Tensor& grad_hy, const Tensor& igates,
                             const Tensor& hgates, const Tensor& hx);

}  // namespace kiln::cpu
