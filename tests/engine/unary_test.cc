// Unary ops: what the sample sweep cannot express: the float32 fast paths (vec_math.h) over
// millions of points against libm, signed zeros, integer wrap-around, error messages, and
// gradients at the kinks where finite differences are undefined.
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

template <typename T, DType D>
Tensor make(const std::vector<T>& v) {
  Tensor t = empty_tensor({int64_t(v.size())}, D);
  for (size_t i = 0; i < v.size(); ++i) t.data_ptr<T>()[i] = v[i];
  return t;
}
Tensor f32(const std::vector<float>& v) { return make<float, DType::kFloat32>(v); }
Tensor f64(const std::vector<double>& v) { return make<double, DType::kFloat64>(v); }

// Every float32 in [lo, hi) on a fine grid, through the op, against the float64 reference:
// at most `ulps` units in the last place (plus a tiny absolute slack near zero).
template <typename Op, typename Ref>
void check_f32(const char* name, Op op, Ref ref, float lo, float hi, double ulps,
               double abs_slack = 0) {
  const int n = 1 << 20;
  std::vector<float> xs(n);
  for (int i = 0; i < n; ++i) xs[i] = lo + (hi - lo) * (float(i) / n);
  Tensor out = op(f32(xs));
  const float* r = out.data_ptr<float>();
  for (int i = 0; i < n; ++i) {
    const double e = ref(double(xs[i]));
    const float ef = float(e);
    if (std::isnan(e) || std::isinf(ef)) {
      ASSERT_TRUE(std::isnan(e) ? std::isnan(r[i]) : r[i] == ef) << name << "(" << xs[i] << ")";
      continue;
    }
    const double ulp = std::nextafter(std::fabs(ef), INFINITY) - std::fabs(ef);
    ASSERT_LE(std::fabs(r[i] - e), ulps * std::max(ulp, 1e-45) + abs_slack)
        << name << "(" << xs[i] << ") = " << r[i] << ", expected " << e;
  }
}

TEST(Unary, Float32FastPathsMatchLibm) {
  check_f32("exp", [](const Tensor& t) { return exp(t); }, [](double x) { return std::exp(x); },
            -110.f, 95.f, 2);
  check_f32("log", [](const Tensor& t) { return log(t); }, [](double x) { return std::log(x); },
            -1.f, 1000.f, 2);
  check_f32("log", [](const Tensor& t) { return log(t); }, [](double x) { return std::log(x); },
            1e-44f, 1e-36f, 2);  // subnormals
  check_f32("tanh", [](const Tensor& t) { return tanh(t); }, [](double x) { return std::tanh(x); },
            -12.f, 12.f, 3);
  check_f32("sigmoid", [](const Tensor& t) { return sigmoid(t); },
            [](double x) { return 1 / (1 + std::exp(-x)); }, -80.f, 80.f, 3);
  check_f32("erf", [](const Tensor& t) { return erf(t); }, [](double x) { return std::erf(x); },
            -6.f, 6.f, 4);
  check_f32("gelu", [](const Tensor& t) { return gelu(t); },
            [](double x) { return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0))); }, -8.f, 8.f, 4,
            1e-7);
}

TEST(Unary, SpecialValues) {
  const float inf = std::numeric_limits<float>::infinity(), nan = std::nanf("");
  Tensor x = f32({nan, inf, -inf, -0.0f, 0.0f, 100.f, -110.f});
  std::vector<double> e = values(exp(x));
  EXPECT_TRUE(std::isnan(e[0]));
  EXPECT_EQ(e[1], inf);
  EXPECT_EQ(e[2], 0.0);
  EXPECT_EQ(e[3], 1.0);
  EXPECT_EQ(e[5], inf);  // overflows
  EXPECT_EQ(e[6], 0.0);  // underflows
  std::vector<double> l = values(log(f32({0.0f, -1.0f, inf, nan})));
  EXPECT_EQ(l[0], -inf);
  EXPECT_TRUE(std::isnan(l[1]));
  EXPECT_EQ(l[2], inf);
  EXPECT_TRUE(std::isnan(l[3]));
  // Odd functions keep the sign of zero.
  for (Tensor r : {tanh(x), erf(x), sin(x), gelu(x, "tanh")}) {
    EXPECT_TRUE(std::signbit(values(r)[3])) << r.dtype();
  }
  std::vector<double> t = values(tanh(x));
  EXPECT_EQ(t[1], 1.0);
  EXPECT_EQ(t[2], -1.0);
  // sign of NaN and of -0.0 is +0, as PyTorch gives.
  std::vector<double> s = values(sign(x));
  EXPECT_EQ(s[0], 0.0);
  EXPECT_FALSE(std::signbit(s[3]));
  // relu, clamp and hardtanh let NaN through.
  EXPECT_TRUE(std::isnan(values(relu(x))[0]));
  EXPECT_TRUE(std::isnan(values(clamp(x, Scalar(-1), Scalar(1)))[0]));
  EXPECT_TRUE(std::isnan(values(hardtanh(x))[0]));
  EXPECT_TRUE(std::isnan(values(clamp(x, Scalar(std::nan("")), std::nullopt))[4]));
}

TEST(Unary, IntegerWrapAround) {
  Tensor i8 = make<int8_t, DType::kInt8>({-128, -127, 100});
  EXPECT_EQ(values(abs(i8)), (std::vector<double>{-128, 127, 100}));
  EXPECT_EQ(values(square(i8))[2], 16);  // 10000 mod 256
  const int64_t lo = std::numeric_limits<int64_t>::min();
  Tensor i64 = make<int64_t, DType::kInt64>({lo, -3});
  Tensor a = abs(i64);
  EXPECT_EQ(a.data_ptr<int64_t>()[0], lo);
  EXPECT_EQ(a.data_ptr<int64_t>()[1], 3);
}

TEST(Unary, DtypeRules) {
  Tensor i = make<int64_t, DType::kInt64>({1, 2, 3});
  EXPECT_EQ(exp(i).dtype(), DType::kFloat32);
  EXPECT_EQ(floor(i).dtype(), DType::kInt64);
  EXPECT_EQ(clamp(i, Scalar(0.5), std::nullopt).dtype(), DType::kFloat32);
  EXPECT_EQ(clamp(i, Scalar(0), Scalar(2)).dtype(), DType::kInt64);
  Tensor b = make<bool, DType::kBool>({true, false});
  EXPECT_EQ(square(b).dtype(), DType::kInt64);
  EXPECT_EQ(logical_not(i).dtype(), DType::kBool);
  Tensor h = to(f32({std::numeric_limits<float>::infinity()}), std::nullopt, DType::kFloat16, false);
  EXPECT_EQ(values(nan_to_num(h))[0], 65504.0);  // the dtype's max, not float's
}

TEST(Unary, Errors) {
  Tensor x = f32({1, 2});
  EXPECT_HAS(error_of([&] { clamp(x, std::nullopt, std::nullopt); }),
             "clamp: At least one of 'min' or 'max' must not be None");
  EXPECT_HAS(error_of([&] { clamp(x, Tensor(), Tensor()); }), "clamp: At least one");
  EXPECT_HAS(error_of([&] { gelu(x, "exact"); }),
             "gelu: approximate argument must be either none or tanh.");
  Tensor i = make<int64_t, DType::kInt64>({1, 2});
  EXPECT_HAS(error_of([&] { gelu(i); }), "gelu");
  EXPECT_HAS(error_of([&] { exp_(i); }), "exp");  // float result into int64
  Tensor b = make<bool, DType::kBool>({true});
  EXPECT_HAS(error_of([&] { relu(b); }), "relu");
  EXPECT_HAS(error_of([&] { abs(b); }), "abs");
  EXPECT_HAS(error_of([&] { clamp(x, f32({1, 2, 3}), Tensor()); }), "clamp");
}

TEST(Unary, StridedInputMatchesContiguous) {
  std::vector<float> v(64 * 48);
  for (size_t k = 0; k < v.size(); ++k) v[k] = std::sin(float(k)) * 4;
  Tensor a = reshape(f32(v), {64, 48});
  Tensor t = transpose(a, 0, 1);
  EXPECT_EQ(values(tanh(t)), values(tanh(contiguous(t))));
  EXPECT_EQ(values(gelu(t)), values(gelu(contiguous(t))));
}

// Gradient of f at x (one element), through Kiln's autograd.
template <typename F>
double grad_at(F f, double x) {
  Tensor t = f64({x});
  t.set_requires_grad(true);
  Tensor y = f(t);
  std::vector<Tensor> g = grad({y}, {t}, {f64({1.0})});
  return values(g[0])[0];
}

TEST(Unary, GradientsAtKinks) {
  // PyTorch's conventions where the derivative is undefined.
  EXPECT_EQ(grad_at([](const Tensor& t) { return relu(t); }, 0.0), 0.0);
  EXPECT_EQ(grad_at([](const Tensor& t) { return abs(t); }, 0.0), 0.0);
  EXPECT_EQ(grad_at([](const Tensor& t) { return clamp(t, Scalar(0), Scalar(1)); }, 1.0), 1.0);
  EXPECT_EQ(grad_at([](const Tensor& t) { return hardtanh(t); }, 1.0), 0.0);
  EXPECT_EQ(grad_at([](const Tensor& t) { return leaky_relu(t); }, 0.0), 0.01);
  EXPECT_DOUBLE_EQ(grad_at([](const Tensor& t) { return hardswish(t); }, -3.0), -0.5);
  EXPECT_EQ(grad_at([](const Tensor& t) { return hardsigmoid(t); }, 3.0), 0.0);
  EXPECT_EQ(grad_at([](const Tensor& t) { return nan_to_num(t); }, INFINITY), 0.0);
  EXPECT_EQ(grad_at([](const Tensor& t) { return softplus(t); }, 30.0), 1.0);  // linear part
  EXPECT_DOUBLE_EQ(grad_at([](const Tensor& t) { return sqrt(t); }, 4.0), 0.25);
}

}  // namespace
}  // namespace kiln
