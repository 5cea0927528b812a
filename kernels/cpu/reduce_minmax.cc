// max/min (full and .dim), amax/amin, argmax/argmin.
#include "kernels/cpu/reduce.h"
#include "kernels/cpu/reduce_ops.h"

namespace kiln::cpu {
namespace {

template <bool kMax>
void extreme(const char* op, const Tensor& out, const Tensor& self,
             const std::vector<int64_t>& dims) {
  KILN_DISPATCH_ALL(self.dtype(), op, [&]<typename scalar_t>() {
    reduce_kernel<scalar_t, scalar_t>(out, self, dims, ExtremeOps<scalar_t, kMax>{});
  });
}

// values (may be undefined: argmax) and indices share one shape, so one offset.
template <bool kMax>
void arg_extreme(const char* op, const Tensor& values, const Tensor& indices, const Tensor& self,
                 const std::vector<int64_t>& dims) {
  const ReduceGeometry g(self, indices, dims);
  int64_t* idx = static_cast<int64_t*>(indices.raw_data());
  KILN_DISPATCH_ALL(self.dtype(), op, [&]<typename scalar_t>() {
    using Ops = ArgExtremeOps<scalar_t, kMax>;
    scalar_t* val = values.defined() ? static_cast<scalar_t*>(values.raw_data()) : nullptr;
    const scalar_t* in = static_cast<const scalar_t*>(self.raw_data());
    reduce_kernel_store(g, in, Ops{}, [&](int64_t off, const typename Ops::Acc& acc) {
      idx[off] = acc.index;
      if (val) val[off] = scalar_t(acc.value);
    });
  });
}

std::vector<int64_t> all_dims(const Tensor& self) {
  return reduce_dims("reduce", self.dim(), std::nullopt);
}

std::vector<int64_t> opt_dim(const Tensor& self, std::optional<int64_t> dim) {
  if (!dim) return all_dims(self);
  return {wrap_dim(*dim, self.dim())};
}

}  // namespace

void max_all(const Tensor& out, const Tensor& self) {
  extreme<true>("max", out, self, all_dims(self));
}

void min_all(const Tensor& out, const Tensor& self) {
  extreme<false>("min", out, self, all_dims(self));
}

void max_dim(const Tensor& values, const Tensor& indices, const Tensor& self, int64_t dim, bool) {
  arg_extreme<true>("max", values, indices, self, {wrap_dim(dim, self.dim())});
}

void min_dim(const Tensor& values, const Tensor& indices, const Tensor& self, int64_t dim, bool) {
  arg_extreme<false>("min", values, indices, self, {wrap_dim(dim, self.dim())});
}

void amax(const Tensor& out, const Tensor& self, IntList dim, bool) {
  extreme<true>("amax", out, self, reduce_dims("amax", self.dim(), dim.vec()));
}

void amin(const Tensor& out, const Tensor& self, IntList dim, bool) {
  extreme<false>("amin", out, self, reduce_dims("amin", self.dim(), dim.vec()));
}

void argmax(const Tensor& out, const Tensor& self, std::optional<int64_t> dim, bool) {
  arg_extreme<true>("argmax", Tensor(), out, self, opt_dim(self, dim));
}

void argmin(const Tensor& out, const Tensor& self, std::optional<int64_t> dim, bool) {
  arg_extreme<false>("argmin", Tensor(), out, self, opt_dim(self, dim));
}

}  // namespace kiln::cpu
