// The elementwise halves of the LSTM and GRU cells (their GEMMs are linear's): one pass over
// the (B, G*H) pre-activations per cell. Backward recomputes the activations from the saved
// pre-activations instead of saving them: a few exps are cheaper than another (B, G*H) tensor.
// Before any include: lets GCC if-convert vec_math.h's selects (see there).
#pragma GCC optimize("no-trapping-math")

#include <algorithm>
#include <cmath>
#include <type_traits>

#include "engine/core/parallel.h"
#include "kernels/cpu/nn_seq.h"
#include "kernels/cpu/nn_seq_common.h"

namespace kiln::cpu {

namespace {

template <typename M>
inline M sigmoid(M x) {
  return M(1) / (M(1) + seq::exp_approx(-x));
}

// tanh(x) = 1 - 2 / (e^{2x} + 1), saturating cleanly at both ends.
template <typename M>
inline M tanh_(M x) {
  if constexpr (std::is_same_v<M, double>) {
    return std::tanh(x);
  } else {
    return M(1) - M(2) / (seq::exp_approx(M(2) * x) + M(1));
  }
}

// Rows in parallel: each row's H columns are independent.
template <typename F>
void rows(int64_t b, int64_t h, const F& f) {
  parallel_for(0, b, std::max<int64_t>(1, 8192 / std::max<int64_t>(h, 1)),
               [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; ++r) f(r);
  });
}

}  // namespace

// gates (B, 4H) = [i f g o]; cy = f cx + i g; hy = o tanh(cy).
void lstm_cell_gates(const Tensor& hy, const Tensor& cy, const Tensor& gates, const Tensor& cx) {
  seq::dispatch_math(hy.dtype(), "_lstm_cell_gates", [&]<typename M>() {
    const DType md = dtype_of<M>;
    const Tensor g = seq::dense(gates, md), c = seq::dense(cx, md);
    seq::OutBuf ho(hy, md), co(cy, md);
    const int64_t b = cx.size(0), h = cx.size(1);
    const M* gp = g.data_ptr<M>();
    const M* cp = c.data_ptr<M>();
    M* hp = ho.buf.data_ptr<M>();
    M* yp = co.buf.data_ptr<M>();
    rows(b, h, [&](int64_t r) {
      const M* gr = gp + r * 4 * h;
      for (int64_t j = 0; j < h; ++j) {
        const M i = sigmoid(gr[j]), f = sigmoid(gr[h + j]);
        const M gg = tanh_(gr[2 * h + j]), o = sigmoid(gr[3 * h + j]);
        const M cn = f * cp[r * h + j] + i * gg;
        yp[r * h + j] = cn;
        hp[r * h + j] = o * tanh_(cn);
      }
    });
    ho.finish();
    co.finish();
  });
}

void lstm_cell_gates_backward(const Tensor& grad_gates, const Tensor& grad_cx,
                              const Tensor& grad_hy, const Tensor& grad_cy, const Tensor& gates,
                              const Tensor& cx, const Tensor& cy) {
  seq::dispatch_math(grad_gates.dtype(), "_lstm_cell_gates_backward", [&]<typename M>() {
    const DType md = dtype_of<M>;
    const Tensor g = seq::dense(gates, md), c = seq::dense(cx, md), y = seq::dense(cy, md);
    const Tensor dh = seq::dense(grad_hy, md), dc = seq::dense(grad_cy, md);
    seq::OutBuf gg_o(grad_gates, md), gc_o(grad_cx, md);
    const int64_t b = cx.size(0), h = cx.size(1);
    const M *gp = g.data_ptr<M>(), *cp = c.data_ptr<M>(), *yp = y.data_ptr<M>();
    const M *dhp = dh.data_ptr<M>(), *dcp = dc.data_ptr<M>();
    M* ggp = gg_o.buf.data_ptr<M>();
    M* gcp = gc_o.buf.data_ptr<M>();
    rows(b, h, [&](int64_t r) {
      const M* gr = gp + r * 4 * h;
      M* out = ggp + r * 4 * h;
      for (int64_t j = 0; j < h; ++j) {
        const int64_t x = r * h + j;
        const M i = sigmoid(gr[j]), f = sigmoid(gr[h + j]);
        const M gg = tanh_(gr[2 * h + j]), o = sigmoid(gr[3 * h + j]);
        const M tc = tanh_(yp[x]);
        const M dcy = dcp[x] + dhp[x] * o * (M(1) - tc * tc);
        out[j] = dcy * gg * i * (M(1) - i);
        out[h + j] = dcy * cp[x] * f * (M(1) - f);
        out[2 * h + j] = dcy * i * (M(1) - gg * gg);
        out[3 * h + j] = dhp[x] * tc * o * (M(1) - o);
        gcp[x] = dcy * f;
      }
    });
    gg_o.finish();
    gc_o.finish();
  });
}

// igates, hgates (B, 3H) = [r z n]; r, z = sigmoid(i + h); n = tanh(i_n + r h_n);
// hy = (1 - z) n + z hx.
void gru_cell_gates(const Tensor& hy, const Tensor& igates, const Tensor& hgates,
                    const Tensor& hx) {
  seq::dispatch_math(hy.dtype(), "_gru_cell_gates", [&]<typename M>() {
    const DType md = dtype_of<M>;
    const Tensor gi = seq::dense(igates, md), gh = seq::dense(hgates, md), hv = seq::dense(hx, md);
    seq::OutBuf ho(hy, md);
    const int64_t b = hx.size(0), h = hx.size(1);
    const M *ip = gi.data_ptr<M>(), *hp = gh.data_ptr<M>(), *xp = hv.data_ptr<M>();
    M* yp = ho.buf.data_ptr<M>();
    rows(b, h, [&](int64_t r) {
      const M* ir = ip + r * 3 * h;
      const M* hr = hp + r * 3 * h;
      for (int64_t j = 0; j < h; ++j) {
        const M rg = sigmoid(ir[j] + hr[j]), z = sigmoid(ir[h + j] + hr[h + j]);
        const M n = tanh_(ir[2 * h + j] + rg * hr[2 * h + j]);
        yp[r * h + j] = (M(1) - z) * n + z * xp[r * h + j];
      }
    });
    ho.finish();
  });
}

void gru_cell_gates_backward(const Tensor& grad_igates, const Tensor& grad_hgates,
                             const Tensor& grad_hx, const Tensor& grad_hy, const Tensor& igates,
                             const Tensor& hgates, const Tensor& hx) {
  seq::dispatch_math(grad_igates.dtype(), "_gru_cell_gates_backward", [&]<typename M>() {
    const DType md = dtype_of<M>;
    const Tensor gi = seq::dense(igates, md), gh = seq::dense(hgates, md), hv = seq::dense(hx, md);
    const Tensor dy = seq::dense(grad_hy, md);
    seq::OutBuf gi_o(grad_igates, md), gh_o(grad_hgates, md), gx_o(grad_hx, md);
    const int64_t b = hx.size(0), h = hx.size(1);
    const M *ip = gi.data_ptr<M>(), *hp = gh.data_ptr<M>(), *xp = hv.data_ptr<M>();
    const M* dyp = dy.data_ptr<M>();
    M *dip = gi_o.buf.data_ptr<M>(), *dhp = gh_o.buf.data_ptr<M>(), *dxp = gx_o.buf.data_ptr<M>();
    rows(b, h, [&](int64_t r) {
      const M* ir = ip + r * 3 * h;
      const M* hr = hp + r * 3 * h;
      M* di = dip + r * 3 * h;
      M* dh = dhp + r * 3 * h;
      for (int64_t j = 0; j < h; ++j) {
        const int64_t x = r * h + j;
        const M rg = sigmoid(ir[j] + hr[j]), z = sigmoid(ir[h + j] + hr[h + j]);
        const M n = tanh_(ir[2 * h + j] + rg * hr[2 * h + j]);
        const M d = dyp[x];
        const M dn = d * (M(1) - z) * (M(1) - n * n);
        const M dz = d * (xp[x] - n) * z * (M(1) - z);
        const M dr = dn * hr[2 * h + j] * rg * (M(1) - rg);
        di[j] = dr, dh[j] = dr;
        di[h + j] = dz, dh[h + j] = dz;
        di[2 * h + j] = dn, dh[2 * h + j] = dn * rg;
        dxp[x] = d * z;
      }
    });
    gi_o.finish();
    gh_o.finish();
    gx_o.finish();
  });
}

}  // namespace kiln::cpu
