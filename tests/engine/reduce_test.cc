// Reductions, scans and sorts: what the op sweep cannot express. Error text, gradients at
// ties (where finite differences do not apply), NaN propagation, sort stability, strided
// inputs, and results that do not depend on the thread count.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "engine/autograd/engine.h"
#include "engine/autograd/functions.h"
#include "engine/autograd/operators.h"
#include "engine/core/parallel.h"
#include "tests/engine/test_util.h"

namespace kiln {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

Tensor f64(const std::vector<double>& v, std::optional<Shape> shape = std::nullopt) {
  Tensor t = empty_tensor(shape.value_or(Shape{int64_t(v.size())}), DType::kFloat64);
  for (size_t i = 0; i < v.size(); ++i) t.data_ptr<double>()[i] = v[i];
  return t;
}

Tensor f32(const std::vector<double>& v, std::optional<Shape> shape = std::nullopt) {
  return to(f64(v, shape), std::nullopt, DType::kFloat32, false);
}

// A large, deterministic, not-too-regular float input.
Tensor wavy(Shape shape) {
  Tensor t = empty_tensor(shape, DType::kFloat32);
  float* p = t.data_ptr<float>();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = float(std::sin(0.37 * double(i)) * 3.0 + 0.001 * double(i % 97));
  return t;
}

TEST(Reduce, ErrorsNameTheOp) {
  const Tensor empty = zeros({2, 0});
  EXPECT_HAS(error_of([&] { max(empty); }),
             "max(): Expected reduction dim to be specified for input.numel() == 0. Specify the "
             "reduction dim with the 'dim' argument.");
  EXPECT_HAS(error_of([&] { min(empty); }), "min(): Expected reduction dim to be specified");
  EXPECT_HAS(error_of([&] { max(empty, 1, false); }),
             "max(): Expected reduction dim 1 to have non-zero size.");
  EXPECT_HAS(error_of([&] { amax(empty, {1}, false); }),
             "amax(): Expected reduction dim 1 to have non-zero size.");
  EXPECT_HAS(error_of([&] { argmax(empty, std::nullopt, false); }),
             "argmax(): Expected reduction dim to be specified for input.numel() == 0.");
  EXPECT_NO_THROW(max(empty, 0, false));  // dim 0 has size 2: fine
  EXPECT_HAS(error_of([&] { sum(ones({2, 3}), Shape{2}, false, std::nullopt); }),
             "Dimension out of range (expected to be in range of [-2, 1], but got 2)");
  EXPECT_HAS(error_of([&] { mean(ones({2, 3}), Shape{1, -1}, false, std::nullopt); }),
             "mean: dim 1 appears multiple times in the list of dims");
  EXPECT_HAS(error_of([&] {
               mean(to(ones({3}), std::nullopt, DType::kInt64, false), std::nullopt, false,
                    std::nullopt);
             }),
             "mean(): could not infer output dtype. Input dtype must be either a floating point "
             "or complex dtype. Got: Long");
  EXPECT_HAS(error_of([&] {
               var(to(ones({3}), std::nullopt, DType::kInt32, false), std::nullopt,
                   std::optional<int64_t>(1), false);
             }),
             "var: std and var only support floating point and complex dtypes");
  EXPECT_HAS(error_of([&] { topk(ones({3}), 4, -1, true, true); }),
             "topk: selected index k out of range");
  EXPECT_HAS(error_of([&] { cumsum(ones({3}), 1, std::nullopt); }),
             "Dimension out of range (expected to be in range of [-1, 0], but got 1)");
  EXPECT_HAS(error_of([&] { norm(to(ones({3}), std::nullopt, DType::kInt64, false), Scalar(2),
                                 std::nullopt, false, std::nullopt); }),
             "norm(): input dtype should be either floating point or complex. Got Long instead.");
}

TEST(Reduce, NaNPropagates) {
  const Tensor x = f64({1, kNaN, 3, kNaN, -2}, Shape{5});
  EXPECT_TRUE(std::isnan(values(max(x))[0]));
  EXPECT_TRUE(std::isnan(values(amin(x, {}, false))[0]));
  auto [v, i] = max(x, 0, false);
  EXPECT_TRUE(std::isnan(values(v)[0]));
  EXPECT_EQ(values(i), std::vector<double>{1});  // the first NaN
  EXPECT_EQ(values(argmin(x, std::nullopt, false)), std::vector<double>{1});
  // Long lanes take the chunked path: the NaN still wins, wherever it sits.
  Tensor big = to(wavy({300000}), std::nullopt, DType::kFloat64, false);
  big.data_ptr<double>()[250000] = kNaN;
  EXPECT_TRUE(std::isnan(values(max(big))[0]));
  EXPECT_EQ(values(argmax(big, std::nullopt, false)), std::vector<double>{250000});
  EXPECT_TRUE(std::isnan(values(sum(big, std::nullopt, false, std::nullopt))[0]));
  // Sorting puts NaN last (first when descending).
  auto [s, si] = sort(f64({2, kNaN, 1}), int64_t{-1}, false);
  EXPECT_EQ(values(si), (std::vector<double>{2, 0, 1}));
  auto [d, di] = sort(f64({2, kNaN, 1}), int64_t{-1}, true);
  EXPECT_EQ(values(di), (std::vector<double>{1, 0, 2}));
}

TEST(Reduce, TiesFollowPyTorch) {
  const Tensor x = f64({1, 3, 3, 2}).set_requires_grad(true);
  // max(): the gradient is split evenly among the tied maxima.
  auto g = grad({max(x)}, {x}, {f64({6}, Shape{})}, std::nullopt, false, false);
  EXPECT_EQ(values(g[0]), (std::vector<double>{0, 3, 3, 0}));
  g = grad({amax(x, {0}, false)}, {x}, {f64({6}, Shape{})}, std::nullopt, false, false);
  EXPECT_EQ(values(g[0]), (std::vector<double>{0, 3, 3, 0}));
  // max.dim: the value and gradient go to the first tied index.
  auto [v, i] = max(x, 0, false);
  EXPECT_EQ(values(i), std::vector<double>{1});
  g = grad({v}, {x}, {f64({6}, Shape{})}, std::nullopt, false, false);
  EXPECT_EQ(values(g[0]), (std::vector<double>{0, 6, 0, 0}));
  EXPECT_EQ(values(argmax(x, std::nullopt, false)), std::vector<double>{1});
  EXPECT_EQ(values(argmin(f64({2, 1, 1}), std::nullopt, false)), std::vector<double>{1});
  // topk breaks ties by index.
  auto [tv, ti] = topk(f64({5, 7, 5, 7, 5}), 3, -1, true, true);
  EXPECT_EQ(values(tv), (std::vector<double>{7, 7, 5}));
  EXPECT_EQ(values(ti), (std::vector<double>{1, 3, 0}));
}

TEST(Reduce, ProdGradientWithZeros) {
  const Tensor x = f64({2, 0, 3, 4}).set_requires_grad(true);
  auto g = grad({prod(x, std::nullopt)}, {x}, {}, std::nullopt, false, false);
  EXPECT_EQ(values(g[0]), (std::vector<double>{0, 24, 0, 0}));
  // cumprod [2, 0, 3, 4] = [2, 0, 0, 0]; d(sum)/dx: x0 -> 1, x1 -> 2 + 6 + 24, after -> 0.
  g = grad({sum(cumprod(x, 0, std::nullopt), std::nullopt, false, std::nullopt)}, {x}, {},
           std::nullopt, false, false);
  EXPECT_EQ(values(g[0]), (std::vector<double>{1, 32, 0, 0}));
}

TEST(Sort, StableAndLongLanes) {
  // Equal keys keep their order, ascending and descending.
  const Tensor x = f64({3, 1, 3, 2, 1, 3});
  EXPECT_EQ(values(std::get<1>(sort(x, int64_t{0}, false))),
            (std::vector<double>{1, 4, 3, 0, 2, 5}));
  EXPECT_EQ(values(std::get<1>(sort(x, true, 0, true))), (std::vector<double>{0, 2, 5, 3, 1, 4}));
  // A long lane (sorted in pieces, then merged) with many ties is still stable.
  Tensor big = empty_tensor({500000}, DType::kFloat32);
  for (int64_t i = 0; i < big.numel(); ++i) big.data_ptr<float>()[i] = float((i * 7919) % 1000);
  auto [v, idx] = sort(big, int64_t{0}, false);
  const std::vector<double> vv = values(v), iv = values(idx);
  for (size_t j = 1; j < vv.size(); ++j) {
    ASSERT_LE(vv[j - 1], vv[j]) << j;
    if (vv[j - 1] == vv[j]) ASSERT_LT(iv[j - 1], iv[j]) << j;
  }
  // Strided lanes: sorting a transposed view along dim 0 matches sorting the copy.
  const Tensor m = transpose(wavy({7, 5}), 0, 1);
  EXPECT_EQ(values(std::get<0>(sort(m, int64_t{1}, false))),
            values(std::get<0>(sort(contiguous(m), int64_t{1}, false))));
}

TEST(Reduce, StridedInputsMatchContiguous) {
  const Tensor x = transpose(wavy({64, 48}), 0, 1);  // (48, 64), strided
  const Tensor c = contiguous(x);
  // Sums may associate differently along the two layouts: equal up to rounding.
  auto near = [](const std::vector<double>& a, const std::vector<double>& b) {
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 1e-5 * (1 + std::fabs(b[i])));
  };
  for (int64_t d : {0, 1}) {
    near(values(sum(x, Shape{d}, false, std::nullopt)), values(sum(c, Shape{d}, false, std::nullopt)));
    EXPECT_EQ(values(std::get<1>(max(x, d, false))), values(std::get<1>(max(c, d, false))));
    EXPECT_EQ(values(cumsum(x, d, std::nullopt)), values(cumsum(c, d, std::nullopt)));
    near(values(logsumexp(x, {d}, false)), values(logsumexp(c, {d}, false)));
  }
}

TEST(Reduce, ResultsDoNotDependOnThreadCount) {
  const Tensor big = wavy({1 << 21});
  const Tensor rows = wavy({512, 4096});
  auto run = [&] {
    std::vector<std::vector<double>> r;
    r.push_back(values(sum(big, std::nullopt, false, std::nullopt)));
    r.push_back(values(mean(rows, Shape{1}, false, std::nullopt)));
    r.push_back(values(sum(rows, Shape{0}, false, std::nullopt)));
    r.push_back(values(max(big)));
    r.push_back(values(argmax(big, std::nullopt, false)));
    r.push_back(values(var(big, std::nullopt, std::optional<int64_t>(1), false)));
    r.push_back(values(norm(big, Scalar(3.0), std::nullopt, false, std::nullopt)));
    r.push_back(values(logsumexp(big, {0}, false)));
    r.push_back(values(cumsum(big, 0, std::nullopt)));
    r.push_back(values(std::get<1>(sort(big, int64_t{0}, false))));
    r.push_back(values(std::get<1>(topk(rows, 5, 1, true, true))));
    return r;
  };
  const int saved = num_threads();
  set_num_threads(1);
  const auto one = run();
  set_num_threads(2);
  const auto two = run();
  set_num_threads(4);
  const auto four = run();
  set_num_threads(saved);
  EXPECT_EQ(one, two);
  EXPECT_EQ(one, four);
}

TEST(Reduce, LongSumIsAccurate) {
  // 2^22 copies of 0.1f, the worst case for float partial sums (every rounding leans the
  // same way): one float accumulator drifts by thousands; Kiln's partials stay within 2e-5
  // relative (PyTorch's cascade sum: 3e-7; a two-level block sum would close the gap).
  const Tensor x = full({1 << 22}, Scalar(0.1), DType::kFloat32, std::nullopt);
  const double s = values(sum(x, std::nullopt, false, std::nullopt))[0];
  EXPECT_NEAR(s, 0.1f * double(1 << 22), 8.0);
  EXPECT_NEAR(values(var(x, std::nullopt, std::optional<int64_t>(1), false))[0], 0.0, 1e-6);
}

}  // namespace
}  // namespace kiln
