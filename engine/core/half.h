// float16 and bfloat16 storage types. Arithmetic goes through float (as PyTorch's CPU
// kernels do): kernels accumulate in `opmath_t<T>`, which is float for both.
#pragma once

#include <cstdint>
#include <cstring>
#include <limits>

#if defined(__F16C__)
#include <immintrin.h>
#endif

namespace kiln {

namespace detail {

inline uint32_t float_bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}
inline float bits_float(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

// IEEE binary16 <-> binary32, round to nearest even; used where F16C is absent.
inline float half_bits_to_float(uint16_t h) {
  const uint32_t sign = uint32_t(h & 0x8000) << 16;
  uint32_t exp = (h >> 10) & 0x1f;
  uint32_t man = h & 0x3ff;
  if (exp == 0x1f) return bits_float(sign | 0x7f800000 | (man << 13));  // inf / nan
  if (exp == 0) {
    if (man == 0) return bits_float(sign);
    // Subnormal: renormalize.
    exp = 127 - 15 + 1;
    while (!(man & 0x400)) {
      man <<= 1;
      --exp;
    }
    man &= 0x3ff;
    return bits_float(sign | (exp << 23) | (man << 13));
  }
  return bits_float(sign | ((exp + 127 - 15) << 23) | (man << 13));
}

inline uint16_t float_to_half_bits(float f) {
  uint32_t x = float_bits(f);
  const uint16_t sign = (x >> 16) & 0x8000;
  x &= 0x7fffffff;
  if (x >= 0x7f800000) return sign | 0x7c00 | (x > 0x7f800000 ? 0x200 : 0);  // inf / nan
  if (x >= 0x477ff000) return sign | 0x7c00;                                // overflow
  if (x < 0x38800000) {                                                     // subnormal / 0
    // Add 0.5 (as float) so the FPU rounds the mantissa for us.
    float v = bits_float(x) + 0.5f;
    return sign | uint16_t(float_bits(v) - 0x3f000000);
  }
  const uint32_t odd = (x >> 13) & 1;
  x += 0xc8000fff + odd;  // rebias exponent (-112 << 23) and round to nearest even
  return sign | uint16_t(x >> 13);
}

}  // namespace detail

struct Half {
  uint16_t x = 0;
  Half() = default;
  struct FromBits {};
  constexpr Half(uint16_t bits, FromBits) : x(bits) {}
  Half(float f) {  // NOLINT: implicit like PyTorch's c10::Half
#if defined(__F16C__)
    x = static_cast<uint16_t>(_cvtss_sh(f, _MM_FROUND_TO_NEAREST_INT));
#else
    x = detail::float_to_half_bits(f);
#endif
  }
  Half(double d) : Half(static_cast<float>(d)) {}
  template <typename I, typename = std::enable_if_t<std::is_integral_v<I>>>
  Half(I i) : Half(static_cast<float>(i)) {}
  operator float() const {
#if defined(__F16C__)
    return _cvtsh_ss(x);
#else
    return detail::half_bits_to_float(x);
#endif
  }
};

struct BFloat16 {
  uint16_t x = 0;
  BFloat16() = default;
  struct FromBits {};
  constexpr BFloat16(uint16_t bits, FromBits) : x(bits) {}
  BFloat16(float f) {  // NOLINT: round to nearest even, NaN stays NaN
    uint32_t u = detail::float_bits(f);
    if ((u & 0x7fffffff) > 0x7f800000) {
      x = 0x7fc0;
      return;
    }
    u += 0x7fff + ((u >> 16) & 1);
    x = static_cast<uint16_t>(u >> 16);
  }
  BFloat16(double d) : BFloat16(static_cast<float>(d)) {}
  template <typename I, typename = std::enable_if_t<std::is_integral_v<I>>>
  BFloat16(I i) : BFloat16(static_cast<float>(i)) {}
  operator float() const { return detail::bits_float(uint32_t(x) << 16); }
};

// Arithmetic on the half types promotes to float, like PyTorch's CPU kernels.
#define KILN_HALF_BINOP(T, op)                                                   \
  inline float operator op(T a, T b) { return float(a) op float(b); }            \
  inline float operator op(T a, float b) { return float(a) op b; }               \
  inline float operator op(float a, T b) { return a op float(b); }
#define KILN_HALF_CMPOP(T, op)                                                   \
  inline bool operator op(T a, T b) { return float(a) op float(b); }
#define KILN_HALF_OPS(T)                                                         \
  KILN_HALF_BINOP(T, +) KILN_HALF_BINOP(T, -) KILN_HALF_BINOP(T, *)              \
  KILN_HALF_BINOP(T, /) KILN_HALF_CMPOP(T, <) KILN_HALF_CMPOP(T, <=)             \
  KILN_HALF_CMPOP(T, >) KILN_HALF_CMPOP(T, >=) KILN_HALF_CMPOP(T, ==)            \
  KILN_HALF_CMPOP(T, !=)                                                         \
  inline T operator-(T a) { return T(-float(a)); }                               \
  inline T& operator+=(T& a, float b) { return a = T(float(a) + b); }            \
  inline T& operator-=(T& a, float b) { return a = T(float(a) - b); }            \
  inline T& operator*=(T& a, float b) { return a = T(float(a) * b); }            \
  inline T& operator/=(T& a, float b) { return a = T(float(a) / b); }
KILN_HALF_OPS(Half)
KILN_HALF_OPS(BFloat16)
#undef KILN_HALF_OPS
#undef KILN_HALF_CMPOP
#undef KILN_HALF_BINOP

// The type kernels compute in: float for the half types, the type itself otherwise.
template <typename T> struct OpMath { using type = T; };
template <> struct OpMath<Half> { using type = float; };
template <> struct OpMath<BFloat16> { using type = float; };
template <typename T> using opmath_t = typename OpMath<T>::type;

}  // namespace kiln

namespace std {
template <>
class numeric_limits<kiln::Half> {
 public:
  static constexpr bool is_specialized = true;
  static constexpr bool is_signed = true;
  static constexpr bool has_infinity = true;
  static constexpr bool has_quiet_NaN = true;
  static constexpr int digits = 11;
  static constexpr kiln::Half lowest() { return {0xfbff, kiln::Half::FromBits{}}; }
  static constexpr kiln::Half max() { return {0x7bff, kiln::Half::FromBits{}}; }
  static constexpr kiln::Half min() { return {0x0400, kiln::Half::FromBits{}}; }
  static constexpr kiln::Half epsilon() { return {0x1400, kiln::Half::FromBits{}}; }
  static constexpr kiln::Half infinity() { return {0x7c00, kiln::Half::FromBits{}}; }
  static constexpr kiln::Half quiet_NaN() { return {0x7e00, kiln::Half::FromBits{}}; }
};
template <>
class numeric_limits<kiln::BFloat16> {
 public:
  static constexpr bool is_specialized = true;
  static constexpr bool is_signed = true;
  static constexpr bool has_infinity = true;
  static constexpr bool has_quiet_NaN = true;
  static constexpr int digits = 8;
  static constexpr kiln::BFloat16 lowest() { return {0xff7f, kiln::BFloat16::FromBits{}}; }
  static constexpr kiln::BFloat16 max() { return {0x7f7f, kiln::BFloat16::FromBits{}}; }
  static constexpr kiln::BFloat16 min() { return {0x0080, kiln::BFloat16::FromBits{}}; }
  static constexpr kiln::BFloat16 epsilon() { return {0x3c00, kiln::BFloat16::FromBits{}}; }
  static constexpr kiln::BFloat16 infinity() { return {0x7f80, kiln::BFloat16::FromBits{}}; }
  static constexpr kiln::BFloat16 quiet_NaN() { return {0x7fc0, kiln::BFloat16::FromBits{}}; }
};
}  // namespace std
