// Adaptive average pooling over the last two dims, forward and backward. Output cell i of n
// over a size-S dim averages [floor(i*S/n), ceil((i+1)*S/n)), PyTorch's windows (they may
// overlap by one when n does not divide S).
#include <algorithm>
#include <vector>

#include "engine/core/half.h"
#include "engine/core/parallel.h"
#include "kernels/cpu/copy.h"
#include "kernels/cpu/nn_conv.h"

namespace kiln::cpu {
namespace {

int64_t start_of(int64_t i, int64_t out, int64_t in) { return i * in / out; }
int64_t end_of(int64_t i, int64_t out, int64_t in) { return ((i + 1) * in + out - 1) / out; }

Tensor contiguous(const Tensor& t) {
  if (t.is_contiguous()) return t;
  Tensor c = empty_tensor(t.sizes(), t.dtype());
  copy(c, t, false);
  return c;
}

}  // namespace

void adaptive_avg_pool2d(const Tensor& out, const Tensor& self, IntList output_size) {
  (void)output_size;  // out's shape
  if (out.numel() == 0) return;
  const Tensor in = contiguous(self);
  const int64_t n = in.dim(), H = in.sizes()[n - 2], W = in.sizes()[n - 1];
  const int64_t OH = out.sizes()[n - 2], OW = out.sizes()[n - 1];
  const int64_t planes = in.numel() / (H * W);
  KILN_DISPATCH_FLOATING(in.dtype(), "adaptive_avg_pool2d", [&]<typename scalar_t>() {
    using acc_t = opmath_t<scalar_t>;
    const scalar_t* x = in.data_ptr<scalar_t>();
    scalar_t* y = out.data_ptr<scalar_t>();
    parallel_for(0, planes, std::max<int64_t>(1, 16384 / (H * W)), [&](int64_t lo, int64_t hi) {
      for (int64_t p = lo; p < hi; ++p) {
        const scalar_t* xp = x + p * H * W;
        for (int64_t oy = 0; oy < OH; ++oy) {
          const int64_t h0 = start_of(oy, OH, H), h1 = end_of(oy, OH, H);
          for (int64_t ox = 0; ox < OW; ++ox) {
            const int64_t w0 = start_of(ox, OW, W), w1 = end_of(ox, OW, W);
            acc_t s = 0;
            for (int64_t iy = h0; iy < h1; ++iy) {
              for (int64_t ix = w0; ix < w1; ++ix) s += acc_t(xp[iy * W + ix]);
            }
            y[(p * OH + oy) * OW + ox] = scalar_t(s / acc_t((h1 - h0) * (w1 - w0)));
          }
        }
      }
    });
  });
}

void adaptive_avg_pool2d_backward(const Tensor& out, const Tensor& grad_output,
                                  const Tensor& self) {
  (void)self;
  if (out.numel() == 0) return;
  const Tensor g = contiguous(grad_output);
  const int64_t n = out.dim(), H = out.sizes()[n - 2], W = out.sizes()[n - 1];
  const int64_t OH = g.sizes()[n - 2], OW = g.sizes()[n - 1];
  const int64_t planes = out.numel() / (H * W);
  KILN_DISPATCH_FLOATING(out.dtype(), "adaptive_avg_pool2d_backward", [&]<typename scalar_t>() {
    using acc_t = opmath_t<scalar_t>;
    const scalar_t* gy = g.data_ptr<scalar_t>();
    scalar_t* gx = out.data_ptr<scalar_t>();
    parallel_for(0, planes, std::max<int64_t>(1, 16384 / (H * W)), [&](int64_t lo, int64_t hi) {
      std::vector<acc_t> acc(H * W);
      for (int64_t p = lo; p < hi; ++p) {
        std::fill(acc.begin(), acc.end(), acc_t(0));
        for (int64_t oy = 0; oy < OH; ++oy) {
          const int64_t h0 = start_of(oy, OH, H), h1 = end_of(oy, OH, H);
          for (int64_t ox = 0; ox < OW; ++ox) {
            const int64_t w0 = start_of(ox, OW, W), w1 = end_of(ox, OW, W);
            const acc_t v = acc_t(gy[(p * OH + oy) * OW + ox]) / acc_t((h1 - h0) * (w1 - w0));
            for (int64_t iy = h0; iy < h1; ++iy) {
              for (int64_t ix = w0; ix < w1; ++ix) acc[iy * W + ix] += v;
            }
          }
        }
        for (int64_t i = 0; i < H * W; ++i) gx[p * H * W + i] = scalar_t(acc[i]);
      }
    });
  });
}

}  // namespace kiln::cpu
