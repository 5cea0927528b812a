// What linear.cc, attention.cc and rnn.cc share: dense compute-type buffers and a typed GEMM.
#pragma once

#include <cblas.h>

#include <cstdint>

#include "engine/core/tensor.h"

namespace kiln::cpu::seq {

// The type a kernel computes in: float for float16/bfloat16/float32, double for float64.
inline DType math_dtype(DType t) { return t == DType::kFloat64 ? DType::kFloat64 : DType::kFloat32; }

// `t` contiguous in dtype `d` (t itself when it already is).
Tensor dense(const Tensor& t, DType d);
// An undefined tensor stays undefined.
inline Tensor dense_opt(const Tensor& t, DType d) { return t.defined() ? dense(t, d) : Tensor(); }

// A contiguous buffer of the math dtype for an output: the output itself when it already is
// one, else a temporary that finish() converts back into it.
struct OutBuf {
  OutBuf(const Tensor& out, DType math);
  void finish();
  Tensor out;
  Tensor buf;
};

// Row-major C (m x n) = alpha * op(A) (m x k) @ op(B) (k x n) + beta * C.
template <typename M>
bool gemm_trivial(int64_t m, int64_t n, int64_t k, M beta, M* c, int64_t ldc) {
  if (m == 0 || n == 0) return true;
  if (k > 0) return false;
  // An empty sum: BLAS rejects k = 0 leading dimensions, and C is beta * C anyway.
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) c[i * ldc + j] = beta == M(0) ? M(0) : beta * c[i * ldc + j];
  }
  return true;
}

inline void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
                 int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  if (gemm_trivial(m, n, k, beta, c, ldc)) return;
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
              int(m), int(n), int(k), alpha, a, int(lda), b, int(ldb), beta, c, int(ldc));
}
inline void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, double alpha, const double* a,
                 int64_t lda, const double* b, int64_t ldb, double beta, double* c, int64_t ldc) {
  if (gemm_trivial(m, n, k, beta, c, ldc)) return;
  cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
              int(m), int(n), int(k), alpha, a, int(lda), b, int(ldb), beta, c, int(ldc));
}

// `t` viewed with `shape` (t's sizes broadcast to it, right-aligned, by stride 0).
Tensor expand_view(const Tensor& t, const Shape& shape);

// A matrix operand for GEMM: W (rows x cols) as stored, row-major or column-major (a .t()
// view), or a dense copy when its strides fit neither.
struct MatArg {
  MatArg(const Tensor& w, DType math);
  Tensor keep;
  const void* data;
  bool col_major;  // stored as W^T row-major
  int64_t ld;
};

// e^x in float, branch-free plain arithmetic (Cephes' polynomial) so loops over it vectorize;
// -inf gives 0. Relative error ~2 ulp.
inline float exp_approx(float x) {
  const bool under = x < -87.0f;
  x = x < -87.0f ? -87.0f : (x > 88.0f ? 88.0f : x);
  const float n = __builtin_floorf(x * 1.44269504088896341f + 0.5f);
  float r = x - n * 0.693359375f;
  r = r + n * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const float y = p * r * r + r + 1.0f;
  const int32_t bits = (int32_t(n) + 127) << 23;
  float scale;
  __builtin_memcpy(&scale, &bits, sizeof(scale));
  return under ? 0.0f : y * scale;
}
inline double exp_approx(double x) { return __builtin_exp(x); }

// Calls f.template operator()<M>() with M = float or double for the math dtype of `t`.
template <typename F>
void dispatch_math(DType t, const char* op, F&& f) {
  KILN_CHECK_NOT_IMPLEMENTED(is_floating(t), op, ": not implemented for ", t);
  if (t == DType::kFloat64) {
    f.template operator()<double>();
  } else {
    f.template operator()<float>();
  }
}

}  // namespace kiln::cpu::seq
