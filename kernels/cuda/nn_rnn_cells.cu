// The elementwise halves of the LSTM and GRU cells (their GEMMs are linear's): one thread per
// (row, hidden unit). Backward recomputes the activations from the saved pre-activations.
#include "kernels/cuda/nn_common.cuh"
#include "kernels/cuda/nn_kernels.h"

namespace kiln::cuda {

using namespace cuda_nn;  // NOLINT

namespace {

template <typename A>
__device__ __forceinline__ A sigm(A x) { return A(1) / (A(1) + dev_exp(-x)); }
template <typename A>
__device__ __forceinline__ A tnh(A x) { return tanh(x); }

// gates (B, 4H) = [i f g o]; cy = f cx + i g; hy = o tanh(cy).
template <typename T>
__global__ void lstm_fwd(T* __restrict__ hy, T* __restrict__ cy, const T* __restrict__ gates,
                         const T* __restrict__ cx, int64_t b, int64_t h) {
  using A = acc_t<T>;
  for (int64_t x = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; x < b * h;
       x += int64_t(gridDim.x) * blockDim.x) {
    const int64_t r = x / h, j = x - r * h;
    const T* g = gates + r * 4 * h;
    const A i = sigm(to_acc(g[j])), f = sigm(to_acc(g[h + j]));
    const A gg = tnh(to_acc(g[2 * h + j])), o = sigm(to_acc(g[3 * h + j]));
    const A cn = f * to_acc(cx[x]) + i * gg;
    cy[x] = from_acc<T>(cn);
    hy[x] = from_acc<T>(o * tnh(cn));
  }
}

template <typename T>
__global__ void lstm_bwd(T* __restrict__ dgates, T* __restrict__ dcx, const T* __restrict__ dhy,
                         const T* __restrict__ dcy, const T* __restrict__ gates,
                         const T* __restrict__ cx, const T* __restrict__ cy, int64_t b,
                         int64_t h) {
  using A = acc_t<T>;
  for (int64_t x = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; x < b * h;
       x += int64_t(gridDim.x) * blockDim.x) {
    const int64_t r = x / h, j = x - r * h;
    const T* g = gates + r * 4 * h;
    T* d = dgates + r * 4 * h;
    const A i = sigm(to_acc(g[j])), f = sigm(to_acc(g[h + j]));
    const A gg = tnh(to_acc(g[2 * h + j])), o = sigm(to_acc(g[3 * h + j]));
    const A tc = tnh(to_acc(cy[x]));
    const A dh = dhy ? to_acc(dhy[x]) : A(0);
    const A dc = (dcy ? to_acc(dcy[x]) : A(0)) + dh * o * (A(1) - tc * tc);
    d[j] = from_acc<T>(dc * gg * i * (A(1) - i));
    d[h + j] = from_acc<T>(dc * to_acc(cx[x]) * f * (A(1) - f));
    d[2 * h + j] = from_acc<T>(dc * i * (A(1) - gg * gg));
    d[3 * h + j] = from_acc<T>(dh * tc * o * (A(1) - o));
    dcx[x] = from_acc<T>(dc * f);
  }
}

// igates, hgates (B, 3H) = [r z n]; n = tanh(i_n + r h_n); hy = (1 - z) n + z hx.
template <typename T>
__global__ void gru_fwd(T* __restrict__ hy, const T* __restrict__ ig, const T* __restrict__ hg,
                        const T* __restrict__ hx, int64_t b, int64_t h) {
  using A = acc_t<T>;
  for (int64_t x = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; x < b * h;
       x += int64_t(gridDim.x) * blockDim.x) {
    const int64_t r = x / h, j = x - r * h;
    const T* ir = ig + r * 3 * h;
    const T* hr = hg + r * 3 * h;
    const A rg = sigm(to_acc(ir[j]) + to_acc(hr[j]));
    const A z = sigm(to_acc(ir[h + j]) + to_acc(hr[h + j]));
    const A n = tnh(to_acc(ir[2 * h + j]) + rg * to_acc(hr[2 * h + j]));
    hy[x] = from_acc<T>((A(1) - z) * n + z * to_acc(hx[x]));
  }
}

template <typename T>
__global__ void gru_bwd(T* __restrict__ dig, T* __restrict__ dhg, T* __restrict__ dhx,
                        const T* __restrict__ dhy, const T* __restrict__ ig,
                        const T* __restrict__ hg, const T* __restrict__ hx, int64_t b, int64_t h) {
  using A = acc_t<T>;
  for (int64_t x = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; x < b * h;
       x += int64_t(gridDim.x) * blockDim.x) {
    const int64_t r = x / h, j = x - r * h;
    const T* ir = ig + r * 3 * h;
    const T* hr = hg + r * 3 * h;
    const A rg = sigm(to_acc(ir[j]) + to_acc(hr[j]));
    const A z = sigm(to_acc(ir[h + j]) + to_acc(hr[h + j]));
    const A hn = to_acc(hr[2 * h + j]);
    const A n = tnh(to_acc(ir[2 * h + j]) + rg * hn);
    const A d = to_acc(dhy[x]);
    const A dn = d * (A(1) - z) * (A(1) - n * n);
    const A dz = d * (to_acc(hx[x]) - n) * z * (A(1) - z);
    const A dr = dn * hn * rg * (A(1) - rg);
    T* di = dig + r * 3 * h;
    T* dh = dhg + r * 3 * h;
    di[j] = from_acc<T>(dr);
    dh[j] = from_acc<T>(dr);
    di[h + j] = from_acc<T>(dz);
    dh[h + j] = from_acc<T>(dz);
    di[2 * h + j] = from_acc<T>(dn);
    dh[2 * h + j] = from_acc<T>(dn * rg);
    dhx[x] = from_acc<T>(d * z);
  }
}

// (B, H) of a cell state: B = numel / H, H its last dim.
void rows_of(const Tensor& state, int64_t& b, int64_t& h) {
  h = state.dim() == 0 ? 1 : state.sizes().back();
  b = h == 0 ? 0 : state.numel() / h;
}

}  // namespace

void lstm_cell_gates(const Tensor& hy, const Tensor& cy, const Tensor& gates_, const Tensor& cx_) {
  static constexpr const char* kOp = "_lstm_cell_gates";
  DeviceGuard guard(hy, kOp);
  int64_t b, h;
  rows_of(cx_, b, h);
  if (b * h == 0) return;
  const Tensor gates = dense(gates_, kOp), cx = dense(cx_, kOp);
  cudaStream_t s = stream_for(hy);
  dispatch_floating(hy.dtype(), kOp, [&](auto T_tag) {
    using T = typename decltype(T_tag)::type;
    lstm_fwd<T><<<grid_for(b * h), kThreads, 0, s>>>(ptr<T>(hy), ptr<T>(cy), ptr<T>(gates),
                                                     ptr<T>(cx), b, h);
  });
  check_launch(kOp);
}

void lstm_cell_gates_backward(const Tensor& grad_gates, const Tensor& grad_cx,
                              const Tensor& grad_hy, const Tensor& grad_cy, const Tensor& gates_,
                              const Tensor& cx_, const Tensor& cy_) {
  static constexpr const char* kOp = "_lstm_cell_gates_backward";
  DeviceGuard guard(grad_gates, kOp);
  int64_t b, h;
  rows_of(cx_, b, h);
  if (b * h == 0) return;
  const Tensor gates = dense(gates_, kOp), cx = dense(cx_, kOp), cy = dense(cy_, kOp);
  const Tensor dhy = dense(grad_hy, kOp), dcy = dense(grad_cy, kOp);
  cudaStream_t s = stream_for(grad_gates);
  dispatch_floating(grad_gates.dtype(), kOp, [&](auto T_tag) {
    using T = typename decltype(T_tag)::type;
    lstm_bwd<T><<<grid_for(b * h), kThreads, 0, s>>>(ptr<T>(grad_gates), ptr<T>(grad_cx),
                                                     ptr<T>(dhy), ptr<T>(dcy), ptr<T>(gates),
                                                     ptr<T>(cx), ptr<T>(cy), b, h);
  });
  check_launch(kOp);
}

void gru_cell_gates(const Tensor& out, const Tensor& igates_, const Tensor& hgates_,
                    const Tensor& hx_) {
  static constexpr const char* kOp = "_gru_cell_gates";
  DeviceGuard guard(out, kOp);
  int64_t b, h;
  rows_of(hx_, b, h);
  if (b * h == 0) return;
  const Tensor ig = dense(igates_, kOp), hg = dense(hgates_, kOp), hx = dense(hx_, kOp);
  cudaStream_t s = stream_for(out);
  dispatch_floating(out.dtype(), kOp, [&](auto T_tag) {
    using T = typename decltype(T_tag)::type;
    gru_fwd<T><<<grid_for(b * h), kThreads, 0, s>>>(ptr<T>(out), ptr<T>(ig), ptr<T>(hg),
                                                    ptr<T>(hx), b, h);
  });
  check_launch(kOp);
}

void gru_cell_gates_backward(const Tensor& grad_igates, const Tensor& grad_hgates,
                             const Tensor& grad_hx, const Tensor& grad_hy, const Tensor& igates_,
                             const Tensor& hgates_, const Tensor& hx_) {
  static constexpr const char* kOp = "_gru_cell_gates_backward";
  DeviceGuard guard(grad_igates, kOp);
  int64_t b, h;
  rows_of(hx_, b, h);
  if (b * h == 0) return;
  const Tensor ig = dense(igates_, kOp), hg = dense(hgates_, kOp), hx = dense(hx_, kOp);
  const Tensor dhy = dense(grad_hy, kOp);
  cudaStream_t s = stream_for(grad_igates);
  dispatch_floating(grad_igates.dtype(), kOp, [&](auto T_tag) {
    using T = typename decltype(T_tag)::type;
    gru_bwd<T><<<grid_for(b * h), kThreads, 0, s>>>(ptr<T>(grad_igates), ptr<T>(grad_hgates),
                                                    ptr<T>(grad_hx), ptr<T>(dhy), ptr<T>(ig),
                                                    ptr<T>(hg), ptr<T>(hx), b, h);
  });
  check_launch(kOp);
}

}  // namespace kiln::cuda
