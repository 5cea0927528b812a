// The multi-tensor driver of the fused optimizer kernels (kernels/cpu/optim.cc).
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "engine/core/parallel.h"
#include "engine/core/tensor.h"
#include "kernels/cpu/loops.h"

namespace kiln::cpu {

// Elements per piece of work: big enough that the per-piece dispatch is noise, small enough
// that a few large tensors still spread evenly over the threads.
inline constexpr int64_t kOptimPiece = 1 << 14;

// Runs fn(i, lo, hi) over the elements [lo, hi) of every tensors[i], in fixed pieces spread
// over the threads (a group smaller than kGrain elements runs on the calling thread). Pieces
// never straddle tensors, so fn sees one tensor's contiguous memory at a time.
template <typename F>
void for_each_piece(const std::vector<Tensor>& tensors, const F& fn) {
  struct Piece {
    size_t i;
    int64_t lo, hi;
  };
  std::vector<Piece> pieces;
  int64_t total = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const int64_t n = tensors[i].numel();
    total += n;
    for (int64_t lo = 0; lo < n; lo += kOptimPiece) {
      pieces.push_back({i, lo, std::min(lo + kOptimPiece, n)});
    }
  }
  const auto run = [&](int64_t a, int64_t b) {
    for (int64_t k = a; k < b; ++k) fn(pieces[k].i, pieces[k].lo, pieces[k].hi);
  };
  if (total < kGrain) {
    run(0, int64_t(pieces.size()));
  } else {
    parallel_for(0, int64_t(pieces.size()), 1, run);
  }
}

// Turns runtime flags into template arguments, so each configuration gets its own
// branch-free (vectorizable) loop: with_flags([&]<bool A, bool B>() { ... }, a, b).
template <bool... Bs, typename F>
void with_flags(const F& f) {
  f.template operator()<Bs...>();
}
template <bool... Bs, typename F, typename... Rest>
void with_flags(const F& f, bool b, Rest... rest) {
  if (b) {
    with_flags<Bs..., true>(f, rest...);
  } else {
    with_flags<Bs..., false>(f, rest...);
  }
}

// Typed pointer to element `offset` of a contiguous tensor.
template <typename T>
T* data(const Tensor& t, int64_t offset) {
  return static_cast<T*>(t.raw_data()) + offset;
}
template <typename T>
const T* cdata(const Tensor& t, int64_t offset) {
  return static_cast<const T*>(t.raw_data()) + offset;
}

}  // namespace kiln::cpu
