// Advanced indexing: out = self[indices] and self[indices] = values (index_put).
//
// Masks become index tensors (their nonzero coordinates), the index tensors broadcast to a
// shape B, and the result is (pre.., B.., post..): pre and post are the dims no index touches
// (when the indexed dims are not adjacent, all kept dims go after B). Each position b of B
// addresses the same entries of the indexed dims for every (pre, post), so it reduces to one
// element offset, offsets[b]; the kernels then move rows of the post dims.
#include <algorithm>
#include <cstring>

#include "kernels/cpu/index.h"
#include "kernels/cpu/index_common.h"
#include "kernels/cpu/loops.h"

namespace kiln::cpu {

using index_detail::contiguous_as;

namespace {

bool is_mask(const Tensor& t) { return t.dtype() == DType::kBool || t.dtype() == DType::kUInt8; }

struct IndexGeometry {
  Shape result;                    // (pre.., B.., post..)
  Shape pre_sizes, pre_strides;    // element strides in the indexed tensor
  Shape post_sizes, post_strides;  // merged where contiguous with each other
  std::vector<int64_t> offsets;    // per position of B
  int64_t pre_numel = 1, post_numel = 1;

  int64_t pre_offset(int64_t p) const {
    int64_t off = 0;
    for (int64_t k = int64_t(pre_sizes.size()) - 1; k >= 0; --k) {
      off += (p % pre_sizes[k]) * pre_strides[k];
      p /= pre_sizes[k];
    }
    return off;
  }
  int64_t post_offset(int64_t q) const {
    int64_t off = 0;
    for (int64_t k = int64_t(post_sizes.size()) - 1; k >= 0; --k) {
      off += (q % post_sizes[k]) * post_strides[k];
      q /= post_sizes[k];
    }
    return off;
  }
};

// Adds index tensor v (its values in [-size, size), wrapped) times `stride` into offsets,
// v broadcast to shape b.
void add_offsets(const char* op, std::vector<int64_t>& offsets, const Shape& b, const Tensor& v_in,
                 int64_t dim, int64_t size, int64_t stride) {
  const Tensor v = contiguous_as(v_in, DType::kInt64);
  const int64_t* vp = v.data_ptr<int64_t>();
  const int64_t bad = index_detail::first_outside(vp, v.numel(), -size, size);
  KILN_CHECK_INDEX(bad < 0 || size != 0, op, ": index is out of bounds for dimension with size 0");
  KILN_CHECK_INDEX(bad < 0, op, ": index ", bad < 0 ? 0 : vp[bad],
                   " is out of bounds for dimension ", dim, " with size ", size);
  const int64_t nd = static_cast<int64_t>(b.size()), lead = nd - v.dim();
  Shape vst(nd, 0);
  for (int64_t j = lead; j < nd; ++j) {
    vst[j] = v.sizes()[j - lead] == 1 ? 0 : v.strides()[j - lead];
  }
  Shape at(nd, 0);
  int64_t voff = 0;
  for (size_t pos = 0; pos < offsets.size(); ++pos) {
    const int64_t x = vp[voff];
    offsets[pos] += (x < 0 ? x + size : x) * stride;
    for (int64_t j = nd - 1; j >= 0; --j) {
      voff += vst[j];
      if (++at[j] < b[j]) break;
      voff -= vst[j] * b[j];
      at[j] = 0;
    }
  }
}

// Drops size-1 dims and merges dims contiguous with each other (row-major order kept).
void merge_dims(Shape& sizes, Shape& strides) {
  Shape s, st;
  for (size_t k = 0; k < sizes.size(); ++k) {
    if (sizes[k] == 1) continue;
    if (!s.empty() && st.back() == strides[k] * sizes[k]) {
      s.back() *= sizes[k];
      st.back() = strides[k];
      continue;
    }
    s.push_back(sizes[k]);
    st.push_back(strides[k]);
  }
  sizes = s;
  strides = st;
}

// Where indices read or write in tensor t (self for index, out for index_put); checks every
// index value first.
IndexGeometry plan(const char* op, const Tensor& t, const std::vector<Tensor>& indices) {
  Shape sizes = t.sizes(), strides = t.strides();
  std::vector<Tensor> slots;
  for (const Tensor& ix : indices) {
    if (ix.defined() && is_mask(ix) && ix.dim() == 0) {
      // A 0-d mask indexes a new size-1 dim with [0] (set) or nothing (unset).
      sizes.insert(sizes.begin() + slots.size(), 1);
      strides.insert(strides.begin() + slots.size(), 0);
      Tensor z = empty_tensor({ix.item().to_bool() ? 1 : 0}, DType::kInt64);
      if (z.numel()) z.data_ptr<int64_t>()[0] = 0;
      slots.push_back(z);
    } else if (ix.defined() && is_mask(ix)) {
      const Tensor nz = nonzero(ix);  // [n, k]: column k indexes dim k of the mask
      for (int64_t k = 0; k < ix.dim(); ++k) {
        slots.push_back(make_view(nz, {nz.sizes()[0]}, {ix.dim()}, k));
      }
    } else {
      slots.push_back(ix);
    }
  }
  const int64_t nd = static_cast<int64_t>(sizes.size());
  KILN_CHECK_INDEX(int64_t(slots.size()) <= nd, op, ": too many indices for tensor of dimension ",
                   t.dim(), " (got ", slots.size(), ")");
  slots.resize(nd);
  Shape b;
  int64_t first = -1, last = -1;
  bool adjacent = true;
  for (int64_t k = 0; k < nd; ++k) {
    if (!slots[k].defined()) continue;
    b = first < 0 ? slots[k].sizes() : broadcast_shapes(op, b, slots[k].sizes());
    if (first < 0) first = k;
    if (last >= 0 && last != k - 1) adjacent = false;
    last = k;
  }
  IndexGeometry g;
  g.offsets.assign(first < 0 ? 1 : numel_of(b), 0);
  for (int64_t k = 0; k < nd; ++k) {
    if (slots[k].defined()) add_offsets(op, g.offsets, b, slots[k], k, sizes[k], strides[k]);
  }
  if (first < 0) adjacent = false;  // nothing indexed: every dim is "post"
  for (int64_t k = 0; k < nd; ++k) {
    const bool kept = k >= int64_t(slots.size()) || !slots[k].defined();
    if (!kept) continue;
    const bool before = adjacent && k < first;
    (before ? g.pre_sizes : g.post_sizes).push_back(sizes[k]);
    (before ? g.pre_strides : g.post_strides).push_back(strides[k]);
  }
  g.result = g.pre_sizes;
  if (first < nd) g.result.insert(g.result.end(), b.begin(), b.end());
  g.result.insert(g.result.end(), g.post_sizes.begin(), g.post_sizes.end());
  g.pre_numel = numel_of(g.pre_sizes);
  g.post_numel = numel_of(g.post_sizes);
  merge_dims(g.pre_sizes, g.pre_strides);
  merge_dims(g.post_sizes, g.post_strides);
  return g;
}

// `values` broadcast to `shape` and made contiguous.
Tensor dense_values(const Tensor& values, const Shape& shape) {
  const int64_t lead = static_cast<int64_t>(shape.size()) - values.dim();
  Shape strides(shape.size(), 0);
  for (int64_t k = 0; k < values.dim(); ++k) {
    strides[lead + k] = values.sizes()[k] == 1 ? 0 : values.strides()[k];
  }
  return contiguous_as(make_view(values, shape, strides, values.storage_offset()), values.dtype());
}

}  // namespace

// out (pre, B, post) = self at (pre, offsets[b], post).
void index(const Tensor& out, const Tensor& self, const std::vector<Tensor>& indices) {
  const IndexGeometry g = plan("index", self, indices);
  KILN_ASSERT(numel_of(g.result) == out.numel(), "index: result shape disagrees with the rule");
  if (out.numel() == 0) return;
  index_detail::DenseOut dst_t(out, false);
  char* o = static_cast<char*>(dst_t.dense.raw_data());
  const char* s = static_cast<const char*>(self.raw_data());
  const int64_t es = static_cast<int64_t>(self.element_size());
  const int64_t nb = static_cast<int64_t>(g.offsets.size()), q = g.post_numel;
  const bool one_post_dim = g.post_sizes.size() <= 1;
  const int64_t post_stride = g.post_strides.empty() ? 1 : g.post_strides[0];
  const int64_t grain = std::max<int64_t>(1, kGrain / std::max<int64_t>(q, 1));
  parallel_for(0, g.pre_numel * nb, grain, [&](int64_t lo, int64_t hi) {
    constexpr int64_t kPrefetch = 8;  // rows in flight (they come from random places)
    for (int64_t r = lo; r < hi; ++r) {
      const int64_t p = r / nb, b = r % nb;
      if (one_post_dim && post_stride == 1 && r + kPrefetch < hi) {
        const int64_t pf = r + kPrefetch;
        const char* ahead = s + (g.pre_offset(pf / nb) + g.offsets[pf % nb]) * es;
        for (int64_t k = 0; k < q * es && k < 512; k += 64) __builtin_prefetch(ahead + k);
      }
      const char* src = s + (g.pre_offset(p) + g.offsets[b]) * es;
      char* dst = o + r * q * es;
      if (one_post_dim) {
        index_detail::copy_elements(dst, es, src, post_stride * es, q, es);
      } else {
        for (int64_t j = 0; j < q; ++j) std::memcpy(dst + j * es, src + g.post_offset(j) * es, es);
      }
    }
  });
  dst_t.finish();
}

// out = self, then out at (pre, offsets[b], post) = (or +=) values (pre, b, post). Threads
// split pre (or post), never B, so duplicate positions are written by one thread in order.
void index_put(const Tensor& out, const Tensor& self, const std::vector<Tensor>& indices,
               const Tensor& values, bool accumulate) {
  const IndexGeometry g = plan("index_put", out, indices);
  index_detail::copy_if_distinct(out, self);
  const int64_t nb = static_cast<int64_t>(g.offsets.size()), q = g.post_numel;
  if (g.pre_numel * nb * q == 0) return;
  const bool scalar = values.numel() == 1;
  const Tensor vals = scalar ? values : dense_values(values, g.result);
  KILN_DISPATCH_ALL(out.dtype(), "index_put", [&]<typename T>() {
    using acc_t = opmath_t<T>;
    T* o = static_cast<T*>(out.raw_data());
    const T* v = static_cast<const T*>(vals.raw_data());
    const bool one_post_dim = g.post_sizes.size() <= 1;
    const int64_t post_stride = g.post_strides.empty() ? 1 : g.post_strides[0];
    auto put = [&](T* slot, T x) {
      if (!accumulate) {
        *slot = x;
      } else if constexpr (std::is_same_v<T, bool>) {
        *slot = *slot || x;
      } else {
        *slot = T(acc_t(*slot) + acc_t(x));
      }
    };
    // Rows of pre [p0, p1), post columns [j0, j1), every b in order.
    auto run = [&](int64_t p0, int64_t p1, int64_t j0, int64_t j1) {
      for (int64_t p = p0; p < p1; ++p) {
        const int64_t base = g.pre_offset(p);
        for (int64_t b = 0; b < nb; ++b) {
          T* row = o + base + g.offsets[b];
          const int64_t vrow = (p * nb + b) * q;
          for (int64_t j = j0; j < j1; ++j) {
            T* slot = row + (one_post_dim ? j * post_stride : g.post_offset(j));
            put(slot, scalar ? v[0] : v[vrow + j]);
          }
        }
      }
    };
    if (g.pre_numel > 1) {
      const int64_t grain = std::max<int64_t>(1, kGrain / std::max<int64_t>(nb * q, 1));
      parallel_for(0, g.pre_numel, grain, [&](int64_t lo, int64_t hi) { run(lo, hi, 0, q); });
    } else {
      const int64_t grain = std::max<int64_t>(1, kGrain / nb);
      parallel_for(0, q, grain, [&](int64_t lo, int64_t hi) { run(0, 1, lo, hi); });
    }
  });
}

}  // namespace kiln::cpu
