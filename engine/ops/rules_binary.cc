// Rules of the binary ops.
#include "engine/ops/rules.h"

namespace kiln::rules {

DType promote_alpha(const char* op, const Tensor& a, const Tensor& b, const Scalar& alpha) {
  const DType r = promote(op, a, b);
  KILN_CHECK(is_floating(r) || !alpha.is_floating(), op,
             ": For integral input tensors, argument alpha must not be a floating point number.");
  KILN_CHECK(r == DType::kBool || !alpha.is_bool(), op,
             ": Boolean alpha only supported for Boolean results.");
  return r;
}

}  // namespace kiln::rules
