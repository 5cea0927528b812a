#include "kernels/cuda/sort.h"

#include <algorithm>
#include <array>
#include <climits>
#include <vector>

#include "engine/core/shape.h"
#include "kernels/cuda/iter.h"
#include "kernels/cuda/launchers_cudaidx.h"

namespace kiln::cuda {
namespace {

// The outer dims of self/values/indices (all but d), size-1 dims dropped and neighbours that
// step evenly in all three merged.
LaneGeom lane_geom(const char* op, const Tensor& self, const Tensor& values,
                   const Tensor& indices, int64_t d) {
  LaneGeom g;
  const Tensor* ts[3] = {&self, &values, &indices};
  std::vector<int64_t> sizes;
  std::vector<std::array<int64_t, 3>> strides;
  for (int64_t e = 0; e < self.dim(); ++e) {
    const int64_t size = self.sizes()[size_t(e)];
    if (e == d || size == 1) continue;
    std::array<int64_t, 3> st;
    for (int k = 0; k < 3; ++k) st[size_t(k)] = ts[k]->strides()[size_t(e)];
    if (!sizes.empty()) {
      bool merge = true;
      for (int k = 0; k < 3; ++k) {
        merge = merge && strides.back()[size_t(k)] == st[size_t(k)] * size;
      }
      if (merge) {
        sizes.back() *= size;
        strides.back() = st;
        continue;
      }
    }
    sizes.push_back(size);
    strides.push_back(st);
  }
  KILN_CHECK(int64_t(sizes.size()) <= kMaxDims, op, ": tensors with more than ", kMaxDims,
             " non-mergeable dims are not supported on cuda");
  g.ndim = int32_t(sizes.size());
  for (size_t e = 0; e < sizes.size(); ++e) {
    g.sizes[e] = sizes[e];
    for (int k = 0; k < 3; ++k) g.strides[k][e] = strides[e][size_t(k)];
  }
  for (int k = 0; k < 3; ++k) g.step[k] = self.dim() == 0 ? 0 : ts[k]->strides()[size_t(d)];
  return g;
}

// Sorts every lane of self along dim (descending or not) and writes the first k of each.
void sort_lanes(const char* op, const Tensor& values, const Tensor& indices, const Tensor& self,
                int64_t dim, bool descending, int64_t k) {
  const int64_t d = self.dim() == 0 ? 0 : wrap_dim(dim, self.dim());
  const int64_t len = self.dim() == 0 ? 1 : self.sizes()[size_t(d)];
  KILN_CHECK(len <= INT_MAX, op, ": a dimension of more than ", INT_MAX,
             " elements is not supported on cuda");
  if (self.numel() == 0 || k == 0) return;
  OpScope s(values);
  const Launch& l = s.launch();
  const LaneGeom g = lane_geom(op, self, values, indices, d);
  const int64_t lanes = self.numel() / len;
  // CUB's segmented sort counts items in int: lanes go in chunks of at most INT_MAX items.
  const int64_t chunk = std::min(lanes, std::max<int64_t>(1, INT_MAX / len));
  const Device dev = values.device();
  const Tensor keys_in = empty_tensor({chunk * len}, DType::kInt64, dev);
  const Tensor keys_out = empty_tensor({chunk * len}, DType::kInt64, dev);
  const Tensor pos_in = empty_tensor({chunk * len}, DType::kInt64, dev);
  const Tensor pos_out = empty_tensor({chunk * len}, DType::kInt64, dev);
  const Tensor offs = empty_tensor({chunk + 1}, DType::kInt32, dev);
  auto* kin = static_cast<unsigned long long*>(keys_in.raw_data());
  auto* kout = static_cast<unsigned long long*>(keys_out.raw_data());
  auto* pin = static_cast<int64_t*>(pos_in.raw_data());
  auto* pout = static_cast<int64_t*>(pos_out.raw_data());
  auto* off = static_cast<int*>(offs.raw_data());
  size_t temp_bytes = 0;
  check(cudaError_t(launch_sort_pairs(nullptr, &temp_bytes, kin, kout, pin, pout, len, chunk,
                                      off, descending, l)),
        op);
  // CUB's scratch comes from the caching allocator, like every other device buffer.
  const Tensor temp =
      empty_tensor({int64_t(std::max<size_t>(temp_bytes, 1))}, DType::kUInt8, dev);
  for (int64_t first = 0; first < lanes; first += chunk) {
    const int64_t n = std::min(chunk, lanes - first);
    finish(op,
           launch_sort_keys(g, self.raw_data(), dt(self.dtype()), len, first, n, kin, pin, off, l),
           self.dtype());
    check(cudaError_t(launch_sort_pairs(temp.raw_data(), &temp_bytes, kin, kout, pin, pout, len,
                                        n, off, descending, l)),
          op);
    check_launch(op);
    finish(op,
           launch_sort_gather(g, self.raw_data(), values.raw_data(),
                              static_cast<int64_t*>(indices.raw_data()), dt(self.dtype()), len, k,
                              first, n, pout, l),
           self.dtype());
  }
}

}  // namespace

void sort(const Tensor& values, const Tensor& indices, const Tensor& self, int64_t dim,
          bool descending) {
  const int64_t d = self.dim() == 0 ? 0 : wrap_dim(dim, self.dim());
  sort_lanes("sort", values, indices, self, dim, descending,
             self.dim() == 0 ? 1 : self.sizes()[size_t(d)]);
}

void sort_stable(const Tensor& values, const Tensor& indices, const Tensor& self, bool,
                 int64_t dim, bool descending) {
  // Every sort here is stable, as on the CPU.
  sort(values, indices, self, dim, descending);
}

void topk(const Tensor& values, const Tensor& indices, const Tensor& self, int64_t k,
          int64_t dim, bool largest, bool) {
  // A stable descending (ascending) sort puts ties in index order, as the CPU's topk does.
  sort_lanes("topk", values, indices, self, dim, largest, k);
}

}  // namespace kiln::cuda
