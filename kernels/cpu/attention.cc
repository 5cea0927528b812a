// Scaled dot-product attention, forward and backward, one (L, S) score matrix per batch entry:
//   scores = scale * Q K^T (+ mask),  P = softmax(scores),  out = dropout(P) V.
// Backward uses the saved P (not a recompute): P is as large as the scores, but saving it
// spares a GEMM and the exps, which is what PyTorch's explicit version does too.
// Batch entries run in order, each GEMM threaded by OpenBLAS; the rows of the softmax are split
// across Kiln's pool. Dropout draws element e of the (batch, L, S) scores from Philox counter
// e / 4 of one reservation, so the mask depends on the seed only, not on threads.
// Before any include: lets GCC if-convert vec_math.h's selects (see there).
#pragma GCC optimize("no-trapping-math")

#include <algorithm>
#include <cmath>
#include <vector>

#include "engine/core/generator.h"
#include "engine/core/parallel.h"
#include "kernels/cpu/nn_seq.h"
#include "kernels/cpu/nn_seq_common.h"

namespace kiln::cpu {

namespace {

// Element offset of each broadcast batch entry's matrix in a contiguous tensor of `shape`
// (batch dims right-aligned against `batch`, then the matrix dims).
std::vector<int64_t> batch_offsets(const Shape& shape, const Shape& batch, int64_t nmat) {
  const int64_t nb = int64_t(batch.size());
  const int64_t tb = std::max<int64_t>(int64_t(shape.size()) - 2, 0);
  Shape stride(nb, 0);
  int64_t s = 1;
  for (int64_t i = int64_t(shape.size()) - 1; i >= 0; --i) {
    if (i < tb) stride[nb - tb + i] = shape[i] == 1 ? 0 : s;
    s *= shape[i];
  }
  const int64_t count = numel_of(batch);
  std::vector<int64_t> off(count, 0);
  for (int64_t b = 0; b < count; ++b) {
    int64_t rem = b, o = 0;
    for (int64_t d = nb - 1; d >= 0; --d) {
      o += (rem % batch[d]) * stride[d];
      rem /= batch[d];
    }
    off[b] = o;
  }
  (void)nmat;
  return off;
}

// How a mask of any rank indexes (batch..., L, S): per-batch offsets and row/column strides.
struct MaskIndex {
  std::vector<int64_t> off;
  int64_t row_stride = 0, col_stride = 0;
};

MaskIndex mask_index(const Tensor& m, const Shape& batch, int64_t l, int64_t s) {
  Shape full(batch.size() + 2 - std::min<size_t>(batch.size() + 2, m.dim()), 1);
  full.insert(full.end(), m.sizes().begin(), m.sizes().end());
  MaskIndex mi;
  mi.off = batch_offsets(full, batch, 0);
  const int64_t ms = full.back(), ml = full[full.size() - 2];
  mi.col_stride = ms == 1 ? 0 : 1;
  mi.row_stride = ml == 1 ? 0 : ms;
  (void)l, (void)s;
  return mi;
}

// Row softmax in place over n entries of x; a row with nothing to attend to is NaN, as
// PyTorch's softmax of an all -inf row.
template <typename M>
void softmax_row(M* x, int64_t n) {
  M mx = -INFINITY;
  for (int64_t j = 0; j < n; ++j) mx = x[j] > mx ? x[j] : mx;
  if (mx == -INFINITY) {
    for (int64_t j = 0; j < n; ++j) x[j] = NAN;
    return;
  }
  M part[8] = {};
  int64_t j = 0;
  for (; j + 8 <= n; j += 8) {
    for (int u = 0; u < 8; ++u) {
      const M e = seq::exp_approx(x[j + u] - mx);
      x[j + u] = e;
      part[u] += e;
    }
  }
  M sum = 0;
  for (; j < n; ++j) {
    x[j] = seq::exp_approx(x[j] - mx);
    sum += x[j];
  }
  for (int u = 0; u < 8; ++u) sum += part[u];
  const M inv = M(1) / sum;
  for (int64_t k = 0; k < n; ++k) x[k] *= inv;
}

template <typename M>
void forward(const Tensor& output, const Tensor& attn, const Tensor& query, const Tensor& key,
             const Tensor& value, const Tensor& attn_mask, double dropout_p, bool is_causal) {
  const DType md = dtype_of<M>;
  const Tensor q = seq::dense(query, md), k = seq::dense(key, md), v = seq::dense(value, md);
  const int64_t l = q.size(-2), e = q.size(-1), s = k.size(-2), ev = v.size(-1);
  const Shape batch(attn.sizes().begin(), attn.sizes().end() - 2);
  const int64_t nb = numel_of(batch);
  const auto qo = batch_offsets(q.sizes(), batch, l * e);
  const auto ko = batch_offsets(k.sizes(), batch, s * e);
  const auto vo = batch_offsets(v.sizes(), batch, s * ev);
  seq::OutBuf out(output, md), pa(attn, md);
  if (attn.numel() == 0) {
    if (output.numel() > 0) std::fill_n(out.buf.data_ptr<M>(), output.numel(), M(0));
    out.finish();
    return;
  }
  const bool has_mask = attn_mask.defined();
  const bool bool_mask = has_mask && attn_mask.dtype() == DType::kBool;
  const Tensor mask = has_mask ? seq::dense(attn_mask, bool_mask ? DType::kBool : md) : Tensor();
  const MaskIndex mi = has_mask ? mask_index(mask, batch, l, s) : MaskIndex{};
  const M scale = M(1) / std::sqrt(M(e));
  const bool drop = dropout_p > 0;
  PhiloxStream rng;
  if (drop) {
    auto [seed, first] = default_generator().reserve((uint64_t(nb * l * s) + 3) / 4);
    rng = PhiloxStream{seed, first};
  }
  const M keep_scale = dropout_p < 1 ? M(1 / (1 - dropout_p)) : M(0);
  Tensor dropped = drop ? empty_tensor({l, s}, md) : Tensor();
  const M* qd = q.data_ptr<M>();
  const M* kd = k.data_ptr<M>();
  const M* vd = v.data_ptr<M>();
  for (int64_t b = 0; b < nb; ++b) {
    M* p = pa.buf.data_ptr<M>() + b * l * s;
    seq::gemm(false, true, l, s, e, scale, qd + qo[b], std::max<int64_t>(e, 1), kd + ko[b],
              std::max<int64_t>(e, 1), M(0), p, s);
    M* pd = drop ? dropped.data_ptr<M>() : p;
    parallel_for(0, l, std::max<int64_t>(1, 16384 / std::max<int64_t>(s, 1)),
                 [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) {
        M* row = p + i * s;
        if (is_causal) {
          for (int64_t j = i + 1; j < s; ++j) row[j] = -INFINITY;
        }
        if (bool_mask) {
          const bool* m = mask.data_ptr<bool>() + mi.off[b] + i * mi.row_stride;
          for (int64_t j = 0; j < s; ++j) row[j] = m[j * mi.col_stride] ? row[j] : M(-INFINITY);
        } else if (has_mask) {
          const M* m = mask.data_ptr<M>() + mi.off[b] + i * mi.row_stride;
          for (int64_t j = 0; j < s; ++j) row[j] += m[j * mi.col_stride];
        }
        softmax_row(row, s);
        if (!drop) continue;
        for (int64_t j = 0; j < s; ++j) {
          const uint64_t idx = uint64_t((b * l + i) * s + j);
          const float u = PhiloxStream::to_float(rng.block(idx / 4)[idx % 4]);
          const bool keep = u >= float(dropout_p);
          pd[i * s + j] = keep ? row[j] * keep_scale : M(0);
          if (!keep) row[j] = std::copysign(row[j], M(-1));
        }
      }
    });
    seq::gemm(false, false, l, ev, s, M(1), pd, s, vd + vo[b], std::max<int64_t>(ev, 1), M(0),
              out.buf.data_ptr<M>() + b * l * ev, std::max<int64_t>(ev, 1));
  }
  out.finish();
  pa.finish();
}

template <typename M>
void backward(const Tensor& grad_query, const Tensor& grad_key, const Tensor& grad_value,
              const Tensor& grad_output, const Tensor& query, const Tensor& key,
              const Tensor& value, const Tensor& attn, double dropout_p) {
  const DType md = dtype_of<M>;
  const Tensor q = seq::dense(query, md), k = seq::dense(key, md), v = seq::dense(value, md);
  const Tensor g = seq::dense(grad_output, md), pa = seq::dense(attn, md);
  const int64_t l = q.size(-2), e = q.size(-1), s = k.size(-2), ev = v.size(-1);
  const Shape batch(attn.sizes().begin(), attn.sizes().end() - 2);
  const int64_t nb = numel_of(batch);
  const auto qo = batch_offsets(q.sizes(), batch, l * e);
  const auto ko = batch_offsets(k.sizes(), batch, s * e);
  const auto vo = batch_offsets(v.sizes(), batch, s * ev);
  seq::OutBuf gq(grad_query, md), gk(grad_key, md), gv(grad_value, md);
  const M scale = M(1) / std::sqrt(M(e));
  const bool drop = dropout_p > 0;
  const M keep_scale = dropout_p < 1 ? M(1 / (1 - dropout_p)) : M(0);
  Tensor dp_t = empty_tensor({l, s}, md);
  Tensor pd_t = drop ? empty_tensor({l, s}, md) : Tensor();
  M* dp = dp_t.data_ptr<M>();
  const M* qd = q.data_ptr<M>();
  const M* kd = k.data_ptr<M>();
  const M* vd = v.data_ptr<M>();
  const int64_t le = std::max<int64_t>(e, 1), lev = std::max<int64_t>(ev, 1);
  for (int64_t b = 0; b < nb; ++b) {
    const M* p = pa.data_ptr<M>() + b * l * s;
    const M* gb = g.data_ptr<M>() + b * l * ev;
    const M* pd = p;
    if (drop) {
      M* w = pd_t.data_ptr<M>();
      for (int64_t j = 0; j < l * s; ++j) w[j] = std::signbit(p[j]) ? M(0) : p[j] * keep_scale;
      pd = w;
    }
    // dV = dropout(P)^T dO; dP = dO V^T.
    seq::gemm(true, false, s, ev, l, M(1), pd, s, gb, lev, M(0),
              gv.buf.data_ptr<M>() + b * s * ev, lev);
    seq::gemm(false, true, l, s, ev, M(1), gb, lev, vd + vo[b], lev, M(0), dp, s);
    // dS = P * (dP - rowsum(dP * P)), dP taken through dropout first.
    parallel_for(0, l, std::max<int64_t>(1, 16384 / std::max<int64_t>(s, 1)),
                 [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) {
        M* d = dp + i * s;
        const M* pr = p + i * s;
        if (drop) {
          for (int64_t j = 0; j < s; ++j) d[j] = std::signbit(pr[j]) ? M(0) : d[j] * keep_scale;
        }
        M part[8] = {};
        int64_t j = 0;
        for (; j + 8 <= s; j += 8) {
          for (int u = 0; u < 8; ++u) part[u] += d[j + u] * std::abs(pr[j + u]);
        }
        M dot = 0;
        for (; j < s; ++j) dot += d[j] * std::abs(pr[j]);
        for (int u = 0; u < 8; ++u) dot += part[u];
        for (j = 0; j < s; ++j) d[j] = std::abs(pr[j]) * (d[j] - dot);
      }
    });
    // dQ = scale dS K; dK = scale dS^T Q.
    seq::gemm(false, false, l, e, s, scale, dp, s, kd + ko[b], le, M(0),
              gq.buf.data_ptr<M>() + b * l * e, le);
    seq::gemm(true, false, s, e, l, scale, dp, s, qd + qo[b], le, M(0),
              gk.buf.data_ptr<M>() + b * s * e, le);
  }
  gq.finish();
  gk.finish();
  gv.finish();
}

}  // namespace

void scaled_dot_product_attention(const Tensor& output, const Tensor& attn, const Tensor& query,
                                  const Tensor& key, const Tensor& value, const Tensor& attn_mask,
                                  double dropout_p, bool is_causal) {
  seq::dispatch_math(output.dtype(), "_scaled_dot_product_attention", [&]<typename M>() {
    forward<M>(output, attn, query, key, value, attn_mask, dropout_p, is_causal);
  });
}

void scaled_dot_product_attention_backward(const Tensor& grad_query, const Tensor& grad_key,
                                           const Tensor& grad_value, const Tensor& grad_output,
                                           const Tensor& query, const Tensor& key,
                                           const Tensor& value, const Tensor& attn,
                                           double dropout_p) {
  seq::dispatch_math(grad_query.dtype(), "_scaled_dot_product_attention_backward",
                     [&]<typename M>() {
    backward<M>(grad_query, grad_key, grad_value, grad_output, query, key, value, attn,
                dropout_p);
  });
}

}  // namespace kiln::cpu
