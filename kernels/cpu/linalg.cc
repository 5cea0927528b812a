// The matrix-product ops, each a view of its operands as (B, n, m) @ (B, m, p) handed to
// gemm_batched (linalg_gemm.cc).
#include "kernels/cpu/linalg.h"

#include "kernels/cpu/copy.h"

namespace kiln::cpu {
namespace {

// t (r, c) as (1, r, c); a vector (n) as a column (1, n, 1) or a row (1, 1, n).
Tensor as_batch(const Tensor& t) {
  return make_view(t, {1, t.sizes()[0], t.sizes()[1]}, {0, t.strides()[0], t.strides()[1]},
                   t.storage_offset());
}
Tensor as_column(const Tensor& v) {
  return make_view(v, {1, v.sizes()[0], 1}, {0, v.strides()[0], 1}, v.storage_offset());
}

// Where the product is written: result itself when it is contiguous and shares no memory with
// an input (in-place addmm_ or out= aliasing), else a fresh tensor copied over at the end.
Tensor target(const Tensor& result, std::initializer_list<const Tensor*> inputs) {
  bool direct = result.is_contiguous();
  for (const Tensor* t : inputs) direct = direct && t->storage() != result.storage();
  return direct ? result : empty_tensor(result.sizes(), result.dtype());
}

void finish(const Tensor& result, const Tensor& c) {
  if (!c.is_same(result)) copy(result, c, false);
}

// `self` broadcast to `c`'s shape (stride 0 along the new and size-1 dims).
Tensor broadcast_to(const Tensor& self, const Shape& shape) {
  const int64_t lead = int64_t(shape.size()) - self.dim();
  Shape strides(shape.size(), 0);
  for (int64_t i = 0; i < self.dim(); ++i) {
    if (self.sizes()[i] != 1) strides[lead + i] = self.strides()[i];
  }
  return make_view(self, shape, strides, self.storage_offset());
}

// c = beta * self + alpha * (a @ b), with c (B, n, p) and the product's 3-d views.
void add_product(const Tensor& result, const Tensor& self, const Tensor& a3, const Tensor& b3,
                 const Scalar& beta, const Scalar& alpha,
                 std::initializer_list<const Tensor*> inputs) {
  const Tensor c = target(result, inputs);
  const bool use_self = !(beta == Scalar(0));
  if (use_self) copy(c, broadcast_to(self, c.sizes()), false);
  const Shape& s = c.sizes();
  const Tensor c3 = s.size() == 3   ? c
                    : s.size() == 2 ? make_view(c, {1, s[0], s[1]}, {0, s[1], 1}, c.storage_offset())
                                    : make_view(c, {1, s[0], 1}, {0, 1, 1}, c.storage_offset());
  gemm_batched(c3, a3, b3, alpha, use_self ? beta : Scalar(0));
  finish(result, c);
}

}  // namespace

void mm(const Tensor& result, const Tensor& self, const Tensor& mat2) {
  add_product(result, self, as_batch(self), as_batch(mat2), 0, 1, {&self, &mat2});
}

void bmm(const Tensor& result, const Tensor& self, const Tensor& mat2) {
  add_product(result, self, self, mat2, 0, 1, {&self, &mat2});
}

void addmm(const Tensor& result, const Tensor& self, const Tensor& mat1, const Tensor& mat2,
           const Scalar& beta, const Scalar& alpha) {
  add_product(result, self, as_batch(mat1), as_batch(mat2), beta, alpha, {&self, &mat1, &mat2});
}

void baddbmm(const Tensor& result, const Tensor& self, const Tensor& batch1, const Tensor& batch2,
             const Scalar& beta, const Scalar& alpha) {
  add_product(result, self, batch1, batch2, beta, alpha, {&self, &batch1, &batch2});
}

void mv(const Tensor& result, const Tensor& self, const Tensor& vec) {
  add_product(result, self, as_batch(self), as_column(vec), 0, 1, {&self, &vec});
}

void addmv(const Tensor& result, const Tensor& self, const Tensor& mat, const Tensor& vec,
           const Scalar& beta, const Scalar& alpha) {
  add_product(result, self, as_batch(mat), as_column(vec), beta, alpha, {&self, &mat, &vec});
}

// A 1 x m row times an m x 1 column.
void dot(const Tensor& result, const Tensor& self, const Tensor& tensor) {
  const Tensor row = make_view(self, {1, 1, self.sizes()[0]}, {0, 1, self.strides()[0]},
                               self.storage_offset());
  const Tensor c = target(result, {&self, &tensor});
  gemm_batched(make_view(c, {1, 1, 1}, {1, 1, 1}, c.storage_offset()), row, as_column(tensor), 1,
               0);
  finish(result, c);
}

}  // namespace kiln::cpu
