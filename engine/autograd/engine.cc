#include "engine/autograd/engine.h"

#include <queue>
#include <unordered_map>
#include <unordered_set>

#include "engine/autograd/backward_helpers.h"
#include "engine/autograd/function_utils.h"
#include "engine/autograd/functions.h"
#include "engine/autograd/node.h"

namespace kiln {
namespace {

Edge edge_of(const Tensor& t) {
  if (t.grad_fn()) return Edge{t.grad_fn(), t.output_nr()};
  return Edge{grad_accumulator(t), 0};
}

struct EdgeKey {
  const Node* fn;
  uint32_t nr;
  bool operator==(const EdgeKey& o) const { return fn == o.fn && nr == o.nr; }
};
struct EdgeKeyHash {
  size_t operator()(const EdgeKey& k) const {
    return std::hash<const void*>()(k.fn) ^ (size_t(k.nr) * 0x9e3779b97f4a7c15ULL);
  }
};

// Adds `g` into slot `nr` of a node's input buffer (out of place: buffers may be shared).
void accumulate(std::vector<Tensor>& buffer, uint32_t nr, Tensor g) {
  if (buffer.size() <= nr) buffer.resize(nr + 1);
  if (!buffer[nr].defined()) {
    buffer[nr] = std::move(g);
  } else {
    buffer[nr] = add(buffer[nr], g);
  }
}

// Makes a gradient fit the forward output it belongs to: same shape (summing broadcast
// dims), dtype and device.
Tensor validate(const Node& fn, size_t index, const OutputMeta& meta, Tensor g) {
  if (g.sizes() != meta.sizes) {
    KILN_CHECK(is_expandable_to(meta.sizes, g.sizes()), "Function ", fn.name(),
               " returned an invalid gradient at index ", index, " - got ",
               shape_str(g.sizes()), " but expected shape compatible with ",
               shape_str(meta.sizes));
    g = sum_to(g, meta.sizes);
  }
  if (g.dtype() != meta.dtype) g = cast_to(g, meta.dtype);
  if (g.device() != meta.device) g = to(g, meta.device, std::nullopt, false);
  return g;
}

class GraphTask {
 public:
  GraphTask(bool keep_graph, bool create_graph)
      : keep_graph_(keep_graph), create_graph_(create_graph) {}

  // For grad(): gradients arriving at these edges are captured instead of executed.
  void add_capture(const Edge& e, size_t index) { captures_[EdgeKey{e.fn.get(), e.input_nr}].push_back(index); }

  std::vector<Tensor> run(const std::vector<Edge>& roots, std::vector<Tensor> root_grads,
                          size_t num_captures) {
    captured_.resize(num_captures);
    compute_dependencies(roots);
    if (!captures_.empty()) compute_needed(roots);
    for (size_t i = 0; i < roots.size(); ++i) {
      if (!roots[i].valid()) continue;
      accumulate(buffers_[roots[i].fn.get()], roots[i].input_nr, std::move(root_grads[i]));
    }
    auto later_first = [](const std::shared_ptr<Node>& a, const std::shared_ptr<Node>& b) {
      return a->sequence_nr() < b->sequence_nr();
    };
    std::priority_queue<std::shared_ptr<Node>, std::vector<std::shared_ptr<Node>>,
                        decltype(later_first)>
        ready(later_first);
    std::unordered_set<const Node*> queued;
    for (const Edge& r : roots) {
      if (r.valid() && deps_[r.fn.get()] == 0 && queued.insert(r.fn.get()).second) ready.push(r.fn);
    }
    while (!ready.empty()) {
      std::shared_ptr<Node> fn = ready.top();
      ready.pop();
      std::vector<Tensor> inputs = std::move(buffers_[fn.get()]);
      buffers_.erase(fn.get());
      inputs.resize(fn->output_meta().size());
      execute(fn, std::move(inputs), ready, queued);
    }
    return std::move(captured_);
  }

 private:
  void compute_dependencies(const std::vector<Edge>& roots) {
    std::vector<Node*> stack;
    std::unordered_set<Node*> seen;
    for (const Edge& r : roots) {
      if (r.valid() && seen.insert(r.fn.get()).second) stack.push_back(r.fn.get());
    }
    while (!stack.empty()) {
      Node* fn = stack.back();
      stack.pop_back();
      for (const Edge& e : fn->next_edges()) {
        if (!e.valid()) continue;
        ++deps_[e.fn.get()];
        if (seen.insert(e.fn.get()).second) stack.push_back(e.fn.get());
      }
    }
  }

  // grad(): a node runs only if some capture lies below it.
  void compute_needed(const std::vector<Edge>& roots) {
    std::unordered_map<const Node*, int> state;  // 1 visiting, 2 done
    std::function<bool(Node*)> visit = [&](Node* fn) -> bool {
      auto it = state.find(fn);
      if (it != state.end() && it->second == 2) return needed_.count(fn) > 0;
      state[fn] = 1;
      bool need = false;
      for (const Edge& e : fn->next_edges()) {
        if (!e.valid()) continue;
        if (captures_.count(EdgeKey{e.fn.get(), e.input_nr})) need = true;
        if (state[e.fn.get()] != 1 && visit(e.fn.get())) need = true;
      }
      state[fn] = 2;
      if (need) needed_.insert(fn);
      return need;
    };
    for (const Edge& r : roots) {
      if (r.valid()) visit(r.fn.get());
    }
  }

  template <typename Queue>
  void execute(const std::shared_ptr<Node>& fn, std::vector<Tensor> inputs, Queue& ready,
               std::unordered_set<const Node*>& queued) {
    // Captures for grad(): the gradient of a chosen input, taken as it arrives.
    if (!captures_.empty()) {
      for (uint32_t nr = 0; nr < inputs.size(); ++nr) {
        auto it = captures_.find(EdgeKey{fn.get(), nr});
        if (it == captures_.end() || !inputs[nr].defined()) continue;
        for (size_t idx : it->second) captured_[idx] = inputs[nr];
      }
      if (!needed_.count(fn.get())) {
        release_edges(fn, ready, queued);
        return;
      }
    }
    for (const auto& [nr, hook] : fn->pre_hooks()) {
      if (nr < inputs.size() && inputs[nr].defined()) {
        Tensor r = hook(inputs[nr]);
        if (r.defined()) inputs[nr] = r;
      }
    }
    bool any = false;
    for (const Tensor& t : inputs) any = any || t.defined();
    std::vector<Tensor> outputs;
    if (any) {
      // Multi-output nodes get zeros for outputs nobody used, so formulas see defined grads.
      const auto& metas = fn->output_meta();
      for (size_t i = 0; i < inputs.size(); ++i) {
        if (!inputs[i].defined() && metas[i].differentiable && metas.size() > 1) {
          inputs[i] = zeros(metas[i].sizes, metas[i].dtype, metas[i].device);
        }
      }
      KILN_CHECK(!fn->released(),
                 "Trying to backward through the graph a second time (or directly access saved "
                 "tensors after they have already been freed). Specify retain_graph=True if "
                 "you need to backward through the graph a second time.");
      outputs = fn->apply(std::move(inputs));
      if (!keep_graph_) {
        fn->release_variables();
        if (fn->num_outputs() > 0) fn->mark_released();
      }
    }
    const auto& edges = fn->next_edges();
    KILN_ASSERT(!any || outputs.size() == edges.size(), fn->name(), " returned ", outputs.size(),
                " gradients for ", edges.size(), " inputs");
    for (size_t i = 0; i < edges.size(); ++i) {
      const Edge& e = edges[i];
      if (!e.valid()) continue;
      if (any && i < outputs.size() && outputs[i].defined()) {
        const OutputMeta& meta = e.fn->output_meta()[e.input_nr];
        accumulate(buffers_[e.fn.get()], e.input_nr, validate(*fn, i, meta, std::move(outputs[i])));
      }
      if (--deps_[e.fn.get()] == 0 && queued.insert(e.fn.get()).second) ready.push(e.fn);
    }
  }

  template <typename Queue>
  void release_edges(const std::shared_ptr<Node>& fn, Queue& ready,
                     std::unordered_set<const Node*>& queued) {
    for (const Edge& e : fn->next_edges()) {
      if (e.valid() && --deps_[e.fn.get()] == 0 && queued.insert(e.fn.get()).second) {
        ready.push(e.fn);
      }
    }
  }

  bool keep_graph_;
  bool create_graph_;
  std::unordered_map<const Node*, int> deps_;
  std::unordered_map<const Node*, std::vector<Tensor>> buffers_;
  std::unordered_map<EdgeKey, std::vector<size_t>, EdgeKeyHash> captures_;
  std::unordered_set<const Node*> needed_;
  std::vector<Tensor> captured_;
};

std::vector<Tensor> root_gradients(const std::vector<Tensor>& roots,
                                   const std::vector<Tensor>& gradients) {
  KILN_CHECK(gradients.empty() || gradients.size() == roots.size(), "got ", gradients.size(),
             " gradients for ", roots.size(), " tensors");
  std::vector<Tensor> out;
  for (size_t i = 0; i < roots.size(); ++i) {
    const Tensor& r = roots[i];
    KILN_CHECK(r.requires_grad(), "element ", i,
               " of tensors does not require grad and does not have a grad_fn");
    Tensor g = gradients.empty() ? Tensor() : gradients[i];
    if (!g.defined()) {
      KILN_CHECK(r.numel() == 1, "grad can be implicitly created only for scalar outputs");
      g = ones_like(r);
    } else {
      KILN_CHECK(g.sizes() == r.sizes(), "Mismatch in shape: grad_output[", i, "] has a shape of ",
                 shape_str(g.sizes()), " and output[", i, "] has a shape of ",
                 shape_str(r.sizes()), ".");
    }
    out.push_back(g);
  }
  return out;
}

}  // namespace

void backward(const std::vector<Tensor>& roots, const std::vector<Tensor>& gradients,
              std::optional<bool> retain_graph, bool create_graph) {
  std::vector<Tensor> grads = root_gradients(roots, gradients);
  std::vector<Edge> edges;
  for (const Tensor& r : roots) edges.push_back(edge_of(r));
  const bool prev = GradMode::is_enabled();
  GradMode::set_enabled(create_graph);
  try {
    GraphTask(retain_graph.value_or(create_graph), create_graph).run(edges, std::move(grads), 0);
  } catch (...) {
    GradMode::set_enabled(prev);
    throw;
  }
  GradMode::set_enabled(prev);
}

void backward(const Tensor& root, const Tensor& gradient, std::optional<bool> retain_graph,
              bool create_graph) {
  backward(std::vector<Tensor>{root}, gradient.defined() ? std::vector<Tensor>{gradient}
                                                         : std::vector<Tensor>{},
           retain_graph, create_graph);
}

std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         const std::vector<Tensor>& grad_outputs, std::optional<bool> retain_graph,
                         bool create_graph, bool allow_unused) {
  std::vector<Tensor> grads = root_gradients(outputs, grad_outputs);
  std::vector<Edge> edges;
  for (const Tensor& r : outputs) edges.push_back(edge_of(r));
  GraphTask task(retain_graph.value_or(create_graph), create_graph);
  for (size_t i = 0; i < inputs.size(); ++i) {
    KILN_CHECK(inputs[i].requires_grad(), "One of the differentiated Tensors does not require grad");
    task.add_capture(edge_of(inputs[i]), i);
  }
  const bool prev = GradMode::is_enabled();
  GradMode::set_enabled(create_graph);
  std::vector<Tensor> result;
  try {
    result = task.run(edges, std::move(grads), inputs.size());
  } catch (...) {
    GradMode::set_enabled(prev);
    throw;
  }
  GradMode::set_enabled(prev);
  for (size_t i = 0; i < result.size(); ++i) {
    KILN_CHECK(allow_unused || result[i].defined(),
               "One of the differentiated Tensors appears to not have been used in the graph. "
               "Set allow_unused=True if this is the desired behavior.");
    if (result[i].defined() && result[i].sizes() != inputs[i].sizes()) {
      result[i] = sum_to(result[i], inputs[i].sizes());
    }
  }
  return result;
}

void retain_grad(const Tensor& t) {
  KILN_CHECK(t.requires_grad(), "can't retain_grad on Tensor that has requires_grad=False");
  if (t.is_leaf()) return;
  AutogradMeta& m = t.ensure_autograd_meta();
  if (m.retains_grad) return;
  m.retains_grad = true;
  std::weak_ptr<TensorImpl> weak = t.impl_ptr();
  t.grad_fn()->add_pre_hook(t.output_nr(), [weak](const Tensor& g) {
    if (auto impl = weak.lock()) {
      Tensor self(impl);
      Tensor old = self.grad();
      self.set_grad(old.defined() ? add(old, g).detach() : clone(g).detach());
    }
    return Tensor();
  });
}

void register_hook(const Tensor& t, std::function<Tensor(const Tensor&)> hook) {
  KILN_CHECK(t.requires_grad(), "cannot register a hook on a tensor that doesn't require gradient");
  if (t.is_leaf()) {
    t.ensure_autograd_meta().hooks.push_back(std::move(hook));
  } else {
    t.grad_fn()->add_pre_hook(t.output_nr(), std::move(hook));
  }
}

}  // namespace kiln
