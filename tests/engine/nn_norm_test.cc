// nn_norm / nn_loss: what the sample sweep cannot express. Dropout is random (statistics,
// seeding, thread-count independence); batch_norm updates its running statistics in place;
// error messages name the op; PyTorch crashes on some inputs Kiln must reject.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/autograd/engine.h"
#include "engine/autograd/functions.h"
#include "engine/autograd/operators.h"
#include "engine/core/generator.h"
#include "engine/core/parallel.h"
#include "tests/engine/test_util.h"

namespace kiln {
namespace {

Tensor f64(const std::vector<double>& v, Shape shape = {}) {
  if (shape.empty()) shape = {int64_t(v.size())};
  Tensor t = empty_tensor(shape, DType::kFloat64);
  for (size_t i = 0; i < v.size(); ++i) t.data_ptr<double>()[i] = v[i];
  return t;
}

Tensor i64(const std::vector<int64_t>& v) {
  Tensor t = empty_tensor({int64_t(v.size())}, DType::kInt64);
  for (size_t i = 0; i < v.size(); ++i) t.data_ptr<int64_t>()[i] = v[i];
  return t;
}

TEST(Dropout, KeepsOneMinusPAndScalesTheRest) {
  manual_seed(1234);
  const int64_t n = 200000;
  const Tensor x = ones({n}, DType::kFloat32);
  auto [out, mask] = native_dropout(x, 0.3, true);
  const std::vector<double> o = values(out), m = values(mask);
  int64_t kept = 0;
  for (int64_t i = 0; i < n; ++i) {
    if (m[i] != 0) {
      ++kept;
      ASSERT_NEAR(o[i], 1.0 / 0.7, 1e-6);
    } else {
      ASSERT_EQ(o[i], 0.0);
    }
  }
  // 0.7 n kept, binomial sd ~205: 5 sd.
  EXPECT_NEAR(double(kept), 0.7 * n, 1100.0);
}

TEST(Dropout, SameSeedSameMaskOnAnyThreadCount) {
  const Tensor x = ones({3, 70001}, DType::kFloat32);
  const int saved = num_threads();
  set_num_threads(1);
  manual_seed(42);
  const std::vector<double> one = values(dropout(x, 0.5, true, false));
  set_num_threads(std::max(2, saved));
  manual_seed(42);
  const std::vector<double> many = values(dropout(x, 0.5, true, false));
  const std::vector<double> next = values(dropout(x, 0.5, true, false));
  set_num_threads(saved);
  EXPECT_EQ(one, many);
  EXPECT_NE(many, next);  // the stream advanced
  manual_seed(43);
  EXPECT_NE(values(dropout(x, 0.5, true, false)), one);
}

TEST(Dropout, EvalIsIdentityAndEdgesAreExact) {
  const Tensor x = f64({1, 2, 3});
  EXPECT_TRUE(dropout(x, 0.5, false, false).is_same(x));
  EXPECT_EQ(values(dropout(x, 0.0, true, false)), values(x));
  EXPECT_EQ(values(dropout(x, 1.0, true, false)), std::vector<double>(3, 0.0));
  EXPECT_NE(error_of([&] { dropout(x, 1.5, true, false); }).find(
                "dropout: dropout probability has to be between 0 and 1, but got 1.5"),
            std::string::npos);
}

TEST(Dropout, GradientIsTheMaskScaled) {
  manual_seed(5);
  Tensor x = f64(std::vector<double>(64, 2.0));
  x.set_requires_grad(true);
  auto [out, mask] = native_dropout(x, 0.25, true);
  const std::vector<Tensor> g = grad({out}, {x}, {ones_like(out)}, std::nullopt, false, false);
  const std::vector<double> gv = values(g[0]), mv = values(mask);
  for (size_t i = 0; i < gv.size(); ++i) EXPECT_DOUBLE_EQ(gv[i], mv[i] != 0 ? 1.0 / 0.75 : 0.0);
}

TEST(BatchNorm, TrainingUpdatesRunningStatsWithUnbiasedVariance) {
  // Channel 0: 1, 2, 3, 4 (mean 2.5, biased var 1.25, unbiased 5/3); channel 1: 0, 0, 2, 2.
  const Tensor x = f64({1, 0, 2, 0, 3, 2, 4, 2}, {4, 2});
  Tensor rm = f64({0, 1});
  Tensor rv = f64({1, 1});
  const Tensor y = batch_norm(x, rm, rv, Tensor(), Tensor(), true, 0.1, 1e-5);
  const std::vector<double> m = values(rm), v = values(rv);
  EXPECT_NEAR(m[0], 0.1 * 2.5, 1e-12);
  EXPECT_NEAR(m[1], 0.9 + 0.1 * 1.0, 1e-12);
  EXPECT_NEAR(v[0], 0.9 + 0.1 * 5.0 / 3.0, 1e-12);
  EXPECT_NEAR(v[1], 0.9 + 0.1 * 4.0 / 3.0, 1e-12);
  EXPECT_NEAR(values(y)[0], (1 - 2.5) / std::sqrt(1.25 + 1e-5), 1e-12);
  // Eval normalizes by the running statistics and leaves them alone.
  const Tensor e = batch_norm(x, rm, rv, Tensor(), Tensor(), false, 0.1, 1e-5);
  EXPECT_NEAR(values(e)[0], (1 - m[0]) / std::sqrt(v[0] + 1e-5), 1e-12);
  EXPECT_EQ(values(rm), m);
  EXPECT_EQ(values(rv), v);
}

TEST(BatchNorm, RunningStatsKeepTheirDtypeAndLayout) {
  const Tensor x = f64({1, 0, 2, 0, 3, 2, 4, 2}, {4, 2});
  const Tensor rm = zeros({2, 2}, DType::kFloat32);
  const Tensor col = select(rm, 1, 1);  // strided view: elements 1 and 3
  const Tensor rv = ones({2}, DType::kFloat32);
  batch_norm(x, col, rv, Tensor(), Tensor(), true, 0.5, 1e-5);
  EXPECT_EQ(values(rm), (std::vector<double>{0, 1.25, 0, 0.5}));
}

TEST(BatchNorm, Errors) {
  const Tensor x = f64({1, 2, 3, 4}, {2, 2});
  // PyTorch 1.13 crashes here; Kiln names the problem.
  EXPECT_NE(error_of([&] { batch_norm(x, Tensor(), Tensor(), Tensor(), Tensor(), false, 0.1, 1e-5); })
                .find("batch_norm: running_mean and running_var must be defined in evaluation mode"),
            std::string::npos);
  EXPECT_NE(error_of([&] { batch_norm(x, f64({0, 0, 0}), f64({1, 1, 1}), Tensor(), Tensor(), false, 0.1, 1e-5); })
                .find("batch_norm: running_mean should contain 2 elements not 3"),
            std::string::npos);
}

TEST(Losses, ErrorsNameTheOpAndMatchPyTorch) {
  const Tensor logits = f64({0, 1, 2, 3, 4, 5}, {2, 3});
  EXPECT_EQ(error_of([&] { cross_entropy(logits, i64({0, 3}), Tensor(), -100, "mean", 0.0); }),
            "cross_entropy: Target 3 is out of bounds.");
  EXPECT_EQ(error_of([&] { nll_loss(logits, i64({-1, 0}), Tensor(), -100, "mean"); }),
            "nll_loss: Target -1 is out of bounds.");
  EXPECT_EQ(error_of([&] { cross_entropy(logits, i64({0}), Tensor(), -100, "mean", 0.0); }),
            "cross_entropy: Expected input batch_size (2) to match target batch_size (1).");
  EXPECT_EQ(error_of([&] { mse_loss(logits, logits, "avg"); }),
            "mse_loss: avg is not a valid value for reduction");
  EXPECT_EQ(error_of([&] { embedding(logits, i64({2})); }),
            "embedding: index out of range in self (index 2 for 2 embeddings)");
  EXPECT_NE(error_of([&] { layer_norm(logits, {2}, Tensor(), Tensor(), 1e-5); })
                .find("layer_norm: Given normalized_shape=[2], expected input with shape [*, 2]"),
            std::string::npos);
}

TEST(Losses, IgnoredTargetsLeaveMeanOverTheRestAndNoGradient) {
  Tensor logits = f64({0, 1, 2, 3, 4, 5}, {2, 3});
  logits.set_requires_grad(true);
  const Tensor all = cross_entropy(logits, i64({2, 0}), Tensor(), -100, "none", 0.0);
  const Tensor one = cross_entropy(logits, i64({2, -100}), Tensor(), -100, "mean", 0.0);
  EXPECT_NEAR(values(one)[0], values(all)[0], 1e-12);
  const std::vector<Tensor> g = grad({one}, {logits}, {ones_like(one)}, std::nullopt, false, false);
  const std::vector<double> gv = values(g[0]);
  for (int i = 3; i < 6; ++i) EXPECT_EQ(gv[i], 0.0);
}

TEST(Embedding, PaddingRowGetsNoGradientAndFrequencyScales) {
  Tensor w = f64({0, 1, 2, 3, 4, 5}, {3, 2});
  w.set_requires_grad(true);
  const Tensor idx = i64({1, 2, 2, 0});
  const Tensor out = embedding(w, idx, 1, true, false);
  const std::vector<Tensor> g = grad({out}, {w}, {ones_like(out)}, std::nullopt, false, false);
  // Row 0 used once, row 1 is padding, row 2 used twice (scaled back to 1).
  EXPECT_EQ(values(g[0]), (std::vector<double>{1, 1, 0, 0, 1, 1}));
  EXPECT_EQ(error_of([&] { embedding(w, idx, -1, false, true); }),
            "embedding: sparse gradients are not supported");
}

}  // namespace
}  // namespace kiln
