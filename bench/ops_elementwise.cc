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

KILN_BENCH(lt_16M_f32) {
  Tensor a = data({1 << 24}), b = data({1 << 24});
  return [=] { (void)lt(a, b); };
}

KILN_BENCH(where_16M_f32) {
  Tensor a = data({1 << 24}), b = neg(a);
  Tensor c = gt(a, b);  // half true, in no pattern a branch predictor could follow
  return [=] { (void)where(c, a, b); };
}

KILN_BENCH(maximum_16M_f32) {
  Tensor a = data({1 << 24}), b = neg(a);
  return [=] { (void)maximum(a, b); };
}

KILN_BENCH(pow2_16M_f32) {
  Tensor a = data({1 << 24});
  return [=] { (void)pow(a, Scalar(2)); };
}

}  // namespace kiln::bench
