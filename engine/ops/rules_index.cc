// Shape and dtype checks of the indexing and shape ops (table/index.yaml). Messages are
// PyTorch's; those that already name the op (`gather(): ...`) are kept as PyTorch words them.
#include <algorithm>
#include <cstring>

#include "engine/ops/ops.h"
#include "engine/ops/rules.h"

namespace kiln::rules {

const char* torch_type_name(DType t) {
  switch (t) {
    case DType::kBool:
      return "Bool";
    case DType::kUInt8:
      return "Byte";
    case DType::kInt8:
      return "Char";
    case DType::kInt32:
      return "Int";
    case DType::kInt64:
      return "Long";
    case DType::kFloat16:
      return "Half";
    case DType::kBFloat16:
      return "BFloat16";
    case DType::kFloat32:
      return "Float";
    case DType::kFloat64:
      return "Double";
  }
  return "?";
}

namespace {

// cat skips 1-d empty tensors whatever the other shapes (PyTorch's legacy rule).
bool legacy_empty(const Tensor& t) { return t.dim() == 1 && t.sizes()[0] == 0; }
bool is_index_dtype(DType t) { return t == DType::kInt64 || t == DType::kInt32; }
bool is_mask_dtype(DType t) { return t == DType::kBool || t == DType::kUInt8; }
// gather/scatter/index_add compare dims as PyTorch does: a 0-d tensor counts as 1-d of size 1.
int64_t nonempty_dim(const Tensor& t) { return std::max<int64_t>(t.dim(), 1); }
int64_t size_or_one(const Tensor& t, int64_t d) { return t.dim() == 0 ? 1 : t.sizes()[d]; }

bool expandable_to(IntList shape, IntList desired) {
  if (shape.size() > desired.size()) return false;
  for (size_t i = 0; i < shape.size(); ++i) {
    const int64_t s = shape[shape.size() - 1 - i], d = desired[desired.size() - 1 - i];
    if (s != d && s != 1) return false;
  }
  return true;
}

std::optional<Shape> try_broadcast(IntList a, IntList b) {
  const size_t n = std::max(a.size(), b.size());
  Shape r(n);
  for (size_t i = 0; i < n; ++i) {
    const int64_t x = i < n - a.size() ? 1 : a[i - (n - a.size())];
    const int64_t y = i < n - b.size() ? 1 : b[i - (n - b.size())];
    if (x != y && x != 1 && y != 1) return std::nullopt;
    r[i] = x == 1 ? y : x;
  }
  return r;
}

// Entries of a bool/uint8 mask that are set, read from its values (any device).
int64_t mask_count(const Tensor& mask) {
  const Tensor host = ops::contiguous(ops::to(mask, kCPU, std::nullopt, false));
  const auto* p = static_cast<const uint8_t*>(host.raw_data());
  int64_t n = 0;
  for (int64_t i = 0; i < host.numel(); ++i) n += p[i] != 0;
  return n;
}

void scatter_check(const char* op, const Tensor& self, int64_t dim, const Tensor& index,
                   const Tensor* src) {
  KILN_CHECK(index.dtype() == DType::kInt64, op, "(): Expected dtype int64 for index");
  KILN_CHECK(!src || src->dtype() == self.dtype(), op,
             "(): Expected self.dtype to be equal to src.dtype");
  const int64_t d = wrap_dim(dim, self.dim());
  KILN_CHECK(nonempty_dim(index) == nonempty_dim(self), op,
             ": Index tensor must have the same number of dimensions as self tensor");
  KILN_CHECK(!src || nonempty_dim(*src) == nonempty_dim(self), op,
             ": Index tensor must have the same number of dimensions as src tensor");
  for (int64_t k = 0; k < nonempty_dim(self); ++k) {
    const int64_t n = size_or_one(index, k);
    const bool ok = (k == d || n <= size_or_one(self, k)) && (!src || n <= size_or_one(*src, k));
    KILN_CHECK(ok, op, ": Expected index ", shape_str(index.sizes()), " to be smaller than self ",
               shape_str(self.sizes()), " apart from dimension ", d,
               src ? str(" and to be smaller size than src ", shape_str(src->sizes())) : "");
  }
}

void reduce_check(const char* op, const std::string& reduce) {
  KILN_CHECK(reduce == "add" || reduce == "multiply", op,
             ": reduce argument must be either add or multiply.");
}

// What advanced indexing does to self's shape: masks expanded, index shapes broadcast, and
// where the broadcast dims land.
struct IndexPlan {
  Shape self_sizes;           // self's sizes, a 1 inserted where a 0-d mask stands
  std::vector<bool> indexed;  // per dim of self_sizes
  Shape result;
};

IndexPlan plan_index(const char* op, const Tensor& self, const std::vector<Tensor>& indices) {
  int64_t consumed = 0;
  for (const Tensor& t : indices) {
    consumed += t.defined() && is_mask_dtype(t.dtype()) ? t.dim() : 1;
  }
  KILN_CHECK_INDEX(consumed <= self.dim(), op, ": too many indices for tensor of dimension ",
                   self.dim(), " (got ", consumed, ")");
  IndexPlan p{self.sizes(), {}, {}};
  std::vector<Shape> shapes;
  size_t d = 0;
  for (const Tensor& t : indices) {
    if (!t.defined()) {
      p.indexed.push_back(false);
      ++d;
      continue;
    }
    if (is_mask_dtype(t.dtype())) {
      if (t.dim() == 0) p.self_sizes.insert(p.self_sizes.begin() + d, 1);
      for (int64_t k = 0; k < t.dim(); ++k) {
        KILN_CHECK_INDEX(t.sizes()[k] == p.self_sizes[d + k], op, ": The shape of the mask ",
                         shape_str(t.sizes()), " at index ", k,
                         " does not match the shape of the indexed tensor ",
                         shape_str(self.sizes()), " at index ", d + k);
      }
      const int64_t n = mask_count(t);
      for (int64_t k = 0; k < std::max<int64_t>(t.dim(), 1); ++k) {
        p.indexed.push_back(true);
        shapes.push_back({n});
      }
      d += std::max<int64_t>(t.dim(), 1);
      continue;
    }
    KILN_CHECK_INDEX(t.dtype() == DType::kInt64, op,
                     ": tensors used as indices must be long, byte or bool tensors");
    p.indexed.push_back(true);
    shapes.push_back(t.sizes());
    ++d;
  }
  p.indexed.resize(p.self_sizes.size(), false);
  if (shapes.empty()) {
    p.result = p.self_sizes;
    return p;
  }
  std::optional<Shape> b = shapes[0];
  for (const Shape& s : shapes) b = b ? try_broadcast(*b, s) : b;
  if (!b) {
    std::string list;
    for (size_t i = 0; i < shapes.size(); ++i) list += str(i ? ", " : "", shape_str(shapes[i]));
    KILN_CHECK_INDEX(false, op,
                     ": shape mismatch: indexing tensors could not be broadcast together "
                     "with shapes ",
                     list);
  }
  const int64_t nd = static_cast<int64_t>(p.self_sizes.size());
  int64_t first = -1, last = -1;
  bool adjacent = true;
  for (int64_t k = 0; k < nd; ++k) {
    if (!p.indexed[k]) continue;
    if (first < 0) first = k;
    if (last >= 0 && last != k - 1) adjacent = false;
    last = k;
  }
  // Adjacent indexed dims are replaced in place by the broadcast shape; otherwise the
  // broadcast dims come first (NumPy's rule).
  if (adjacent) {
    p.result.assign(p.self_sizes.begin(), p.self_sizes.begin() + first);
    p.result.insert(p.result.end(), b->begin(), b->end());
    p.result.insert(p.result.end(), p.self_sizes.begin() + last + 1, p.self_sizes.end());
  } else {
    p.result = *b;
    for (int64_t k = 0; k < nd; ++k) {
      if (!p.indexed[k]) p.result.push_back(p.self_sizes[k]);
    }
  }
  return p;
}

}  // namespace

Shape cat(const char* op, const std::vector<Tensor>& tensors, int64_t dim) {
  KILN_CHECK_VALUE(!tensors.empty(), op, ": expected a non-empty list of Tensors");
  const Tensor* ref = nullptr;
  for (size_t i = 0; i < tensors.size(); ++i) {
    check_defined(op, tensors[i], "tensors");
    KILN_CHECK(tensors[i].dim() > 0, op, ": zero-dimensional tensor (at position ", i,
               ") cannot be concatenated");
    if (!ref && !legacy_empty(tensors[i])) ref = &tensors[i];
  }
  if (!ref) return {0};
  const int64_t d = wrap_dim(dim, ref->dim());
  Shape out = ref->sizes();
  out[d] = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    if (legacy_empty(t)) continue;
    KILN_CHECK(t.dim() == ref->dim(), op, ": Tensors must have same number of dimensions: got ",
               ref->dim(), " and ", t.dim());
    for (int64_t k = 0; k < t.dim(); ++k) {
      KILN_CHECK(k == d || t.sizes()[k] == ref->sizes()[k], op,
                 ": Sizes of tensors must match except in dimension ", d, ". Expected size ",
                 ref->sizes()[k], " but got size ", t.sizes()[k], " for tensor number ", i,
                 " in the list.");
    }
    out[d] += t.sizes()[d];
  }
  return out;
}

Shape stack(const char* op, const std::vector<Tensor>& tensors, int64_t dim) {
  KILN_CHECK_VALUE(!tensors.empty(), op, ": stack expects a non-empty TensorList");
  for (size_t i = 0; i < tensors.size(); ++i) {
    check_defined(op, tensors[i], "tensors");
    KILN_CHECK(tensors[i].sizes() == tensors[0].sizes(), op,
               ": stack expects each tensor to be equal size, but got ",
               shape_str(tensors[0].sizes()), " at entry 0 and ", shape_str(tensors[i].sizes()),
               " at entry ", i);
  }
  Shape out = tensors[0].sizes();
  out.insert(out.begin() + wrap_dim_inclusive(dim, tensors[0].dim()),
             static_cast<int64_t>(tensors.size()));
  return out;
}

Shape index_select(const char*, const Tensor& self, int64_t dim, const Tensor& index) {
  KILN_CHECK_INDEX(index.dim() <= 1, "index_select(): Index is supposed to be a vector");
  KILN_CHECK(is_index_dtype(index.dtype()),
             "index_select(): Expected dtype int32 or int64 for index");
  const int64_t d = wrap_dim(dim, self.dim());
  if (self.dim() == 0) {
    KILN_CHECK_INDEX(index.numel() == 1,
                     "index_select(): Index to scalar can have only 1 value, "
                     "got ",
                     index.numel(), " value(s)");
    return {};
  }
  Shape out = self.sizes();
  out[d] = index.numel();
  return out;
}

Shape gather(const char* op, const Tensor& self, int64_t dim, const Tensor& index) {
  KILN_CHECK(index.dtype() == DType::kInt64, op, "(): Expected dtype int64 for index");
  const int64_t d = wrap_dim(dim, self.dim());
  KILN_CHECK(nonempty_dim(index) == nonempty_dim(self), op,
             ": Index tensor must have the same number of dimensions as input tensor");
  for (int64_t k = 0; k < nonempty_dim(self); ++k) {
    KILN_CHECK(k == d || size_or_one(index, k) <= size_or_one(self, k), op,
               ": Size does not match at dimension ", k, " expected index ",
               shape_str(index.sizes()), " to be smaller than self ", shape_str(self.sizes()),
               " apart from dimension ", d);
  }
  return index.sizes();
}

Shape scatter(const char* op, const Tensor& self, int64_t dim, const Tensor& index,
              const Tensor& src) {
  check_defined(op, src, "src");
  scatter_check(op, self, dim, index, &src);
  return self.sizes();
}

Shape scatter(const char* op, const Tensor& self, int64_t dim, const Tensor& index) {
  scatter_check(op, self, dim, index, nullptr);
  return self.sizes();
}

Shape scatter(const char* op, const Tensor& self, int64_t dim, const Tensor& index,
              const Tensor& src, const std::string& reduce) {
  reduce_check(op, reduce);
  return scatter(op, self, dim, index, src);
}

Shape scatter_value_reduce(const char* op, const Tensor& self, int64_t dim, const Tensor& index,
                           const std::string& reduce) {
  reduce_check(op, reduce);
  return scatter(op, self, dim, index);
}

Shape scatter_add(const char* op, const Tensor& self, int64_t dim, const Tensor& index,
                  const Tensor& src) {
  return scatter(op, self, dim, index, src);
}

Shape index_add(const char* op, const Tensor& self, int64_t dim, const Tensor& index,
                const Tensor& source) {
  KILN_CHECK_INDEX(
      index.dim() <= 1, op, "_(): Index is supposed to be a vector, but got dim: ", index.dim(),
      " with type: ", torch_type_name(index.dtype()), " and size: ", shape_str(index.sizes()));
  KILN_CHECK(is_index_dtype(index.dtype()), op, "_(): Expected dtype int32/int64 for index");
  KILN_CHECK(self.dtype() == source.dtype(), op, "_(): self (", torch_type_name(self.dtype()),
             ") and source (", torch_type_name(source.dtype()), ") must have the same scalar type");
  const int64_t d = wrap_dim(dim, self.dim());
  KILN_CHECK(nonempty_dim(source) == nonempty_dim(self), op,
             "_(): self and source must have the same number of dimensions, but got ", self.dim(),
             " and ", source.dim());
  KILN_CHECK(index.numel() == size_or_one(source, d), op, "_(): Number of indices (", index.numel(),
             ") should be equal to source.size(dim): (", size_or_one(source, d),
             "), for dim: ", dim);
  for (int64_t k = 0; k < nonempty_dim(self); ++k) {
    KILN_CHECK(k == d || size_or_one(self, k) == size_or_one(source, k), op,
               "_(): Source/destination tensor must have same slice shapes. Destination slice "
               "shape: ",
               size_or_one(self, k), " at dimension ", k,
               " and source slice shape: ", size_or_one(source, k), " at dimension ", k, ".");
  }
  return self.sizes();
}

Shape index(const char* op, const Tensor& self, const std::vector<Tensor>& indices) {
  return plan_index(op, self, indices).result;
}

Shape index_put(const char* op, const Tensor& self, const std::vector<Tensor>& indices,
                const Tensor& values) {
  KILN_CHECK(values.dtype() == self.dtype(), op,
             ": Index put requires the source and destination dtypes match, got ",
             torch_type_name(self.dtype()), " for the destination and ",
             torch_type_name(values.dtype()), " for the source.");
  const Shape result = plan_index(op, self, indices).result;
  KILN_CHECK(expandable_to(values.sizes(), result), op, ": shape mismatch: value tensor of shape ",
             shape_str(values.sizes()), " cannot be broadcast to indexing result of shape ",
             shape_str(result));
  return self.sizes();
}

Shape masked_fill(const char* op, const Tensor& self, const Tensor& mask) {
  KILN_CHECK(is_mask_dtype(mask.dtype()),
             "masked_fill_ only supports boolean masks, but got mask with dtype ", mask.dtype());
  return broadcast_shapes(op, self.sizes(), mask.sizes());
}

Shape masked_fill(const char* op, const Tensor& self, const Tensor& mask, const Tensor& value) {
  KILN_CHECK(value.dim() == 0,
             "masked_fill_ only supports a 0-dimensional value tensor, but got tensor with ",
             value.dim(), " dimension(s).");
  return masked_fill(op, self, mask);
}

Shape repeat(const char* op, const Tensor& self, IntList repeats) {
  KILN_CHECK(int64_t(repeats.size()) >= self.dim(), op,
             ": Number of dimensions of repeat dims can not be smaller than number of dimensions "
             "of tensor");
  const int64_t lead = static_cast<int64_t>(repeats.size()) - self.dim();
  Shape out(repeats.size());
  for (int64_t i = 0; i < int64_t(repeats.size()); ++i) {
    out[i] = repeats[i] * (i < lead ? 1 : self.sizes()[i - lead]);
  }
  for (int64_t i = 0; i < int64_t(repeats.size()); ++i) {
    KILN_CHECK(repeats[i] >= 0, op, ": Trying to create tensor with negative dimension ", out[i],
               ": ", shape_str(out));
  }
  checked_numel(out, op);
  return out;
}

Shape tile(const char* op, const Tensor& self, IntList dims) {
  Shape r(std::max<int64_t>(self.dim() - int64_t(dims.size()), 0), 1);
  r.insert(r.end(), dims.begin(), dims.end());
  return repeat(op, self, r);
}

Shape repeat_interleave(const char* op, const Tensor& self, int64_t repeats,
                        std::optional<int64_t> dim) {
  KILN_CHECK(repeats >= 0, op, ": repeats can not be negative");
  KILN_CHECK_INDEX(!dim || self.dim() > 0, op, ": Dimension specified as ", dim.value_or(0),
                   " but tensor has no dimensions");
  if (!dim) return {self.numel() * repeats};
  Shape out = self.sizes();
  out[wrap_dim(*dim, self.dim())] *= repeats;
  return out;
}

Shape flip(const char* op, const Tensor& self, IntList dims) {
  kiln::reduce_dims(op, self.dim(), dims.vec());  // wraps and rejects repeats
  return self.sizes();
}

Shape roll(const char* op, const Tensor& self, IntList shifts, IntList dims) {
  KILN_CHECK(!shifts.empty(), op, ": `shifts` required");
  KILN_CHECK(shifts.size() == dims.size() || (dims.empty() && shifts.size() == 1), op,
             ": shifts and dimensions must align. shifts: ", shifts.size(), ", dims:", dims.size());
  for (int64_t d : dims) {
    KILN_CHECK_INDEX(self.dim() > 0, "Dimension specified as ", d, " but tensor has no dimensions");
    wrap_dim(d, self.dim());
  }
  return self.sizes();
}

Shape triangle(const char* op, const Tensor& self, int64_t) {
  KILN_CHECK(self.dim() >= 2, op, ": input tensor must have at least 2 dimensions");
  return self.sizes();
}

Shape constant_pad_nd(const char* op, const Tensor& self, IntList pad) {
  KILN_CHECK(pad.size() % 2 == 0, op, ": Length of pad must be even but instead it equals ",
             pad.size());
  const int64_t k = static_cast<int64_t>(pad.size()) / 2;
  KILN_CHECK(k <= self.dim(), op,
             ": Length of pad should be no more than twice the number of "
             "dimensions of the input. Pad length is ",
             pad.size(), " while the input has ", self.dim(), " dimensions.");
  Shape out = self.sizes();
  for (int64_t i = 0; i < k; ++i) {
    const int64_t d = self.dim() - 1 - i;
    const int64_t n = out[d] + pad[2 * i] + pad[2 * i + 1];
    KILN_CHECK(n >= 0, op, ": The input size ", out[d], ", plus negative padding ", pad[2 * i],
               " and ", pad[2 * i + 1],
               " resulted in a negative output size, which is invalid. "
               "Check dimension ",
               d, " of your input.");
    out[d] = n;
  }
  return out;
}

Shape pad(const char* op, const Tensor& self, IntList pad, const std::string& mode,
          std::optional<double> value) {
  if (mode == "constant") return constant_pad_nd(op, self, pad);
  KILN_CHECK_NOT_IMPLEMENTED(mode == "reflect" || mode == "replicate" || mode == "circular", op,
                             ": Unrecognised padding mode ", mode);
  KILN_CHECK(!value, op, ": Padding mode \"", mode, "\" doesn't take in value argument");
  KILN_CHECK(pad.size() % 2 == 0, op, ": Padding length must be divisible by 2");
  const int64_t k = static_cast<int64_t>(pad.size()) / 2;
  KILN_CHECK(k <= self.dim(), op, ": Padding length too large");
  KILN_CHECK_NOT_IMPLEMENTED(k >= 1 && k <= 3 && (self.dim() == k + 1 || self.dim() == k + 2), op,
                             ": Only 2D, 3D, 4D, 5D padding with non-constant padding are "
                             "supported for now");
  // PyTorch 1.13's circular mode wants the batch dim too: (N, C, spatial..).
  KILN_CHECK(mode != "circular" || self.dim() == k + 2, op, ": Invalid padding size, expected ",
             2 * (self.dim() - 2), " but got ", pad.size());
  // Every dim but a leading batch dim must be non-empty: the border copies entries.
  for (int64_t d = self.dim() == k + 2 ? 1 : 0; d < self.dim(); ++d) {
    KILN_CHECK(self.sizes()[d] > 0, op, ": expected ", k + 1, "D or ", k + 2,
               "D (batch mode) tensor with possibly 0 batch size and other non-zero dimensions "
               "for input, but got: ",
               shape_str(self.sizes()));
  }
  Shape out = self.sizes();
  for (int64_t i = 0; i < k; ++i) {
    const int64_t d = self.dim() - 1 - i, l = pad[2 * i], r = pad[2 * i + 1], n = out[d];
    KILN_CHECK(mode != "reflect" || (l < n && r < n), op,
               ": Argument #4: Padding size should be "
               "less than the corresponding input dimension, but got: padding (",
               l, ", ", r, ") at dimension ", d, " of input ", shape_str(self.sizes()));
    KILN_CHECK(mode != "circular" || (l <= n && r <= n), op,
               ": Padding value causes wrapping around more than once.");
    // Circular padding repeats what is left after negative pads crop.
    KILN_CHECK(mode != "circular" || n + std::min<int64_t>(l, 0) + std::min<int64_t>(r, 0) > 0 ||
                   n + l + r == 0,
               op, ": circular padding of dimension ", d,
               " has nothing left to repeat after "
               "cropping by (",
               l, ", ", r, ")");
    KILN_CHECK(n + l + r >= 0, op, ": The input size ", n, ", plus negative padding ", l, " and ",
               r, " resulted in a negative output size, which is invalid. Check dimension ", d,
               " of your input.");
    out[d] = n + l + r;
  }
  return out;
}

Shape slice_backward(const char* op, const Tensor& grad_output, IntList input_sizes, int64_t dim,
                     int64_t start, int64_t end, int64_t step) {
  checked_numel(input_sizes, op);
  KILN_CHECK(!input_sizes.empty(), op, ": input_sizes must have at least one dim");
  KILN_CHECK_VALUE(step > 0, op, ": slice step must be positive");
  const int64_t d = wrap_dim(dim, int64_t(input_sizes.size()));
  Shape expected = input_sizes.vec();
  expected[d] = slice_range(expected[d], start, end, step).length;
  KILN_CHECK(grad_output.sizes() == expected, op, ": grad_output of shape ",
             shape_str(grad_output.sizes()), " does not match the slice's shape ",
             shape_str(expected));
  return input_sizes.vec();
}

Shape select_backward(const char* op, const Tensor& grad_output, IntList input_sizes, int64_t dim,
                      int64_t index) {
  checked_numel(input_sizes, op);
  KILN_CHECK(!input_sizes.empty(), op, ": input_sizes must have at least one dim");
  const int64_t d = wrap_dim(dim, int64_t(input_sizes.size()));
  KILN_CHECK_INDEX(index >= -input_sizes[d] && index < input_sizes[d], op, ": index ", index,
                   " out of range for size ", input_sizes[d], " at dimension ", d);
  Shape expected = input_sizes.vec();
  expected.erase(expected.begin() + d);
  KILN_CHECK(grad_output.sizes() == expected, op, ": grad_output of shape ",
             shape_str(grad_output.sizes()), " does not match the selection's shape ",
             shape_str(expected));
  return input_sizes.vec();
}

}  // namespace kiln::rules
