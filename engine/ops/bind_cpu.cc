// Binds the CPU kernels (kernels/cpu) to the ops of the table. One line per op; an op the
// table lists for cpu but that is not bound here fails with "<op>: no cpu kernel is bound".
#include "engine/ops/bind.h"
#include "kernels/cpu/binary.h"
#include "kernels/cpu/copy.h"
#include "kernels/cpu/optim.h"
#include "kernels/cpu/index.h"
#include "kernels/cpu/nn_norm.h"
#include "kernels/cpu/reduce.h"
#include "kernels/cpu/unary.h"

namespace kiln {

void bind_cpu(KernelTable& t) {
  // ---- creation and random: fill_, arange, rand*, normal_, ... ----
  t.fill_ = cpu::fill;
  // (end of creation)


  // ---- convert: copy_ ----
  t.copy_ = cpu::copy;
  // (end of convert)


  // ---- unary: neg, exp, ... (kernels/cpu/unary.h) ----
  t.neg = cpu::neg;
  t.exp = cpu::exp;
  // (end of unary)


  // ---- binary: add, mul, comparisons, where, ... (kernels/cpu/binary.h) ----
  t.add = cpu::add;
  t.sub = cpu::sub;
  t.mul = cpu::mul;
  t.div = cpu::div;
  t.pow_Tensor_Tensor = cpu::pow_tensor_tensor;
  t.pow_Tensor_Scalar = cpu::pow_tensor_scalar;
  t.pow_Scalar = cpu::pow_scalar;
  t.remainder = cpu::remainder;
  t.fmod = cpu::fmod;
  t.maximum = cpu::maximum;
  t.minimum = cpu::minimum;
  t.atan2 = cpu::atan2;
  t.xlogy = cpu::xlogy;
  t.eq = cpu::eq;
  t.ne = cpu::ne;
  t.lt = cpu::lt;
  t.le = cpu::le;
  t.gt = cpu::gt;
  t.ge = cpu::ge;
  t.logical_and = cpu::logical_and;
  t.logical_or = cpu::logical_or;
  t.logical_xor = cpu::logical_xor;
  t.bitwise_and = cpu::bitwise_and;
  t.bitwise_or = cpu::bitwise_or;
  t.bitwise_xor = cpu::bitwise_xor;
  t.bitwise_left_shift = cpu::bitwise_left_shift;
  t.bitwise_right_shift = cpu::bitwise_right_shift;
  t.where = cpu::where;
  t.lerp_Scalar = cpu::lerp_scalar;
  t.lerp_Tensor = cpu::lerp_tensor;
  t.addcmul = cpu::addcmul;
  t.addcdiv = cpu::addcdiv;
  t.fmax = cpu::fmax;
  t.fmin = cpu::fmin;
  t.hypot = cpu::hypot;
  t.copysign = cpu::copysign;
  t.floor_divide = cpu::floor_divide;
  // (end of binary)


  // ---- reduce: sum, mean, max, var, sort, topk, cumsum, ... (kernels/cpu/reduce.h) ----
  t.sum = cpu::sum;
  // (end of reduce)


  // ---- linalg: mm, bmm, addmm, ... (kernels/cpu/linalg.h) ----
  // (end of linalg)


  // ---- index and shape: cat, index_select, gather, scatter, ... (kernels/cpu/index.h) ----
  t.cat = cpu::cat;
  t.index_select = cpu::index_select;
  t.gather = cpu::gather;
  t.scatter_src = cpu::scatter_src;
  t.scatter_value = cpu::scatter_value;
  t.scatter_reduce = cpu::scatter_reduce;
  t.scatter_value_reduce = cpu::scatter_value_reduce;
  t.scatter_add = cpu::scatter_add;
  t.index_add = cpu::index_add;
  t.index = cpu::index;
  t.index_put = cpu::index_put;
  t.masked_fill_Scalar = cpu::masked_fill_Scalar;
  t.masked_fill_Tensor = cpu::masked_fill_Tensor;
  t.masked_select = cpu::masked_select;
  t.nonzero = cpu::nonzero;
  t.repeat_interleave_Tensor = cpu::repeat_interleave_Tensor;
  t.flip = cpu::flip;
  t.tril = cpu::tril;
  t.triu = cpu::triu;
  t.constant_pad_nd = cpu::constant_pad_nd;
  // (end of index)


  // ---- nn: conv, pooling, norms, losses, attention, ... (kernels/cpu/nn_*.h) ----
  // (end of nn)


  // ---- nn_norm / nn_loss: softmax, norms, embedding, dropout, losses (kernels/cpu/nn_norm.h) ----
  t.softmax = cpu::softmax;
  t.log_softmax = cpu::log_softmax;
  t._softmax_backward_data = cpu::softmax_backward_data;
  t._log_softmax_backward_data = cpu::log_softmax_backward_data;
  t.native_layer_norm = cpu::native_layer_norm;
  t.native_layer_norm_backward = cpu::native_layer_norm_backward;
  t.native_batch_norm = cpu::native_batch_norm;
  t.native_batch_norm_backward = cpu::native_batch_norm_backward;
  t.native_group_norm = cpu::native_group_norm;
  t.native_group_norm_backward = cpu::native_group_norm_backward;
  t.embedding = cpu::embedding;
  t.embedding_dense_backward = cpu::embedding_dense_backward;
  t.native_dropout = cpu::native_dropout;
  t.native_dropout_backward = cpu::native_dropout_backward;
  t.cross_entropy = cpu::cross_entropy;
  t._cross_entropy_backward = cpu::cross_entropy_backward;
  t.nll_loss = cpu::nll_loss;
  t._nll_loss_backward = cpu::nll_loss_backward;
  // (end of nn_norm)


  // ---- optim: fused optimizer steps (kernels/cpu/optim.h) ----
  t._fused_sgd_ = cpu::fused_sgd;
  t._fused_adam_ = cpu::fused_adam;
  t._fused_adamw_ = cpu::fused_adamw;
  t._fused_rmsprop_ = cpu::fused_rmsprop;
  t._fused_adagrad_ = cpu::fused_adagrad;
  t.clip_grad_norm_ = cpu::clip_grad_norm;
  t.clip_grad_value_ = cpu::clip_grad_value;
  // (end of optim)


}

}  // namespace kiln
