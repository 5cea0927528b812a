// Convolution and pooling: what the op sweep cannot express. Error messages (PyTorch's, after
// the op name) are raised before anything is allocated; results do not depend on the thread
// count (Kiln's pool or BLAS's); half types compute in float; double backward works.
#include <cblas.h>
#include <gtest/gtest.h>

#include <cmath>

#include "engine/autograd/engine.h"
#include "engine/autograd/functions.h"
#include "engine/core/parallel.h"

namespace kiln {
namespace {

// Deterministic values in [-1, 1) (an LCG), as `dtype`.
Tensor data(Shape shape, DType dtype = DType::kFloat32, uint64_t seed = 1) {
  Tensor t = empty_tensor(shape, DType::kFloat64);
  uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
  for (int64_t i = 0; i < t.numel(); ++i) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    t.data_ptr<double>()[i] = double(x >> 11) / double(1ull << 53) * 2 - 1;
  }
  return to(t, std::nullopt, dtype, false);
}

std::vector<double> values(const Tensor& t) {
  std::vector<double> v;
  for (int64_t i = 0; i < t.numel(); ++i) v.push_back(cpu_element_as_double(t, i));
  return v;
}

std::pair<ErrorKind, std::string> error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return {e.kind(), e.what()};
  }
  return {ErrorKind::kInternal, "(no error)"};
}

TEST(NnConv, ConvErrorsArePyTorchs) {
  const Tensor w = data({8, 3, 3, 3});
  EXPECT_EQ(error_of([&] { conv2d(data({1, 4, 5, 5}), w); }).second,
            "conv2d: Given groups=1, weight of size [8, 3, 3, 3], expected input[1, 4, 5, 5] to "
            "have 3 channels, but got 4 channels instead");
  EXPECT_EQ(error_of([&] { conv2d(data({1, 3, 2, 2}), w); }).second,
            "conv2d: Calculated padded input size per channel: (2 x 2). Kernel size: (3 x 3). "
            "Kernel size can't be greater than actual input size");
  EXPECT_EQ(error_of([&] { conv2d(data({1, 3, 5, 5}), w, data({3})); }).second,
            "conv2d: Given weight of size [8, 3, 3, 3], expected bias to be 1-dimensional with 8 "
            "elements, but got bias of size [3] instead");
  EXPECT_EQ(error_of([&] { conv2d(data({1, 3, 5, 5}), data({8, 3, 3, 3}, DType::kFloat64)); }).second,
            "conv2d: expected scalar type Float but found Double");
  EXPECT_EQ(error_of([&] { conv2d(data({1, 6, 5, 5}), data({8, 3, 3, 3}), Tensor(), {1, 1}, Shape{0, 0}, {1, 1}, 3); }).second,
            "conv2d: Given groups=3, expected weight to be divisible by 3 at dimension 0, but got "
            "weight of size [[8, 3, 3, 3]] instead");
  EXPECT_EQ(error_of([&] { conv2d(data({1, 3, 5, 5}), w, Tensor(), {1, 1}, std::string("same"), {1, 1}, 1); }).first,
            ErrorKind::kInternal);  // 'same' works
  EXPECT_EQ(error_of([&] { conv2d(data({1, 3, 5, 5}), w, Tensor(), {2, 2}, std::string("same"), {1, 1}, 1); }).second,
            "conv2d: padding='same' is not supported for strided convolutions");
  EXPECT_EQ(error_of([&] { conv1d(data({1, 3, 5}), data({4, 3, 3}), Tensor(), {1, 1}); }).second,
            "conv1d: expected stride to be a single integer value or a list of 1 values to match "
            "the convolution dimensions, but got stride=[1, 1]");
  EXPECT_EQ(error_of([&] { conv_transpose2d(data({1, 4, 5, 5}), data({4, 2, 3, 3}), Tensor(), {2, 2}, {0, 0}, {2, 2}); }).second,
            "conv_transpose2d: output padding must be smaller than either stride or dilation, but "
            "got output_padding=2 stride=2 dilation=1");
  EXPECT_EQ(error_of([&] { conv2d(data({1, 3, 5, 5}, DType::kInt64), data({8, 3, 3, 3}, DType::kInt64)); }).first,
            ErrorKind::kNotImplemented);
}

TEST(NnConv, PoolErrorsArePyTorchs) {
  EXPECT_EQ(error_of([&] { max_pool2d(data({1, 4, 5, 5}), {3, 3}, {}, {2, 2}); }).second,
            "max_pool2d: pad should be at most half of kernel size, but got pad=2 and kernel_size=3");
  EXPECT_EQ(error_of([&] { max_pool2d(data({1, 4, 2, 2}), {3, 3}); }).second,
            "max_pool2d: Given input size: (4x2x2). Calculated output size: (4x0x0). Output size "
            "is too small");
  EXPECT_EQ(error_of([&] { avg_pool2d(data({1, 4, 5, 5}), {3, 3}, {}, {0}, false, true, 0); }).second,
            "avg_pool2d: divisor must be not zero");
  EXPECT_EQ(error_of([&] { adaptive_avg_pool2d(data({1, 4, 0, 5}), {3, 2}); }).second,
            "adaptive_avg_pool2d: Expected input to have non-zero size for non-batch dimensions, "
            "but input has sizes [1, 4, 0, 5] with dimension 2 being empty");
  // Indices that are not positions in the plane are an IndexError, not a stray write.
  Tensor idx = empty_tensor({1, 1, 1, 1}, DType::kInt64);
  idx.data_ptr<int64_t>()[0] = 16;
  auto e = error_of([&] {
    max_pool2d_with_indices_backward(data({1, 1, 1, 1}), data({1, 1, 4, 4}), {4, 4}, {4, 4}, {0},
                                     {1}, false, idx);
  });
  EXPECT_EQ(e.first, ErrorKind::kIndex);
}

// forward + every gradient of a conv2d and the pools, as plain numbers.
std::vector<std::vector<double>> conv_run(int64_t groups, Shape wshape, Shape stride, Shape padding,
                                          Shape dilation) {
  const Tensor x = data({3, 4, 9, 8}, DType::kFloat32, 2).set_requires_grad(true);
  const Tensor w = data(wshape, DType::kFloat32, 3).set_requires_grad(true);
  const Tensor b = data({wshape[0]}, DType::kFloat32, 4).set_requires_grad(true);
  const Tensor y = conv2d(x, w, b, stride, padding, dilation, groups);
  const Tensor p = max_pool2d(y, {3, 3}, {2, 2}, {1, 1});
  const Tensor a = avg_pool2d(y, {2, 2});
  const Tensor q = adaptive_avg_pool2d(y, {3, 2});
  const std::vector<Tensor> g = grad({p, a, q}, {x, w, b},
                                     {data(p.sizes(), DType::kFloat32, 5), data(a.sizes(), DType::kFloat32, 6),
                                      data(q.sizes(), DType::kFloat32, 7)});
  return {values(y), values(p), values(a), values(q), values(g[0]), values(g[1]), values(g[2])};
}

TEST(NnConv, ResultsDoNotDependOnThreadCount) {
  const int saved = num_threads();
  struct Case {
    int64_t groups;
    Shape w, stride, padding, dilation;
  };
  const std::vector<Case> cases = {{1, {6, 4, 3, 3}, {1, 1}, {1, 1}, {1, 1}},
                                   {2, {6, 2, 3, 2}, {2, 1}, {1, 0}, {1, 2}},
                                   {4, {4, 1, 3, 3}, {1, 1}, {1, 1}, {1, 1}},
                                   {1, {8, 4, 1, 1}, {1, 1}, {0, 0}, {1, 1}}};
  for (const Case& c : cases) {
    set_num_threads(1);
    openblas_set_num_threads(1);
    const auto one = conv_run(c.groups, c.w, c.stride, c.padding, c.dilation);
    set_num_threads(2);
    openblas_set_num_threads(2);
    const auto two = conv_run(c.groups, c.w, c.stride, c.padding, c.dilation);
    EXPECT_EQ(one, two) << "groups " << c.groups;
  }
  set_num_threads(saved);
}

TEST(NnConv, HalfComputesInFloat) {
  const Tensor x = data({2, 3, 6, 6}), w = data({4, 3, 3, 3}, DType::kFloat32, 9);
  const std::vector<double> ref = values(conv2d(x, w));
  for (DType dt : {DType::kFloat16, DType::kBFloat16}) {
    const Tensor r = conv2d(to(x, std::nullopt, dt, false), to(w, std::nullopt, dt, false));
    EXPECT_EQ(r.dtype(), dt);
    const std::vector<double> got = values(r);
    for (size_t i = 0; i < ref.size(); ++i) EXPECT_NEAR(got[i], ref[i], 0.15) << i;
  }
}

// d/dx of <grad_x(x, w), v> by double backward against finite differences.
TEST(NnConv, DoubleBackwardMatchesFiniteDifferences) {
  const Tensor w = data({3, 2, 3, 3}, DType::kFloat64, 11).set_requires_grad(true);
  const Tensor v = data({1, 2, 5, 5}, DType::kFloat64, 12);
  const Tensor u = data({1, 3, 5, 5}, DType::kFloat64, 13);
  auto objective = [&](const Tensor& x, bool create) {
    const Tensor y = conv2d(x, w, Tensor(), {1, 1}, Shape{1, 1});
    const Tensor gx = grad({y}, {x}, {u}, true, create)[0];
    return sum(mul(gx, v), std::nullopt, false, std::nullopt);
  };
  // <grad_x, v> = <u, conv(v, w)> is linear in w: its gradient w.r.t. w needs double backward.
  const Tensor x = data({1, 2, 5, 5}, DType::kFloat64, 14).set_requires_grad(true);
  const Tensor gw = grad({objective(x, true)}, {w})[0];
  const double eps = 1e-6;
  for (int64_t i = 0; i < w.numel(); i += 7) {
    double* pw = w.data_ptr<double>();
    const double orig = pw[i];
    pw[i] = orig + eps;
    const double hi = objective(x, false).item().to<double>();
    pw[i] = orig - eps;
    const double lo = objective(x, false).item().to<double>();
    pw[i] = orig;
    EXPECT_NEAR(gw.data_ptr<double>()[i], (hi - lo) / (2 * eps), 1e-6) << i;
  }
}

}  // namespace
}  // namespace kiln
