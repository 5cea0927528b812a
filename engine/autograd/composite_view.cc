// Views written from other views (table/view.yaml, impl: composite); autograd flows through
// the views they call.
#include "engine/autograd/functions.h"
#include "engine/ops/rules.h"

namespace kiln {

std::vector<Tensor> split(const Tensor& self, IntList split_size, int64_t dim) {
  return split_with_sizes(self, split_size, dim);
}

Tensor movedim(const Tensor& self, IntList source, IntList destination) {
  rules::check_defined("movedim", self, "self");
  return permute(self, rules::movedim_perm("movedim", self, source, destination));
}

Tensor view_as(const Tensor& self, const Tensor& other) {
  rules::check_defined("view_as", other, "other");
  return view(self, other.sizes());
}

Tensor reshape_as(const Tensor& self, const Tensor& other) {
  rules::check_defined("reshape_as", other, "other");
  return reshape(self, other.sizes());
}

Tensor expand_as(const Tensor& self, const Tensor& other) {
  rules::check_defined("expand_as", other, "other");
  return expand(self, other.sizes());
}

}  // namespace kiln
