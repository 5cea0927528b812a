// Convolution, plain and transposed, forward and backward: im2col + BLAS GEMM.
//
// Every case is one of three products over an "image" X (N, CX, HX, WX) and a "result"
// Y (N, CY, HY, WY) related by a weight W (CY, CX / G, kh, kw) in G groups:
//   forward      Y[n, g] = W_g @ col(X[n, g])          (col: im2col, (CX/G*kh*kw) x HY*WY)
//   data         X[n, g] = col2im(W_g^T @ Y[n, g])
//   weight       dW_g    = sum_n Y[n, g] @ col(X[n, g])^T
// A convolution maps X=input to Y=out; a transposed one maps Y=input to X=out with the same
// weight layout, so its forward is the data product and its input gradient the forward one.
#include <algorithm>
#include <cstring>
#include <memory>
#include <type_traits>
#include <vector>

#include "engine/core/parallel.h"
#include "kernels/cpu/conv_geom.h"
#include "kernels/cpu/copy.h"
#include "kernels/cpu/linalg.h"
#include "kernels/cpu/nn_conv.h"

namespace kiln::cpu {
namespace {

using conv::Geom;

// Row-major C (m x n) = op(A) op(B) + beta C. GEMM threads split C, never the k sum, so the
// result does not depend on BLAS's thread count.
template <typename T>
void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const T* a, int64_t lda,
          const T* b, int64_t ldb, T beta, T* c, int64_t ldc) {
  blas_gemm(ta, tb, m, n, k, T(1), a, lda, b, ldb, beta, c, ldc);
}

// The im2col buffer, kept per thread between calls: a fresh multi-MB vector costs a zero fill
// and a page fault per 4 KiB, which on this machine took as long as the GEMM itself. Buffers
// past kKeepCol elements are not kept (one huge convolution should not pin its memory).
template <typename T>
class ColBuffer {
 public:
  explicit ColBuffer(int64_t n) {
    constexpr int64_t kKeepCol = int64_t(1) << 24;
    if (n > kKeepCol) {
      own_.reset(new T[n]);
      ptr_ = own_.get();
      return;
    }
    thread_local std::unique_ptr<T[]> kept;
    thread_local int64_t kept_size = 0;
    if (kept_size < n) {
      kept.reset(new T[n]);
      kept_size = n;
    }
    ptr_ = kept.get();
  }
  T* data() const { return ptr_; }

 private:
  std::unique_ptr<T[]> own_;
  T* ptr_ = nullptr;
};

// Y = conv(X, W): one GEMM per sample and group.
template <typename T>
void forward(const Geom& g, const T* x, const T* w, T* y) {
  if (g.depthwise()) return conv::depthwise_forward(g, x, w, y);
  const int64_t K = g.K(), M = g.CY / g.G, L = g.LY(), LX = g.LX();
  if (K == 0) return std::fill(y, y + g.N * g.CY * L, T(0));  // no input channels
  ColBuffer<T> col(g.direct() ? 0 : g.CX * g.kh * g.kw * L);
  for (int64_t n = 0; n < g.N; ++n) {
    const T* xn = x + n * g.CX * LX;
    if (!g.direct()) conv::im2col(g, xn, g.CX, col.data());
    for (int64_t gi = 0; gi < g.G; ++gi) {
      const T* b = g.direct() ? xn + gi * K * L : col.data() + gi * K * L;
      gemm(false, false, M, L, K, w + gi * M * K, K, b, L, T(0), y + (n * g.CY + gi * M) * L, L);
    }
  }
}

// X = conv^T(Y, W): the columns W_g^T Y[n, g], folded back onto the image.
template <typename T>
void data(const Geom& g, const T* y, const T* w, T* x) {
  if (g.depthwise()) return conv::depthwise_data(g, y, w, x);
  const int64_t K = g.K(), M = g.CY / g.G, L = g.LY(), LX = g.LX();
  ColBuffer<T> col(g.direct() ? 0 : g.CX * g.kh * g.kw * L);
  for (int64_t n = 0; n < g.N; ++n) {
    T* xn = x + n * g.CX * LX;
    const T* yn = y + n * g.CY * L;
    for (int64_t gi = 0; gi < g.G; ++gi) {
      T* c = g.direct() ? xn + gi * K * L : col.data() + gi * K * L;
      gemm(true, false, K, L, M, w + gi * M * K, K, yn + gi * M * L, L, T(0), c, L);
    }
    if (!g.direct()) conv::col2im(g, col.data(), g.CX, xn);
  }
}

// dW = sum over the batch (in order) of Y[n, g] col(X[n, g])^T.
template <typename T>
void weight_grad(const Geom& g, const T* x, const T* y, T* dw) {
  const int64_t K = g.K(), M = g.CY / g.G, L = g.LY(), LX = g.LX();
  if (g.N == 0) {
    std::fill(dw, dw + g.CY * K, T(0));
    return;
  }
  if (g.depthwise()) return conv::depthwise_weight(g, x, y, dw);
  ColBuffer<T> col(g.direct() ? 0 : g.CX * g.kh * g.kw * L);
  for (int64_t n = 0; n < g.N; ++n) {
    const T* xn = x + n * g.CX * LX;
    if (!g.direct()) conv::im2col(g, xn, g.CX, col.data());
    for (int64_t gi = 0; gi < g.G; ++gi) {
      const T* b = g.direct() ? xn + gi * K * L : col.data() + gi * K * L;
      gemm(false, true, M, K, L, y + (n * g.CY + gi * M) * L, L, b, L, T(n ? 1 : 0),
           dw + gi * M * K, K);
    }
  }
}

// out (N, C, L) += bias (C).
template <typename T>
void add_bias(T* out, const T* bias, int64_t N, int64_t C, int64_t L) {
  parallel_for(0, N * C, std::max<int64_t>(1, 32768 / std::max<int64_t>(L, 1)),
               [&](int64_t lo, int64_t hi) {
                 for (int64_t p = lo; p < hi; ++p) {
                   const T b = bias[p % C];
                   T* o = out + p * L;
                   for (int64_t i = 0; i < L; ++i) o[i] += b;
                 }
               });
}

// grad_bias (C) = grad (N, C, L) summed over N and L, in a fixed order per channel.
template <typename T>
void bias_grad(T* gb, const T* gy, int64_t N, int64_t C, int64_t L) {
  parallel_for(0, C, 1, [&](int64_t lo, int64_t hi) {
    for (int64_t c = lo; c < hi; ++c) {
      double acc = 0;
      for (int64_t n = 0; n < N; ++n) {
        const T* p = gy + (n * C + c) * L;
        for (int64_t i = 0; i < L; ++i) acc += double(p[i]);
      }
      gb[c] = T(acc);
    }
  });
}

Tensor contiguous_as(const Tensor& t, DType dtype) {
  if (!t.defined() || (t.is_contiguous() && t.dtype() == dtype)) return t;
  Tensor c = empty_tensor(t.sizes(), dtype);
  copy(c, t, false);
  return c;
}

template <typename T>
const T* ptr(const Tensor& t) {
  return t.defined() ? t.data_ptr<T>() : nullptr;
}

// Runs `body<T>(tensors in T)` with T the dtype's own type, or float for the half types
// (inputs converted, results written back into the outputs).
template <typename F>
void with_compute_type(DType dtype, const std::vector<Tensor>& outs, F&& body) {
  if (dtype == DType::kFloat32 || dtype == DType::kFloat64) {
    if (dtype == DType::kFloat32) body.template operator()<float>(outs, DType::kFloat32);
    else body.template operator()<double>(outs, DType::kFloat64);
    return;
  }
  std::vector<Tensor> tmp;
  for (const Tensor& o : outs) tmp.push_back(empty_tensor(o.sizes(), DType::kFloat32));
  body.template operator()<float>(tmp, DType::kFloat32);
  for (size_t i = 0; i < outs.size(); ++i) {
    if (outs[i].numel()) copy(outs[i], tmp[i], false);
  }
}

}  // namespace

void convolution(const Tensor& out, const Tensor& input, const Tensor& weight, const Tensor& bias,
                 IntList stride, IntList padding, IntList dilation, bool transposed,
                 IntList output_padding, int64_t groups) {
  (void)output_padding;  // already in out's shape
  if (out.numel() == 0) return;
  const Geom g = transposed ? Geom(out.sizes(), input.sizes(), weight.sizes(), stride, padding,
                                   dilation, groups)
                            : Geom(input.sizes(), out.sizes(), weight.sizes(), stride, padding,
                                   dilation, groups);
  with_compute_type(out.dtype(), {out}, [&]<typename T>(const std::vector<Tensor>& o, DType dt) {
    const Tensor x = contiguous_as(input, dt), w = contiguous_as(weight, dt);
    const Tensor b = contiguous_as(bias, dt);
    T* y = o[0].data_ptr<T>();
    if (transposed) {
      data(g, ptr<T>(x), ptr<T>(w), y);
    } else {
      forward(g, ptr<T>(x), ptr<T>(w), y);
    }
    if (b.defined()) {
      add_bias(y, ptr<T>(b), g.N, transposed ? g.CX : g.CY, transposed ? g.LX() : g.LY());
    }
  });
}

void convolution_backward(const Tensor& grad_input, const Tensor& grad_weight,
                          const Tensor& grad_bias, const Tensor& grad_output, const Tensor& input,
                          const Tensor& weight, const std::optional<Shape>& bias_sizes,
                          IntList stride, IntList padding, IntList dilation, bool transposed,
                          IntList output_padding, int64_t groups, IntList output_mask) {
  (void)bias_sizes;
  (void)output_padding;
  const Geom g = transposed ? Geom(grad_output.sizes(), input.sizes(), weight.sizes(), stride,
                                   padding, dilation, groups)
                            : Geom(input.sizes(), grad_output.sizes(), weight.sizes(), stride,
                                   padding, dilation, groups);
  with_compute_type(
      grad_output.dtype(), {grad_input, grad_weight, grad_bias},
      [&]<typename T>(const std::vector<Tensor>& o, DType dt) {
        const Tensor gy = contiguous_as(grad_output, dt), x = contiguous_as(input, dt);
        const Tensor w = contiguous_as(weight, dt);
        if (output_mask[0] && o[0].numel()) {
          if (transposed) {
            forward(g, ptr<T>(gy), ptr<T>(w), o[0].data_ptr<T>());
          } else if (grad_output.numel() == 0) {
            std::fill(o[0].data_ptr<T>(), o[0].data_ptr<T>() + o[0].numel(), T(0));
          } else {
            data(g, ptr<T>(gy), ptr<T>(w), o[0].data_ptr<T>());
          }
        }
        if (output_mask[1] && o[1].numel()) {
          if (transposed) {
            weight_grad(g, ptr<T>(gy), ptr<T>(x), o[1].data_ptr<T>());
          } else {
            weight_grad(g, ptr<T>(x), ptr<T>(gy), o[1].data_ptr<T>());
          }
        }
        if (output_mask[2] && o[2].numel()) {
          const int64_t C = grad_output.sizes()[1];
          bias_grad(o[2].data_ptr<T>(), ptr<T>(gy), g.N, C, grad_output.numel() / std::max<int64_t>(g.N * C, 1));
        }
      });
}

}  // namespace kiln::cpu
