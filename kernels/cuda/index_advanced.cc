#include "kernels/cuda/index_advanced.h"

#include <algorithm>
#include <climits>

#include <vector>

#include "engine/core/allocator.h"
#include "engine/core/shape.h"
#include "kernels/cuda/copy.h"
#include "kernels/cuda/index.h"
#include "kernels/cuda/iter.h"
#include "kernels/cuda/launchers.h"
#include "kernels/cuda/launchers_cudaidx.h"

namespace kiln::cuda {
namespace {

bool is_mask(const Tensor& t) { return t.dtype() == DType::kBool || t.dtype() == DType::kUInt8; }

// Advanced indexing as the CPU kernel plans it (kernels/cpu/advanced_index.cc): masks become
// the columns of their nonzero(), the index tensors broadcast to B, and the result is
// (pre.., B.., post..) with pre/post the untouched dims (all of them post when the indexed
// dims are not adjacent). offsets (int64, contiguous over B) holds the element offset in t
// that each position of B addresses.
struct Plan {
  Shape result;
  Shape b;
  Tensor offsets;
  // Views over `result`: t with B's dims stepping 0, and offsets with pre/post stepping 0.
  Tensor t_view, offsets_view;
};

Plan plan(const char* op, const Tensor& t, const std::vector<Tensor>& indices, const Launch& l) {
  const Device dev = t.device();
  Shape sizes = t.sizes(), strides = t.strides();
  std::vector<Tensor> slots;
  for (const Tensor& ix0 : indices) {
    const Tensor ix = ix0.defined() ? on_device(ix0, dev) : ix0;
    if (ix.defined() && is_mask(ix) && ix.dim() == 0) {
      // A 0-d mask indexes a new size-1 dim with [0] (set) or nothing (unset).
      sizes.insert(sizes.begin() + int64_t(slots.size()), 1);
      strides.insert(strides.begin() + int64_t(slots.size()), 0);
      uint8_t set = 0;
      copy_bytes(&set, kCPU, ix.raw_data(), dev, 1);
      Tensor z = empty_tensor({set ? 1 : 0}, DType::kInt64, dev);
      const int64_t zero = 0;
      if (set) copy_bytes(z.raw_data(), dev, &zero, kCPU, sizeof zero);
      slots.push_back(z);
    } else if (ix.defined() && is_mask(ix)) {
      const Tensor nz = nonzero(ix);  // [n, k]: column k indexes dim k of the mask
      for (int64_t k = 0; k < ix.dim(); ++k) {
        slots.push_back(make_view(nz, {nz.sizes()[0]}, {ix.dim()}, nz.storage_offset() + k));
      }
    } else {
      slots.push_back(ix);
    }
  }
  const int64_t nd = int64_t(sizes.size());
  KILN_CHECK_INDEX(int64_t(slots.size()) <= nd, op,
                   ": too many indices for tensor of dimension ", t.dim(), " (got ",
                   slots.size(), ")");
  slots.resize(size_t(nd));
  Plan p;
  int64_t first = -1, last = -1;
  bool adjacent = true;
  for (int64_t k = 0; k < nd; ++k) {
    if (!slots[size_t(k)].defined()) continue;
    const Shape& ks = slots[size_t(k)].sizes();
    p.b = first < 0 ? ks : broadcast_shapes(op, p.b, ks);
    if (first < 0) first = k;
    if (last >= 0 && last != k - 1) adjacent = false;
    last = k;
  }
  const int64_t nb = first < 0 ? 1 : numel_of(p.b);
  p.offsets = empty_tensor({nb}, DType::kInt64, dev);
  fill(p.offsets, Scalar(0));
  const Tensor bad = empty_tensor({2}, DType::kInt64, dev);
  auto* bp = static_cast<int64_t*>(bad.raw_data());
  for (int64_t k = 0; k < nd && first >= 0; ++k) {
    const Tensor& v = slots[size_t(k)];
    if (!v.defined() || nb == 0) continue;
    const Tensor off = make_view(p.offsets, p.b, contiguous_strides(p.b), 0);
    IterHolder h = make_iter(op, off, {v});
    const int64_t size = sizes[size_t(k)], stride = strides[size_t(k)];
    int64_t found[2] = {INT64_MAX, 0};
    copy_bytes(bp, dev, found, kCPU, sizeof(int64_t));
    finish(op, launch_index_offsets(h.it, size, stride, 0, bp, l), v.dtype());
    copy_bytes(found, kCPU, bp, dev, sizeof(int64_t));
    if (found[0] != INT64_MAX) {
      finish(op, launch_index_offsets(h.it, size, stride, 1, bp, l), v.dtype());
      copy_bytes(found, kCPU, bp, dev, sizeof found);
    }
    KILN_CHECK_INDEX(found[0] == INT64_MAX || size != 0, op,
                     ": index is out of bounds for dimension with size 0");
    KILN_CHECK_INDEX(found[0] == INT64_MAX, op, ": index ", found[1],
                     " is out of bounds for dimension ", k, " with size ", size);
    finish(op, launch_index_offsets(h.it, size, stride, 2, bp, l), v.dtype());
  }
  if (first < 0) adjacent = false;  // nothing indexed: every dim is "post"
  Shape pre_sizes, pre_strides, post_sizes, post_strides;
  for (int64_t k = 0; k < nd; ++k) {
    if (slots[size_t(k)].defined()) continue;
    const bool before = adjacent && k < first;
    (before ? pre_sizes : post_sizes).push_back(sizes[size_t(k)]);
    (before ? pre_strides : post_strides).push_back(strides[size_t(k)]);
  }
  const Shape bst = contiguous_strides(p.b);
  Shape tst = pre_strides, ost(pre_sizes.size(), 0);
  p.result = pre_sizes;
  if (first >= 0) {
    p.result.insert(p.result.end(), p.b.begin(), p.b.end());
    tst.insert(tst.end(), p.b.size(), 0);
    ost.insert(ost.end(), bst.begin(), bst.end());
  }
  p.result.insert(p.result.end(), post_sizes.begin(), post_sizes.end());
  tst.insert(tst.end(), post_strides.begin(), post_strides.end());
  ost.insert(ost.end(), post_sizes.size(), 0);
  p.t_view = make_view(t, p.result, tst, t.storage_offset());
  p.offsets_view = make_view(p.offsets, p.result, ost, 0);
  return p;
}

}  // namespace

// out (pre, B, post) = self at (pre, offsets[b], post): a gather with a step of one element.
void index(const Tensor& out, const Tensor& self, const std::vector<Tensor>& indices) {
  OpScope s(self);
  const Plan p = plan("index", self, indices, s.launch());
  KILN_ASSERT(numel_of(p.result) == out.numel(), "index: result shape disagrees with the rule");
  if (out.numel() == 0) return;
  const Tensor o = make_view(out, p.result, contiguous_strides(p.result), out.storage_offset());
  const Tensor dst = out.is_contiguous() ? o : empty_tensor(p.result, out.dtype(), out.device());
  IterHolder h = make_iter("index", dst, {p.offsets_view, p.t_view});
  finish("index", launch_gather(h.it, 1, s.launch()), out.dtype());
  if (!out.is_contiguous()) {
    copy(out, make_view(dst, out.sizes(), contiguous_strides(out.sizes()), 0), false);
  }
}

// out = self, then out at (pre, offsets[b], post) = (or +=, atomically) values (pre, b, post).
// Duplicate positions without accumulate keep one of the writes, as on PyTorch's CUDA.
void index_put(const Tensor& out, const Tensor& self, const std::vector<Tensor>& indices,
               const Tensor& values, bool accumulate) {
  OpScope s(out);
  if (!(out.raw_data() == self.raw_data() && out.strides() == self.strides())) {
    copy(out, self, false);
  }
  const Plan p = plan("index_put", out, indices, s.launch());
  if (numel_of(p.result) == 0) return;
  Tensor v = on_device(values, out.device());
  if (v.dtype() != out.dtype()) {  // the scatter reads values in out's dtype
    Tensor cast = empty_tensor(v.sizes(), out.dtype(), out.device());
    copy(cast, v, false);
    v = cast;
  }
  IterHolder h = make_iter("index_put", p.t_view, {p.offsets_view, v});
  finish("index_put",
         launch_scatter(h.it, 1, accumulate ? 1 : 0, params({Scalar(1)}), s.launch()),
         out.dtype());
}

Tensor repeat_interleave_Tensor(const Tensor& repeats, std::optional<int64_t> output_size) {
  const char* op = "repeat_interleave";
  KILN_CHECK(repeats.dim() == 1, "repeat_interleave only accept 1D vector as repeat");
  const Device dev = repeats.device();
  const int64_t n = repeats.numel();
  OpScope s(repeats);
  const Launch& l = s.launch();
  int64_t info[2] = {0, 0};
  Tensor r;
  Tensor cum;
  if (n > 0) {
    r = empty_tensor({n}, DType::kInt64, dev);
    copy(r, repeats, false);
    cum = empty_tensor({n}, DType::kInt64, dev);
    const Tensor dinfo = empty_tensor({2}, DType::kInt64, dev);
    size_t temp_bytes = 0;
    check(cudaError_t(repeat_scan_temp_bytes(n, &temp_bytes)), op);
    // CUB's scratch comes from the caching allocator, like every other device buffer.
    const Tensor temp =
        empty_tensor({int64_t(std::max<size_t>(temp_bytes, 1))}, DType::kUInt8, dev);
    auto* ip = static_cast<int64_t*>(dinfo.raw_data());
    check(cudaError_t(launch_repeat_scan(temp.raw_data(), temp_bytes,
                                         static_cast<const int64_t*>(r.raw_data()),
                                         static_cast<int64_t*>(cum.raw_data()), n, ip, l)),
          op);
    // The sync point: the output's size is the sum of the repeats.
    copy_bytes(info, kCPU, ip, dev, sizeof info);
  }
  KILN_CHECK(info[0] == 0, "repeat_interleave: repeats can not be negative");
  KILN_CHECK_VALUE(info[1] != INT64_MAX, "repeat_interleave: the sum of repeats overflows");
  const int64_t total = info[1];
  KILN_CHECK(!output_size || *output_size == total, "repeat_interleave: output_size (",
             output_size.value_or(0), ") does not match the sum of repeats (", total, ")");
  Tensor out = empty_tensor({total}, DType::kInt64, dev);
  if (total > 0) {
    finish(op,
           launch_repeat_fill(static_cast<const int64_t*>(cum.raw_data()), n,
                              static_cast<int64_t*>(out.raw_data()), total, l),
           DType::kInt64);
  }
  if (repeats.dtype() == DType::kInt64) return out;
  Tensor narrow = empty_tensor({total}, repeats.dtype(), dev);  // int32 repeats give int32
  copy(narrow, out, false);
  return narrow;
}

}  // namespace kiln::cuda
