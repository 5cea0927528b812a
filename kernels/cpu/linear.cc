// linear and its backward: one GEMM each way through OpenBLAS, the input's batch dims
// flattened into GEMM rows. Half types compute in float buffers.
#include <algorithm>
#include <vector>

#include "engine/core/parallel.h"
#include "kernels/cpu/copy.h"
#include "kernels/cpu/nn_seq.h"
#include "kernels/cpu/nn_seq_common.h"

namespace kiln::cpu {

namespace {

// Sum over the rows of x (rows x n) into out (n): column blocks in parallel, rows in order,
// so the result does not depend on the thread count.
template <typename M>
void column_sums(M* out, const M* x, int64_t rows, int64_t n) {
  constexpr int64_t kBlock = 256;
  parallel_for(0, (n + kBlock - 1) / kBlock, 1, [&](int64_t lo, int64_t hi) {
    for (int64_t blk = lo; blk < hi; ++blk) {
      const int64_t c0 = blk * kBlock, c1 = std::min(n, c0 + kBlock);
      M acc[kBlock] = {};
      for (int64_t r = 0; r < rows; ++r) {
        const M* row = x + r * n;
        for (int64_t c = c0; c < c1; ++c) acc[c - c0] += row[c];
      }
      std::copy(acc, acc + (c1 - c0), out + c0);
    }
  });
}

}  // namespace

// out (R, N) = input (R, K) @ weight (N, K)^T [+ bias broadcast]
void linear(const Tensor& out, const Tensor& input, const Tensor& weight, const Tensor& bias) {
  seq::dispatch_math(out.dtype(), "linear", [&]<typename M>() {
    const DType md = dtype_of<M>;
    const int64_t n = weight.size(0), k = weight.size(1);
    const int64_t rows = n > 0 ? out.numel() / n : input.numel() / std::max<int64_t>(k, 1);
    seq::OutBuf o(out, md);
    if (out.numel() == 0) return;
    const Tensor x = seq::dense(input, md);
    const seq::MatArg w(weight, md);
    M beta = 0;
    if (bias.defined() && bias.dim() == 1 && bias.size(0) == n && bias.is_contiguous() &&
        bias.dtype() == md) {
      // The usual bias (N): row copies, cheaper than the general broadcasting copy.
      const M* b = bias.data_ptr<M>();
      M* c = o.buf.data_ptr<M>();
      parallel_for(0, rows, std::max<int64_t>(1, 32768 / n), [&](int64_t lo, int64_t hi) {
        for (int64_t r = lo; r < hi; ++r) std::copy(b, b + n, c + r * n);
      });
      beta = 1;
    } else if (bias.defined()) {
      copy(o.buf, seq::expand_view(bias, out.sizes()), false);
      beta = 1;
    }
    // C = X W^T: W row-major is B transposed; a column-major W is W^T row-major.
    seq::gemm(false, !w.col_major, rows, n, k, M(1), x.data_ptr<M>(), std::max<int64_t>(k, 1),
              static_cast<const M*>(w.data), w.ld, beta, o.buf.data_ptr<M>(), n);
    o.finish();
  });
}

void linear_backward(const Tensor& grad_input, const Tensor& grad_weight, const Tensor& grad_bias,
                     const Tensor& self, const Tensor& grad_output, const Tensor& weight,
                     bool input_grad, bool weight_grad, bool bias_grad) {
  seq::dispatch_math(grad_input.dtype(), "linear_backward", [&]<typename M>() {
    const DType md = dtype_of<M>;
    const int64_t n = weight.size(0), k = weight.size(1);
    const int64_t rows = numel_of(IntList(self.sizes().data(), self.sizes().size() - 1));
    const Tensor go = seq::dense(grad_output, md);  // (R, N)
    if (input_grad) {
      seq::OutBuf gi(grad_input, md);  // (R, K) = go (R, N) @ W (N, K)
      const seq::MatArg w(weight, md);
      seq::gemm(false, w.col_major, rows, k, n, M(1), go.data_ptr<M>(), std::max<int64_t>(n, 1),
                static_cast<const M*>(w.data), w.ld, M(0), gi.buf.data_ptr<M>(),
                std::max<int64_t>(k, 1));
      gi.finish();
    }
    if (weight_grad) {
      seq::OutBuf gw(grad_weight, md);  // (N, K) = go^T (N, R) @ X (R, K)
      const Tensor x = seq::dense(self, md);
      seq::gemm(true, false, n, k, rows, M(1), go.data_ptr<M>(), std::max<int64_t>(n, 1),
                x.data_ptr<M>(), std::max<int64_t>(k, 1), M(0), gw.buf.data_ptr<M>(),
                std::max<int64_t>(k, 1));
      gw.finish();
    }
    if (bias_grad) {
      seq::OutBuf gb(grad_bias, md);
      column_sums(gb.buf.data_ptr<M>(), go.data_ptr<M>(), rows, n);
      gb.finish();
    }
  });
}

}  // namespace kiln::cpu
