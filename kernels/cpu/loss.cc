// cross_entropy (fused log_softmax + nll, class indices or class probabilities, weights,
// ignore_index, label smoothing) and nll_loss, with their backward. Input (N, C, S...) is
// handled as rows (N * S, C): a copy transposes K-dim inputs so every row is contiguous.
// Reductions add the per-row losses in row order, in double, whatever the thread count.
// Before any include: lets GCC if-convert vec_math.h's selects (see there).
#pragma GCC optimize("no-trapping-math")

#include <cmath>
#include <limits>
#include <vector>

#include "engine/core/parallel.h"
#include "kernels/cpu/copy.h"
#include "kernels/cpu/loops.h"
#include "kernels/cpu/nn_norm.h"

namespace kiln::cpu {

using nn_detail::dense;
using nn_detail::lane_sum;
using nn_detail::vexp;

namespace {

enum class Reduction { kNone, kMean, kSum };
Reduction parse(const std::string& r) {
  return r == "none" ? Reduction::kNone : r == "sum" ? Reduction::kSum : Reduction::kMean;
}

// input (N, C, S) or (C,) seen as n_rows = N * S rows of C classes.
struct Rows {
  int64_t n = 1, c = 1, s = 1;
  explicit Rows(const Tensor& input) {
    if (input.dim() == 1) {
      c = input.sizes()[0];
      return;
    }
    n = input.sizes()[0];
    c = input.sizes()[1];
    s = 1;
    for (int64_t d = 2; d < input.dim(); ++d) s *= input.sizes()[d];
  }
  int64_t count() const { return n * s; }
};

// The (N, S, C) view of a contiguous (N, C, S) tensor.
Tensor nsc_view(const Tensor& t, const Rows& g) {
  return make_view(t, {g.n, g.s, g.c}, {g.c * g.s, 1, g.s}, t.storage_offset());
}

// `t` (N, C, S) as contiguous rows (N * S, C).
Tensor as_rows(const Tensor& t, const Rows& g) {
  const Tensor d = dense(t);
  if (g.s == 1) return d;
  Tensor r = empty_tensor({g.n, g.s, g.c}, d.dtype(), d.device());
  copy(r, nsc_view(d, g), false);
  return r;
}

void check_targets(const char* op, const int64_t* t, int64_t n, int64_t c, int64_t ignore_index) {
  for (int64_t i = 0; i < n; ++i) {
    KILN_CHECK_INDEX(t[i] == ignore_index || (t[i] >= 0 && t[i] < c), op, ": Target ", t[i],
                     " is out of bounds.");
  }
}

// Everything both directions of one call need.
struct Call {
  Rows g;
  bool probs;
  Tensor x, target, weight;  // x rows (R, C); target int64 (R) or rows (R, C); weight (C)
  Call(const Tensor& input, const Tensor& target_, const Tensor& weight_, const char* op,
       int64_t ignore_index, bool logits)
      : g(input), probs(is_floating(target_.dtype())) {
    x = logits ? as_rows(input, g) : dense(input);
    target = probs ? as_rows(nn_detail::dense_as(target_, input.dtype()), g) : dense(target_);
    weight = dense(weight_);
    if (!probs) check_targets(op, target.data_ptr<int64_t>(), target.numel(), g.c, ignore_index);
  }
};

// The denominator of "mean" over class indices: the summed weights of the targets kept.
template <typename T>
double weight_total(const Call& k, int64_t ignore_index) {
  const int64_t* t = k.target.data_ptr<int64_t>();
  const T* w = k.weight.defined() ? k.weight.data_ptr<T>() : nullptr;
  double total = 0;
  for (int64_t r = 0; r < k.g.count(); ++r) {
    if (t[r] != ignore_index) total += w ? double(w[t[r]]) : 1.0;
  }
  return total;
}

template <typename T>
void write_reduced(const Tensor& out, const std::vector<double>& per_row, Reduction red,
                   double denom) {
  T* o = out.data_ptr<T>();
  if (red == Reduction::kNone) {
    for (size_t r = 0; r < per_row.size(); ++r) o[r] = T(per_row[r]);
    return;
  }
  double total = 0;
  for (double v : per_row) total += v;
  o[0] = T(red == Reduction::kMean ? total / denom : total);
}

// The upstream gradient of row r (none), or the scalar one spread by the reduction.
template <typename T>
struct Upstream {
  const T* g;
  Reduction red;
  double scale;
  double operator()(int64_t r) const { return red == Reduction::kNone ? double(g[r]) : double(g[0]) * scale; }
};

// The row maximum with kLanes independent maxima (a plain max loop does not vectorize).
template <typename A, typename T>
A row_max(const T* x, int64_t n) {
  constexpr int L = nn_detail::kLanes;
  A acc[L];
  for (int k = 0; k < L; ++k) acc[k] = -std::numeric_limits<A>::infinity();
  int64_t i = 0;
  for (; i + L <= n; i += L) {
    for (int k = 0; k < L; ++k) acc[k] = A(x[i + k]) > acc[k] ? A(x[i + k]) : acc[k];
  }
  A m = -std::numeric_limits<A>::infinity();
  for (; i < n; ++i) m = A(x[i]) > m ? A(x[i]) : m;
  for (int k = 0; k < L; ++k) m = acc[k] > m ? acc[k] : m;
  return m;
}

}  // namespace

void cross_entropy(const Tensor& out, const Tensor& input, const Tensor& target,
                   const Tensor& weight, int64_t ignore_index, const std::string& reduction,
                   double label_smoothing) {
  const Call k(input, target, weight, "cross_entropy", ignore_index, true);
  const Reduction red = parse(reduction);
  const int64_t rows = k.g.count(), c = k.g.c;
  const double eps = label_smoothing;
  std::vector<double> per_row(static_cast<size_t>(rows));
  KILN_DISPATCH_FLOATING(out.dtype(), "cross_entropy", [&]<typename T>() {
    using A = opmath_t<T>;
    const T* x = k.x.data_ptr<T>();
    const T* w = k.weight.defined() ? k.weight.data_ptr<T>() : nullptr;
    const int64_t* ti = k.probs ? nullptr : k.target.data_ptr<int64_t>();
    const T* tp = k.probs ? k.target.data_ptr<T>() : nullptr;
    A wsum = 0;
    for (int64_t j = 0; w && j < c; ++j) wsum += A(w[j]);
    parallel_for(0, rows, std::max<int64_t>(1, kGrain / std::max<int64_t>(c, 1)), [&](int64_t lo, int64_t hi) {
      for (int64_t r = lo; r < hi; ++r) {
        const T* xr = x + r * c;
        if (ti && ti[r] == ignore_index) {
          per_row[r] = 0;
          continue;
        }
        const A m = row_max<A>(xr, c);
        const A lse = m + std::log(lane_sum<A>(c, [&](int64_t j) { return vexp(A(xr[j]) - m); }));
        double loss;
        if (ti) {
          const int64_t t = ti[r];
          loss = -(1 - eps) * (w ? double(w[t]) : 1.0) * double(A(xr[t]) - lse);
          if (eps > 0) {
            // -sum_c w_c logp_c = lse sum(w) - sum(w x)
            const A wx = w ? lane_sum<A>(c, [&](int64_t j) { return A(w[j]) * A(xr[j]); })
                           : lane_sum<A>(c, [&](int64_t j) { return A(xr[j]); });
            loss += eps / double(c) * (double(lse) * (w ? double(wsum) : double(c)) - double(wx));
          }
        } else {
          // -sum_c w_c t'_c (x_c - lse), t' = t (1 - eps) + eps / C
          const T* trow = tp + r * c;
          const A e = A(eps), ec = A(eps / double(c));
          const A swt = lane_sum<A>(c, [&](int64_t j) {
            return (w ? A(w[j]) : A(1)) * (A(trow[j]) * (A(1) - e) + ec);
          });
          const A swtx = lane_sum<A>(c, [&](int64_t j) {
            return (w ? A(w[j]) : A(1)) * (A(trow[j]) * (A(1) - e) + ec) * A(xr[j]);
          });
          loss = double(lse) * double(swt) - double(swtx);
        }
        per_row[r] = loss;
      }
    });
    const double denom = k.probs ? double(rows) : weight_total<T>(k, ignore_index);
    write_reduced<T>(out, per_row, red, denom);
  });
}

// dx_c = coef (p_c K - (1 - eps) w_t [c == t] - eps / C w_c), K = (1 - eps) w_t + eps / C sum(w)
// for class indices; dx_c = coef (p_c sum(w t') - w_c t'_c) for probabilities.
void cross_entropy_backward(const Tensor& out, const Tensor& grad_output, const Tensor& input,
                            const Tensor& target, const Tensor& weight, int64_t ignore_index,
                            const std::string& reduction, double label_smoothing) {
  const Call k(input, target, weight, "cross_entropy_backward", ignore_index, true);
  const Reduction red = parse(reduction);
  const int64_t rows = k.g.count(), c = k.g.c;
  const double eps = label_smoothing;
  if (out.numel() == 0) return;
  const Tensor go = dense(grad_output);
  Tensor buf = k.g.s == 1 ? out : empty_tensor({rows, c}, out.dtype(), out.device());
  KILN_DISPATCH_FLOATING(out.dtype(), "cross_entropy_backward", [&]<typename T>() {
    using A = opmath_t<T>;
    const T* x = k.x.data_ptr<T>();
    const T* w = k.weight.defined() ? k.weight.data_ptr<T>() : nullptr;
    const int64_t* ti = k.probs ? nullptr : k.target.data_ptr<int64_t>();
    const T* tp = k.probs ? k.target.data_ptr<T>() : nullptr;
    T* dx = buf.data_ptr<T>();
    A wsum = 0;
    for (int64_t j = 0; w && j < c; ++j) wsum += A(w[j]);
    const double denom = k.probs ? double(rows) : weight_total<T>(k, ignore_index);
    const Upstream<T> up{go.data_ptr<T>(), red, red == Reduction::kMean ? 1.0 / denom : 1.0};
    const A e = A(eps), ec = A(eps / double(c));
    parallel_for(0, rows, std::max<int64_t>(1, kGrain / std::max<int64_t>(c, 1)), [&](int64_t lo, int64_t hi) {
      std::vector<A> ebuf;
      for (int64_t r = lo; r < hi; ++r) {
        const T* xr = x + r * c;
        T* dr = dx + r * c;
        if (ti && ti[r] == ignore_index) {
          for (int64_t j = 0; j < c; ++j) dr[j] = T(0);
          continue;
        }
        const A coef = A(up(r));
        const A m = row_max<A>(xr, c);
        ebuf.resize(size_t(c));
        A* ex = ebuf.data();
        const A s = lane_sum<A>(c, [&](int64_t j) { return ex[j] = vexp(A(xr[j]) - m); });
        if (ti) {
          const int64_t t = ti[r];
          const A wt = w ? A(w[t]) : A(1);
          const A kk = (A(1) - e) * wt + (w ? ec * wsum : e);
          const A a = coef * kk / s;
          if (w && eps > 0) {
            for (int64_t j = 0; j < c; ++j) dr[j] = T(a * ex[j] - coef * ec * A(w[j]));
          } else if (eps > 0) {
            for (int64_t j = 0; j < c; ++j) dr[j] = T(a * ex[j] - coef * ec);
          } else {
            for (int64_t j = 0; j < c; ++j) dr[j] = T(a * ex[j]);
          }
          dr[t] = T(A(dr[t]) - coef * (A(1) - e) * wt);
        } else {
          const T* trow = tp + r * c;
          const A swt = lane_sum<A>(c, [&](int64_t j) {
            return (w ? A(w[j]) : A(1)) * (A(trow[j]) * (A(1) - e) + ec);
          });
          const A a = coef * swt / s;
          for (int64_t j = 0; j < c; ++j) {
            dr[j] = T(a * ex[j] - coef * (w ? A(w[j]) : A(1)) * (A(trow[j]) * (A(1) - e) + ec));
          }
        }
      }
    });
  });
  if (!buf.is_same(out)) {
    copy(nsc_view(out, k.g), make_view(buf, {k.g.n, k.g.s, c}, {k.g.s * c, c, 1}, 0), false);
  }
}

void nll_loss(const Tensor& out, const Tensor& input, const Tensor& target, const Tensor& weight,
              int64_t ignore_index, const std::string& reduction) {
  const Call k(input, target, weight, "nll_loss", ignore_index, false);
  const Reduction red = parse(reduction);
  const Rows& g = k.g;
  std::vector<double> per_row(size_t(g.count()));
  KILN_DISPATCH_FLOATING(out.dtype(), "nll_loss", [&]<typename T>() {
    const T* x = k.x.data_ptr<T>();
    const T* w = k.weight.defined() ? k.weight.data_ptr<T>() : nullptr;
    const int64_t* t = k.target.data_ptr<int64_t>();
    for (int64_t n = 0; n < g.n; ++n) {
      for (int64_t s = 0; s < g.s; ++s) {
        const int64_t r = n * g.s + s, tr = t[r];
        per_row[r] = tr == ignore_index ? 0.0
                                        : -(w ? double(w[tr]) : 1.0) * double(x[(n * g.c + tr) * g.s + s]);
      }
    }
    write_reduced<T>(out, per_row, red, weight_total<T>(k, ignore_index));
  });
}

void nll_loss_backward(const Tensor& out, const Tensor& grad_output, const Tensor& input,
                       const Tensor& target, const Tensor& weight, int64_t ignore_index,
                       const std::string& reduction) {
  const Call k(input, target, weight, "nll_loss_backward", ignore_index, false);
  const Reduction red = parse(reduction);
  const Rows& g = k.g;
  fill(out, Scalar(0));
  const Tensor go = dense(grad_output);
  KILN_DISPATCH_FLOATING(out.dtype(), "nll_loss_backward", [&]<typename T>() {
    const T* w = k.weight.defined() ? k.weight.data_ptr<T>() : nullptr;
    const int64_t* t = k.target.data_ptr<int64_t>();
    T* dx = out.data_ptr<T>();
    const double denom = weight_total<T>(k, ignore_index);
    const Upstream<T> up{go.data_ptr<T>(), red, red == Reduction::kMean ? 1.0 / denom : 1.0};
    for (int64_t n = 0; n < g.n; ++n) {
      for (int64_t s = 0; s < g.s; ++s) {
        const int64_t r = n * g.s + s, tr = t[r];
        if (tr == ignore_index) continue;
        dx[(n * g.c + tr) * g.s + s] = T(-(w ? double(w[tr]) : 1.0) * up(r));
      }
    }
  });
}

}  // namespace kiln::cpu
