// nn_seq ops written from other ops (table/nn_seq.yaml, impl: composite). Their gradients come
// from the fused ops they call: linear_backward gives the weights' gradients of bilinear and
// both cells, the gate kernels' backwards the rest.
#include "engine/autograd/functions.h"
#include "engine/ops/rules.h"

namespace kiln {

// y[r, o] = sum_ij x1[r, i] W[o, i, j] x2[r, j]: one GEMM x1 @ W viewed (out * in2, in1)^T,
// then a product with x2 summed over in2.
Tensor bilinear(const Tensor& input1, const Tensor& input2, const Tensor& weight,
                const Tensor& bias) {
  static constexpr const char* kOp = "bilinear";
  rules::check_defined(kOp, input1, "input1");
  rules::check_defined(kOp, input2, "input2");
  rules::check_defined(kOp, weight, "weight");
  rules::seq_dtype(kOp, input1, input2, weight, bias);
  const Shape out = rules::bilinear(kOp, input1, input2, weight, bias);
  const int64_t o = weight.size(0), i1 = weight.size(1), i2 = weight.size(2);
  const int64_t rows = numel_of(IntList(out.data(), out.size() - 1));
  const Tensor x1 = reshape(input1, {rows, i1}), x2 = reshape(input2, {rows, i2});
  const Tensor w = reshape(permute(weight, {0, 2, 1}), {o * i2, i1});
  const Tensor t = reshape(linear(x1, w), {rows, o, i2});
  Tensor y = sum(mul(t, unsqueeze(x2, 1)), Shape{-1});
  if (bias.defined()) y = add(y, bias);
  return reshape(y, out);
}

Tensor scaled_dot_product_attention(const Tensor& query, const Tensor& key, const Tensor& value,
                                    const Tensor& attn_mask, double dropout_p, bool is_causal) {
  // Checked here too, so that errors name the op the caller called.
  static constexpr const char* kOp = "scaled_dot_product_attention";
  rules::check_defined(kOp, query, "query");
  rules::check_defined(kOp, key, "key");
  rules::check_defined(kOp, value, "value");
  rules::sdpa_dtype(kOp, query, key, value, attn_mask, is_causal);
  rules::sdpa(kOp, query, key, value, attn_mask, dropout_p);
  return std::get<0>(
      _scaled_dot_product_attention(query, key, value, attn_mask, dropout_p, is_causal));
}

namespace {

// The cells' kernels take batches; an unbatched call (as torch.nn.LSTMCell accepts) runs as a
// batch of one.
Tensor batch1(const Tensor& t, bool batched) { return batched ? t : unsqueeze(t, 0); }
Tensor unbatch1(const Tensor& t, bool batched) { return batched ? t : squeeze(t, 0); }

void check_cell_args(const char* op, const Tensor& input, const Tensor& w_ih, const Tensor& w_hh) {
  rules::check_defined(op, input, "input");
  rules::check_defined(op, w_ih, "w_ih");
  rules::check_defined(op, w_hh, "w_hh");
}

}  // namespace

std::tuple<Tensor, Tensor> lstm_cell(const Tensor& input, const std::vector<Tensor>& hx,
                                     const Tensor& w_ih, const Tensor& w_hh, const Tensor& b_ih,
                                     const Tensor& b_hh) {
  static constexpr const char* kOp = "lstm_cell";
  check_cell_args(kOp, input, w_ih, w_hh);
  KILN_CHECK(hx.size() == 2, kOp, ": lstm_cell expects two hidden states");
  rules::check_defined(kOp, hx[0], "hx[0]");
  rules::check_defined(kOp, hx[1], "hx[1]");
  rules::rnn_cell_dtype(kOp, input, hx, w_ih, w_hh, b_ih, b_hh);
  rules::lstm_cell(kOp, input, hx, w_ih, w_hh, b_ih, b_hh);
  const bool batched = input.dim() == 2;
  const Tensor gates = add(linear(batch1(input, batched), w_ih, b_ih),
                           linear(batch1(hx[0], batched), w_hh, b_hh));
  auto [hy, cy] = _lstm_cell_gates(gates, batch1(hx[1], batched));
  return {unbatch1(hy, batched), unbatch1(cy, batched)};
}

Tensor gru_cell(const Tensor& input, const Tensor& hx, const Tensor& w_ih, const Tensor& w_hh,
                const Tensor& b_ih, const Tensor& b_hh) {
  static constexpr const char* kOp = "gru_cell";
  check_cell_args(kOp, input, w_ih, w_hh);
  rules::check_defined(kOp, hx, "hx");
  rules::rnn_cell_dtype(kOp, input, hx, w_ih, w_hh, b_ih, b_hh);
  rules::gru_cell(kOp, input, hx, w_ih, w_hh, b_ih, b_hh);
  const bool batched = input.dim() == 2;
  const Tensor h = batch1(hx, batched);
  const Tensor hy = _gru_cell_gates(linear(batch1(input, batched), w_ih, b_ih),
                                    linear(h, w_hh, b_hh), h);
  return unbatch1(hy, batched);
}

}  // namespace kiln
