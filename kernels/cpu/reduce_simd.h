// AVX2 inner loops for float32 max/min and arg-max/min over a contiguous run.
//
// GCC does not vectorize reduce_ops.h's NaN-aware selects (a NaN must win, and the select
// `x > acc || x != x` is two compares and a branch to it), so the float path splits the work:
// vmaxps/vminps ignore a NaN operand (they return the second one, the accumulator), and a
// separate unordered compare remembers whether any NaN went by; only then is the first NaN
// looked up. Arg-max/min finds the extreme value first, then the first position holding it:
// two passes over a run that is still in L1/L2 cost less than tracking indices in the loop.
#pragma once

#include <cstdint>

#ifdef __AVX2__
#include <immintrin.h>
#endif

namespace kiln::cpu::simd {

// The first index j in [0, n) with p[j] NaN, or -1.
inline int64_t first_nan(const float* p, int64_t n) {
  for (int64_t j = 0; j < n; ++j) {
    if (p[j] != p[j]) return j;
  }
  return -1;
}

// The largest (kMax) or smallest value of p[0, n), n > 0, ignoring NaNs; *nan says whether
// any was seen. Ties between -0.0 and 0.0 may resolve either way (as with lanes of partials).
template <bool kMax>
inline float extreme_f32(const float* p, int64_t n, bool* nan) {
  const float init = kMax ? -__builtin_inff() : __builtin_inff();
  float best = init;
  bool seen = false;
  int64_t j = 0;
#ifdef __AVX2__
  if (n >= 32) {
    __m256 a0 = _mm256_set1_ps(init), a1 = a0, a2 = a0, a3 = a0;
    __m256 u0 = _mm256_setzero_ps(), u1 = u0;
    auto step = [](__m256 acc, __m256 x) {
      return kMax ? _mm256_max_ps(x, acc) : _mm256_min_ps(x, acc);
    };
    for (; j + 32 <= n; j += 32) {
      const __m256 x0 = _mm256_loadu_ps(p + j), x1 = _mm256_loadu_ps(p + j + 8);
      const __m256 x2 = _mm256_loadu_ps(p + j + 16), x3 = _mm256_loadu_ps(p + j + 24);
      a0 = step(a0, x0), a1 = step(a1, x1), a2 = step(a2, x2), a3 = step(a3, x3);
      u0 = _mm256_or_ps(u0, _mm256_cmp_ps(x0, x1, _CMP_UNORD_Q));
      u1 = _mm256_or_ps(u1, _mm256_cmp_ps(x2, x3, _CMP_UNORD_Q));
    }
    a0 = step(step(a0, a1), step(a2, a3));
    seen = _mm256_movemask_ps(_mm256_or_ps(u0, u1)) != 0;
    alignas(32) float lanes[8];
    _mm256_store_ps(lanes, a0);
    for (float v : lanes) best = kMax ? (v > best ? v : best) : (v < best ? v : best);
  }
#endif
  for (; j < n; ++j) {
    const float x = p[j];
    seen = seen || x != x;
    best = kMax ? (x > best ? x : best) : (x < best ? x : best);
  }
  *nan = seen;
  return best;
}

// The first index j in [0, n) with p[j] == v (v found by extreme_f32 over the same run).
inline int64_t first_equal(const float* p, int64_t n, float v) {
  int64_t j = 0;
#ifdef __AVX2__
  const __m256 t = _mm256_set1_ps(v);
  for (; j + 8 <= n; j += 8) {
    const int mask = _mm256_movemask_ps(_mm256_cmp_ps(_mm256_loadu_ps(p + j), t, _CMP_EQ_OQ));
    if (mask) return j + __builtin_ctz(unsigned(mask));
  }
#endif
  for (; j < n; ++j) {
    if (p[j] == v) return j;
  }
  return -1;
}

}  // namespace kiln::cpu::simd
