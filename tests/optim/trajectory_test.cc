// Every case of trajectories.json: Kiln's optimizer, on the same problem, follows PyTorch's
// parameter trajectory step by step and ends with PyTorch's state_dict.
#include <gtest/gtest.h>

#include <cmath>

#include "tests/optim/optim_cases.h"

namespace kiln::testing {
namespace {

class Trajectory : public ::testing::TestWithParam<std::string> {};

const json& find_case(const std::string& name) {
  for (const json& c : trajectories()["cases"]) {
    if (c["name"] == name) return c;
  }
  throw std::runtime_error("no case " + name);
}

// float64 should agree to rounding (~1e-12); float32 to its own precision.
double tolerance(DType dtype) { return dtype == DType::kFloat64 ? 1e-6 : 2e-4; }

TEST_P(Trajectory, MatchesPyTorch) {
  const json& c = find_case(GetParam());
  const DType dtype = dtype_from_name(c["dtype"].get<std::string>());
  const Problem pr = problem(dtype);
  const std::vector<Tensor> ps = leaves(pr.init);
  auto opt = make_optimizer(c, ps);
  double worst = 0;
  for (int step = 0; step < int(c["trajectory"].size()); ++step) {
    compute_grads(*opt, ps, pr, step);
    opt->step();
    const double d = max_abs_diff(flat(ps), c["trajectory"][step]);
    worst = std::max(worst, d);
    ASSERT_LE(d, tolerance(dtype)) << "step " << step + 1;
  }
  std::cout << GetParam() << ": max |kiln - torch| over the trajectory " << worst << "\n";
  if (dtype == DType::kFloat64) {
    EXPECT_LE(worst, 1e-10) << "float64 should agree to rounding";
  }
}

// Kiln's state_dict has PyTorch's layout: the same parameter indices, the same keys in the
// same order, the same values (numbers as numbers: PyTorch's int 0 and Kiln's 0.0 agree).
void expect_same_value(const optim::Value& got, const json& want, const std::string& where) {
  const optim::Value w = decode_value(want);
  if (optim::is_tensor(w)) {
    ASSERT_TRUE(optim::is_tensor(got)) << where << ": " << optim::value_repr(got);
    const Tensor& gt = optim::as_tensor(got, where);
    const Tensor& wt = optim::as_tensor(w, where);
    EXPECT_EQ(gt.dtype(), wt.dtype()) << where;
    ASSERT_EQ(gt.sizes(), wt.sizes()) << where;
    EXPECT_LE(max_abs_diff(flat({gt}), want["tensor"]["data"]), 2e-4) << where;
  } else if (std::holds_alternative<double>(w) || std::holds_alternative<int64_t>(w)) {
    if (std::holds_alternative<int64_t>(w) && where.find("'step'") != std::string::npos) {
      EXPECT_TRUE(std::holds_alternative<int64_t>(got)) << where << " should stay an int";
    }
    EXPECT_EQ(optim::as_number(got, where), optim::as_number(w, where)) << where;
  } else {
    // None, a flag or a tuple: the same kind and the same value.
    EXPECT_EQ(optim::value_repr(got), optim::value_repr(w)) << where;
  }
}

TEST_P(Trajectory, StateDictLayout) {
  const json& c = find_case(GetParam());
  const DType dtype = dtype_from_name(c["dtype"].get<std::string>());
  const Problem pr = problem(dtype);
  const std::vector<Tensor> ps = leaves(pr.init);
  auto opt = make_optimizer(c, ps);
  for (int step = 0; step < int(c["trajectory"].size()); ++step) {
    compute_grads(*opt, ps, pr, step);
    opt->step();
  }
  const optim::StateDict sd = opt->state_dict();
  const json& want = c["state_dict"];
  ASSERT_EQ(sd.param_groups.size(), want["param_groups"].size());
  for (size_t g = 0; g < sd.param_groups.size(); ++g) {
    const json& wg = want["param_groups"][g];
    EXPECT_EQ(sd.param_groups[g].params, wg["params"].get<std::vector<int64_t>>());
    ASSERT_EQ(sd.param_groups[g].options.size(), wg["options"].size()) << "group " << g;
    size_t k = 0;
    for (const auto& [key, value] : sd.param_groups[g].options) {
      EXPECT_EQ(key, wg["options"][k][0]) << "group " << g << " option " << k;
      expect_same_value(value, wg["options"][k][1], "group option '" + key + "'");
      ++k;
    }
  }
  ASSERT_EQ(sd.state.size(), want["state"].size());
  for (const auto& [index, st] : sd.state) {
    const json& ws = want["state"][std::to_string(index)];
    ASSERT_EQ(st.size(), ws.size()) << "state of parameter " << index;
    size_t k = 0;
    for (const auto& [key, value] : st) {
      EXPECT_EQ(key, ws[k][0]) << "parameter " << index;
      expect_same_value(value, ws[k][1], "parameter " + std::to_string(index) + " '" + key + "'");
      ++k;
    }
  }
}

std::vector<std::string> case_names() {
  std::vector<std::string> names;
  for (const json& c : trajectories()["cases"]) names.push_back(c["name"].get<std::string>());
  return names;
}

INSTANTIATE_TEST_SUITE_P(TorchOptim, Trajectory, ::testing::ValuesIn(case_names()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace kiln::testing
