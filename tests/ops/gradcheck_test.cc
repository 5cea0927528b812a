// For every differentiable op: Kiln's gradients against PyTorch's (same inputs, same upstream
// gradient, float64), and against float64 central finite differences of Kiln's own forward.
// A differentiable op without a gradient sample fails.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "engine/autograd/engine.h"
#include "engine/autograd/functions.h"
#include "engine/autograd/grad_mode.h"
#include "tests/ops/reference.h"

namespace kiln::testing {
namespace {

struct Call {
  const OpInfo& op;
  const json& entry;
  std::vector<std::pair<std::pair<int, int>, Tensor>> leaves;
  std::vector<IValue> args;
};

// Runs the op on the call's (current) leaf values; returns its outputs.
std::vector<Tensor> run(Call& c) {
  std::vector<IValue> args = c.args;
  if (std::string(c.op.name).back() == '_') {
    // fill_ / copy_ write self: hand them a non-leaf copy of the leaf.
    if (auto* t = std::get_if<Tensor>(&args[0]); t && t->requires_grad()) args[0] = clone(*t);
  }
  return call_boxed(c.op.id, OpVariant::kFunctional, std::move(args));
}

// sum_k <out_k, upstream_k>: the scalar whose gradient the reference holds.
double objective(const std::vector<Tensor>& outs, const std::vector<Tensor>& ups) {
  double s = 0;
  for (size_t k = 0; k < outs.size(); ++k) {
    if (!ups[k].defined()) continue;
    Tensor o = contiguous(to(outs[k].detach(), kCPU, DType::kFloat64, false));
    Tensor u = contiguous(to(ups[k], kCPU, DType::kFloat64, false));
    for (int64_t i = 0; i < o.numel(); ++i) s += o.data_ptr<double>()[i] * u.data_ptr<double>()[i];
  }
  return s;
}

class GradCheck : public ::testing::TestWithParam<const OpInfo*> {};

TEST_P(GradCheck, MatchesPyTorchAndFiniteDifferences) {
  const OpInfo& op = *GetParam();
  int checked = 0;
  for (const json* ep : entries_for(op.full_name)) {
    const json& e = *ep;
    if (!e.contains("grad") || e["grad"].is_null()) continue;
    ++checked;
    const std::string what = describe(e);
    Call c{op, e, {}, {}};
    c.args = decode_args(op, e, &c.leaves);
    std::vector<Tensor> ups;
    for (const json& u : e["grad"]["upstream"]) ups.push_back(u.is_null() ? Tensor() : decode_tensor(u));

    // Analytic gradients through Kiln's autograd.
    std::vector<Tensor> outs = run(c);
    std::vector<Tensor> roots, root_grads, inputs;
    for (size_t k = 0; k < outs.size(); ++k) {
      if (ups[k].defined() && outs[k].requires_grad()) {
        roots.push_back(outs[k]);
        root_grads.push_back(ups[k]);
      }
    }
    // The reference lists the leaves it differentiated, in order; match them by slot.
    const json& where = e["grad"]["inputs"];
    for (const json& w : where) {
      const std::pair<int, int> key{w[0].get<int>(), w[1].get<int>()};
      for (auto& [k, t] : c.leaves) {
        if (k == key) inputs.push_back(t);
      }
    }
    ASSERT_EQ(inputs.size(), where.size()) << what << ": leaves do not match the reference";
    ASSERT_FALSE(roots.empty()) << what << ": no output requires grad";
    // Finite differences need float64 all the way (an output rounded to float16 is flat at
    // eps = 1e-6); the comparison with PyTorch covers the rest.
    bool fd = true;
    for (const Tensor& r : roots) fd = fd && r.dtype() == DType::kFloat64;
    std::vector<Tensor> grads = grad(roots, inputs, root_grads, std::nullopt, false, true);

    const json& expected = e["grad"]["expected"];
    for (size_t i = 0; i < inputs.size(); ++i) {
      const std::string input = what + " d/d(arg " + std::to_string(where[i][0].get<int>()) + ")";
      if (expected[i].is_null()) {
        if (grads[i].defined()) {
          const std::string z = compare(grads[i], json{{"shape", inputs[i].sizes()},
                                                       {"dtype", "float64"},
                                                       {"data", std::vector<double>(inputs[i].numel(), 0.0)}},
                                        {1e-12, 0});
          EXPECT_TRUE(z.empty()) << input << ": PyTorch has no gradient here but Kiln's is nonzero";
        }
        continue;
      }
      ASSERT_TRUE(grads[i].defined()) << input << ": Kiln computed no gradient";
      const std::string diff = compare(grads[i], expected[i], {1e-8, 1e-6});
      EXPECT_TRUE(diff.empty()) << input << " vs PyTorch: " << diff;

      if (!fd) continue;
      // Central differences on (up to 32 elements of) this input.
      NoGradGuard no_grad;
      Tensor x = inputs[i];
      double* px = x.data_ptr<double>();
      const Tensor g = contiguous(grads[i]);
      const int64_t n = std::min<int64_t>(x.numel(), 32);
      for (int64_t j = 0; j < n; ++j) {
        const double eps = 1e-6, orig = px[j];
        px[j] = orig + eps;
        const double hi = objective(run(c), ups);
        px[j] = orig - eps;
        const double lo = objective(run(c), ups);
        px[j] = orig;
        const double numeric = (hi - lo) / (2 * eps);
        const double analytic = g.data_ptr<double>()[j];
        EXPECT_LE(std::fabs(numeric - analytic), 1e-5 + 1e-3 * std::fabs(numeric))
            << input << " element " << j << ": finite differences " << numeric << ", backward "
            << analytic;
      }
    }
  }
  if (checked == 0) {
    ASSERT_NE(op.test_skip, nullptr) << op.full_name
                                     << " is differentiable but has no gradient sample";
    GTEST_SKIP() << op.test_skip;
  }
}

std::vector<const OpInfo*> differentiable_ops() {
  std::vector<const OpInfo*> v;
  for (const OpInfo& op : all_ops()) {
    if (!op.differentiable.empty()) v.push_back(&op);
  }
  return v;
}

INSTANTIATE_TEST_SUITE_P(Differentiable, GradCheck, ::testing::ValuesIn(differentiable_ops()),
                         [](const ::testing::TestParamInfo<const OpInfo*>& info) {
                           return std::string(info.param->full_name);
                         });

}  // namespace
}  // namespace kiln::testing
