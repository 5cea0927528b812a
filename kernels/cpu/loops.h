// Elementwise loops for CPU kernels: the general strided/broadcast iterator and the
// contiguous fast paths the compiler vectorizes.
//
//   // out (N...), a (N...), b (N...) after broadcasting
//   cpu_kernel<float>(out, {a, b}, [](float x, float y) { return x + y; });
//
// Inputs are broadcast to out's shape (stride 0), dims that are contiguous for every operand
// merge into one, and the flat index space is split across threads in contiguous chunks, so
// results never depend on the thread count.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <tuple>
#include <utility>

#include "engine/core/parallel.h"
#include "engine/core/tensor.h"

namespace kiln::cpu {

// Elements per task below which a loop runs on the calling thread.
inline constexpr int64_t kGrain = 32768;

// The geometry of N operands over one iteration space, in bytes, dims merged where possible.
template <int N>
struct LoopGeometry {
  int ndim = 0;
  std::array<int64_t, 16> sizes{};
  std::array<std::array<int64_t, 16>, N> strides{};  // bytes; operand 0 is the output
  std::array<char*, N> data{};
  int64_t numel = 1;

  // `ops[0]` sets the shape; the others broadcast to it.
  explicit LoopGeometry(const std::array<const Tensor*, N>& ops) {
    const Tensor& out = *ops[0];
    const int64_t nd = out.dim();
    KILN_ASSERT(nd <= 16, "tensors of more than 16 dims are not supported");
    numel = out.numel();
    // Fill dims innermost-first, merging a dim into the previous (inner) one when every
    // operand is contiguous across the boundary.
    for (int64_t d = nd - 1; d >= 0; --d) {
      const int64_t size = out.sizes()[d];
      if (size == 1) continue;
      std::array<int64_t, N> st;
      for (int k = 0; k < N; ++k) st[k] = stride_of(*ops[k], d, nd);
      if (ndim > 0) {
        bool merge = true;
        for (int k = 0; k < N; ++k) {
          if (st[k] != strides[k][ndim - 1] * sizes[ndim - 1]) merge = false;
        }
        if (merge) {
          sizes[ndim - 1] *= size;
          continue;
        }
      }
      sizes[ndim] = size;
      for (int k = 0; k < N; ++k) strides[k][ndim] = st[k];
      ++ndim;
    }
    for (int k = 0; k < N; ++k) data[k] = static_cast<char*>(ops[k]->raw_data());
  }

  // Byte stride of operand `t` along out-dim `d` (of `nd`), with broadcasting.
  static int64_t stride_of(const Tensor& t, int64_t d, int64_t nd) {
    const int64_t td = d - (nd - t.dim());
    if (td < 0 || t.sizes()[td] == 1) return 0;
    return t.strides()[td] * static_cast<int64_t>(t.element_size());
  }

  // Calls inner(ptrs, inner_strides, n) over [begin, end) of the flat (row-major) index space;
  // dim 0 of the geometry is the innermost.
  template <typename Inner>
  void run(int64_t begin, int64_t end, const Inner& inner) const {
    if (ndim == 0) {
      if (begin < end) {
        std::array<char*, N> p = data;
        std::array<int64_t, N> s{};
        inner(p, s, int64_t(1));
      }
      return;
    }
    // Multi-index of `begin`.
    std::array<int64_t, 16> idx{};
    int64_t rem = begin;
    for (int d = 0; d < ndim; ++d) {
      idx[d] = rem % sizes[d];
      rem /= sizes[d];
    }
    std::array<int64_t, N> inner_stride;
    for (int k = 0; k < N; ++k) inner_stride[k] = strides[k][0];
    int64_t i = begin;
    while (i < end) {
      std::array<char*, N> p;
      for (int k = 0; k < N; ++k) {
        int64_t off = 0;
        for (int d = 0; d < ndim; ++d) off += idx[d] * strides[k][d];
        p[k] = data[k] + off;
      }
      const int64_t n = std::min(sizes[0] - idx[0], end - i);
      inner(p, inner_stride, n);
      i += n;
      idx[0] += n;
      for (int d = 0; d < ndim - 1 && idx[d] == sizes[d]; ++d) {
        idx[d] = 0;
        ++idx[d + 1];
      }
    }
  }
};

namespace detail {

template <typename T>
inline T load(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

template <typename F, typename Out, typename... In, size_t... I>
inline void strided_inner(const F& f, std::array<char*, sizeof...(In) + 1> p,
                          const std::array<int64_t, sizeof...(In) + 1>& s, int64_t n,
                          std::index_sequence<I...>) {
  constexpr size_t kIn = sizeof...(In);
  if (s[0] == sizeof(Out)) {
    Out* __restrict o = reinterpret_cast<Out*>(p[0]);
    if constexpr (kIn == 1) {
      using A = std::tuple_element_t<0, std::tuple<In...>>;
      if (s[1] == sizeof(A)) {
        const A* __restrict a = reinterpret_cast<const A*>(p[1]);
        for (int64_t j = 0; j < n; ++j) o[j] = f(a[j]);
        return;
      }
    } else if constexpr (kIn == 2) {
      // Dense, or one broadcast scalar hoisted out so the loop still vectorizes.
      using A = std::tuple_element_t<0, std::tuple<In...>>;
      using B = std::tuple_element_t<1, std::tuple<In...>>;
      if (s[1] == sizeof(A) && s[2] == sizeof(B)) {
        const A* __restrict a = reinterpret_cast<const A*>(p[1]);
        const B* __restrict b = reinterpret_cast<const B*>(p[2]);
        for (int64_t j = 0; j < n; ++j) o[j] = f(a[j], b[j]);
        return;
      }
      if (s[1] == 0 && s[2] == sizeof(B)) {
        const A a = load<A>(p[1]);
        const B* __restrict b = reinterpret_cast<const B*>(p[2]);
        for (int64_t j = 0; j < n; ++j) o[j] = f(a, b[j]);
        return;
      }
      if (s[2] == 0 && s[1] == sizeof(A)) {
        const A* __restrict a = reinterpret_cast<const A*>(p[1]);
        const B b = load<B>(p[2]);
        for (int64_t j = 0; j < n; ++j) o[j] = f(a[j], b);
        return;
      }
    } else {
      bool dense = ((s[I + 1] == sizeof(In)) && ...);
      if (dense) {
        for (int64_t j = 0; j < n; ++j) o[j] = f(reinterpret_cast<const In*>(p[I + 1])[j]...);
        return;
      }
    }
  }
  for (int64_t j = 0; j < n; ++j) {
    Out r = f(load<In>(p[I + 1] + j * s[I + 1])...);
    std::memcpy(p[0] + j * s[0], &r, sizeof(Out));
  }
}

}  // namespace detail

// out = f(in...) elementwise. `Out` and `In...` must be the operands' element types; inputs
// broadcast to out's shape.
template <typename Out, typename... In, typename F>
void cpu_kernel_typed(const Tensor& out, const std::array<const Tensor*, sizeof...(In)>& in,
                      const F& f) {
  constexpr int N = sizeof...(In) + 1;
  std::array<const Tensor*, N> ops;
  ops[0] = &out;
  for (size_t k = 0; k < sizeof...(In); ++k) ops[k + 1] = in[k];
  const LoopGeometry<N> g(ops);
  parallel_for(0, g.numel, kGrain, [&](int64_t lo, int64_t hi) {
    g.run(lo, hi, [&](std::array<char*, N> p, const std::array<int64_t, N>& s, int64_t n) {
      detail::strided_inner<F, Out, In...>(f, p, s, n, std::index_sequence_for<In...>{});
    });
  });
}

// The common case: every input has type T and the output has type Out (default T).
template <typename T, typename Out = T, typename F>
void unary_kernel(const Tensor& out, const Tensor& a, const F& f) {
  cpu_kernel_typed<Out, T>(out, {&a}, f);
}

template <typename T, typename Out = T, typename F>
void binary_kernel(const Tensor& out, const Tensor& a, const Tensor& b, const F& f) {
  cpu_kernel_typed<Out, T, T>(out, {&a, &b}, f);
}

template <typename T, typename Out = T, typename F>
void ternary_kernel(const Tensor& out, const Tensor& a, const Tensor& b, const Tensor& c,
                    const F& f) {
  cpu_kernel_typed<Out, T, T, T>(out, {&a, &b, &c}, f);
}

// True if pred holds for some element of `t` (serial; for argument checks).
template <typename T, typename Pred>
bool any_of(const Tensor& t, const Pred& pred) {
  const LoopGeometry<1> g({&t});
  bool found = false;
  g.run(0, g.numel, [&](std::array<char*, 1> p, const std::array<int64_t, 1>& s, int64_t n) {
    for (int64_t j = 0; j < n && !found; ++j) found = pred(detail::load<T>(p[0] + j * s[0]));
  });
  return found;
}

}  // namespace kiln::cpu
