#include "engine/autograd/saved_variable.h"

#include "engine/autograd/node.h"

namespace kiln {

SavedVariable::SavedVariable(const Tensor& t, bool is_output) {
  if (!t.defined()) return;
  defined_ = true;
  is_output_ = is_output;
  version_ = t.version();
  requires_grad_ = t.requires_grad();
  output_nr_ = t.output_nr();
  data_ = is_output ? t.detach() : t;
}

Tensor SavedVariable::unpack(const std::shared_ptr<Node>& saved_for) const {
  if (!defined_) {
    KILN_CHECK(!released_,
               "Trying to backward through the graph a second time (or directly access saved "
               "tensors after they have already been freed). Saved intermediate values of the "
               "graph are freed when you call .backward() or autograd.grad(). Specify "
               "retain_graph=True if you need to backward through the graph a second time or "
               "if you need to access saved tensors after calling backward.");
    return Tensor();
  }
  KILN_CHECK(data_.version() == version_,
             "one of the variables needed for gradient computation has been modified by an "
             "inplace operation: [", dtype_name(data_.dtype()), " ", shape_str(data_.sizes()),
             "] is at version ", data_.version(), "; expected version ", version_,
             " instead. Hint: the operation that failed was an in-place write to a tensor "
             "that an earlier op saved for backward; clone() it first.");
  if (!is_output_ || !requires_grad_ || !saved_for) return data_;
  // Re-attach the output to the node that made it, so double backward sees the path.
  Tensor t = data_.detach();
  AutogradMeta& m = t.ensure_autograd_meta();
  m.grad_fn = saved_for;
  m.output_nr = output_nr_;
  return t;
}

void SavedVariable::reset() {
  if (defined_) released_ = true;
  data_ = Tensor();
  defined_ = false;
}

std::vector<SavedVariable> save_list(const std::vector<Tensor>& ts) {
  std::vector<SavedVariable> out;
  out.reserve(ts.size());
  for (const Tensor& t : ts) out.emplace_back(t, false);
  return out;
}

std::vector<Tensor> unpack_list(const std::vector<SavedVariable>& vs) {
  std::vector<Tensor> out;
  out.reserve(vs.size());
  for (const SavedVariable& v : vs) out.push_back(v.unpack());
  return out;
}

}  // namespace kiln
