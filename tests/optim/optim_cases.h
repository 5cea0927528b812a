// Reads tests/optim/trajectories.json (written by gen_trajectories.py from torch.optim) and
// rebuilds its problem and optimizers with engine/optim.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/optim/optimizer.h"

namespace kiln::testing {

using json = nlohmann::json;

const json& trajectories();

// {"shape", "dtype", "data"} (floats as numbers or "nan"/"inf"/"-inf").
Tensor decode_tensor(const json& j);
double decode_float(const json& j);
// {"float": x} / {"int": i} / {"bool": b} / {"none": true} / {"tuple": [...]} / {"tensor": {...}}
optim::Value decode_value(const json& j);

// A case's optimizer: its constructor kwargs, and its groups (null: one group of `params`;
// else [{"params": [indices], "options": {...}}]).
std::unique_ptr<optim::Optimizer> make_optimizer(const std::string& name, const json& kwargs,
                                                 const json& groups,
                                                 const std::vector<Tensor>& params);
std::unique_ptr<optim::Optimizer> make_optimizer(const json& c, const std::vector<Tensor>& params);

// The fixed problem of gen_trajectories.py, in `dtype`.
struct Problem {
  std::vector<Tensor> init, a, c;
  double coupling = 0;
  std::vector<bool> p2_has_grad;
};
Problem problem(DType dtype);
// Fresh leaves that require grad, holding `values`.
std::vector<Tensor> leaves(const std::vector<Tensor>& values);
// zero_grad(set_to_none=True), then backward of the loss at `step` (p2 only where it takes part).
void compute_grads(optim::Optimizer& opt, const std::vector<Tensor>& params, const Problem& pr,
                   int step);
// Every element of every tensor, in order, as doubles.
std::vector<double> flat(const std::vector<Tensor>& ts);
// max |got - expected| over a list of floats (nan only matches nan).
double max_abs_diff(const std::vector<double>& got, const json& expected);

}  // namespace kiln::testing
