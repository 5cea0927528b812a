// state_dict round trips: save after 20 steps, load into a fresh optimizer over fresh copies
// of the parameters, continue, and land on PyTorch's trajectory; plus load_state_dict's checks.
#include <gtest/gtest.h>

#include "engine/autograd/functions.h"
#include "engine/optim/adam.h"
#include "engine/optim/sgd.h"
#include "tests/optim/optim_cases.h"

namespace kiln::testing {
namespace {

constexpr int kSaveAt = 20;

class RoundTrip : public ::testing::TestWithParam<std::string> {};

TEST_P(RoundTrip, ContinuesPyTorchsTrajectory) {
  const json* found = nullptr;
  for (const json& c : trajectories()["cases"]) {
    if (c["name"] == GetParam()) found = &c;
  }
  ASSERT_NE(found, nullptr);
  const json& c = *found;
  const DType dtype = dtype_from_name(c["dtype"].get<std::string>());
  const Problem pr = problem(dtype);
  const std::vector<Tensor> ps = leaves(pr.init);
  auto opt = make_optimizer(c, ps);
  for (int step = 0; step < kSaveAt; ++step) {
    compute_grads(*opt, ps, pr, step);
    opt->step();
  }
  const optim::StateDict saved = opt->state_dict();
  const std::vector<Tensor> resumed = leaves(ps);
  // A fresh optimizer built with default hyperparameters: the state dict brings the groups'.
  auto fresh = make_optimizer(c["optimizer"].get<std::string>(),
                              c["optimizer"] == "SGD" ? json{{"lr", 123.0}} : json::object(),
                              c["groups"], resumed);
  fresh->load_state_dict(saved);
  // The saved state shares tensors with `opt`: stepping it must not disturb the copy loaded.
  compute_grads(*opt, ps, pr, kSaveAt);
  opt->step();
  const double tol = dtype == DType::kFloat64 ? 1e-10 : 2e-4;
  for (int step = kSaveAt; step < int(c["trajectory"].size()); ++step) {
    compute_grads(*fresh, resumed, pr, step);
    fresh->step();
    ASSERT_LE(max_abs_diff(flat(resumed), c["trajectory"][step]), tol) << "step " << step + 1;
  }
}

std::vector<std::string> case_names() {
  std::vector<std::string> names;
  for (const json& c : trajectories()["cases"]) names.push_back(c["name"].get<std::string>());
  return names;
}

INSTANTIATE_TEST_SUITE_P(TorchOptim, RoundTrip, ::testing::ValuesIn(case_names()),
                         [](const auto& info) { return info.param; });

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

TEST(LoadStateDict, RejectsMismatchedGroups) {
  Tensor a = leaves({zeros({2})})[0], b = leaves({zeros({3})})[0];
  optim::SGD one({a, b}, {.lr = 0.1});
  optim::SGD two(std::vector<optim::ParamGroup>{{{a}, {}}, {{b}, {}}}, {.lr = 0.1});
  EXPECT_EQ(error_of([&] { one.load_state_dict(two.state_dict()); }),
            "loaded state dict has a different number of parameter groups");
  optim::SGD small({a}, {.lr = 0.1});
  EXPECT_EQ(error_of([&] { one.load_state_dict(small.state_dict()); }),
            "loaded state dict contains a parameter group that doesn't match the size of "
            "optimizer's group");
}

TEST(LoadStateDict, RejectsStateOfTheWrongShapeAndKeepsItsOwn) {
  Tensor a = leaves({zeros({2})})[0];
  optim::Adam adam({a});
  a.set_grad(ones({2}));
  adam.step();
  optim::StateDict sd = adam.state_dict();
  sd.state[0].set("exp_avg", zeros({5}));
  EXPECT_NE(error_of([&] { adam.load_state_dict(sd); }).find("'exp_avg' of shape [5]"),
            std::string::npos);
  EXPECT_EQ(optim::as_tensor(adam.state(a).at("exp_avg"), "exp_avg").sizes(), Shape{2});
  sd = adam.state_dict();
  sd.state[7] = sd.state[0];
  EXPECT_NE(error_of([&] { adam.load_state_dict(sd); }).find("state for parameter 7"),
            std::string::npos);
}

TEST(LoadStateDict, CastsToTheParameterDtypeButKeepsStep) {
  Tensor a = leaves({zeros({2}, DType::kFloat32)})[0];
  optim::Adam adam({a});
  optim::StateDict sd = adam.state_dict();
  sd.state[0] = {{"step", scalar_tensor(3.0, DType::kFloat64)},
                 {"exp_avg", zeros({2}, DType::kFloat64)},
                 {"exp_avg_sq", zeros({2}, DType::kFloat64)}};
  adam.load_state_dict(sd);
  const optim::Dict& st = adam.state(a);
  EXPECT_EQ(optim::as_tensor(st.at("step"), "step").dtype(), DType::kFloat64);
  EXPECT_EQ(optim::as_tensor(st.at("exp_avg"), "exp_avg").dtype(), DType::kFloat32);
  // The loaded state is a copy: changing the dict afterwards does not reach the optimizer.
  EXPECT_FALSE(optim::as_tensor(st.at("step"), "step").is_same(
      optim::as_tensor(sd.state[0].at("step"), "step")));
  a.set_grad(ones({2}, DType::kFloat32));
  adam.step();
  EXPECT_EQ(optim::as_tensor(adam.state(a).at("step"), "step").item().to_double(), 4.0);
}

}  // namespace
}  // namespace kiln::testing
