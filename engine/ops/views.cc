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

namespace {

// self with dim `d` removed from its geometry and the offset moved by `shift` elements.
Tensor drop_dim(const Tensor& self, int64_t d, int64_t shift) {
  Shape sizes = self.sizes(), strides = self.strides();
  sizes.erase(sizes.begin() + d);
  strides.erase(strides.begin() + d);
  return make_view(self, std::move(sizes), std::move(strides), self.storage_offset() + shift);
}

// Consecutive views of `sizes[i]` entries along dim d (split, split_with_sizes, chunk).
std::vector<Tensor> split_views(const Tensor& self, int64_t dim,
                                const std::vector<int64_t>& sizes) {
  const int64_t d = wrap_dim(dim, self.dim());
  std::vector<Tensor> out;
  int64_t start = 0;
  for (int64_t n : sizes) {
    Shape shape = self.sizes();
    shape[d] = n;
    out.push_back(
        make_view(self, shape, self.strides(), self.storage_offset() + start * self.strides()[d]));
    start += n;
  }
  return out;
}

}  // namespace

Tensor narrow(const Tensor& self, int64_t dim, int64_t start, int64_t length) {
  rules::check_defined("narrow", self, "self");
  Shape shape = rules::narrow("narrow", self, dim, start, length);
  const int64_t d = wrap_dim(dim, self.dim());
  if (start < 0) start += self.sizes()[d];
  return make_view(self, std::move(shape), self.strides(),
                   self.storage_offset() + start * self.strides()[d]);
}

Tensor select(const Tensor& self, int64_t dim, int64_t index) {
  rules::check_defined("select", self, "self");
  rules::select("select", self, dim, index);
  const int64_t d = wrap_dim(dim, self.dim());
  if (index < 0) index += self.sizes()[d];
  return drop_dim(self, d, index * self.strides()[d]);
}

Tensor slice(const Tensor& self, int64_t dim, std::optional<int64_t> start,
             std::optional<int64_t> end, int64_t step) {
  rules::check_defined("slice", self, "self");
  Shape shape = rules::slice_shape("slice", self, dim, start, end, step);
  const int64_t d = wrap_dim(dim, self.dim());
  const rules::SliceRange r = rules::slice_range(self.sizes()[d], start, end, step);
  Shape strides = self.strides();
  strides[d] *= step;
  return make_view(self, std::move(shape), std::move(strides),
                   self.storage_offset() + r.start * self.strides()[d]);
}

std::vector<Tensor> unbind(const Tensor& self, int64_t dim) {
  rules::check_defined("unbind", self, "self");
  const size_t n = rules::unbind("unbind", self, dim).size();
  const int64_t d = wrap_dim(dim, self.dim());
  std::vector<Tensor> out;
  for (size_t i = 0; i < n; ++i) out.push_back(drop_dim(self, d, int64_t(i) * self.strides()[d]));
  return out;
}

Tensor squeeze(const Tensor& self) {
  rules::check_defined("squeeze", self, "self");
  Shape sizes, strides;
  for (int64_t d = 0; d < self.dim(); ++d) {
    if (self.sizes()[d] == 1) continue;
    sizes.push_back(self.sizes()[d]);
    strides.push_back(self.strides()[d]);
  }
  return make_view(self, std::move(sizes), std::move(strides), self.storage_offset());
}

Tensor squeeze(const Tensor& self, int64_t dim) {
  rules::check_defined("squeeze", self, "self");
  rules::squeeze("squeeze", self, dim);
  const int64_t d = wrap_dim(dim, self.dim());
  if (self.dim() > 0 && self.sizes()[d] == 1) return drop_dim(self, d, 0);
  return make_view(self, self.sizes(), self.strides(), self.storage_offset());
}

Tensor squeeze(const Tensor& self, IntList dim) {
  rules::check_defined("squeeze", self, "self");
  rules::squeeze("squeeze", self, dim);
  std::vector<bool> drop(self.dim(), false);
  for (int64_t d : dim) {
    const int64_t w = wrap_dim(d, self.dim());
    if (self.dim() > 0 && self.sizes()[w] == 1) drop[w] = true;
  }
  Shape sizes, strides;
  for (int64_t d = 0; d < self.dim(); ++d) {
    if (drop[d]) continue;
    sizes.push_back(self.sizes()[d]);
    strides.push_back(self.strides()[d]);
  }
  return make_view(self, std::move(sizes), std::move(strides), self.storage_offset());
}

Tensor unsqueeze(const Tensor& self, int64_t dim) {
  rules::check_defined("unsqueeze", self, "self");
  const int64_t d = wrap_dim_inclusive(dim, self.dim());
  Shape sizes = self.sizes(), strides = self.strides();
  // The stride of a size-1 dim is never used; this one keeps contiguous tensors contiguous.
  const int64_t stride = d < self.dim() ? sizes[d] * strides[d] : 1;
  sizes.insert(sizes.begin() + d, 1);
  strides.insert(strides.begin() + d, stride);
  return make_view(self, std::move(sizes), std::move(strides), self.storage_offset());
}

Tensor flatten(const Tensor& self, int64_t start_dim, int64_t end_dim) {
  rules::check_defined("flatten", self, "self");
  return reshape(self, rules::flatten("flatten", self, start_dim, end_dim));
}

Tensor unflatten(const Tensor& self, int64_t dim, IntList sizes) {
  rules::check_defined("unflatten", self, "self");
  // Splitting one dim is always expressible with strides, so this is always a view.
  return view(self, rules::unflatten("unflatten", self, dim, sizes));
}

Tensor t(const Tensor& self) {
  rules::check_defined("t", self, "self");
  rules::t("t", self);
  if (self.dim() < 2) return make_view(self, self.sizes(), self.strides(), self.storage_offset());
  return transpose(self, 0, 1);
}

Tensor broadcast_to(const Tensor& self, IntList size) {
  rules::check_defined("broadcast_to", self, "self");
  rules::expand("broadcast_to", self, size);
  return expand(self, size);
}

std::vector<Tensor> split(const Tensor& self, int64_t split_size, int64_t dim) {
  rules::check_defined("split", self, "self");
  return split_views(self, dim, rules::split_sizes("split", self, split_size, dim));
}

std::vector<Tensor> split_with_sizes(const Tensor& self, IntList split_sizes, int64_t dim) {
  rules::check_defined("split_with_sizes", self, "self");
  return split_views(self, dim,
                     rules::split_with_sizes_check("split_with_sizes", self, split_sizes, dim));
}

std::vector<Tensor> chunk(const Tensor& self, int64_t chunks, int64_t dim) {
  rules::check_defined("chunk", self, "self");
  return split_views(self, dim, rules::chunk_sizes("chunk", self, chunks, dim));
}

}  // namespace kiln::ops
