// The geometry of a 2-d convolution (1-d ones have H = 1) and the loops conv.cc builds on:
// im2col / col2im, and direct loops for depthwise convolutions (one input and one output
// channel per group), where a GEMM per channel would be all overhead.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "engine/core/parallel.h"
#include "engine/core/tensor.h"

namespace kiln::cpu::conv {

struct Geom {
  int64_t N, G;
  int64_t CX, HX, WX;  // image (N, CX, HX, WX)
  int64_t CY, HY, WY;  // result (N, CY, HY, WY)
  int64_t kh, kw, sh, sw, ph, pw, dh, dw;

  // img / res: (N, C, L) or (N, C, H, W); weight (CY, CX / G, *K); per-dim lists of 1 or k.
  Geom(const Shape& img, const Shape& res, const Shape& w, IntList stride, IntList padding,
       IntList dilation, int64_t groups) {
    auto at = [](IntList v, size_t i) { return v.size() == 1 ? v[0] : v[i]; };
    N = img[0];
    G = groups;
    CX = img[1];
    CY = res[1];
    if (img.size() == 3) {
      HX = HY = kh = sh = dh = 1;
      ph = 0;
      WX = img[2], WY = res[2], kw = w[2], sw = at(stride, 0), pw = at(padding, 0);
      dw = at(dilation, 0);
    } else {
      HX = img[2], WX = img[3], HY = res[2], WY = res[3], kh = w[2], kw = w[3];
      sh = at(stride, 0), sw = at(stride, 1), ph = at(padding, 0), pw = at(padding, 1);
      dh = at(dilation, 0), dw = at(dilation, 1);
    }
  }
  int64_t K() const { return CX / G * kh * kw; }
  int64_t LX() const { return HX * WX; }
  int64_t LY() const { return HY * WY; }
  // A 1x1 stride-1 unpadded convolution: the image is its own column matrix.
  bool direct() const {
    return kh == 1 && kw == 1 && sh == 1 && sw == 1 && ph == 0 && pw == 0 && HX == HY &&
           WX == WY;
  }
  bool depthwise() const { return G > 1 && CX == G && CY == G; }

  // Output columns ox whose input column ox * sw + xoff lies in [0, WX): [lo, hi).
  void valid_cols(int64_t xoff, int64_t& lo, int64_t& hi) const {
    lo = xoff >= 0 ? 0 : (-xoff + sw - 1) / sw;
    hi = WX - 1 - xoff >= 0 ? (WX - 1 - xoff) / sw + 1 : 0;
    hi = std::min(hi, WY);
    lo = std::min(lo, hi);
  }
};

// col (channels*kh*kw, HY*WY): row (c, i, j) holds x[c, oy*sh - ph + i*dh, ox*sw - pw + j*dw]
// (0 outside the image), for x (channels, HX, WX).
template <typename T>
void im2col(const Geom& g, const T* x, int64_t channels, T* col) {
  const int64_t rows = channels * g.kh * g.kw, L = g.LY();
  parallel_for(0, rows, std::max<int64_t>(1, 16384 / std::max<int64_t>(L, 1)),
               [&](int64_t lo_r, int64_t hi_r) {
    for (int64_t r = lo_r; r < hi_r; ++r) {
      const int64_t c = r / (g.kh * g.kw), i = (r / g.kw) % g.kh, j = r % g.kw;
      const T* xc = x + c * g.LX();
      const int64_t xoff = j * g.dw - g.pw;
      int64_t lo, hi;
      g.valid_cols(xoff, lo, hi);
      for (int64_t oy = 0; oy < g.HY; ++oy) {
        T* d = col + r * L + oy * g.WY;
        const int64_t iy = oy * g.sh - g.ph + i * g.dh;
        if (iy < 0 || iy >= g.HX) {
          std::fill(d, d + g.WY, T(0));
          continue;
        }
        const T* s = xc + iy * g.WX + xoff;
        std::fill(d, d + lo, T(0));
        if (g.sw == 1) {
          std::memcpy(d + lo, s + lo, sizeof(T) * (hi - lo));
        } else {
          for (int64_t ox = lo; ox < hi; ++ox) d[ox] = s[ox * g.sw];
        }
        std::fill(d + hi, d + g.WY, T(0));
      }
    }
  });
}

// The adjoint of im2col: x (channels, HX, WX) = the sum of every column entry at its pixel.
// Threads split channels, and each pixel's terms are added in a fixed order.
template <typename T>
void col2im(const Geom& g, const T* col, int64_t channels, T* x) {
  const int64_t L = g.LY();
  parallel_for(0, channels, 1, [&](int64_t lo_c, int64_t hi_c) {
    for (int64_t c = lo_c; c < hi_c; ++c) {
      T* xc = x + c * g.LX();
      std::fill(xc, xc + g.LX(), T(0));
      for (int64_t i = 0; i < g.kh; ++i) {
        for (int64_t j = 0; j < g.kw; ++j) {
          const T* src = col + ((c * g.kh + i) * g.kw + j) * L;
          const int64_t xoff = j * g.dw - g.pw;
          int64_t lo, hi;
          g.valid_cols(xoff, lo, hi);
          for (int64_t oy = 0; oy < g.HY; ++oy) {
            const int64_t iy = oy * g.sh - g.ph + i * g.dh;
            if (iy < 0 || iy >= g.HX) continue;
            T* d = xc + iy * g.WX + xoff;
            const T* s = src + oy * g.WY;
            if (g.sw == 1) {
              for (int64_t ox = lo; ox < hi; ++ox) d[ox] += s[ox];
            } else {
              for (int64_t ox = lo; ox < hi; ++ox) d[ox * g.sw] += s[ox];
            }
          }
        }
      }
    }
  });
}

// Depthwise: y[n, c] = sum_ij w[c, i, j] x[n, c, shifted by (i, j)], a plane per task.
template <typename T>
void depthwise_forward(const Geom& g, const T* x, const T* w, T* y) {
  parallel_for(0, g.N * g.CY, 1, [&](int64_t lo_p, int64_t hi_p) {
    for (int64_t p = lo_p; p < hi_p; ++p) {
      const int64_t c = p % g.CY;
      const T* xp = x + p * g.LX();
      T* yp = y + p * g.LY();
      std::fill(yp, yp + g.LY(), T(0));
      for (int64_t i = 0; i < g.kh; ++i) {
        for (int64_t j = 0; j < g.kw; ++j) {
          const T wv = w[(c * g.kh + i) * g.kw + j];
          const int64_t xoff = j * g.dw - g.pw;
          int64_t lo, hi;
          g.valid_cols(xoff, lo, hi);
          for (int64_t oy = 0; oy < g.HY; ++oy) {
            const int64_t iy = oy * g.sh - g.ph + i * g.dh;
            if (iy < 0 || iy >= g.HX) continue;
            const T* s = xp + iy * g.WX + xoff;
            T* d = yp + oy * g.WY;
            if (g.sw == 1) {
              for (int64_t ox = lo; ox < hi; ++ox) d[ox] += wv * s[ox];
            } else {
              for (int64_t ox = lo; ox < hi; ++ox) d[ox] += wv * s[ox * g.sw];
            }
          }
        }
      }
    }
  });
}

template <typename T>
void depthwise_data(const Geom& g, const T* y, const T* w, T* x) {
  parallel_for(0, g.N * g.CX, 1, [&](int64_t lo_p, int64_t hi_p) {
    for (int64_t p = lo_p; p < hi_p; ++p) {
      const int64_t c = p % g.CX;
      const T* yp = y + p * g.LY();
      T* xp = x + p * g.LX();
      std::fill(xp, xp + g.LX(), T(0));
      for (int64_t i = 0; i < g.kh; ++i) {
        for (int64_t j = 0; j < g.kw; ++j) {
          const T wv = w[(c * g.kh + i) * g.kw + j];
          const int64_t xoff = j * g.dw - g.pw;
          int64_t lo, hi;
          g.valid_cols(xoff, lo, hi);
          for (int64_t oy = 0; oy < g.HY; ++oy) {
            const int64_t iy = oy * g.sh - g.ph + i * g.dh;
            if (iy < 0 || iy >= g.HX) continue;
            T* d = xp + iy * g.WX + xoff;
            const T* s = yp + oy * g.WY;
            if (g.sw == 1) {
              for (int64_t ox = lo; ox < hi; ++ox) d[ox] += wv * s[ox];
            } else {
              for (int64_t ox = lo; ox < hi; ++ox) d[ox * g.sw] += wv * s[ox];
            }
          }
        }
      }
    }
  });
}

// dw[c, i, j] = sum over n (in order) and pixels of y[n, c] * x[n, c, shifted]. Each output
// column ox keeps its own partial sum across (n, oy) (the loop over ox vectorizes; a single
// running sum would not), and the partials add up in ox order: the same bits on any thread
// count.
template <typename T>
void depthwise_weight(const Geom& g, const T* x, const T* y, T* dw) {
  parallel_for(0, g.CY, 1, [&](int64_t lo_c, int64_t hi_c) {
    std::vector<T> part(g.WY);
    for (int64_t c = lo_c; c < hi_c; ++c) {
      for (int64_t i = 0; i < g.kh; ++i) {
        for (int64_t j = 0; j < g.kw; ++j) {
          const int64_t xoff = j * g.dw - g.pw;
          int64_t lo, hi;
          g.valid_cols(xoff, lo, hi);
          T* pr = part.data();
          std::fill(pr, pr + g.WY, T(0));
          for (int64_t n = 0; n < g.N; ++n) {
            const T* xp = x + (n * g.CX + c) * g.LX();
            const T* yp = y + (n * g.CY + c) * g.LY();
            for (int64_t oy = 0; oy < g.HY; ++oy) {
              const int64_t iy = oy * g.sh - g.ph + i * g.dh;
              if (iy < 0 || iy >= g.HX) continue;
              const T* s = xp + iy * g.WX + xoff;
              const T* d = yp + oy * g.WY;
              if (g.sw == 1) {
                for (int64_t ox = lo; ox < hi; ++ox) pr[ox] += d[ox] * s[ox];
              } else {
                for (int64_t ox = lo; ox < hi; ++ox) pr[ox] += d[ox] * s[ox * g.sw];
              }
            }
          }
          T acc = 0;
          for (int64_t ox = lo; ox < hi; ++ox) acc += pr[ox];
          dw[(c * g.kh + i) * g.kw + j] = acc;
        }
      }
    }
  });
}

}  // namespace kiln::cpu::conv
