// Runs the backward graph: nodes in dependency order (later-recorded first among the ready
// ones, as PyTorch), gradients reduced to each input's shape and cast to its dtype, saved
// tensors freed as soon as their node ran unless retain_graph.
#pragma once

#include <optional>
#include <vector>

#include "engine/core/tensor.h"

namespace kiln {

// tensor.backward(gradient, retain_graph, create_graph): accumulates into leaves' .grad.
// `gradient` may be undefined for a one-element tensor (it is then 1).
void backward(const Tensor& root, const Tensor& gradient = Tensor(),
              std::optional<bool> retain_graph = std::nullopt, bool create_graph = false);
// torch.autograd.backward over several roots.
void backward(const std::vector<Tensor>& roots, const std::vector<Tensor>& gradients,
              std::optional<bool> retain_graph = std::nullopt, bool create_graph = false);

// torch.autograd.grad: the gradients of `outputs` w.r.t. `inputs`, without touching .grad.
// An input that does not reach any output gives an undefined tensor when allow_unused, and
// an error otherwise.
std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         const std::vector<Tensor>& grad_outputs = {},
                         std::optional<bool> retain_graph = std::nullopt,
                         bool create_graph = false, bool allow_unused = false);

// Tensor.retain_grad(): keep .grad for a non-leaf.
void retain_grad(const Tensor& t);
// Tensor.register_hook(fn): fn(grad) runs when the gradient for t is computed; a defined
// return value replaces the gradient.
void register_hook(const Tensor& t, std::function<Tensor(const Tensor&)> hook);

}  // namespace kiln
