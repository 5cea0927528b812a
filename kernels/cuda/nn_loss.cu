// cross_entropy (fused log_softmax + nll: class indices or probabilities, weights,
// ignore_index, label smoothing) and nll_loss, with their backward. Input (N, C, S...) runs as
// rows (N * S, C), transposed by a copy when S > 1. Per-row losses go to an accumulation
// buffer; "mean"/"sum" reduce it in one block in a fixed order (deterministic). Class indices
// are checked on the device first; the first bad one is read back and thrown (one sync).
#include "kernels/cuda/nn_common.cuh"
#include "kernels/cuda/nn_kernels.h"

namespace kiln::cuda {

using namespace cuda_nn;  // NOLINT

namespace {

enum class Reduction { kNone, kMean, kSum };
Reduction parse(const std::string& r) {
  return r == "none" ? Reduction::kNone : r == "sum" ? Reduction::kSum : Reduction::kMean;
}

struct Rows {
  int64_t n = 1, c = 1, s = 1;
  explicit Rows(const Tensor& input) {
    if (input.dim() == 1) {
      c = input.sizes()[0];
      return;
    }
    n = input.sizes()[0];
    c = input.sizes()[1];
    for (int64_t d = 2; d < input.dim(); ++d) s *= input.sizes()[size_t(d)];
  }
  int64_t count() const { return n * s; }
};

Tensor nsc_view(const Tensor& t, const Rows& g) {
  return make_view(t, {g.n, g.s, g.c}, {g.c * g.s, 1, g.s}, t.storage_offset());
}

Tensor as_rows(const Tensor& t, const Rows& g, const char* op) {
  const Tensor d = dense(t, op);
  if (g.s == 1) return d;
  Tensor r = empty_tensor({g.n, g.s, g.c}, d.dtype(), d.device());
  gather_into(r, nsc_view(d, g), op);
  return r;
}

__global__ void find_bad_target(unsigned long long* first, const int64_t* __restrict__ t,
                                int64_t n, int64_t c, int64_t ignore_index) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t v = t[i];
    if (v != ignore_index && (v < 0 || v >= c)) atomicMin(first, (unsigned long long)i);
  }
}

// Throws "<op>: Target <v> is out of bounds." for the first target outside [0, c).
void check_targets(const char* op, const Tensor& target, int64_t c, int64_t ignore_index) {
  const int64_t n = target.numel();
  if (n == 0) return;
  cudaStream_t s = stream_for(target);
  Tensor flag = empty_tensor({1}, DType::kInt64, target.device());
  check_cuda(cudaMemsetAsync(flag.raw_data(), 0xff, 8, s), op, "cudaMemsetAsync");
  find_bad_target<<<grid_for(n), kThreads, 0, s>>>(ptr<unsigned long long>(flag),
                                                   ptr<int64_t>(target), n, c, ignore_index);
  check_launch(op);
  unsigned long long first = 0;
  check_cuda(cudaMemcpyAsync(&first, flag.raw_data(), 8, cudaMemcpyDeviceToHost, s), op,
             "cudaMemcpyAsync");
  check_cuda(cudaStreamSynchronize(s), op, "cudaStreamSynchronize");
  if (first == ~0ull) return;
  int64_t bad = 0;
  check_cuda(cudaMemcpyAsync(&bad, ptr<int64_t>(target) + first, 8, cudaMemcpyDeviceToHost, s),
             op, "cudaMemcpyAsync");
  check_cuda(cudaStreamSynchronize(s), op, "cudaStreamSynchronize");
  KILN_CHECK_INDEX(false, op, ": Target ", bad, " is out of bounds.");
}

struct Call {
  Rows g;
  bool probs;
  Tensor x, target, weight;
  Call(const Tensor& input, const Tensor& target_, const Tensor& weight_, const char* op,
       int64_t ignore_index, bool logits)
      : g(input), probs(is_floating(target_.dtype())) {
    x = logits ? as_rows(input, g, op) : dense(input, op);
    target = probs ? as_rows(dense_as(target_, input.dtype(), op), g, op) : dense(target_, op);
    weight = dense(weight_, op);
    if (!probs) check_targets(op, target, g.c, ignore_index);
  }
};

// ---- forward: per-row loss (acc type) ----

template <typename T>
__global__ void ce_rows(acc_t<T>* __restrict__ loss, const T* __restrict__ x,
                        const int64_t* __restrict__ ti, const T* __restrict__ tp,
                        const T* __restrict__ w, int64_t c, int64_t ignore_index, acc_t<T> eps) {
  using A = acc_t<T>;
  __shared__ A scratch[32];
  const int64_t r = blockIdx.x;
  const T* xr = x + r * c;
  if (ti && ti[r] == ignore_index) {
    if (threadIdx.x == 0) loss[r] = A(0);
    return;
  }
  A m = -dev_inf<A>();
  for (int64_t j = threadIdx.x; j < c; j += blockDim.x) {
    const A v = to_acc(xr[j]);
    m = (v > m || v != v) ? v : m;
  }
  m = block_max(m, scratch);
  A se = 0, a1 = 0, a2 = 0;
  for (int64_t j = threadIdx.x; j < c; j += blockDim.x) {
    const A v = to_acc(xr[j]);
    se += dev_exp(v - m);
    const A wj = w ? to_acc(w[j]) : A(1);
    if (tp) {
      const A tj = to_acc(tp[r * c + j]) * (A(1) - eps) + eps / A(c);
      a1 += wj * tj;      // sum w t'
      a2 += wj * tj * v;  // sum w t' x
    } else {
      a1 += wj;      // sum w
      a2 += wj * v;  // sum w x
    }
  }
  se = block_sum(se, scratch);
  a1 = block_sum(a1, scratch);
  a2 = block_sum(a2, scratch);
  if (threadIdx.x != 0) return;
  const A lse = m + dev_log(se);
  A l;
  if (tp) {
    l = lse * a1 - a2;
  } else {
    const int64_t t = ti[r];
    l = -(A(1) - eps) * (w ? to_acc(w[t]) : A(1)) * (to_acc(xr[t]) - lse);
    if (eps > 0) l += eps / A(c) * (lse * a1 - a2);
  }
  loss[r] = l;
}

template <typename T>
__global__ void nll_rows(acc_t<T>* __restrict__ loss, const T* __restrict__ x,
                         const int64_t* __restrict__ t, const T* __restrict__ w, int64_t rows,
                         int64_t c, int64_t s, int64_t ignore_index) {
  using A = acc_t<T>;
  for (int64_t r = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; r < rows;
       r += int64_t(gridDim.x) * blockDim.x) {
    const int64_t n = r / s, sp = r - n * s, tr = t[r];
    loss[r] = tr == ignore_index ? A(0)
                                 : -(w ? to_acc(w[tr]) : A(1)) * to_acc(x[(n * c + tr) * s + sp]);
  }
}

// The "mean" denominator: rows (probabilities) or the summed weights of the kept targets.
template <typename T>
__device__ acc_t<T> weight_total(const int64_t* t, const T* w, int64_t rows,
                                 int64_t ignore_index, acc_t<T>* scratch) {
  using A = acc_t<T>;
  if (!t) return A(rows);
  A tot = 0;
  for (int64_t r = threadIdx.x; r < rows; r += blockDim.x) {
    if (t[r] != ignore_index) tot += w ? to_acc(w[t[r]]) : A(1);
  }
  return block_sum(tot, scratch);
}

// One block: out[0] = sum(loss) (/ denominator for mean); or denom[0] alone when loss is null.
template <typename T>
__global__ void reduce_loss(T* __restrict__ out, acc_t<T>* __restrict__ denom,
                            const acc_t<T>* __restrict__ loss, const int64_t* __restrict__ t,
                            const T* __restrict__ w, int64_t rows, int64_t ignore_index,
                            bool mean) {
  using A = acc_t<T>;
  __shared__ A scratch[32];
  const A d = weight_total<T>(t, w, rows, ignore_index, scratch);
  if (denom) {
    if (threadIdx.x == 0) denom[0] = d;
    return;
  }
  A tot = 0;
  for (int64_t r = threadIdx.x; r < rows; r += blockDim.x) tot += loss[r];
  tot = block_sum(tot, scratch);
  if (threadIdx.x == 0) out[0] = from_acc<T>(mean ? tot / d : tot);
}

template <typename T>
__global__ void copy_rows(T* __restrict__ out, const acc_t<T>* __restrict__ loss, int64_t rows) {
  for (int64_t r = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; r < rows;
       r += int64_t(gridDim.x) * blockDim.x) {
    out[r] = from_acc<T>(loss[r]);
  }
}

template <typename T>
void finish_forward(const Tensor& out, const Tensor& loss, const Call& k, Reduction red,
                    int64_t ignore_index, cudaStream_t s) {
  using A = acc_t<T>;
  const int64_t rows = k.g.count();
  if (red == Reduction::kNone) {
    if (rows > 0) copy_rows<T><<<grid_for(rows), kThreads, 0, s>>>(ptr<T>(out), ptr<A>(loss), rows);
    return;
  }
  reduce_loss<T><<<1, 1024, 0, s>>>(ptr<T>(out), nullptr, ptr<A>(loss),
                                    k.probs ? nullptr : ptr<int64_t>(k.target), ptr<T>(k.weight),
                                    rows, ignore_index, red == Reduction::kMean);
}

DType acc_dtype(DType t) { return t == DType::kFloat64 ? DType::kFloat64 : DType::kFloat32; }

// ---- backward ----

// coef = upstream gradient of row r: g[r] (none) or g[0] (/ denom for mean).
template <typename T>
__device__ __forceinline__ acc_t<T> upstream(const T* g, const acc_t<T>* denom, int red,
                                             int64_t r) {
  using A = acc_t<T>;
  if (red == 0) return to_acc(g[r]);
  return red == 1 ? to_acc(g[0]) / denom[0] : to_acc(g[0]);
}

template <typename T>
__global__ void ce_backward_rows(T* __restrict__ dx, const T* __restrict__ g,
                                 const acc_t<T>* __restrict__ denom, int red,
                                 const T* __restrict__ x, const int64_t* __restrict__ ti,
                                 const T* __restrict__ tp, const T* __restrict__ w, int64_t c,
                                 int64_t ignore_index, acc_t<T> eps) {
  using A = acc_t<T>;
  __shared__ A scratch[32];
  const int64_t r = blockIdx.x;
  const T* xr = x + r * c;
  T* dr = dx + r * c;
  if (ti && ti[r] == ignore_index) {
    for (int64_t j = threadIdx.x; j < c; j += blockDim.x) dr[j] = from_acc<T>(A(0));
    return;
  }
  const A coef = upstream<T>(g, denom, red, r);
  A m = -dev_inf<A>();
  for (int64_t j = threadIdx.x; j < c; j += blockDim.x) {
    const A v = to_acc(xr[j]);
    m = (v > m || v != v) ? v : m;
  }
  m = block_max(m, scratch);
  A se = 0, a1 = 0;
  for (int64_t j = threadIdx.x; j < c; j += blockDim.x) {
    se += dev_exp(to_acc(xr[j]) - m);
    const A wj = w ? to_acc(w[j]) : A(1);
    a1 += tp ? wj * (to_acc(tp[r * c + j]) * (A(1) - eps) + eps / A(c)) : wj;
  }
  se = block_sum(se, scratch);
  a1 = block_sum(a1, scratch);
  const A ec = eps / A(c);
  if (tp) {
    // dx_j = coef (p_j sum(w t') - w_j t'_j)
    for (int64_t j = threadIdx.x; j < c; j += blockDim.x) {
      const A p = dev_exp(to_acc(xr[j]) - m) / se;
      const A wj = w ? to_acc(w[j]) : A(1);
      const A tj = to_acc(tp[r * c + j]) * (A(1) - eps) + ec;
      dr[j] = from_acc<T>(coef * (p * a1 - wj * tj));
    }
  } else {
    // dx_j = coef (p_j K - (1 - eps) w_t [j == t] - eps / C w_j), K = (1 - eps) w_t + eps / C sum(w)
    const int64_t t = ti[r];
    const A wt = w ? to_acc(w[t]) : A(1);
    const A kk = (A(1) - eps) * wt + ec * a1;
    for (int64_t j = threadIdx.x; j < c; j += blockDim.x) {
      const A p = dev_exp(to_acc(xr[j]) - m) / se;
      const A wj = w ? to_acc(w[j]) : A(1);
      A v = coef * (p * kk - ec * wj);
      if (j == t) v -= coef * (A(1) - eps) * wt;
      dr[j] = from_acc<T>(v);
    }
  }
}

template <typename T>
__global__ void nll_backward_rows(T* __restrict__ dx, const T* __restrict__ g,
                                  const acc_t<T>* __restrict__ denom, int red,
                                  const int64_t* __restrict__ t, const T* __restrict__ w,
                                  int64_t rows, int64_t c, int64_t s, int64_t ignore_index) {
  using A = acc_t<T>;
  for (int64_t r = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; r < rows;
       r += int64_t(gridDim.x) * blockDim.x) {
    const int64_t n = r / s, sp = r - n * s, tr = t[r];
    if (tr == ignore_index) continue;
    dx[(n * c + tr) * s + sp] = from_acc<T>(-(w ? to_acc(w[tr]) : A(1)) * upstream<T>(g, denom, red, r));
  }
}

int row_threads(int64_t c) {
  int t = 32;
  while (t < 512 && t < c) t *= 2;
  return t;
}

void check_rows(const char* op, int64_t rows) {
  KILN_CHECK(rows <= int64_t(std::numeric_limits<int>::max()), op, ": too many rows for cuda");
}

// Device denominator for the backward's "mean" (null otherwise).
template <typename T>
Tensor denominator(const Call& k, Reduction red, int64_t ignore_index, cudaStream_t s) {
  if (red != Reduction::kMean) return Tensor();
  Tensor d = empty_tensor({1}, acc_dtype(k.x.dtype()), k.x.device());
  reduce_loss<T><<<1, 1024, 0, s>>>(nullptr, ptr<acc_t<T>>(d), nullptr,
                                    k.probs ? nullptr : ptr<int64_t>(k.target), ptr<T>(k.weight),
                                    k.g.count(), ignore_index, true);
  return d;
}

}  // namespace

void cross_entropy(const Tensor& out, const Tensor& input, const Tensor& target,
                   const Tensor& weight, int64_t ignore_index, const std::string& reduction,
                   double label_smoothing) {
  static constexpr const char* kOp = "cross_entropy";
  DeviceGuard guard(out, kOp);
  const Call k(input, target, weight, kOp, ignore_index, true);
  const Reduction red = parse(reduction);
  const int64_t rows = k.g.count();
  check_rows(kOp, rows);
  cudaStream_t s = stream_for(out);
  Tensor loss = empty_tensor({rows}, acc_dtype(out.dtype()), out.device());
  dispatch_floating(out.dtype(), kOp, [&](auto T_tag) {
    using T = typename decltype(T_tag)::type;
    using A = acc_t<T>;
    if (rows > 0) {
      ce_rows<T><<<unsigned(rows), row_threads(k.g.c), 0, s>>>(
          ptr<A>(loss), ptr<T>(k.x), k.probs ? nullptr : ptr<int64_t>(k.target),
          k.probs ? ptr<T>(k.target) : nullptr, ptr<T>(k.weight), k.g.c, ignore_index,
          A(label_smoothing));
    }
    finish_forward<T>(out, loss, k, red, ignore_index, s);
  });
  check_launch(kOp);
}

void cross_entropy_backward(const Tensor& out, const Tensor& grad_output, const Tensor& input,
                            const Tensor& target, const Tensor& weight, int64_t ignore_index,
                            const std::string& reduction, double label_smoothing) {
  static constexpr const char* kOp = "cross_entropy_backward";
  DeviceGuard guard(out, kOp);
  const Call k(input, target, weight, kOp, ignore_index, true);
  const Reduction red = parse(reduction);
  const int64_t rows = k.g.count(), c = k.g.c;
  if (out.numel() == 0) return;
  check_rows(kOp, rows);
  cudaStream_t s = stream_for(out);
  const Tensor go = dense(grad_output, kOp);
  // Outputs arrive contiguous (the op has no out= variant).
  KILN_ASSERT(out.is_contiguous(), kOp, ": output layout");
  const bool direct = k.g.s == 1;
  Tensor buf = direct ? out : empty_tensor({rows, c}, out.dtype(), out.device());
  dispatch_floating(out.dtype(), kOp, [&](auto T_tag) {
    using T = typename decltype(T_tag)::type;
    using A = acc_t<T>;
    const Tensor denom = denominator<T>(k, red, ignore_index, s);
    ce_backward_rows<T><<<unsigned(rows), row_threads(c), 0, s>>>(
        ptr<T>(buf), ptr<T>(go), ptr<A>(denom), int(red), ptr<T>(k.x),
        k.probs ? nullptr : ptr<int64_t>(k.target), k.probs ? ptr<T>(k.target) : nullptr,
        ptr<T>(k.weight), c, ignore_index, A(label_smoothing));
  });
  check_launch(kOp);
  if (!direct) {
    scatter_into(nsc_view(out, k.g), make_view(buf, {k.g.n, k.g.s, c}, {k.g.s * c, c, 1}, 0),
                 kOp);
  }
}

void nll_loss(const Tensor& out, const Tensor& input, const Tensor& target, const Tensor& weight,
              int64_t ignore_index, const std::string& reduction) {
  static constexpr const char* kOp = "nll_loss";
  DeviceGuard guard(out, kOp);
  const Call k(input, target, weight, kOp, ignore_index, false);
  const Reduction red = parse(reduction);
  const int64_t rows = k.g.count();
  cudaStream_t s = stream_for(out);
  Tensor loss = empty_tensor({rows}, acc_dtype(out.dtype()), out.device());
  dispatch_floating(out.dtype(), kOp, [&](auto T_tag) {
    using T = typename decltype(T_tag)::type;
    using A = acc_t<T>;
    if (rows > 0) {
      nll_rows<T><<<grid_for(rows), kThreads, 0, s>>>(ptr<A>(loss), ptr<T>(k.x),
                                                      ptr<int64_t>(k.target), ptr<T>(k.weight),
                                                      rows, k.g.c, k.g.s, ignore_index);
    }
    finish_forward<T>(out, loss, k, red, ignore_index, s);
  });
  check_launch(kOp);
}

void nll_loss_backward(const Tensor& out, const Tensor& grad_output, const Tensor& input,
                       const Tensor& target, const Tensor& weight, int64_t ignore_index,
                       const std::string& reduction) {
  static constexpr const char* kOp = "nll_loss_backward";
  DeviceGuard guard(out, kOp);
  const Call k(input, target, weight, kOp, ignore_index, false);
  const Reduction red = parse(reduction);
  const int64_t rows = k.g.count();
  if (out.numel() == 0) return;
  cudaStream_t s = stream_for(out);
  const bool direct = out.is_contiguous();
  Tensor buf = direct ? out : empty_tensor(out.sizes(), out.dtype(), out.device());
  zero_(buf, kOp);
  const Tensor go = dense(grad_output, kOp);
  dispatch_floating(out.dtype(), kOp, [&](auto T_tag) {
    using T = typename decltype(T_tag)::type;
    using A = acc_t<T>;
    const Tensor denom = denominator<T>(k, red, ignore_index, s);
    if (rows > 0) {
      nll_backward_rows<T><<<grid_for(rows), kThreads, 0, s>>>(
          ptr<T>(buf), ptr<T>(go), ptr<A>(denom), int(red), ptr<int64_t>(k.target),
          ptr<T>(k.weight), rows, k.g.c, k.g.s, ignore_index);
    }
  });
  check_launch(kOp);
  if (!direct) scatter_into(out, buf, kOp);
}

}  // namespace kiln::cuda
