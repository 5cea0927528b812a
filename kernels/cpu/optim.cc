// Fused optimizer steps: one pass over each tensor's elements, vectorized, threaded.
//
// Each step is written as PyTorch 1.13's single-tensor optimizer does it, one in-place op per
// line there (`exp_avg.mul_(beta1).add_(grad, alpha=1 - beta1)`), here one expression per
// element with the same operand order; scalars are computed in double as Python does and
// then cast to the compute type, as PyTorch's kernels cast their Scalar arguments.
#include "kernels/cpu/optim.h"

#include <cmath>

#include "kernels/cpu/optim_loops.h"

namespace kiln::cpu {

namespace {

// ---------------------------------------------------------------------------------- SGD

template <typename M>
struct SgdArgs {
  M sign, neg_lr, weight_decay, momentum, one_minus_dampening;
};

// kMom: 0 no momentum, 1 first step (buffer = update), 2 running buffer.
template <typename T, bool kWd, int kMom, bool kNesterov>
void sgd_span(T* __restrict p, const T* __restrict g, T* __restrict buf, int64_t n,
              const SgdArgs<opmath_t<T>>& a) {
  using M = opmath_t<T>;
  for (int64_t j = 0; j < n; ++j) {
    const M pv = M(p[j]);
    M d = a.sign * M(g[j]);
    if constexpr (kWd) d = d + a.weight_decay * pv;
    if constexpr (kMom != 0) {
      M b;
      if constexpr (kMom == 1) {
        b = d;
      } else {
        b = M(buf[j]) * a.momentum + a.one_minus_dampening * d;
      }
      const T bt = T(b);
      buf[j] = bt;
      if constexpr (kNesterov) {
        d = d + a.momentum * M(bt);
      } else {
        d = M(bt);
      }
    }
    p[j] = T(pv + a.neg_lr * d);
  }
}

// ---------------------------------------------------------------------------- Adam(W)

template <typename M>
struct AdamArgs {
  M sign, weight_decay, decay, beta1, one_minus_beta1, beta2, one_minus_beta2, eps;
};

// Per tensor: its own step count gives its own bias corrections.
struct AdamTensorArgs {
  double neg_step_size, bias_correction2_sqrt;
};

// kL2: Adam's weight decay (added to the gradient); kDecay: AdamW's (params scaled first).
template <typename T, bool kL2, bool kDecay, bool kAmsgrad>
void adam_span(T* __restrict p, const T* __restrict g, T* __restrict m, T* __restrict v,
               T* __restrict vmax, int64_t n, const AdamArgs<opmath_t<T>>& a,
               const AdamTensorArgs& t) {
  using M = opmath_t<T>;
  const M neg_step_size = M(t.neg_step_size), bc2_sqrt = M(t.bias_correction2_sqrt);
  for (int64_t j = 0; j < n; ++j) {
    M pv = M(p[j]);
    M gi = a.sign * M(g[j]);
    if constexpr (kDecay) pv = pv * a.decay;
    if constexpr (kL2) gi = gi + a.weight_decay * pv;
    const T mt = T(M(m[j]) * a.beta1 + a.one_minus_beta1 * gi);
    const T vt = T(M(v[j]) * a.beta2 + a.one_minus_beta2 * gi * gi);
    m[j] = mt;
    v[j] = vt;
    M second = M(vt);
    if constexpr (kAmsgrad) {
      const M old = M(vmax[j]);
      // torch.maximum: NaN wins.
      const T mx = T((old > second || old != old) ? old : second);
      vmax[j] = mx;
      second = M(mx);
    }
    const M denom = std::sqrt(second) / bc2_sqrt + a.eps;
    p[j] = T(pv + neg_step_size * M(mt) / denom);
  }
}

// Adds 1 to a one-element step counter in its own dtype and returns the new count.
double increment_step(const Tensor& step) {
  if (step.dtype() == DType::kFloat32) {
    float* s = static_cast<float*>(step.raw_data());
    *s = *s + 1.0f;
    return double(*s);
  }
  double* s = static_cast<double*>(step.raw_data());
  *s = *s + 1.0;
  return *s;
}

void adam_impl(bool decoupled, const char* name, const std::vector<Tensor>& params,
               const std::vector<Tensor>& grads, const std::vector<Tensor>& exp_avgs,
               const std::vector<Tensor>& exp_avg_sqs,
               const std::vector<Tensor>& max_exp_avg_sqs,
               const std::vector<Tensor>& state_steps, double lr, double beta1, double beta2,
               double weight_decay, double eps, bool amsgrad, bool maximize) {
  std::vector<AdamTensorArgs> per(params.size());
  for (size_t i = 0; i < params.size(); ++i) {
    const double step = increment_step(state_steps[i]);
    const double bias_correction1 = 1 - std::pow(beta1, step);
    const double bias_correction2 = 1 - std::pow(beta2, step);
    per[i] = {-(lr / bias_correction1), std::sqrt(bias_correction2)};
  }
  const bool l2 = !decoupled && weight_decay != 0, decay = decoupled && weight_decay != 0;
  with_flags(
      [&]<bool kL2, bool kDecay, bool kAmsgrad>() {
        for_each_piece(params, [&](size_t i, int64_t lo, int64_t hi) {
          KILN_DISPATCH_FLOATING(params[i].dtype(), name, [&]<typename T>() {
            using M = opmath_t<T>;
            const AdamArgs<M> a{M(maximize ? -1 : 1), M(weight_decay), M(1 - lr * weight_decay),
                                M(beta1),           M(1 - beta1),       M(beta2),
                                M(1 - beta2),       M(eps)};
            adam_span<T, kL2, kDecay, kAmsgrad>(
                data<T>(params[i], lo), cdata<T>(grads[i], lo), data<T>(exp_avgs[i], lo),
                data<T>(exp_avg_sqs[i], lo),
                kAmsgrad ? data<T>(max_exp_avg_sqs[i], lo) : nullptr, hi - lo, a, per[i]);
          });
        });
      },
      l2, decay, amsgrad);
}

// ------------------------------------------------------------------------------ RMSprop

template <typename M>
struct RmspropArgs {
  M sign, neg_lr, weight_decay, alpha, one_minus_alpha, eps, momentum;
};

template <typename T, bool kWd, bool kCentered, bool kMomentum>
void rmsprop_span(T* __restrict p, const T* __restrict g, T* __restrict sq, T* __restrict ga,
                  T* __restrict buf, int64_t n, const RmspropArgs<opmath_t<T>>& a) {
  using M = opmath_t<T>;
  for (int64_t j = 0; j < n; ++j) {
    const M pv = M(p[j]);
    M gi = a.sign * M(g[j]);
    if constexpr (kWd) gi = gi + a.weight_decay * pv;
    const T sqt = T(M(sq[j]) * a.alpha + a.one_minus_alpha * gi * gi);
    sq[j] = sqt;
    M avg;
    if constexpr (kCentered) {
      const T gat = T(M(ga[j]) * a.alpha + a.one_minus_alpha * gi);
      ga[j] = gat;
      avg = std::sqrt(M(sqt) + M(-1) * M(gat) * M(gat));
    } else {
      avg = std::sqrt(M(sqt));
    }
    avg = avg + a.eps;
    if constexpr (kMomentum) {
      const T bt = T(M(buf[j]) * a.momentum + gi / avg);
      buf[j] = bt;
      p[j] = T(pv + a.neg_lr * M(bt));
    } else {
      p[j] = T(pv + a.neg_lr * gi / avg);
    }
  }
}

// ------------------------------------------------------------------------------ Adagrad

template <typename M>
struct AdagradArgs {
  M sign, weight_decay, eps;
};

template <typename T, bool kWd>
void adagrad_span(T* __restrict p, const T* __restrict g, T* __restrict sum, int64_t n,
                  const AdagradArgs<opmath_t<T>>& a, double neg_clr) {
  using M = opmath_t<T>;
  const M neg_lr = M(neg_clr);
  for (int64_t j = 0; j < n; ++j) {
    const M pv = M(p[j]);
    M gi = a.sign * M(g[j]);
    if constexpr (kWd) gi = gi + a.weight_decay * pv;
    const T st = T(M(sum[j]) + M(1) * gi * gi);
    sum[j] = st;
    const M std_dev = std::sqrt(M(st)) + a.eps;
    p[j] = T(pv + neg_lr * gi / std_dev);
  }
}

}  // namespace

void fused_sgd(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
               const std::vector<Tensor>& momentum_buffers, double lr, double momentum,
               double dampening, double weight_decay, bool nesterov, bool maximize,
               bool is_first_step) {
  const int mode = momentum == 0 ? 0 : (is_first_step ? 1 : 2);
  auto run = [&]<int kMom>() {
    with_flags(
        [&]<bool kWd, bool kNesterov>() {
          for_each_piece(params, [&](size_t i, int64_t lo, int64_t hi) {
            KILN_DISPATCH_FLOATING(params[i].dtype(), "_fused_sgd_", [&]<typename T>() {
              using M = opmath_t<T>;
              const SgdArgs<M> a{M(maximize ? -1 : 1), M(-lr), M(weight_decay), M(momentum),
                                 M(1 - dampening)};
              sgd_span<T, kWd, kMom, kNesterov && kMom != 0>(
                  data<T>(params[i], lo), cdata<T>(grads[i], lo),
                  kMom != 0 ? data<T>(momentum_buffers[i], lo) : nullptr, hi - lo, a);
            });
          });
        },
        weight_decay != 0, nesterov);
  };
  if (mode == 0) {
    run.template operator()<0>();
  } else if (mode == 1) {
    run.template operator()<1>();
  } else {
    run.template operator()<2>();
  }
}

void fused_adam(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                const std::vector<Tensor>& exp_avgs, const std::vector<Tensor>& exp_avg_sqs,
                const std::vector<Tensor>& max_exp_avg_sqs,
                const std::vector<Tensor>& state_steps, double lr, double beta1, double beta2,
                double weight_decay, double eps, bool amsgrad, bool maximize) {
  adam_impl(false, "_fused_adam_", params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs,
            state_steps, lr, beta1, beta2, weight_decay, eps, amsgrad, maximize);
}

void fused_adamw(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                 const std::vector<Tensor>& exp_avgs, const std::vector<Tensor>& exp_avg_sqs,
                 const std::vector<Tensor>& max_exp_avg_sqs,
                 const std::vector<Tensor>& state_steps, double lr, double beta1, double beta2,
                 double weight_decay, double eps, bool amsgrad, bool maximize) {
  adam_impl(true, "_fused_adamw_", params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs,
            state_steps, lr, beta1, beta2, weight_decay, eps, amsgrad, maximize);
}

void fused_rmsprop(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                   const std::vector<Tensor>& square_avgs, const std::vector<Tensor>& grad_avgs,
                   const std::vector<Tensor>& momentum_buffers, double lr, double alpha,
                   double eps, double weight_decay, double momentum, bool centered,
                   bool maximize) {
  with_flags(
      [&]<bool kWd, bool kCentered, bool kMomentum>() {
        for_each_piece(params, [&](size_t i, int64_t lo, int64_t hi) {
          KILN_DISPATCH_FLOATING(params[i].dtype(), "_fused_rmsprop_", [&]<typename T>() {
            using M = opmath_t<T>;
            const RmspropArgs<M> a{M(maximize ? -1 : 1), M(-lr), M(weight_decay), M(alpha),
                                   M(1 - alpha),         M(eps), M(momentum)};
            rmsprop_span<T, kWd, kCentered, kMomentum>(
                data<T>(params[i], lo), cdata<T>(grads[i], lo), data<T>(square_avgs[i], lo),
                kCentered ? data<T>(grad_avgs[i], lo) : nullptr,
                kMomentum ? data<T>(momentum_buffers[i], lo) : nullptr, hi - lo, a);
          });
        });
      },
      weight_decay != 0, centered, momentum > 0);
}

void fused_adagrad(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                   const std::vector<Tensor>& state_sums, const std::vector<Tensor>& state_steps,
                   double lr, double lr_decay, double weight_decay, double eps, bool maximize) {
  std::vector<double> neg_clr(params.size());
  for (size_t i = 0; i < params.size(); ++i) {
    const double step = increment_step(state_steps[i]);
    neg_clr[i] = -(lr / (1 + (step - 1) * lr_decay));
  }
  with_flags(
      [&]<bool kWd>() {
        for_each_piece(params, [&](size_t i, int64_t lo, int64_t hi) {
          KILN_DISPATCH_FLOATING(params[i].dtype(), "_fused_adagrad_", [&]<typename T>() {
            using M = opmath_t<T>;
            const AdagradArgs<M> a{M(maximize ? -1 : 1), M(weight_decay), M(eps)};
            adagrad_span<T, kWd>(data<T>(params[i], lo), cdata<T>(grads[i], lo),
                                 data<T>(state_sums[i], lo), hi - lo, a, neg_clr[i]);
          });
        });
      },
      weight_decay != 0);
}

}  // namespace kiln::cpu
