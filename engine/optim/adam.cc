#include "engine/optim/adam.h"

#include "engine/autograd/functions.h"
#include "engine/autograd/grad_mode.h"

namespace kiln::optim {

namespace {

void check_adam_args(double lr, std::pair<double, double> betas, double eps,
                     double weight_decay) {
  check_arg(0.0 <= lr, "learning rate", lr);
  check_arg(0.0 <= eps, "epsilon value", eps);
  check_arg(0.0 <= betas.first && betas.first < 1.0, "beta parameter at index 0", betas.first);
  check_arg(0.0 <= betas.second && betas.second < 1.0, "beta parameter at index 1",
            betas.second);
  check_arg(0.0 <= weight_decay, "weight_decay value", weight_decay);
}

// The key order of PyTorch's param_groups.
Dict adam_defaults(const AdamOptions& o) {
  check_adam_args(o.lr, o.betas, o.eps, o.weight_decay);
  return {{"lr", o.lr},
          {"betas", std::vector<double>{o.betas.first, o.betas.second}},
          {"eps", o.eps},
          {"weight_decay", o.weight_decay},
          {"amsgrad", o.amsgrad},
          {"maximize", o.maximize},
          {"foreach", std::monostate{}},
          {"capturable", false},
          {"differentiable", false},
          {"fused", false}};
}

Dict adamw_defaults(const AdamWOptions& o) {
  check_adam_args(o.lr, o.betas, o.eps, o.weight_decay);
  return {{"lr", o.lr},
          {"betas", std::vector<double>{o.betas.first, o.betas.second}},
          {"eps", o.eps},
          {"weight_decay", o.weight_decay},
          {"amsgrad", o.amsgrad},
          {"foreach", std::monostate{}},
          {"maximize", o.maximize},
          {"capturable", false}};
}

}  // namespace

Adam::Adam(std::vector<Tensor> params, const AdamOptions& options)
    : Adam(single_group(std::move(params)), options) {}

Adam::Adam(std::vector<ParamGroup> groups, const AdamOptions& options)
    : Adam("Adam", adam_defaults(options), std::move(groups), false) {}

Adam::Adam(const char* name, Dict defaults, std::vector<ParamGroup> groups, bool decoupled)
    : Optimizer(name, std::move(defaults)), decoupled_(decoupled) {
  init(std::move(groups));
}

AdamW::AdamW(std::vector<Tensor> params, const AdamWOptions& options)
    : AdamW(single_group(std::move(params)), options) {}

AdamW::AdamW(std::vector<ParamGroup> groups, const AdamWOptions& options)
    : Adam("AdamW", adamw_defaults(options), std::move(groups), true) {}

void Adam::step() {
  NoGradGuard no_grad;
  for (const ParamGroup& g : param_groups()) {
    check_supported_options(g);
    const double lr = number(g, "lr"), eps = number(g, "eps");
    const double weight_decay = number(g, "weight_decay");
    const std::vector<double>& betas = as_numbers(g.options.at("betas"), name() + " option 'betas'");
    KILN_CHECK_VALUE(betas.size() == 2, name(), ": betas must hold two numbers, got ",
                     betas.size());
    const bool amsgrad = flag(g, "amsgrad"), maximize = flag(g, "maximize");
    std::vector<Tensor> params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, steps;
    for (const Tensor& p : g.params) {
      const Tensor grad = p.grad();
      if (!grad.defined()) continue;
      Dict& st = state(p);
      if (st.empty()) {
        st.set("step", scalar_tensor(0.0, DType::kFloat32));
        st.set("exp_avg", zeros_like(p));
        st.set("exp_avg_sq", zeros_like(p));
        if (amsgrad) st.set("max_exp_avg_sq", zeros_like(p));
      }
      params.push_back(p);
      grads.push_back(grad);
      exp_avgs.push_back(as_tensor(st.at("exp_avg"), "exp_avg"));
      exp_avg_sqs.push_back(as_tensor(st.at("exp_avg_sq"), "exp_avg_sq"));
      if (amsgrad) {
        // PyTorch fails here too (KeyError) when amsgrad is turned on after the first step.
        KILN_CHECK_VALUE(st.contains("max_exp_avg_sq"), name(),
                         ": amsgrad is on but a parameter's state has no 'max_exp_avg_sq' (it "
                         "was created with amsgrad off)");
        max_exp_avg_sqs.push_back(as_tensor(st.at("max_exp_avg_sq"), "max_exp_avg_sq"));
      }
      steps.push_back(as_tensor(st.at("step"), "step"));
    }
    if (params.empty()) continue;
    if (decoupled_) {
      _fused_adamw_(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, steps, lr, betas[0],
                    betas[1], weight_decay, eps, amsgrad, maximize);
    } else {
      _fused_adam_(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, steps, lr, betas[0],
                   betas[1], weight_decay, eps, amsgrad, maximize);
    }
  }
}

}  // namespace kiln::optim
