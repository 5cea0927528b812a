// What linear.cc, attention.cc and rnn.cc share: dense compute-type buffers and a typed GEMM.
#pragma once

#include <cstdint>

#include "engine/core/tensor.h"
#include "kernels/cpu/linalg.h"
#include "kernels/cpu/vec_math.h"

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

// Row-major C (m x n) = alpha * op(A) (m x k) @ op(B) (k x n) + beta * C: linalg's BLAS call
// (its thread count follows Kiln's), the weights read in place through the trans flags.
inline void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
                 int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  blas_gemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
inline void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, double alpha, const double* a,
                 int64_t lda, const double* b, int64_t ldb, double beta, double* c, int64_t ldc) {
  blas_gemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
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

// e^x in float as plain arithmetic so loops over it vectorize: vec_math.h's (a few ulp; -inf
// gives 0).
inline float exp_approx(float x) { return vec::exp(x); }
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
