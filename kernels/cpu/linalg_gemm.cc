// The one batched GEMM every matrix product calls (mm, bmm, addmm, baddbmm, mv, addmv, dot).
//
// Float and double: OpenBLAS, reading transposed operands in place through its trans flags
// (backward passes hand over transposed views all the time) and copying only operands BLAS
// cannot address. Tiny matrices and integers: a direct loop, which for a 4x4 product costs
// less than entering BLAS. float16 / bfloat16: converted to float around the float path.
#include <cblas.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <type_traits>

#include "engine/core/parallel.h"
#include "kernels/cpu/copy.h"
#include "kernels/cpu/linalg.h"

namespace kiln::cpu {
namespace {

// Matrices with at most this many multiply-adds skip BLAS (its call overhead dominates).
constexpr int64_t kSmallGemm = 512;
// OpenBLAS runs a GEMM of up to m*n*k = 65536 * GEMM_MULTITHREAD_THRESHOLD (4) on the calling
// thread, so a batch of them is split across Kiln's threads instead.
constexpr int64_t kBlasSingleThread = 65536 * 4;

// OpenBLAS has its own pool; it follows Kiln's thread count (torch.set_num_threads), so a
// GEMM uses the cores every other op uses, no more.
void sync_blas_threads() {
  static std::atomic<int> current{0};
  const int want = num_threads();
  if (current.load(std::memory_order_relaxed) != want) {
    openblas_set_num_threads(want);
    current.store(want, std::memory_order_relaxed);
  }
}

// How BLAS reads a row-major (rows x cols) matrix with element strides (rs, cs): as is with
// leading dimension ld, through the trans flag, or not at all (ok = false: copy it first).
struct Layout {
  bool ok;
  bool trans;
  int64_t ld;
};

Layout blas_layout(int64_t rows, int64_t cols, int64_t rs, int64_t cs) {
  // A stride along a size-1 dim is never used: pick the one BLAS wants.
  if (cols == 1) cs = 1;
  if (rows == 1) rs = std::max<int64_t>(cols, 1);
  if (cs == 1 && rs >= std::max<int64_t>(cols, 1)) return {true, false, rs};
  if (rs == 1 && cs >= std::max<int64_t>(rows, 1)) return {true, true, cs};
  return {false, false, 0};
}

bool blas_addressable(const Tensor& t) {
  return blas_layout(t.sizes()[1], t.sizes()[2], t.strides()[1], t.strides()[2]).ok;
}

Tensor contiguous_copy(const Tensor& t) {
  Tensor c = empty_tensor(t.sizes(), t.dtype());
  copy(c, t, false);
  return c;
}

// Rows lo..hi of c (B * n rows of P columns), b's rows contiguous: each row of c accumulates
// whole rows of b, with P known to the compiler (a 4-wide row is one vector op per k).
template <int P, typename T, typename Acc>
void gemm_rows_fixed(T* c, const T* a, const T* b, int64_t lo, int64_t hi, int64_t n, int64_t m,
                     const int64_t* as, const int64_t* bs, Acc al, Acc be, bool use_c) {
  int64_t bi = lo / n, i = lo % n;
  for (int64_t r = lo; r < hi; ++r) {
    const T* ar = a + bi * as[0] + i * as[1];
    const T* bm = b + bi * bs[0];
    Acc s[P] = {};
    for (int64_t k = 0; k < m; ++k) {
      const Acc x = Acc(ar[k * as[2]]);
      const T* br = bm + k * bs[1];
      for (int j = 0; j < P; ++j) s[j] += x * Acc(br[j]);
    }
    T* cr = c + r * P;
    if (use_c) {
      for (int j = 0; j < P; ++j) cr[j] = T(be * Acc(cr[j]) + al * s[j]);
    } else {
      for (int j = 0; j < P; ++j) cr[j] = T(al * s[j]);
    }
    if (++i == n) {
      i = 0;
      ++bi;
    }
  }
}

// c (B, n, p) contiguous; a (B, n, m) and b (B, m, p) with strides as / bs.
template <typename T>
void gemm_loop(T* c, const T* a, const T* b, int64_t B, int64_t n, int64_t m, int64_t p,
               const int64_t* as, const int64_t* bs, const Scalar& alpha, const Scalar& beta) {
  // Integers accumulate in int64 (wrapping into T at the end, as PyTorch's do); half types
  // in float.
  using Acc = std::conditional_t<std::is_integral_v<T>, int64_t, opmath_t<T>>;
  const Acc al = alpha.to<Acc>(), be = beta.to<Acc>();
  const bool use_c = !(beta == Scalar(0));
  const int64_t grain = std::max<int64_t>(1, 32768 / std::max<int64_t>(1, m * p));
  // Rows of b contiguous and short: each row of c accumulates whole rows of b (vectorizes).
  // Either way every c[i, j] sums its k terms in ascending order, so the paths agree exactly.
  constexpr int64_t kRowMax = 64;
  const bool by_rows = bs[2] == 1 && p <= kRowMax;
  parallel_for(0, B * n, grain, [&](int64_t lo, int64_t hi) {
    if (bs[2] == 1) {
      switch (p) {
#define KILN_GEMM_FIXED(P) \
  case P: gemm_rows_fixed<P, T, Acc>(c, a, b, lo, hi, n, m, as, bs, al, be, use_c); return;
        KILN_GEMM_FIXED(1) KILN_GEMM_FIXED(2) KILN_GEMM_FIXED(3) KILN_GEMM_FIXED(4)
        KILN_GEMM_FIXED(5) KILN_GEMM_FIXED(6) KILN_GEMM_FIXED(7) KILN_GEMM_FIXED(8)
#undef KILN_GEMM_FIXED
        default: break;
      }
    }
    int64_t bi = lo / n, i = lo % n;
    Acc acc[kRowMax];
    for (int64_t r = lo; r < hi; ++r) {
      const T* ar = a + bi * as[0] + i * as[1];
      const T* bm = b + bi * bs[0];
      T* cr = c + r * p;
      if (by_rows) {
        for (int64_t j = 0; j < p; ++j) acc[j] = 0;
        for (int64_t k = 0; k < m; ++k) {
          const Acc x = Acc(ar[k * as[2]]);
          const T* br = bm + k * bs[1];
          for (int64_t j = 0; j < p; ++j) acc[j] += x * Acc(br[j]);
        }
        for (int64_t j = 0; j < p; ++j) {
          cr[j] = use_c ? T(be * Acc(cr[j]) + al * acc[j]) : T(al * acc[j]);
        }
      } else {
        for (int64_t j = 0; j < p; ++j) {
          const T* bc = bm + j * bs[2];
          Acc sum = 0;
          for (int64_t k = 0; k < m; ++k) sum += Acc(ar[k * as[2]]) * Acc(bc[k * bs[1]]);
          cr[j] = use_c ? T(be * Acc(cr[j]) + al * sum) : T(al * sum);
        }
      }
      if (++i == n) {
        i = 0;
        ++bi;
      }
    }
  });
}

template <typename T>
void blas_gemm(const Layout& la, const Layout& lb, int64_t n, int64_t p, int64_t m, T alpha,
               const T* a, const T* b, T beta, T* c) {
  const auto ta = la.trans ? CblasTrans : CblasNoTrans;
  const auto tb = lb.trans ? CblasTrans : CblasNoTrans;
  if constexpr (std::is_same_v<T, float>) {
    cblas_sgemm(CblasRowMajor, ta, tb, int(n), int(p), int(m), alpha, a, int(la.ld), b,
                int(lb.ld), beta, c, int(p));
  } else {
    cblas_dgemm(CblasRowMajor, ta, tb, int(n), int(p), int(m), alpha, a, int(la.ld), b,
                int(lb.ld), beta, c, int(p));
  }
}

template <typename T>
void gemm_blas(const Tensor& c, Tensor a, Tensor b, const Scalar& alpha, const Scalar& beta) {
  const int64_t B = c.sizes()[0], n = c.sizes()[1], p = c.sizes()[2], m = a.sizes()[2];
  if (!blas_addressable(a)) a = contiguous_copy(a);
  if (!blas_addressable(b)) b = contiguous_copy(b);
  const Layout la = blas_layout(n, m, a.strides()[1], a.strides()[2]);
  const Layout lb = blas_layout(m, p, b.strides()[1], b.strides()[2]);
  const int64_t sa = a.strides()[0], sb = b.strides()[0];
  const T* pa = a.data_ptr<T>();
  const T* pb = b.data_ptr<T>();
  T* pc = c.data_ptr<T>();
  const T al = alpha.to<T>(), be = beta.to<T>();  // BLAS ignores c's values when beta is 0
  auto one = [&](int64_t i) { blas_gemm<T>(la, lb, n, p, m, al, pa + i * sa, pb + i * sb, be, pc + i * n * p); };
  if (B > 1 && n * m * p <= kBlasSingleThread && num_threads() > 1) {
    parallel_for(0, B, 1, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) one(i);
    });
    return;
  }
  sync_blas_threads();
  for (int64_t i = 0; i < B; ++i) one(i);
}

// BLAS takes int sizes and leading dimensions.
bool fits_int(const Tensor& t) {
  for (int64_t i = 0; i < t.dim(); ++i) {
    if (t.sizes()[i] > INT32_MAX || t.strides()[i] > INT32_MAX || t.strides()[i] < 0) return false;
  }
  return true;
}

}  // namespace

void gemm_batched(const Tensor& c, const Tensor& a, const Tensor& b, const Scalar& alpha,
                  const Scalar& beta) {
  // c (B, n, p) = alpha * a (B, n, m) @ b (B, m, p) + beta * c
  const int64_t n = c.sizes()[1], p = c.sizes()[2], m = a.sizes()[2];
  if (c.numel() == 0) return;
  const DType dt = c.dtype();
  const bool half = dt == DType::kFloat16 || dt == DType::kBFloat16;
  const bool big = n * m * p > kSmallGemm && m > 0;
  if (half && big) {
    // Through float: two conversions are cheap next to a GEMM this size.
    Tensor c32 = empty_tensor(c.sizes(), DType::kFloat32);
    if (!(beta == Scalar(0))) copy(c32, c, false);
    Tensor a32 = empty_tensor(a.sizes(), DType::kFloat32);
    Tensor b32 = empty_tensor(b.sizes(), DType::kFloat32);
    copy(a32, a, false);
    copy(b32, b, false);
    gemm_batched(c32, a32, b32, alpha, beta);
    copy(c, c32, false);
    return;
  }
  KILN_DISPATCH_NUMERIC(dt, "mm", [&]<typename T>() {
    if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
      if (big && fits_int(a) && fits_int(b) && fits_int(c)) {
        gemm_blas<T>(c, a, b, alpha, beta);
        return;
      }
    }
    gemm_loop<T>(c.data_ptr<T>(), a.data_ptr<T>(), b.data_ptr<T>(), c.sizes()[0], n, m, p,
                 a.strides().data(), b.strides().data(), alpha, beta);
  });
}

namespace {

template <typename T>
void blas_gemm_rowmajor(bool ta, bool tb, int64_t m, int64_t n, int64_t k, T alpha, const T* a,
                        int64_t lda, const T* b, int64_t ldb, T beta, T* c, int64_t ldc) {
  if (m == 0 || n == 0) return;
  if (k == 0) {
    // BLAS rejects k = 0 leading dimensions; the sum is empty, so C = beta C.
    for (int64_t i = 0; i < m; ++i) {
      for (int64_t j = 0; j < n; ++j) c[i * ldc + j] = beta == T(0) ? T(0) : beta * c[i * ldc + j];
    }
    return;
  }
  sync_blas_threads();
  if constexpr (std::is_same_v<T, float>) {
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                int(m), int(n), int(k), alpha, a, int(lda), b, int(ldb), beta, c, int(ldc));
  } else {
    cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                int(m), int(n), int(k), alpha, a, int(lda), b, int(ldb), beta, c, int(ldc));
  }
}

}  // namespace

void blas_gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
               int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  blas_gemm_rowmajor(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void blas_gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, double alpha, const double* a,
               int64_t lda, const double* b, int64_t ldb, double beta, double* c, int64_t ldc) {
  blas_gemm_rowmajor(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

}  // namespace kiln::cpu
