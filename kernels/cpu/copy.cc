#include "kernels/cpu/copy.h"

#include <cstring>

#include "kernels/cpu/loops.h"

namespace kiln::cpu {

// Float to integer conversion as C++ (and PyTorch) does it: truncation; to bool: != 0.
template <typename To, typename From>
inline To convert(From v) {
  if constexpr (std::is_same_v<To, bool>) {
    return static_cast<opmath_t<From>>(v) != opmath_t<From>(0);
  } else if constexpr (std::is_same_v<To, Half> || std::is_same_v<To, BFloat16>) {
    return To(static_cast<float>(static_cast<opmath_t<From>>(v)));
  } else {
    return static_cast<To>(static_cast<opmath_t<From>>(v));
  }
}

void copy(const Tensor& dst, const Tensor& src, bool) {
  if (dst.dtype() == src.dtype() && dst.is_contiguous() && src.is_contiguous() &&
      src.sizes() == dst.sizes()) {
    char* d = static_cast<char*>(dst.raw_data());
    const char* s = static_cast<const char*>(src.raw_data());
    const int64_t es = static_cast<int64_t>(dst.element_size());
    parallel_for(0, dst.numel(), kGrain * 4, [&](int64_t lo, int64_t hi) {
      std::memcpy(d + lo * es, s + lo * es, size_t((hi - lo) * es));
    });
    return;
  }
  KILN_DISPATCH_ALL(dst.dtype(), "copy_", [&]<typename To>() {
    KILN_DISPATCH_ALL(src.dtype(), "copy_", [&]<typename From>() {
      cpu_kernel_typed<To, From>(dst, {&src}, [](From v) { return convert<To, From>(v); });
    });
  });
}

void fill(const Tensor& self, const Scalar& value) {
  KILN_DISPATCH_ALL(self.dtype(), "fill_", [&]<typename scalar_t>() {
    const scalar_t v = scalar_t(value.to<opmath_t<scalar_t>>());
    cpu_kernel_typed<scalar_t>(self, {}, [v]() { return v; });
  });
}

}  // namespace kiln::cpu
