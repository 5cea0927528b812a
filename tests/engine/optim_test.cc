// The optim family's ops beyond what trajectories check: argument errors, version bumps,
// strided members, thread-count independence, the half types, no recording.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "engine/autograd/functions.h"
#include "engine/core/parallel.h"
#include "engine/core/printing.h"

namespace kiln {
namespace {

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

Tensor ramp(int64_t n, DType dtype = DType::kFloat32, double scale = 1.0) {
  Tensor t = empty_tensor({n}, DType::kFloat64);
  for (int64_t i = 0; i < n; ++i) t.data_ptr<double>()[i] = scale * (double((i * 37) % 101) / 50.0 - 1.0);
  return to(t, std::nullopt, dtype);
}

std::vector<double> values(const Tensor& t) {
  const Tensor c = contiguous(t);
  std::vector<double> v;
  for (int64_t i = 0; i < c.numel(); ++i) v.push_back(cpu_element_as_double(c, i));
  return v;
}

TEST(OptimOps, ArgumentErrors) {
  Tensor p = ramp(4), g = ramp(4), b = ramp(4);
  EXPECT_EQ(error_of([&] { _fused_sgd_({p, p}, {g}, {}, 0.1, 0, 0, 0, false, false, false); }),
            "_fused_sgd_: expected one tensor in grads per parameter, got 1 for 2 parameters");
  EXPECT_EQ(error_of([&] { _fused_sgd_({p}, {g}, {}, 0.1, 0.9, 0, 0, false, false, false); }),
            "_fused_sgd_: expected one tensor in momentum_buffers per parameter, got 0 for 1 "
            "parameters");
  EXPECT_EQ(error_of([&] { _fused_sgd_({p}, {ramp(3)}, {}, 0.1, 0, 0, 0, false, false, false); }),
            "_fused_sgd_: grads[0] has shape [3] but params[0] has shape [4]");
  EXPECT_EQ(error_of([&] {
              _fused_sgd_({p}, {ramp(4, DType::kFloat64)}, {}, 0.1, 0, 0, 0, false, false, false);
            }),
            "_fused_sgd_: grads[0] is float64 but params[0] is float32");
  EXPECT_EQ(error_of([&] { _fused_sgd_({Tensor()}, {g}, {}, 0.1, 0, 0, 0, false, false, false); }),
            "_fused_sgd_: params[0] must be a Tensor, not None");
  Tensor i = zeros({4}, DType::kInt64);
  EXPECT_EQ(error_of([&] { _fused_sgd_({i}, {i}, {}, 0.1, 0, 0, 0, false, false, false); }),
            "_fused_sgd_: not implemented for cpu/int64");
  Tensor step = zeros({}, DType::kInt64);
  EXPECT_EQ(error_of([&] {
              _fused_adam_({p}, {g}, {b}, {clone(b)}, {}, {step}, 1e-3, 0.9, 0.999, 0, 1e-8,
                           false, false);
            }),
            "_fused_adam_: state_steps[0] must be a one-element float32 or float64 tensor, got "
            "int64 of shape []");
  EXPECT_EQ(error_of([&] {
              _fused_adam_({p}, {g}, {b}, {clone(b)}, {}, {}, 1e-3, 0.9, 0.999, 0, 1e-8, false,
                           false);
            }),
            "_fused_adam_: expected one tensor in state_steps per parameter, got 0 for 1 "
            "parameters");
  EXPECT_EQ(error_of([&] {
              _fused_rmsprop_({p}, {g}, {b}, {}, {}, 0.01, 0.99, 1e-8, 0, 0, true, false);
            }),
            "_fused_rmsprop_: expected one tensor in grad_avgs per parameter, got 0 for 1 "
            "parameters");
  Tensor expanded = expand(ramp(1), {4});
  EXPECT_NE(error_of([&] {
              _fused_sgd_({expanded}, {g}, {}, 0.1, 0, 0, 0, false, false, false);
            }).find("must not have elements that share memory"),
            std::string::npos);
  EXPECT_EQ(error_of([&] { _fused_sgd_({p, p}, {g, g}, {}, 0.1, 0, 0, 0, false, false, false); }),
            "_fused_sgd_: params[0] and params[1] are the same tensor");
  // Nothing to do is fine.
  _fused_sgd_({}, {}, {}, 0.1, 0.9, 0, 0, false, false, false);
  _fused_adagrad_({}, {}, {}, {}, 0.1, 0, 0, 1e-10, false);
  clip_grad_value_({}, 1.0);
}

TEST(OptimOps, BumpsTheVersionOfWhatTheyWrite) {
  Tensor p = ramp(8), g = ramp(8), m = zeros({8}), v = zeros({8}), step = zeros({});
  const uint32_t vp = p.version(), vg = g.version(), vm = m.version(), vs = step.version();
  _fused_adamw_({p}, {g}, {m}, {v}, {}, {step}, 1e-3, 0.9, 0.999, 0.01, 1e-8, false, false);
  EXPECT_GT(p.version(), vp);
  EXPECT_GT(m.version(), vm);
  EXPECT_GT(step.version(), vs);
  EXPECT_EQ(g.version(), vg);
  EXPECT_EQ(step.item().to_double(), 1.0);
}

TEST(OptimOps, RecordNothingAndMayWriteLeavesThatRequireGrad) {
  Tensor p = ramp(4);
  p.set_requires_grad(true);
  Tensor g = ramp(4), buf = zeros({4});
  _fused_sgd_({p}, {g}, {buf}, 0.1, 0.9, 0, 0, false, false, /*is_first_step=*/true);
  EXPECT_TRUE(p.is_leaf());
  EXPECT_FALSE(p.grad_fn());
  // The first step's buffer is the update itself.
  EXPECT_EQ(values(buf), values(g));
}

TEST(OptimOps, StridedParametersMatchContiguousOnes) {
  // p^T of a (3, 5) tensor: the step goes through a contiguous copy and back.
  Tensor base = to(reshape(ramp(15, DType::kFloat64), {3, 5}), std::nullopt, std::nullopt, true);
  Tensor strided = transpose(base, 0, 1);
  Tensor dense = contiguous(strided);
  Tensor g = reshape(ramp(15, DType::kFloat64, 0.3), {5, 3});
  Tensor m1 = zeros({5, 3}, DType::kFloat64), v1 = zeros({5, 3}, DType::kFloat64);
  Tensor m2 = transpose(zeros({3, 5}, DType::kFloat64), 0, 1), v2 = zeros({5, 3}, DType::kFloat64);
  Tensor s1 = zeros({}), s2 = zeros({});
  for (int k = 0; k < 3; ++k) {
    _fused_adam_({dense}, {g}, {m1}, {v1}, {}, {s1}, 0.1, 0.9, 0.99, 0.1, 1e-8, false, false);
    _fused_adam_({strided}, {g}, {m2}, {v2}, {}, {s2}, 0.1, 0.9, 0.99, 0.1, 1e-8, false, false);
  }
  EXPECT_EQ(values(strided), values(dense));
  EXPECT_EQ(values(m2), values(m1));
}

TEST(OptimOps, TheSameOnAnyNumberOfThreads) {
  // Several tensors, one much larger than a piece, so the group spreads over threads.
  const std::vector<int64_t> sizes = {100003, 17, 40000, 1};
  auto run = [&](int threads) {
    set_num_threads(threads);
    std::vector<Tensor> ps, gs, ms, vs, vmax, steps, sqs, gas, bufs;
    for (int64_t n : sizes) {
      ps.push_back(ramp(n));
      gs.push_back(ramp(n, DType::kFloat32, 0.7));
      ms.push_back(zeros({n}));
      vs.push_back(zeros({n}));
      vmax.push_back(zeros({n}));
      steps.push_back(zeros({}));
      sqs.push_back(zeros({n}));
      gas.push_back(zeros({n}));
      bufs.push_back(zeros({n}));
    }
    for (int k = 0; k < 2; ++k) {
      _fused_adam_(ps, gs, ms, vs, vmax, steps, 1e-2, 0.9, 0.999, 0.1, 1e-8, true, false);
      _fused_rmsprop_(ps, gs, sqs, gas, bufs, 1e-2, 0.9, 1e-8, 0, 0.5, true, true);
    }
    std::vector<double> all;
    for (const Tensor& p : ps) {
      for (double x : values(p)) EXPECT_TRUE(std::isfinite(x));
      const auto v = values(p);
      all.insert(all.end(), v.begin(), v.end());
    }
    return all;
  };
  const int threads = num_threads();
  const auto one = run(1), two = run(2), three = run(3);
  set_num_threads(threads);
  EXPECT_EQ(one, two);
  EXPECT_EQ(one, three);
}

TEST(OptimOps, HalfTypesComputeInFloat) {
  for (DType dtype : {DType::kFloat16, DType::kBFloat16}) {
    Tensor p = ramp(40, dtype), g = ramp(40, dtype, 0.5), buf = zeros({40}, dtype);
    Tensor pf = to(p, std::nullopt, DType::kFloat32), gf = to(g, std::nullopt, DType::kFloat32);
    Tensor buff = zeros({40});
    for (int k = 0; k < 3; ++k) {
      _fused_sgd_({p}, {g}, {buf}, 0.1, 0.9, 0, 0.01, true, false, k == 0);
      _fused_sgd_({pf}, {gf}, {buff}, 0.1, 0.9, 0, 0.01, true, false, k == 0);
    }
    const auto got = values(p), want = values(pf);
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_NEAR(got[i], want[i], dtype == DType::kFloat16 ? 2e-3 : 2e-2) << dtype << " " << i;
    }
  }
}

TEST(OptimOps, PythonFloatRepr) {
  EXPECT_EQ(python_float_repr(-1.0), "-1.0");
  EXPECT_EQ(python_float_repr(1e-8), "1e-08");
  EXPECT_EQ(python_float_repr(0.001), "0.001");
  EXPECT_EQ(python_float_repr(0.0001), "0.0001");
  EXPECT_EQ(python_float_repr(1e-5), "1e-05");
  EXPECT_EQ(python_float_repr(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(python_float_repr(123456789012345.0), "123456789012345.0");
  EXPECT_EQ(python_float_repr(1e16), "1e+16");
  EXPECT_EQ(python_float_repr(1.5e300), "1.5e+300");
  EXPECT_EQ(python_float_repr(-0.0), "-0.0");
  EXPECT_EQ(python_float_repr(2.0), "2.0");
  EXPECT_EQ(python_float_repr(std::numeric_limits<double>::infinity()), "inf");
  EXPECT_EQ(python_float_repr(std::nan("")), "nan");
}

}  // namespace
}  // namespace kiln
