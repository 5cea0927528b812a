#include "engine/autograd/function_utils.h"

#include "engine/autograd/saved_variable.h"
#include "engine/ops/ops.h"

namespace kiln {

std::shared_ptr<Node> grad_accumulator(const Tensor& leaf) {
  AutogradMeta& m = leaf.ensure_autograd_meta();
  if (auto acc = m.grad_accumulator.lock()) return acc;
  auto acc = std::make_shared<AccumulateGrad>(leaf);
  m.grad_accumulator = acc;
  return acc;
}

namespace detail {
void append_edges(std::vector<Edge>& edges, const Tensor& t) {
  if (!t.defined() || !t.requires_grad()) {
    edges.push_back(Edge{});
  } else if (t.grad_fn()) {
    edges.push_back(Edge{t.grad_fn(), t.output_nr()});
  } else {
    edges.push_back(Edge{grad_accumulator(t), 0});
  }
}
}  // namespace detail

void set_history(const Tensor& output, const std::shared_ptr<Node>& node) {
  if (!output.defined()) {
    node->add_output_meta(empty_tensor({0}, DType::kFloat32), false);
    return;
  }
  const bool diff = is_floating(output.dtype());
  const uint32_t nr = node->add_output_meta(output, diff);
  if (!diff) return;
  AutogradMeta& m = output.ensure_autograd_meta();
  m.grad_fn = node;
  m.output_nr = nr;
}

void set_history(const std::vector<Tensor>& outputs, const std::shared_ptr<Node>& node) {
  for (const Tensor& t : outputs) set_history(t, node);
}

void rebase_history(const Tensor& self, const std::shared_ptr<Node>& node) {
  AutogradMeta& m = self.ensure_autograd_meta();
  m.grad_fn = node;
  m.output_nr = node->add_output_meta(self);
  m.grad_accumulator.reset();
}

void check_inplace_allowed(const char* op, const Tensor& self) {
  if (!GradMode::is_enabled() || !self.defined()) return;
  KILN_CHECK(!(self.is_leaf() && self.requires_grad()), op,
             ": a leaf Variable that requires grad is being used in an in-place operation.");
}

void check_out_no_grad(const char* op, std::initializer_list<const Tensor*> inputs) {
  if (!GradMode::is_enabled()) return;
  for (const Tensor* t : inputs) {
    KILN_CHECK(!(t->defined() && t->requires_grad()), op,
               "(): functions with out=... arguments don't support automatic differentiation, "
               "but one of the arguments requires grad.");
  }
}

Tensor clone_for_backward(const Tensor& self) {
  Tensor c = ops::clone(self);
  if (self.requires_grad()) {
    // Keep self's history on the copy so that a second-order graph still reaches it.
    AutogradMeta& m = c.ensure_autograd_meta();
    m.grad_fn = self.grad_fn();
    m.output_nr = self.output_nr();
    m.requires_grad = self.is_leaf();
  }
  return c;
}

void throw_not_differentiable(const char* op, const char* input) {
  KILN_CHECK_NOT_IMPLEMENTED(false, "the derivative for '", op, "' with respect to '", input,
                             "' is not implemented.");
  __builtin_unreachable();
}

}  // namespace kiln
