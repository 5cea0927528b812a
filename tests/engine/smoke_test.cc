#include <gtest/gtest.h>

#include "engine/autograd/engine.h"
#include "engine/autograd/functions.h"
#include "engine/autograd/operators.h"

namespace kiln {
namespace {

TEST(Smoke, AddBackwardAndPrint) {
  Tensor a = full({2, 3}, 2.0);
  Tensor b = ones({3});
  a.set_requires_grad(true);
  b.set_requires_grad(true);
  Tensor c = sum(a * b + a);
  EXPECT_EQ(c.item().to_double(), 24.0);
  backward(c);
  EXPECT_EQ(a.grad().str(), "tensor([[2., 2., 2.],\n        [2., 2., 2.]])");
  EXPECT_EQ(b.grad().str(), "tensor([4., 4., 4.])");
  EXPECT_EQ(c.str(), "tensor(24., grad_fn=<SumBackward0>)");
}

TEST(Smoke, Promotion) {
  Tensor i = full({2}, 3);
  EXPECT_EQ(i.dtype(), DType::kInt64);
  Tensor f = i * 2.5;
  EXPECT_EQ(f.dtype(), DType::kFloat32);
  EXPECT_EQ(f.str(), "tensor([7.5000, 7.5000])");
}

}  // namespace
}  // namespace kiln
