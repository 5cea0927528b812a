// Views: results alias their input (storage, offset, strides, version counter), writes go
// through, gradients come back in the input's shape, and bad arguments fail with PyTorch's
// errors. Values against PyTorch are the op sweep's job (tests/ops/samples/view.py).
#include <gtest/gtest.h>

#include <numeric>

#include "engine/autograd/engine.h"
#include "engine/autograd/functions.h"
#include "engine/autograd/operators.h"

namespace kiln {
namespace {

// 0, 1, 2, ... in `shape`.
Tensor iota(Shape shape, DType dtype = DType::kFloat32) {
  Tensor t = empty_tensor(shape, DType::kFloat64);
  double* p = t.data_ptr<double>();
  std::iota(p, p + t.numel(), 0.0);
  return to(t, std::nullopt, dtype, false);
}

std::vector<double> values(const Tensor& t) {
  std::vector<double> v;
  for (int64_t i = 0; i < t.numel(); ++i) v.push_back(cpu_element_as_double(t, i));
  return v;
}

bool aliases(const Tensor& view, const Tensor& base) { return view.storage() == base.storage(); }

ErrorKind kind_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.kind();
  }
  ADD_FAILURE() << "no error";
  return ErrorKind::kInternal;
}

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(Views, ShareStorageAndVersion) {
  const Tensor x = iota({2, 3, 4});
  const std::vector<Tensor> views = {
      narrow(x, 1, 1, 2),
      select(x, 0, 1),
      slice(x, 2, 1, 4, 2),
      squeeze(unsqueeze(x, 0)),
      squeeze(x, 0),
      squeeze(x, Shape{0, 1}),
      unsqueeze(x, -1),
      flatten(x, 1),
      unflatten(x, 2, {2, 2}),
      t(select(x, 0, 0)),
      broadcast_to(x, {5, 2, 3, 4}),
      movedim(x, {0}, {2}),
      view_as(x, iota({4, 6})),
      expand_as(select(x, 0, 0), x),
      reshape_as(x, iota({24})),
  };
  for (const Tensor& v : views) {
    EXPECT_TRUE(aliases(v, x)) << shape_str(v.sizes());
  }
  for (const auto& list : {unbind(x, 1), split(x, 2, 2), split_with_sizes(x, {1, 3}, 2),
                           chunk(x, 2, 1), split(x, Shape{1, 1}, 0)}) {
    for (const Tensor& v : list) EXPECT_TRUE(aliases(v, x));
  }
  // The version counter lives on the storage: a write through any view bumps it for all.
  const Tensor v = narrow(x, 2, 0, 1);
  const uint32_t before = x.version();
  fill_(v, 7.0);
  EXPECT_EQ(x.version(), before + 1);
  EXPECT_EQ(views[0].version(), x.version());
}

TEST(Views, GeometryAndWritesGoThrough) {
  const Tensor x = iota({4, 5});
  const Tensor n = narrow(x, 1, -3, 2);  // columns 2, 3
  EXPECT_EQ(n.storage_offset(), 2);
  EXPECT_EQ(values(n), (std::vector<double>{2, 3, 7, 8, 12, 13, 17, 18}));
  const Tensor s = slice(x, 0, 1, std::nullopt, 2);  // rows 1, 3
  EXPECT_EQ(s.strides(), (Shape{10, 1}));
  EXPECT_EQ(values(select(s, 0, -1)), (std::vector<double>{15, 16, 17, 18, 19}));
  EXPECT_EQ(slice(x, 0, -100, 100, 1).sizes(), (Shape{4, 5}));  // clamped like Python
  EXPECT_EQ(slice(x, 1, 4, 2, 1).sizes(), (Shape{4, 0}));
  fill_(select(x, 1, 0), -1.0);
  EXPECT_EQ(values(select(x, 1, 0)), (std::vector<double>{-1, -1, -1, -1}));
  const std::vector<Tensor> parts = chunk(x, 3, 1);  // 2, 2, 1 columns
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[2].sizes(), (Shape{4, 1}));
  EXPECT_EQ(parts[2].storage_offset(), 4);
}

TEST(Views, FlattenCopiesOnlyWhenItMust) {
  const Tensor x = iota({2, 3, 4});
  EXPECT_TRUE(aliases(flatten(x), x));
  const Tensor tr = transpose(x, 0, 2);  // not viewable as one dim
  const Tensor f = flatten(tr);
  EXPECT_FALSE(aliases(f, x));
  EXPECT_EQ(values(f), values(contiguous(tr)));
  EXPECT_EQ(flatten(iota({})).sizes(), (Shape{1}));
}

TEST(Views, GradientsLandInTheInputShape) {
  const Tensor x = iota({3, 4}, DType::kFloat64);
  x.set_requires_grad(true);
  const Tensor y = sum(narrow(x, 1, 1, 2)) + sum(select(x, 0, -1)) +
                   sum(slice(x, 1, std::nullopt, std::nullopt, 3));
  backward(y);
  EXPECT_EQ(values(x.grad()), (std::vector<double>{1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2}));
}

TEST(Views, UnusedOutputsOfMultiOutputViewsGetZeros) {
  const Tensor x = iota({3, 2}, DType::kFloat64);
  x.set_requires_grad(true);
  const std::vector<Tensor> rows = unbind(x, 0);
  const std::vector<Tensor> cols = split(x, 1, 1);
  backward(sum(rows[1]) + sum(cols[0]) * 2.0);
  EXPECT_EQ(values(x.grad()), (std::vector<double>{2, 0, 3, 1, 2, 0}));
}

TEST(Views, Errors) {
  const Tensor x = iota({3, 4});
  EXPECT_EQ(kind_of([&] { select(x, 0, 3); }), ErrorKind::kIndex);
  EXPECT_EQ(message_of([&] { select(x, 1, -5); }),
            "select(): index -5 out of range for tensor of size [3, 4] at dimension 1");
  EXPECT_EQ(kind_of([&] { select(iota({}), 0, 0); }), ErrorKind::kIndex);
  EXPECT_EQ(kind_of([&] { slice(x, 0, 0, 2, 0); }), ErrorKind::kValue);
  EXPECT_EQ(message_of([&] { narrow(x, 0, 2, 2); }),
            "narrow: start (2) + length (2) exceeds dimension size (3).");
  EXPECT_EQ(kind_of([&] { narrow(x, 0, 4, 0); }), ErrorKind::kIndex);
  EXPECT_EQ(message_of([&] {
              t(iota({2, 2, 2}));
            }),
            "t() expects a tensor with <= 2 dimensions, but self is 3D");
  EXPECT_EQ(message_of([&] {
              unflatten(x, 1, {3, 2});
            }),
            "unflatten: Provided sizes [3, 2] don't multiply up to the size of dim 1 (4) in the "
            "input tensor");
  EXPECT_EQ(message_of([&] {
              split_with_sizes(x, {1, 1}, 0);
            }),
            "split_with_sizes expects split_sizes to sum exactly to 3 (input "
            "tensor's size at dimension 0), but got split_sizes=[1, 1]");
  EXPECT_EQ(message_of([&] {
              movedim(x, {0, 0}, {0, 1});
            }),
            "movedim: repeated dim in `source` ([0, 0])");
  EXPECT_EQ(kind_of([&] { unsqueeze(x, 3); }), ErrorKind::kIndex);
  EXPECT_EQ(kind_of([&] { squeeze(x, Shape{0, 0}); }), ErrorKind::kRuntime);
}

TEST(Views, SliceAndSelectBackwardOps) {
  const Tensor g = iota({2, 4}, DType::kFloat64);
  const Tensor s = slice_backward(g, {5, 4}, 0, 1, 5, 2);  // rows 1 and 3
  EXPECT_EQ(values(select(s, 0, 3)), (std::vector<double>{4, 5, 6, 7}));
  EXPECT_EQ(values(select(s, 0, 0)), (std::vector<double>{0, 0, 0, 0}));
  EXPECT_THROW(slice_backward(g, {5, 4}, 0, 0, 5, 1), Error);  // grad is not the slice's shape
  const Tensor b = select_backward(select(g, 0, 0), {3, 4}, 0, -1);
  EXPECT_EQ(values(select(b, 0, 2)), (std::vector<double>{0, 1, 2, 3}));
}

}  // namespace
}  // namespace kiln
