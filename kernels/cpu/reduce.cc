// sum, mean, prod, all/any, count_nonzero.
#include "kernels/cpu/reduce.h"

#include "kernels/cpu/reduce_ops.h"

namespace kiln::cpu {
namespace {

template <typename T>
struct MeanOps : SumOps<T> {
  using M = opmath_t<T>;
  T project(M acc, int64_t n) const { return T(acc / M(n)); }
};

template <typename T>
struct ProdOps : ReduceOpsBase<ProdOps<T>, T, opmath_t<T>> {
  using M = opmath_t<T>;
  M init() const { return M(1); }
  M combine(M acc, T x, int64_t) const { return acc * M(x); }
  M merge(M a, M b) const { return a * b; }
  T project(M acc, int64_t) const { return T(acc); }
};

// all (kAll) / any: the answer as 0/1 in the output's type (bool or uint8).
template <typename T, typename OutT, bool kAll>
struct TruthOps : ReduceOpsBase<TruthOps<T, OutT, kAll>, T, bool> {
  bool init() const { return kAll; }
  bool combine(bool acc, T x, int64_t) const {
    return kAll ? (acc && is_nonzero(x)) : (acc || is_nonzero(x));
  }
  bool merge(bool a, bool b) const { return kAll ? (a && b) : (a || b); }
  OutT project(bool acc, int64_t) const { return OutT(acc); }
};

template <typename T>
struct CountOps : ReduceOpsBase<CountOps<T>, T, int64_t> {
  int64_t init() const { return 0; }
  int64_t combine(int64_t acc, T x, int64_t) const { return acc + (is_nonzero(x) ? 1 : 0); }
  int64_t merge(int64_t a, int64_t b) const { return a + b; }
  int64_t project(int64_t acc, int64_t) const { return acc; }
};

template <bool kAll>
void truth(const char* op, const Tensor& out, const Tensor& self, const std::vector<int64_t>& dims) {
  KILN_DISPATCH_ALL(self.dtype(), op, [&]<typename scalar_t>() {
    if (out.dtype() == DType::kUInt8) {
      reduce_kernel<scalar_t, uint8_t>(out, self, dims, TruthOps<scalar_t, uint8_t, kAll>{});
    } else {
      reduce_kernel<scalar_t, bool>(out, self, dims, TruthOps<scalar_t, bool, kAll>{});
    }
  });
}

void count(const Tensor& out, const Tensor& self, const std::vector<int64_t>& dims) {
  KILN_DISPATCH_ALL(self.dtype(), "count_nonzero", [&]<typename scalar_t>() {
    reduce_kernel<scalar_t, int64_t>(out, self, dims, CountOps<scalar_t>{});
  });
}

std::vector<int64_t> one_dim(const Tensor& self, int64_t dim) {
  return {wrap_dim(dim, self.dim())};
}

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

void mean(const Tensor& out, const Tensor& self, const std::optional<Shape>& dim, bool,
          std::optional<DType>) {
  const std::vector<int64_t> dims = reduce_dims("mean", self.dim(), dim);
  KILN_DISPATCH_FLOATING(out.dtype(), "mean", [&]<typename scalar_t>() {
    reduce_kernel<scalar_t, scalar_t>(out, self, dims, MeanOps<scalar_t>{});
  });
}

void prod(const Tensor& out, const Tensor& self, std::optional<DType>) {
  const std::vector<int64_t> dims = reduce_dims("prod", self.dim(), std::nullopt);
  KILN_DISPATCH_NUMERIC(out.dtype(), "prod", [&]<typename scalar_t>() {
    reduce_kernel<scalar_t, scalar_t>(out, self, dims, ProdOps<scalar_t>{});
  });
}

void prod_dim(const Tensor& out, const Tensor& self, int64_t dim, bool, std::optional<DType>) {
  KILN_DISPATCH_NUMERIC(out.dtype(), "prod", [&]<typename scalar_t>() {
    reduce_kernel<scalar_t, scalar_t>(out, self, one_dim(self, dim), ProdOps<scalar_t>{});
  });
}

void all(const Tensor& out, const Tensor& self) {
  truth<true>("all", out, self, reduce_dims("all", self.dim(), std::nullopt));
}
void all_dim(const Tensor& out, const Tensor& self, int64_t dim, bool) {
  truth<true>("all", out, self, one_dim(self, dim));
}
void any(const Tensor& out, const Tensor& self) {
  truth<false>("any", out, self, reduce_dims("any", self.dim(), std::nullopt));
}
void any_dim(const Tensor& out, const Tensor& self, int64_t dim, bool) {
  truth<false>("any", out, self, one_dim(self, dim));
}

void count_nonzero_dims(const Tensor& out, const Tensor& self, IntList dim) {
  count(out, self, reduce_dims("count_nonzero", self.dim(), dim.vec()));
}

void count_nonzero(const Tensor& out, const Tensor& self, std::optional<int64_t> dim) {
  count(out, self, dim ? one_dim(self, *dim) : reduce_dims("count_nonzero", self.dim(), std::nullopt));
}

}  // namespace kiln::cpu
