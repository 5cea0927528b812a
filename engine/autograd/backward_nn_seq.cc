// The nn_seq family's gradient formulas (table/nn_seq.yaml): each calls its fused backward op
// once and hands back only the gradients the graph asked for.
#include "engine/autograd/backward_helpers.h"
#include "engine/autograd/functions.h"

namespace kiln {

namespace {

template <size_t N>
std::vector<Tensor> masked(std::vector<Tensor> gs, const std::array<bool, N>& mask) {
  for (size_t i = 0; i < N && i < gs.size(); ++i) {
    if (!mask[i]) gs[i] = Tensor();
  }
  return gs;
}

}  // namespace

std::vector<Tensor> linear_backward_grads(const Tensor& grad, const Tensor& input,
                                          const Tensor& weight, const std::array<bool, 3>& mask) {
  auto [gi, gw, gb] = linear_backward(input, grad, weight, mask[0], mask[1], mask[2]);
  return masked<3>({gi, gw, gb}, mask);
}

std::vector<Tensor> sdpa_backward_grads(const Tensor& grad, const Tensor& query,
                                        const Tensor& key, const Tensor& value,
                                        const Tensor& attn, double dropout_p,
                                        const std::array<bool, 3>& mask) {
  auto [gq, gk, gv] = _scaled_dot_product_attention_backward(grad, query, key, value, attn,
                                                             dropout_p);
  return masked<3>({gq, gk, gv}, mask);
}

std::vector<Tensor> lstm_gates_backward_grads(const Tensor& grad_hy, const Tensor& grad_cy,
                                              const Tensor& gates, const Tensor& cx,
                                              const Tensor& cy, const std::array<bool, 2>& mask) {
  auto [gg, gc] = _lstm_cell_gates_backward(grad_hy, grad_cy, gates, cx, cy);
  return masked<2>({gg, gc}, mask);
}

std::vector<Tensor> gru_gates_backward_grads(const Tensor& grad, const Tensor& igates,
                                             const Tensor& hgates, const Tensor& hx,
                                             const std::array<bool, 3>& mask) {
  auto [gi, gh, gx] = _gru_cell_gates_backward(grad, igates, hgates, hx);
  return masked<3>({gi, gh, gx}, mask);
}

}  // namespace kiln
