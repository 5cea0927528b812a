#include "kernels/cpu/reduce.h"

#include "kernels/cpu/reduce_loops.h"

namespace kiln::cpu {
namespace {

template <typename T>
struct SumOps : ReduceOpsBase<SumOps<T>, T, opmath_t<T>> {
  using M = opmath_t<T>;
  M init() const { return M(0); }
  M combine(M acc, T x, int64_t) const { return acc + M(x); }
  M merge(M a, M b) const { return a + b; }
  T project(M acc, int64_t) const { return T(acc); }
  // Eight independent partial sums: vectorizes and keeps float error growth low.
  M reduce_contiguous(M acc, const T* p, int64_t n, int64_t) const {
    M part[8] = {};
    int64_t j = 0;
    for (; j + 8 <= n; j += 8) {
      for (int k = 0; k < 8; ++k) part[k] += M(p[j + k]);
    }
    for (; j < n; ++j) part[0] += M(p[j]);
    M s = ((part[0] + part[1]) + (part[2] + part[3])) + ((part[4] + part[5]) + (part[6] + part[7]));
    return acc + s;
  }
};

}  // namespace

void sum(const Tensor& out, const Tensor& self, const std::optional<Shape>& dim, bool keepdim,
         std::optional<DType>) {
  (void)keepdim;
  const std::vector<int64_t> dims = reduce_dims("sum", self.dim(), dim);
  KILN_DISPATCH_ALL(out.dtype(), "sum", [&]<typename scalar_t>() {
    if constexpr (std::is_same_v<scalar_t, bool>) {
      KILN_CHECK(false, "sum: bool output is not supported");
    } else {
      reduce_kernel<scalar_t, scalar_t>(out, self, dims, SumOps<scalar_t>{});
    }
  });
}

}  // namespace kiln::cpu
