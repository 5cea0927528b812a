// Batch norm over dim 1 of (N, C, S...): statistics per channel, channels in parallel (each
// channel's sums run in a fixed order, so results do not depend on the thread count).
// Running statistics are read and written in their own dtype and layout.
#include <cmath>
#include <utility>
#include <vector>

#include "engine/core/parallel.h"
#include "kernels/cpu/nn_norm.h"

namespace kiln::cpu {

using nn_detail::dense;
using nn_detail::dense_as;
using nn_detail::lane_sum;

namespace {

struct Geometry {
  int64_t n, c, s;  // batch, channels, spatial elements per (n, c)
  explicit Geometry(const Tensor& t)
      : n(t.sizes()[0]), c(t.sizes()[1]), s(t.dim() > 2 ? t.numel() / std::max<int64_t>(n * c, 1) : 1) {
    if (n * c == 0) s = 0;
    for (int64_t d = 2; d < t.dim(); ++d) if (t.sizes()[d] == 0) s = 0;
  }
};

// A per-channel tensor (C elements, any float dtype) as doubles; empty when None.
std::vector<double> per_channel(const Tensor& t) {
  if (!t.defined()) return {};
  const Tensor d = dense_as(t, DType::kFloat64);
  return std::vector<double>(d.data_ptr<double>(), d.data_ptr<double>() + d.numel());
}

// Writes doubles into a per-channel tensor in place (its dtype, its strides).
void write_channel(const Tensor& t, const std::vector<double>& v) {
  KILN_DISPATCH_FLOATING(t.dtype(), "native_batch_norm", [&]<typename R>() {
    R* p = t.data_ptr<R>();
    const int64_t st = t.dim() == 0 ? 0 : t.strides()[0];
    for (size_t i = 0; i < v.size(); ++i) p[int64_t(i) * st] = R(v[i]);
  });
}

// sum over (n, s) of f(index of the element) for channel ch.
template <typename A, typename F>
A channel_sum(const Geometry& g, int64_t ch, const F& f) {
  A total = 0;
  for (int64_t b = 0; b < g.n; ++b) {
    const int64_t base = (b * g.c + ch) * g.s;
    total += lane_sum<A>(g.s, [&](int64_t i) { return f(base + i); });
  }
  return total;
}

// {sum(g), sum(g (x - mu))} for channel ch in one pass.
template <typename A, typename T>
std::pair<A, A> channel_grad_sums(const Geometry& g, int64_t ch, const T* gp, const T* x, A mu) {
  constexpr int L = nn_detail::kLanes;
  A s0 = 0, s1 = 0;
  for (int64_t b = 0; b < g.n; ++b) {
    const int64_t base = (b * g.c + ch) * g.s;
    A a0[L] = {}, a1[L] = {};
    int64_t i = 0;
    for (; i + L <= g.s; i += L) {
      for (int k = 0; k < L; ++k) {
        const A gv = A(gp[base + i + k]);
        a0[k] += gv;
        a1[k] += gv * (A(x[base + i + k]) - mu);
      }
    }
    for (int k = 0; i < g.s; ++i, ++k) {
      a0[k] += A(gp[base + i]);
      a1[k] += A(gp[base + i]) * (A(x[base + i]) - mu);
    }
    for (int k = 0; k < L; ++k) {
      s0 += a0[k];
      s1 += a1[k];
    }
  }
  return {s0, s1};
}

}  // namespace

void native_batch_norm(const Tensor& out, const Tensor& save_mean, const Tensor& save_invstd,
                       const Tensor& input_, const Tensor& weight_, const Tensor& bias_,
                       const Tensor& running_mean, const Tensor& running_var, bool training,
                       double momentum, double eps) {
  const Geometry g(input_);
  const Tensor input = dense(input_);
  const std::vector<double> w = per_channel(weight_), b = per_channel(bias_);
  std::vector<double> mean(size_t(g.c)), invstd(size_t(g.c)), var(size_t(g.c));
  if (!training) {
    const std::vector<double> rm = per_channel(running_mean), rv = per_channel(running_var);
    for (int64_t ch = 0; ch < g.c; ++ch) {
      mean[ch] = rm[ch];
      invstd[ch] = 1.0 / std::sqrt(rv[ch] + eps);
    }
  }
  const int64_t count = g.n * g.s;
  KILN_DISPATCH_FLOATING(out.dtype(), "native_batch_norm", [&]<typename T>() {
    using A = opmath_t<T>;
    const T* x = input.data_ptr<T>();
    T* y = out.data_ptr<T>();
    parallel_for(0, g.c, 1, [&](int64_t lo, int64_t hi) {
      for (int64_t ch = lo; ch < hi; ++ch) {
        A mu = A(mean[ch]), is = A(invstd[ch]);
        if (training) {
          mu = channel_sum<A>(g, ch, [&](int64_t i) { return A(x[i]); }) / A(count);
          const A v = channel_sum<A>(g, ch, [&](int64_t i) {
                        const A d = A(x[i]) - mu;
                        return d * d;
                      }) / A(count);
          is = A(1) / std::sqrt(v + A(eps));
          mean[ch] = double(mu);
          var[ch] = double(v);
          invstd[ch] = double(is);
        }
        // (x - mean) first: x * scale - mean * scale cancels badly when the variance is tiny.
        const A scale = is * (w.empty() ? A(1) : A(w[ch]));
        const A shift = b.empty() ? A(0) : A(b[ch]);
        for (int64_t n = 0; n < g.n; ++n) {
          const int64_t base = (n * g.c + ch) * g.s;
          for (int64_t i = 0; i < g.s; ++i) y[base + i] = T((A(x[base + i]) - mu) * scale + shift);
        }
      }
    });
    if (!training) return;
    for (int64_t ch = 0; ch < g.c; ++ch) {
      save_mean.data_ptr<T>()[ch] = T(mean[ch]);
      save_invstd.data_ptr<T>()[ch] = T(invstd[ch]);
    }
  });
  if (!training) return;
  // Running statistics take the unbiased variance (as PyTorch's, NaN-free for count 1 is
  // not needed: the rules reject one value per channel).
  if (running_mean.defined()) {
    std::vector<double> rm = per_channel(running_mean);
    for (int64_t ch = 0; ch < g.c; ++ch) rm[ch] = (1 - momentum) * rm[ch] + momentum * mean[ch];
    write_channel(running_mean, rm);
  }
  if (running_var.defined()) {
    std::vector<double> rv = per_channel(running_var);
    const double unbias = count > 1 ? double(count) / double(count - 1) : 1.0;
    for (int64_t ch = 0; ch < g.c; ++ch) {
      rv[ch] = (1 - momentum) * rv[ch] + momentum * var[ch] * unbias;
    }
    write_channel(running_var, rv);
  }
}

// train: dx = w invstd (g - sum(g) / M - (x - mean) invstd^2 sum(g (x - mean)) / M);
// eval: dx = g w invstd with the running statistics. dweight = sum(g xhat), dbias = sum(g).
void native_batch_norm_backward(const Tensor& grad_input, const Tensor& grad_weight,
                                const Tensor& grad_bias, const Tensor& grad_out_,
                                const Tensor& input_, const Tensor& weight_,
                                const Tensor& running_mean, const Tensor& running_var,
                                const Tensor& save_mean, const Tensor& save_invstd, bool train,
                                double eps) {
  const Geometry g(input_);
  const Tensor input = dense(input_), go = dense(grad_out_);
  const std::vector<double> w = per_channel(weight_);
  std::vector<double> mean, invstd;
  if (train) {
    KILN_CHECK(save_mean.defined() && save_invstd.defined() && save_mean.numel() == g.c &&
                   save_invstd.numel() == g.c,
               "native_batch_norm_backward: save_mean and save_invstd of ", g.c,
               " elements are required in training mode");
    mean = per_channel(save_mean);
    invstd = per_channel(save_invstd);
  } else {
    KILN_CHECK(running_mean.defined() && running_var.defined(),
               "native_batch_norm_backward: running_mean and running_var are required in "
               "evaluation mode");
    mean = per_channel(running_mean);
    invstd = per_channel(running_var);
    for (double& v : invstd) v = 1.0 / std::sqrt(v + eps);
  }
  const int64_t count = g.n * g.s;
  KILN_DISPATCH_FLOATING(grad_input.dtype(), "native_batch_norm_backward", [&]<typename T>() {
    using A = opmath_t<T>;
    const T* x = input.data_ptr<T>();
    const T* gp = go.data_ptr<T>();
    T* dx = grad_input.data_ptr<T>();
    parallel_for(0, g.c, 1, [&](int64_t lo, int64_t hi) {
      for (int64_t ch = lo; ch < hi; ++ch) {
        const A mu = A(mean[ch]), is = A(invstd[ch]);
        const A wc = w.empty() ? A(1) : A(w[ch]);
        const auto [sum_g, sum_gx] = channel_grad_sums<A>(g, ch, gp, x, mu);
        grad_weight.data_ptr<T>()[ch] = T(sum_gx * is);
        grad_bias.data_ptr<T>()[ch] = T(sum_g);
        const A k = wc * is;
        const A c1 = train && count > 0 ? sum_g / A(count) : A(0);
        const A c2 = train && count > 0 ? is * is * sum_gx / A(count) : A(0);
        for (int64_t n = 0; n < g.n; ++n) {
          const int64_t base = (n * g.c + ch) * g.s;
          for (int64_t i = 0; i < g.s; ++i) {
            const int64_t j = base + i;
            dx[j] = T(k * (A(gp[j]) - c1 - (A(x[j]) - mu) * c2));
          }
        }
      }
    });
  });
}

}  // namespace kiln::cpu
