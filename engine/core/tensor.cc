#include "engine/core/tensor.h"

#include <algorithm>

namespace kiln {

AutogradMeta::~AutogradMeta() = default;

TensorImpl::TensorImpl(Storage storage, Shape sizes, Shape strides, int64_t offset, DType dtype)
    : storage_(std::move(storage)),
      sizes_(std::move(sizes)),
      strides_(std::move(strides)),
      offset_(offset),
      dtype_(dtype) {
  refresh();
}

TensorImpl::~TensorImpl() = default;

void TensorImpl::refresh() {
  numel_ = numel_of(sizes_);
  contiguous_ = compute_contiguous(sizes_, strides_);
}

void TensorImpl::set_geometry(Storage storage, Shape sizes, Shape strides, int64_t offset) {
  storage_ = std::move(storage);
  sizes_ = std::move(sizes);
  strides_ = std::move(strides);
  offset_ = offset;
  refresh();
}

AutogradMeta& TensorImpl::ensure_autograd() {
  if (!autograd_) autograd_ = std::make_unique<AutogradMeta>();
  return *autograd_;
}

bool compute_contiguous(IntList sizes, IntList strides) {
  int64_t expected = 1;
  for (size_t i = sizes.size(); i-- > 0;) {
    if (sizes[i] == 1) continue;
    if (sizes[i] == 0) return true;
    if (strides[i] != expected) return false;
    expected *= sizes[i];
  }
  return true;
}

int64_t Tensor::size(int64_t dim) const { return sizes()[wrap_dim(dim, this->dim())]; }

int64_t Tensor::stride(int64_t dim) const { return strides()[wrap_dim(dim, this->dim())]; }

const Tensor& Tensor::set_requires_grad(bool r) const {
  if (!r && !impl_->autograd()) return *this;
  KILN_CHECK(is_leaf(),
             "you can only change requires_grad flags of leaf variables. If you want to use a "
             "computed variable in a subgraph that doesn't require differentiation use "
             "var_no_grad = var.detach().");
  KILN_CHECK(!r || is_floating(dtype()),
             "only Tensors of floating point dtype can require gradients (got ", dtype(), ")");
  impl_->ensure_autograd().requires_grad = r;
  return *this;
}

const std::shared_ptr<Node>& Tensor::grad_fn() const {
  static const std::shared_ptr<Node> kNone;
  const AutogradMeta* m = impl_->autograd();
  return m ? m->grad_fn : kNone;
}

Tensor Tensor::grad() const {
  const AutogradMeta* m = impl_->autograd();
  return m && m->grad ? *m->grad : Tensor();
}

void Tensor::set_grad(const Tensor& g) const {
  AutogradMeta& m = impl_->ensure_autograd();
  if (!g.defined()) {
    m.grad.reset();
    return;
  }
  KILN_CHECK(g.sizes() == sizes(), "assigned grad has data of a different size (",
             shape_str(g.sizes()), " vs ", shape_str(sizes()), ")");
  KILN_CHECK(g.dtype() == dtype(), "assigned grad has data of a different type (", g.dtype(),
             " vs ", dtype(), ")");
  KILN_CHECK(g.device() == device(), "assigned grad has data located on a different device");
  m.grad = std::make_unique<Tensor>(g);
}

Tensor Tensor::detach() const {
  Tensor t = make_view(*this, sizes(), strides(), storage_offset());
  t.impl()->set_wrapped_number(is_wrapped_number());
  return t;
}

Scalar Tensor::item() const {
  KILN_CHECK_VALUE(numel() == 1, "a Tensor with ", numel(),
                   " elements cannot be converted to Scalar");
  alignas(8) unsigned char buf[8] = {};
  copy_bytes(buf, kCPU, raw_data(), device(), element_size());
  return KILN_DISPATCH_ALL(dtype(), "item", [&]<typename scalar_t>() -> Scalar {
    scalar_t v;
    std::memcpy(&v, buf, sizeof(scalar_t));
    if constexpr (std::is_same_v<scalar_t, bool>) {
      return Scalar(v);
    } else if constexpr (std::is_integral_v<scalar_t>) {
      return Scalar(static_cast<int64_t>(v));
    } else {
      return Scalar(static_cast<double>(v));
    }
  });
}

Tensor empty_tensor(IntList sizes, DType dtype, Device device) {
  const int64_t n = checked_numel(sizes, "empty");
  int64_t nbytes;
  KILN_CHECK_VALUE(!__builtin_mul_overflow(n, int64_t(element_size(dtype)), &nbytes),
                   "empty: size ", shape_str(sizes), " of ", dtype, " overflows the byte count");
  auto storage = std::make_shared<StorageImpl>(static_cast<size_t>(nbytes), device);
  return Tensor(std::make_shared<TensorImpl>(std::move(storage), Shape(sizes.begin(), sizes.end()),
                                             contiguous_strides(sizes), 0, dtype));
}

Tensor empty_strided_tensor(IntList sizes, IntList strides, DType dtype, Device device) {
  KILN_CHECK_VALUE(sizes.size() == strides.size(), "empty_strided: ", sizes.size(),
                   " sizes but ", strides.size(), " strides");
  const int64_t n = checked_numel(sizes, "empty_strided");
  int64_t span = n == 0 ? 0 : 1;
  for (size_t i = 0; i < sizes.size() && n > 0; ++i) {
    KILN_CHECK_VALUE(strides[i] >= 0, "empty_strided: negative stride ", strides[i]);
    int64_t extent;
    KILN_CHECK_VALUE(!__builtin_mul_overflow(sizes[i] - 1, strides[i], &extent) &&
                         !__builtin_add_overflow(span, extent, &span),
                     "empty_strided: strides overflow");
  }
  int64_t nbytes;
  KILN_CHECK_VALUE(!__builtin_mul_overflow(span, int64_t(element_size(dtype)), &nbytes),
                   "empty_strided: byte count overflows");
  auto storage = std::make_shared<StorageImpl>(static_cast<size_t>(nbytes), device);
  return Tensor(std::make_shared<TensorImpl>(std::move(storage), Shape(sizes.begin(), sizes.end()),
                                             Shape(strides.begin(), strides.end()), 0, dtype));
}

Tensor make_view(const Tensor& base, Shape sizes, Shape strides, int64_t offset) {
  return Tensor(std::make_shared<TensorImpl>(base.storage(), std::move(sizes), std::move(strides),
                                             offset, base.dtype()));
}

Tensor scalar_tensor(const Scalar& s, DType dtype, Device device) {
  Tensor cpu = empty_tensor({}, dtype, kCPU);
  KILN_DISPATCH_ALL(dtype, "scalar_tensor", [&]<typename scalar_t>() {
    *static_cast<scalar_t*>(cpu.raw_data()) = s.to<opmath_t<scalar_t>>();
  });
  if (device.is_cpu()) return cpu;
  Tensor out = empty_tensor({}, dtype, device);
  copy_bytes(out.raw_data(), device, cpu.raw_data(), kCPU, cpu.nbytes());
  return out;
}

Tensor wrapped_scalar(const Scalar& s, Device device) {
  Tensor t = scalar_tensor(s, s.dtype(), device);
  t.impl()->set_wrapped_number(true);
  return t;
}

Tensor from_blob(void* data, IntList sizes, DType dtype, std::function<void(void*)> deleter) {
  const int64_t n = checked_numel(sizes, "from_blob");
  auto storage = std::make_shared<StorageImpl>(data, static_cast<size_t>(n) * element_size(dtype),
                                               std::move(deleter));
  return Tensor(std::make_shared<TensorImpl>(std::move(storage), Shape(sizes.begin(), sizes.end()),
                                             contiguous_strides(sizes), 0, dtype));
}

double cpu_element_as_double(const Tensor& t, int64_t i) {
  KILN_ASSERT(t.device().is_cpu());
  int64_t off = 0;
  for (int64_t d = t.dim() - 1; d >= 0; --d) {
    const int64_t s = t.sizes()[d];
    off += (i % s) * t.strides()[d];
    i /= s;
  }
  return KILN_DISPATCH_ALL(t.dtype(), "element", [&]<typename scalar_t>() -> double {
    return static_cast<double>(static_cast<opmath_t<scalar_t>>(
        static_cast<const scalar_t*>(t.raw_data())[off]));
  });
}

}  // namespace kiln
