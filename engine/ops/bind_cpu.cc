// Binds the CPU kernels (kernels/cpu) to the ops of the table. One line per op; an op the
// table lists for cpu but that is not bound here fails with "<op>: no cpu kernel is bound".
#include "engine/ops/bind.h"
#include "kernels/cpu/amp.h"
#include "kernels/cpu/binary.h"
#include "kernels/cpu/copy.h"
#include "kernels/cpu/optim.h"
#include "kernels/cpu/index.h"
#include "kernels/cpu/linalg.h"
#include "kernels/cpu/nn_seq.h"
#include "kernels/cpu/nn_conv.h"
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
  t.expm1 = cpu::expm1;
  t.log = cpu::log;
  t.log1p = cpu::log1p;
  t.log2 = cpu::log2;
  t.log10 = cpu::log10;
  t.sqrt = cpu::sqrt;
  t.rsqrt = cpu::rsqrt;
  t.reciprocal = cpu::reciprocal;
  t.sin = cpu::sin;
  t.cos = cpu::cos;
  t.tan = cpu::tan;
  t.tanh = cpu::tanh;
  t.sigmoid = cpu::sigmoid;
  t.erf = cpu::erf;
  t.abs = cpu::abs;
  t.sign = cpu::sign;
  t.square = cpu::square;
  t.floor = cpu::floor;
  t.ceil = cpu::ceil;
  t.round = cpu::round;
  t.trunc = cpu::trunc;
  t.clamp = cpu::clamp;
  t.clamp_min = cpu::clamp_min;
  t.clamp_max = cpu::clamp_max;
  t.logical_not = cpu::logical_not;
  t.isnan = cpu::isnan;
  t.isinf = cpu::isinf;
  t.isfinite = cpu::isfinite;
  t.nan_to_num = cpu::nan_to_num;
  t.relu = cpu::relu;
  t.gelu = cpu::gelu;
  t.silu = cpu::silu;
  t.leaky_relu = cpu::leaky_relu;
  t.elu = cpu::elu;
  t.softplus = cpu::softplus;
  t.hardtanh = cpu::hardtanh;
  t.relu6 = cpu::relu6;
  t.log_sigmoid = cpu::log_sigmoid;
  t.mish = cpu::mish;
  t.hardswish = cpu::hardswish;
  t.hardsigmoid = cpu::hardsigmoid;
  t.clamp_Tensor = cpu::clamp_tensor;
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
  t.mean = cpu::mean;
  t.prod = cpu::prod;
  t.prod_dim_int = cpu::prod_dim;
  t.max = cpu::max_all;
  t.max_dim = cpu::max_dim;
  t.min = cpu::min_all;
  t.min_dim = cpu::min_dim;
  t.amax = cpu::amax;
  t.amin = cpu::amin;
  t.argmax = cpu::argmax;
  t.argmin = cpu::argmin;
  t.var_correction = cpu::var;
  t.std_correction = cpu::std_;
  t.norm = cpu::norm;
  t.logsumexp = cpu::logsumexp;
  t.cumsum = cpu::cumsum;
  t.cumprod = cpu::cumprod;
  t.all = cpu::all;
  t.all_dim = cpu::all_dim;
  t.any = cpu::any;
  t.any_dim = cpu::any_dim;
  t.topk = cpu::topk;
  t.sort = cpu::sort;
  t.sort_stable = cpu::sort_stable;
  t.count_nonzero_dim_IntList = cpu::count_nonzero_dims;
  t.count_nonzero = cpu::count_nonzero;
  // (end of reduce)


  // ---- linalg: mm, bmm, addmm, ... (kernels/cpu/linalg.h) ----
  t.mm = cpu::mm;
  t.bmm = cpu::bmm;
  t.addmm = cpu::addmm;
  t.baddbmm = cpu::baddbmm;
  t.mv = cpu::mv;
  t.addmv = cpu::addmv;
  t.dot = cpu::dot;
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


  // ---- nn_conv: convolution and pooling (kernels/cpu/nn_conv.h) ----
  t.convolution = cpu::convolution;
  t.convolution_backward = cpu::convolution_backward;
  t.max_pool2d_with_indices = cpu::max_pool2d_with_indices;
  t.max_pool2d_with_indices_backward = cpu::max_pool2d_with_indices_backward;
  t.avg_pool2d = cpu::avg_pool2d;
  t.avg_pool2d_backward = cpu::avg_pool2d_backward;
  t.adaptive_avg_pool2d = cpu::adaptive_avg_pool2d;
  t.adaptive_avg_pool2d_backward = cpu::adaptive_avg_pool2d_backward;
  // (end of nn_conv)


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


  // ---- nn_seq: linear, attention, RNN cell gates (kernels/cpu/nn_seq.h) ----
  t.linear = cpu::linear;
  t.linear_backward = cpu::linear_backward;
  t._scaled_dot_product_attention = cpu::scaled_dot_product_attention;
  t._scaled_dot_product_attention_backward = cpu::scaled_dot_product_attention_backward;
  t._lstm_cell_gates = cpu::lstm_cell_gates;
  t._lstm_cell_gates_backward = cpu::lstm_cell_gates_backward;
  t._gru_cell_gates = cpu::gru_cell_gates;
  t._gru_cell_gates_backward = cpu::gru_cell_gates_backward;
  // (end of nn_seq)


  // ---- amp: GradScaler's ops (kernels/cpu/amp.h; cudann) ----
  t._amp_foreach_non_finite_check_and_unscale_ = cpu::amp_non_finite_check_and_unscale;
  t._amp_update_scale_ = cpu::amp_update_scale;
  // (end of amp)


}

}  // namespace kiln
