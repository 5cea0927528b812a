// nn_norm / nn_loss rows of the op benchmark: forward + backward of the fused ops, as a
// training step runs them (the gradient of a scalar-free upstream, no graph retained).
#include "bench/bench.h"
#include "engine/autograd/engine.h"

namespace kiln::bench {

namespace {

Tensor leaf(IntList shape) {
  Tensor t = data(shape);
  t.set_requires_grad(true);
  return t;
}

}  // namespace

KILN_BENCH(layer_norm_fwd_bwd_8192x1024_f32) {
  Tensor x = leaf({8192, 1024}), w = leaf({1024}), b = leaf({1024});
  Tensor up = data({8192, 1024});
  return [=] {
    Tensor y = layer_norm(x, Shape{1024}, w, b, 1e-5);
    (void)grad({y}, {x, w, b}, {up}, std::nullopt, false, false);
  };
}

KILN_BENCH(softmax_fwd_bwd_8192x1024_f32) {
  Tensor x = leaf({8192, 1024});
  Tensor up = data({8192, 1024});
  return [=] {
    Tensor y = softmax(x, -1, std::nullopt);
    (void)grad({y}, {x}, {up}, std::nullopt, false, false);
  };
}

KILN_BENCH(cross_entropy_fwd_bwd_8192x1000_f32) {
  Tensor x = leaf({8192, 1000});
  Tensor t = empty_tensor({8192}, DType::kInt64);
  for (int64_t i = 0; i < 8192; ++i) t.data_ptr<int64_t>()[i] = (i * 7919) % 1000;
  return [=] {
    Tensor loss = cross_entropy(x, t, Tensor(), -100, "mean", 0.0);
    (void)grad({loss}, {x}, {ones_like(loss)}, std::nullopt, false, false);
  };
}

KILN_BENCH(batch_norm_train_fwd_bwd_32x64x56x56_f32) {
  Tensor x = leaf({32, 64, 56, 56}), w = leaf({64}), b = leaf({64});
  Tensor rm = zeros({64}, DType::kFloat32), rv = ones({64}, DType::kFloat32);
  Tensor up = data({32, 64, 56, 56});
  return [=] {
    Tensor y = batch_norm(x, rm, rv, w, b, true, 0.1, 1e-5);
    (void)grad({y}, {x, w, b}, {up}, std::nullopt, false, false);
  };
}

}  // namespace kiln::bench
