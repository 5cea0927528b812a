// Binds the CPU kernels (kernels/cpu) to the ops of the table. One line per op; an op the
// table lists for cpu but that is not bound here fails with "<op>: no cpu kernel is bound".
#include "engine/ops/bind.h"
#include "kernels/cpu/binary.h"
#include "kernels/cpu/copy.h"
#include "kernels/cpu/optim.h"
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
  // (end of binary)


  // ---- reduce: sum, mean, max, var, sort, topk, cumsum, ... (kernels/cpu/reduce.h) ----
  t.sum = cpu::sum;
  // (end of reduce)


  // ---- linalg: mm, bmm, addmm, ... (kernels/cpu/linalg.h) ----
  // (end of linalg)


  // ---- index and shape: cat, index_select, gather, scatter, ... (kernels/cpu/index.h) ----
  // (end of index)


  // ---- nn: conv, pooling, norms, losses, attention, ... (kernels/cpu/nn_*.h) ----
  // (end of nn)


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
