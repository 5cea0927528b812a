// GradScaler's unscale-with-inf-check and scale update, as PyTorch's kernels do them: the
// multiply happens in the tensor's compute type with inv_scale as float, and the check looks
// at each value before it is scaled.
#include "kernels/cpu/amp.h"

#include <cmath>

#include "kernels/cpu/loops.h"

namespace kiln::cpu {

void amp_non_finite_check_and_unscale(const std::vector<Tensor>& self, const Tensor& found_inf,
                                      const Tensor& inv_scale) {
  const float inv = *inv_scale.data_ptr<float>();
  bool bad = false;
  for (const Tensor& t : self) {
    if (t.numel() == 0) continue;
    KILN_DISPATCH_FLOATING(t.dtype(), "_amp_foreach_non_finite_check_and_unscale_",
                           [&]<typename T>() {
      using M = opmath_t<T>;
      // The check first (serial, through any layout), then the multiply in place.
      bad = bad || any_of<T>(t, [](T x) { return !std::isfinite(double(M(x))); });
      if (inv != 1.0f) unary_kernel<T>(t, t, [inv](T x) { return T(M(x) * M(inv)); });
    });
  }
  if (bad) *found_inf.data_ptr<float>() = 1.0f;
}

void amp_update_scale(const Tensor& scale, const Tensor& growth_tracker, const Tensor& found_inf,
                      double growth_factor, double backoff_factor, int64_t growth_interval) {
  float* s = scale.data_ptr<float>();
  int32_t* tracker = growth_tracker.data_ptr<int32_t>();
  if (*found_inf.data_ptr<float>() != 0.0f) {
    *s = *s * float(backoff_factor);
    *tracker = 0;
    return;
  }
  const int32_t successful = *tracker + 1;
  if (successful == growth_interval) {
    const float grown = *s * float(growth_factor);
    if (std::isfinite(grown)) *s = grown;
    *tracker = 0;
  } else {
    *tracker = successful;
  }
}

}  // namespace kiln::cpu
