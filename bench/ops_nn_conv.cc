// nn_conv rows of the op benchmark: ResNet-block convolutions, forward + backward (the
// gradients of input and weight from a given output gradient), and the stem's max pool.
#include "bench/bench.h"
#include "engine/autograd/engine.h"

namespace kiln::bench {
namespace {

// conv2d forward + backward for x (n, c, hw, hw) and weight (co, c / groups, k, k).
Body conv_fb(int64_t n, int64_t c, int64_t hw, int64_t co, int64_t k, int64_t stride,
             int64_t groups) {
  const Tensor x = data({n, c, hw, hw});
  const Tensor w = data({co, c / groups, k, k});
  x.set_requires_grad(true);
  w.set_requires_grad(true);
  const int64_t pad = k / 2, out = (hw + 2 * pad - k) / stride + 1;
  const Tensor gy = data({n, co, out, out});
  return [=] {
    const Tensor y = conv2d(x, w, Tensor(), {stride, stride}, Shape{pad, pad}, {1, 1}, groups);
    (void)grad({y}, {x, w}, {gy});
  };
}

}  // namespace

KILN_BENCH(conv2d_fwd_8x64x56x56_k3_f32) {
  const Tensor x = data({8, 64, 56, 56}), w = data({64, 64, 3, 3});
  return [=] { (void)conv2d(x, w, Tensor(), {1, 1}, Shape{1, 1}); };
}
KILN_BENCH(conv2d_fb_8x64x56x56_k3_f32) { return conv_fb(8, 64, 56, 64, 3, 1, 1); }
KILN_BENCH(conv2d_fb_8x128x28x28_k3_f32) { return conv_fb(8, 128, 28, 128, 3, 1, 1); }
KILN_BENCH(conv2d_fb_8x256x14x14_k3_f32) { return conv_fb(8, 256, 14, 256, 3, 1, 1); }
KILN_BENCH(conv2d_fb_8x64x56x56_1x1to256_f32) { return conv_fb(8, 64, 56, 256, 1, 1, 1); }
KILN_BENCH(conv2d_fb_2x3x224x224_k7s2_f32) { return conv_fb(2, 3, 224, 64, 7, 2, 1); }
KILN_BENCH(conv2d_fb_8x64x56x56_dw3_f32) { return conv_fb(8, 64, 56, 64, 3, 1, 64); }

KILN_BENCH(max_pool2d_fb_8x64x112x112_k3s2_f32) {
  const Tensor x = data({8, 64, 112, 112});
  x.set_requires_grad(true);
  const Tensor gy = data({8, 64, 56, 56});
  return [=] {
    const Tensor y = max_pool2d(x, {3, 3}, {2, 2}, {1, 1});
    (void)grad({y}, {x}, {gy});
  };
}

}  // namespace kiln::bench
