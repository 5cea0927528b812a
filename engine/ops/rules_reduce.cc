// Dtype and shape rules of the reduction, sort and scan family (table/reduce.yaml).
#include "engine/ops/rules.h"

namespace kiln::rules {

DType mean_dtype(const char* op, const Tensor& self, std::optional<DType> dtype) {
  if (dtype) {
    KILN_CHECK(is_floating(*dtype), op,
               "(): could not infer output dtype. Optional dtype must be either a floating point "
               "or complex dtype. Got: ",
               torch_type_name(*dtype));
    return *dtype;
  }
  KILN_CHECK(is_floating(self.dtype()), op,
             "(): could not infer output dtype. Input dtype must be either a floating point or "
             "complex dtype. Got: ",
             torch_type_name(self.dtype()));
  return self.dtype();
}

DType var_dtype(const char* op, const Tensor& self) {
  KILN_CHECK(is_floating(self.dtype()), op,
             ": std and var only support floating point and complex dtypes");
  return self.dtype();
}

DType norm_dtype(const char* op, const Tensor& self, std::optional<DType> dtype) {
  KILN_CHECK(is_floating(self.dtype()), op,
             "(): input dtype should be either floating point or complex. Got ",
             torch_type_name(self.dtype()), " instead.");
  KILN_CHECK(!dtype || is_floating(*dtype), op,
             "(): the desired output dtype should be either floating point or complex. Got ",
             torch_type_name(dtype.value_or(DType::kFloat32)), " instead.");
  return dtype.value_or(self.dtype());
}

DType all_dtype(const char*, const Tensor& self) {
  return self.dtype() == DType::kUInt8 ? DType::kUInt8 : DType::kBool;
}

namespace {

void check_no_identity_all(const char* op, const Tensor& self) {
  KILN_CHECK_INDEX(self.numel() != 0, op,
                   "(): Expected reduction dim to be specified for input.numel() == 0. Specify "
                   "the reduction dim with the 'dim' argument.");
}

Shape reduce_nonempty_dims(const char* op, const Tensor& self, const std::optional<Shape>& dim,
                           bool keepdim) {
  if (!dim || dim->empty()) {
    check_no_identity_all(op, self);
  } else {
    for (int64_t d : reduce_dims(op, self, dim)) {
      KILN_CHECK_INDEX(self.dim() == 0 || self.sizes()[d] != 0, op, "(): Expected reduction dim ",
                       d, " to have non-zero size.");
    }
  }
  return reduce(op, self, dim, keepdim);
}

}  // namespace

Shape reduce_all_nonempty(const char* op, const Tensor& self) {
  check_no_identity_all(op, self);
  return {};
}

Shape reduce_nonempty(const char* op, const Tensor& self, int64_t dim, bool keepdim) {
  return reduce_nonempty_dims(op, self, Shape{dim}, keepdim);
}

Shape reduce_nonempty(const char* op, const Tensor& self, IntList dim, bool keepdim) {
  return reduce_nonempty_dims(op, self, dim.vec(), keepdim);
}

Shape reduce_nonempty(const char* op, const Tensor& self, std::optional<int64_t> dim,
                      bool keepdim) {
  if (!dim) return reduce_nonempty_dims(op, self, std::nullopt, keepdim);
  return reduce_nonempty_dims(op, self, Shape{*dim}, keepdim);
}

Shape scan(const char*, const Tensor& self, int64_t dim) {
  (void)wrap_dim(dim, self.dim());
  return self.sizes();
}

Shape topk(const char* op, const Tensor& self, int64_t k, int64_t dim) {
  const int64_t d = wrap_dim(dim, self.dim());
  const int64_t size = self.dim() == 0 ? 1 : self.sizes()[d];
  KILN_CHECK(k >= 0 && k <= size, op, ": selected index k out of range");
  Shape out = self.sizes();
  if (self.dim() > 0) out[d] = k;
  return out;
}

}  // namespace kiln::rules
