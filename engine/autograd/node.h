// A step of the backward graph. Each forward op that needs a gradient creates one Node: it
// holds what the gradient formula saved, one Edge per differentiable input (where that
// input's gradient goes next), and the shape/dtype/device of each forward output (so the
// engine can check, reduce and cast the gradients that arrive).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/core/tensor.h"

namespace kiln {

struct Edge {
  std::shared_ptr<Node> fn;  // null: this input takes no gradient
  uint32_t input_nr = 0;     // which of fn's inputs (= forward outputs) it feeds
  bool valid() const { return fn != nullptr; }
};

struct OutputMeta {
  Shape sizes;
  DType dtype = DType::kFloat32;
  Device device;
  bool differentiable = true;  // integer outputs (indices) take no gradient
};

class Node : public std::enable_shared_from_this<Node> {
 public:
  Node();
  virtual ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // "AddBackward0", as PyTorch names grad_fn classes.
  virtual std::string name() const = 0;
  // Gradients w.r.t. the forward outputs in, gradients w.r.t. the inputs (one per edge) out.
  virtual std::vector<Tensor> apply(std::vector<Tensor>&& grads) = 0;
  // Drops saved tensors once backward ran without retain_graph.
  virtual void release_variables() {}

  const std::vector<Edge>& next_edges() const { return next_edges_; }
  void set_next_edges(std::vector<Edge> edges) { next_edges_ = std::move(edges); }
  size_t num_outputs() const { return next_edges_.size(); }
  bool should_compute_output(size_t i) const {
    return i < next_edges_.size() && next_edges_[i].valid();
  }
  bool any_should_compute(size_t begin, size_t count) const;

  // Registers a forward output; returns its index (the tensor's output_nr).
  uint32_t add_output_meta(const Tensor& t, bool differentiable = true);
  const std::vector<OutputMeta>& output_meta() const { return output_meta_; }

  // Orders execution: later nodes run first when both are ready, as in PyTorch.
  uint64_t sequence_nr() const { return sequence_nr_; }

  // Hooks on the gradient of forward output `output_nr` before apply(): retain_grad() and
  // Tensor.register_hook on non-leaves. A hook may return a replacement gradient.
  using GradHook = std::function<Tensor(const Tensor&)>;
  void add_pre_hook(uint32_t output_nr, GradHook hook);
  const std::vector<std::pair<uint32_t, GradHook>>& pre_hooks() const { return pre_hooks_; }

  bool released() const { return released_; }
  void mark_released() { released_ = true; }

 private:
  std::vector<Edge> next_edges_;
  std::vector<OutputMeta> output_meta_;
  std::vector<std::pair<uint32_t, GradHook>> pre_hooks_;
  uint64_t sequence_nr_;
  bool released_ = false;
};

// A leaf's gradient sink: adds what arrives into the leaf's .grad.
class AccumulateGrad final : public Node {
 public:
  explicit AccumulateGrad(Tensor variable);
  std::string name() const override { return "AccumulateGrad"; }
  std::vector<Tensor> apply(std::vector<Tensor>&& grads) override;
  const Tensor& variable() const { return variable_; }

 private:
  Tensor variable_;
};

// The name a tensor's grad_fn prints under.
std::string node_name(const Node* node);

}  // namespace kiln
