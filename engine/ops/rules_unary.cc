// Rules of the unary ops (engine/ops/table/unary.yaml).
#include "engine/ops/rules.h"

namespace kiln::rules {

DType square_dtype(const char*, const Tensor& self) {
  return self.dtype() == DType::kBool ? DType::kInt64 : self.dtype();
}

DType clamp_dtype(const char* op, const Tensor& self, const std::optional<Scalar>& min,
                  const std::optional<Scalar>& max) {
  KILN_CHECK(min || max, op, ": At least one of 'min' or 'max' must not be None");
  // Folding one bound at a time gives result_type(self, min, max): a Python number only
  // moves the result when its category is higher, and categories only rise.
  DType r = promote_scalar(op, self, min ? *min : *max);
  if (min && max) {
    const DType r2 = promote_scalar(op, self, *max);
    r = promote_types(r, r2);
  }
  return r;
}

DType clamp_dtype(const char* op, const Tensor& self, const Tensor& min, const Tensor& max) {
  KILN_CHECK(min.defined() || max.defined(), op,
             ": At least one of 'min' or 'max' must not be None");
  std::vector<Tensor> ts{self};
  if (min.defined()) ts.push_back(min);
  if (max.defined()) ts.push_back(max);
  return promote(op, ts);
}

Shape clamp_shape(const char* op, const Tensor& self, const Tensor& min, const Tensor& max) {
  Shape s = self.sizes();
  for (const Tensor* b : {&min, &max}) {
    if (b->defined()) s = broadcast_shapes(op, s, b->sizes());
  }
  return s;
}

DType gelu_dtype(const char* op, const Tensor& self, const std::string& approximate) {
  KILN_CHECK(approximate == "none" || approximate == "tanh", op,
             ": approximate argument must be either none or tanh.");
  return self.dtype();
}

}  // namespace kiln::rules
