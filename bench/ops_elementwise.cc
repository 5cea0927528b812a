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

// ---- unary family: activations and float functions (kernels/cpu/vec_math.h) ----
namespace kiln::bench {

KILN_BENCH(exp_16M_f32) {
  Tensor a = data({1 << 24});
  return [=] { (void)exp(a); };
}

KILN_BENCH(tanh_16M_f32) {
  Tensor a = data({1 << 24});
  return [=] { (void)tanh(a); };
}

KILN_BENCH(sigmoid_16M_f32) {
  Tensor a = data({1 << 24});
  return [=] { (void)sigmoid(a); };
}

KILN_BENCH(relu_16M_f32) {
  Tensor a = data({1 << 24});
  return [=] { (void)relu(a); };
}

KILN_BENCH(gelu_16M_f32) {
  Tensor a = data({1 << 24});
  return [=] { (void)gelu(a); };
}

KILN_BENCH(gelu_tanh_16M_f32) {
  Tensor a = data({1 << 24});
  return [=] { (void)gelu(a, "tanh"); };
}

}  // namespace kiln::bench
// (end of unary)
