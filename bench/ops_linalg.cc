// Linear-algebra rows of the op benchmark (bench/cases/linalg.py is PyTorch's side).
#include "bench/bench.h"

namespace kiln::bench {

#define KILN_BENCH_MATMUL(n, dt, suffix)             \
  KILN_BENCH(matmul_##n##_##suffix) {                \
    Tensor a = data({n, n}, dt), b = data({n, n}, dt); \
    return [=] { (void)matmul(a, b); };              \
  }

KILN_BENCH_MATMUL(256, DType::kFloat32, f32)
KILN_BENCH_MATMUL(512, DType::kFloat32, f32)
KILN_BENCH_MATMUL(1024, DType::kFloat32, f32)
KILN_BENCH_MATMUL(2048, DType::kFloat32, f32)
KILN_BENCH_MATMUL(1024, DType::kFloat64, f64)

KILN_BENCH(bmm_16384x4x4_f32) {
  Tensor a = data({16384, 4, 4}), b = data({16384, 4, 4});
  return [=] { (void)bmm(a, b); };
}

KILN_BENCH(bmm_64x128x128_f32) {
  Tensor a = data({64, 128, 128}), b = data({64, 128, 128});
  return [=] { (void)bmm(a, b); };
}

KILN_BENCH(mm_1024_f32) {
  Tensor a = data({1024, 1024}), b = data({1024, 1024});
  return [=] { (void)mm(a, b); };
}

// The backward of a linear layer: a transposed operand read in place.
KILN_BENCH(mm_tn_1024_f32) {
  Tensor a = data({1024, 1024}), b = data({1024, 1024});
  return [=] { (void)mm(t(a), b); };
}

}  // namespace kiln::bench
