// torch.autocast's cast policy, checked on the CPU (the policy is the same table for every
// device type): lower-precision ops run in the autocast dtype, fp32 ops in float32, promote
// ops in the widest input dtype; float64 and other device types are left alone; gradients
// flow back to the inputs' own dtypes; the guard nests and restores.
#include <gtest/gtest.h>

#include "engine/autograd/autocast.h"
#include "engine/autograd/engine.h"
#include "engine/autograd/functions.h"
#include "tests/engine/test_util.h"

namespace kiln {
namespace {

using autocast::AutocastGuard;

Tensor filled(IntList shape, double v, DType dtype) { return full(shape, v, dtype, kCPU); }

TEST(Autocast, LowerPrecisionOpsRunInTheAutocastDtype) {
  const Tensor a = filled({2, 3}, 0.5, DType::kFloat32), b = filled({3, 4}, 0.25, DType::kFloat32);
  {
    AutocastGuard guard(DeviceType::kCPU, DType::kBFloat16);
    EXPECT_EQ(mm(a, b).dtype(), DType::kBFloat16);
    EXPECT_EQ(matmul(a, b).dtype(), DType::kBFloat16) << "a composite casts through its mm";
    EXPECT_EQ(linear(a, filled({5, 3}, 1, DType::kFloat32), Tensor()).dtype(), DType::kBFloat16);
    EXPECT_EQ(values(mm(a, b))[0], 0.375);
  }
  EXPECT_EQ(mm(a, b).dtype(), DType::kFloat32) << "the guard restores the state";
}

TEST(Autocast, Float32OpsUpcastHalfInputs) {
  AutocastGuard guard(DeviceType::kCPU, DType::kBFloat16);
  const Tensor x = filled({2, 3}, 1, DType::kBFloat16);
  EXPECT_EQ(softmax(x, -1).dtype(), DType::kFloat32);
  EXPECT_EQ(log_softmax(x, -1).dtype(), DType::kFloat32);
  EXPECT_EQ(layer_norm(x, {3}).dtype(), DType::kFloat32);
  const Tensor t = zeros({2}, DType::kInt64, kCPU);
  EXPECT_EQ(cross_entropy(x, t).dtype(), DType::kFloat32);
}

TEST(Autocast, PromoteOpsUseTheWidestInput) {
  AutocastGuard guard(DeviceType::kCPU, DType::kBFloat16);
  EXPECT_EQ(dot(filled({3}, 1, DType::kBFloat16), filled({3}, 1, DType::kFloat32)).dtype(),
            DType::kFloat32);
  EXPECT_EQ(dot(filled({3}, 1, DType::kBFloat16), filled({3}, 1, DType::kFloat16)).dtype(),
            DType::kFloat32);
}

TEST(Autocast, Float64AndOtherDevicesAreLeftAlone) {
  const Tensor a = filled({2, 2}, 1, DType::kFloat64);
  {
    AutocastGuard guard(DeviceType::kCPU, DType::kBFloat16);
    EXPECT_EQ(mm(a, a).dtype(), DType::kFloat64);
  }
  {
    AutocastGuard guard(DeviceType::kCUDA, DType::kFloat16);
    const Tensor f = filled({2, 2}, 1, DType::kFloat32);
    EXPECT_EQ(mm(f, f).dtype(), DType::kFloat32) << "cuda autocast does not touch cpu tensors";
  }
}

TEST(Autocast, GradientsReachTheInputsInTheirOwnDtype) {
  const Tensor a = filled({2, 3}, 0.5, DType::kFloat32), b = filled({3, 4}, 0.25, DType::kFloat32);
  a.set_requires_grad(true);
  b.set_requires_grad(true);
  Tensor y;
  {
    AutocastGuard guard(DeviceType::kCPU, DType::kBFloat16);
    y = sum(mm(a, b));
  }
  const std::vector<Tensor> g = grad({y}, {a, b}, {}, std::nullopt, false, false);
  ASSERT_TRUE(g[0].defined() && g[1].defined());
  EXPECT_EQ(g[0].dtype(), DType::kFloat32);
  EXPECT_EQ(g[1].dtype(), DType::kFloat32);
  EXPECT_EQ(values(g[0])[0], 1.0);  // sum over 4 columns of b (0.25 each)
}

TEST(Autocast, GuardsNestAndDisable) {
  const Tensor a = filled({2, 2}, 1, DType::kFloat32);
  AutocastGuard outer(DeviceType::kCPU, DType::kBFloat16);
  {
    AutocastGuard inner(DeviceType::kCPU, DType::kFloat16, /*enabled=*/false);
    EXPECT_FALSE(autocast::is_enabled(DeviceType::kCPU));
    EXPECT_EQ(mm(a, a).dtype(), DType::kFloat32);
  }
  EXPECT_TRUE(autocast::is_enabled(DeviceType::kCPU));
  EXPECT_EQ(mm(a, a).dtype(), DType::kBFloat16);
  EXPECT_HAS(error_of([] { AutocastGuard g(DeviceType::kCPU, DType::kFloat32); }),
             "only float16 and bfloat16");
}

}  // namespace
}  // namespace kiln
