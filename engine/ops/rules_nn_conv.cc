// Shape and dtype checks of convolution and pooling (table/nn_conv.yaml). Every size is
// checked here, before the op allocates anything. Messages are PyTorch's, after the op name.
// The Python twins (clients/python/kiln/_rules.py, nn_conv section) say the same words.
#include <string>

#include "engine/ops/rules.h"

namespace kiln::rules {

namespace {

std::string list_str(const std::vector<int64_t>& v, const char* sep = ", ") {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? sep : "") + std::to_string(v[i]);
  return s;
}

// A per-dim argument given once (applies to every dim) or once per dim.
std::vector<int64_t> per_dim(const char* op, const char* name, IntList v, int64_t k) {
  KILN_CHECK(int64_t(v.size()) == 1 || int64_t(v.size()) == k, op, ": expected ", name,
             " to be a single integer value or a list of ", k,
             " values to match the convolution dimensions, but got ", name, "=",
             shape_str(Shape(v.begin(), v.end())));
  if (v.size() == 1) return std::vector<int64_t>(k, v[0]);
  return std::vector<int64_t>(v.begin(), v.end());
}

bool any_below(const std::vector<int64_t>& v, int64_t lo) {
  for (int64_t x : v) {
    if (x < lo) return true;
  }
  return false;
}

// The checks PyTorch's convolution makes, and the output shape of a batched input.
Shape conv_check(const char* op, const Shape& in, const Shape& w, const Tensor* bias,
                 IntList stride_, IntList padding_, IntList dilation_, bool transposed,
                 IntList output_padding_, int64_t groups) {
  const int64_t nd = int64_t(in.size());
  KILN_CHECK(nd == 3 || nd == 4, op, ": expected a batched input with 1 or 2 spatial dims, but got input of size: ",
             shape_str(in));
  KILN_CHECK(int64_t(w.size()) == nd, op, ": Expected ", nd, "-dimensional input for ", nd,
             "-dimensional weight ", shape_str(w), ", but got ", w.size(),
             "-dimensional weight instead");
  const int64_t k = nd - 2;
  const auto stride = per_dim(op, "stride", stride_, k);
  const auto padding = per_dim(op, "padding", padding_, k);
  const auto dilation = per_dim(op, "dilation", dilation_, k);
  const auto output_padding = per_dim(op, "output_padding", output_padding_, k);
  KILN_CHECK(!any_below(stride, 1), op, ": non-positive stride is not supported");
  KILN_CHECK(!any_below(padding, 0), op, ": negative padding is not supported");
  KILN_CHECK(!any_below(output_padding, 0), op, ": negative output_padding is not supported");
  KILN_CHECK(!any_below(dilation, 1), op, ": non-positive dilation is not supported");
  KILN_CHECK(groups > 0, op, ": non-positive groups is not supported");
  KILN_CHECK(w[0] > 0, op, ": Given groups=", groups, ", expected weight to be at least 1 at dimension 0, but got weight of size ",
             shape_str(w), " instead");
  KILN_CHECK(w[0] % groups == 0, op, ": Given groups=", groups, ", expected weight to be divisible by ", groups,
             " at dimension 0, but got weight of size [", shape_str(w), "] instead");
  const int64_t c_out = transposed ? w[1] * groups : w[0];
  if (!transposed) {
    KILN_CHECK(in[1] == w[1] * groups, op, ": Given groups=", groups, ", weight of size ", shape_str(w),
               ", expected input", shape_str(in), " to have ", w[1] * groups,
               " channels, but got ", in[1], " channels instead");
  } else {
    KILN_CHECK(in[1] == w[0], op, ": Given transposed=1, weight of size ", shape_str(w),
               ", expected input", shape_str(in), " to have ", w[0], " channels, but got ", in[1],
               " channels instead");
  }
  if (bias && bias->defined()) {
    KILN_CHECK(bias->dim() == 1 && bias->sizes()[0] == c_out, op, ": Given ",
               transposed ? "transposed=1, " : "", "weight of size ", shape_str(w),
               ", expected bias to be 1-dimensional with ", c_out,
               " elements, but got bias of size ", shape_str(bias->sizes()), " instead");
  }
  Shape out = {in[0], c_out};
  std::vector<int64_t> padded(k), kernel(k), outs(k), ins(k);
  for (int64_t d = 0; d < k; ++d) {
    const int64_t eff = dilation[d] * (w[2 + d] - 1) + 1;
    kernel[d] = eff;
    ins[d] = in[2 + d];
    if (!transposed) {
      padded[d] = in[2 + d] + 2 * padding[d];
      outs[d] = padded[d] >= eff ? (padded[d] - eff) / stride[d] + 1 : 0;
    } else {
      KILN_CHECK(output_padding[d] < stride[d] || output_padding[d] < dilation[d], op,
                 ": output padding must be smaller than either stride or dilation, but got output_padding=",
                 output_padding[d], " stride=", stride[d], " dilation=", dilation[d]);
      outs[d] = (in[2 + d] - 1) * stride[d] - 2 * padding[d] + eff + output_padding[d];
    }
  }
  if (!transposed) {
    bool fits = true;
    for (int64_t d = 0; d < k; ++d) fits = fits && padded[d] >= kernel[d];
    KILN_CHECK(fits, op, ": Calculated padded input size per channel: (", list_str(padded, " x "),
               "). Kernel size: (", list_str(kernel, " x "),
               "). Kernel size can't be greater than actual input size");
  } else {
    KILN_CHECK(!any_below(outs, 1), op, ": Given input size per channel: (", list_str(ins, " x "),
               "). Calculated output size per channel: (", list_str(outs, " x "),
               "). Output size is too small");
  }
  out.insert(out.end(), outs.begin(), outs.end());
  return out;
}

// conv1d / conv2d / conv_transpose2d: an unbatched input gains a batch dim of 1.
Shape with_batch(const char* op, const Tensor& input, const Tensor& weight, int64_t k) {
  KILN_CHECK(input.dim() == k + 1 || input.dim() == k + 2, op, ": Expected ", k + 1,
             "D (unbatched) or ", k + 2, "D (batched) input to ", op, ", but got input of size: ",
             shape_str(input.sizes()));
  KILN_CHECK(weight.dim() == k + 2, op, ": Expected ", k + 2, "-dimensional weight, but got weight of size ",
             shape_str(weight.sizes()));
  Shape in = input.sizes();
  if (input.dim() == k + 1) in.insert(in.begin(), 1);
  return in;
}

Shape drop_batch(const Tensor& input, int64_t k, Shape out) {
  if (input.dim() == k + 1) out.erase(out.begin());
  return out;
}

}  // namespace

DType conv_dtype(const char* op, const Tensor& input, const Tensor& weight, const Tensor& bias) {
  for (const Tensor* t : {&weight, &bias}) {
    if (!t->defined()) continue;
    KILN_CHECK(t->dtype() == input.dtype(), op, ": expected scalar type ",
               torch_type_name(input.dtype()), " but found ", torch_type_name(t->dtype()));
  }
  return input.dtype();
}

Shape conv_shape(const char* op, const Tensor& input, const Tensor& weight, const Tensor& bias,
                 IntList stride, IntList padding, IntList dilation, bool transposed,
                 IntList output_padding, int64_t groups) {
  return conv_check(op, input.sizes(), weight.sizes(), &bias, stride, padding, dilation,
                    transposed, output_padding, groups);
}

Shape conv_nd_shape(const char* op, const Tensor& input, const Tensor& weight, const Tensor& bias,
                    IntList stride, IntList padding, IntList dilation, int64_t groups, int64_t k) {
  const Shape in = with_batch(op, input, weight, k);
  return drop_batch(input, k,
                    conv_check(op, in, weight.sizes(), &bias, stride, padding, dilation, false,
                               Shape{0}, groups));
}

std::vector<int64_t> same_padding(const char* op, const Tensor& weight, IntList stride,
                                  const std::string& padding, IntList dilation, int64_t k) {
  KILN_CHECK(padding == "valid" || padding == "same", op, ": Invalid padding string: '", padding,
             "'");
  std::vector<int64_t> total(k, 0);
  if (padding == "valid") return total;
  const auto s = per_dim(op, "stride", stride, k);
  const auto d = per_dim(op, "dilation", dilation, k);
  KILN_CHECK(!any_below(s, 1), op, ": non-positive stride is not supported");
  for (int64_t i = 0; i < k; ++i) {
    KILN_CHECK(s[i] == 1, op, ": padding='same' is not supported for strided convolutions");
    total[i] = d[i] * (weight.dim() == k + 2 ? weight.sizes()[2 + i] - 1 : 0);
  }
  return total;
}

Shape conv_nd_str_shape(const char* op, const Tensor& input, const Tensor& weight,
                        const Tensor& bias, IntList stride, const std::string& padding,
                        IntList dilation, int64_t groups, int64_t k) {
  const Shape in = with_batch(op, input, weight, k);
  const auto total = same_padding(op, weight, stride, padding, dilation, k);
  // 'same' may pad one more on the right than on the left: check with the larger side.
  Shape pad;
  for (int64_t t : total) pad.push_back((t + 1) / 2);
  Shape out = conv_check(op, in, weight.sizes(), &bias, stride, pad, dilation, false, Shape{0},
                         groups);
  if (padding == "same") {
    for (int64_t i = 0; i < k; ++i) out[2 + i] = in[2 + i];
  }
  return drop_batch(input, k, out);
}

Shape conv_transpose_nd_shape(const char* op, const Tensor& input, const Tensor& weight,
                              const Tensor& bias, IntList stride, IntList padding,
                              IntList output_padding, int64_t groups, IntList dilation, int64_t k) {
  const Shape in = with_batch(op, input, weight, k);
  return drop_batch(input, k,
                    conv_check(op, in, weight.sizes(), &bias, stride, padding, dilation, true,
                               output_padding, groups));
}

Shape conv_backward_input_shape(const char* op, const Tensor& grad_output, const Tensor& input,
                                const Tensor& weight, IntList stride, IntList padding,
                                IntList dilation, bool transposed, IntList output_padding,
                                int64_t groups, IntList output_mask) {
  KILN_CHECK(output_mask.size() == 3, op, ": output_mask must have 3 entries, but got ",
             output_mask.size());
  const Shape out = conv_check(op, input.sizes(), weight.sizes(), nullptr, stride, padding,
                               dilation, transposed, output_padding, groups);
  KILN_CHECK(grad_output.sizes() == out, op, ": expected grad_output of size ", shape_str(out),
             ", but got ", shape_str(grad_output.sizes()));
  return output_mask[0] ? input.sizes() : Shape{0};
}

Shape conv_backward_weight_shape(const char*, const Tensor& weight, IntList output_mask) {
  return output_mask[1] ? weight.sizes() : Shape{0};
}

Shape conv_backward_bias_shape(const char*, const Tensor& weight,
                               const std::optional<Shape>& bias_sizes, bool transposed,
                               int64_t groups, IntList output_mask) {
  (void)bias_sizes;  // PyTorch takes it only to know a bias exists; the mask says so too
  return output_mask[2] ? Shape{transposed ? weight.sizes()[1] * groups : weight.sizes()[0]}
                        : Shape{0};
}

// ---- pooling ----

namespace {

struct Pool2d {
  int64_t kh, kw, sh, sw, ph, pw, dh, dw;
};

Pool2d pool_args(const char* op, IntList kernel_size, IntList stride, IntList padding,
                 IntList dilation) {
  KILN_CHECK(kernel_size.size() == 1 || kernel_size.size() == 2, op,
             ": kernel_size must either be a single int, or a tuple of two ints");
  KILN_CHECK(stride.size() <= 2, op,
             ": stride must either be omitted, a single int, or a tuple of two ints");
  KILN_CHECK(padding.size() == 1 || padding.size() == 2, op,
             ": padding must either be a single int, or a tuple of two ints");
  KILN_CHECK(dilation.size() == 1 || dilation.size() == 2, op,
             ": dilation must be either a single int, or a tuple of two ints");
  Pool2d p;
  p.kh = kernel_size[0];
  p.kw = kernel_size.size() == 2 ? kernel_size[1] : p.kh;
  p.sh = stride.empty() ? p.kh : stride[0];
  p.sw = stride.empty() ? p.kw : stride.size() == 2 ? stride[1] : p.sh;
  p.ph = padding[0];
  p.pw = padding.size() == 2 ? padding[1] : p.ph;
  p.dh = dilation[0];
  p.dw = dilation.size() == 2 ? dilation[1] : p.dh;
  KILN_CHECK(p.kh > 0 && p.kw > 0, op, ": kernel size should be greater than zero, but got kH: ",
             p.kh, " kW: ", p.kw);
  KILN_CHECK(p.sh > 0 && p.sw > 0, op, ": stride should be greater than zero, but got dH: ", p.sh,
             " dW: ", p.sw);
  KILN_CHECK(p.dh > 0 && p.dw > 0, op, ": dilation should be greater than zero, but got dilationH: ",
             p.dh, " dilationW: ", p.dw);
  KILN_CHECK(p.ph >= 0 && p.pw >= 0, op, ": pad must be non-negative, but got padH: ", p.ph,
             " padW: ", p.pw);
  KILN_CHECK(p.ph <= p.kh / 2 && p.pw <= p.kw / 2, op,
             ": pad should be at most half of kernel size, but got pad=", p.ph > p.kh / 2 ? p.ph : p.pw,
             " and kernel_size=", p.ph > p.kh / 2 ? p.kh : p.kw);
  return p;
}

void check_pool_input(const char* op, const Tensor& self) {
  bool ok = self.dim() == 3 || self.dim() == 4;
  for (int64_t d = self.dim() - 3; ok && d < self.dim(); ++d) ok = d < 0 || self.sizes()[d] > 0;
  if (self.dim() == 4) ok = ok && self.sizes()[1] > 0;
  KILN_CHECK(ok, op,
             ": Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, but got:",
             shape_str(self.sizes()));
}

Shape pool_out(const char* op, const Tensor& self, const Pool2d& p, bool ceil_mode) {
  auto size = [&](int64_t in, int64_t k, int64_t pad, int64_t s, int64_t d) {
    const int64_t numer = in + 2 * pad - d * (k - 1) - 1 + (ceil_mode ? s - 1 : 0);
    int64_t o = (numer >= 0 ? numer / s : -((-numer + s - 1) / s)) + 1;
    if (ceil_mode && (o - 1) * s >= in + pad) --o;
    return o;
  };
  const int64_t n = self.dim();
  const int64_t c = self.sizes()[n - 3], h = self.sizes()[n - 2], w = self.sizes()[n - 1];
  const int64_t oh = size(h, p.kh, p.ph, p.sh, p.dh), ow = size(w, p.kw, p.pw, p.sw, p.dw);
  KILN_CHECK(oh >= 1 && ow >= 1, op, ": Given input size: (", c, "x", h, "x", w,
             "). Calculated output size: (", c, "x", oh, "x", ow, "). Output size is too small");
  Shape out = self.sizes();
  out[n - 2] = oh;
  out[n - 1] = ow;
  return out;
}

}  // namespace

Shape pool2d_shape(const char* op, const Tensor& self, IntList kernel_size, IntList stride,
                   IntList padding, IntList dilation, bool ceil_mode) {
  const Pool2d p = pool_args(op, kernel_size, stride, padding, dilation);
  check_pool_input(op, self);
  return pool_out(op, self, p, ceil_mode);
}

Shape pool2d_backward_shape(const char* op, const Tensor& grad_output, const Tensor& self,
                            IntList kernel_size, IntList stride, IntList padding,
                            IntList dilation, bool ceil_mode, const Tensor& indices) {
  const Shape out = pool2d_shape(op, self, kernel_size, stride, padding, dilation, ceil_mode);
  KILN_CHECK(grad_output.sizes() == out && indices.sizes() == out, op,
             ": expected grad_output and indices of size ", shape_str(out), ", but got ",
             shape_str(grad_output.sizes()), " and ", shape_str(indices.sizes()));
  KILN_CHECK(indices.dtype() == DType::kInt64, op, ": expected indices of dtype int64");
  return self.sizes();
}

Shape avg_pool2d_shape(const char* op, const Tensor& self, IntList kernel_size, IntList stride,
                       IntList padding, bool ceil_mode, std::optional<int64_t> divisor_override) {
  const Pool2d p = pool_args(op, kernel_size, stride, padding, Shape{1});
  KILN_CHECK(!divisor_override || *divisor_override != 0, op, ": divisor must be not zero");
  check_pool_input(op, self);
  return pool_out(op, self, p, ceil_mode);
}

Shape avg_pool2d_backward_shape(const char* op, const Tensor& grad_output, const Tensor& self,
                                IntList kernel_size, IntList stride, IntList padding,
                                bool ceil_mode, std::optional<int64_t> divisor_override) {
  const Shape out = avg_pool2d_shape(op, self, kernel_size, stride, padding, ceil_mode,
                                     divisor_override);
  KILN_CHECK(grad_output.sizes() == out, op, ": expected grad_output of size ", shape_str(out),
             ", but got ", shape_str(grad_output.sizes()));
  return self.sizes();
}

Shape adaptive_pool2d_shape(const char* op, const Tensor& self, IntList output_size) {
  KILN_CHECK(output_size.size() == 2, op, ": output_size must be 2");
  KILN_CHECK(output_size[0] >= 0 && output_size[1] >= 0, op,
             ": elements of output_size must be greater than or equal to 0 but received {",
             output_size[0], ", ", output_size[1], "}");
  KILN_CHECK(self.dim() == 3 || self.dim() == 4, op, ": Expected 3D or 4D tensor, but got ",
             shape_str(self.sizes()));
  for (int64_t d = self.dim() - 3; d < self.dim(); ++d) {
    KILN_CHECK(self.sizes()[d] > 0, op,
               ": Expected input to have non-zero size for non-batch dimensions, but input has sizes ",
               shape_str(self.sizes()), " with dimension ", d, " being empty");
  }
  Shape out = self.sizes();
  out[self.dim() - 2] = output_size[0];
  out[self.dim() - 1] = output_size[1];
  return out;
}

Shape adaptive_pool2d_backward_shape(const char* op, const Tensor& grad_output,
                                     const Tensor& self) {
  bool ok = grad_output.dim() == self.dim() && (self.dim() == 3 || self.dim() == 4);
  for (int64_t d = 0; ok && d < self.dim() - 2; ++d) ok = grad_output.sizes()[d] == self.sizes()[d];
  KILN_CHECK(ok, op, ": grad_output of size ", shape_str(grad_output.sizes()),
             " does not match input of size ", shape_str(self.sizes()));
  return self.sizes();
}

}  // namespace kiln::rules
