// Tensor repr in PyTorch's format: `tensor([[1., 2.],\n        [3., 4.]], dtype=kiln.float64)`,
// summarized with "..." past `threshold` elements, scientific notation when the magnitudes
// call for it. kilnd formats on the daemon, so printing a big tensor never downloads it.
#pragma once

#include <optional>
#include <string>

namespace kiln {

class Tensor;
class Node;

struct PrintOptions {
  int precision = 4;
  double threshold = 1000;
  int edgeitems = 3;
  int linewidth = 80;
  std::optional<bool> sci_mode;  // unset: chosen from the values, as PyTorch does
};

// Process-wide options (torch.set_printoptions). `profile` is "default", "short" or "full".
PrintOptions& print_options();
void set_print_profile(const std::string& profile);

struct ReprOptions {
  std::string module = "kiln";  // dtype suffix reads `dtype=kiln.float64`
  std::string prefix = "tensor(";
  std::string grad_fn_name;     // `grad_fn=<AddBackward0>` when set
  bool requires_grad = false;   // `requires_grad=True` when set and no grad_fn
  const PrintOptions* options = nullptr;  // nullptr: print_options()
};

// The full repr, as `repr(t)` prints in PyTorch.
std::string tensor_repr(const Tensor& t, const ReprOptions& opts);
// Just the bracketed values (PyTorch's _tensor_str), with `indent` columns of hanging indent.
std::string tensor_values_str(const Tensor& t, int indent, const PrintOptions& opts);

// A double as Python's repr(float) writes it: the shortest digits that round-trip, "-1.0",
// "1e-08", "inf", "nan" (error messages quote arguments the way PyTorch's Python code does).
std::string python_float_repr(double x);

// engine/autograd registers how to name a grad_fn, so Tensor::str() can print it.
using NodeNamer = std::string (*)(const Node*);
void set_node_namer(NodeNamer namer);

}  // namespace kiln
