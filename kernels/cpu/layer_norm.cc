// Layer norm over rows: input viewed as (M, N), N the product of normalized_shape. The
// backward makes grad_input per row, and grad_weight/grad_bias as sums over rows in fixed
// chunks of rows (the partials are added in chunk order, whatever the thread count).
#include <cmath>
#include <limits>
#include <vector>

#include "engine/core/parallel.h"
#include "kernels/cpu/loops.h"
#include "kernels/cpu/nn_norm.h"

namespace kiln::cpu {

using nn_detail::dense;
using nn_detail::lane_sum;

void native_layer_norm(const Tensor& out, const Tensor& mean, const Tensor& rstd,
                       const Tensor& input_, IntList normalized_shape, const Tensor& weight_,
                       const Tensor& bias_, double eps) {
  const int64_t n = numel_of(normalized_shape);
  const int64_t m = n == 0 ? 0 : input_.numel() / n;
  if (input_.numel() == 0) {
    // Rows of no elements: mean 0 and rstd 1/sqrt(eps) would be NaN in PyTorch (0/0).
    KILN_DISPATCH_FLOATING(mean.dtype(), "native_layer_norm", [&]<typename T>() {
      for (int64_t i = 0; i < mean.numel(); ++i) {
        mean.data_ptr<T>()[i] = T(std::numeric_limits<float>::quiet_NaN());
        rstd.data_ptr<T>()[i] = T(std::numeric_limits<float>::quiet_NaN());
      }
    });
    return;
  }
  const Tensor input = dense(input_), weight = dense(weight_), bias = dense(bias_);
  KILN_DISPATCH_FLOATING(out.dtype(), "native_layer_norm", [&]<typename T>() {
    using A = opmath_t<T>;
    const T* x = input.data_ptr<T>();
    const T* w = weight.defined() ? weight.data_ptr<T>() : nullptr;
    const T* b = bias.defined() ? bias.data_ptr<T>() : nullptr;
    T* y = out.data_ptr<T>();
    T* mp = mean.data_ptr<T>();
    T* rp = rstd.data_ptr<T>();
    parallel_for(0, m, std::max<int64_t>(1, kGrain / n), [&](int64_t lo, int64_t hi) {
      for (int64_t r = lo; r < hi; ++r) {
        const T* xr = x + r * n;
        T* yr = y + r * n;
        const A mu = lane_sum<A>(n, [&](int64_t i) { return A(xr[i]); }) / A(n);
        const A var = lane_sum<A>(n, [&](int64_t i) {
                        const A d = A(xr[i]) - mu;
                        return d * d;
                      }) / A(n);
        const A rs = A(1) / std::sqrt(var + A(eps));
        mp[r] = T(mu);
        rp[r] = T(rs);
        if (w && b) {
          for (int64_t i = 0; i < n; ++i) yr[i] = T((A(xr[i]) - mu) * rs * A(w[i]) + A(b[i]));
        } else if (w) {
          for (int64_t i = 0; i < n; ++i) yr[i] = T((A(xr[i]) - mu) * rs * A(w[i]));
        } else if (b) {
          for (int64_t i = 0; i < n; ++i) yr[i] = T((A(xr[i]) - mu) * rs + A(b[i]));
        } else {
          for (int64_t i = 0; i < n; ++i) yr[i] = T((A(xr[i]) - mu) * rs);
        }
      }
    });
  });
}

// dx = rstd (g w - (sum(g w) + xhat sum(g w xhat)) / N), xhat = (x - mean) rstd;
// dweight = sum over rows of g xhat, dbias = sum over rows of g.
void native_layer_norm_backward(const Tensor& grad_input, const Tensor& grad_weight,
                                const Tensor& grad_bias, const Tensor& grad_out_,
                                const Tensor& input_, IntList normalized_shape,
                                const Tensor& mean_, const Tensor& rstd_, const Tensor& weight_,
                                const Tensor&) {
  const int64_t n = numel_of(normalized_shape);
  const int64_t m = n == 0 ? 0 : input_.numel() / n;
  const bool want_w = grad_weight.numel() > 0, want_b = grad_bias.numel() > 0;
  const Tensor g = dense(grad_out_), input = dense(input_), mean = dense(mean_),
               rstd = dense(rstd_), weight = dense(weight_);
  KILN_DISPATCH_FLOATING(grad_input.dtype(), "native_layer_norm_backward", [&]<typename T>() {
    using A = opmath_t<T>;
    const T* gp = g.data_ptr<T>();
    const T* x = input.data_ptr<T>();
    const T* w = weight.defined() ? weight.data_ptr<T>() : nullptr;
    const T* mp = mean.data_ptr<T>();
    const T* rp = rstd.data_ptr<T>();
    T* dx = grad_input.data_ptr<T>();
    const int64_t chunk = nn_detail::row_chunk(m);
    const int64_t chunks = m == 0 ? 0 : (m + chunk - 1) / chunk;
    // Per chunk: partial dweight (n) then partial dbias (n).
    std::vector<A> partial(size_t((want_w || want_b) ? chunks * 2 * n : 0), A(0));
    parallel_chunks(m, chunk, [&](int64_t c, int64_t lo, int64_t hi) {
      A* pw = partial.empty() ? nullptr : partial.data() + c * 2 * n;
      A* pb = pw ? pw + n : nullptr;
      for (int64_t r = lo; r < hi; ++r) {
        const T* gr = gp + r * n;
        const T* xr = x + r * n;
        T* dr = dx + r * n;
        const A mu = A(mp[r]), rs = A(rp[r]);
        A sum_g, sum_gx;
        if (w) {
          sum_g = lane_sum<A>(n, [&](int64_t i) { return A(gr[i]) * A(w[i]); });
          sum_gx = lane_sum<A>(n, [&](int64_t i) { return A(gr[i]) * A(w[i]) * (A(xr[i]) - mu); });
        } else {
          sum_g = lane_sum<A>(n, [&](int64_t i) { return A(gr[i]); });
          sum_gx = lane_sum<A>(n, [&](int64_t i) { return A(gr[i]) * (A(xr[i]) - mu); });
        }
        // xhat sum(g w xhat) = (x - mu) rs^2 sum_gx.
        const A c1 = sum_g / A(n), c2 = rs * rs * sum_gx / A(n);
        if (w) {
          for (int64_t i = 0; i < n; ++i) {
            dr[i] = T(rs * (A(gr[i]) * A(w[i]) - c1 - (A(xr[i]) - mu) * c2));
          }
        } else {
          for (int64_t i = 0; i < n; ++i) dr[i] = T(rs * (A(gr[i]) - c1 - (A(xr[i]) - mu) * c2));
        }
        if (pw) {
          for (int64_t i = 0; i < n; ++i) {
            pw[i] += A(gr[i]) * (A(xr[i]) - mu) * rs;
            pb[i] += A(gr[i]);
          }
        }
      }
    });
    if (!want_w && !want_b) return;
    for (int64_t i = 0; i < n; ++i) {
      A sw = 0, sb = 0;
      for (int64_t c = 0; c < chunks; ++c) {
        sw += partial[size_t(c * 2 * n + i)];
        sb += partial[size_t(c * 2 * n + n + i)];
      }
      if (want_w) grad_weight.data_ptr<T>()[i] = T(sw);
      if (want_b) grad_bias.data_ptr<T>()[i] = T(sb);
    }
  });
}

}  // namespace kiln::cpu
