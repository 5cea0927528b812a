// What the examples share: filling tensors from generators, PyTorch's default parameter
// initialization, and the full-batch training loop (zero_grad, backward, step) with its
// progress lines. Header-only so that each example stays one binary with no extra target.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <random>

#include "engine/autograd/engine.h"
#include "engine/autograd/functions.h"
#include "engine/optim/optimizer.h"

namespace kiln::examples {

// A float32 tensor whose i-th element (in row-major order) is gen(i).
template <typename F>
Tensor filled(IntList shape, F&& gen) {
  Tensor t = empty_tensor(shape, DType::kFloat32);
  float* p = t.data_ptr<float>();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = float(gen(i));
  return t;
}

// A leaf parameter initialized as PyTorch's nn.Linear and nn.Conv2d do by default (weights
// and biases both): uniform in +-1/sqrt(fan_in).
inline Tensor uniform_param(IntList shape, int64_t fan_in, std::mt19937& rng) {
  const double bound = 1.0 / std::sqrt(double(fan_in));
  std::uniform_real_distribution<double> u(-bound, bound);
  return filled(shape, [&](int64_t) { return u(rng); }).set_requires_grad(true);
}

// Runs `steps` optimizer steps on the scalar loss that loss_fn() builds each time, printing
// it every `print_every` steps; returns the loss of the last step (computed before that
// step's update, as a training loop logs it).
template <typename LossFn>
double train(optim::Optimizer& opt, int64_t steps, int64_t print_every, LossFn&& loss_fn) {
  double loss_value = 0;
  for (int64_t step = 1; step <= steps; ++step) {
    const Tensor loss = loss_fn();
    opt.zero_grad();
    backward(loss);
    opt.step();
    loss_value = loss.item().to<double>();
    if (step % print_every == 0) std::printf("step %4ld  loss %.6f\n", long(step), loss_value);
  }
  return loss_value;
}

}  // namespace kiln::examples
