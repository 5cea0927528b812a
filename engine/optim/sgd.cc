#include "engine/optim/sgd.h"

#include "engine/autograd/functions.h"
#include "engine/autograd/grad_mode.h"

namespace kiln::optim {

namespace {

Dict sgd_defaults(const SGDOptions& o) {
  if (o.lr) check_arg(!(*o.lr < 0.0), "learning rate", *o.lr);
  check_arg(!(o.momentum < 0.0), "momentum value", o.momentum);
  check_arg(!(o.weight_decay < 0.0), "weight_decay value", o.weight_decay);
  KILN_CHECK_VALUE(!(o.nesterov && (o.momentum <= 0 || o.dampening != 0)),
                   "Nesterov momentum requires a momentum and zero dampening");
  Dict d;
  if (o.lr) d.set("lr", *o.lr);
  d.set("momentum", o.momentum);
  d.set("dampening", o.dampening);
  d.set("weight_decay", o.weight_decay);
  d.set("nesterov", o.nesterov);
  d.set("maximize", o.maximize);
  d.set("foreach", std::monostate{});
  d.set("differentiable", false);
  return d;
}

}  // namespace

SGD::SGD(std::vector<Tensor> params, const SGDOptions& options)
    : SGD(single_group(std::move(params)), options) {}

SGD::SGD(std::vector<ParamGroup> groups, const SGDOptions& options)
    : Optimizer("SGD", sgd_defaults(options), {"lr"}) {
  init(std::move(groups));
}

void SGD::step() {
  NoGradGuard no_grad;
  for (const ParamGroup& g : param_groups()) {
    check_supported_options(g);
    const double lr = number(g, "lr"), momentum = number(g, "momentum");
    const double dampening = number(g, "dampening"), weight_decay = number(g, "weight_decay");
    const bool nesterov = flag(g, "nesterov"), maximize = flag(g, "maximize");
    // Parameters whose buffer exists, and those whose first update creates it.
    std::vector<Tensor> params, grads, bufs, first_params, first_grads, first_bufs;
    for (const Tensor& p : g.params) {
      const Tensor grad = p.grad();
      if (!grad.defined()) continue;
      Dict& st = state(p);
      const Value* buf = st.find("momentum_buffer");
      if (momentum == 0) {
        // PyTorch records None (or keeps a buffer from an earlier momentum) and ignores it.
        if (!buf) st.set("momentum_buffer", std::monostate{});
        params.push_back(p);
        grads.push_back(grad);
      } else if (buf && is_tensor(*buf)) {
        params.push_back(p);
        grads.push_back(grad);
        bufs.push_back(as_tensor(*buf, "momentum_buffer"));
      } else {
        Tensor b = empty_tensor(p.sizes(), p.dtype(), p.device());
        st.set("momentum_buffer", b);
        first_params.push_back(p);
        first_grads.push_back(grad);
        first_bufs.push_back(b);
      }
    }
    if (!params.empty()) {
      _fused_sgd_(params, grads, bufs, lr, momentum, dampening, weight_decay, nesterov, maximize,
                  /*is_first_step=*/false);
    }
    if (!first_params.empty()) {
      _fused_sgd_(first_params, first_grads, first_bufs, lr, momentum, dampening, weight_decay,
                  nesterov, maximize, /*is_first_step=*/true);
    }
  }
}

}  // namespace kiln::optim
