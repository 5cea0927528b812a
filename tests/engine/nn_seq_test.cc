// The nn_seq family beyond what the sample sweeps check: attention's dropout (statistics,
// seeding, gradients through the same mask), linear on transposed weights, thread-count
// independence, which gradients are computed, the half types, exact error messages.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "engine/autograd/engine.h"
#include "engine/autograd/functions.h"
#include "engine/autograd/grad_mode.h"
#include "engine/core/generator.h"
#include "engine/core/parallel.h"

namespace kiln {
namespace {

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// Deterministic values in [-scale, scale), no two neighbours alike.
Tensor ramp(IntList shape, DType dtype = DType::kFloat32, double scale = 1.0, int salt = 0) {
  Tensor t = empty_tensor(shape, DType::kFloat64);
  for (int64_t i = 0; i < t.numel(); ++i) {
    t.data_ptr<double>()[i] = scale * (double((i * 37 + salt * 11) % 101) / 50.5 - 1.0);
  }
  return to(t, std::nullopt, dtype);
}

std::vector<double> values(const Tensor& t) {
  const Tensor c = contiguous(to(t, std::nullopt, DType::kFloat64));
  return std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
}

double max_diff(const Tensor& a, const Tensor& b) {
  const auto va = values(a), vb = values(b);
  EXPECT_EQ(va.size(), vb.size());
  double m = 0;
  for (size_t i = 0; i < va.size() && i < vb.size(); ++i) m = std::max(m, std::fabs(va[i] - vb[i]));
  return m;
}

TEST(Attention, DropoutStatistics) {
  // Equal scores: every probability is 1/S, so out = kept / (S (1 - p)) per row, 1 on average.
  const int64_t l = 64, s = 256;
  const double p = 0.3;
  Tensor q = zeros({4, l, 8}), k = zeros({4, s, 8}), v = ones({4, s, 1});
  manual_seed(7);
  auto [out, attn] = _scaled_dot_product_attention(q, k, v, Tensor(), p, false);
  const auto o = values(out), a = values(attn);
  double mean = 0;
  for (double x : o) mean += x;
  mean /= double(o.size());
  EXPECT_NEAR(mean, 1.0, 0.01);
  int64_t dropped = 0;
  for (double x : a) dropped += std::signbit(x) ? 1 : 0;
  EXPECT_NEAR(double(dropped) / double(a.size()), p, 0.01);
  // Same seed, same mask; another seed, another one.
  manual_seed(7);
  EXPECT_EQ(max_diff(scaled_dot_product_attention(q, k, v, Tensor(), p), out), 0.0);
  manual_seed(8);
  EXPECT_GT(max_diff(scaled_dot_product_attention(q, k, v, Tensor(), p), out), 0.0);
  // p = 0 draws nothing: the generator does not move.
  const uint64_t before = default_generator().offset();
  (void)scaled_dot_product_attention(q, k, v);
  EXPECT_EQ(default_generator().offset(), before);
}

TEST(Attention, DropoutGradientsMatchFiniteDifferences) {
  // Reseeding before each forward replays the same mask, so finite differences see the
  // function backward differentiates.
  const double p = 0.4;
  Tensor q = ramp({2, 3, 4}, DType::kFloat64, 1.0, 1).set_requires_grad(true);
  Tensor k = ramp({2, 5, 4}, DType::kFloat64, 1.0, 2).set_requires_grad(true);
  Tensor v = ramp({2, 5, 3}, DType::kFloat64, 1.0, 3).set_requires_grad(true);
  Tensor up = ramp({2, 3, 3}, DType::kFloat64, 1.0, 4);
  auto f = [&] {
    manual_seed(123);
    return scaled_dot_product_attention(q, k, v, Tensor(), p);
  };
  auto g = grad({f()}, {q, k, v}, {up});
  NoGradGuard no_grad;
  for (int which = 0; which < 3; ++which) {
    Tensor x = which == 0 ? q : which == 1 ? k : v;
    double* px = x.data_ptr<double>();
    const auto an = values(g[which]);
    for (int64_t j = 0; j < x.numel(); j += 3) {
      const double orig = px[j], eps = 1e-6;
      px[j] = orig + eps;
      const double hi = values(sum(mul(f(), up))).at(0);
      px[j] = orig - eps;
      const double lo = values(sum(mul(f(), up))).at(0);
      px[j] = orig;
      EXPECT_NEAR((hi - lo) / (2 * eps), an[j], 1e-6) << "input " << which << " element " << j;
    }
  }
}

TEST(Attention, CausalMatchesExplicitMask) {
  Tensor q = ramp({2, 6, 4}, DType::kFloat32, 1.0, 1), k = ramp({2, 6, 4}, DType::kFloat32, 1.0, 2);
  Tensor v = ramp({2, 6, 5}, DType::kFloat32, 1.0, 3);
  Tensor tri = tril(ones({6, 6}, DType::kBool));  // attend j <= i
  EXPECT_LT(max_diff(scaled_dot_product_attention(q, k, v, Tensor(), 0.0, true),
                     scaled_dot_product_attention(q, k, v, tri)),
            1e-6);
}

TEST(Attention, Errors) {
  Tensor q = ramp({2, 3, 4}), k = ramp({2, 5, 4}), v = ramp({2, 5, 4});
  EXPECT_EQ(error_of([&] { scaled_dot_product_attention(q, k, v, ones({3, 5}, DType::kBool), 0.0, true); }),
            "scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True");
  EXPECT_EQ(error_of([&] { scaled_dot_product_attention(q, k, v, ones({3, 5}, DType::kInt64)); }),
            "scaled_dot_product_attention: Expected attn_mask dtype to be bool or to match query "
            "dtype, but got Long");
  EXPECT_EQ(error_of([&] { scaled_dot_product_attention(q, ramp({2, 5, 3}), v); }),
            "scaled_dot_product_attention: query and key must have the same embedding size, got 4 and 3");
}

TEST(Linear, TransposedWeightAndThreads) {
  Tensor x = ramp({37, 19}), w = ramp({23, 19}, DType::kFloat32, 1.0, 5), b = ramp({23});
  Tensor ref = linear(x, w, b);
  // A .t() view of a (19, 23) matrix goes to BLAS as is (column-major).
  Tensor wt = contiguous(t(w));
  EXPECT_LT(max_diff(linear(x, t(wt), b), ref), 1e-6);
  set_num_threads(1);
  Tensor one = linear(x, w, b);
  set_num_threads(2);
  EXPECT_EQ(max_diff(one, ref), 0.0);
}

TEST(Linear, OnlyRequestedGradients) {
  Tensor x = ramp({4, 3});
  Tensor w = ramp({5, 3}).set_requires_grad(true), b = ramp({5}).set_requires_grad(true);
  backward(sum(linear(x, w, b)));
  EXPECT_TRUE(w.grad().defined());
  EXPECT_TRUE(b.grad().defined());
  EXPECT_FALSE(x.grad().defined());
  // d/db sum = number of rows, d/dw = column sums of x.
  for (double g : values(b.grad())) EXPECT_EQ(g, 4.0);
  EXPECT_LT(max_diff(w.grad(), expand(sum(x, Shape{0}, true), {5, 3})), 1e-6);
}

TEST(Linear, Errors) {
  EXPECT_EQ(error_of([&] { linear(ramp({3, 4}), ramp({5, 3})); }),
            "linear: mat1 and mat2 shapes cannot be multiplied (3x4 and 3x5)");
  EXPECT_EQ(error_of([&] { linear(ramp({3, 4}), ramp({5, 4}, DType::kFloat64)); }),
            "linear: expected scalar type Float but found Double");
  EXPECT_EQ(error_of([&] { linear(ramp({3, 4}), ramp({5, 4}), ramp({6})); }),
            "linear: The expanded size of the tensor (5) must match the existing size (6) at "
            "non-singleton dimension 1.  Target sizes: [3, 5].  Tensor sizes: [6]");
}

TEST(Cells, HalfTypesComputeInFloat) {
  Tensor x = ramp({3, 4}), h = ramp({3, 5}, DType::kFloat32, 0.5, 1), c = ramp({3, 5});
  Tensor wi = ramp({20, 4}, DType::kFloat32, 0.5, 2), wh = ramp({20, 5}, DType::kFloat32, 0.5, 3);
  auto [hy, cy] = lstm_cell(x, {h, c}, wi, wh);
  for (DType d : {DType::kFloat16, DType::kBFloat16}) {
    auto f = [&](const Tensor& t) { return to(t, std::nullopt, d); };
    auto [hh, ch] = lstm_cell(f(x), {f(h), f(c)}, f(wi), f(wh));
    EXPECT_EQ(hh.dtype(), d);
    EXPECT_LT(max_diff(hh, hy), d == DType::kFloat16 ? 5e-3 : 5e-2);
    EXPECT_LT(max_diff(ch, cy), d == DType::kFloat16 ? 5e-3 : 5e-2);
  }
}

TEST(Cells, Errors) {
  Tensor x = ramp({3, 4}), h = ramp({3, 5});
  EXPECT_EQ(error_of([&] { lstm_cell(x, {h}, ramp({20, 4}), ramp({20, 5})); }),
            "lstm_cell: lstm_cell expects two hidden states");
  EXPECT_EQ(error_of([&] { gru_cell(x, ramp({2, 5}), ramp({15, 4}), ramp({15, 5})); }),
            "gru_cell: Input batch size 3 doesn't match hidden0 batch size 2");
  EXPECT_EQ(error_of([&] { gru_cell(x, h, ramp({15, 4}), ramp({15, 5}), ramp({14})); }),
            "gru_cell: b_ih must have shape [15], got [14]");
  EXPECT_EQ(error_of([&] { gru_cell(ramp({2, 3, 4}), h, ramp({15, 4}), ramp({15, 5})); }),
            "gru_cell: GRUCell: Expected input to be 1-D or 2-D but received 3-D tensor");
}

}  // namespace
}  // namespace kiln
