// GradScaler's engine ops on the CPU, against PyTorch's semantics: unscale multiplies every
// tensor (any layout) by inv_scale and flags inf/NaN seen before the multiply; the scale
// update backs off on an inf, grows after growth_interval clean steps (only to a finite
// value), and resets the tracker; bad arguments fail with PyTorch's messages.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "engine/autograd/functions.h"
#include "tests/engine/test_util.h"

namespace kiln {
namespace {

Tensor scalar_f32(double v) { return full({1}, v, DType::kFloat32, kCPU); }

TEST(Amp, UnscaleMultipliesAndFlagsNonFinite) {
  Tensor a = full({3}, 4.0, DType::kFloat32, kCPU);
  Tensor b = full({2, 2}, 8.0, DType::kBFloat16, kCPU);
  Tensor found = scalar_f32(0), inv = scalar_f32(0.25);
  _amp_foreach_non_finite_check_and_unscale_({a, b}, found, inv);
  EXPECT_EQ(values(a), (std::vector<double>{1, 1, 1}));
  EXPECT_EQ(values(b), (std::vector<double>{2, 2, 2, 2}));
  EXPECT_EQ(values(found)[0], 0.0);

  Tensor c = full({2}, std::numeric_limits<double>::infinity(), DType::kFloat32, kCPU);
  _amp_foreach_non_finite_check_and_unscale_({a, c}, found, inv);
  EXPECT_EQ(values(found)[0], 1.0);
  EXPECT_EQ(values(a)[0], 0.25) << "every tensor is still unscaled";
}

TEST(Amp, UnscaleWorksThroughStrides) {
  Tensor base = full({4, 4}, 2.0, DType::kFloat32, kCPU);
  Tensor col = transpose(base, 0, 1);
  Tensor found = scalar_f32(0), inv = scalar_f32(0.5);
  _amp_foreach_non_finite_check_and_unscale_({col}, found, inv);
  for (double v : values(base)) EXPECT_EQ(v, 1.0);
}

TEST(Amp, UpdateScaleBacksOffGrowsAndResets) {
  Tensor scale = scalar_f32(65536), tracker = zeros({1}, DType::kInt32, kCPU);
  Tensor clean = scalar_f32(0), inf = scalar_f32(1);
  _amp_update_scale_(scale, tracker, inf, 2.0, 0.5, 3);
  EXPECT_EQ(values(scale)[0], 32768);
  EXPECT_EQ(values(tracker)[0], 0);
  _amp_update_scale_(scale, tracker, clean, 2.0, 0.5, 3);
  _amp_update_scale_(scale, tracker, clean, 2.0, 0.5, 3);
  EXPECT_EQ(values(tracker)[0], 2);
  EXPECT_EQ(values(scale)[0], 32768);
  _amp_update_scale_(scale, tracker, clean, 2.0, 0.5, 3);
  EXPECT_EQ(values(scale)[0], 65536);
  EXPECT_EQ(values(tracker)[0], 0);
  // Growth to inf is refused (the scale stays), the tracker still resets.
  Tensor big = scalar_f32(3e38);
  Tensor t2 = full({1}, 2, DType::kInt32, kCPU);
  _amp_update_scale_(big, t2, clean, 2.0, 0.5, 3);
  EXPECT_FLOAT_EQ(float(values(big)[0]), 3e38f);
  EXPECT_EQ(values(t2)[0], 0);
}

TEST(Amp, BadArgumentsFail) {
  Tensor a = full({3}, 1.0, DType::kFloat32, kCPU);
  EXPECT_HAS(error_of([&] {
               _amp_foreach_non_finite_check_and_unscale_({a}, full({1}, 0, DType::kFloat64, kCPU),
                                                          scalar_f32(1));
             }),
             "found_inf must be a float32 tensor");
  EXPECT_HAS(error_of([&] {
               _amp_foreach_non_finite_check_and_unscale_({a}, scalar_f32(0),
                                                          full({2}, 1, DType::kFloat32, kCPU));
             }),
             "inv_scale must be a 1-element tensor");
  EXPECT_HAS(error_of([&] {
               _amp_update_scale_(scalar_f32(1), zeros({1}, DType::kInt64, kCPU), scalar_f32(0),
                                  2.0, 0.5, 3);
             }),
             "growth_tracker must be a int32 tensor");
}

}  // namespace
}  // namespace kiln
