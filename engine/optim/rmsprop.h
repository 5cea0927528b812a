// torch.optim.RMSprop: plain or centered, with optional momentum, weight decay and maximize.
#pragma once

#include "engine/optim/optimizer.h"

namespace kiln::optim {

struct RMSpropOptions {
  double lr = 1e-2;
  double alpha = 0.99;
  double eps = 1e-8;
  double weight_decay = 0;
  double momentum = 0;
  bool centered = false;
  bool maximize = false;
};

// State per parameter, created at its first step: "step" (an integer, as PyTorch keeps it),
// "square_avg", "momentum_buffer" when momentum > 0, "grad_avg" when centered.
class RMSprop : public Optimizer {
 public:
  RMSprop(std::vector<Tensor> params, const RMSpropOptions& options = {});
  RMSprop(std::vector<ParamGroup> groups, const RMSpropOptions& options = {});
  using Optimizer::step;
  void step() override;
};

}  // namespace kiln::optim
