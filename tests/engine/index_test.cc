// Indexing ops: what the op sweep cannot express. Out-of-range indices fail with IndexError
// before anything is written; duplicates accumulate (forward with accumulate, and every
// gradient); in-place writes go through views; results do not depend on the thread count.
#include <gtest/gtest.h>

#include <numeric>

#include "engine/autograd/engine.h"
#include "engine/autograd/functions.h"
#include "engine/autograd/operators.h"
#include "engine/core/parallel.h"

namespace kiln {
namespace {

Tensor iota(Shape shape, DType dtype = DType::kFloat32) {
  Tensor t = empty_tensor(shape, DType::kFloat64);
  double* p = t.data_ptr<double>();
  std::iota(p, p + t.numel(), 0.0);
  return to(t, std::nullopt, dtype, false);
}

Tensor longs(std::vector<int64_t> v, std::optional<Shape> shape = std::nullopt) {
  Tensor t = empty_tensor(shape.value_or(Shape{int64_t(v.size())}), DType::kInt64);
  std::copy(v.begin(), v.end(), t.data_ptr<int64_t>());
  return t;
}

Tensor bools(std::vector<int> v, std::optional<Shape> shape = std::nullopt) {
  Tensor t = empty_tensor(shape.value_or(Shape{int64_t(v.size())}), DType::kBool);
  for (size_t i = 0; i < v.size(); ++i) t.data_ptr<bool>()[i] = v[i] != 0;
  return t;
}

std::vector<double> values(const Tensor& t) {
  std::vector<double> v;
  for (int64_t i = 0; i < t.numel(); ++i) v.push_back(cpu_element_as_double(t, i));
  return v;
}

// The error an op raised: its kind and message.
std::pair<ErrorKind, std::string> error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return {e.kind(), e.what()};
  }
  return {ErrorKind::kInternal, "(no error)"};
}

TEST(Index, OutOfRangeIsIndexErrorAndWritesNothing) {
  const Tensor x = iota({3, 4});
  const std::vector<double> before = values(x);
  const uint32_t version = x.version();
  auto e = error_of([&] { index_put_(x, {longs({0, 5})}, scalar_tensor(1.0, DType::kFloat32)); });
  EXPECT_EQ(e.first, ErrorKind::kIndex);
  EXPECT_EQ(e.second, "index_put: index 5 is out of bounds for dimension 0 with size 3");
  e = error_of([&] { scatter_(x, 1, longs({0, 1, 4}, Shape{1, 3}), 9.0); });
  EXPECT_EQ(e.first, ErrorKind::kIndex);
  EXPECT_EQ(e.second, "scatter: index 4 is out of bounds for dimension 1 with size 4");
  e = error_of([&] { index_add_(x, 0, longs({2, 3}), iota({2, 4})); });
  EXPECT_EQ(e.first, ErrorKind::kIndex);
  e = error_of([&] { scatter_add_(x, 0, longs({-1}, Shape{1, 1}), iota({1, 1})); });
  EXPECT_EQ(e.first, ErrorKind::kIndex);
  EXPECT_EQ(values(x), before);
  EXPECT_EQ(x.version(), version);

  e = error_of([&] { index(x, {Tensor(), longs({-5})}); });
  EXPECT_EQ(e.first, ErrorKind::kIndex);
  EXPECT_EQ(e.second, "index: index -5 is out of bounds for dimension 1 with size 4");
  EXPECT_EQ(error_of([&] { index_select(x, 0, longs({3})); }).first, ErrorKind::kIndex);
  EXPECT_EQ(error_of([&] { gather(x, 0, longs({3}, Shape{1, 1})); }).first, ErrorKind::kIndex);
  EXPECT_EQ(error_of([&] {
              index(iota({0, 2}), {longs({0})});
            }).second,
            "index: index is out of bounds for dimension with size 0");
}

TEST(Index, AdvancedIndexingPlacesBroadcastDims) {
  const Tensor x = iota({2, 3, 4, 5});
  const Tensor i = longs({0, 1}), j = longs({2, 0}, Shape{2, 1});
  // Adjacent indexed dims stay in place; separated ones go first (NumPy's rule).
  EXPECT_EQ(index(x, {Tensor(), i, j}).sizes(), (Shape{2, 2, 2, 5}));
  EXPECT_EQ(index(x, {i, Tensor(), j}).sizes(), (Shape{2, 2, 3, 5}));
  EXPECT_EQ(index(x, {Tensor(), i, Tensor(), i}).sizes(), (Shape{2, 2, 4}));
  // x[:, i, :, i][k] is x[:, i[k], :, i[k]].
  const Tensor r = index(x, {Tensor(), i, Tensor(), i});
  EXPECT_EQ(values(select(r, 0, 1)), values(select(select(x, 3, 1), 1, 1)));
  // x[:, i, j][:, b0, b1] is x[:, i[b1], j[b0]].
  const Tensor a = index(x, {Tensor(), i, j});
  EXPECT_EQ(values(select(select(a, 1, 0), 1, 1)), values(select(select(x, 1, 1), 1, 2)));
}

TEST(Index, MasksAndScalarMasks) {
  const Tensor x = iota({3, 4});
  const Tensor m = bools({1, 0, 1});
  EXPECT_EQ(values(index(x, {m})), (std::vector<double>{0, 1, 2, 3, 8, 9, 10, 11}));
  // x[True] adds a dim of 1, x[False] one of 0 (Python's rule for a 0-d mask).
  EXPECT_EQ(index(x, {bools({1}, Shape{})}).sizes(), (Shape{1, 3, 4}));
  EXPECT_EQ(index(x, {bools({0}, Shape{})}).sizes(), (Shape{0, 3, 4}));
  // x[mask] = v and x[mask] += v (duplicates impossible with a mask; broadcasting values).
  Tensor y = clone(x);
  index_put_(y, {m}, scalar_tensor(-1.0, DType::kFloat32));
  EXPECT_EQ(values(select(y, 0, 2)), (std::vector<double>{-1, -1, -1, -1}));
  EXPECT_EQ(values(select(y, 0, 1)), (std::vector<double>{4, 5, 6, 7}));
  EXPECT_EQ(values(masked_select(x, bools({0, 1, 0, 0}))), (std::vector<double>{1, 5, 9}));
  EXPECT_EQ(values(nonzero(bools({0, 1, 1, 0}, Shape{2, 2}))), (std::vector<double>{0, 1, 1, 0}));
  EXPECT_EQ(nonzero(iota({})).sizes(), (Shape{0, 0}));
}

TEST(Index, IndexPutAccumulatesDuplicates) {
  const Tensor x = zeros({3}, DType::kFloat32);
  index_put_(x, {longs({0, 0, 2, 0})}, iota({4}), true);
  EXPECT_EQ(values(x), (std::vector<double>{0 + 1 + 3, 0, 2}));
  const Tensor y = zeros({2, 2}, DType::kInt64);
  index_put_(y, {longs({1, 1}), longs({0, 0})}, longs({5, 6}), true);
  EXPECT_EQ(values(y), (std::vector<double>{0, 0, 11, 0}));
  // Without accumulate the last write wins, deterministically.
  const Tensor z = zeros({2}, DType::kFloat32);
  index_put_(z, {longs({1, 1, 1})}, iota({3}), false);
  EXPECT_EQ(values(z), (std::vector<double>{0, 2}));
}

TEST(Index, GradientsAccumulateDuplicates) {
  const Tensor x = iota({3, 2}, DType::kFloat64);
  x.set_requires_grad(true);
  const Tensor i = longs({0, 0, 2, 0});
  const Tensor y = sum(index(x, {i})) + sum(index_select(x, 0, i)) +
                   sum(gather(x, 1, longs({1, 1, 1}, Shape{1, 3})));
  backward(y);
  // Row 0 is picked 3 times by each of index and index_select; gather takes x[0][1] 3 times.
  EXPECT_EQ(values(x.grad()), (std::vector<double>{6, 9, 0, 0, 2, 2}));

  const Tensor v = iota({2}, DType::kFloat64);
  v.set_requires_grad(true);
  const Tensor base = zeros({3}, DType::kFloat64);
  backward(sum(index_put(base, {longs({1, 1})}, v, true) * 3.0));
  EXPECT_EQ(values(v.grad()), (std::vector<double>{3, 3}));
}

TEST(Index, InPlaceWritesThroughViews) {
  const Tensor x = iota({3, 4});
  const Tensor col = select(x, 1, 2);  // strided view
  index_put_(col, {longs({0, 2})}, scalar_tensor(-1.0, DType::kFloat32));
  EXPECT_EQ(values(select(x, 1, 2)), (std::vector<double>{-1, 6, -1}));
  masked_fill_(transpose(x, 0, 1), bools({1, 0, 0}), 9.0);  // column 0 of x^T is row 0 of x
  EXPECT_EQ(values(select(x, 0, 0)), (std::vector<double>{9, 9, 9, 9}));
  index_add_(narrow(x, 1, 0, 2), 1, longs({1}), ones({3, 1}));
  EXPECT_EQ(values(select(x, 1, 1)), (std::vector<double>{10, 6, 10}));
  tril_(narrow(x, 1, 2, 2));  // x[0][3] is above the diagonal of x[:, 2:]
  EXPECT_EQ(values(narrow(x, 1, 2, 2)), (std::vector<double>{9, 0, 6, 7, -1, 11}));
}

TEST(Index, ResultsDoNotDependOnThreads) {
  const int saved = num_threads();
  const Tensor src = iota({257, 300});
  std::vector<int> every_third(257 * 300);
  for (size_t k = 0; k < every_third.size(); ++k) every_third[k] = k % 3 == 0;
  const Tensor mask = bools(every_third, Shape{257, 300});
  auto run = [&] {
    std::vector<std::vector<double>> r;
    const Tensor i = longs(std::vector<int64_t>(1000, 3));
    r.push_back(values(index_put(zeros({257, 300}), {i}, ones({1000, 300}), true)));
    r.push_back(values(index_add(zeros({257, 300}), 0, i, ones({1000, 300}))));
    r.push_back(values(cat({src, src, narrow(src, 1, 0, 7)}, 1)));
    r.push_back(values(masked_select(src, mask)));
    r.push_back(values(nonzero(mask)));
    return r;
  };
  set_num_threads(1);
  const auto one = run();
  set_num_threads(2);
  const auto two = run();
  set_num_threads(saved);
  EXPECT_EQ(one, two);
}

TEST(Index, ShapeOpsAllocateFreshStorage) {
  const Tensor x = iota({3, 4});
  for (const Tensor& r : {roll(x, {0}, {0}), index(x, {}), flip(x, {}), repeat(x, {1, 1}),
                          tile(x, {1}), constant_pad_nd(x, {0, 0}, 0)}) {
    EXPECT_NE(r.storage(), x.storage());
    EXPECT_EQ(values(r), values(x));
  }
  EXPECT_EQ(values(pad(iota({1, 1, 3}), {2, 1}, "reflect")),
            (std::vector<double>{2, 1, 0, 1, 2, 1}));
  EXPECT_EQ(values(pad(iota({1, 1, 3}), {-1, 2}, "circular")), (std::vector<double>{1, 2, 1, 2}));
}

TEST(Index, PadGradientsAccumulate) {
  const Tensor x = iota({1, 1, 3}, DType::kFloat64);
  x.set_requires_grad(true);
  backward(sum(pad(x, {2, 2}, "replicate")) + sum(pad(x, {2, 0}, "reflect")));
  // replicate: ends used 3 times; reflect (2, 0): 0 1 2 seen as [2 1 0 1 2].
  EXPECT_EQ(values(x.grad()), (std::vector<double>{3 + 1, 1 + 2, 3 + 2}));
}

TEST(Index, DoubleBackward) {
  // d/dx of sum(x[i] * x[i]) is 2 x counted per use; its sum's gradient is 2 per use again.
  const Tensor x = iota({4}, DType::kFloat64);
  x.set_requires_grad(true);
  const Tensor i = longs({1, 1, 3});
  const Tensor picked = index(x, {i});
  const Tensor g = grad({sum(picked * picked)}, {x}, {}, std::nullopt, true)[0];
  EXPECT_EQ(values(g), (std::vector<double>{0, 4, 0, 6}));
  const Tensor gg = grad({sum(g)}, {x})[0];
  EXPECT_EQ(values(gg), (std::vector<double>{0, 4, 0, 2}));
  // The same through gather / scatter_add and a view's backward op.
  const Tensor y = iota({2, 3}, DType::kFloat64);
  y.set_requires_grad(true);
  const Tensor s = narrow(gather(y, 1, longs({2, 2, 0, 1}, Shape{2, 2})), 1, 0, 1);
  const Tensor gy = grad({sum(s * s)}, {y}, {}, std::nullopt, true)[0];
  EXPECT_EQ(values(gy), (std::vector<double>{0, 0, 4, 6, 0, 0}));
  EXPECT_EQ(values(grad({sum(gy)}, {y})[0]), (std::vector<double>{0, 0, 2, 2, 0, 0}));
}

}  // namespace
}  // namespace kiln
