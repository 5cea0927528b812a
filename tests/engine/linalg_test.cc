// Linear algebra: PyTorch's error messages, operands BLAS must read through strides
// (transposed, sliced, broadcast views, as backward passes produce), empty inner dims, results
// that do not depend on the thread count, and the einsum cases samples cannot express.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/autograd/engine.h"
#include "engine/autograd/functions.h"
#include "engine/core/parallel.h"
#include "tests/engine/test_util.h"

namespace kiln {
namespace {

// Deterministic values in [-1, 1) (a small LCG), so every run sees the same operands.
Tensor filled(IntList sizes, DType dtype = DType::kFloat64, uint64_t seed = 1) {
  Tensor t = empty_tensor(sizes, DType::kFloat64);
  uint64_t s = seed * 0x9E3779B97F4A7C15ull + 7;
  for (int64_t i = 0; i < t.numel(); ++i) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    t.data_ptr<double>()[i] = double(s >> 11) / double(1ull << 53) * 2 - 1;
  }
  return dtype == DType::kFloat64 ? t : to(t, std::nullopt, dtype);
}

// a (n, m) @ b (m, p) in double, read element by element (any strides).
std::vector<double> naive_mm(const Tensor& a, const Tensor& b) {
  const std::vector<double> va = values(a), vb = values(b);
  const int64_t n = a.size(0), m = a.size(1), p = b.size(1);
  std::vector<double> c(n * p, 0.0);
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < p; ++j) {
      for (int64_t k = 0; k < m; ++k) c[i * p + j] += va[i * m + k] * vb[k * p + j];
    }
  }
  return c;
}

void expect_near(const std::vector<double>& got, const std::vector<double>& want, double tol) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], tol) << "at " << i;
}

#define EXPECT_ERROR(expr, text) EXPECT_NE(error_of([&] { (void)(expr); }).find(text), std::string::npos) \
    << error_of([&] { (void)(expr); })

TEST(Linalg, ShapeErrorsUsePyTorchMessages) {
  EXPECT_ERROR(mm(filled({2, 3}), filled({4, 5})),
               "mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)");
  EXPECT_ERROR(matmul(filled({2, 3}), filled({4, 5})),
               "mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)");
  EXPECT_ERROR(matmul(filled({2, 2, 3}), filled({4, 5})),
               "mat1 and mat2 shapes cannot be multiplied (4x3 and 4x5)");
  EXPECT_ERROR(addmm(filled({2, 5}), filled({2, 3}), filled({4, 5})),
               "mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)");
  EXPECT_ERROR(mm(filled({3}), filled({3, 4})), "self must be a matrix");
  EXPECT_ERROR(bmm(filled({2, 2, 3}), filled({2, 4, 5})),
               "Expected size for first two dimensions of batch2 tensor to be: [2, 3] but got: [2, 4].");
  EXPECT_ERROR(bmm(filled({2, 3}), filled({3, 5})), "batch1 must be a 3D tensor");
  EXPECT_ERROR(mv(filled({2, 3}), filled({4})), "size mismatch, got 2, 2x3,4");
  EXPECT_ERROR(dot(filled({3}), filled({4})),
               "inconsistent tensor size, expected tensor [3] and src [4] to have the same number "
               "of elements, but got 3 and 4 elements respectively");
  EXPECT_ERROR(matmul(filled({}), filled({3})),
               "both arguments to matmul need to be at least 1D, but they are 0D and 1D");
  EXPECT_ERROR(addmm(filled({3, 5}), filled({2, 3}), filled({3, 5})),
               "expanded size of the tensor (2) must match the existing size (3)");
  // Checked before anything is allocated: a huge mismatched product fails at once.
  EXPECT_ERROR(mm(expand(filled({1, 1}), {1 << 20, 1 << 20}), filled({3, 4})),
               "shapes cannot be multiplied");
}

TEST(Linalg, DtypeErrors) {
  const Tensor f = filled({2, 3}, DType::kFloat32), d = filled({3, 4});
  EXPECT_ERROR(mm(f, d), "expected scalar type Float but found Double");
  EXPECT_ERROR(matmul(f, d), "expected scalar type Float but found Double");
  EXPECT_ERROR(bmm(unsqueeze(d, 0), unsqueeze(filled({4, 2}, DType::kFloat32), 0)),
               "expected scalar type Double but found Float");
  EXPECT_ERROR(addmm(filled({4}), f, filled({3, 4}, DType::kFloat32)),
               "self and mat2 must have the same dtype");
  EXPECT_ERROR(dot(filled({3}, DType::kFloat32), filled({3})),
               "expected both vectors to have same dtype, but found Float and Double");
  EXPECT_ERROR(einsum("ij,jk->ik", {f, d}), "expected scalar type Float but found Double");
  EXPECT_ERROR(mm(to(f, std::nullopt, DType::kBool), to(d, std::nullopt, DType::kBool)),
               "not implemented");
}

// Transposed views go to BLAS through its trans flags; other strides (every other column,
// a broadcast row) are copied first. Sizes are past the small-matrix loop.
TEST(Linalg, StridedOperands) {
  for (DType dt : {DType::kFloat32, DType::kFloat64}) {
    const double tol = dt == DType::kFloat32 ? 1e-4 : 1e-12;
    const Tensor a = filled({29, 33}, dt, 1), b = filled({29, 17}, dt, 2);
    const Tensor at = t(a);  // (33, 29), column-major
    expect_near(values(mm(at, b)), naive_mm(at, b), tol);
    const Tensor bt = t(filled({17, 29}, dt, 3));
    expect_near(values(mm(at, bt)), naive_mm(at, bt), tol);
    const Tensor sliced = slice(filled({29, 66}, dt, 4), 1, 0, std::nullopt, 2);  // stride 2
    expect_near(values(mm(t(sliced), b)), naive_mm(t(sliced), b), tol);
    const Tensor row = expand(filled({1, 17}, dt, 5), {29, 17});  // stride 0
    expect_near(values(mm(at, row)), naive_mm(at, row), tol);
    // A transposed batch, as bmm's backward hands over.
    const Tensor x = filled({4, 20, 30}, dt, 6), y = filled({4, 20, 10}, dt, 7);
    const Tensor r = bmm(transpose(x, 1, 2), y);
    for (int64_t i = 0; i < 4; ++i) {
      expect_near(values(select(r, 0, i)), naive_mm(t(select(x, 0, i)), select(y, 0, i)), tol);
    }
  }
  // Small matrices and integers (the direct loop) read strides too.
  const Tensor ia = to(filled({3, 4}), std::nullopt, DType::kFloat64);
  expect_near(values(mm(t(ia), ia)), naive_mm(t(ia), ia), 1e-12);
}

TEST(Linalg, NonContiguousOutAndInplace) {
  const Tensor a = filled({20, 30}), b = filled({30, 25});
  const Tensor out = t(empty_tensor({25, 20}, DType::kFloat64));
  mm_out(out, a, b);
  expect_near(values(out), naive_mm(a, b), 1e-12);
  // addmm_ reads self while writing it.
  const Tensor self = filled({20, 25}, DType::kFloat64, 9);
  std::vector<double> want = naive_mm(a, b);
  const std::vector<double> s = values(self);
  for (size_t i = 0; i < want.size(); ++i) want[i] = 0.5 * s[i] + 2 * want[i];
  addmm_(self, a, b, 0.5, 2);
  expect_near(values(self), want, 1e-12);
}

TEST(Linalg, EmptyInnerDimGivesZeros) {
  for (DType dt : {DType::kFloat32, DType::kFloat64, DType::kInt64, DType::kBFloat16}) {
    const Tensor r = mm(empty_tensor({3, 0}, dt), empty_tensor({0, 4}, dt));
    EXPECT_EQ(r.sizes(), (Shape{3, 4}));
    for (double v : values(r)) EXPECT_EQ(v, 0.0);
  }
  const Tensor r = matmul(empty_tensor({2, 5, 0}, DType::kFloat64), empty_tensor({0, 6}, DType::kFloat64));
  EXPECT_EQ(r.sizes(), (Shape{2, 5, 6}));
  for (double v : values(r)) EXPECT_EQ(v, 0.0);
  const Tensor self = filled({3, 4});
  const std::vector<double> s = values(self);
  const std::vector<double> got =
      values(addmm(self, empty_tensor({3, 0}, DType::kFloat64), empty_tensor({0, 4}, DType::kFloat64), 2));
  for (size_t i = 0; i < s.size(); ++i) EXPECT_EQ(got[i], 2 * s[i]);
  EXPECT_EQ(values(dot(empty_tensor({0}, DType::kFloat64), empty_tensor({0}, DType::kFloat64))), std::vector<double>{0.0});
}

// Every output element is computed the same way on 1 thread or 2: BLAS splits rows and
// columns, never the inner dim; batches split whole matrices.
TEST(Linalg, ThreadCountIndependence) {
  const int saved = num_threads();
  const Tensor a = filled({300, 200}, DType::kFloat32, 1), b = filled({200, 250}, DType::kFloat32, 2);
  const Tensor x = filled({64, 20, 20}, DType::kFloat32, 3), y = filled({64, 20, 20}, DType::kFloat32, 4);
  const Tensor s = filled({2048, 4, 4}, DType::kFloat32, 5);
  set_num_threads(1);
  const std::vector<double> r1 = values(mm(a, b)), q1 = values(bmm(x, y)), s1 = values(bmm(s, s));
  set_num_threads(2);
  EXPECT_EQ(values(mm(a, b)), r1);
  EXPECT_EQ(values(bmm(x, y)), q1);
  EXPECT_EQ(values(bmm(s, s)), s1);
  set_num_threads(saved);
}

TEST(Linalg, HalfTypesComputeInFloat) {
  const Tensor a = filled({20, 40}), b = filled({40, 30});
  const std::vector<double> want = naive_mm(a, b);
  expect_near(values(mm(to(a, std::nullopt, DType::kFloat16), to(b, std::nullopt, DType::kFloat16))),
              want, 0.05);
  expect_near(values(mm(to(a, std::nullopt, DType::kBFloat16), to(b, std::nullopt, DType::kBFloat16))),
              want, 0.2);
}

TEST(Linalg, MatmulGradientsThroughBroadcastBatch) {
  const Tensor a = filled({2, 1, 3, 4}), b = filled({5, 4, 2});
  a.set_requires_grad(true);
  b.set_requires_grad(true);
  const Tensor r = matmul(a, b);
  EXPECT_EQ(r.sizes(), (Shape{2, 5, 3, 2}));
  backward(sum(r));
  EXPECT_EQ(a.grad().sizes(), a.sizes());
  EXPECT_EQ(b.grad().sizes(), b.sizes());
  // d sum(a @ b) / d a[i, 0, r, k] = sum over the 5 batches and columns of b[., k, .].
  const std::vector<double> vb = values(b), ga = values(a.grad());
  for (int64_t k = 0; k < 4; ++k) {
    double want = 0;
    for (int64_t q = 0; q < 5; ++q) want += vb[q * 8 + k * 2] + vb[q * 8 + k * 2 + 1];
    EXPECT_NEAR(ga[k], want, 1e-12);
  }
}

TEST(Linalg, EinsumErrors) {
  const Tensor a = filled({3, 3});
  EXPECT_ERROR(einsum("ii->i", {a}), "subscript i is repeated for operand 0");
  EXPECT_ERROR(einsum("ij,jk->ik", {a}), "fewer operands were provided than specified");
  EXPECT_ERROR(einsum("ij->ik", {a}), "output subscript k does not appear");
  EXPECT_ERROR(einsum("i.j->ij", {a}), "that is not part of any ellipsis");
  EXPECT_ERROR(einsum("ij", {}), "must provide at least one operand");
}

}  // namespace
}  // namespace kiln
