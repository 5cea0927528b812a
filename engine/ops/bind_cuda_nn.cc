// Binds the CUDA kernels of the linalg, nn_* and optim families (kernels/cuda/linalg_*,
// nn_*, attention_*, optim_*) to the ops of the table; called from bind_cuda.cc. An op the
// table lists for cuda but that is not bound here fails with "<op>: no cuda kernel is bound".
#include "engine/ops/bind_cuda.h"
#include "kernels/cuda/linalg_ops.h"
#include "kernels/cuda/nn_kernels.h"
#include "kernels/cuda/optim_clip.h"  // cudaidx

namespace kiln {

void bind_cuda_nn(KernelTable& t) {
  // ---- linalg (cuBLAS) ----
  t.mm = cuda::mm;
  t.bmm = cuda::bmm;
  t.addmm = cuda::addmm;
  t.baddbmm = cuda::baddbmm;
  t.mv = cuda::mv;
  t.addmv = cuda::addmv;
  t.dot = cuda::dot;

  // ---- nn_norm: softmax, layer norm, embedding, dropout ----
  t.softmax = cuda::softmax;
  t.log_softmax = cuda::log_softmax;
  t._softmax_backward_data = cuda::softmax_backward_data;
  t._log_softmax_backward_data = cuda::log_softmax_backward_data;
  t.native_layer_norm = cuda::native_layer_norm;
  t.native_layer_norm_backward = cuda::native_layer_norm_backward;
  t.embedding = cuda::embedding;
  t.embedding_dense_backward = cuda::embedding_dense_backward;
  t.native_dropout = cuda::native_dropout;
  t.native_dropout_backward = cuda::native_dropout_backward;

  // ---- nn_loss ----
  t.cross_entropy = cuda::cross_entropy;
  t._cross_entropy_backward = cuda::cross_entropy_backward;
  t.nll_loss = cuda::nll_loss;
  t._nll_loss_backward = cuda::nll_loss_backward;

  // ---- nn_seq ----
  t.linear = cuda::linear;
  t.linear_backward = cuda::linear_backward;
  t._scaled_dot_product_attention = cuda::scaled_dot_product_attention;
  t._scaled_dot_product_attention_backward = cuda::scaled_dot_product_attention_backward;
  t._lstm_cell_gates = cuda::lstm_cell_gates;
  t._lstm_cell_gates_backward = cuda::lstm_cell_gates_backward;
  t._gru_cell_gates = cuda::gru_cell_gates;
  t._gru_cell_gates_backward = cuda::gru_cell_gates_backward;

  // ---- optim ----
  t._fused_sgd_ = cuda::fused_sgd;
  t._fused_adam_ = cuda::fused_adam;
  t._fused_adamw_ = cuda::fused_adamw;
  t._fused_rmsprop_ = cuda::fused_rmsprop;
  t._fused_adagrad_ = cuda::fused_adagrad;
  t._amp_foreach_non_finite_check_and_unscale_ = cuda::amp_non_finite_check_and_unscale;
  t._amp_update_scale_ = cuda::amp_update_scale;

  // ---- cudaidx: gradient clipping (kernels/cuda/optim_clip.h) ----
  t.clip_grad_norm_ = cuda::clip_grad_norm;
  t.clip_grad_value_ = cuda::clip_grad_value;
  // (end of cudaidx)

  // ---- cudaconv: convolution (cuDNN), pooling, batch norm, group norm ----
  t.convolution = cuda::convolution;
  t.convolution_backward = cuda::convolution_backward;
  t.max_pool2d_with_indices = cuda::max_pool2d_with_indices;
  t.max_pool2d_with_indices_backward = cuda::max_pool2d_with_indices_backward;
  t.avg_pool2d = cuda::avg_pool2d;
  t.avg_pool2d_backward = cuda::avg_pool2d_backward;
  t.adaptive_avg_pool2d = cuda::adaptive_avg_pool2d;
  t.adaptive_avg_pool2d_backward = cuda::adaptive_avg_pool2d_backward;
  t.native_batch_norm = cuda::native_batch_norm;
  t.native_batch_norm_backward = cuda::native_batch_norm_backward;
  t.native_group_norm = cuda::native_group_norm;
  t.native_group_norm_backward = cuda::native_group_norm_backward;
  // ---- end cudaconv ----
}

}  // namespace kiln
