// Linear-algebra ops written from mm / bmm / mv / dot and views (table/linalg.yaml, impl:
// composite); their gradients come from the ops they call.
#include <algorithm>

#include "engine/autograd/functions.h"
#include "engine/ops/rules.h"

namespace kiln {

// Every case of PyTorch's matmul. Leading dims of an n-d self times a matrix or vector fold
// into rows (one GEMM, no batch); otherwise the batch dims broadcast and the product is one
// bmm over their product.
Tensor matmul(const Tensor& self, const Tensor& other) {
  static constexpr const char* kOp = "matmul";
  rules::check_defined(kOp, self, "self");
  rules::check_defined(kOp, other, "other");
  rules::matmul_dtype(kOp, self, other);
  // The result's shape is dropped before the product is allocated: a small block freed after
  // a large one keeps glibc from reusing the large one, and every call page-faults afresh.
  (void)rules::matmul(kOp, self, other);
  const int64_t da = self.dim(), db = other.dim();
  if (da == 1 && db == 1) return dot(self, other);
  if (da == 2 && db == 1) return mv(self, other);
  if (da == 1 && db == 2) return squeeze(mm(unsqueeze(self, 0), other), 0);
  if (da == 2 && db == 2) return mm(self, other);
  const Shape out = rules::matmul(kOp, self, other);
  const Shape& a = self.sizes();
  const Shape& b = other.sizes();
  if (db <= 2) {
    const int64_t rows = numel_of(Shape(a.begin(), a.end() - 1));
    const Tensor folded = reshape(self, {rows, a.back()});
    return reshape(db == 1 ? mv(folded, other) : mm(folded, other), out);
  }
  const int64_t n = da > 1 ? a[da - 2] : 1, m = a.back(), p = b.back();
  const Shape batch(out.begin(), out.end() - (da > 1 ? 2 : 1));
  const int64_t nb = numel_of(batch);
  Shape ea = batch, eb = batch;
  ea.insert(ea.end(), {n, m});
  eb.insert(eb.end(), {m, p});
  const Tensor a3 = reshape(expand(da > 1 ? self : unsqueeze(self, 0), ea), {nb, n, m});
  const Tensor b3 = reshape(expand(other, eb), {nb, m, p});
  return reshape(bmm(a3, b3), out);
}

Tensor outer(const Tensor& self, const Tensor& vec2) {
  rules::check_defined("outer", self, "self");
  rules::check_defined("outer", vec2, "vec2");
  rules::outer("outer", self, vec2);
  return mul(unsqueeze(self, 1), vec2);
}

namespace {

// An einsum operand on the way: a tensor and the label of each of its dims.
struct Term {
  Tensor t;
  std::vector<int> labels;
};

bool has(const std::vector<int>& v, int l) { return std::find(v.begin(), v.end(), l) != v.end(); }

// Sums away the dims whose labels nothing later needs (keeping the dtype: integers stay).
void sum_unneeded(Term& x, const std::vector<int>& needed, DType dtype) {
  Shape dims;
  std::vector<int> kept;
  for (size_t d = 0; d < x.labels.size(); ++d) {
    if (has(needed, x.labels[d])) {
      kept.push_back(x.labels[d]);
    } else {
      dims.push_back(int64_t(d));
    }
  }
  if (dims.empty()) return;
  x.t = sum(x.t, dims, false, dtype);
  x.labels = kept;
}

// x's dims in the order of `labels`, each broadcast to its full size, merged into the groups
// whose sizes `groups` gives.
Tensor arrange(const Term& x, const std::vector<int>& labels, const std::vector<int64_t>& sizes,
               const Shape& groups) {
  Shape perm, full;
  for (int l : labels) {
    perm.push_back(std::find(x.labels.begin(), x.labels.end(), l) - x.labels.begin());
    full.push_back(sizes[l]);
  }
  return reshape(expand(permute(x.t, perm), full), groups);
}

// a and b contracted over the labels they share that nothing later needs: one bmm with the
// needed shared labels as its batch (one mm when there are none).
Term contract(const Term& a, const Term& b, const std::vector<int>& later,
              const std::vector<int64_t>& sizes) {
  std::vector<int> batch, left, right, inner;
  for (int l : a.labels) {
    if (!has(b.labels, l)) {
      left.push_back(l);
    } else {
      (has(later, l) ? batch : inner).push_back(l);
    }
  }
  for (int l : b.labels) {
    if (!has(a.labels, l)) right.push_back(l);
  }
  auto prod = [&](const std::vector<int>& ls) {
    int64_t n = 1;
    for (int l : ls) n *= sizes[l];
    return n;
  };
  const int64_t nb = prod(batch), n = prod(left), k = prod(inner), p = prod(right);
  std::vector<int> la = batch, lb = batch;
  la.insert(la.end(), left.begin(), left.end());
  la.insert(la.end(), inner.begin(), inner.end());
  lb.insert(lb.end(), inner.begin(), inner.end());
  lb.insert(lb.end(), right.begin(), right.end());
  Tensor r;
  if (batch.empty()) {
    r = mm(arrange(a, la, sizes, {n, k}), arrange(b, lb, sizes, {k, p}));
  } else {
    r = bmm(arrange(a, la, sizes, {nb, n, k}), arrange(b, lb, sizes, {nb, k, p}));
  }
  Term out;
  out.labels = batch;
  out.labels.insert(out.labels.end(), left.begin(), left.end());
  out.labels.insert(out.labels.end(), right.begin(), right.end());
  Shape shape;
  for (int l : out.labels) shape.push_back(sizes[l]);
  out.t = reshape(r, shape);
  return out;
}

}  // namespace

// Operands are contracted left to right; each label is summed away as soon as no later
// operand nor the output uses it.
Tensor einsum(const std::string& equation, const std::vector<Tensor>& tensors,
              const std::optional<Shape>& path) {
  static constexpr const char* kOp = "einsum";
  (void)path;  // a contraction order (opt_einsum's); left to right is what Kiln does
  for (const Tensor& t : tensors) rules::check_defined(kOp, t, "tensors");
  const DType dtype = rules::einsum_dtype(kOp, tensors);
  const rules::EinsumSpec spec = rules::einsum_spec(kOp, equation, tensors);
  Term acc{tensors[0], spec.inputs[0]};
  for (size_t k = 1; k < tensors.size(); ++k) {
    std::vector<int> later = spec.output;
    for (size_t j = k + 1; j < tensors.size(); ++j) {
      later.insert(later.end(), spec.inputs[j].begin(), spec.inputs[j].end());
    }
    Term next{tensors[k], spec.inputs[k]};
    std::vector<int> need_a = later, need_b = later;
    need_a.insert(need_a.end(), next.labels.begin(), next.labels.end());
    need_b.insert(need_b.end(), acc.labels.begin(), acc.labels.end());
    sum_unneeded(acc, need_a, dtype);
    sum_unneeded(next, need_b, dtype);
    acc = contract(acc, next, later, spec.sizes);
  }
  sum_unneeded(acc, spec.output, dtype);
  Shape shape;
  for (int l : spec.output) shape.push_back(spec.sizes[l]);
  Tensor r = arrange(acc, spec.output, spec.sizes, shape);
  // A lone operand permuted (or left as is) is still a new tensor, as PyTorch's einsum gives.
  return r.storage() == tensors[0].storage() ? clone(r) : r;
}

}  // namespace kiln
