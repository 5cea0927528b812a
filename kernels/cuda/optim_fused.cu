// Fused multi-tensor optimizer steps: a table of (tensor, chunk) pieces goes to the device and
// one launch per dtype updates every piece of the group. The per-element math is the CPU
// kernel's (kernels/cpu/optim.cc, PyTorch 1.13's single-tensor optimizers, operation by
// operation), in float for the half types. Step counters may live on either device; their
// values are needed on the host for the bias corrections, so device counters cost one sync.
#include <cmath>
#include <vector>

#include "kernels/cuda/nn_common.cuh"
#include "kernels/cuda/nn_kernels.h"

namespace kiln::cuda {

using namespace cuda_nn;  // NOLINT

namespace {

inline constexpr int64_t kChunk = 1 << 16;

// One tensor of the group: up to five buffers and two per-tensor scalars.
struct TensorSlot {
  void* p[5];
  int64_t n;
  double s0, s1;
};

struct Piece {
  int32_t slot;
  int64_t start;
};

template <typename M>
struct Args {
  M a[8];
};

// Runs body(slot, j) for each element j of each piece; one block per piece.
template <typename Body>
__device__ __forceinline__ void for_piece(const TensorSlot* slots, const Piece* pieces, Body body) {
  const Piece pc = pieces[blockIdx.x];
  const TensorSlot& t = slots[pc.slot];
  const int64_t end = pc.start + kChunk < t.n ? pc.start + kChunk : t.n;
  for (int64_t j = pc.start + threadIdx.x; j < end; j += blockDim.x) body(t, j);
}

// SGD. a = {sign, -lr, weight_decay, momentum, 1 - dampening}; kMom 0 none, 1 first, 2 running.
template <typename T, bool kWd, int kMom, bool kNesterov>
__global__ void sgd_kernel(const TensorSlot* slots, const Piece* pieces, Args<acc_t<T>> a) {
  using M = acc_t<T>;
  for_piece(slots, pieces, [&](const TensorSlot& t, int64_t j) {
    T* p = static_cast<T*>(t.p[0]);
    const T* g = static_cast<const T*>(t.p[1]);
    T* buf = static_cast<T*>(t.p[2]);
    const M pv = to_acc(p[j]);
    M d = a.a[0] * to_acc(g[j]);
    if (kWd) d = d + a.a[2] * pv;
    if (kMom != 0) {
      const M b = kMom == 1 ? d : to_acc(buf[j]) * a.a[3] + a.a[4] * d;
      const T bt = from_acc<T>(b);
      buf[j] = bt;
      d = kNesterov ? d + a.a[3] * to_acc(bt) : to_acc(bt);
    }
    p[j] = from_acc<T>(pv + a.a[1] * d);
  });
}

// Adam(W). a = {sign, weight_decay, 1 - lr wd, beta1, 1 - beta1, beta2, 1 - beta2, eps};
// per tensor s0 = -step_size, s1 = sqrt(bias_correction2).
template <typename T, bool kL2, bool kDecay, bool kAmsgrad>
__global__ void adam_kernel(const TensorSlot* slots, const Piece* pieces, Args<acc_t<T>> a) {
  using M = acc_t<T>;
  for_piece(slots, pieces, [&](const TensorSlot& t, int64_t j) {
    T* p = static_cast<T*>(t.p[0]);
    const T* g = static_cast<const T*>(t.p[1]);
    T* m = static_cast<T*>(t.p[2]);
    T* v = static_cast<T*>(t.p[3]);
    T* vmax = static_cast<T*>(t.p[4]);
    M pv = to_acc(p[j]);
    M gi = a.a[0] * to_acc(g[j]);
    if (kDecay) pv = pv * a.a[2];
    if (kL2) gi = gi + a.a[1] * pv;
    const T mt = from_acc<T>(to_acc(m[j]) * a.a[3] + a.a[4] * gi);
    const T vt = from_acc<T>(to_acc(v[j]) * a.a[5] + a.a[6] * gi * gi);
    m[j] = mt;
    v[j] = vt;
    M second = to_acc(vt);
    if (kAmsgrad) {
      const M old = to_acc(vmax[j]);
      const T mx = from_acc<T>((old > second || old != old) ? old : second);
      vmax[j] = mx;
      second = to_acc(mx);
    }
    const M denom = sqrt(second) / M(t.s1) + a.a[7];
    p[j] = from_acc<T>(pv + M(t.s0) * to_acc(mt) / denom);
  });
}

// RMSprop. a = {sign, -lr, weight_decay, alpha, 1 - alpha, eps, momentum}.
template <typename T, bool kWd, bool kCentered, bool kMomentum>
__global__ void rmsprop_kernel(const TensorSlot* slots, const Piece* pieces, Args<acc_t<T>> a) {
  using M = acc_t<T>;
  for_piece(slots, pieces, [&](const TensorSlot& t, int64_t j) {
    T* p = static_cast<T*>(t.p[0]);
    const T* g = static_cast<const T*>(t.p[1]);
    T* sq = static_cast<T*>(t.p[2]);
    T* ga = static_cast<T*>(t.p[3]);
    T* buf = static_cast<T*>(t.p[4]);
    const M pv = to_acc(p[j]);
    M gi = a.a[0] * to_acc(g[j]);
    if (kWd) gi = gi + a.a[2] * pv;
    const T sqt = from_acc<T>(to_acc(sq[j]) * a.a[3] + a.a[4] * gi * gi);
    sq[j] = sqt;
    M avg;
    if (kCentered) {
      const T gat = from_acc<T>(to_acc(ga[j]) * a.a[3] + a.a[4] * gi);
      ga[j] = gat;
      avg = sqrt(to_acc(sqt) + M(-1) * to_acc(gat) * to_acc(gat));
    } else {
      avg = sqrt(to_acc(sqt));
    }
    avg = avg + a.a[5];
    if (kMomentum) {
      const T bt = from_acc<T>(to_acc(buf[j]) * a.a[6] + gi / avg);
      buf[j] = bt;
      p[j] = from_acc<T>(pv + a.a[1] * to_acc(bt));
    } else {
      p[j] = from_acc<T>(pv + a.a[1] * gi / avg);
    }
  });
}

// Adagrad. a = {sign, weight_decay, eps}; per tensor s0 = -clr.
template <typename T, bool kWd>
__global__ void adagrad_kernel(const TensorSlot* slots, const Piece* pieces, Args<acc_t<T>> a) {
  using M = acc_t<T>;
  for_piece(slots, pieces, [&](const TensorSlot& t, int64_t j) {
    T* p = static_cast<T*>(t.p[0]);
    const T* g = static_cast<const T*>(t.p[1]);
    T* sum = static_cast<T*>(t.p[2]);
    const M pv = to_acc(p[j]);
    M gi = a.a[0] * to_acc(g[j]);
    if (kWd) gi = gi + a.a[1] * pv;
    const T st = from_acc<T>(to_acc(sum[j]) + M(1) * gi * gi);
    sum[j] = st;
    const M std_dev = sqrt(to_acc(st)) + a.a[2];
    p[j] = from_acc<T>(pv + M(t.s0) * gi / std_dev);
  });
}

// The group's tensors of one dtype, uploaded as slots and pieces.
struct Upload {
  Tensor buf;
  const TensorSlot* slots = nullptr;
  const Piece* pieces = nullptr;
  int64_t num_pieces = 0;
};

Upload upload(const char* op, const Tensor& like, const std::vector<TensorSlot>& slots,
              cudaStream_t s) {
  std::vector<Piece> pieces;
  for (size_t i = 0; i < slots.size(); ++i) {
    for (int64_t lo = 0; lo < slots[i].n; lo += kChunk) pieces.push_back({int32_t(i), lo});
  }
  Upload u;
  u.num_pieces = int64_t(pieces.size());
  if (pieces.empty()) return u;
  KILN_CHECK(u.num_pieces <= int64_t(std::numeric_limits<int>::max()), op,
             ": too many elements for one step");
  const size_t slot_bytes = slots.size() * sizeof(TensorSlot);
  const size_t piece_off = (slot_bytes + 15) / 16 * 16;
  const size_t total = piece_off + pieces.size() * sizeof(Piece);
  std::vector<char> host(total);
  std::memcpy(host.data(), slots.data(), slot_bytes);
  std::memcpy(host.data() + piece_off, pieces.data(), pieces.size() * sizeof(Piece));
  u.buf = empty_tensor({int64_t(total)}, DType::kUInt8, like.device());
  // Pageable source: the call returns once the bytes are staged, so `host` may go.
  check_cuda(cudaMemcpyAsync(u.buf.raw_data(), host.data(), total, cudaMemcpyHostToDevice, s), op,
             "cudaMemcpyAsync");
  u.slots = static_cast<const TensorSlot*>(u.buf.raw_data());
  u.pieces = reinterpret_cast<const Piece*>(static_cast<const char*>(u.buf.raw_data()) + piece_off);
  return u;
}

// Runs launch(TypeTag<T>{}, upload, stream) once per dtype present among params, with the
// slots built by make_slot(i) for the params of that dtype.
template <typename MakeSlot, typename Launch>
void per_dtype(const char* op, const std::vector<Tensor>& params, MakeSlot make_slot,
               Launch launch) {
  if (params.empty()) return;
  DeviceGuard guard(params[0], op);
  cudaStream_t s = stream_for(params[0]);
  for (DType dt : {DType::kFloat32, DType::kFloat16, DType::kBFloat16, DType::kFloat64}) {
    std::vector<TensorSlot> slots;
    for (size_t i = 0; i < params.size(); ++i) {
      if (params[i].dtype() == dt && params[i].numel() > 0) slots.push_back(make_slot(i));
    }
    if (slots.empty()) continue;
    const Upload u = upload(op, params[0], slots, s);
    dispatch_floating(dt, op, [&](auto T_tag) {
    using T = typename decltype(T_tag)::type; launch(TypeTag<T>{}, u, s); });
    check_launch(op);
  }
}

void* raw(const std::vector<Tensor>& list, size_t i, bool used) {
  return used ? list[i].raw_data() : nullptr;
}

// Adds 1 to each one-element counter (float32/float64, any device); returns the new values.
std::vector<double> increment_steps(const char* op, const std::vector<Tensor>& steps) {
  std::vector<double> out(steps.size());
  for (size_t i = 0; i < steps.size(); ++i) {
    const Tensor& st = steps[i];
    const bool f32 = st.dtype() == DType::kFloat32;
    if (st.device().is_cpu()) {
      if (f32) {
        float* v = static_cast<float*>(st.raw_data());
        *v = *v + 1.0f;
        out[i] = *v;
      } else {
        double* v = static_cast<double*>(st.raw_data());
        *v = *v + 1.0;
        out[i] = *v;
      }
      continue;
    }
    DeviceGuard guard(st, op);
    cudaStream_t s = stream_for(st);
    double d = 0;
    float f = 0;
    void* host = f32 ? static_cast<void*>(&f) : static_cast<void*>(&d);
    const size_t bytes = f32 ? 4 : 8;
    check_cuda(cudaMemcpyAsync(host, st.raw_data(), bytes, cudaMemcpyDeviceToHost, s), op,
               "cudaMemcpyAsync");
    check_cuda(cudaStreamSynchronize(s), op, "cudaStreamSynchronize");
    if (f32) {
      f = f + 1.0f;
      out[i] = f;
    } else {
      d = d + 1.0;
      out[i] = d;
    }
    check_cuda(cudaMemcpyAsync(st.raw_data(), host, bytes, cudaMemcpyHostToDevice, s), op,
               "cudaMemcpyAsync");
    // The host value is a local: wait for the copy before it goes out of scope.
    check_cuda(cudaStreamSynchronize(s), op, "cudaStreamSynchronize");
  }
  return out;
}

template <typename M>
Args<M> args(std::initializer_list<double> v) {
  Args<M> a{};
  int k = 0;
  for (double x : v) a.a[k++] = M(x);
  return a;
}

unsigned blocks(const Upload& u) { return unsigned(u.num_pieces); }

}  // namespace

void fused_sgd(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
               const std::vector<Tensor>& momentum_buffers, double lr, double momentum,
               double dampening, double weight_decay, bool nesterov, bool maximize,
               bool is_first_step) {
  static constexpr const char* kOp = "_fused_sgd_";
  const int mode = momentum == 0 ? 0 : (is_first_step ? 1 : 2);
  const bool wd = weight_decay != 0;
  per_dtype(
      kOp, params,
      [&](size_t i) {
        return TensorSlot{{params[i].raw_data(), grads[i].raw_data(),
                           raw(momentum_buffers, i, mode != 0), nullptr, nullptr},
                          params[i].numel(), 0, 0};
      },
      [&](auto T_tag, const Upload& u, cudaStream_t s) {
        using T = typename decltype(T_tag)::type;
        using M = acc_t<T>;
        const Args<M> a = args<M>({maximize ? -1.0 : 1.0, -lr, weight_decay, momentum, 1 - dampening});
        auto go = [&](auto kWd_, auto kMom_, auto kNest_) {
          constexpr bool kWd = decltype(kWd_)::value;
          constexpr int kMom = decltype(kMom_)::value;
          constexpr bool kNest = decltype(kNest_)::value;
          sgd_kernel<T, kWd, kMom, kNest><<<blocks(u), kThreads, 0, s>>>(u.slots, u.pieces, a);
        };
        if (mode == 0) {
          wd ? go(kT, I0{}, kF) : go(kF, I0{}, kF);
        } else if (mode == 1) {
          if (nesterov) {
            wd ? go(kT, I1{}, kT) : go(kF, I1{}, kT);
          } else {
            wd ? go(kT, I1{}, kF) : go(kF, I1{}, kF);
          }
        } else {
          if (nesterov) {
            wd ? go(kT, I2{}, kT) : go(kF, I2{}, kT);
          } else {
            wd ? go(kT, I2{}, kF) : go(kF, I2{}, kF);
          }
        }
      });
}

namespace {

void adam_impl(bool decoupled, const char* op, const std::vector<Tensor>& params,
               const std::vector<Tensor>& grads, const std::vector<Tensor>& exp_avgs,
               const std::vector<Tensor>& exp_avg_sqs,
               const std::vector<Tensor>& max_exp_avg_sqs,
               const std::vector<Tensor>& state_steps, double lr, double beta1, double beta2,
               double weight_decay, double eps, bool amsgrad, bool maximize) {
  const std::vector<double> steps = increment_steps(op, state_steps);
  const bool l2 = !decoupled && weight_decay != 0, decay = decoupled && weight_decay != 0;
  per_dtype(
      op, params,
      [&](size_t i) {
        const double bc1 = 1 - std::pow(beta1, steps[i]);
        const double bc2 = 1 - std::pow(beta2, steps[i]);
        return TensorSlot{{params[i].raw_data(), grads[i].raw_data(), exp_avgs[i].raw_data(),
                           exp_avg_sqs[i].raw_data(), raw(max_exp_avg_sqs, i, amsgrad)},
                          params[i].numel(), -(lr / bc1), std::sqrt(bc2)};
      },
      [&](auto T_tag, const Upload& u, cudaStream_t s) {
        using T = typename decltype(T_tag)::type;
        using M = acc_t<T>;
        const Args<M> a = args<M>({maximize ? -1.0 : 1.0, weight_decay, 1 - lr * weight_decay,
                                   beta1, 1 - beta1, beta2, 1 - beta2, eps});
        auto go = [&](auto kL2_, auto kDecay_, auto kAms_) {
          constexpr bool kL2 = decltype(kL2_)::value;
          constexpr bool kDecay = decltype(kDecay_)::value;
          constexpr bool kAms = decltype(kAms_)::value;
          adam_kernel<T, kL2, kDecay, kAms><<<blocks(u), kThreads, 0, s>>>(u.slots, u.pieces, a);
        };
        if (amsgrad) {
          l2 ? go(kT, kF, kT)
             : decay ? go(kF, kT, kT)
                     : go(kF, kF, kT);
        } else {
          l2 ? go(kT, kF, kF)
             : decay ? go(kF, kT, kF)
                     : go(kF, kF, kF);
        }
      });
}

}  // namespace

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
  static constexpr const char* kOp = "_fused_rmsprop_";
  const bool wd = weight_decay != 0, mom = momentum > 0;
  per_dtype(
      kOp, params,
      [&](size_t i) {
        return TensorSlot{{params[i].raw_data(), grads[i].raw_data(), square_avgs[i].raw_data(),
                           raw(grad_avgs, i, centered), raw(momentum_buffers, i, mom)},
                          params[i].numel(), 0, 0};
      },
      [&](auto T_tag, const Upload& u, cudaStream_t s) {
        using T = typename decltype(T_tag)::type;
        using M = acc_t<T>;
        const Args<M> a = args<M>({maximize ? -1.0 : 1.0, -lr, weight_decay, alpha, 1 - alpha,
                                   eps, momentum});
        auto go = [&](auto kWd_, auto kC_, auto kM_) {
          constexpr bool kWd = decltype(kWd_)::value;
          constexpr bool kC = decltype(kC_)::value;
          constexpr bool kM = decltype(kM_)::value;
          rmsprop_kernel<T, kWd, kC, kM><<<blocks(u), kThreads, 0, s>>>(u.slots, u.pieces, a);
        };
        const int flags = (wd ? 4 : 0) | (centered ? 2 : 0) | (mom ? 1 : 0);
        switch (flags) {
          case 0: go(kF, kF, kF); break;
          case 1: go(kF, kF, kT); break;
          case 2: go(kF, kT, kF); break;
          case 3: go(kF, kT, kT); break;
          case 4: go(kT, kF, kF); break;
          case 5: go(kT, kF, kT); break;
          case 6: go(kT, kT, kF); break;
          default: go(kT, kT, kT); break;
        }
      });
}

void fused_adagrad(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                   const std::vector<Tensor>& state_sums, const std::vector<Tensor>& state_steps,
                   double lr, double lr_decay, double weight_decay, double eps, bool maximize) {
  static constexpr const char* kOp = "_fused_adagrad_";
  const std::vector<double> steps = increment_steps(kOp, state_steps);
  const bool wd = weight_decay != 0;
  per_dtype(
      kOp, params,
      [&](size_t i) {
        return TensorSlot{{params[i].raw_data(), grads[i].raw_data(), state_sums[i].raw_data(),
                           nullptr, nullptr},
                          params[i].numel(), -(lr / (1 + (steps[i] - 1) * lr_decay)), 0};
      },
      [&](auto T_tag, const Upload& u, cudaStream_t s) {
        using T = typename decltype(T_tag)::type;
        using M = acc_t<T>;
        const Args<M> a = args<M>({maximize ? -1.0 : 1.0, weight_decay, eps});
        if (wd) {
          adagrad_kernel<T, true><<<blocks(u), kThreads, 0, s>>>(u.slots, u.pieces, a);
        } else {
          adagrad_kernel<T, false><<<blocks(u), kThreads, 0, s>>>(u.slots, u.pieces, a);
        }
      });
}

// ---- GradScaler: unscale with the inf check, scale update ----

namespace {

// Each value: found_inf = 1 when it is not finite; then value *= inv_scale (unless 1).
template <typename T>
__global__ void unscale_kernel(const TensorSlot* slots, const Piece* pieces,
                               float* __restrict__ found_inf, const float* __restrict__ inv_scale) {
  const float inv = *inv_scale;
  for_piece(slots, pieces, [&](const TensorSlot& t, int64_t j) {
    T* g = static_cast<T*>(t.p[0]);
    const acc_t<T> v = to_acc(g[j]);
    if (!isfinite(double(v))) *found_inf = 1.0f;
    if (inv != 1.0f) g[j] = from_acc<T>(v * acc_t<T>(inv));
  });
}

__global__ void update_scale_kernel(float* scale, int32_t* tracker, const float* found_inf,
                                    float growth, float backoff, int32_t interval) {
  if (*found_inf != 0.0f) {
    *scale = *scale * backoff;
    *tracker = 0;
    return;
  }
  const int32_t successful = *tracker + 1;
  if (successful == interval) {
    const float grown = *scale * growth;
    if (isfinite(grown)) *scale = grown;
    *tracker = 0;
  } else {
    *tracker = successful;
  }
}

}  // namespace

void amp_non_finite_check_and_unscale(const std::vector<Tensor>& self, const Tensor& found_inf,
                                      const Tensor& inv_scale) {
  static constexpr const char* kOp = "_amp_foreach_non_finite_check_and_unscale_";
  // Strided members run in dense copies that are written back afterwards.
  std::vector<Tensor> work;
  work.reserve(self.size());
  for (const Tensor& t : self) work.push_back(dense(t, kOp));
  per_dtype(
      kOp, work,
      [&](size_t i) {
        return TensorSlot{{work[i].raw_data(), nullptr, nullptr, nullptr, nullptr},
                          work[i].numel(), 0, 0};
      },
      [&](auto T_tag, const Upload& u, cudaStream_t s) {
        using T = typename decltype(T_tag)::type;
        unscale_kernel<T><<<blocks(u), kThreads, 0, s>>>(u.slots, u.pieces, ptr<float>(found_inf),
                                                         ptr<float>(inv_scale));
      });
  for (size_t i = 0; i < self.size(); ++i) {
    if (!work[i].is_same(self[i])) scatter_into(self[i], work[i], kOp);
  }
}

void amp_update_scale(const Tensor& scale, const Tensor& growth_tracker, const Tensor& found_inf,
                      double growth_factor, double backoff_factor, int64_t growth_interval) {
  static constexpr const char* kOp = "_amp_update_scale_";
  DeviceGuard guard(scale, kOp);
  KILN_CHECK(growth_interval <= int64_t(std::numeric_limits<int32_t>::max()), kOp,
             ": growth_interval ", growth_interval, " is too large");
  update_scale_kernel<<<1, 1, 0, stream_for(scale)>>>(
      ptr<float>(scale), ptr<int32_t>(growth_tracker), ptr<float>(found_inf), float(growth_factor),
      float(backoff_factor), int32_t(growth_interval));
  check_launch(kOp);
}

}  // namespace kiln::cuda
