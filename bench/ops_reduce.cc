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

// ---- reduce family (mean, max, var, logsumexp, sort, cumsum) ----

KILN_BENCH(mean_16M_f32) {
  Tensor a = data({1 << 24});
  return [=] { (void)mean(a, std::nullopt, false, std::nullopt); };
}

KILN_BENCH(mean_rows_4096x4096_f32) {
  Tensor a = data({4096, 4096});
  return [=] { (void)mean(a, Shape{1}, false, std::nullopt); };
}

KILN_BENCH(max_16M_f32) {
  Tensor a = data({1 << 24});
  return [=] { (void)max(a); };
}

KILN_BENCH(max_dim_rows_4096x4096_f32) {
  Tensor a = data({4096, 4096});
  return [=] { (void)max(a, 1, false); };
}

KILN_BENCH(var_16M_f32) {
  Tensor a = data({1 << 24});
  return [=] { (void)var(a, std::optional<Shape>(), std::optional<int64_t>(1), false); };
}

KILN_BENCH(var_rows_4096x4096_f32) {
  Tensor a = data({4096, 4096});
  return [=] { (void)var(a, std::optional<Shape>(Shape{1}), std::optional<int64_t>(1), false); };
}

KILN_BENCH(logsumexp_rows_4096x1024_f32) {
  Tensor a = data({4096, 1024});
  return [=] { (void)logsumexp(a, Shape{1}, false); };
}

KILN_BENCH(sort_1M_f32) {
  Tensor a = data({1 << 20});
  return [=] { (void)sort(a, int64_t{-1}, false); };
}

KILN_BENCH(cumsum_16M_f32) {
  Tensor a = data({1 << 24});
  return [=] { (void)cumsum(a, 0, std::nullopt); };
}

}  // namespace kiln::bench
