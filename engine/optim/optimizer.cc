#include "engine/optim/optimizer.h"

#include <unordered_set>

#include "engine/autograd/functions.h"
#include "engine/autograd/grad_mode.h"
#include "engine/core/printing.h"

namespace kiln::optim {

Optimizer::Optimizer(std::string name, Dict defaults, std::vector<std::string> required)
    : name_(std::move(name)), defaults_(std::move(defaults)), required_(std::move(required)) {}

void Optimizer::init(std::vector<ParamGroup> groups) {
  KILN_CHECK_VALUE(!groups.empty(), "optimizer got an empty parameter list");
  for (ParamGroup& g : groups) add_param_group(std::move(g));
}

void Optimizer::add_param_group(ParamGroup group) {
  for (const Tensor& p : group.params) {
    KILN_CHECK_TYPE(p.defined(),
                    "optimizer can only optimize Tensors, but one of the params is None");
    const AutogradMeta* m = p.autograd_meta();
    KILN_CHECK_VALUE(p.is_leaf() || (m && m->retains_grad), "can't optimize a non-leaf Tensor");
  }
  for (const std::string& key : required_) {
    KILN_CHECK_VALUE(group.options.contains(key) || defaults_.contains(key),
                     "parameter group didn't specify a value of required optimization "
                     "parameter ",
                     key);
  }
  // The group's own options, then the defaults it lacks (PyTorch's setdefault order).
  for (const auto& [key, value] : defaults_) {
    if (!group.options.contains(key)) group.options.set(key, value);
  }
  // PyTorch only warns about a parameter listed twice in a group ("in future, this will
  // cause an error"); a fused step would update it twice at once, so Kiln refuses it.
  std::unordered_set<const TensorImpl*> own;
  for (const Tensor& p : group.params) {
    KILN_CHECK_VALUE(own.insert(p.impl()).second,
                     "optimizer contains a parameter group with duplicate parameters");
  }
  std::unordered_set<const TensorImpl*> seen;
  for (const ParamGroup& g : groups_) {
    for (const Tensor& p : g.params) seen.insert(p.impl());
  }
  for (const Tensor& p : group.params) {
    KILN_CHECK_VALUE(!seen.count(p.impl()), "some parameters appear in more than one parameter group");
  }
  groups_.push_back(std::move(group));
  on_group_added(groups_.back());
}

Tensor Optimizer::step(const std::function<Tensor()>& closure) {
  Tensor loss;
  if (closure) {
    EnableGradGuard enable;
    loss = closure();
  }
  step();
  return loss;
}

void Optimizer::zero_grad(bool set_to_none) {
  NoGradGuard no_grad;
  for (const ParamGroup& g : groups_) {
    for (const Tensor& p : g.params) {
      Tensor grad = p.grad();
      if (!grad.defined()) continue;
      if (set_to_none) {
        p.set_grad(Tensor());
        continue;
      }
      if (grad.grad_fn()) {
        // A gradient made with create_graph: keep its memory, drop its history.
        grad = grad.detach();
        p.set_grad(grad);
      } else if (grad.requires_grad()) {
        grad.set_requires_grad(false);
      }
      zero_(grad);
    }
  }
}

bool Optimizer::has_state(const Tensor& param) const {
  auto it = state_.find(param.impl());
  return it != state_.end() && !it->second.empty();
}

StateDict Optimizer::state_dict() const {
  StateDict sd;
  std::unordered_map<const TensorImpl*, int64_t> index;
  int64_t start = 0;
  for (const ParamGroup& g : groups_) {
    GroupState gs{g.options, {}};
    for (size_t k = 0; k < g.params.size(); ++k) {
      index.emplace(g.params[k].impl(), start + int64_t(k));
      gs.params.push_back(index.at(g.params[k].impl()));
    }
    start += int64_t(g.params.size());
    sd.param_groups.push_back(std::move(gs));
  }
  for (const auto& [impl, st] : state_) {
    if (st.empty()) continue;
    auto it = index.find(impl);
    if (it != index.end()) sd.state[it->second] = st;
  }
  return sd;
}

void Optimizer::load_state_dict(const StateDict& sd) {
  KILN_CHECK_VALUE(sd.param_groups.size() == groups_.size(),
                   "loaded state dict has a different number of parameter groups");
  std::map<int64_t, Tensor> by_index;
  for (size_t i = 0; i < groups_.size(); ++i) {
    const auto& saved = sd.param_groups[i].params;
    KILN_CHECK_VALUE(saved.size() == groups_[i].params.size(),
                     "loaded state dict contains a parameter group that doesn't match the size "
                     "of optimizer's group");
    for (size_t k = 0; k < saved.size(); ++k) by_index[saved[k]] = groups_[i].params[k];
  }
  // Build everything first, so a bad state dict leaves the optimizer as it was.
  std::unordered_map<const TensorImpl*, Dict> state;
  for (const auto& [idx, saved] : sd.state) {
    auto it = by_index.find(idx);
    KILN_CHECK_VALUE(it != by_index.end(), "loaded state dict has state for parameter ", idx,
                     ", which no parameter group lists");
    const Tensor& param = it->second;
    Dict copy;
    for (const auto& [key, value] : saved) {
      if (!is_tensor(value)) {
        copy.set(key, value);
        continue;
      }
      const Tensor& t = as_tensor(value, key);
      if (key == "step") {
        copy.set(key, clone(t));
        continue;
      }
      KILN_CHECK_VALUE(t.sizes() == param.sizes(), "loaded state dict has '", key,
                       "' of shape ", shape_str(t.sizes()), " for parameter ", idx,
                       " of shape ", shape_str(param.sizes()));
      const DType dtype = param.is_floating_point() ? param.dtype() : t.dtype();
      copy.set(key, to(t, param.device(), dtype, /*copy=*/true));
    }
    state[param.impl()] = std::move(copy);
  }
  state_ = std::move(state);
  for (size_t i = 0; i < groups_.size(); ++i) {
    // Options a saved group lacks (an older layout) take the defaults, as PyTorch's
    // __setstate__ fills them.
    Dict options = sd.param_groups[i].options;
    for (const auto& [key, value] : defaults_) {
      if (!options.contains(key)) options.set(key, value);
    }
    groups_[i].options = std::move(options);
  }
}

double Optimizer::number(const ParamGroup& g, const char* key) const {
  return as_number(g.options.at(key), name_ + " option '" + key + "'");
}

bool Optimizer::flag(const ParamGroup& g, const char* key) const {
  return as_flag(g.options.at(key), name_ + " option '" + key + "'");
}

void Optimizer::check_supported_options(const ParamGroup& g) const {
  const Value* d = g.options.find("differentiable");
  KILN_CHECK_NOT_IMPLEMENTED(!d || is_none(*d) || !as_flag(*d, "differentiable"), name_,
                             ": differentiable=True is not supported (Kiln's steps are fused "
                             "and run under no_grad)");
}

std::vector<ParamGroup> single_group(std::vector<Tensor> params) {
  std::vector<ParamGroup> groups;
  if (!params.empty()) groups.push_back({std::move(params), {}});
  return groups;
}

void check_arg(bool ok, const char* what, double value) {
  KILN_CHECK_VALUE(ok, "Invalid ", what, ": ", python_float_repr(value));
}

}  // namespace kiln::optim
