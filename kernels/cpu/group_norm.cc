// Group norm of (N, C, HxW) with C split into `group` groups: each (n, group) is one
// contiguous row of D = C / group * HxW elements; rows run in parallel, each in a fixed order.
#include <cmath>
#include <vector>

#include "engine/core/parallel.h"
#include "kernels/cpu/nn_norm.h"

namespace kiln::cpu {

using nn_detail::dense;
using nn_detail::lane_sum;

void native_group_norm(const Tensor& out, const Tensor& mean, const Tensor& rstd,
                       const Tensor& input_, const Tensor& weight_, const Tensor& bias_, int64_t N,
                       int64_t C, int64_t HxW, int64_t group, double eps) {
  const Tensor input = dense(input_), weight = dense(weight_), bias = dense(bias_);
  const int64_t cpg = C / group, d = cpg * HxW;
  KILN_DISPATCH_FLOATING(out.dtype(), "native_group_norm", [&]<typename T>() {
    using A = opmath_t<T>;
    const T* x = input.data_ptr<T>();
    const T* w = weight.defined() ? weight.data_ptr<T>() : nullptr;
    const T* b = bias.defined() ? bias.data_ptr<T>() : nullptr;
    T* y = out.data_ptr<T>();
    parallel_for(0, N * group, std::max<int64_t>(1, 4096 / std::max<int64_t>(d, 1)),
                 [&](int64_t lo, int64_t hi) {
      for (int64_t r = lo; r < hi; ++r) {
        const T* xr = x + r * d;
        T* yr = y + r * d;
        const A mu = lane_sum<A>(d, [&](int64_t i) { return A(xr[i]); }) / A(d);
        const A var = lane_sum<A>(d, [&](int64_t i) {
                        const A t = A(xr[i]) - mu;
                        return t * t;
                      }) / A(d);
        const A rs = A(1) / std::sqrt(var + A(eps));
        mean.data_ptr<T>()[r] = T(mu);
        rstd.data_ptr<T>()[r] = T(rs);
        const int64_t g = r % group;
        for (int64_t k = 0; k < cpg; ++k) {
          const int64_t c = g * cpg + k;
          // (x - mean) first: x * scale - mean * scale cancels badly when the variance is tiny.
          const A scale = rs * (w ? A(w[c]) : A(1));
          const A shift = b ? A(b[c]) : A(0);
          for (int64_t i = k * HxW; i < (k + 1) * HxW; ++i) yr[i] = T((A(xr[i]) - mu) * scale + shift);
        }
      }
    });
  });
}

// Per (n, c): ds = sum(g x), db = sum(g) over HxW; then per row, with w the channel weight,
// dx = rstd (g w - sum(g w) / D - (x - mean) rstd^2 sum(g w (x - mean)) / D).
void native_group_norm_backward(const Tensor& grad_input, const Tensor& grad_weight,
                                const Tensor& grad_bias, const Tensor& grad_out_,
                                const Tensor& input_, const Tensor& mean_, const Tensor& rstd_,
                                const Tensor& weight_, int64_t N, int64_t C, int64_t HxW,
                                int64_t group) {
  const Tensor input = dense(input_), go = dense(grad_out_), mean = dense(mean_),
               rstd = dense(rstd_), weight = dense(weight_);
  const int64_t cpg = C / group, d = cpg * HxW;
  KILN_DISPATCH_FLOATING(grad_input.dtype(), "native_group_norm_backward", [&]<typename T>() {
    using A = opmath_t<T>;
    const T* x = input.data_ptr<T>();
    const T* gp = go.data_ptr<T>();
    const T* w = weight.defined() ? weight.data_ptr<T>() : nullptr;
    const T* mp = mean.data_ptr<T>();
    const T* rp = rstd.data_ptr<T>();
    T* dx = grad_input.data_ptr<T>();
    std::vector<A> ds(size_t(N * C)), db(size_t(N * C));
    parallel_for(0, N * group, std::max<int64_t>(1, 4096 / std::max<int64_t>(d, 1)),
                 [&](int64_t lo, int64_t hi) {
      for (int64_t r = lo; r < hi; ++r) {
        const int64_t n = r / group, g = r % group;
        const A mu = A(mp[r]), rs = A(rp[r]);
        A sum_gw = 0, sum_gwx = 0;
        for (int64_t k = 0; k < cpg; ++k) {
          const int64_t c = g * cpg + k, base = (n * C + c) * HxW;
          const A s1 = lane_sum<A>(HxW, [&](int64_t i) { return A(gp[base + i]) * A(x[base + i]); });
          const A s0 = lane_sum<A>(HxW, [&](int64_t i) { return A(gp[base + i]); });
          ds[n * C + c] = s1;
          db[n * C + c] = s0;
          const A wc = w ? A(w[c]) : A(1);
          sum_gw += wc * s0;
          sum_gwx += wc * s1;
        }
        const A c1 = d > 0 ? sum_gw / A(d) : A(0);
        const A c2 = d > 0 ? rs * rs * (sum_gwx - mu * sum_gw) / A(d) : A(0);
        for (int64_t k = 0; k < cpg; ++k) {
          const int64_t c = g * cpg + k, base = (n * C + c) * HxW;
          const A wc = w ? A(w[c]) : A(1);
          for (int64_t i = 0; i < HxW; ++i) {
            const int64_t j = base + i;
            dx[j] = T(rs * (A(gp[j]) * wc - c1 - (A(x[j]) - mu) * c2));
          }
        }
      }
    });
    for (int64_t c = 0; c < C; ++c) {
      A sw = 0, sb = 0;
      for (int64_t n = 0; n < N; ++n) {
        const int64_t r = n * group + c / cpg;
        sw += (ds[n * C + c] - A(mp[r]) * db[n * C + c]) * A(rp[r]);
        sb += db[n * C + c];
      }
      grad_weight.data_ptr<T>()[c] = T(sw);
      grad_bias.data_ptr<T>()[c] = T(sb);
    }
  });
}

}  // namespace kiln::cpu
