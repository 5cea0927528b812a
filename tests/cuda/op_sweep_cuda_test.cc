// The CUDA op sweep: every sample of tests/ops/samples whose op lists its dtype under
// `cuda:` in the table, run on cuda:0 and compared with PyTorch's results (the same reference
// data and tolerances as the CPU sweep); errors must be errors on CUDA too. For float64
// samples of differentiable ops, the gradient of sum(out * w) on CUDA is compared with the
// CPU's. Skips with "no GPU" where there is none.
#include <gtest/gtest.h>

#include "engine/autograd/engine.h"
#include "engine/ops/ops.h"
#include "tests/cuda/cuda_test_util.h"
#include "tests/ops/reference.h"

namespace kiln::testing {
namespace {

const Device kGpu{DeviceType::kCUDA, 0};

// Every tensor argument moved to the GPU; 0-dim ones too (PyTorch's samples made them on the
// same device). Leaves stay leaves: they are re-made on the GPU with requires_grad.
std::vector<IValue> to_gpu(std::vector<IValue> args, std::vector<Tensor>* leaves) {
  auto move = [&](const Tensor& t) {
    if (!t.defined()) return t;
    Tensor g = ops::to(t.detach(), kGpu, std::nullopt, true);
    if (t.requires_grad()) {
      g.set_requires_grad(true);
      if (leaves) leaves->push_back(g);
    }
    return g;
  };
  for (IValue& a : args) {
    if (auto* t = std::get_if<Tensor>(&a)) {
      *t = move(*t);
    } else if (auto* l = std::get_if<std::vector<Tensor>>(&a)) {
      for (Tensor& t : *l) t = move(t);
    }
  }
  return args;
}

// Fixed, uneven weights (1, 1.1, ..., 1.6, 1, ...) so a wrong element of the gradient shows.
Tensor weights_like(const Tensor& t) {
  Tensor w = empty_tensor(t.sizes(), DType::kFloat64);
  double* p = w.data_ptr<double>();
  for (int64_t i = 0; i < w.numel(); ++i) p[i] = 1.0 + 0.1 * double(i % 7);
  return w;
}

bool cuda_supports(const OpInfo& op, const json& e) {
  if (e["dtype"].is_null()) return op.dtypes[int(DeviceType::kCUDA)] != 0;
  const DType dt = dtype_from_name(e["dtype"].get<std::string>());
  return (op.dtypes[int(DeviceType::kCUDA)] & dtype_bit(dt)) != 0;
}

class CudaSweep : public ::testing::TestWithParam<const OpInfo*> {};

TEST_P(CudaSweep, MatchesPyTorch) {
  KILN_REQUIRE_GPU();
  const OpInfo& op = *GetParam();
  int ran = 0;
  for (const json* ep : entries_for(op.full_name)) {
    const json& e = *ep;
    if (!cuda_supports(op, e)) continue;
    const std::string what = describe(e) + " on cuda";
    std::vector<Tensor> outs;
    std::string error;
    try {
      std::vector<IValue> args = to_gpu(decode_args(op, e), nullptr);
      Tensor out;
      if (decode_variant(e) == OpVariant::kOut) {
        const std::string dt = e.contains("out_dtype") ? e["out_dtype"].get<std::string>()
                               : e.contains("out")     ? e["out"][0]["dtype"].get<std::string>()
                                                       : std::string("float32");
        out = empty_tensor({0}, dtype_from_name(dt), kGpu);
      }
      outs = call_boxed(op.id, decode_variant(e), std::move(args), out);
    } catch (const std::exception& ex) {
      error = ex.what();
    }
    ++ran;
    if (e.contains("error")) {
      EXPECT_FALSE(error.empty()) << what << ": PyTorch raises \"" << e["error"].get<std::string>()
                                  << "\" but Kiln returned a result";
      continue;
    }
    if (!error.empty()) {
      ADD_FAILURE() << what << ": Kiln raised: " << error;
      continue;
    }
    const json& expected = e["out"];
    ASSERT_EQ(outs.size(), expected.size()) << what << ": number of outputs";
    for (size_t i = 0; i < outs.size(); ++i) {
      if (e.contains("compare") && e["compare"][i] == "skip") continue;
      EXPECT_EQ(outs[i].device(), kGpu) << what << " output " << i;
      const DType dt = dtype_from_name(expected[i]["dtype"].get<std::string>());
      const std::string diff =
          compare(ops::to(outs[i], kCPU, std::nullopt, false), expected[i], tolerance_for(dt, e));
      EXPECT_TRUE(diff.empty()) << what << " output " << i << ": " << diff;
    }
  }
  if (ran == 0) GTEST_SKIP() << op.full_name << ": no sample in a cuda dtype";
}

// Gradients of float64 samples: CUDA against CPU through the same autograd formulas.
TEST_P(CudaSweep, GradientsMatchCpu) {
  KILN_REQUIRE_GPU();
  const OpInfo& op = *GetParam();
  if (op.differentiable.empty()) GTEST_SKIP() << op.full_name << " is not differentiable";
  int ran = 0;
  for (const json* ep : entries_for(op.full_name)) {
    const json& e = *ep;
    if (e.contains("error") || !cuda_supports(op, e) ||
        decode_variant(e) != OpVariant::kFunctional || e["dtype"].is_null() ||
        e["dtype"].get<std::string>() != "float64") {
      continue;
    }
    std::vector<std::pair<std::pair<int, int>, Tensor>> cpu_leaf_slots;
    std::vector<IValue> cpu_args = decode_args(op, e, &cpu_leaf_slots);
    if (cpu_leaf_slots.empty()) continue;
    std::vector<Tensor> cpu_leaves, gpu_leaves;
    for (auto& l : cpu_leaf_slots) cpu_leaves.push_back(l.second);
    std::vector<IValue> gpu_args = to_gpu(cpu_args, &gpu_leaves);
    const std::string what = describe(e) + " gradient on cuda";
    try {
      std::vector<Tensor> co = call_boxed(op.id, OpVariant::kFunctional, cpu_args);
      std::vector<Tensor> go = call_boxed(op.id, OpVariant::kFunctional, gpu_args);
      // The first floating output that needs a gradient, weighted so every element counts.
      if (co.empty() || !co[0].requires_grad()) continue;
      const Tensor w = weights_like(co[0]);
      std::vector<Tensor> cg = grad({ops::sum(ops::mul(co[0], w))}, cpu_leaves, {}, std::nullopt,
                                    false, true);
      const Tensor wg = ops::to(w, kGpu, std::nullopt, false);
      std::vector<Tensor> gg =
          grad({ops::sum(ops::mul(go[0], wg))}, gpu_leaves, {}, std::nullopt, false, true);
      ++ran;
      ASSERT_EQ(cg.size(), gg.size());
      for (size_t i = 0; i < cg.size(); ++i) {
        if (!cg[i].defined()) continue;
        ASSERT_TRUE(gg[i].defined()) << what << ": no gradient for input " << i;
        Tensor diff = ops::abs(ops::sub(cg[i], ops::to(gg[i], kCPU, std::nullopt, false), 1));
        Tensor bound = ops::add(ops::mul(ops::abs(cg[i]), ops::full({}, 1e-7, DType::kFloat64)),
                                ops::full({}, 1e-9, DType::kFloat64), 1);
        EXPECT_TRUE(ops::all(ops::le(diff, bound)).item().to<bool>())
            << what << ": input " << i << " differs (max abs diff "
            << ops::max(diff).item().to<double>() << ")";
      }
    } catch (const std::exception& ex) {
      ADD_FAILURE() << what << ": raised: " << ex.what();
    }
  }
  if (ran == 0) GTEST_SKIP() << op.full_name << ": no float64 sample with a gradient";
}

std::vector<const OpInfo*> cuda_ops() {
  std::vector<const OpInfo*> v;
  for (const OpInfo& op : all_ops()) {
    if (op.dtypes[int(DeviceType::kCUDA)] != 0) v.push_back(&op);
  }
  return v;
}

INSTANTIATE_TEST_SUITE_P(CudaOps, CudaSweep, ::testing::ValuesIn(cuda_ops()),
                         [](const ::testing::TestParamInfo<const OpInfo*>& info) {
                           return std::string(info.param->full_name);
                         });

}  // namespace
}  // namespace kiln::testing
