// Optimizer step rows: one step over 10M float32 parameters in 10 tensors of 1000x1000,
// state already created (a first step runs in setup), as in a training loop.
#include <memory>

#include "bench/bench.h"
#include "engine/optim/adam.h"
#include "engine/optim/sgd.h"

namespace kiln::bench {

namespace {

std::vector<Tensor> params_with_grads() {
  std::vector<Tensor> ps;
  for (int i = 0; i < 10; ++i) {
    Tensor p = data({1000, 1000});
    p.set_requires_grad(true);
    p.set_grad(data({1000, 1000}));
    ps.push_back(p);
  }
  return ps;
}

}  // namespace

KILN_BENCH(adamw_step_10M) {
  auto opt = std::make_shared<optim::AdamW>(params_with_grads(), optim::AdamWOptions{});
  opt->step();
  return [opt] { opt->step(); };
}

KILN_BENCH(sgd_momentum_step_10M) {
  auto opt = std::make_shared<optim::SGD>(params_with_grads(),
                                          optim::SGDOptions{.lr = 0.01, .momentum = 0.9});
  opt->step();
  return [opt] { opt->step(); };
}

}  // namespace kiln::bench
