// Index-family rows of the op benchmark: joins and row gathers (embedding lookups).
#include "bench/bench.h"

namespace kiln::bench {
namespace {

// n indices in [0, high), from a fixed LCG (only their spread matters).
Tensor random_rows(int64_t n, int64_t high) {
  Tensor t = empty_tensor({n}, DType::kInt64);
  uint64_t x = 88172645463325252ull;
  for (int64_t i = 0; i < n; ++i) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    t.data_ptr<int64_t>()[i] = int64_t((x >> 16) % uint64_t(high));
  }
  return t;
}

std::vector<Tensor> pieces(int64_t n, Shape shape) {
  std::vector<Tensor> out;
  for (int64_t i = 0; i < n; ++i) out.push_back(bench::data(shape));
  return out;
}

}  // namespace

KILN_BENCH(cat_16x1M_f32) {
  const std::vector<Tensor> ts = pieces(16, {1 << 20});
  return [=] { (void)cat(ts, 0); };
}

KILN_BENCH(cat_dim1_16x4096x256_f32) {
  const std::vector<Tensor> ts = pieces(16, {4096, 256});
  return [=] { (void)cat(ts, 1); };
}

KILN_BENCH(index_select_1Mx64_100K_f32) {
  const Tensor table = data({1 << 20, 64});
  const Tensor idx = random_rows(100000, 1 << 20);
  return [=] { (void)index_select(table, 0, idx); };
}

KILN_BENCH(index_1Mx64_100K_f32) {
  const Tensor table = data({1 << 20, 64});
  const Tensor idx = random_rows(100000, 1 << 20);
  return [=] { (void)index(table, {idx}); };
}

KILN_BENCH(index_add_1Mx64_100K_f32) {
  const Tensor table = data({1 << 20, 64});
  const Tensor idx = random_rows(100000, 1 << 20);
  const Tensor src = data({100000, 64});
  return [=] { (void)index_add_(table, 0, idx, src); };
}

}  // namespace kiln::bench
