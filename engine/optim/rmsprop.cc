#include "engine/optim/rmsprop.h"

#include "engine/autograd/functions.h"
#include "engine/autograd/grad_mode.h"

namespace kiln::optim {

namespace {

Dict rmsprop_defaults(const RMSpropOptions& o) {
  check_arg(0.0 <= o.lr, "learning rate", o.lr);
  check_arg(0.0 <= o.eps, "epsilon value", o.eps);
  check_arg(0.0 <= o.momentum, "momentum value", o.momentum);
  check_arg(0.0 <= o.weight_decay, "weight_decay value", o.weight_decay);
  check_arg(0.0 <= o.alpha, "alpha value", o.alpha);
  return {{"lr", o.lr},
          {"momentum", o.momentum},
          {"alpha", o.alpha},
          {"eps", o.eps},
          {"centered", o.centered},
          {"weight_decay", o.weight_decay},
          {"foreach", std::monostate{}},
          {"maximize", o.maximize},
          {"differentiable", false}};
}

// A state tensor the configuration needs; PyTorch fails (KeyError) when the option that
// needs it was turned on after the state was created.
const Tensor& required(const Dict& st, const char* key, const char* option) {
  KILN_CHECK_VALUE(st.contains(key), "RMSprop: ", option, " is on but a parameter's state has no '",
                   key, "' (it was created with ", option, " off)");
  return as_tensor(st.at(key), key);
}

}  // namespace

RMSprop::RMSprop(std::vector<Tensor> params, const RMSpropOptions& options)
    : RMSprop(single_group(std::move(params)), options) {}

RMSprop::RMSprop(std::vector<ParamGroup> groups, const RMSpropOptions& options)
    : Optimizer("RMSprop", rmsprop_defaults(options)) {
  init(std::move(groups));
}

void RMSprop::step() {
  NoGradGuard no_grad;
  for (const ParamGroup& g : param_groups()) {
    check_supported_options(g);
    const double lr = number(g, "lr"), alpha = number(g, "alpha"), eps = number(g, "eps");
    const double weight_decay = number(g, "weight_decay"), momentum = number(g, "momentum");
    const bool centered = flag(g, "centered"), maximize = flag(g, "maximize");
    std::vector<Tensor> params, grads, square_avgs, grad_avgs, bufs;
    for (const Tensor& p : g.params) {
      const Tensor grad = p.grad();
      if (!grad.defined()) continue;
      Dict& st = state(p);
      if (st.empty()) {
        st.set("step", int64_t{0});
        st.set("square_avg", zeros_like(p));
        if (momentum > 0) st.set("momentum_buffer", zeros_like(p));
        if (centered) st.set("grad_avg", zeros_like(p));
      }
      params.push_back(p);
      grads.push_back(grad);
      square_avgs.push_back(as_tensor(st.at("square_avg"), "square_avg"));
      if (momentum > 0) bufs.push_back(required(st, "momentum_buffer", "momentum"));
      if (centered) grad_avgs.push_back(required(st, "grad_avg", "centered"));
      st.set("step", int64_t(as_number(st.at("step"), "step")) + 1);
    }
    if (params.empty()) continue;
    _fused_rmsprop_(params, grads, square_avgs, grad_avgs, bufs, lr, alpha, eps, weight_decay,
                    momentum, centered, maximize);
  }
}

}  // namespace kiln::optim
