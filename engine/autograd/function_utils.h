// What the generated autograd wrappers (functions_shard*.cc) call to record an op.
#pragma once

#include <initializer_list>
#include <memory>
#include <vector>

#include "engine/autograd/grad_mode.h"
#include "engine/autograd/node.h"

namespace kiln {

namespace detail {
inline bool any_requires_grad(const Tensor& t) { return t.defined() && t.requires_grad(); }
inline bool any_requires_grad(const std::vector<Tensor>& ts) {
  for (const Tensor& t : ts) {
    if (t.defined() && t.requires_grad()) return true;
  }
  return false;
}
void append_edges(std::vector<Edge>& edges, const Tensor& t);
inline void append_edges(std::vector<Edge>& edges, const std::vector<Tensor>& ts) {
  for (const Tensor& t : ts) append_edges(edges, t);
}
}  // namespace detail

// True when grad mode is on and some input requires grad.
template <typename... Ts>
bool compute_requires_grad(const Ts&... inputs) {
  return GradMode::is_enabled() && (detail::any_requires_grad(inputs) || ...);
}

// One edge per input tensor (per element of a list): its grad_fn, or its grad accumulator
// when it is a leaf that requires grad, or none.
template <typename... Ts>
std::vector<Edge> collect_next_edges(const Ts&... inputs) {
  std::vector<Edge> edges;
  (detail::append_edges(edges, inputs), ...);
  return edges;
}

// The AccumulateGrad node of a leaf that requires grad (shared by all its uses).
std::shared_ptr<Node> grad_accumulator(const Tensor& leaf);

// Makes `node` the grad_fn of the op's outputs. Integer outputs are recorded as
// non-differentiable and get no history.
void set_history(const Tensor& output, const std::shared_ptr<Node>& node);
void set_history(const std::vector<Tensor>& outputs, const std::shared_ptr<Node>& node);
// After an in-place op: `self` now comes from `node`.
void rebase_history(const Tensor& self, const std::shared_ptr<Node>& node);

// In-place writes to a leaf that requires grad are errors while grad mode is on.
void check_inplace_allowed(const char* op, const Tensor& self);
// out= does not support autograd (PyTorch's rule).
void check_out_no_grad(const char* op, std::initializer_list<const Tensor*> inputs);
// A copy of self to save before an in-place op overwrites it.
Tensor clone_for_backward(const Tensor& self);
[[noreturn]] void throw_not_differentiable(const char* op, const char* input);

template <typename F>
auto map_list(const std::vector<Tensor>& ts, F f) {
  std::vector<decltype(f(ts[0]))> out;
  out.reserve(ts.size());
  for (const Tensor& t : ts) out.push_back(f(t));
  return out;
}

}  // namespace kiln
