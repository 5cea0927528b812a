// The optimizer base and the optimizers' contracts beyond the trajectories: constructor
// errors (PyTorch's messages), parameter groups, zero_grad, skipped parameters, closures.
#include <gtest/gtest.h>

#include "engine/autograd/engine.h"
#include "engine/autograd/functions.h"
#include "engine/autograd/operators.h"
#include "engine/optim/adagrad.h"
#include "engine/optim/adam.h"
#include "engine/optim/rmsprop.h"
#include "engine/optim/sgd.h"
#include "tests/optim/optim_cases.h"

namespace kiln::testing {
namespace {

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return std::string(error_kind_name(e.kind())) + ": " + e.what();
  }
  return "";
}

Tensor leaf(std::vector<double> values) {
  Tensor t = empty_tensor({int64_t(values.size())}, DType::kFloat64);
  for (size_t i = 0; i < values.size(); ++i) t.data_ptr<double>()[i] = values[i];
  t.set_requires_grad(true);
  return t;
}

TEST(Optimizer, BadHyperparametersRaisePyTorchsErrors) {
  Tensor p = leaf({0, 0});
  for (const json& e : trajectories()["errors"]) {
    const std::string got =
        error_of([&] { make_optimizer(e["optimizer"].get<std::string>(), e["kwargs"], json(), {p}); });
    EXPECT_EQ(got, "ValueError: " + e["error"].get<std::string>()) << e.dump();
  }
  EXPECT_EQ(error_of([&] { optim::SGD({p}, {.lr = -1.0}); }),
            "ValueError: Invalid learning rate: -1.0");
  EXPECT_EQ(error_of([&] { optim::Adam({p}, {.betas = {1.0, 0.999}}); }),
            "ValueError: Invalid beta parameter at index 0: 1.0");
}

TEST(Optimizer, ParameterListAndGroupErrors) {
  Tensor p = leaf({0, 0}), q = leaf({1});
  EXPECT_EQ(error_of([&] { optim::Adam(std::vector<Tensor>{}); }),
            "ValueError: optimizer got an empty parameter list");
  EXPECT_EQ(error_of([&] { optim::SGD({p}, {}); }),
            "ValueError: parameter group didn't specify a value of required optimization "
            "parameter lr");
  // lr given by every group is enough.
  optim::SGD per_group(std::vector<optim::ParamGroup>{{{p}, {{"lr", 0.5}}}}, {});
  EXPECT_EQ(optim::as_number(per_group.param_groups()[0].options.at("lr"), "lr"), 0.5);
  EXPECT_EQ(error_of([&] { per_group.add_param_group({{q}, {}}); }),
            "ValueError: parameter group didn't specify a value of required optimization "
            "parameter lr");
  EXPECT_EQ(error_of([&] { per_group.add_param_group({{p}, {{"lr", 0.1}}}); }),
            "ValueError: some parameters appear in more than one parameter group");
  EXPECT_EQ(error_of([&] { optim::Adam({p, q, p}); }),
            "ValueError: optimizer contains a parameter group with duplicate parameters");
  Tensor non_leaf = p * 2.0;
  EXPECT_EQ(error_of([&] { optim::Adam({non_leaf}); }),
            "ValueError: can't optimize a non-leaf Tensor");
  EXPECT_EQ(error_of([&] { optim::Adam({Tensor()}); }),
            "TypeError: optimizer can only optimize Tensors, but one of the params is None");
}

TEST(Optimizer, GroupsTakeMissingOptionsFromTheDefaultsInPyTorchsOrder) {
  Tensor p = leaf({0}), q = leaf({0});
  optim::Adam adam({p}, {.lr = 0.01, .amsgrad = true});
  adam.add_param_group({{q}, {{"weight_decay", 0.5}, {"lr", 0.2}}});
  std::vector<std::string> keys;
  for (const auto& [k, v] : adam.param_groups()[1].options) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"weight_decay", "lr", "betas", "eps", "amsgrad",
                                            "maximize", "foreach", "capturable",
                                            "differentiable", "fused"}));
  EXPECT_EQ(optim::value_repr(adam.param_groups()[1].options.at("amsgrad")), "True");
  EXPECT_EQ(optim::value_repr(adam.param_groups()[1].options.at("betas")), "(0.9, 0.999)");
  EXPECT_EQ(optim::value_repr(adam.param_groups()[1].options.at("eps")), "1e-08");
}

TEST(Optimizer, SkipsParametersWithoutGradients) {
  for (int kind = 0; kind < 5; ++kind) {
    std::unique_ptr<optim::Optimizer> opt;
    Tensor a = leaf({1, 2}), b = leaf({3});
    switch (kind) {
      case 0: opt = std::make_unique<optim::SGD>(std::vector<Tensor>{a, b}, optim::SGDOptions{.lr = 0.1, .momentum = 0.9}); break;
      case 1: opt = std::make_unique<optim::Adam>(std::vector<Tensor>{a, b}); break;
      case 2: opt = std::make_unique<optim::AdamW>(std::vector<Tensor>{a, b}); break;
      case 3: opt = std::make_unique<optim::RMSprop>(std::vector<Tensor>{a, b}); break;
      default: opt = std::make_unique<optim::Adagrad>(std::vector<Tensor>{a, b}); break;
    }
    a.set_grad(ones({2}, DType::kFloat64));
    const uint32_t version = b.version();
    opt->step();
    EXPECT_EQ(flat({b}), std::vector<double>{3}) << opt->name();
    EXPECT_EQ(b.version(), version) << opt->name();
    EXPECT_NE(flat({a}), (std::vector<double>{1, 2})) << opt->name();
    // Adagrad's state exists from the start (as PyTorch's); the others' from a first step.
    EXPECT_EQ(opt->has_state(b), opt->name() == "Adagrad") << opt->name();
    EXPECT_TRUE(opt->has_state(a)) << opt->name();
  }
}

TEST(Optimizer, StepBumpsVersionsAndRecordsNothing) {
  Tensor p = leaf({1, 2});
  optim::Adam adam({p});
  Tensor y = sum(p * p);  // saves p for backward
  backward(y);
  const uint32_t version = p.version();
  adam.step();
  EXPECT_GT(p.version(), version);
  EXPECT_TRUE(p.is_leaf());
  EXPECT_TRUE(p.requires_grad());
  const Tensor& step = optim::as_tensor(adam.state(p).at("step"), "step");
  EXPECT_EQ(step.dtype(), DType::kFloat32);
  EXPECT_EQ(step.dim(), 0);
  EXPECT_EQ(step.item().to_double(), 1.0);
}

TEST(Optimizer, ZeroGrad) {
  Tensor p = leaf({1, 2}), q = leaf({3});
  optim::SGD sgd({p, q}, {.lr = 0.1});
  p.set_grad(ones({2}, DType::kFloat64));
  const Tensor g = p.grad();
  sgd.zero_grad();  // PyTorch 1.13's default keeps the memory
  ASSERT_TRUE(p.grad().defined());
  EXPECT_TRUE(p.grad().is_same(g));
  EXPECT_EQ(flat({p.grad()}), (std::vector<double>{0, 0}));
  EXPECT_FALSE(q.grad().defined());
  sgd.zero_grad(/*set_to_none=*/true);
  EXPECT_FALSE(p.grad().defined());
  // With set_to_none the next step skips p; with zeros it steps (weight decay moves it).
  optim::SGD decay({p}, {.lr = 0.1, .weight_decay = 1.0});
  decay.step();
  EXPECT_EQ(flat({p}), (std::vector<double>{1, 2}));
  p.set_grad(ones({2}, DType::kFloat64));
  decay.zero_grad(false);
  decay.step();
  EXPECT_EQ(flat({p}), (std::vector<double>{0.9, 1.8}));
}

TEST(Optimizer, StepWithClosureRecordsUnderGrad) {
  Tensor p = leaf({2});
  optim::SGD sgd({p}, {.lr = 0.25});
  const Tensor loss = sgd.step([&] {
    sgd.zero_grad(true);
    Tensor l = sum(p * p);
    backward(l);
    return l;
  });
  EXPECT_EQ(loss.item().to_double(), 4.0);
  EXPECT_EQ(flat({p}), std::vector<double>{1.0});  // 2 - 0.25 * 4
}

TEST(Optimizer, SchedulersChangeLrBetweenSteps) {
  Tensor p = leaf({1});
  optim::SGD sgd({p}, {.lr = 0.1});
  p.set_grad(ones({1}, DType::kFloat64));
  sgd.param_groups()[0].options.set("lr", 0.5);
  sgd.step();
  EXPECT_EQ(flat({p}), std::vector<double>{0.5});
}

TEST(Optimizer, OptionsThatChangeAfterTheStateExists) {
  Tensor p = leaf({1});
  optim::Adam adam({p});
  p.set_grad(ones({1}, DType::kFloat64));
  adam.step();
  adam.param_groups()[0].options.set("amsgrad", true);
  EXPECT_NE(error_of([&] { adam.step(); }).find("no 'max_exp_avg_sq'"), std::string::npos);
  optim::SGD sgd({p}, {.lr = 0.1});
  sgd.step();  // momentum 0: the buffer is None
  EXPECT_TRUE(optim::is_none(sgd.state(p).at("momentum_buffer")));
  sgd.param_groups()[0].options.set("momentum", 0.5);
  sgd.step();  // the first step with momentum creates it
  EXPECT_TRUE(optim::is_tensor(sgd.state(p).at("momentum_buffer")));
  sgd.param_groups()[0].options.set("differentiable", true);
  EXPECT_NE(error_of([&] { sgd.step(); }).find("differentiable=True is not supported"),
            std::string::npos);
}

TEST(Optimizer, AdagradGroupsAddedLaterGetState) {
  Tensor p = leaf({1}), q = leaf({1});
  optim::Adagrad ada({p}, {.initial_accumulator_value = 0.25});
  ada.add_param_group({{q}, {{"initial_accumulator_value", 2.0}}});
  EXPECT_EQ(flat({optim::as_tensor(ada.state(p).at("sum"), "sum")}), std::vector<double>{0.25});
  EXPECT_EQ(flat({optim::as_tensor(ada.state(q).at("sum"), "sum")}), std::vector<double>{2.0});
  q.set_grad(ones({1}, DType::kFloat64));
  ada.step();
  EXPECT_LT(flat({q})[0], 1.0);
}

}  // namespace
}  // namespace kiln::testing
