#include "engine/autograd/node.h"

#include "engine/autograd/functions.h"
#include "engine/autograd/grad_mode.h"
#include "engine/core/printing.h"

namespace kiln {
namespace {

std::atomic<uint64_t> g_next_sequence_nr{0};

// Lets Tensor::str() print grad_fn=<AddBackward0>.
const bool kNamerRegistered = [] {
  set_node_namer([](const Node* n) { return n->name(); });
  return true;
}();

}  // namespace

Node::Node() : sequence_nr_(g_next_sequence_nr.fetch_add(1, std::memory_order_relaxed)) {
  (void)kNamerRegistered;
}

Node::~Node() = default;

bool Node::any_should_compute(size_t begin, size_t count) const {
  for (size_t i = begin; i < begin + count; ++i) {
    if (should_compute_output(i)) return true;
  }
  return false;
}

uint32_t Node::add_output_meta(const Tensor& t, bool differentiable) {
  output_meta_.push_back(OutputMeta{t.sizes(), t.dtype(), t.device(), differentiable});
  return static_cast<uint32_t>(output_meta_.size() - 1);
}

void Node::add_pre_hook(uint32_t output_nr, GradHook hook) {
  pre_hooks_.emplace_back(output_nr, std::move(hook));
}

AccumulateGrad::AccumulateGrad(Tensor variable) : variable_(std::move(variable)) {
  add_output_meta(variable_);
}

std::vector<Tensor> AccumulateGrad::apply(std::vector<Tensor>&& grads) {
  Tensor g = std::move(grads[0]);
  if (!g.defined()) return {};
  AutogradMeta& meta = variable_.ensure_autograd_meta();
  for (const auto& hook : meta.hooks) {
    Tensor r = hook(g);
    if (r.defined()) g = r;
  }
  Tensor old = variable_.grad();
  if (!old.defined()) {
    // Steal the incoming buffer when nothing else can see it (the common case: a formula's
    // fresh result); a shared one (AddBackward hands `grad` to both inputs) is copied, since
    // later accumulation writes .grad in place. Under create_graph .grad keeps its history.
    const bool unshared = g.impl_ptr().use_count() == 1 && g.storage().use_count() == 1;
    if (GradMode::is_enabled()) {
      variable_.set_grad(g);
    } else {
      variable_.set_grad(unshared && !g.requires_grad() ? g : clone(g).detach());
    }
  } else if (GradMode::is_enabled()) {
    variable_.set_grad(add(old, g));  // out of place, so the higher-order graph stays valid
  } else {
    add_(old, g);
  }
  return {};
}

std::string node_name(const Node* node) { return node ? node->name() : ""; }

}  // namespace kiln
