// Rules of the optim family (engine/ops/table/optim.yaml).
#include "engine/ops/rules.h"

namespace kiln::rules {

DType clip_norm_dtype(const char* op, const std::vector<Tensor>& grads) {
  for (size_t i = 0; i < grads.size(); ++i) {
    KILN_CHECK_TYPE(grads[i].defined(), op, ": grads[", i, "] must be a Tensor, not None");
    KILN_CHECK_TYPE(is_floating(grads[i].dtype()), op,
                    ": expected floating point gradients, but grads[", i, "] is ",
                    grads[i].dtype());
  }
  return grads.empty() ? default_float_dtype() : promote(op, grads);
}

}  // namespace kiln::rules
