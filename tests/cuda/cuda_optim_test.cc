// The fused multi-tensor optimizer steps on CUDA against the CPU kernels: a group of tensors of
// odd sizes (empty, one element, over one 64Ki chunk), several steps with new gradients each,
// every flag combination that picks a different kernel, float32 and bfloat16. Skips with
// "no GPU" without one.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "engine/ops/ops.h"
#include "tests/cuda/cuda_test_util.h"

namespace kiln {
namespace {

const Device kGpu{DeviceType::kCUDA, 0};

// Deterministic values in [-1, 1): a different stream per (seed, size).
Tensor values(int64_t n, int seed, DType dtype, double offset = 0) {
  Tensor t = empty_tensor({n}, DType::kFloat64);
  double* p = t.data_ptr<double>();
  for (int64_t i = 0; i < n; ++i) p[i] = offset + std::sin(double(i) * 0.7311 + seed * 1.37);
  return ops::to(t, std::nullopt, dtype, false);
}

struct Group {
  std::vector<std::vector<Tensor>> lists;  // params, grads, then state lists
  std::vector<Tensor> steps;
  int calls = 0;  // steps taken (SGD's is_first_step)
};

const std::vector<int64_t> kSizes = {0, 1, 17, 70000, 1000};

// `n_state` zero state lists (the square-averages start at 0 as torch's optimizers do).
Group make_group(DType dtype, int n_state, Device device) {
  Group g;
  g.lists.resize(size_t(2 + n_state));
  int seed = 0;
  for (int64_t n : kSizes) {
    g.lists[0].push_back(ops::to(values(n, ++seed, dtype), device, std::nullopt, false));
    g.lists[1].push_back(ops::to(values(n, ++seed, dtype), device, std::nullopt, false));
    for (int s = 0; s < n_state; ++s) {
      g.lists[size_t(2 + s)].push_back(ops::zeros({n}, dtype, device));
    }
    g.steps.push_back(ops::zeros({}, DType::kFloat32, kCPU));
  }
  return g;
}

// New gradients for step k, the same on both devices.
void new_grads(Group& g, int k, DType dtype) {
  for (size_t i = 0; i < kSizes.size(); ++i) {
    const Tensor v = values(kSizes[i], 100 + 7 * k + int(i), dtype);
    g.lists[1][i] = ops::to(v, g.lists[0][i].device(), std::nullopt, false);
  }
}

void expect_close(const Group& cpu, const Group& gpu, double tol, const std::string& what) {
  for (size_t l = 0; l < cpu.lists.size(); ++l) {
    for (size_t i = 0; i < kSizes.size(); ++i) {
      const Tensor a = ops::contiguous(ops::to(cpu.lists[l][i], kCPU, DType::kFloat64, false));
      const Tensor b = ops::contiguous(ops::to(gpu.lists[l][i], kCPU, DType::kFloat64, false));
      ASSERT_EQ(a.numel(), b.numel());
      for (int64_t j = 0; j < a.numel(); ++j) {
        const double x = a.data_ptr<double>()[j], y = b.data_ptr<double>()[j];
        ASSERT_LE(std::fabs(x - y), tol * (1 + std::fabs(x)))
            << what << ": list " << l << " tensor " << i << " element " << j;
      }
    }
  }
}

using Step = std::function<void(Group&)>;

void run_both(DType dtype, int n_state, const Step& step, const std::string& what) {
  Group cpu = make_group(dtype, n_state, kCPU), gpu = make_group(dtype, n_state, kGpu);
  const double tol = dtype == DType::kFloat32 ? 1e-5 : 2e-2;
  for (int k = 0; k < 5; ++k) {
    new_grads(cpu, k, dtype);
    new_grads(gpu, k, dtype);
    step(cpu);
    step(gpu);
  }
  expect_close(cpu, gpu, tol, what);
}

class CudaOptim : public ::testing::TestWithParam<DType> {};

TEST_P(CudaOptim, Sgd) {
  KILN_REQUIRE_GPU();
  for (double momentum : {0.0, 0.9}) {
    for (bool nesterov : {false, true}) {
      if (nesterov && momentum == 0) continue;
      for (double wd : {0.0, 0.01}) {
        run_both(GetParam(), 1, [&](Group& g) {
          ops::_fused_sgd_(g.lists[0], g.lists[1], g.lists[2], 0.1, momentum, 0.1, wd, nesterov,
                           false, g.calls++ == 0);
        }, "sgd");
      }
    }
  }
}

TEST_P(CudaOptim, AdamAndAdamW) {
  KILN_REQUIRE_GPU();
  for (bool decoupled : {false, true}) {
    for (bool amsgrad : {false, true}) {
      for (double wd : {0.0, 0.01}) {
        for (bool maximize : {false, true}) {
          run_both(GetParam(), 3, [&](Group& g) {
            auto fn = decoupled ? ops::_fused_adamw_ : ops::_fused_adam_;
            fn(g.lists[0], g.lists[1], g.lists[2], g.lists[3], g.lists[4], g.steps, 1e-3, 0.9,
               0.999, wd, 1e-8, amsgrad, maximize);
          }, decoupled ? "adamw" : "adam");
        }
      }
    }
  }
}

TEST_P(CudaOptim, RmsProp) {
  KILN_REQUIRE_GPU();
  for (bool centered : {false, true}) {
    for (double momentum : {0.0, 0.9}) {
      for (double wd : {0.0, 0.01}) {
        run_both(GetParam(), 3, [&](Group& g) {
          ops::_fused_rmsprop_(g.lists[0], g.lists[1], g.lists[2], g.lists[3], g.lists[4], 1e-2,
                               0.99, 1e-8, wd, momentum, centered, false);
        }, "rmsprop");
      }
    }
  }
}

TEST_P(CudaOptim, Adagrad) {
  KILN_REQUIRE_GPU();
  for (double wd : {0.0, 0.01}) {
    run_both(GetParam(), 1, [&](Group& g) {
      ops::_fused_adagrad_(g.lists[0], g.lists[1], g.lists[2], g.steps, 1e-2, 0.01, wd, 1e-10,
                           false);
    }, "adagrad");
  }
}

TEST(CudaOptimSteps, DeviceStepCountersAdvance) {
  KILN_REQUIRE_GPU();
  Group g = make_group(DType::kFloat32, 3, kGpu);
  for (Tensor& s : g.steps) s = ops::zeros({}, DType::kFloat32, kGpu);
  for (int k = 0; k < 3; ++k) {
    ops::_fused_adamw_(g.lists[0], g.lists[1], g.lists[2], g.lists[3], g.lists[4], g.steps, 1e-3,
                       0.9, 0.999, 0.01, 1e-8, false, false);
  }
  for (const Tensor& s : g.steps) EXPECT_EQ(s.item().to<double>(), 3.0);
}

TEST(CudaAmp, UnscaleAndUpdateScaleMatchTheCpu) {
  KILN_REQUIRE_GPU();
  for (DType dt : {DType::kFloat32, DType::kFloat16, DType::kBFloat16}) {
    Group cpu = make_group(dt, 0, kCPU), gpu = make_group(dt, 0, kGpu);
    // A strided member: the transposed view of a 2-d gradient.
    const Tensor m = values(12, 5, dt);
    cpu.lists[1].push_back(ops::transpose(ops::reshape(m, {3, 4}), 0, 1));
    gpu.lists[1].push_back(ops::transpose(ops::reshape(ops::to(m, kGpu, std::nullopt, false),
                                                       {3, 4}), 0, 1));
    Tensor fc = ops::zeros({1}, DType::kFloat32, kCPU), fg = ops::zeros({1}, DType::kFloat32, kGpu);
    const Tensor ic = ops::full({1}, 0.125, DType::kFloat32, kCPU);
    ops::_amp_foreach_non_finite_check_and_unscale_(cpu.lists[1], fc, ic);
    ops::_amp_foreach_non_finite_check_and_unscale_(gpu.lists[1], fg,
                                                    ops::to(ic, kGpu, std::nullopt, false));
    EXPECT_EQ(fg.item().to<double>(), 0.0);
    for (size_t i = 0; i < cpu.lists[1].size(); ++i) {
      const Tensor a = ops::contiguous(ops::to(cpu.lists[1][i], kCPU, DType::kFloat64, false));
      const Tensor b = ops::contiguous(ops::to(gpu.lists[1][i], kCPU, DType::kFloat64, false));
      for (int64_t j = 0; j < a.numel(); ++j) {
        ASSERT_EQ(a.data_ptr<double>()[j], b.data_ptr<double>()[j]) << dtype_name(dt) << " " << i;
      }
    }
    // A NaN anywhere sets found_inf.
    Tensor bad = ops::full({5}, std::nan(""), dt, kGpu);
    ops::_amp_foreach_non_finite_check_and_unscale_({bad}, fg, ops::full({1}, 1.0, DType::kFloat32, kGpu));
    EXPECT_EQ(fg.item().to<double>(), 1.0);
  }
  Tensor scale = ops::full({1}, 1024.0, DType::kFloat32, kGpu);
  Tensor tracker = ops::zeros({1}, DType::kInt32, kGpu);
  const Tensor clean = ops::zeros({1}, DType::kFloat32, kGpu);
  const Tensor inf = ops::full({1}, 1.0, DType::kFloat32, kGpu);
  ops::_amp_update_scale_(scale, tracker, inf, 2.0, 0.5, 2);
  EXPECT_EQ(scale.item().to<double>(), 512.0);
  ops::_amp_update_scale_(scale, tracker, clean, 2.0, 0.5, 2);
  EXPECT_EQ(tracker.item().to<double>(), 1.0);
  ops::_amp_update_scale_(scale, tracker, clean, 2.0, 0.5, 2);
  EXPECT_EQ(scale.item().to<double>(), 1024.0);
  EXPECT_EQ(tracker.item().to<double>(), 0.0);
}

INSTANTIATE_TEST_SUITE_P(Dtypes, CudaOptim, ::testing::Values(DType::kFloat32, DType::kBFloat16),
                         [](const ::testing::TestParamInfo<DType>& info) {
                           return std::string(dtype_name(info.param));
                         });

}  // namespace
}  // namespace kiln
