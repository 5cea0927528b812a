// softmax and log_softmax along a dim, and their backward. Rows along a last dim run as
// contiguous vectors (the common case: attention scores, logits); other dims run with the
// inner dims as the vector, so neither layout is strided.
// Before any include: lets GCC if-convert vec_math.h's selects (see there).
#pragma GCC optimize("no-trapping-math")

#include <cmath>
#include <limits>
#include <vector>

#include "engine/core/parallel.h"
#include "kernels/cpu/loops.h"
#include "kernels/cpu/nn_norm.h"

namespace kiln::cpu {

using nn_detail::Around;
using nn_detail::dense;
using nn_detail::vexp;

namespace {

using nn_detail::kLanes;
using nn_detail::lane_sum;

template <typename A, typename T>
A lane_max(const T* x, int64_t n) {
  A acc[kLanes];
  for (int k = 0; k < kLanes; ++k) acc[k] = -std::numeric_limits<A>::infinity();
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int k = 0; k < kLanes; ++k) {
      const A v = A(x[i + k]);
      acc[k] = v > acc[k] ? v : acc[k];
    }
  }
  A m = -std::numeric_limits<A>::infinity();
  for (; i < n; ++i) m = A(x[i]) > m ? A(x[i]) : m;
  for (int k = 0; k < kLanes; ++k) m = acc[k] > m ? acc[k] : m;
  // A NaN the max skipped still reaches every output through exp(NaN - m) and the sum.
  return m;
}

// One row of n contiguous elements.
template <typename T, bool kLog>
void softmax_row(T* y, const T* x, int64_t n, std::vector<opmath_t<T>>& buf) {
  using A = opmath_t<T>;
  const A m = lane_max<A>(x, n);
  if constexpr (kLog) {
    const A s = lane_sum<A>(n, [&](int64_t i) { return vexp(A(x[i]) - m); });
    const A shift = m + std::log(s);
    for (int64_t i = 0; i < n; ++i) y[i] = T(A(x[i]) - shift);
  } else if constexpr (std::is_same_v<T, A>) {
    const A s = lane_sum<A>(n, [&](int64_t i) {
      const A e = vexp(x[i] - m);
      y[i] = e;
      return e;
    });
    const A inv = A(1) / s;
    for (int64_t i = 0; i < n; ++i) y[i] *= inv;
  } else {
    buf.resize(size_t(n));
    A* e = buf.data();
    const A s = lane_sum<A>(n, [&](int64_t i) { return e[i] = vexp(A(x[i]) - m); });
    const A inv = A(1) / s;
    for (int64_t i = 0; i < n; ++i) y[i] = T(e[i] * inv);
  }
}

// One outer slice (size, inner): each of the inner columns is a softmax along size.
template <typename T, bool kLog>
void softmax_cols(T* y, const T* x, int64_t size, int64_t inner, std::vector<opmath_t<T>>& buf) {
  using A = opmath_t<T>;
  buf.assign(size_t(2 * inner), A(0));
  A* m = buf.data();
  A* s = m + inner;
  for (int64_t j = 0; j < inner; ++j) m[j] = -std::numeric_limits<A>::infinity();
  for (int64_t k = 0; k < size; ++k) {
    const T* xk = x + k * inner;
    for (int64_t j = 0; j < inner; ++j) m[j] = A(xk[j]) > m[j] ? A(xk[j]) : m[j];
  }
  for (int64_t k = 0; k < size; ++k) {
    const T* xk = x + k * inner;
    for (int64_t j = 0; j < inner; ++j) s[j] += vexp(A(xk[j]) - m[j]);
  }
  for (int64_t j = 0; j < inner; ++j) s[j] = kLog ? m[j] + std::log(s[j]) : A(1) / s[j];
  for (int64_t k = 0; k < size; ++k) {
    const T* xk = x + k * inner;
    T* yk = y + k * inner;
    for (int64_t j = 0; j < inner; ++j) {
      yk[j] = kLog ? T(A(xk[j]) - s[j]) : T(vexp(A(xk[j]) - m[j]) * s[j]);
    }
  }
}

template <bool kLog>
void softmax_any(const Tensor& out, const Tensor& self_, int64_t dim, const char* name) {
  if (out.numel() == 0) return;
  const Tensor self = dense(self_);
  const Around g(self.sizes(), dim);
  KILN_DISPATCH_FLOATING(out.dtype(), name, [&]<typename T>() {
    const T* x = self.data_ptr<T>();
    T* y = out.data_ptr<T>();
    const int64_t row = g.size * g.inner;
    parallel_for(0, g.outer, std::max<int64_t>(1, kGrain / std::max<int64_t>(row, 1)),
                 [&](int64_t lo, int64_t hi) {
                   std::vector<opmath_t<T>> buf;
                   for (int64_t o = lo; o < hi; ++o) {
                     if (g.inner == 1) {
                       softmax_row<T, kLog>(y + o * row, x + o * row, g.size, buf);
                     } else {
                       softmax_cols<T, kLog>(y + o * row, x + o * row, g.size, g.inner, buf);
                     }
                   }
                 });
  });
}

// softmax: gi = y (g - sum(g y)); log_softmax: gi = g - exp(y) sum(g).
template <bool kLog>
void softmax_backward_any(const Tensor& out, const Tensor& grad_, const Tensor& output_,
                          int64_t dim, const char* name) {
  if (out.numel() == 0) return;
  const Tensor grad = dense(grad_), output = dense(output_);
  const Around g(output.sizes(), dim);
  KILN_DISPATCH_FLOATING(out.dtype(), name, [&]<typename T>() {
    using A = opmath_t<T>;
    const T* gp = grad.data_ptr<T>();
    const T* yp = output.data_ptr<T>();
    T* op = out.data_ptr<T>();
    const int64_t row = g.size * g.inner;
    parallel_for(0, g.outer, std::max<int64_t>(1, kGrain / std::max<int64_t>(row, 1)),
                 [&](int64_t lo, int64_t hi) {
      std::vector<A> acc;
      for (int64_t o = lo; o < hi; ++o) {
        const T* gr = gp + o * row;
        const T* yr = yp + o * row;
        T* orow = op + o * row;
        if (g.inner == 1) {
          const int64_t n = g.size;
          if constexpr (kLog) {
            const A s = lane_sum<A>(n, [&](int64_t i) { return A(gr[i]); });
            for (int64_t i = 0; i < n; ++i) orow[i] = T(A(gr[i]) - vexp(A(yr[i])) * s);
          } else {
            const A s = lane_sum<A>(n, [&](int64_t i) { return A(gr[i]) * A(yr[i]); });
            for (int64_t i = 0; i < n; ++i) orow[i] = T(A(yr[i]) * (A(gr[i]) - s));
          }
          continue;
        }
        acc.assign(size_t(g.inner), A(0));
        for (int64_t k = 0; k < g.size; ++k) {
          for (int64_t j = 0; j < g.inner; ++j) {
            const int64_t i = k * g.inner + j;
            acc[j] += kLog ? A(gr[i]) : A(gr[i]) * A(yr[i]);
          }
        }
        for (int64_t k = 0; k < g.size; ++k) {
          for (int64_t j = 0; j < g.inner; ++j) {
            const int64_t i = k * g.inner + j;
            orow[i] = kLog ? T(A(gr[i]) - vexp(A(yr[i])) * acc[j])
                           : T(A(yr[i]) * (A(gr[i]) - acc[j]));
          }
        }
      }
    });
  });
}

}  // namespace

void softmax(const Tensor& out, const Tensor& self, int64_t dim, std::optional<DType>) {
  softmax_any<false>(out, self, dim, "softmax");
}

void log_softmax(const Tensor& out, const Tensor& self, int64_t dim, std::optional<DType>) {
  softmax_any<true>(out, self, dim, "log_softmax");
}

void softmax_backward_data(const Tensor& out, const Tensor& grad_output, const Tensor& output,
                           int64_t dim, DType) {
  softmax_backward_any<false>(out, grad_output, output, dim, "_softmax_backward_data");
}

void log_softmax_backward_data(const Tensor& out, const Tensor& grad_output, const Tensor& output,
                               int64_t dim, DType) {
  softmax_backward_any<true>(out, grad_output, output, dim, "_log_softmax_backward_data");
}

}  // namespace kiln::cpu
