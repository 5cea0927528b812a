// sort (stable) and topk, one lane at a time along dim.
#include <algorithm>
#include <utility>
#include <vector>

#include "kernels/cpu/reduce.h"
#include "kernels/cpu/reduce_ops.h"

namespace kiln::cpu {
namespace {

// Sort keys: the half types compare as float; NaN sorts above every number.
template <typename T>
using key_t = std::conditional_t<kIsFloat<T>, opmath_t<T>, T>;

template <typename K>
using Entry = std::pair<K, int64_t>;

template <typename K>
struct Before {
  bool descending;
  bool operator()(const Entry<K>& a, const Entry<K>& b) const {
    if constexpr (std::is_floating_point_v<K>) {
      const bool an = a.first != a.first, bn = b.first != b.first;
      if (an || bn) return descending ? (an && !bn) : (!an && bn);
    }
    return descending ? a.first > b.first : a.first < b.first;
  }
};

// A long lane sorts in fixed pieces (in parallel) merged pairwise: a stable sort has one
// answer, so the split changes nothing but the time.
inline constexpr int64_t kSortPiece = 1 << 17;

template <typename K>
void stable_sort_entries(std::vector<Entry<K>>& v, const Before<K>& before, bool parallel) {
  const int64_t n = static_cast<int64_t>(v.size());
  if (!parallel || n < 2 * kSortPiece) {
    std::stable_sort(v.begin(), v.end(), before);
    return;
  }
  int64_t pieces = 1;
  while (pieces < 8 && n / (pieces * 2) >= kSortPiece) pieces *= 2;
  auto bound = [&](int64_t i) { return v.begin() + n * i / pieces; };
  parallel_for(0, pieces, 1, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) std::stable_sort(bound(i), bound(i + 1), before);
  });
  for (int64_t width = 1; width < pieces; width *= 2) {
    const int64_t merges = pieces / (2 * width);
    parallel_for(0, merges, 1, [&](int64_t lo, int64_t hi) {
      for (int64_t m = lo; m < hi; ++m) {
        const int64_t a = 2 * width * m;
        std::inplace_merge(bound(a), bound(a + width), bound(a + 2 * width), before);
      }
    });
  }
}

template <typename T, typename F>
void for_lanes(const Tensor& self, const Tensor& values, int64_t dim, const F& fn) {
  const LaneGeometry lanes(self, values, dim);
  const int64_t work = lanes.len * 16;
  if (lanes.g.num_out == 1) {
    const auto [i0, o0] = lanes.g.out_offsets(0);
    fn(lanes, i0, o0, true);
    return;
  }
  lanes.for_each(work, [&](int64_t i0, int64_t o0) { fn(lanes, i0, o0, false); });
}

void sort_impl(const Tensor& values, const Tensor& indices, const Tensor& self, int64_t dim,
               bool descending) {
  const int64_t d = wrap_dim(dim, self.dim());
  KILN_DISPATCH_ALL(self.dtype(), "sort", [&]<typename scalar_t>() {
    using K = key_t<scalar_t>;
    const scalar_t* in = static_cast<const scalar_t*>(self.raw_data());
    scalar_t* val = static_cast<scalar_t*>(values.raw_data());
    int64_t* idx = static_cast<int64_t*>(indices.raw_data());
    const int64_t is = indices.dim() == 0 ? 0 : indices.strides()[d];
    for_lanes<scalar_t>(self, values, d, [&](const LaneGeometry& l, int64_t i0, int64_t o0,
                                             bool parallel) {
      std::vector<Entry<K>> v(l.len);
      for (int64_t j = 0; j < l.len; ++j) v[j] = {K(in[i0 + j * l.in_stride]), j};
      stable_sort_entries(v, Before<K>{descending}, parallel);
      for (int64_t j = 0; j < l.len; ++j) {
        val[o0 + j * l.out_stride] = scalar_t(v[j].first);
        idx[o0 + j * is] = v[j].second;
      }
    });
  });
}

}  // namespace

void sort(const Tensor& values, const Tensor& indices, const Tensor& self, int64_t dim,
          bool descending) {
  sort_impl(values, indices, self, dim, descending);
}

void sort_stable(const Tensor& values, const Tensor& indices, const Tensor& self, bool,
                 int64_t dim, bool descending) {
  sort_impl(values, indices, self, dim, descending);
}

void topk(const Tensor& values, const Tensor& indices, const Tensor& self, int64_t k,
          int64_t dim, bool largest, bool) {
  const int64_t d = wrap_dim(dim, self.dim());
  KILN_DISPATCH_NUMERIC(self.dtype(), "topk", [&]<typename scalar_t>() {
    using K = key_t<scalar_t>;
    const scalar_t* in = static_cast<const scalar_t*>(self.raw_data());
    scalar_t* val = static_cast<scalar_t*>(values.raw_data());
    int64_t* idx = static_cast<int64_t*>(indices.raw_data());
    const int64_t is = indices.dim() == 0 ? 0 : indices.strides()[d];
    for_lanes<scalar_t>(self, values, d, [&](const LaneGeometry& l, int64_t i0, int64_t o0, bool) {
      std::vector<Entry<K>> v(l.len);
      for (int64_t j = 0; j < l.len; ++j) v[j] = {K(in[i0 + j * l.in_stride]), j};
      // Ties go to the lower index, so the answer is one fixed set in one fixed order.
      const Before<K> before{largest};
      auto first = [&](const Entry<K>& a, const Entry<K>& b) {
        if (before(a, b)) return true;
        if (before(b, a)) return false;
        return a.second < b.second;
      };
      std::partial_sort(v.begin(), v.begin() + k, v.end(), first);
      for (int64_t j = 0; j < k; ++j) {
        val[o0 + j * l.out_stride] = scalar_t(v[j].first);
        idx[o0 + j * is] = v[j].second;
      }
    });
  });
}

}  // namespace kiln::cpu
