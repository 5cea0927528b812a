// Max and average pooling over the last two dims (planes (.., H, W) -> (.., oH, oW)), forward
// and backward. Threads split planes; each output is one window's scan, each gradient plane
// is written by one thread in a fixed order.
#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>
#include <vector>

#include "engine/core/half.h"
#include "engine/core/parallel.h"
#include "kernels/cpu/copy.h"
#include "kernels/cpu/nn_conv.h"

namespace kiln::cpu {
namespace {

struct Window {
  int64_t kh, kw, sh, sw, ph, pw, dh, dw;
  int64_t H, W, OH, OW, planes;
};

Window window(const Tensor& in, const Tensor& out, IntList k, IntList s, IntList p, IntList d) {
  Window w;
  w.kh = k[0], w.kw = k.size() == 2 ? k[1] : k[0];
  w.sh = s.empty() ? w.kh : s[0], w.sw = s.empty() ? w.kw : s.size() == 2 ? s[1] : s[0];
  w.ph = p[0], w.pw = p.size() == 2 ? p[1] : p[0];
  w.dh = d[0], w.dw = d.size() == 2 ? d[1] : d[0];
  const int64_t n = in.dim();
  w.H = in.sizes()[n - 2], w.W = in.sizes()[n - 1];
  w.OH = out.sizes()[n - 2], w.OW = out.sizes()[n - 1];
  w.planes = w.H * w.W > 0 ? in.numel() / (w.H * w.W) : 0;
  return w;
}

Tensor contiguous(const Tensor& t) {
  if (t.is_contiguous()) return t;
  Tensor c = empty_tensor(t.sizes(), t.dtype());
  copy(c, t, false);
  return c;
}

int64_t grain(int64_t per_plane) { return std::max<int64_t>(1, 16384 / std::max<int64_t>(per_plane, 1)); }

// avg_pool2d's window [h0, h1) x [w0, w1) clipped to the image, and the divisor.
struct AvgCell {
  int64_t h0, h1, w0, w1, div;
};

AvgCell avg_cell(const Window& w, int64_t oy, int64_t ox, bool count_include_pad,
                 std::optional<int64_t> divisor_override) {
  AvgCell c;
  c.h0 = oy * w.sh - w.ph, c.w0 = ox * w.sw - w.pw;
  c.h1 = std::min(c.h0 + w.kh, w.H + w.ph), c.w1 = std::min(c.w0 + w.kw, w.W + w.pw);
  const int64_t padded = (c.h1 - c.h0) * (c.w1 - c.w0);
  c.h0 = std::max<int64_t>(c.h0, 0), c.w0 = std::max<int64_t>(c.w0, 0);
  c.h1 = std::min(c.h1, w.H), c.w1 = std::min(c.w1, w.W);
  c.div = divisor_override ? *divisor_override
          : count_include_pad ? padded
                              : (c.h1 - c.h0) * (c.w1 - c.w0);
  return c;
}

}  // namespace

void max_pool2d_with_indices(const Tensor& values, const Tensor& indices, const Tensor& self,
                             IntList kernel_size, IntList stride, IntList padding,
                             IntList dilation, bool ceil_mode) {
  (void)ceil_mode;  // in the output's shape
  if (values.numel() == 0) return;
  const Tensor in = contiguous(self);
  const Window w = window(in, values, kernel_size, stride, padding, dilation);
  KILN_DISPATCH_FLOATING(in.dtype(), "max_pool2d_with_indices", [&]<typename scalar_t>() {
    using acc_t = opmath_t<scalar_t>;
    const scalar_t* x = in.data_ptr<scalar_t>();
    scalar_t* y = values.data_ptr<scalar_t>();
    int64_t* ind = indices.data_ptr<int64_t>();
    parallel_for(0, w.planes, grain(w.OH * w.OW), [&](int64_t lo, int64_t hi) {
      for (int64_t p = lo; p < hi; ++p) {
        const scalar_t* xp = x + p * w.H * w.W;
        for (int64_t oy = 0; oy < w.OH; ++oy) {
          int64_t h0 = oy * w.sh - w.ph;
          const int64_t h1 = std::min(h0 + (w.kh - 1) * w.dh + 1, w.H);
          while (h0 < 0) h0 += w.dh;
          for (int64_t ox = 0; ox < w.OW; ++ox) {
            int64_t w0 = ox * w.sw - w.pw;
            const int64_t w1 = std::min(w0 + (w.kw - 1) * w.dw + 1, w.W);
            while (w0 < 0) w0 += w.dw;
            int64_t best = h0 * w.W + w0;
            acc_t m = -std::numeric_limits<acc_t>::infinity();
            for (int64_t iy = h0; iy < h1; iy += w.dh) {
              for (int64_t ix = w0; ix < w1; ix += w.dw) {
                const acc_t v = acc_t(xp[iy * w.W + ix]);
                if (v > m || std::isnan(v)) {
                  m = v;
                  best = iy * w.W + ix;
                }
              }
            }
            const int64_t o = (p * w.OH + oy) * w.OW + ox;
            y[o] = scalar_t(m);
            ind[o] = best;
          }
        }
      }
    });
  });
}

void max_pool2d_with_indices_backward(const Tensor& out, const Tensor& grad_output,
                                      const Tensor& self, IntList kernel_size, IntList stride,
                                      IntList padding, IntList dilation, bool ceil_mode,
                                      const Tensor& indices) {
  (void)ceil_mode;
  if (out.numel() == 0) return;
  const Tensor g = contiguous(grad_output), idx = contiguous(indices);
  const Window w = window(self, grad_output, kernel_size, stride, padding, dilation);
  const int64_t* ind = idx.data_ptr<int64_t>();
  const int64_t plane = w.H * w.W;
  // Every index checked before anything is written: chunks scan in parallel, and the first
  // bad index (in order) is the one reported.
  const int64_t nidx = idx.numel();
  constexpr int64_t kCheckChunk = 1 << 16;
  std::vector<int64_t> bad((nidx + kCheckChunk - 1) / kCheckChunk, -1);
  parallel_for(0, int64_t(bad.size()), 1, [&](int64_t lo, int64_t hi) {
    for (int64_t c = lo; c < hi; ++c) {
      const int64_t e = std::min(nidx, (c + 1) * kCheckChunk);
      bool ok = true;
      for (int64_t i = c * kCheckChunk; i < e; ++i) ok &= ind[i] >= 0 && ind[i] < plane;
      if (ok) continue;
      for (int64_t i = c * kCheckChunk; i < e; ++i) {
        if (ind[i] < 0 || ind[i] >= plane) {
          bad[c] = i;
          break;
        }
      }
    }
  });
  for (int64_t b : bad) {
    KILN_CHECK_INDEX(b < 0, "max_pool2d_with_indices_backward: index ", ind[b],
                     " is out of bounds for a plane of ", plane, " elements");
  }
  KILN_DISPATCH_FLOATING(out.dtype(), "max_pool2d_with_indices_backward", [&]<typename scalar_t>() {
    using acc_t = opmath_t<scalar_t>;
    const scalar_t* gy = g.data_ptr<scalar_t>();
    scalar_t* gx = out.data_ptr<scalar_t>();
    const int64_t per = w.OH * w.OW;
    parallel_for(0, w.planes, grain(plane), [&](int64_t lo, int64_t hi) {
      if constexpr (std::is_same_v<acc_t, scalar_t>) {
        // Accumulates in the output plane itself: no second pass through a buffer.
        for (int64_t p = lo; p < hi; ++p) {
          scalar_t* gp = gx + p * plane;
          std::fill(gp, gp + plane, scalar_t(0));
          for (int64_t o = 0; o < per; ++o) gp[ind[p * per + o]] += gy[p * per + o];
        }
        return;
      }
      std::vector<acc_t> acc(plane);
      for (int64_t p = lo; p < hi; ++p) {
        std::fill(acc.begin(), acc.end(), acc_t(0));
        for (int64_t o = 0; o < per; ++o) acc[ind[p * per + o]] += acc_t(gy[p * per + o]);
        for (int64_t i = 0; i < plane; ++i) gx[p * plane + i] = scalar_t(acc[i]);
      }
    });
  });
}

void avg_pool2d(const Tensor& out, const Tensor& self, IntList kernel_size, IntList stride,
                IntList padding, bool ceil_mode, bool count_include_pad,
                std::optional<int64_t> divisor_override) {
  (void)ceil_mode;
  if (out.numel() == 0) return;
  const Tensor in = contiguous(self);
  const Window w = window(in, out, kernel_size, stride, padding, Shape{1});
  KILN_DISPATCH_FLOATING(in.dtype(), "avg_pool2d", [&]<typename scalar_t>() {
    using acc_t = opmath_t<scalar_t>;
    const scalar_t* x = in.data_ptr<scalar_t>();
    scalar_t* y = out.data_ptr<scalar_t>();
    parallel_for(0, w.planes, grain(w.OH * w.OW), [&](int64_t lo, int64_t hi) {
      for (int64_t p = lo; p < hi; ++p) {
        const scalar_t* xp = x + p * w.H * w.W;
        for (int64_t oy = 0; oy < w.OH; ++oy) {
          for (int64_t ox = 0; ox < w.OW; ++ox) {
            const AvgCell c = avg_cell(w, oy, ox, count_include_pad, divisor_override);
            acc_t s = 0;
            for (int64_t iy = c.h0; iy < c.h1; ++iy) {
              for (int64_t ix = c.w0; ix < c.w1; ++ix) s += acc_t(xp[iy * w.W + ix]);
            }
            const bool empty = c.h0 >= c.h1 || c.w0 >= c.w1;
            y[(p * w.OH + oy) * w.OW + ox] = scalar_t(empty ? acc_t(0) : s / acc_t(c.div));
          }
        }
      }
    });
  });
}

void avg_pool2d_backward(const Tensor& out, const Tensor& grad_output, const Tensor& self,
                         IntList kernel_size, IntList stride, IntList padding, bool ceil_mode,
                         bool count_include_pad, std::optional<int64_t> divisor_override) {
  (void)ceil_mode;
  if (out.numel() == 0) return;
  const Tensor g = contiguous(grad_output);
  const Window w = window(self, grad_output, kernel_size, stride, padding, Shape{1});
  KILN_DISPATCH_FLOATING(out.dtype(), "avg_pool2d_backward", [&]<typename scalar_t>() {
    using acc_t = opmath_t<scalar_t>;
    const scalar_t* gy = g.data_ptr<scalar_t>();
    scalar_t* gx = out.data_ptr<scalar_t>();
    const int64_t plane = w.H * w.W;
    parallel_for(0, w.planes, grain(plane), [&](int64_t lo, int64_t hi) {
      std::vector<acc_t> acc(plane);
      for (int64_t p = lo; p < hi; ++p) {
        std::fill(acc.begin(), acc.end(), acc_t(0));
        for (int64_t oy = 0; oy < w.OH; ++oy) {
          for (int64_t ox = 0; ox < w.OW; ++ox) {
            const AvgCell c = avg_cell(w, oy, ox, count_include_pad, divisor_override);
            if (c.h0 >= c.h1 || c.w0 >= c.w1) continue;
            const acc_t v = acc_t(gy[(p * w.OH + oy) * w.OW + ox]) / acc_t(c.div);
            for (int64_t iy = c.h0; iy < c.h1; ++iy) {
              for (int64_t ix = c.w0; ix < c.w1; ++ix) acc[iy * w.W + ix] += v;
            }
          }
        }
        for (int64_t i = 0; i < plane; ++i) gx[p * plane + i] = scalar_t(acc[i]);
      }
    });
  });
}

}  // namespace kiln::cpu
