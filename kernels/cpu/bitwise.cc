// Logical ops (on inputs already reduced to bool) and bitwise ops on integers and bool.
#include <type_traits>

#include "kernels/cpu/binary.h"
#include "kernels/cpu/loops.h"

namespace kiln::cpu {

void logical_and(const Tensor& out, const Tensor& a, const Tensor& b) {
  binary_kernel<bool>(out, a, b, [](bool x, bool y) { return bool(x & y); });
}
void logical_or(const Tensor& out, const Tensor& a, const Tensor& b) {
  binary_kernel<bool>(out, a, b, [](bool x, bool y) { return bool(x | y); });
}
void logical_xor(const Tensor& out, const Tensor& a, const Tensor& b) {
  binary_kernel<bool>(out, a, b, [](bool x, bool y) { return bool(x ^ y); });
}

void bitwise_and(const Tensor& out, const Tensor& a, const Tensor& b) {
  KILN_DISPATCH_INTEGRAL_AND_BOOL(out.dtype(), "bitwise_and", [&]<typename T>() {
    binary_kernel<T>(out, a, b, [](T x, T y) { return T(x & y); });
  });
}
void bitwise_or(const Tensor& out, const Tensor& a, const Tensor& b) {
  KILN_DISPATCH_INTEGRAL_AND_BOOL(out.dtype(), "bitwise_or", [&]<typename T>() {
    binary_kernel<T>(out, a, b, [](T x, T y) { return T(x | y); });
  });
}
void bitwise_xor(const Tensor& out, const Tensor& a, const Tensor& b) {
  KILN_DISPATCH_INTEGRAL_AND_BOOL(out.dtype(), "bitwise_xor", [&]<typename T>() {
    binary_kernel<T>(out, a, b, [](T x, T y) { return T(x ^ y); });
  });
}

// Shifts by a negative amount or by the bit width or more are undefined in C++ (and differ
// between PyTorch's scalar and vector paths); Kiln defines them as shifting every bit out.
void bitwise_left_shift(const Tensor& out, const Tensor& a, const Tensor& b) {
  KILN_DISPATCH_INTEGRAL(out.dtype(), "bitwise_left_shift", [&]<typename T>() {
    using U = std::make_unsigned_t<T>;
    constexpr T kBits = T(sizeof(T) * 8);
    binary_kernel<T>(out, a, b, [](T x, T y) {
      const bool in_range = y >= T(0) && y < kBits;
      return in_range ? T(U(U(x) << (in_range ? y : 0))) : T(0);
    });
  });
}
void bitwise_right_shift(const Tensor& out, const Tensor& a, const Tensor& b) {
  KILN_DISPATCH_INTEGRAL(out.dtype(), "bitwise_right_shift", [&]<typename T>() {
    constexpr T kBits = T(sizeof(T) * 8);
    binary_kernel<T>(out, a, b, [](T x, T y) {
      const bool in_range = y >= T(0) && y < kBits;
      if constexpr (std::is_signed_v<T>) {
        return T(x >> (in_range ? y : T(kBits - 1)));  // the sign fills every bit
      } else {
        return in_range ? T(x >> y) : T(0);
      }
    });
  });
}

}  // namespace kiln::cpu
