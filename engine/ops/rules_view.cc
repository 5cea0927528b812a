// Shape rules of the view ops.
#include <algorithm>

#include "engine/ops/rules.h"

namespace kiln::rules {

Shape view_shape(const char* op, const Tensor& self, IntList size) {
  Shape shape = size.vec();
  int64_t infer = -1, known = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      KILN_CHECK(infer < 0, op, ": only one dimension can be inferred");
      infer = static_cast<int64_t>(i);
    } else {
      KILN_CHECK(shape[i] >= 0, op, ": invalid shape dimension ", shape[i]);
      KILN_CHECK(!__builtin_mul_overflow(known, shape[i], &known), op, ": shape ",
                 shape_str(size), " overflows");
    }
  }
  const int64_t numel = self.numel();
  if (infer >= 0) {
    KILN_CHECK(known != 0 && numel % known == 0, op, ": shape '", shape_str(size),
               "' is invalid for input of size ", numel);
    shape[infer] = numel / known;
  } else {
    KILN_CHECK(known == numel, op, ": shape '", shape_str(size), "' is invalid for input of size ",
               numel);
  }
  return shape;
}

Shape permute(const char* op, const Tensor& self, IntList dims) {
  KILN_CHECK(int64_t(dims.size()) == self.dim(), op,
             ": number of dims don't match in permute (input has ", self.dim(), ", got ",
             dims.size(), ")");
  std::vector<bool> seen(self.dim(), false);
  Shape out;
  for (int64_t d : dims) {
    const int64_t w = wrap_dim(d, self.dim());
    KILN_CHECK(!seen[w], op, ": repeated dim in permute");
    seen[w] = true;
    out.push_back(self.sizes()[w]);
  }
  return out;
}

Shape transpose(const char*, const Tensor& self, int64_t dim0, int64_t dim1) {
  Shape out = self.sizes();
  if (self.dim() == 0) {
    wrap_dim(dim0, 0);
    wrap_dim(dim1, 0);
    return out;
  }
  std::swap(out[wrap_dim(dim0, self.dim())], out[wrap_dim(dim1, self.dim())]);
  return out;
}

Shape expand(const char* op, const Tensor& self, IntList size) {
  KILN_CHECK(int64_t(size.size()) >= self.dim(), op,
             ": the number of sizes provided (", size.size(),
             ") must be greater or equal to the number of dimensions in the tensor (", self.dim(),
             ")");
  const int64_t lead = static_cast<int64_t>(size.size()) - self.dim();
  Shape out(size.size());
  for (int64_t i = 0; i < int64_t(size.size()); ++i) {
    if (i < lead) {
      KILN_CHECK(size[i] >= 0, op, ": the expanded size of the tensor (", size[i],
                 ") isn't allowed in a leading, non-existing dimension ", i);
      out[i] = size[i];
      continue;
    }
    const int64_t have = self.sizes()[i - lead];
    const int64_t want = size[i] == -1 ? have : size[i];
    KILN_CHECK(have == want || have == 1, op, ": the expanded size of the tensor (", want,
               ") must match the existing size (", have, ") at non-singleton dimension ", i,
               ".  Target sizes: ", shape_str(size), ".  Tensor sizes: ", shape_str(self.sizes()));
    out[i] = want;
  }
  return out;
}

}  // namespace kiln::rules
