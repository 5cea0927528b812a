// torch.optim.SGD: stochastic gradient descent with optional momentum, dampening, Nesterov
// momentum, L2 weight decay and maximize.
#pragma once

#include <optional>

#include "engine/optim/optimizer.h"

namespace kiln::optim {

// PyTorch's constructor arguments and defaults; lr has none (every group must have one).
struct SGDOptions {
  std::optional<double> lr;
  double momentum = 0;
  double dampening = 0;
  double weight_decay = 0;
  bool nesterov = false;
  bool maximize = false;
};

// State per parameter: "momentum_buffer" (a tensor, or None while momentum is 0).
class SGD : public Optimizer {
 public:
  SGD(std::vector<Tensor> params, const SGDOptions& options);
  SGD(std::vector<ParamGroup> groups, const SGDOptions& options);
  using Optimizer::step;
  void step() override;
};

}  // namespace kiln::optim
