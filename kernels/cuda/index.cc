#include "kernels/cuda/index.h"

#include <algorithm>

#include "engine/core/shape.h"
#include "kernels/cuda/copy.h"
#include "kernels/cuda/iter.h"
#include "kernels/cuda/launchers.h"

namespace kiln::cuda {
namespace {

// 0-dim tensors index like 1-element 1-d ones.
Tensor as1d(const Tensor& t) {
  if (t.dim() > 0) return t;
  return make_view(t, {1}, {1}, t.storage_offset());
}

// The index as int64 on `device` (cast on the device when it is int32).
Tensor index_i64(const Tensor& index, Device device) {
  Tensor idx = on_device(index, device);
  if (idx.dtype() == DType::kInt64) return idx;
  Tensor out = empty_tensor(idx.sizes(), DType::kInt64, device);
  copy(out, idx, false);
  return out;
}

// Reads back whether any index lies outside [0, size); returns the offending value.
std::optional<int64_t> find_bad_index(const Tensor& idx, int64_t size, const Launch& l) {
  if (idx.numel() == 0) return std::nullopt;
  Tensor bad = empty_tensor({1}, DType::kInt64, idx.device());
  const int64_t init = kNoBadIndex;
  copy_bytes(bad.raw_data(), idx.device(), &init, kCPU, sizeof init);
  IterHolder h = make_iter("index", idx, {idx});
  finish("index", launch_check_index(h.it, size, static_cast<int64_t*>(bad.raw_data()), l),
         DType::kInt64);
  int64_t v = 0;
  copy_bytes(&v, kCPU, bad.raw_data(), idx.device(), sizeof v);
  if (v == kNoBadIndex) return std::nullopt;
  return v;
}

// `t` seen with `sizes` and its own strides, except dim d, which steps by `d_stride`.
Tensor restride(const Tensor& t, const Shape& sizes, int64_t d, int64_t d_stride) {
  Shape st(t.strides().begin(), t.strides().end());
  st.resize(sizes.size(), 0);
  st[size_t(d)] = d_stride;
  return make_view(t, sizes, st, t.storage_offset());
}

void copy_if_distinct(const Tensor& out, const Tensor& self) {
  if (out.raw_data() == self.raw_data() && out.strides() == self.strides()) return;
  copy(out, self, false);
}

// out = self, then out[.., index[.., k, ..], ..] (op)= src[.., k, ..] (src 1-elem: a value).
void scatter_impl(const char* op, const Tensor& out0, const Tensor& self0, int64_t dim,
                  const Tensor& index0, const Tensor& src0, int how, const Params& alpha) {
  const Tensor out = as1d(out0), self = as1d(self0), index = as1d(index0);
  const int64_t d = wrap_dim(dim, std::max<int64_t>(self0.dim(), 1));
  OpScope s(out);
  const Tensor idx = index_i64(index, out.device());
  const int64_t size = self.sizes()[size_t(d)];
  const auto bad = find_bad_index(idx, size, s.launch());
  KILN_CHECK_INDEX(!bad, op, ": index ", bad.value_or(0), " is out of bounds for dimension ", d,
                   " with size ", size);
  copy_if_distinct(out0, self0);
  if (idx.numel() == 0) return;
  const Shape& shape = idx.sizes();
  const Tensor dst = restride(out, shape, d, 0);
  // A 0-dim src (scatter's value) broadcasts; otherwise src is read at index's positions.
  const Tensor src = as1d(on_device(src0, out.device()));
  const Tensor sv = src0.dim() == 0
                        ? make_view(src, shape, Shape(shape.size(), 0), src.storage_offset())
                        : make_view(src, shape, src.strides(), src.storage_offset());
  IterHolder h = make_iter(op, dst, {idx, sv});
  finish(op, launch_scatter(h.it, out.strides()[size_t(d)], how, alpha, s.launch()),
         out.dtype());
}

Params unit_alpha() { return params({Scalar(1)}); }

}  // namespace

void index_select(const Tensor& out0, const Tensor& self0, int64_t dim, const Tensor& index) {
  const Tensor out = as1d(out0), self = as1d(self0);
  const int64_t d = wrap_dim(dim, std::max<int64_t>(self0.dim(), 1));
  OpScope s(out);
  const Tensor idx = as1d(index_i64(index, out.device()));
  const int64_t size = self.sizes()[size_t(d)];
  const auto bad = find_bad_index(idx, size, s.launch());
  KILN_CHECK_INDEX(!bad, "index_select: index out of range in self (index ", bad.value_or(0),
                   " for a dim of size ", size, ")");
  if (out.numel() == 0) return;
  const Shape& shape = out.sizes();
  Shape ist(shape.size(), 0);
  ist[size_t(d)] = idx.strides()[0];
  const Tensor iv = make_view(idx, shape, ist, idx.storage_offset());
  const Tensor sv = restride(self, shape, d, 0);
  IterHolder h = make_iter("index_select", out, {iv, sv});
  finish("index_select", launch_gather(h.it, self.strides()[size_t(d)], s.launch()),
         out.dtype());
}

void gather(const Tensor& out0, const Tensor& self0, int64_t dim, const Tensor& index0, bool) {
  const Tensor out = as1d(out0), self = as1d(self0), index = as1d(index0);
  const int64_t d = wrap_dim(dim, std::max<int64_t>(self0.dim(), 1));
  OpScope s(out);
  const Tensor idx = index_i64(index, out.device());
  const int64_t size = self.sizes()[size_t(d)];
  const auto bad = find_bad_index(idx, size, s.launch());
  KILN_CHECK_INDEX(!bad, "gather: index ", bad.value_or(0), " is out of bounds for dimension ",
                   d, " with size ", size);
  if (idx.numel() == 0) return;
  const Tensor sv = restride(self, idx.sizes(), d, 0);
  IterHolder h = make_iter("gather", out, {idx, sv});
  finish("gather", launch_gather(h.it, self.strides()[size_t(d)], s.launch()), out.dtype());
}

void scatter_src(const Tensor& out, const Tensor& self, int64_t dim, const Tensor& index,
                 const Tensor& src) {
  scatter_impl("scatter", out, self, dim, index, src, 0, unit_alpha());
}
void scatter_value(const Tensor& out, const Tensor& self, int64_t dim, const Tensor& index,
                   const Scalar& value) {
  scatter_impl("scatter", out, self, dim, index, scalar_tensor(value, out.dtype()), 0,
               unit_alpha());
}
void scatter_reduce(const Tensor& out, const Tensor& self, int64_t dim, const Tensor& index,
                    const Tensor& src, const std::string& reduce) {
  scatter_impl("scatter", out, self, dim, index, src, reduce == "add" ? 1 : 2, unit_alpha());
}
void scatter_value_reduce(const Tensor& out, const Tensor& self, int64_t dim, const Tensor& index,
                          const Scalar& value, const std::string& reduce) {
  scatter_impl("scatter", out, self, dim, index, scalar_tensor(value, out.dtype()),
               reduce == "add" ? 1 : 2, unit_alpha());
}
void scatter_add(const Tensor& out, const Tensor& self, int64_t dim, const Tensor& index,
                 const Tensor& src) {
  scatter_impl("scatter_add", out, self, dim, index, src, 1, unit_alpha());
}

void index_add(const Tensor& out0, const Tensor& self0, int64_t dim, const Tensor& index,
               const Tensor& source0, const Scalar& alpha) {
  const Tensor out = as1d(out0), self = as1d(self0), source = as1d(source0);
  const int64_t d = wrap_dim(dim, std::max<int64_t>(self0.dim(), 1));
  OpScope s(out);
  const Tensor idx = as1d(index_i64(index, out.device()));
  const int64_t size = self.sizes()[size_t(d)];
  const auto bad = find_bad_index(idx, size, s.launch());
  KILN_CHECK_INDEX(!bad, "index_add: index ", bad.value_or(0), " is out of bounds for dimension ",
                   d, " with size ", size);
  copy_if_distinct(out0, self0);
  if (source.numel() == 0) return;
  const Shape& shape = source.sizes();
  Shape ist(shape.size(), 0);
  ist[size_t(d)] = idx.strides()[0];
  const Tensor iv = make_view(idx, shape, ist, idx.storage_offset());
  const Tensor dst = restride(out, shape, d, 0);
  IterHolder h = make_iter("index_add", dst, {iv, source});
  finish("index_add", launch_scatter(h.it, out.strides()[size_t(d)], 1, params({alpha}),
                                     s.launch()),
         out.dtype());
}

void masked_fill_Scalar(const Tensor& out, const Tensor& self, const Tensor& mask,
                        const Scalar& value) {
  if (out.numel() == 0) return;
  OpScope s(out);
  IterHolder h = make_iter("masked_fill", out, {mask, scalar_tensor(value, out.dtype()), self});
  finish("masked_fill", launch_where(h.it, s.launch()), out.dtype());
}
void masked_fill_Tensor(const Tensor& out, const Tensor& self, const Tensor& mask,
                        const Tensor& value) {
  masked_fill_Scalar(out, self, mask, value.item());
}

namespace {

// Both passes of select.cu over `it` (arg 1: the flags): the output is made by `make` once
// the count is known.
template <typename Make>
Tensor select_rows(const char* op, const IterHolder& h, Device dev, const Launch& l,
                   int32_t src_dtype, const SelectShape& shape, const Make& make) {
  const int64_t nchunks = (h.it.numel + kSelectChunk - 1) / kSelectChunk;
  if (nchunks == 0) return make(0);
  Tensor counts = empty_tensor({nchunks}, DType::kInt64, dev);
  finish(op, launch_select_count(h.it, static_cast<int64_t*>(counts.raw_data()), l),
         DType::kInt64);
  std::vector<int64_t> starts(size_t(nchunks), 0);
  copy_bytes(starts.data(), kCPU, counts.raw_data(), dev, size_t(nchunks) * 8);
  int64_t total = 0;
  for (int64_t& c : starts) {
    const int64_t n = c;
    c = total;
    total += n;
  }
  copy_bytes(counts.raw_data(), dev, starts.data(), kCPU, size_t(nchunks) * 8);
  Tensor out = make(total);
  if (total > 0) {
    finish(op,
           launch_select_write(h.it, static_cast<const int64_t*>(counts.raw_data()),
                               out.raw_data(), src_dtype, shape, l),
           out.dtype());
  }
  return out;
}

}  // namespace

Tensor nonzero(const Tensor& self) {
  KILN_CHECK_NOT_IMPLEMENTED(self.dim() <= kMaxDims, "nonzero: cuda takes at most ", kMaxDims,
                             " dims");
  OpScope s(self);
  SelectShape shape;
  shape.ndim = int32_t(self.dim());
  for (int64_t d = 0; d < self.dim(); ++d) shape.sizes[d] = self.sizes()[size_t(d)];
  IterHolder h = make_iter("nonzero", self, {self});  // arg 0 is only a shape carrier
  return select_rows("nonzero", h, self.device(), s.launch(), -1, shape, [&](int64_t n) {
    return empty_tensor({n, self.dim()}, DType::kInt64, self.device());
  });
}

Tensor masked_select(const Tensor& self, const Tensor& mask) {
  KILN_CHECK(mask.dtype() == DType::kBool || mask.dtype() == DType::kUInt8,
             "masked_select: expected BoolTensor or ByteTensor for mask");
  const Device dev = self.device().is_cuda() ? self.device() : mask.device();
  const Shape shape = broadcast_shapes("masked_select", self.sizes(), mask.sizes());
  const Tensor m = on_device(mask, dev);
  OpScope s(m);
  // Arg 0 only carries the broadcast shape (nothing writes it).
  const Tensor carrier = make_view(m, shape, Shape(shape.size(), 0), m.storage_offset());
  IterHolder h = make_iter("masked_select", carrier, {m, self});
  return select_rows("masked_select", h, dev, s.launch(), dt(self.dtype()), SelectShape{},
                [&](int64_t n) { return empty_tensor({n}, self.dtype(), dev); });
}

void flip(const Tensor& out, const Tensor& self, IntList dims) {
  if (out.numel() == 0) return;
  Shape st(self.strides().begin(), self.strides().end());
  int64_t off = self.storage_offset();
  std::vector<bool> done(size_t(std::max<int64_t>(self.dim(), 1)), false);
  for (int64_t d0 : dims) {
    if (self.dim() == 0) continue;
    const int64_t d = wrap_dim(d0, self.dim());
    if (done[size_t(d)]) continue;
    done[size_t(d)] = true;
    off += (self.sizes()[size_t(d)] - 1) * st[size_t(d)];
    st[size_t(d)] = -st[size_t(d)];
  }
  copy(out, make_view(self, self.sizes(), st, off), false);
}

void tril(const Tensor& out, const Tensor& self, int64_t diagonal) {
  if (out.numel() == 0) return;
  OpScope s(out);
  IterHolder h = make_iter("tril", out, {self});
  const int64_t n = self.dim();
  finish("tril",
         launch_triangle(h.it, self.sizes()[size_t(n - 2)], self.sizes()[size_t(n - 1)], diagonal,
                         true, s.launch()),
         out.dtype());
}
void triu(const Tensor& out, const Tensor& self, int64_t diagonal) {
  if (out.numel() == 0) return;
  OpScope s(out);
  IterHolder h = make_iter("triu", out, {self});
  const int64_t n = self.dim();
  finish("triu",
         launch_triangle(h.it, self.sizes()[size_t(n - 2)], self.sizes()[size_t(n - 1)], diagonal,
                         false, s.launch()),
         out.dtype());
}

void constant_pad_nd(const Tensor& out, const Tensor& self, IntList pad, const Scalar& value) {
  if (out.numel() == 0) return;
  fill(out, value);
  // The region both share: per padded dim, skip cropped input and padded output.
  Shape len(self.sizes().begin(), self.sizes().end());
  int64_t in_off = self.storage_offset(), out_off = out.storage_offset();
  const int64_t n = self.dim();
  for (size_t i = 0; 2 * i + 1 < pad.size(); ++i) {
    const size_t d = size_t(n - 1 - int64_t(i));
    const int64_t left = pad[2 * i], right = pad[2 * i + 1];
    const int64_t in_start = std::max<int64_t>(0, -left), out_start = std::max<int64_t>(0, left);
    len[d] = self.sizes()[d] - in_start - std::max<int64_t>(0, -right);
    if (len[d] <= 0) return;
    in_off += in_start * self.strides()[d];
    out_off += out_start * out.strides()[d];
  }
  copy(make_view(out, len, out.strides(), out_off), make_view(self, len, self.strides(), in_off),
       false);
}

void cat(const Tensor& out, const std::vector<Tensor>& tensors, int64_t dim) {
  if (out.numel() == 0) return;
  const int64_t d = wrap_dim(dim, out.dim());
  int64_t at = 0;
  for (const Tensor& t : tensors) {
    if (t.dim() == 1 && t.numel() == 0 && out.dim() != 1) continue;  // legacy empty inputs
    const int64_t n = t.sizes()[size_t(d)];
    if (n > 0) {
      Shape sizes(out.sizes().begin(), out.sizes().end());
      sizes[size_t(d)] = n;
      const int64_t off = out.storage_offset() + at * out.strides()[size_t(d)];
      copy(make_view(out, sizes, out.strides(), off), on_device(t, out.device()), false);
    }
    at += n;
  }
}

}  // namespace kiln::cuda
