#include "engine/optim/adagrad.h"

#include "engine/autograd/functions.h"
#include "engine/autograd/grad_mode.h"

namespace kiln::optim {

namespace {

Dict adagrad_defaults(const AdagradOptions& o) {
  check_arg(0.0 <= o.lr, "learning rate", o.lr);
  check_arg(0.0 <= o.lr_decay, "lr_decay value", o.lr_decay);
  check_arg(0.0 <= o.weight_decay, "weight_decay value", o.weight_decay);
  check_arg(0.0 <= o.initial_accumulator_value, "initial_accumulator_value value",
            o.initial_accumulator_value);
  check_arg(0.0 <= o.eps, "epsilon value", o.eps);
  return {{"lr", o.lr},
          {"lr_decay", o.lr_decay},
          {"eps", o.eps},
          {"weight_decay", o.weight_decay},
          {"initial_accumulator_value", o.initial_accumulator_value},
          {"foreach", std::monostate{}},
          {"maximize", o.maximize}};
}

}  // namespace

Adagrad::Adagrad(std::vector<Tensor> params, const AdagradOptions& options)
    : Adagrad(single_group(std::move(params)), options) {}

Adagrad::Adagrad(std::vector<ParamGroup> groups, const AdagradOptions& options)
    : Optimizer("Adagrad", adagrad_defaults(options)) {
  init(std::move(groups));
  constructing_ = false;
}

void Adagrad::on_group_added(const ParamGroup& group) {
  // PyTorch fills the state of the constructor's groups from the constructor's
  // initial_accumulator_value (a group's own value is not consulted) and gives groups added
  // later none at all, so their first step fails; Kiln starts those from the group's value.
  const double init = number(constructing_ ? ParamGroup{{}, defaults()} : group,
                             "initial_accumulator_value");
  NoGradGuard no_grad;
  for (const Tensor& p : group.params) {
    Dict& st = state(p);
    if (!st.empty()) continue;
    st.set("step", scalar_tensor(0.0, DType::kFloat32));
    st.set("sum", full_like(p, init));
  }
}

void Adagrad::step() {
  NoGradGuard no_grad;
  for (const ParamGroup& g : param_groups()) {
    check_supported_options(g);
    const double lr = number(g, "lr"), lr_decay = number(g, "lr_decay");
    const double weight_decay = number(g, "weight_decay"), eps = number(g, "eps");
    const bool maximize = flag(g, "maximize");
    std::vector<Tensor> params, grads, sums, steps;
    for (const Tensor& p : g.params) {
      const Tensor grad = p.grad();
      if (!grad.defined()) continue;
      const Dict& st = state(p);
      params.push_back(p);
      grads.push_back(grad);
      sums.push_back(as_tensor(st.at("sum"), "sum"));
      steps.push_back(as_tensor(st.at("step"), "step"));
    }
    if (params.empty()) continue;
    _fused_adagrad_(params, grads, sums, steps, lr, lr_decay, weight_decay, eps, maximize);
  }
}

}  // namespace kiln::optim
