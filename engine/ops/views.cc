// Views: new geometry over self's storage, no data moved.
#include <algorithm>

#include "engine/ops/ops.h"
#include "engine/ops/rules.h"

namespace kiln::ops {
namespace {

// Strides that let `shape` view the elements of `t` in the same order, or nullopt when the
// layout does not allow it (PyTorch's computeStride: chunks of dims that are contiguous with
// each other can be re-split).
std::optional<Shape> view_strides(const Tensor& t, IntList shape) {
  const Shape& old_sizes = t.sizes();
  const Shape& old_strides = t.strides();
  Shape strides(shape.size());
  if (t.numel() == 0) return contiguous_strides(shape);
  if (t.dim() == 0) return Shape(shape.size(), 1);  // a scalar views as any all-ones shape
  int64_t view_d = static_cast<int64_t>(shape.size()) - 1;
  int64_t chunk_base_stride = old_strides.empty() ? 1 : old_strides.back();
  int64_t tensor_numel = 1, view_numel = 1;
  for (int64_t d = static_cast<int64_t>(old_sizes.size()) - 1; d >= 0; --d) {
    tensor_numel *= old_sizes[d];
    // A chunk ends where the next-outer dim is not contiguous with this one.
    if (d == 0 || (old_sizes[d - 1] != 1 && old_strides[d - 1] != tensor_numel * chunk_base_stride)) {
      while (view_d >= 0 && (view_numel < tensor_numel || shape[view_d] == 1)) {
        strides[view_d] = view_numel * chunk_base_stride;
        view_numel *= shape[view_d];
        --view_d;
      }
      if (view_numel != tensor_numel) return std::nullopt;
      if (d > 0) {
        chunk_base_stride = old_strides[d - 1];
        tensor_numel = 1;
        view_numel = 1;
      }
    }
  }
  if (view_d != -1) return std::nullopt;
  return strides;
}

}  // namespace

Tensor view(const Tensor& self, IntList size) {
  rules::check_defined("view", self, "self");
  const Shape shape = rules::view_shape("view", self, size);
  auto strides = view_strides(self, shape);
  KILN_CHECK(strides.has_value(),
             "view size is not compatible with input tensor's size and stride (at least one "
             "dimension spans across two contiguous subspaces). Use .reshape(...) instead.");
  return make_view(self, shape, *strides, self.storage_offset());
}

Tensor reshape(const Tensor& self, IntList shape_arg) {
  rules::check_defined("reshape", self, "self");
  const Shape shape = rules::view_shape("reshape", self, shape_arg);
  if (auto strides = view_strides(self, shape)) {
    return make_view(self, shape, *strides, self.storage_offset());
  }
  return view(clone(self), shape);
}

Tensor permute(const Tensor& self, IntList dims) {
  rules::check_defined("permute", self, "self");
  const Shape shape = rules::permute("permute", self, dims);
  Shape strides(dims.size());
  for (size_t i = 0; i < dims.size(); ++i) strides[i] = self.strides()[wrap_dim(dims[i], self.dim())];
  return make_view(self, shape, strides, self.storage_offset());
}

Tensor transpose(const Tensor& self, int64_t dim0, int64_t dim1) {
  rules::check_defined("transpose", self, "self");
  const Shape shape = rules::transpose("transpose", self, dim0, dim1);
  if (self.dim() == 0) return make_view(self, {}, {}, self.storage_offset());
  Shape strides = self.strides();
  std::swap(strides[wrap_dim(dim0, self.dim())], strides[wrap_dim(dim1, self.dim())]);
  return make_view(self, shape, strides, self.storage_offset());
}

Tensor expand(const Tensor& self, IntList size) {
  rules::check_defined("expand", self, "self");
  const Shape shape = rules::expand("expand", self, size);
  const int64_t lead = static_cast<int64_t>(shape.size()) - self.dim();
  Shape strides(shape.size(), 0);
  for (int64_t d = 0; d < self.dim(); ++d) {
    strides[lead + d] = self.sizes()[d] == 1 && shape[lead + d] != 1 ? 0 : self.strides()[d];
  }
  return make_view(self, shape, strides, self.storage_offset());
}

}  // namespace kiln::ops
