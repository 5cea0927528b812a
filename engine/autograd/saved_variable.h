// A tensor a backward formula saved, with the version it had: unpacking after an in-place
// write fails with PyTorch's message instead of silently using the new values.
#pragma once

#include <memory>

#include "engine/core/tensor.h"

namespace kiln {

class SavedVariable {
 public:
  SavedVariable() = default;
  // `is_output`: the tensor is an output of the node that saves it; holding it strongly
  // would make a cycle, so its grad_fn is kept weakly and restored on unpack.
  SavedVariable(const Tensor& t, bool is_output);

  // The saved tensor; throws when it was released (backward ran without retain_graph) or
  // modified in place since it was saved.
  Tensor unpack(const std::shared_ptr<Node>& saved_for = nullptr) const;
  void reset();
  bool defined() const { return defined_; }

 private:
  Tensor data_;  // inputs: the tensor itself; outputs: a detached alias
  uint32_t version_ = 0;
  uint32_t output_nr_ = 0;
  bool defined_ = false;
  bool is_output_ = false;
  bool requires_grad_ = false;
  bool released_ = false;
};

std::vector<SavedVariable> save_list(const std::vector<Tensor>& ts);
std::vector<Tensor> unpack_list(const std::vector<SavedVariable>& vs);

}  // namespace kiln
