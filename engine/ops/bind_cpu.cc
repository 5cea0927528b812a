// Binds the CPU kernels (kernels/cpu) to the ops of the table. One line per op; an op the
// table lists for cpu but that is not bound here fails with "<op>: no cpu kernel is bound".
#include "engine/ops/bind.h"
#include "kernels/cpu/binary.h"
#include "kernels/cpu/copy.h"
#include "kernels/cpu/index.h"
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


  // ---- optim: fused optimizer steps (kernels/cpu/optim.h) ----
  // (end of optim)


}

}  // namespace kiln
