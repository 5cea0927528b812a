// Shape and dtype checks of the nn_norm and nn_loss families (table/nn_norm.yaml,
// table/nn_loss.yaml). Messages are PyTorch's, prefixed with the op name; everything here
// runs before an output is allocated. Twins: clients/python/kiln/_rules.py (nn_norm section).
#include <algorithm>
#include <sstream>

#include "engine/ops/rules.h"

namespace kiln::rules {

namespace {

// PyTorch's repr of a size in Python-level messages: torch.Size([2, 3]).
std::string torch_size(IntList s) {
  std::ostringstream os;
  os << "torch.Size(" << shape_str(s) << ")";
  return os.str();
}

void check_reduction(const char* op, const std::string& reduction, bool batchmean = false) {
  KILN_CHECK_VALUE(reduction == "none" || reduction == "mean" || reduction == "sum" ||
                       (batchmean && reduction == "batchmean"),
                   op, ": ", reduction, " is not a valid value for reduction");
}

// A per-channel parameter (weight, bias, running stats) of C elements.
void check_per_channel(const char* op, const Tensor& t, const char* name, int64_t c) {
  if (!t.defined()) return;
  KILN_CHECK(t.numel() == c, op, ": ", name, " should contain ", c, " elements not ", t.numel());
}

}  // namespace

Shape softmax(const char* op, const Tensor& self, int64_t dim) {
  wrap_dim(dim, self.dim());
  return self.sizes();
}

Shape softmax_backward(const char* op, const Tensor& grad_output, const Tensor& output,
                       int64_t dim) {
  KILN_CHECK(grad_output.sizes() == output.sizes(), op, ": grad_output of shape ",
             shape_str(grad_output.sizes()), " does not match output of shape ", shape_str(output.sizes()));
  wrap_dim(dim, output.dim());
  return output.sizes();
}

Shape layer_norm(const char* op, const Tensor& input, IntList normalized_shape,
                 const Tensor& weight, const Tensor& bias) {
  KILN_CHECK(!normalized_shape.empty(), op,
             ": Expected normalized_shape to be at least 1-dimensional, i.e., containing at least "
             "one element, but got normalized_shape = ", shape_str(normalized_shape));
  KILN_CHECK(!weight.defined() || IntList(weight.sizes()) == normalized_shape, op,
             ": Expected weight to be of same shape as normalized_shape, but got weight of shape ",
             shape_str(weight.defined() ? weight.sizes() : Shape{}), " and normalized_shape = ",
             shape_str(normalized_shape));
  KILN_CHECK(!bias.defined() || IntList(bias.sizes()) == normalized_shape, op,
             ": Expected bias to be of same shape as normalized_shape, but got bias of shape ",
             shape_str(bias.defined() ? bias.sizes() : Shape{}), " and normalized_shape = ",
             shape_str(normalized_shape));
  const int64_t nd = input.dim(), k = static_cast<int64_t>(normalized_shape.size());
  bool ok = nd >= k;
  for (int64_t i = 0; ok && i < k; ++i) ok = input.sizes()[nd - k + i] == normalized_shape[i];
  KILN_CHECK(ok, op, ": Given normalized_shape=", shape_str(normalized_shape),
             ", expected input with shape [*", [&] {
               std::ostringstream os;
               for (int64_t s : normalized_shape) os << ", " << s;
               return os.str();
             }(), "], but got input of size", shape_str(input.sizes()));
  return input.sizes();
}

Shape layer_norm_stats(const char* op, const Tensor& input, IntList normalized_shape) {
  Shape s = input.sizes();
  const size_t k = normalized_shape.size();
  for (size_t i = s.size() - std::min(k, s.size()); i < s.size(); ++i) s[i] = 1;
  return s;
}

Shape shape_or_empty(const char*, const Tensor& t) { return t.defined() ? t.sizes() : Shape{0}; }

Shape batch_norm(const char* op, const Tensor& input, const Tensor& weight, const Tensor& bias,
                 const Tensor& running_mean, const Tensor& running_var, bool training) {
  KILN_CHECK(input.dim() >= 2, op, ": expected an input of at least 2 dims (N, C, ...), got ",
             input.dim(), "-d input of size ", shape_str(input.sizes()));
  const int64_t c = input.sizes()[1];
  check_per_channel(op, weight, "weight", c);
  check_per_channel(op, bias, "bias", c);
  check_per_channel(op, running_mean, "running_mean", c);
  check_per_channel(op, running_var, "running_var", c);
  KILN_CHECK(training || (running_mean.defined() && running_var.defined()), op,
             ": running_mean and running_var must be defined in evaluation mode");
  for (const Tensor* t : {&running_mean, &running_var}) {
    KILN_CHECK_TYPE(!t->defined() || is_floating(t->dtype()), op,
                    ": running statistics must be floating point, got ", t->dtype());
  }
  if (training) {
    const int64_t per_channel = input.numel() / std::max<int64_t>(c, 1);
    KILN_CHECK_VALUE(per_channel != 1, op,
                     ": Expected more than 1 value per channel when training, got input size ",
                     torch_size(input.sizes()));
  }
  return input.sizes();
}

Shape batch_norm_stats(const char*, const Tensor& input, bool training) {
  return Shape{training ? input.sizes()[1] : 0};
}

Shape channels(const char* op, const Tensor& input) {
  KILN_CHECK(input.dim() >= 2, op, ": expected an input of at least 2 dims (N, C, ...)");
  return Shape{input.sizes()[1]};
}

Shape group_norm_native(const char* op, const Tensor& input, const Tensor& weight,
                        const Tensor& bias, int64_t n, int64_t c, int64_t hxw, int64_t group) {
  KILN_CHECK(n >= 0 && c >= 0 && hxw >= 0 && group > 0 && input.numel() == n * c * hxw, op,
             ": input of size ", shape_str(input.sizes()), " is not N=", n, " x C=", c, " x HxW=", hxw);
  KILN_CHECK(c % group == 0, op, ": Expected number of channels in input to be divisible by ",
             "num_groups, but got input of shape ", shape_str(input.sizes()), " and num_groups=", group);
  check_per_channel(op, weight, "weight", c);
  check_per_channel(op, bias, "bias", c);
  return input.sizes();
}

Shape group_norm(const char* op, const Tensor& input, int64_t num_groups, const Tensor& weight,
                 const Tensor& bias) {
  KILN_CHECK(input.dim() >= 2, op,
             ": Expected at least 2 dimensions for input tensor but received ", input.dim());
  const int64_t c = input.sizes()[1];
  KILN_CHECK(num_groups > 0 && c % num_groups == 0, op,
             ": Expected number of channels in input to be divisible by num_groups, but got input "
             "of shape ", shape_str(input.sizes()), " and num_groups=", num_groups);
  for (const Tensor* t : {&weight, &bias}) {
    KILN_CHECK(!t->defined() || (t->dim() == 1 && t->numel() == c), op, ": Expected ",
               t == &weight ? "weight" : "bias",
               " to be a vector of size equal to the number of channels in input, but got ",
               t == &weight ? "weight" : "bias", " of shape ", shape_str(t->defined() ? t->sizes() : Shape{}),
               " and input of shape ", shape_str(input.sizes()));
  }
  return input.sizes();
}

Shape embedding(const char* op, const Tensor& weight, const Tensor& indices, int64_t padding_idx,
                bool sparse) {
  KILN_CHECK(weight.dim() == 2, op, ": 'weight' must be 2-D");
  KILN_CHECK_TYPE(indices.dtype() == DType::kInt64 || indices.dtype() == DType::kInt32, op,
                  ": Expected tensor for argument #1 'indices' to have one of the following scalar "
                  "types: Long, Int; but got ", torch_type_name(indices.dtype()), " instead");
  KILN_CHECK_NOT_IMPLEMENTED(!sparse, op, ": sparse gradients are not supported");
  (void)padding_idx;
  Shape s = indices.sizes();
  s.push_back(weight.sizes()[1]);
  return s;
}

Shape embedding_backward(const char* op, const Tensor& grad_output, const Tensor& indices,
                         int64_t num_weights) {
  KILN_CHECK_TYPE(indices.dtype() == DType::kInt64 || indices.dtype() == DType::kInt32, op,
                  ": indices must be Long or Int, got ", torch_type_name(indices.dtype()));
  KILN_CHECK(num_weights >= 0, op, ": num_weights must be non-negative, got ", num_weights);
  KILN_CHECK(grad_output.dim() == indices.dim() + 1 &&
                 IntList(grad_output.sizes().data(), indices.sizes().size()) ==
                     IntList(indices.sizes()),
             op, ": grad_output of size ", shape_str(grad_output.sizes()), " does not match indices of size ",
             shape_str(indices.sizes()), " plus an embedding dim");
  return Shape{num_weights, grad_output.sizes().back()};
}

Shape dropout(const char* op, const Tensor& input, double p) {
  KILN_CHECK_VALUE(p >= 0 && p <= 1, op, ": dropout probability has to be between 0 and 1, but got ",
                   p);
  return input.sizes();
}

Shape dropout_backward(const char* op, const Tensor& grad_output, const Tensor& mask) {
  KILN_CHECK_TYPE(mask.dtype() == DType::kBool, op, ": Mask should be Bool Scalar Type ",
                  mask.dtype());
  KILN_CHECK(grad_output.sizes() == mask.sizes(), op, ": grad_output of size ", shape_str(grad_output.sizes()),
             " does not match mask of size ", shape_str(mask.sizes()));
  return grad_output.sizes();
}

// ---- nn_loss ----

Shape nll_loss(const char* op, const Tensor& input, const Tensor& target, const Tensor& weight,
               const std::string& reduction) {
  check_reduction(op, reduction);
  KILN_CHECK(input.dim() >= 1, op, ": input tensor should be 1D or more, got 0D");
  KILN_CHECK_TYPE(target.dtype() == DType::kInt64, op, ": expected scalar type Long but found ",
                  torch_type_name(target.dtype()));
  if (input.dim() == 1) {
    KILN_CHECK(target.dim() == 0, op, ": 0D target tensor expected for a 1D input, got ",
               target.dim(), "D");
  } else if (input.dim() == 2) {
    KILN_CHECK(target.dim() <= 1, op, ": 0D or 1D target tensor expected, multi-target not supported");
  }
  if (input.dim() >= 2) {
    KILN_CHECK(target.dim() >= 1 && input.sizes()[0] == target.sizes()[0], op,
               ": Expected input batch_size (", input.sizes()[0], ") to match target batch_size (",
               target.dim() >= 1 ? target.sizes()[0] : 0, ").");
    Shape want = input.sizes();
    want.erase(want.begin() + 1);
    KILN_CHECK(target.sizes() == want, op, ": Expected target size ", shape_str(want), ", got ",
               shape_str(target.sizes()));
  }
  const int64_t c = input.dim() == 1 ? input.sizes()[0] : input.sizes()[1];
  KILN_CHECK(!weight.defined() || weight.numel() == c, op,
             ": weight tensor should be defined either for all ", c,
             " classes or no classes but got weight tensor of shape: ",
             shape_str(weight.defined() ? weight.sizes() : Shape{}));
  return reduction == "none" ? target.sizes() : Shape{};
}

Shape cross_entropy(const char* op, const Tensor& input, const Tensor& target,
                    const Tensor& weight, const std::string& reduction, double label_smoothing) {
  KILN_CHECK(label_smoothing >= 0 && label_smoothing <= 1, op,
             ": label_smoothing must be between 0.0 and 1.0. Got: ", label_smoothing);
  if (is_floating(target.dtype()) && input.sizes() == target.sizes()) {
    check_reduction(op, reduction);
    KILN_CHECK(input.dim() >= 1, op, ": input tensor should be 1D or more, got 0D");
    const int64_t c = input.dim() == 1 ? input.sizes()[0] : input.sizes()[1];
    KILN_CHECK(!weight.defined() || weight.numel() == c, op,
               ": weight tensor should be defined either for all ", c,
               " classes or no classes but got weight tensor of shape: ", shape_str(weight.sizes()));
    if (reduction != "none") return {};
    Shape s = input.sizes();
    s.erase(s.begin() + (input.dim() == 1 ? 0 : 1));
    return s;
  }
  return nll_loss(op, input, target, weight, reduction);
}

DType loss_dtype(const char* op, const Tensor& input, const Tensor& target) {
  const DType d = promote(op, input, target);
  KILN_CHECK_TYPE(is_floating(d), op, ": expected floating point input and target, got ",
                  input.dtype(), " and ", target.dtype());
  return d;
}

Shape pointwise_loss(const char* op, const Tensor& input, const Tensor& target,
                     const std::string& reduction) {
  check_reduction(op, reduction);
  const Shape s = broadcast(op, input, target);
  return reduction == "none" ? s : Shape{};
}

Shape smooth_l1_loss(const char* op, const Tensor& input, const Tensor& target,
                     const std::string& reduction, double beta) {
  KILN_CHECK(beta >= 0, op, ": smooth_l1_loss does not support negative values for beta.");
  return pointwise_loss(op, input, target, reduction);
}

Shape huber_loss(const char* op, const Tensor& input, const Tensor& target,
                 const std::string& reduction, double delta) {
  KILN_CHECK(delta > 0, op, ": huber_loss does not support non-positive values for delta.");
  return pointwise_loss(op, input, target, reduction);
}

Shape binary_cross_entropy(const char* op, const Tensor& input, const Tensor& target,
                           const Tensor& weight, const std::string& reduction) {
  KILN_CHECK_VALUE(target.sizes() == input.sizes(), op, ": Using a target size (",
                   torch_size(target.sizes()), ") that is different to the input size (",
                   torch_size(input.sizes()), ") is deprecated. Please ensure they have the same size.");
  if (weight.defined()) {
    KILN_CHECK(broadcast(op, input, weight) == input.sizes(), op, ": weight of size ",
               shape_str(weight.sizes()), " does not broadcast to the input size ", shape_str(input.sizes()));
  }
  return pointwise_loss(op, input, target, reduction);
}

Shape binary_cross_entropy_with_logits(const char* op, const Tensor& input, const Tensor& target,
                                       const Tensor& weight, const std::string& reduction,
                                       const Tensor& pos_weight) {
  KILN_CHECK_VALUE(target.sizes() == input.sizes(), op, ": Target size (",
                   torch_size(target.sizes()), ") must be the same as input size (",
                   torch_size(input.sizes()), ")");
  for (const Tensor* t : {&weight, &pos_weight}) {
    if (t->defined()) {
      KILN_CHECK(broadcast(op, input, *t) == input.sizes(), op, ": ",
                 t == &weight ? "weight" : "pos_weight", " of size ", shape_str(t->sizes()),
                 " does not broadcast to the input size ", shape_str(input.sizes()));
    }
  }
  return pointwise_loss(op, input, target, reduction);
}

Shape kl_div(const char* op, const Tensor& input, const Tensor& target,
             const std::string& reduction) {
  check_reduction(op, reduction, true);
  const Shape s = broadcast(op, input, target);
  return reduction == "none" ? s : Shape{};
}

}  // namespace kiln::rules
