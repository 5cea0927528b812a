// float32 elementwise math as plain arithmetic, so GCC vectorizes the loops that call it
// (libm's expf, tanhf, erff are opaque calls and keep a loop scalar). Every function is
// branch-free: special cases are computed alongside and picked with selects, which GCC turns
// into vector blends. Accuracy is a few ulp over the whole range, specials (NaN, +-inf, -0.0,
// overflow, underflow) as libm gives them. float64 callers use std:: (no vector need there).
//
// GCC if-converts these selects only under -fno-trapping-math (a float compare may trap, and
// jump threading makes some compares conditional): files whose loops call this start with
// `#pragma GCC optimize("no-trapping-math")` before any include. Kiln never unmasks FP traps.
//
// The polynomial coefficients were fitted for Kiln (least squares on Chebyshev nodes in
// float64, tools in the unary family's commit message); the exp reduction is textbook
// (x = n ln2 + r, |r| <= ln2/2, Taylor to r^7).
#pragma once

#include <bit>
#include <cstdint>

namespace kiln::cpu::vec {

// 2^n for integer n in [-252, 254], as two normal factors (2^n alone underflows below -126).
inline float ldexp_split(float p, int32_t n) {
  const int32_t n1 = n >> 1;
  const int32_t n2 = n - n1;
  const float s1 = std::bit_cast<float>((n1 + 127) << 23);
  const float s2 = std::bit_cast<float>((n2 + 127) << 23);
  return p * s1 * s2;
}

inline float exp(float x) {
  // Past these exp over/underflows anyway; clamping keeps n small. NaN passes both tests.
  x = x > 88.8f ? 88.8f : x;
  x = x < -104.0f ? -104.0f : x;
  // n = round(x / ln2) by the 1.5 * 2^23 trick: the integer lands in t's low mantissa bits.
  constexpr float kShift = 12582912.0f;
  const float t = x * 1.44269504088896341f + kShift;
  const int32_t n = std::bit_cast<int32_t>(t) - std::bit_cast<int32_t>(kShift);
  const float nf = t - kShift;
  float r = x - nf * 0.693145751953125f;  // ln2 split: the high part has 15 bits, so
  r = r - nf * 1.428606765330187e-06f;    // nf * hi is exact
  float p = 1.0f / 5040.0f;
  p = p * r + 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  return ldexp_split(p, n);
}

inline float log(float x) {
  // x = m * 2^e with m in [sqrt(1/2), sqrt(2)); log x = log1p(m - 1) + e ln2. Subnormals are
  // scaled into the normal range first.
  const bool sub = x < 1.17549435e-38f;
  const float xs = sub ? x * 8388608.0f : x;
  const int32_t bits = std::bit_cast<int32_t>(xs);
  int32_t e = ((bits >> 23) & 0xff) - 127 - (sub ? 23 : 0);
  int32_t mbits = (bits & 0x007fffff) | 0x3f800000;
  const bool big = mbits > 0x3fb504f3;  // m > sqrt(2): halve it
  mbits = big ? mbits - 0x00800000 : mbits;
  e = big ? e + 1 : e;
  const float f = std::bit_cast<float>(mbits) - 1.0f;
  float q = 0.07149751771854695f;
  q = q * f - 0.11571201543989111f;
  q = q * f + 0.11661512341052732f;
  q = q * f - 0.12411050607327505f;
  q = q * f + 0.14249936364595187f;
  q = q * f - 0.166684802401688f;
  q = q * f + 0.20000707485789723f;
  q = q * f - 0.24999989048763563f;
  q = q * f + 0.33333331190762905f;
  const float f2 = f * f;
  const float ef = static_cast<float>(e);
  float r = f2 * f * q - 0.5f * f2 + ef * 1.428606765330187e-06f;
  r = r + f + ef * 0.693145751953125f;
  // Specials: log(+inf) = inf, log(0) = -inf, log(<0) = NaN, NaN stays NaN.
  r = x == __builtin_inff() ? x : r;
  r = x == 0.0f ? -__builtin_inff() : r;
  r = x < 0.0f ? __builtin_nanf("") : r;
  return x != x ? x : r;
}

inline float tanh(float x) {
  const float a = x < 0.0f ? -x : x;
  // |x| < 0.625: an odd polynomial (1 - 2 / (e^2x + 1) cancels there).
  const float z = x * x;
  float p = 0.0022954991960876074f;
  p = p * z - 0.008346613039648601f;
  p = p * z + 0.02176981737991998f;
  p = p * z - 0.05395938137795306f;
  p = p * z + 0.1333330410675001f;
  p = p * z - 0.3333333317450838f;
  const float small = x + x * (z * p);
  // Otherwise 1 - 2 / (e^2|x| + 1); e^2|x| = inf gives exactly 1.
  float big = 1.0f - 2.0f / (exp(2.0f * a) + 1.0f);
  big = x < 0.0f ? -big : big;
  return a < 0.625f ? (x == 0.0f ? x : small) : big;  // keeps tanh(-0) = -0
}

inline float sigmoid(float x) { return 1.0f / (1.0f + exp(-x)); }

inline float erf(float x) {
  const float a0 = x < 0.0f ? -x : x;
  float a = a0;
  // |x| < 1: x * P(x^2).
  const float z = x * x;
  float p = -9.673591193859465e-06f;
  p = p * z + 0.00011268253729213029f;
  p = p * z - 0.0008484396385028958f;
  p = p * z + 0.005221053492277861f;
  p = p * z - 0.026865437626838684f;
  p = p * z + 0.11283782869577408f;
  p = p * z - 0.37612637877464294f;
  p = p * z + 1.128379225730896f;
  const float small = x * p;
  // 1 <= |x| <= 4: erfc(a) = exp(-a^2 + Q(a)), Q smooth, fitted in t = a - 2.5. Beyond 4,
  // erfc(4) = 1.5e-8 is below half an ulp of 1.
  a = a > 4.0f ? 4.0f : a;
  const float t = a - 2.5f;
  float q = -4.104854251337073e-08f;
  q = q * t - 6.58285813622915e-08f;
  q = q * t + 1.8449596620519495e-06f;
  q = q * t - 1.2976133195217072e-05f;
  q = q * t + 7.693984499327722e-05f;
  q = q * t - 0.00042070693904020976f;
  q = q * t + 0.0021655255976666147f;
  q = q * t - 0.010858165530447245f;
  q = q * t + 0.05610625699024864f;
  q = q * t - 0.3526807403854761f;
  q = q * t - 1.556815272428753f;
  float big = 1.0f - exp(q - a * a);
  big = x < 0.0f ? -big : big;
  return a0 < 1.0f ? small : big;
}

}  // namespace kiln::cpu::vec
