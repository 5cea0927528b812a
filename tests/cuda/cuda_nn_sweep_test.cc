// The linalg / nn / attention ops on CUDA against PyTorch's results (tests/ops/reference.json,
// the samples the CPU sweep uses): every sample's inputs moved to the GPU, the outputs moved
// back and compared with the dtype's tolerance; float64 gradient samples likewise through
// autograd on the GPU. Samples of a dtype the CUDA kernel does not take (integer matmuls,
// which PyTorch's CUDA rejects too) are skipped and counted. Skips with "no GPU" without one.
#include <gtest/gtest.h>

#include <set>

#include "engine/autograd/engine.h"
#include "engine/autograd/functions.h"
#include "tests/cuda/cuda_test_util.h"
#include "tests/ops/reference.h"

namespace kiln::testing {
namespace {

const Device kGpu{DeviceType::kCUDA, 0};

// The ops whose CUDA kernels are cudann's, and the composites built on them.
const std::set<std::string>& nn_ops() {
  static const std::set<std::string> s = {
      "mm", "bmm", "addmm", "baddbmm", "mv", "addmv", "dot", "matmul", "outer", "einsum",
      "softmax", "log_softmax", "_softmax_backward_data", "_log_softmax_backward_data",
      "native_layer_norm", "native_layer_norm_backward", "layer_norm", "embedding",
      "embedding_dense_backward", "native_dropout_backward", "cross_entropy",
      "_cross_entropy_backward", "nll_loss", "_nll_loss_backward", "linear", "linear_backward",
      "bilinear", "scaled_dot_product_attention", "_scaled_dot_product_attention",
      "_scaled_dot_product_attention_backward", "lstm_cell", "gru_cell", "_lstm_cell_gates",
      "_lstm_cell_gates_backward", "_gru_cell_gates", "_gru_cell_gates_backward",
      // ---- cudaconv ----
      "convolution", "convolution_backward", "conv1d", "conv1d_padding", "conv2d",
      "conv2d_padding", "conv_transpose2d", "max_pool2d_with_indices",
      "max_pool2d_with_indices_backward", "max_pool2d", "avg_pool2d", "avg_pool2d_backward",
      "adaptive_avg_pool2d", "adaptive_avg_pool2d_backward", "native_batch_norm",
      "native_batch_norm_backward", "batch_norm", "native_group_norm",
      "native_group_norm_backward", "group_norm"
      // ---- end cudaconv ----
  };
  return s;
}

Tensor to_gpu(const Tensor& t) { return t.defined() ? to(t, kGpu, std::nullopt, false) : t; }

IValue arg_to_gpu(const IValue& v) {
  if (const Tensor* t = std::get_if<Tensor>(&v)) return to_gpu(*t);
  if (const auto* l = std::get_if<std::vector<Tensor>>(&v)) {
    std::vector<Tensor> out;
    for (const Tensor& t : *l) out.push_back(to_gpu(t));
    return out;
  }
  if (std::holds_alternative<Device>(v)) return kGpu;
  return v;
}

bool unsupported_on_cuda(const std::string& error) {
  return error.find("not implemented for cuda") != std::string::npos ||
         error.find("no cuda kernel") != std::string::npos;
}

class CudaNnSweep : public ::testing::TestWithParam<const OpInfo*> {};

TEST_P(CudaNnSweep, MatchesPyTorch) {
  KILN_REQUIRE_GPU();
  const OpInfo& op = *GetParam();
  int run = 0, skipped = 0;
  for (const json* ep : entries_for(op.full_name)) {
    const json& e = *ep;
    const std::string what = describe(e) + " on cuda";
    std::vector<Tensor> outs;
    std::string error;
    try {
      std::vector<IValue> args;
      for (const IValue& a : decode_args(op, e)) args.push_back(arg_to_gpu(a));
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
    if (e.contains("error")) {
      EXPECT_FALSE(error.empty()) << what << ": PyTorch raises \"" << e["error"].get<std::string>()
                                  << "\" but Kiln returned a result";
      continue;
    }
    if (!error.empty() && unsupported_on_cuda(error)) {
      ++skipped;
      continue;
    }
    if (!error.empty()) {
      ADD_FAILURE() << what << ": Kiln raised: " << error;
      continue;
    }
    ++run;
    const json& expected = e["out"];
    ASSERT_EQ(outs.size(), expected.size()) << what << ": number of outputs";
    for (size_t i = 0; i < outs.size(); ++i) {
      if (e.contains("compare") && e["compare"][i] == "skip") continue;
      EXPECT_TRUE(outs[i].device().is_cuda() || outs[i].numel() <= 1)
          << what << " output " << i << " is on " << outs[i].device();
      const DType dt = dtype_from_name(expected[i]["dtype"].get<std::string>());
      const std::string diff = compare(to(outs[i], kCPU, std::nullopt, false), expected[i],
                                       tolerance_for(dt, e));
      EXPECT_TRUE(diff.empty()) << what << " output " << i << ": " << diff;
    }
  }
  std::cout << op.full_name << ": " << run << " samples on cuda, " << skipped
            << " skipped (dtype not supported on cuda)\n";
}

class CudaNnGrad : public ::testing::TestWithParam<const OpInfo*> {};

TEST_P(CudaNnGrad, MatchesPyTorch) {
  KILN_REQUIRE_GPU();
  const OpInfo& op = *GetParam();
  for (const json* ep : entries_for(op.full_name)) {
    const json& e = *ep;
    if (!e.contains("grad") || e["grad"].is_null()) continue;
    const std::string what = describe(e) + " on cuda";
    std::vector<std::pair<std::pair<int, int>, Tensor>> leaves;
    std::vector<IValue> args = decode_args(op, e, &leaves);
    // The GPU leaves replace the CPU ones in the argument list, slot by slot.
    std::vector<std::pair<std::pair<int, int>, Tensor>> gpu_leaves;
    for (auto& [slot, t] : leaves) {
      Tensor g = to_gpu(t.detach());
      g.set_requires_grad(true);
      gpu_leaves.push_back({slot, g});
    }
    for (size_t a = 0; a < args.size(); ++a) {
      IValue v = arg_to_gpu(args[a]);
      for (auto& [slot, g] : gpu_leaves) {
        if (slot.first != int(a)) continue;
        if (slot.second < 0) {
          v = g;
        } else {
          std::get<std::vector<Tensor>>(v)[size_t(slot.second)] = g;
        }
      }
      args[a] = v;
    }
    std::vector<Tensor> ups;
    for (const json& u : e["grad"]["upstream"]) {
      ups.push_back(u.is_null() ? Tensor() : to_gpu(decode_tensor(u)));
    }
    std::vector<Tensor> outs = call_boxed(op.id, OpVariant::kFunctional, std::move(args));
    std::vector<Tensor> roots, root_grads, inputs;
    for (size_t k = 0; k < outs.size(); ++k) {
      if (ups[k].defined() && outs[k].requires_grad()) {
        roots.push_back(outs[k]);
        root_grads.push_back(ups[k]);
      }
    }
    const json& where = e["grad"]["inputs"];
    for (const json& w : where) {
      const std::pair<int, int> key{w[0].get<int>(), w[1].get<int>()};
      for (auto& [k, t] : gpu_leaves) {
        if (k == key) inputs.push_back(t);
      }
    }
    ASSERT_EQ(inputs.size(), where.size()) << what << ": leaves do not match the reference";
    ASSERT_FALSE(roots.empty()) << what << ": no output requires grad";
    std::vector<Tensor> grads = grad(roots, inputs, root_grads, std::nullopt, false, true);
    const json& expected = e["grad"]["expected"];
    for (size_t i = 0; i < inputs.size(); ++i) {
      if (expected[i].is_null()) continue;
      ASSERT_TRUE(grads[i].defined()) << what << " input " << i << ": no gradient";
      const std::string diff =
          compare(to(grads[i], kCPU, std::nullopt, false), expected[i], {1e-7, 1e-5});
      EXPECT_TRUE(diff.empty()) << what << " d/d(arg " << where[i][0].get<int>() << "): " << diff;
    }
  }
}

std::vector<const OpInfo*> ops(bool differentiable_only) {
  std::vector<const OpInfo*> v;
  for (const OpInfo& op : all_ops()) {
    if (!nn_ops().count(op.full_name)) continue;
    if (differentiable_only && op.differentiable.empty()) continue;
    v.push_back(&op);
  }
  return v;
}

std::string name_of(const ::testing::TestParamInfo<const OpInfo*>& info) {
  return info.param->full_name;
}

INSTANTIATE_TEST_SUITE_P(NnOps, CudaNnSweep, ::testing::ValuesIn(ops(false)), name_of);
INSTANTIATE_TEST_SUITE_P(NnOps, CudaNnGrad, ::testing::ValuesIn(ops(true)), name_of);

}  // namespace
}  // namespace kiln::testing
