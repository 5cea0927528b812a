// Shape and dtype checks of linear, bilinear, attention and the RNN cells (table/nn_seq.yaml).
// Messages are PyTorch's where PyTorch has one, prefixed with the op; each rule has a Python
// twin of the same name and text in clients/python/kiln/_rules.py.
#include <initializer_list>

#include "engine/ops/rules.h"

namespace kiln::rules {

namespace {

DType same_dtype(const char* op, std::initializer_list<const Tensor*> ts) {
  const Tensor* first = nullptr;
  for (const Tensor* t : ts) {
    if (!t->defined()) continue;
    if (first == nullptr) {
      first = t;
      continue;
    }
    KILN_CHECK(t->dtype() == first->dtype(), op, ": expected scalar type ",
               torch_type_name(first->dtype()), " but found ", torch_type_name(t->dtype()));
  }
  return first->dtype();
}

Shape batch_of(const Tensor& t) { return Shape(t.sizes().begin(), t.sizes().end() - 2); }

// PyTorch's expand message: `t` must broadcast to `target` without growing.
void check_expands(const char* op, const Tensor& t, const Shape& target) {
  const int64_t n = int64_t(target.size()), m = t.dim();
  bool ok = m <= n;
  int64_t bad = 0;
  for (int64_t i = 0; ok && i < m; ++i) {
    const int64_t s = t.sizes()[m - 1 - i], d = target[n - 1 - i];
    if (s != d && s != 1) {
      ok = false;
      bad = n - 1 - i;
    }
  }
  KILN_CHECK(m <= n, op, ": the number of sizes provided (", n,
             ") must be greater or equal to the number of dimensions in the tensor (", m, ")");
  KILN_CHECK(ok, op, ": The expanded size of the tensor (", target[bad],
             ") must match the existing size (", t.sizes()[m - 1 - (n - 1 - bad)],
             ") at non-singleton dimension ", bad, ".  Target sizes: ", shape_str(target),
             ".  Tensor sizes: ", shape_str(t.sizes()));
}

void check_rnn(const char* op, const char* cell, int64_t gates, const Tensor& input,
               const std::vector<const Tensor*>& hidden, const Tensor& w_ih, const Tensor& w_hh,
               const Tensor& b_ih, const Tensor& b_hh) {
  KILN_CHECK(input.dim() == 1 || input.dim() == 2, op, ": ", cell,
             ": Expected input to be 1-D or 2-D but received ", input.dim(), "-D tensor");
  KILN_CHECK(w_ih.dim() == 2 && w_hh.dim() == 2, op, ": w_ih and w_hh must be 2-D, got ",
             w_ih.dim(), "-D and ", w_hh.dim(), "-D");
  KILN_CHECK(input.size(-1) == w_ih.size(1), op, ": input has inconsistent input_size: got ",
             input.size(-1), " expected ", w_ih.size(1));
  const int64_t h = w_hh.size(1);
  for (size_t i = 0; i < hidden.size(); ++i) {
    const Tensor& hx = *hidden[i];
    KILN_CHECK(hx.dim() == input.dim(), op, ": ", cell, ": Expected hidden[", i, "] to be ",
               input.dim(), "-D for a ", input.dim(), "-D input, but got ", hx.dim(), "-D");
    if (input.dim() == 2) {
      KILN_CHECK(input.size(0) == hx.size(0), op, ": Input batch size ", input.size(0),
                 " doesn't match hidden", i, " batch size ", hx.size(0));
    }
    KILN_CHECK(hx.size(-1) == h, op, ": hidden", i, " has inconsistent hidden_size: got ",
               hx.size(-1), ", expected ", h);
  }
  KILN_CHECK(w_ih.size(0) == gates * h && w_hh.size(0) == gates * h, op,
             ": w_ih and w_hh must have ", gates, " * hidden_size = ", gates * h,
             " rows, got ", w_ih.size(0), " and ", w_hh.size(0));
  for (const Tensor* b : {&b_ih, &b_hh}) {
    if (!b->defined()) continue;
    KILN_CHECK(b->dim() == 1 && b->size(0) == gates * h, op, ": ",
               b == &b_ih ? "b_ih" : "b_hh", " must have shape [", gates * h, "], got ",
               shape_str(b->sizes()));
  }
}

}  // namespace

DType seq_dtype(const char* op, const Tensor& a, const Tensor& b) {
  return same_dtype(op, {&a, &b});
}
DType seq_dtype(const char* op, const Tensor& a, const Tensor& b, const Tensor& c) {
  return same_dtype(op, {&a, &b, &c});
}
DType seq_dtype(const char* op, const Tensor& a, const Tensor& b, const Tensor& c,
                const Tensor& d) {
  return same_dtype(op, {&a, &b, &c, &d});
}

Shape linear(const char* op, const Tensor& input, const Tensor& weight, const Tensor& bias) {
  KILN_CHECK(input.dim() >= 1, op,
             ": both arguments to matmul need to be at least 1D, but they are 0D and ",
             weight.dim(), "D");
  KILN_CHECK(weight.dim() == 2, op, ": weight must be 2-D, got ", weight.dim(), "-D");
  const int64_t in = input.size(-1);
  KILN_CHECK(in == weight.size(1), op, ": mat1 and mat2 shapes cannot be multiplied (",
             input.numel() / (in == 0 ? 1 : in), "x", in, " and ", weight.size(1), "x",
             weight.size(0), ")");
  Shape out(input.sizes().begin(), input.sizes().end() - 1);
  out.push_back(weight.size(0));
  if (bias.defined()) check_expands(op, bias, out);
  return out;
}

Shape linear_bias_grad(const char* op, const Tensor& self, const Tensor& grad_output,
                       const Tensor& weight) {
  const Shape fwd = linear(op, self, weight, Tensor());
  KILN_CHECK(grad_output.sizes() == fwd, op, ": grad_output has shape ", shape_str(grad_output.sizes()),
             ", expected ", shape_str(fwd));
  return {weight.size(0)};
}

Shape bilinear(const char* op, const Tensor& input1, const Tensor& input2, const Tensor& weight,
               const Tensor& bias) {
  KILN_CHECK(input1.dim() == input2.dim(), op, ": bilinear(): input dimensions do not match: got ",
             input1.dim(), " and ", input2.dim());
  KILN_CHECK(input1.dim() >= 1, op, ": bilinear(): inputs must be at least 1-D");
  for (int64_t i = 0; i + 1 < input1.dim(); ++i) {
    KILN_CHECK(input1.sizes()[i] == input2.sizes()[i], op,
               ": bilinear(): input batch dimensions do not match at dim ", i, ": got ",
               input1.sizes()[i], " and ", input2.sizes()[i]);
  }
  KILN_CHECK(weight.dim() == 3, op, ": bilinear(): weight must be 3-D, got ", weight.dim(), "-D");
  KILN_CHECK(input1.size(-1) == weight.size(1), op,
             ": bilinear(): input1 size does not match weight size: got ", input1.size(-1),
             " but expected ", weight.size(1));
  KILN_CHECK(input2.size(-1) == weight.size(2), op,
             ": bilinear(): input2 size does not match weight size: got ", input2.size(-1),
             " but expected ", weight.size(2));
  if (bias.defined()) {
    KILN_CHECK(bias.dim() == 1 && bias.size(0) == weight.size(0), op,
               ": bilinear(): bias size does not match weight size: got ",
               bias.dim() == 0 ? 1 : bias.size(-1), " but expected ", weight.size(0));
  }
  Shape out(input1.sizes().begin(), input1.sizes().end() - 1);
  out.push_back(weight.size(0));
  return out;
}

DType sdpa_dtype(const char* op, const Tensor& query, const Tensor& key, const Tensor& value,
                 const Tensor& attn_mask, bool is_causal) {
  KILN_CHECK(query.dtype() == key.dtype() && query.dtype() == value.dtype(), op,
             ": Expected query, key, and value to have the same dtype, but got query.dtype: ",
             torch_type_name(query.dtype()), " key.dtype: ", torch_type_name(key.dtype()),
             " and value.dtype: ", torch_type_name(value.dtype()), " instead.");
  if (attn_mask.defined()) {
    KILN_CHECK(attn_mask.dtype() == DType::kBool || attn_mask.dtype() == query.dtype(), op,
               ": Expected attn_mask dtype to be bool or to match query dtype, but got ",
               torch_type_name(attn_mask.dtype()));
    KILN_CHECK(!is_causal, op, ": Explicit attn_mask should not be set when is_causal=True");
  }
  return query.dtype();
}

Shape sdpa_attn(const char* op, const Tensor& query, const Tensor& key, const Tensor& value,
                const Tensor& attn_mask) {
  KILN_CHECK(query.dim() >= 2 && key.dim() >= 2 && value.dim() >= 2, op,
             ": query, key and value must be at least 2-D, got ", query.dim(), "-D, ", key.dim(),
             "-D and ", value.dim(), "-D");
  KILN_CHECK(query.size(-1) == key.size(-1), op,
             ": query and key must have the same embedding size, got ", query.size(-1), " and ",
             key.size(-1));
  KILN_CHECK(key.size(-2) == value.size(-2), op,
             ": key and value must have the same sequence length, got ", key.size(-2), " and ",
             value.size(-2));
  Shape s = broadcast_shapes(op, broadcast_shapes(op, batch_of(query), batch_of(key)),
                             batch_of(value));
  s.push_back(query.size(-2));
  s.push_back(key.size(-2));
  if (attn_mask.defined()) {
    const Shape m = broadcast_shapes(op, s, attn_mask.sizes());
    KILN_CHECK(m[m.size() - 2] == s[s.size() - 2] && m.back() == s.back(), op,
               ": attn_mask of shape ", shape_str(attn_mask.sizes()), " does not broadcast to (L, S) = (",
               s[s.size() - 2], ", ", s.back(), ")");
    s = m;
  }
  return s;
}

Shape sdpa(const char* op, const Tensor& query, const Tensor& key, const Tensor& value,
           const Tensor& attn_mask, double dropout_p) {
  KILN_CHECK(dropout_p >= 0 && dropout_p <= 1, op,
             ": dropout probability has to be between 0 and 1, but got ", dropout_p);
  Shape s = sdpa_attn(op, query, key, value, attn_mask);
  s.back() = value.size(-1);
  return s;
}

Shape sdpa_grad(const char* op, const Tensor& grad_output, const Tensor& t) {
  KILN_CHECK(grad_output.dim() >= 2 && t.dim() >= 2, op, ": expected at least 2-D tensors");
  Shape s = batch_of(grad_output);
  s.push_back(t.size(-2));
  s.push_back(t.size(-1));
  return s;
}

DType rnn_cell_dtype(const char* op, const Tensor& input, const std::vector<Tensor>& hx,
                     const Tensor& w_ih, const Tensor& w_hh, const Tensor& b_ih,
                     const Tensor& b_hh) {
  KILN_CHECK(hx.size() == 2, op, ": lstm_cell expects two hidden states");
  return same_dtype(op, {&input, &hx[0], &hx[1], &w_ih, &w_hh, &b_ih, &b_hh});
}

DType rnn_cell_dtype(const char* op, const Tensor& input, const Tensor& hx, const Tensor& w_ih,
                     const Tensor& w_hh, const Tensor& b_ih, const Tensor& b_hh) {
  return same_dtype(op, {&input, &hx, &w_ih, &w_hh, &b_ih, &b_hh});
}

Shape lstm_cell(const char* op, const Tensor& input, const std::vector<Tensor>& hx,
                const Tensor& w_ih, const Tensor& w_hh, const Tensor& b_ih, const Tensor& b_hh) {
  KILN_CHECK(hx.size() == 2, op, ": lstm_cell expects two hidden states");
  check_rnn(op, "LSTMCell", 4, input, {&hx[0], &hx[1]}, w_ih, w_hh, b_ih, b_hh);
  return hx[0].sizes();
}

Shape gru_cell(const char* op, const Tensor& input, const Tensor& hx, const Tensor& w_ih,
               const Tensor& w_hh, const Tensor& b_ih, const Tensor& b_hh) {
  check_rnn(op, "GRUCell", 3, input, {&hx}, w_ih, w_hh, b_ih, b_hh);
  return hx.sizes();
}

Shape lstm_gates(const char* op, const Tensor& gates, const Tensor& cx) {
  KILN_CHECK(gates.dim() == 2 && cx.dim() == 2 && gates.size(0) == cx.size(0) &&
                 gates.size(1) == 4 * cx.size(1),
             op, ": expected gates (B, 4H) and cx (B, H), got ", shape_str(gates.sizes()),
             " and ", shape_str(cx.sizes()));
  return cx.sizes();
}

Shape gru_gates(const char* op, const Tensor& igates, const Tensor& hgates, const Tensor& hx) {
  KILN_CHECK(igates.dim() == 2 && hx.dim() == 2 && igates.sizes() == hgates.sizes() &&
                 igates.size(0) == hx.size(0) && igates.size(1) == 3 * hx.size(1),
             op, ": expected igates and hgates (B, 3H) and hx (B, H), got ",
             shape_str(igates.sizes()), ", ", shape_str(hgates.sizes()), " and ",
             shape_str(hx.sizes()));
  return hx.sizes();
}

}  // namespace kiln::rules
