// Binary ops: the error cases the sample sweep cannot express (message text, errors PyTorch
// crashes on), gradients at points finite differences cannot check, and strided inputs.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "engine/autograd/engine.h"
#include "engine/autograd/functions.h"
#include "engine/autograd/operators.h"
#include "tests/engine/test_util.h"

namespace kiln {
namespace {

Tensor f64(const std::vector<double>& v) {
  Tensor t = empty_tensor({int64_t(v.size())}, DType::kFloat64);
  for (size_t i = 0; i < v.size(); ++i) t.data_ptr<double>()[i] = v[i];
  return t;
}

Tensor i64(const std::vector<int64_t>& v) {
  Tensor t = empty_tensor({int64_t(v.size())}, DType::kInt64);
  for (size_t i = 0; i < v.size(); ++i) t.data_ptr<int64_t>()[i] = v[i];
  return t;
}

TEST(Binary, ShapeMismatchNamesOpAndShapes) {
  const Tensor a = ones({2, 3}), b = ones({4});
  for (const auto& [op, msg] : std::vector<std::pair<std::string, std::string>>{
           {"add", error_of([&] { add(a, b); })},
           {"lt", error_of([&] { lt(a, b); })},
           {"pow", error_of([&] { pow(a, b); })},
           {"maximum", error_of([&] { maximum(a, b); })},
           {"bitwise_and", error_of([&] { bitwise_and(to(a, std::nullopt, DType::kInt64, false), i64({1, 2, 3, 4})); })},
           {"lerp", error_of([&] { lerp(a, b, 0.5); })},
           {"where", error_of([&] { where(to(ones({2, 3}), std::nullopt, DType::kBool, false), a, b); })},
           {"addcmul", error_of([&] { addcmul(a, a, b); })}}) {
    EXPECT_HAS(msg, op + ":");
    EXPECT_HAS(msg, "[2, 3]");
    EXPECT_HAS(msg, "[4]");
  }
}

TEST(Binary, OutDtypeMustBeCastable) {
  const Tensor a = ones({3}), b = ones({3});
  const std::string msg = error_of([&] { add_out(empty_tensor({3}, DType::kInt64), a, b); });
  EXPECT_HAS(msg, "add: result type float32 can't be cast to the desired output type int64");
  // A bool comparison result fits any out dtype; int into float is fine too.
  Tensor out = empty_tensor({0}, DType::kFloat32);
  lt_out(out, f64({1, 3}), f64({2, 2}));
  EXPECT_EQ(out.sizes(), Shape({2}));  // resized
  EXPECT_EQ(values(out), (std::vector<double>{1, 0}));
  EXPECT_HAS(error_of([&] { div_out(empty_tensor({2}, DType::kInt64), i64({1, 2}), i64({2, 2})); }),
              "div: result type float32 can't be cast");
}

TEST(Binary, InplaceResultTypeAndShape) {
  Tensor i = i64({1, 2, 3});
  EXPECT_HAS(error_of([&] { add_(i, ones({3})); }), "add: result type float32 can't be cast to the desired output type int64");
  EXPECT_HAS(error_of([&] { pow_(i, 2.5); }), "pow: result type float32");
  EXPECT_HAS(error_of([&] { mul_(ones({3}), ones({2, 3})); }),
              "mul: output with shape [3] doesn't match the broadcast shape [2, 3]");
  EXPECT_EQ(values(i), (std::vector<double>{1, 2, 3}));  // untouched by the failed calls
  // A comparison in place writes 0/1 in self's dtype.
  lt_(i, wrapped_scalar(2.5));
  EXPECT_EQ(i.dtype(), DType::kInt64);
  EXPECT_EQ(values(i), (std::vector<double>{1, 1, 0}));
}

TEST(Binary, BitwiseRejectsFloats) {
  const Tensor f = ones({3});
  EXPECT_HAS(error_of([&] { bitwise_and(f, f); }),
              "bitwise_and: \"bitwise_and_cpu\" not implemented for 'Float'");
  EXPECT_HAS(error_of([&] { bitwise_xor(i64({1}), wrapped_scalar(1.5)); }),
              "\"bitwise_xor_cpu\" not implemented for 'Float'");
  EXPECT_HAS(error_of([&] { bitwise_left_shift(to(f, std::nullopt, DType::kBool, false), f); }),
              "\"lshift_cpu\" not implemented for 'Float'");
  const Tensor b = to(f, std::nullopt, DType::kBool, false);
  EXPECT_HAS(error_of([&] { bitwise_right_shift(b, b); }),
              "\"rshift_cpu\" not implemented for 'Bool'");
}

TEST(Binary, WhereConditionMustBeBool) {
  const Tensor x = ones({3});
  EXPECT_HAS(error_of([&] { where(i64({1, 0, 1}), x, x); }),
              "where: expected condition to be a boolean tensor, but got a tensor with "
                        "dtype int64");
  EXPECT_HAS(error_of([&] { where(x, x, x); }), "dtype float32");
  // uint8 is still accepted (deprecated in PyTorch 1.13).
  Tensor c = to(i64({1, 0, 2}), std::nullopt, DType::kUInt8, false);
  EXPECT_EQ(values(where(c, f64({1, 2, 3}), f64({-1, -2, -3}))), (std::vector<double>{1, -2, 3}));
}

TEST(Binary, IntegerDivisionNeverTraps) {
  // PyTorch dies with SIGFPE here; the daemon must not. The quotient wraps.
  const int64_t lo = std::numeric_limits<int64_t>::min();
  const Tensor a = i64({lo, 7}), b = i64({-1, -1});
  EXPECT_EQ(div(a, b, std::string("trunc")).data_ptr<int64_t>()[0], lo);
  EXPECT_EQ(div(a, b, std::string("floor")).data_ptr<int64_t>()[0], lo);
  EXPECT_EQ(div(a, b, std::string("floor")).data_ptr<int64_t>()[1], -7);
  EXPECT_EQ(values(remainder(a, b)), (std::vector<double>{0, 0}));
  EXPECT_EQ(values(fmod(a, b)), (std::vector<double>{0, 0}));
  EXPECT_HAS(error_of([&] { remainder(a, i64({0, 1})); }), "ZeroDivisionError");
  EXPECT_HAS(error_of([&] { fmod(a, wrapped_scalar(0)); }), "ZeroDivisionError");
}

TEST(Binary, DivRoundingModeCheckedUpFront) {
  EXPECT_HAS(error_of([&] { div(ones({3}), ones({3}), std::string("round")); }),
             "div: expected rounding_mode to be one of None, 'trunc', or 'floor' but found 'round'");
  EXPECT_HAS(error_of([&] { div(ones({3}), ones({3}), std::string("")); }), "but found ''");
}

TEST(Binary, ShiftsOutOfRange) {
  const Tensor x = i64({1, -16, 1, -16});
  const Tensor s = i64({64, 70, -1, -1});
  EXPECT_EQ(values(bitwise_left_shift(x, s)), (std::vector<double>{0, 0, 0, 0}));
  EXPECT_EQ(values(bitwise_right_shift(x, s)), (std::vector<double>{0, -1, 0, -1}));
}

TEST(Binary, PythonScalarPromotion) {
  // int_tensor < 2.5 compares in float; uint8 + 300 wraps (300 is 44 in uint8).
  EXPECT_EQ(values(lt(i64({1, 2, 3}), wrapped_scalar(2.5))), (std::vector<double>{1, 1, 0}));
  Tensor u = to(i64({1, 2, 250}), std::nullopt, DType::kUInt8, false);
  Tensor r = add(u, wrapped_scalar(300));
  EXPECT_EQ(r.dtype(), DType::kUInt8);
  EXPECT_EQ(values(r), (std::vector<double>{45, 46, 38}));
  EXPECT_HAS(error_of([&] { pow(u, Scalar(300)); }),
              "pow: value cannot be converted to type uint8 without overflow");
  EXPECT_HAS(error_of([&] { pow(i64({2}), Scalar(-1)); }),
              "Integers to negative integer powers are not allowed.");
  EXPECT_EQ(pow(Scalar(2), i64({3})).dtype(), DType::kInt64);
  EXPECT_EQ(pow(Scalar(2.5), i64({3})).dtype(), DType::kFloat32);
}

TEST(Binary, PowGradientAtZeroBase) {
  // At base 0 and exponent 0 the exponent's gradient is 0 (finite differences see -inf).
  Tensor x = f64({0, 0, 0, 2}), e = f64({0, 1, -1, 0});
  x.set_requires_grad(true);
  e.set_requires_grad(true);
  auto g = grad({sum(pow(x, e))}, {x, e});
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(values(g[0]), (std::vector<double>{0, 1, -inf, 0}));
  const std::vector<double> ge = values(g[1]);
  EXPECT_EQ(ge[0], 0);
  EXPECT_EQ(ge[1], 0);
  EXPECT_EQ(ge[2], -inf);
  EXPECT_NEAR(ge[3], std::log(2.0), 1e-15);
  // pow(0, e): 0 for e >= 0.
  Tensor e2 = f64({0, 1, -1});
  e2.set_requires_grad(true);
  auto g2 = grad({sum(pow(Scalar(0), e2))}, {e2});
  EXPECT_EQ(values(g2[0]), (std::vector<double>{0, 0, -inf}));
}

TEST(Binary, MaximumTiesSplitTheGradient) {
  Tensor a = f64({1, 2, 3}), b = f64({1, 1, 4});
  a.set_requires_grad(true);
  b.set_requires_grad(true);
  auto g = grad({sum(maximum(a, b))}, {a, b});
  EXPECT_EQ(values(g[0]), (std::vector<double>{0.5, 1, 0}));
  EXPECT_EQ(values(g[1]), (std::vector<double>{0.5, 0, 1}));
  auto h = grad({sum(minimum(a, b))}, {a, b});
  EXPECT_EQ(values(h[0]), (std::vector<double>{0.5, 0, 1}));
  EXPECT_EQ(values(h[1]), (std::vector<double>{0.5, 1, 0}));
}

TEST(Binary, FmaxGradientGoesToSelfOnTiesAndToTheNonNaN) {
  // PyTorch 1.13: fmax/fmin give a tie wholly to self, and the gradient to whichever input
  // is not NaN (finite differences cannot see either).
  const double nan = std::numeric_limits<double>::quiet_NaN();
  Tensor a = f64({1, 2, 3, nan, 1}), b = f64({1, 1, 4, 1, nan});
  a.set_requires_grad(true);
  b.set_requires_grad(true);
  auto g = grad({sum(fmax(a, b))}, {a, b});
  EXPECT_EQ(values(g[0]), (std::vector<double>{1, 1, 0, 0, 1}));
  EXPECT_EQ(values(g[1]), (std::vector<double>{0, 0, 1, 1, 0}));
  auto h = grad({sum(fmin(a, b))}, {a, b});
  EXPECT_EQ(values(h[0]), (std::vector<double>{1, 0, 1, 0, 1}));
  EXPECT_EQ(values(h[1]), (std::vector<double>{0, 1, 0, 1, 0}));
}

TEST(Binary, CopysignGradientIsZeroAtZero) {
  Tensor a = f64({1, -2, 0, 0}), b = f64({-1, 0, -1, 1});
  a.set_requires_grad(true);
  b.set_requires_grad(true);
  auto g = grad({sum(copysign(a, b))}, {a, b});
  EXPECT_EQ(values(g[0]), (std::vector<double>{-1, -1, 0, 0}));
  EXPECT_EQ(values(g[1]), (std::vector<double>{0, 0, 0, 0}));
}

TEST(Binary, StridedAndBroadcastInputsMatchContiguous) {
  // Transposed and expanded operands take loops.h's strided path; the sweep's are contiguous.
  Tensor base = reshape(f64({3, -1, 4, 1, -5, 9, 2, -6, 5, 3, -5, 8}), {3, 4});
  Tensor t = transpose(base, 0, 1);  // (4, 3), not contiguous
  Tensor tc = contiguous(t);
  Tensor row = f64({1, -1, 4});
  Tensor cond = gt(t, wrapped_scalar(0));
  EXPECT_EQ(values(lt(t, row)), values(lt(tc, row)));
  EXPECT_EQ(values(where(cond, t, row)), values(where(contiguous(cond), tc, row)));
  EXPECT_EQ(values(maximum(t, row)), values(maximum(tc, row)));
  EXPECT_EQ(values(addcmul(t, t, row, 2)), values(addcmul(tc, tc, row, 2)));
  EXPECT_EQ(values(pow(t, Scalar(2))), values(pow(tc, Scalar(2))));
}

TEST(Binary, LargeInputsSplitAcrossThreads) {
  // Above the grain size, so the loop runs in chunks; the result must not depend on it.
  const int64_t n = 1 << 17;
  Tensor a = empty_tensor({n}, DType::kFloat32), b = empty_tensor({n}, DType::kFloat32);
  for (int64_t i = 0; i < n; ++i) {
    a.data_ptr<float>()[i] = float(i % 7) - 3;
    b.data_ptr<float>()[i] = float(i % 5) - 2;
  }
  Tensor c = lt(a, b), w = where(c, a, b);
  for (int64_t i = 0; i < n; i += 997) {
    const float x = a.data_ptr<float>()[i], y = b.data_ptr<float>()[i];
    ASSERT_EQ(c.data_ptr<bool>()[i], x < y);
    ASSERT_EQ(w.data_ptr<float>()[i], x < y ? x : y);
  }
}

}  // namespace
}  // namespace kiln
