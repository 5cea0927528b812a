// nn_seq rows of the op benchmark: forward + backward of attention, linear and lstm_cell, the
// gradients taken with grad() (nothing accumulates into .grad), as bench/cases/nn_seq.py does.
#include "bench/bench.h"
#include "engine/autograd/engine.h"

namespace kiln::bench {

// B=8, T=256, C=256 as 4 heads of 64.
KILN_BENCH(attention_fwd_bwd_b8_t256_c256_h4) {
  Tensor q = data({8, 4, 256, 64}), k = data({8, 4, 256, 64}), v = data({8, 4, 256, 64});
  for (const Tensor& t : {q, k, v}) t.set_requires_grad(true);
  Tensor g = data({8, 4, 256, 64});
  return [=] { (void)grad({scaled_dot_product_attention(q, k, v)}, {q, k, v}, {g}); };
}

KILN_BENCH(linear_fwd_bwd_4096x1024x1024) {
  Tensor x = data({4096, 1024}), w = data({1024, 1024}), b = data({1024});
  for (const Tensor& t : {x, w, b}) t.set_requires_grad(true);
  Tensor g = data({4096, 1024});
  return [=] { (void)grad({linear(x, w, b)}, {x, w, b}, {g}); };
}

KILN_BENCH(lstm_cell_fwd_bwd_b64_h512) {
  Tensor x = data({64, 512}), h = data({64, 512}), c = data({64, 512});
  Tensor wi = data({2048, 512}), wh = data({2048, 512}), bi = data({2048}), bh = data({2048});
  for (const Tensor& t : {x, h, c, wi, wh, bi, bh}) t.set_requires_grad(true);
  Tensor gh = data({64, 512}), gc = data({64, 512});
  return [=] {
    auto [hy, cy] = lstm_cell(x, {h, c}, wi, wh, bi, bh);
    (void)grad({hy, cy}, {x, h, c, wi, wh, bi, bh}, {gh, gc});
  };
}

}  // namespace kiln::bench
