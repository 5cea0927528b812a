// Elementwise rows of the op benchmark (16M float32 elements).
#include "bench/bench.h"

namespace kiln::bench {

KILN_BENCH(add_16M_f32) {
  Tensor a = data({1 << 24}), b = data({1 << 24});
  return [=] { (void)add(a, b); };
}

KILN_BENCH(mul_16M_f32) {
  Tensor a = data({1 << 24}), b = data({1 << 24});
  return [=] { (void)mul(a, b); };
}

}  // namespace kiln::bench
