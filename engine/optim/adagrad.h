// torch.optim.Adagrad: per-element learning rates from the running sum of squared gradients,
// with lr decay, weight decay and maximize.
#pragma once

#include "engine/optim/optimizer.h"

namespace kiln::optim {

struct AdagradOptions {
  double lr = 1e-2;
  double lr_decay = 0;
  double weight_decay = 0;
  double initial_accumulator_value = 0;
  double eps = 1e-10;
  bool maximize = false;
};

// State per parameter, created with the group (as PyTorch does in the constructor): "step" (a
// float32 0-dim tensor) and "sum" (starting at initial_accumulator_value).
class Adagrad : public Optimizer {
 public:
  Adagrad(std::vector<Tensor> params, const AdagradOptions& options = {});
  Adagrad(std::vector<ParamGroup> groups, const AdagradOptions& options = {});
  using Optimizer::step;
  void step() override;

 protected:
  void on_group_added(const ParamGroup& group) override;

 private:
  bool constructing_ = true;
};

}  // namespace kiln::optim
