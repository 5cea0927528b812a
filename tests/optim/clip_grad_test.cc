// clip_grad_norm_ / clip_grad_value_ against torch.nn.utils on the cases of trajectories.json.
#include <gtest/gtest.h>

#include "engine/autograd/functions.h"
#include "engine/core/parallel.h"
#include "engine/optim/clip_grad.h"
#include "tests/optim/optim_cases.h"

namespace kiln::testing {
namespace {

// Parameters whose .grad holds the case's gradients.
std::vector<Tensor> params_with_grads(const json& grads) {
  std::vector<Tensor> ps;
  for (const json& g : grads) {
    Tensor grad = decode_tensor(g);
    Tensor p = zeros_like(grad);
    p.set_requires_grad(true);
    p.set_grad(grad);
    ps.push_back(p);
  }
  return ps;
}

double tolerance(DType d) { return d == DType::kFloat64 ? 1e-12 : 1e-5; }

TEST(ClipGradNorm, MatchesPyTorch) {
  int n = 0;
  for (const json& c : trajectories()["clip_grad_norm"]) {
    SCOPED_TRACE("case " + std::to_string(n++) + ": norm_type " + c["norm_type"].dump());
    std::vector<Tensor> ps = params_with_grads(c["grads"]);
    Tensor total;
    std::string error;
    try {
      total = optim::clip_grad_norm_(ps, c["max_norm"].get<double>(), decode_float(c["norm_type"]),
                                     c["error_if_nonfinite"].get<bool>());
    } catch (const std::exception& e) {
      error = e.what();
    }
    if (c.contains("error")) {
      EXPECT_NE(error.find(c["error"].get<std::string>()), std::string::npos) << error;
      // Nothing was scaled.
      for (size_t i = 0; i < ps.size(); ++i) {
        EXPECT_LE(max_abs_diff(flat({ps[i].grad()}), c["grads"][i]["data"]), 0);
      }
      continue;
    }
    ASSERT_EQ(error, "");
    const DType dtype = dtype_from_name(c["total_norm"]["dtype"].get<std::string>());
    EXPECT_EQ(total.dtype(), dtype);
    EXPECT_EQ(total.dim(), 0);
    const double want = decode_float(c["total_norm"]["data"][0]);
    EXPECT_LE(max_abs_diff(flat({total}), c["total_norm"]["data"]),
              tolerance(dtype) * std::max(1.0, std::fabs(want)));
    for (size_t i = 0; i < ps.size(); ++i) {
      EXPECT_EQ(ps[i].grad().dtype(), dtype_from_name(c["clipped"][i]["dtype"].get<std::string>()));
      EXPECT_LE(max_abs_diff(flat({ps[i].grad()}), c["clipped"][i]["data"]),
                tolerance(ps[i].dtype()))
          << "grad " << i;
    }
  }
  EXPECT_GT(n, 10);
}

TEST(ClipGradNorm, SkipsParametersWithoutGradientsAndBumpsVersions) {
  Tensor with = zeros({3}, DType::kFloat64), without = zeros({2}, DType::kFloat64);
  with.set_requires_grad(true);
  without.set_requires_grad(true);
  with.set_grad(full({3}, 4.0, DType::kFloat64));
  const uint32_t version = with.grad().version();
  const Tensor total = optim::clip_grad_norm_({with, without}, 1.0);
  EXPECT_NEAR(total.item().to_double(), std::sqrt(48.0), 1e-12);
  EXPECT_GT(with.grad().version(), version);
  EXPECT_FALSE(without.grad().defined());
  // No gradient at all: PyTorch's tensor(0.) in the default dtype.
  const Tensor none = optim::clip_grad_norm_({without}, 1.0);
  EXPECT_EQ(none.dtype(), DType::kFloat32);
  EXPECT_EQ(none.item().to_double(), 0.0);
}

TEST(ClipGradNorm, IsTheSameOnAnyNumberOfThreads) {
  // Big enough to split across threads and reduction chunks.
  Tensor g = empty_tensor({300001}, DType::kFloat32);
  for (int64_t i = 0; i < g.numel(); ++i) g.data_ptr<float>()[i] = float((i * 7919) % 1000) / 997.0f - 0.5f;
  const int threads = num_threads();
  std::vector<double> totals;
  for (int t : {1, 2, 3}) {
    set_num_threads(t);
    Tensor copy = clone(g);
    totals.push_back(clip_grad_norm_(std::vector<Tensor>{copy}, 1.0).item().to_double());
  }
  set_num_threads(threads);
  EXPECT_EQ(totals[0], totals[1]);
  EXPECT_EQ(totals[0], totals[2]);
}

TEST(ClipGradNorm, OpErrors) {
  EXPECT_THROW(clip_grad_norm_(std::vector<Tensor>{zeros({2}, DType::kInt64)}, 1.0), Error);
  try {
    clip_grad_norm_(std::vector<Tensor>{Tensor()}, 1.0);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "clip_grad_norm_: grads[0] must be a Tensor, not None");
  }
}

TEST(ClipGradValue, MatchesPyTorch) {
  for (const json& c : trajectories()["clip_grad_value"]) {
    std::vector<Tensor> ps = params_with_grads(c["grads"]);
    optim::clip_grad_value_(ps, c["clip_value"].get<double>());
    for (size_t i = 0; i < ps.size(); ++i) {
      EXPECT_LE(max_abs_diff(flat({ps[i].grad()}), c["clipped"][i]["data"]), 0) << c.dump();
    }
  }
}

TEST(ClipGradValue, StridedGradients) {
  // A transposed gradient is clamped through its strides.
  Tensor base = empty_tensor({2, 3}, DType::kFloat64);
  for (int i = 0; i < 6; ++i) base.data_ptr<double>()[i] = i - 2.5;
  Tensor t = transpose(base, 0, 1);
  clip_grad_value_(std::vector<Tensor>{t}, 1.0);
  EXPECT_EQ(flat({base}), (std::vector<double>{-1, -1, -0.5, 0.5, 1, 1}));
}

}  // namespace
}  // namespace kiln::testing
