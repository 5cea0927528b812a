// Binds the CPU kernels (kernels/cpu) to the ops of the table. One line per op; an op the
// table lists for cpu but that is not bound here fails with "<op>: no cpu kernel is bound".
#include "engine/ops/bind.h"
#include "kernels/cpu/binary.h"
#include "kernels/cpu/copy.h"
#include "kernels/cpu/reduce.h"
#include "kernels/cpu/unary.h"

namespace kiln {

void bind_cpu(KernelTable& t) {
  // creation, convert
  t.fill_ = cpu::fill;
  t.copy_ = cpu::copy;

  // unary
  t.neg = cpu::neg;
  t.exp = cpu::exp;

  // binary
  t.add = cpu::add;
  t.sub = cpu::sub;
  t.mul = cpu::mul;
  t.div = cpu::div;

  // reduce
  t.sum = cpu::sum;
}

}  // namespace kiln
