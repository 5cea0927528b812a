// Reduction rows of the op benchmark.
#include "bench/bench.h"

namespace kiln::bench {

KILN_BENCH(sum_16M_f32) {
  Tensor a = data({1 << 24});
  return [=] { (void)sum(a); };
}

KILN_BENCH(sum_rows_4096x4096_f32) {
  Tensor a = data({4096, 4096});
  return [=] { (void)sum(a, Shape{1}); };
}

KILN_BENCH(sum_cols_4096x4096_f32) {
  Tensor a = data({4096, 4096});
  return [=] { (void)sum(a, Shape{0}); };
}

}  // namespace kiln::bench
