// Reduction-family ops written from other ops (table/reduce.yaml, impl: composite): the
// unbiased= spellings of var/std, var_mean/std_mean, argsort. Gradients flow through the
// ops they call.
#include "engine/autograd/functions.h"
#include "engine/ops/rules.h"

namespace kiln {

namespace {

std::optional<int64_t> correction_of(bool unbiased) { return unbiased ? 1 : 0; }

}  // namespace

Tensor var(const Tensor& self, bool unbiased) {
  return var(self, std::optional<Shape>(), correction_of(unbiased), false);
}

Tensor var(const Tensor& self, const std::optional<Shape>& dim, bool unbiased, bool keepdim) {
  return var(self, dim, correction_of(unbiased), keepdim);
}

Tensor std(const Tensor& self, bool unbiased) {
  return std(self, std::optional<Shape>(), correction_of(unbiased), false);
}

Tensor std(const Tensor& self, const std::optional<Shape>& dim, bool unbiased, bool keepdim) {
  return std(self, dim, correction_of(unbiased), keepdim);
}

std::tuple<Tensor, Tensor> var_mean(const Tensor& self, const std::optional<Shape>& dim,
                                    std::optional<int64_t> correction, bool keepdim) {
  rules::check_defined("var_mean", self, "self");
  rules::var_dtype("var_mean", self);
  return {var(self, dim, correction, keepdim), mean(self, dim, keepdim, std::nullopt)};
}

std::tuple<Tensor, Tensor> std_mean(const Tensor& self, const std::optional<Shape>& dim,
                                    std::optional<int64_t> correction, bool keepdim) {
  rules::check_defined("std_mean", self, "self");
  rules::var_dtype("std_mean", self);
  return {std(self, dim, correction, keepdim), mean(self, dim, keepdim, std::nullopt)};
}

Tensor argsort(const Tensor& self, int64_t dim, bool descending) {
  return std::get<1>(sort(self, dim, descending));
}

}  // namespace kiln
