#include "kernels/cuda/reduce.h"

#include <algorithm>
#include <cmath>

#include "engine/core/shape.h"
#include "kernels/cuda/iter.h"
#include "kernels/cuda/launchers.h"

namespace kiln::cuda {
namespace {

// Mirrors the CPU's geometry: kept dims address out (keepdim when ranks match), reduced dims
// are walked per output; size-1 dims drop out.
ReduceIter geometry(const char* op, const Tensor& out, const Tensor& in,
                    const std::vector<int64_t>& dims) {
  ReduceIter ri;
  const bool keepdim = out.dim() == in.dim();
  std::vector<int64_t> ks, ki, ko, rs, rin;
  int64_t od = 0;
  for (int64_t d = 0; d < in.dim(); ++d) {
    const int64_t s = in.sizes()[size_t(d)];
    if (std::binary_search(dims.begin(), dims.end(), d)) {
      ri.num_red *= s;
      if (s != 1) {
        rs.push_back(s);
        rin.push_back(in.strides()[size_t(d)]);
      }
      if (keepdim) ++od;
    } else {
      ri.num_out *= s;
      if (s != 1) {
        ks.push_back(s);
        ki.push_back(in.strides()[size_t(d)]);
        ko.push_back(out.strides()[size_t(od)]);
      }
      ++od;
    }
  }
  KILN_CHECK_NOT_IMPLEMENTED(ks.size() <= size_t(kMaxDims) && rs.size() <= size_t(kMaxDims), op,
                             ": cuda reductions take at most ", kMaxDims, " dims");
  ri.kept_ndim = int32_t(ks.size());
  ri.red_ndim = int32_t(rs.size());
  for (size_t i = 0; i < ks.size(); ++i) {
    ri.kept_sizes[i] = ks[i];
    ri.kept_in[i] = ki[i];
    ri.kept_out[i] = ko[i];
  }
  for (size_t i = 0; i < rs.size(); ++i) {
    ri.red_sizes[i] = rs[i];
    ri.red_in[i] = rin[i];
  }
  ri.in = in.raw_data();
  ri.out = out.raw_data();
  ri.in_dtype = dt(in.dtype());
  ri.out_dtype = dt(out.dtype());
  return ri;
}

void run(const char* op, ReduceOp code, const Tensor& out, const Tensor& self,
         const std::vector<int64_t>& dims, const Params& p = {}, const Tensor* out2 = nullptr) {
  if (out.numel() == 0) return;
  OpScope s(out);
  const Tensor in = on_device(self, out.device());
  ReduceIter ri = geometry(op, out, in, dims);
  if (out2 != nullptr) ri.out2 = out2->raw_data();
  const int64_t scratch_bytes = reduce_scratch_bytes(ri, s.launch());
  Tensor scratch;
  if (scratch_bytes > 0) scratch = empty_tensor({scratch_bytes}, DType::kUInt8, out.device());
  finish(op, launch_reduce(code, ri, p, scratch.defined() ? scratch.raw_data() : nullptr,
                           s.launch()),
         self.dtype());
}

std::vector<int64_t> one_dim(const Tensor& self, int64_t dim) {
  return {wrap_dim(dim, std::max<int64_t>(self.dim(), 1)) };
}

std::vector<int64_t> dims_or_all(const Tensor& self, const std::optional<int64_t>& dim) {
  if (!dim) return reduce_dims("reduce", self.dim(), std::nullopt);
  if (self.dim() == 0) return {};
  return one_dim(self, *dim);
}

}  // namespace

void sum(const Tensor& out, const Tensor& self, const std::optional<Shape>& dim, bool,
         std::optional<DType>) {
  KILN_CHECK(out.dtype() != DType::kBool, "sum: bool output is not supported");
  run("sum", ReduceOp::kSum, out, self, reduce_dims("sum", self.dim(), dim));
}
void mean(const Tensor& out, const Tensor& self, const std::optional<Shape>& dim, bool,
          std::optional<DType>) {
  run("mean", ReduceOp::kMean, out, self, reduce_dims("mean", self.dim(), dim));
}
void prod(const Tensor& out, const Tensor& self, std::optional<DType>) {
  run("prod", ReduceOp::kProd, out, self, reduce_dims("prod", self.dim(), std::nullopt));
}
void prod_dim(const Tensor& out, const Tensor& self, int64_t dim, bool, std::optional<DType>) {
  run("prod", ReduceOp::kProd, out, self, dims_or_all(self, dim));
}
void all(const Tensor& out, const Tensor& self) {
  run("all", ReduceOp::kAll, out, self, reduce_dims("all", self.dim(), std::nullopt));
}
void all_dim(const Tensor& out, const Tensor& self, int64_t dim, bool) {
  run("all", ReduceOp::kAll, out, self, dims_or_all(self, dim));
}
void any(const Tensor& out, const Tensor& self) {
  run("any", ReduceOp::kAny, out, self, reduce_dims("any", self.dim(), std::nullopt));
}
void any_dim(const Tensor& out, const Tensor& self, int64_t dim, bool) {
  run("any", ReduceOp::kAny, out, self, dims_or_all(self, dim));
}
void count_nonzero_dims(const Tensor& out, const Tensor& self, IntList dim) {
  run("count_nonzero", ReduceOp::kCountNonzero, out, self,
      reduce_dims("count_nonzero", self.dim(), Shape(dim.begin(), dim.end())));
}
void count_nonzero(const Tensor& out, const Tensor& self, std::optional<int64_t> dim) {
  run("count_nonzero", ReduceOp::kCountNonzero, out, self, dims_or_all(self, dim));
}

void max_all(const Tensor& out, const Tensor& self) {
  const auto dims = reduce_dims("max", self.dim(), std::nullopt);
  run("max", ReduceOp::kMax, out, self, dims);
}
void min_all(const Tensor& out, const Tensor& self) {
  const auto dims = reduce_dims("min", self.dim(), std::nullopt);
  run("min", ReduceOp::kMin, out, self, dims);
}
void max_dim(const Tensor& values, const Tensor& indices, const Tensor& self, int64_t dim, bool) {
  const auto dims = dims_or_all(self, dim);
  run("max", ReduceOp::kArgmax, values, self, dims, {}, &indices);
}
void min_dim(const Tensor& values, const Tensor& indices, const Tensor& self, int64_t dim, bool) {
  const auto dims = dims_or_all(self, dim);
  run("min", ReduceOp::kArgmin, values, self, dims, {}, &indices);
}
void amax(const Tensor& out, const Tensor& self, IntList dim, bool) {
  const auto dims = reduce_dims("amax", self.dim(), Shape(dim.begin(), dim.end()));
  run("amax", ReduceOp::kMax, out, self, dims);
}
void amin(const Tensor& out, const Tensor& self, IntList dim, bool) {
  const auto dims = reduce_dims("amin", self.dim(), Shape(dim.begin(), dim.end()));
  run("amin", ReduceOp::kMin, out, self, dims);
}
void argmax(const Tensor& out, const Tensor& self, std::optional<int64_t> dim, bool) {
  const auto dims = dims_or_all(self, dim);
  run("argmax", ReduceOp::kArgmax, out, self, dims);
}
void argmin(const Tensor& out, const Tensor& self, std::optional<int64_t> dim, bool) {
  const auto dims = dims_or_all(self, dim);
  run("argmin", ReduceOp::kArgmin, out, self, dims);
}

void var(const Tensor& out, const Tensor& self, const std::optional<Shape>& dim,
         std::optional<int64_t> correction, bool) {
  Params p;
  p.i[0] = correction.value_or(1);
  run("var", ReduceOp::kVar, out, self, reduce_dims("var", self.dim(), dim), p);
}
void std_(const Tensor& out, const Tensor& self, const std::optional<Shape>& dim,
          std::optional<int64_t> correction, bool) {
  Params p;
  p.i[0] = correction.value_or(1);
  run("std", ReduceOp::kStd, out, self, reduce_dims("std", self.dim(), dim), p);
}
void norm(const Tensor& out, const Tensor& self, const std::optional<Scalar>& p,
          const std::optional<Shape>& dim, bool, std::optional<DType>) {
  Params q;
  q.f[0] = p ? p->to<double>() : 2.0;
  run("norm", ReduceOp::kNorm, out, self, reduce_dims("norm", self.dim(), dim), q);
}
void logsumexp(const Tensor& out, const Tensor& self, IntList dim, bool) {
  run("logsumexp", ReduceOp::kLogsumexp, out, self,
      reduce_dims("logsumexp", self.dim(), Shape(dim.begin(), dim.end())));
}

namespace {
void scan(const char* op, bool prod, const Tensor& out, const Tensor& self, int64_t dim) {
  if (out.numel() == 0) return;
  OpScope s(out);
  const Tensor in = on_device(self, out.device());
  if (in.dim() == 0) {  // a 0-dim scan is a copy
    IterHolder h = make_iter(op, out, {in});
    finish(op, launch_scan(prod, h.it, 1, 0, 0, s.launch()), out.dtype());
    return;
  }
  const int64_t d = wrap_dim(dim, in.dim());
  // Lanes: both tensors with dim d narrowed to one element.
  Shape lane_sizes = out.sizes();
  lane_sizes[size_t(d)] = 1;
  const Tensor out_lanes = make_view(out, lane_sizes, out.strides(), out.storage_offset());
  const Tensor in_lanes = make_view(in, lane_sizes, in.strides(), in.storage_offset());
  IterHolder h = make_iter(op, out_lanes, {in_lanes});
  finish(op,
         launch_scan(prod, h.it, out.sizes()[size_t(d)], out.strides()[size_t(d)],
                     in.strides()[size_t(d)], s.launch()),
         out.dtype());
}
}  // namespace

void cumsum(const Tensor& out, const Tensor& self, int64_t dim, std::optional<DType>) {
  scan("cumsum", false, out, self, dim);
}
void cumprod(const Tensor& out, const Tensor& self, int64_t dim, std::optional<DType>) {
  scan("cumprod", true, out, self, dim);
}

}  // namespace kiln::cuda
