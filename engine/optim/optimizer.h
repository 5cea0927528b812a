// The optimizer base: parameter groups with their own hyperparameters, per-parameter state,
// zero_grad, and a state_dict in PyTorch's layout (torch.optim.Optimizer).
//
//   SGD opt({w, b}, {.lr = 0.1, .momentum = 0.9});
//   opt.add_param_group({{head}, {{"lr", 0.01}}});   // missing options take the defaults
//   loss.backward(); opt.step(); opt.zero_grad();
//
// A step updates each group with one fused op call (engine/ops/table/optim.yaml) under
// no_grad; parameters without a gradient are skipped. Errors are PyTorch's ValueErrors.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/core/tensor.h"
#include "engine/optim/value.h"

namespace kiln::optim {

struct ParamGroup {
  std::vector<Tensor> params;
  Dict options;  // hyperparameters; add_param_group fills the missing ones from the defaults
};

// state_dict(): parameters are numbered across groups in order, as PyTorch does.
struct GroupState {
  Dict options;                // every hyperparameter of the group
  std::vector<int64_t> params;  // the indices of its parameters
};
struct StateDict {
  std::map<int64_t, Dict> state;  // parameter index -> its state ("step", "exp_avg", ...)
  std::vector<GroupState> param_groups;
};

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  const std::string& name() const { return name_; }
  const Dict& defaults() const { return defaults_; }
  // Mutable so that schedulers can change a group's "lr" between steps.
  std::vector<ParamGroup>& param_groups() { return groups_; }
  const std::vector<ParamGroup>& param_groups() const { return groups_; }

  // Parameters must be leaves (or retain their grad) and in no other group.
  void add_param_group(ParamGroup group);

  // One update of every parameter that has a gradient.
  virtual void step() = 0;
  // Runs `closure` with grad enabled first (it re-evaluates the loss) and returns its result.
  Tensor step(const std::function<Tensor()>& closure);

  // PyTorch 1.13's default keeps the gradients' memory and fills it with zeros.
  void zero_grad(bool set_to_none = false);

  // The live state (tensors are shared, not copied, as in PyTorch: save it before stepping).
  StateDict state_dict() const;
  // Copies `sd` in: groups must match in number and size; state tensors are cast to their
  // parameter's dtype (except "step") and checked against its shape; the groups' options
  // replace the current ones.
  void load_state_dict(const StateDict& sd);

  // The state of one parameter: empty until its first step (Adagrad fills it up front).
  Dict& state(const Tensor& param) { return state_[param.impl()]; }
  bool has_state(const Tensor& param) const;

 protected:
  // `required`: options that have no default and every group must give (SGD's lr).
  Optimizer(std::string name, Dict defaults, std::vector<std::string> required = {});
  // The derived constructor's last act: "optimizer got an empty parameter list", then
  // add_param_group for each.
  void init(std::vector<ParamGroup> groups);
  // Called for each group added (after its options are complete).
  virtual void on_group_added(const ParamGroup&) {}

  double number(const ParamGroup& g, const char* key) const;
  bool flag(const ParamGroup& g, const char* key) const;
  // Rejects options Kiln's fused steps cannot honour (differentiable=True).
  void check_supported_options(const ParamGroup& g) const;

 private:
  std::string name_;
  Dict defaults_;
  std::vector<std::string> required_;
  std::vector<ParamGroup> groups_;
  std::unordered_map<const TensorImpl*, Dict> state_;
};

// Converts a list of parameters into one group with no options of its own.
std::vector<ParamGroup> single_group(std::vector<Tensor> params);

// PyTorch's constructor checks: ValueError "Invalid learning rate: -1.0" and the like.
void check_arg(bool ok, const char* what, double value);

}  // namespace kiln::optim
