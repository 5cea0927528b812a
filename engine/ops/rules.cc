#include "engine/ops/rules.h"

#include <algorithm>

#include "engine/ops/op_info.h"
#include "engine/ops/ops.h"

namespace kiln::rules {

void check_defined(const char* op, const Tensor& t, const char* name) {
  KILN_CHECK_TYPE(t.defined(), op, ": argument '", name, "' must be a Tensor, not None");
}

Device common_device(const char* op, std::initializer_list<const Tensor*> tensors,
                     std::initializer_list<const std::vector<Tensor>*> lists) {
  std::optional<Device> found;
  bool cpu_scalar = false;
  auto visit = [&](const Tensor& t) {
    if (!t.defined()) return;
    const Device d = t.device();
    if (d.is_cpu() && t.dim() == 0) {
      cpu_scalar = true;
      return;
    }
    if (!found) {
      found = d;
    } else {
      KILN_CHECK(*found == d, op,
                 ": Expected all tensors to be on the same device, but found at least two "
                 "devices, ",
                 *found, " and ", d, "!");
    }
  };
  for (const Tensor* t : tensors) visit(*t);
  for (const std::vector<Tensor>* l : lists) {
    for (const Tensor& t : *l) visit(t);
  }
  (void)cpu_scalar;
  return found.value_or(kCPU);
}

void check_supported(OpId id, const char* op, Device device, DType dtype) {
  check_device_available(device);
  KILN_CHECK_NOT_IMPLEMENTED(supports(id, dtype, device), op, ": not implemented for ",
                             device_type_name(device.type), "/", dtype);
}

void missing_kernel(const char* op, Device device) {
  KILN_CHECK_NOT_IMPLEMENTED(false, op, ": no ", device_type_name(device.type),
                             " kernel is bound");
  __builtin_unreachable();
}

DType list_dtype(const char* op, const std::vector<Tensor>& tensors) {
  KILN_CHECK_VALUE(!tensors.empty(), op, ": expected a non-empty list of Tensors");
  return promote(op, tensors);
}

Tensor cast(const Tensor& t, DType dtype) {
  if (t.dtype() == dtype) return t;
  Tensor out = empty_tensor(t.sizes(), dtype, t.device());
  copy_into(out, t);
  return out;
}

Tensor cast_optional(const Tensor& t, DType dtype) { return t.defined() ? cast(t, dtype) : t; }

std::vector<Tensor> cast_list(const std::vector<Tensor>& ts, DType dtype) {
  std::vector<Tensor> out;
  out.reserve(ts.size());
  for (const Tensor& t : ts) out.push_back(cast(t, dtype));
  return out;
}

bool has_internal_overlap(const Tensor& t) {
  for (int64_t d = 0; d < t.dim(); ++d) {
    if (t.strides()[d] == 0 && t.sizes()[d] > 1) return true;
  }
  return false;
}

static void check_writable(const char* op, const Tensor& t) {
  KILN_CHECK(!has_internal_overlap(t), op,
             ": unsupported operation: more than one element of the written-to tensor refers "
             "to a single memory location. Please clone() the tensor before performing the "
             "operation.");
}

void check_inplace(const char* op, const Tensor& self, const Shape& shape, DType dtype) {
  KILN_CHECK(self.sizes() == shape, op, ": output with shape ", shape_str(self.sizes()),
             " doesn't match the broadcast shape ", shape_str(shape));
  KILN_CHECK(can_cast(dtype, self.dtype()), op, ": result type ", dtype,
             " can't be cast to the desired output type ", self.dtype());
  check_writable(op, self);
}

void prepare_out(const char* op, const Tensor& out, const Shape& shape, DType dtype) {
  KILN_CHECK_TYPE(out.defined(), op, ": out= must be a Tensor");
  KILN_CHECK(can_cast(dtype, out.dtype()), op, ": result type ", dtype,
             " can't be cast to the desired output type ", out.dtype());
  if (out.sizes() != shape) {
    // PyTorch resizes out= arguments; Kiln gives the tensor fresh storage of the right size.
    Tensor fresh = empty_tensor(shape, out.dtype(), out.device());
    out.impl()->set_geometry(fresh.storage(), fresh.sizes(), fresh.strides(), 0);
  }
  check_writable(op, out);
}

void copy_into(const Tensor& dst, const Tensor& src) { ops::copy_(dst, src, false); }

namespace {

enum Category { kNone = 0, kBoolCat = 1, kIntCat = 2, kFloatCat = 3 };

Category category(DType t) {
  if (t == DType::kBool) return kBoolCat;
  return is_floating(t) ? kFloatCat : kIntCat;
}

struct ResultState {
  std::optional<DType> dim, zero, wrapped;
  static void add(std::optional<DType>& slot, DType t) { slot = slot ? promote_types(*slot, t) : t; }
  void update(const Tensor& t) {
    if (!t.defined()) return;
    if (t.is_wrapped_number()) {
      // A Python float counts as the default float type, not float64.
      add(wrapped, is_floating(t.dtype()) ? default_float_dtype() : t.dtype());
    } else if (t.dim() == 0) {
      add(zero, t.dtype());
    } else {
      add(dim, t.dtype());
    }
  }
};

// A lower-priority participant only matters when it is of a higher category.
std::optional<DType> combine(std::optional<DType> higher, std::optional<DType> lower) {
  if (!higher) return lower;
  if (!lower) return higher;
  if (category(*lower) > category(*higher)) return promote_types(*higher, *lower);
  return higher;
}

DType finish(const char* op, const ResultState& s) {
  auto r = combine(s.dim, combine(s.zero, s.wrapped));
  KILN_CHECK_TYPE(r.has_value(), op, ": no tensor arguments to take a dtype from");
  return *r;
}

DType to_float(DType t) { return is_floating(t) ? t : default_float_dtype(); }

}  // namespace

DType promote(const char* op, std::initializer_list<const Tensor*> tensors) {
  ResultState s;
  for (const Tensor* t : tensors) s.update(*t);
  return finish(op, s);
}

DType promote(const char* op, const std::vector<Tensor>& tensors) {
  ResultState s;
  for (const Tensor& t : tensors) s.update(t);
  return finish(op, s);
}

DType promote_float(const char* op, const Tensor& a) { return to_float(promote(op, {&a})); }
DType promote_float(const char* op, const Tensor& a, const Tensor& b) {
  return to_float(promote(op, {&a, &b}));
}
DType promote_float(const char* op, const Tensor& a, const Tensor& b, const Tensor& c) {
  return to_float(promote(op, {&a, &b, &c}));
}

DType div_dtype(const char* op, const Tensor& a, const Tensor& b,
                const std::optional<std::string>& rounding_mode) {
  return rounding_mode ? promote(op, {&a, &b}) : promote_float(op, a, b);
}

DType sum_dtype(const char*, const Tensor& a) {
  return is_floating(a.dtype()) ? a.dtype() : DType::kInt64;
}

DType scalar_dtype(const char*, const Scalar& s) {
  if (s.is_floating()) return default_float_dtype();
  return s.is_bool() ? DType::kBool : DType::kInt64;
}

DType floating_arg(const char* op, std::optional<DType> d) {
  const DType t = d.value_or(default_float_dtype());
  KILN_CHECK_TYPE(is_floating(t), op, ": expected a floating point dtype, got ", t);
  return t;
}

DType require_floating(const char* op, const Tensor& a) {
  KILN_CHECK_TYPE(is_floating(a.dtype()), op, ": expected a floating point tensor, got ",
                  a.dtype());
  return a.dtype();
}

Shape broadcast(const char* op, const Tensor& a, const Tensor& b) {
  return broadcast_shapes(op, a.sizes(), b.sizes());
}

Shape broadcast(const char* op, const Tensor& a, const Tensor& b, const Tensor& c) {
  return broadcast_shapes(op, broadcast_shapes(op, a.sizes(), b.sizes()), c.sizes());
}

Shape size(const char* op, IntList sizes) {
  checked_numel(sizes, op);
  return sizes.vec();
}

std::vector<int64_t> reduce_dims(const char* op, const Tensor& self,
                                 const std::optional<Shape>& dim) {
  return kiln::reduce_dims(op, self.dim(), dim);
}

Shape reduce(const char* op, const Tensor& self, const std::optional<Shape>& dim, bool keepdim) {
  const std::vector<int64_t> dims = reduce_dims(op, self, dim);
  Shape out;
  for (int64_t d = 0; d < self.dim(); ++d) {
    const bool reduced = std::binary_search(dims.begin(), dims.end(), d);
    if (!reduced) {
      out.push_back(self.sizes()[d]);
    } else if (keepdim) {
      out.push_back(1);
    }
  }
  return out;
}

Shape reduce(const char* op, const Tensor& self, IntList dim, bool keepdim) {
  return reduce(op, self, std::optional<Shape>(dim.vec()), keepdim);
}

Shape reduce(const char* op, const Tensor& self, int64_t dim, bool keepdim) {
  return reduce(op, self, std::optional<Shape>(Shape{dim}), keepdim);
}

Shape reduce(const char* op, const Tensor& self, std::optional<int64_t> dim, bool keepdim) {
  if (!dim) return reduce(op, self, std::optional<Shape>(), keepdim);
  return reduce(op, self, *dim, keepdim);
}

}  // namespace kiln::rules
