// Tensor: a handle to shape, strides, offset and dtype over a shared Storage (PyTorch's
// model). Copying a Tensor copies the handle; views share storage. Ops live in engine/ops
// (`kiln::ops::*`, no autograd) and engine/autograd (`kiln::*`, recorded for backward).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/core/device.h"
#include "engine/core/dtype.h"
#include "engine/core/error.h"
#include "engine/core/scalar.h"
#include "engine/core/shape.h"
#include "engine/core/storage.h"

namespace kiln {

class Node;  // engine/autograd: a step of the backward graph
class Tensor;

// Autograd's per-tensor state. Core only holds it; engine/autograd gives it meaning.
struct AutogradMeta {
  bool requires_grad = false;
  bool retains_grad = false;
  uint32_t output_nr = 0;               // which output of grad_fn this tensor is
  std::shared_ptr<Node> grad_fn;        // null for leaves
  std::weak_ptr<Node> grad_accumulator;  // leaves: the node that accumulates .grad
  std::unique_ptr<Tensor> grad;         // .grad (leaves, and non-leaves that retain it)
  std::vector<std::function<Tensor(const Tensor&)>> hooks;  // Tensor.register_hook
  ~AutogradMeta();
};

class TensorImpl {
 public:
  TensorImpl(Storage storage, Shape sizes, Shape strides, int64_t offset, DType dtype);
  ~TensorImpl();

  const Storage& storage() const { return storage_; }
  const Shape& sizes() const { return sizes_; }
  const Shape& strides() const { return strides_; }
  int64_t offset() const { return offset_; }
  int64_t numel() const { return numel_; }
  DType dtype() const { return dtype_; }
  bool is_contiguous() const { return contiguous_; }
  bool is_wrapped_number() const { return wrapped_number_; }
  void set_wrapped_number(bool w) { wrapped_number_ = w; }

  // Used by resize_ / set_ (out= arguments) only; views never change after creation.
  void set_geometry(Storage storage, Shape sizes, Shape strides, int64_t offset);

  AutogradMeta* autograd() const { return autograd_.get(); }
  AutogradMeta& ensure_autograd();

 private:
  void refresh();

  Storage storage_;
  Shape sizes_;
  Shape strides_;
  int64_t offset_;
  int64_t numel_ = 0;
  DType dtype_;
  bool contiguous_ = true;
  bool wrapped_number_ = false;  // a Python number turned into a 0-dim tensor
  std::unique_ptr<AutogradMeta> autograd_;
};

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  bool defined() const { return impl_ != nullptr; }
  TensorImpl* impl() const { return impl_.get(); }
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }
  bool is_same(const Tensor& o) const { return impl_ == o.impl_; }

  const Shape& sizes() const { return impl_->sizes(); }
  const Shape& strides() const { return impl_->strides(); }
  int64_t size(int64_t dim) const;  // negative dims count from the end
  int64_t stride(int64_t dim) const;
  int64_t dim() const { return static_cast<int64_t>(impl_->sizes().size()); }
  int64_t numel() const { return impl_->numel(); }
  DType dtype() const { return impl_->dtype(); }
  size_t element_size() const { return kiln::element_size(dtype()); }
  size_t nbytes() const { return static_cast<size_t>(numel()) * element_size(); }
  Device device() const { return impl_->storage()->device(); }
  int64_t storage_offset() const { return impl_->offset(); }
  const Storage& storage() const { return impl_->storage(); }
  bool is_contiguous() const { return impl_->is_contiguous(); }
  bool is_floating_point() const { return is_floating(dtype()); }
  bool is_wrapped_number() const { return impl_->is_wrapped_number(); }

  // Address of element 0 (storage base + offset).
  void* raw_data() const {
    return static_cast<char*>(storage()->data()) + storage_offset() * int64_t(element_size());
  }
  // Typed address of element 0; throws if T is not this tensor's dtype.
  template <typename T>
  T* data_ptr() const {
    KILN_CHECK_TYPE(dtype_of<T> == dtype(), "data_ptr: tensor is ", dtype(), ", not ",
                    dtype_of<T>);
    return static_cast<T*>(raw_data());
  }

  // Value of a one-element tensor, on any device.
  Scalar item() const;

  uint32_t version() const { return storage()->version(); }
  void bump_version() const { storage()->bump_version(); }

  // ---- autograd state (meaning given by engine/autograd) ----
  bool requires_grad() const {
    const AutogradMeta* m = impl_->autograd();
    return m && (m->requires_grad || m->grad_fn);
  }
  // Sets requires_grad on a leaf; throws on integer tensors and non-leaves (PyTorch's rule).
  const Tensor& set_requires_grad(bool r) const;
  bool is_leaf() const {
    const AutogradMeta* m = impl_->autograd();
    return !m || !m->grad_fn;
  }
  const std::shared_ptr<Node>& grad_fn() const;
  uint32_t output_nr() const { return impl_->autograd() ? impl_->autograd()->output_nr : 0; }
  // .grad: undefined when none has been accumulated.
  Tensor grad() const;
  void set_grad(const Tensor& g) const;
  AutogradMeta* autograd_meta() const { return impl_->autograd(); }
  AutogradMeta& ensure_autograd_meta() const { return impl_->ensure_autograd(); }

  // A view of the same storage with the same geometry and no autograd history.
  Tensor detach() const;

  std::string str() const;  // repr, as PyTorch prints it (engine/core/printing.cc)

 private:
  std::shared_ptr<TensorImpl> impl_;
};

// ---- construction (geometry only; filling values is engine/ops' business) ----

// Uninitialized contiguous tensor. Checks sizes (negative, overflow) before allocating.
Tensor empty_tensor(IntList sizes, DType dtype, Device device = kCPU);
// Uninitialized tensor with the given strides (sized to hold every addressed element).
Tensor empty_strided_tensor(IntList sizes, IntList strides, DType dtype, Device device = kCPU);
// A tensor sharing `base`'s storage with new geometry (no autograd history, no checks beyond
// bounds: the caller computed a valid view).
Tensor make_view(const Tensor& base, Shape sizes, Shape strides, int64_t offset);
// A 0-dim tensor holding `s` in `dtype` (on CPU, copied to `device` if it is not CPU).
Tensor scalar_tensor(const Scalar& s, DType dtype, Device device = kCPU);
// A Python number as a 0-dim "wrapped number" tensor (int64, float64 or bool), which type
// promotion treats like PyTorch does a Python scalar.
Tensor wrapped_scalar(const Scalar& s, Device device = kCPU);
// Wraps host memory owned elsewhere; `deleter` runs when the last view dies.
Tensor from_blob(void* data, IntList sizes, DType dtype, std::function<void(void*)> deleter);

// True when `strides` address `sizes` in row-major order with no gaps (size-1 dims ignored).
bool compute_contiguous(IntList sizes, IntList strides);

// Reads element `i` (row-major logical order) of a CPU tensor as a double / int64.
double cpu_element_as_double(const Tensor& t, int64_t i);

}  // namespace kiln
