// The pointwise losses (table/nn_loss.yaml, impl: composite), written over binary ops and
// sum so their gradients come from those ops. |d| is maximum(d, -d): its tie at d = 0 splits
// the gradient into +1/2 and -1/2, which gives PyTorch's sign(0) = 0.
#include <cmath>

#include "engine/autograd/functions.h"
#include "engine/autograd/operators.h"
#include "engine/ops/rules.h"

namespace kiln {

namespace {

Tensor absolute(const Tensor& d) { return maximum(d, neg(d)); }

Tensor reduce_loss(const Tensor& l, const std::string& reduction) {
  if (reduction == "none") return l;
  const Tensor s = sum(l);
  if (reduction == "sum") return s;
  return s / Scalar(double(l.numel()));  // an empty mean is NaN, as in PyTorch
}

Tensor constant(double v, const Tensor& like) { return scalar_tensor(Scalar(v), like.dtype(), like.device()); }

// log(x), as xlogy(1, x) (log is another family's op), clamped below at -100 as PyTorch's
// binary_cross_entropy does.
Tensor clamped_log(const Tensor& x) {
  return maximum(xlogy(ones_like(x), x), constant(-100.0, x));
}

void check_pointwise(const char* op, const Tensor& input, const Tensor& target) {
  rules::check_defined(op, input, "input");
  rules::check_defined(op, target, "target");
  rules::loss_dtype(op, input, target);
}

}  // namespace

Tensor mse_loss(const Tensor& input, const Tensor& target, const std::string& reduction) {
  check_pointwise("mse_loss", input, target);
  rules::pointwise_loss("mse_loss", input, target, reduction);
  const Tensor d = input - target;
  return reduce_loss(d * d, reduction);
}

Tensor l1_loss(const Tensor& input, const Tensor& target, const std::string& reduction) {
  check_pointwise("l1_loss", input, target);
  rules::pointwise_loss("l1_loss", input, target, reduction);
  return reduce_loss(absolute(input - target), reduction);
}

Tensor smooth_l1_loss(const Tensor& input, const Tensor& target, const std::string& reduction,
                      double beta) {
  check_pointwise("smooth_l1_loss", input, target);
  rules::smooth_l1_loss("smooth_l1_loss", input, target, reduction, beta);
  const Tensor d = input - target;
  const Tensor ad = absolute(d);
  if (beta == 0) return reduce_loss(ad, reduction);
  const Tensor l = where(lt(ad, constant(beta, ad)), d * d * Scalar(0.5 / beta), ad - Scalar(0.5 * beta));
  return reduce_loss(l, reduction);
}

Tensor huber_loss(const Tensor& input, const Tensor& target, const std::string& reduction,
                  double delta) {
  check_pointwise("huber_loss", input, target);
  rules::huber_loss("huber_loss", input, target, reduction, delta);
  const Tensor d = input - target;
  const Tensor ad = absolute(d);
  const Tensor l = where(lt(ad, constant(delta, ad)), d * d * Scalar(0.5),
                         (ad - Scalar(0.5 * delta)) * Scalar(delta));
  return reduce_loss(l, reduction);
}

Tensor binary_cross_entropy(const Tensor& input, const Tensor& target, const Tensor& weight,
                            const std::string& reduction) {
  check_pointwise("binary_cross_entropy", input, target);
  rules::binary_cross_entropy("binary_cross_entropy", input, target, weight, reduction);
  {
    const Tensor x = contiguous(to(input.detach(), kCPU, DType::kFloat64, false));
    const double* p = x.data_ptr<double>();
    for (int64_t i = 0; i < x.numel(); ++i) {
      KILN_CHECK(p[i] >= 0 && p[i] <= 1, "binary_cross_entropy: all elements of input should be "
                                         "between 0 and 1");
    }
  }
  Tensor l = neg(target * clamped_log(input) + (Scalar(1) - target) * clamped_log(Scalar(1) - input));
  if (weight.defined()) l = l * weight;
  return reduce_loss(l, reduction);
}

// (1 - t) x + lw softplus(-x), lw = 1 + (pos_weight - 1) t, with
// softplus(-x) = log(1 + exp(-|x|)) + max(-x, 0) so that exp never overflows.
Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target,
                                        const Tensor& weight, const std::string& reduction,
                                        const Tensor& pos_weight) {
  check_pointwise("binary_cross_entropy_with_logits", input, target);
  rules::binary_cross_entropy_with_logits("binary_cross_entropy_with_logits", input, target,
                                          weight, reduction, pos_weight);
  const Tensor one = ones_like(input);
  const Tensor sp = xlogy(one, one + exp(neg(absolute(input)))) +
                    maximum(neg(input), constant(0.0, input));
  Tensor l = (Scalar(1) - target) * input;
  if (pos_weight.defined()) {
    l = l + (Scalar(1) + (pos_weight - Scalar(1)) * target) * sp;
  } else {
    l = l + sp;
  }
  if (weight.defined()) l = l * weight;
  return reduce_loss(l, reduction);
}

Tensor kl_div(const Tensor& input, const Tensor& target, const std::string& reduction,
              bool log_target) {
  check_pointwise("kl_div", input, target);
  rules::kl_div("kl_div", input, target, reduction);
  const Tensor l = log_target ? exp(target) * (target - input) : xlogy(target, target) - target * input;
  if (reduction == "batchmean") {
    const Tensor s = sum(l);
    return input.dim() == 0 ? s : s / Scalar(double(input.sizes()[0]));
  }
  return reduce_loss(l, reduction);
}

}  // namespace kiln
