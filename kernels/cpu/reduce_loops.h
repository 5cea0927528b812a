// The reduction driver for CPU kernels.
//
//   reduce_kernel<float>(out, in, dims, SumOps<float>{});
//
// `Ops` says how to reduce: acc_t, init(), combine(acc, x, r) with r the element's linear
// index over the reduced dims, merge(a, b) for partial results, project(acc) -> output.
// Outputs split across threads; a lone large reduction splits into fixed 32K-element chunks
// merged in order. Either way the result does not depend on the thread count.
#pragma once

#include <algorithm>
#include <array>
#include <vector>

#include "engine/core/parallel.h"
#include "engine/core/tensor.h"

namespace kiln::cpu {

inline constexpr int64_t kReduceChunk = 32768;

// Splits a tensor's dims into kept (-> outputs) and reduced ones, in elements.
struct ReduceGeometry {
  std::vector<int64_t> kept_sizes, kept_in, kept_out;  // innermost last
  std::vector<int64_t> red_sizes, red_in;              // innermost last
  int64_t num_out = 1, num_red = 1;

  // `dims`: sorted, wrapped reduced dims of `in`; `out` has keepdim or not.
  ReduceGeometry(const Tensor& in, const Tensor& out, const std::vector<int64_t>& dims) {
    int64_t od = 0;
    const bool keepdim = out.dim() == in.dim();
    for (int64_t d = 0; d < in.dim(); ++d) {
      const bool reduced = std::binary_search(dims.begin(), dims.end(), d);
      if (reduced) {
        if (in.sizes()[d] != 1) {
          red_sizes.push_back(in.sizes()[d]);
          red_in.push_back(in.strides()[d]);
        }
        num_red *= in.sizes()[d];
        if (keepdim) ++od;
      } else {
        if (in.sizes()[d] != 1) {
          kept_sizes.push_back(in.sizes()[d]);
          kept_in.push_back(in.strides()[d]);
          kept_out.push_back(out.strides()[od]);
        }
        num_out *= in.sizes()[d];
        ++od;
      }
    }
    coalesce(red_sizes, {&red_in});
    coalesce(kept_sizes, {&kept_in, &kept_out});
  }

  // Merges neighbouring dims that are contiguous with each other in every stride list.
  static void coalesce(std::vector<int64_t>& sizes, std::initializer_list<std::vector<int64_t>*> strides) {
    for (size_t i = sizes.size(); i-- > 1;) {
      bool ok = true;
      for (auto* s : strides) ok = ok && (*s)[i - 1] == (*s)[i] * sizes[i];
      if (!ok) continue;
      sizes[i - 1] *= sizes[i];
      sizes.erase(sizes.begin() + i);
      for (auto* s : strides) (*s)[i - 1] = (*s)[i], s->erase(s->begin() + i);
    }
  }

  // Element offsets (input, output) of output number m.
  std::pair<int64_t, int64_t> out_offsets(int64_t m) const {
    int64_t in_off = 0, out_off = 0;
    for (size_t d = kept_sizes.size(); d-- > 0;) {
      const int64_t i = m % kept_sizes[d];
      m /= kept_sizes[d];
      in_off += i * kept_in[d];
      out_off += i * kept_out[d];
    }
    return {in_off, out_off};
  }
};

// Reduces elements [r0, r1) of the reduced space starting at `base`.
template <typename T, typename Ops>
typename Ops::acc_t reduce_range(const ReduceGeometry& g, const T* base, int64_t r0, int64_t r1,
                                 const Ops& ops, typename Ops::acc_t acc) {
  const size_t nd = g.red_sizes.size();
  if (nd == 0) {
    if (r0 < r1) acc = ops.combine(acc, base[0], 0);
    return acc;
  }
  std::array<int64_t, 16> idx{};
  int64_t rem = r0;
  for (size_t d = nd; d-- > 0;) {
    idx[d] = rem % g.red_sizes[d];
    rem /= g.red_sizes[d];
  }
  const int64_t inner = g.red_sizes[nd - 1];
  const int64_t inner_stride = g.red_in[nd - 1];
  int64_t r = r0;
  while (r < r1) {
    int64_t off = 0;
    for (size_t d = 0; d < nd; ++d) off += idx[d] * g.red_in[d];
    const int64_t n = std::min(inner - idx[nd - 1], r1 - r);
    const T* p = base + off;
    if (inner_stride == 1) {
      acc = ops.reduce_contiguous(acc, p, n, r);
    } else {
      for (int64_t j = 0; j < n; ++j) acc = ops.combine(acc, p[j * inner_stride], r + j);
    }
    r += n;
    idx[nd - 1] += n;
    for (size_t d = nd - 1; d > 0 && idx[d] == g.red_sizes[d]; --d) {
      idx[d] = 0;
      ++idx[d - 1];
    }
  }
  return acc;
}

// Default contiguous run: plain combine loop (Ops may override with a vectorized one).
template <typename Derived, typename T, typename Acc>
struct ReduceOpsBase {
  using acc_t = Acc;
  Acc reduce_contiguous(Acc acc, const T* p, int64_t n, int64_t r) const {
    const Derived& self = static_cast<const Derived&>(*this);
    for (int64_t j = 0; j < n; ++j) acc = self.combine(acc, p[j], r + j);
    return acc;
  }
};

// Reduces one long lane (output m) in fixed chunks of kReduceChunk elements; each thread
// takes a contiguous run of chunks (memory streams in order), and the chunk partials merge
// in index order, so the result does not depend on the thread count.
template <typename T, typename Ops>
typename Ops::acc_t reduce_chunked(const ReduceGeometry& g, const T* base, const Ops& ops) {
  using Acc = typename Ops::acc_t;
  const int64_t chunks = (g.num_red + kReduceChunk - 1) / kReduceChunk;
  std::vector<Acc> part(chunks, ops.init());
  parallel_for(0, chunks, 1, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      part[c] = reduce_range(g, base, c * kReduceChunk, std::min(g.num_red, (c + 1) * kReduceChunk),
                             ops, ops.init());
    }
  });
  // Pairwise, neighbours first: keeps float error growth logarithmic in the chunk count,
  // and an earlier chunk is always merge's first argument (ties keep the first index).
  for (int64_t w = 1; w < chunks; w *= 2) {
    for (int64_t c = 0; c + w < chunks; c += 2 * w) part[c] = ops.merge(part[c], part[c + w]);
  }
  return part[0];
}

// The driver: hands each output's final accumulator to store(out_offset, acc). Kernels with
// several outputs of one shape (values and indices) store into each at the same offset.
template <typename T, typename Ops, typename Store>
void reduce_kernel_store(const ReduceGeometry& g, const T* in_data, const Ops& ops,
                         const Store& store) {
  if (g.num_out == 0) return;
  using Acc = typename Ops::acc_t;
  if (g.num_red == 0) {
    parallel_for(0, g.num_out, 4096, [&](int64_t lo, int64_t hi) {
      for (int64_t m = lo; m < hi; ++m) store(g.out_offsets(m).second, ops.init());
    });
    return;
  }
  const bool big = g.num_red >= 2 * kReduceChunk;
  if (big && g.num_out < 2 * num_threads()) {
    // Few, long reductions: fixed chunks merged in order.
    for (int64_t m = 0; m < g.num_out; ++m) {
      const auto [in_off, out_off] = g.out_offsets(m);
      store(out_off, reduce_chunked(g, in_data + in_off, ops));
    }
    return;
  }
  const int64_t grain = std::max<int64_t>(1, 32768 / std::max<int64_t>(g.num_red, 1));
  const bool outer = !g.kept_in.empty() && g.kept_in.back() == 1 &&
                     (g.red_in.empty() || g.red_in.back() != 1);
  parallel_for(0, g.num_out, grain, [&](int64_t lo, int64_t hi) {
    if (outer) {
      // Reducing over outer dims with a contiguous kept dim innermost: accumulate a row of
      // outputs at a time so the inner loop runs along memory (and vectorizes).
      // Rows are taken in fixed blocks, each accumulated on its own and merged in order, so
      // float error grows with the block size rather than with the whole reduced length.
      constexpr int64_t kBlock = 64;
      const int64_t row = g.kept_sizes.back();
      std::vector<Acc> acc, block;
      int64_t m = lo;
      while (m < hi) {
        const int64_t w = std::min(row - m % row, hi - m);
        const auto [in_off, out_off] = g.out_offsets(m);
        acc.assign(w, ops.init());
        const T* base = in_data + in_off;
        std::array<int64_t, 16> idx{};
        const size_t nd = g.red_sizes.size();
        for (int64_t r0 = 0; r0 < g.num_red; r0 += kBlock) {
          block.assign(w, ops.init());
          for (int64_t r = r0; r < std::min(g.num_red, r0 + kBlock); ++r) {
            int64_t off = 0;
            for (size_t d = 0; d < nd; ++d) off += idx[d] * g.red_in[d];
            const T* p = base + off;
            for (int64_t j = 0; j < w; ++j) block[j] = ops.combine(block[j], p[j], r);
            for (size_t d = nd; d-- > 0;) {
              if (++idx[d] < g.red_sizes[d]) break;
              idx[d] = 0;
            }
          }
          for (int64_t j = 0; j < w; ++j) acc[j] = ops.merge(acc[j], block[j]);
        }
        const int64_t os = g.kept_out.back();
        for (int64_t j = 0; j < w; ++j) store(out_off + j * os, acc[j]);
        m += w;
      }
      return;
    }
    for (int64_t m = lo; m < hi; ++m) {
      const auto [in_off, out_off] = g.out_offsets(m);
      store(out_off, reduce_range(g, in_data + in_off, 0, g.num_red, ops, ops.init()));
    }
  });
}

template <typename T, typename OutT, typename Ops>
void reduce_kernel(const Tensor& out, const Tensor& in, const std::vector<int64_t>& dims,
                   const Ops& ops) {
  const ReduceGeometry g(in, out, dims);
  const T* in_data = static_cast<const T*>(in.raw_data());
  OutT* out_data = static_cast<OutT*>(out.raw_data());
  reduce_kernel_store(g, in_data, ops, [&](int64_t off, const typename Ops::acc_t& acc) {
    out_data[off] = ops.project(acc, g.num_red);
  });
}

// Lanes along one dim (scans, sorts, topk): `out` has in's rank (its size along dim may
// differ). fn(in_base, out_base) runs once per lane, lanes split across threads; a lane's
// elements sit at in_base + i * in_stride.
struct LaneGeometry {
  ReduceGeometry g;
  int64_t len, in_stride, out_stride;
  LaneGeometry(const Tensor& in, const Tensor& out, int64_t dim)
      : g(in, out, {dim}),
        len(in.dim() == 0 ? 1 : in.sizes()[dim]),
        in_stride(in.dim() == 0 ? 0 : in.strides()[dim]),
        out_stride(out.dim() == 0 ? 0 : out.strides()[dim]) {}

  template <typename F>
  void for_each(int64_t work_per_lane, const F& fn) const {
    const int64_t grain = std::max<int64_t>(1, 32768 / std::max<int64_t>(work_per_lane, 1));
    parallel_for(0, g.num_out, grain, [&](int64_t lo, int64_t hi) {
      for (int64_t m = lo; m < hi; ++m) {
        const auto [i, o] = g.out_offsets(m);
        fn(i, o);
      }
    });
  }
};

}  // namespace kiln::cpu
