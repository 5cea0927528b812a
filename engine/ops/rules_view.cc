// Shape rules of the view ops.
#include <algorithm>
#include <limits>

#include "engine/ops/rules.h"

namespace kiln::rules {

Shape view_shape(const char* op, const Tensor& self, IntList size) {
  Shape shape = size.vec();
  int64_t infer = -1, known = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      KILN_CHECK(infer < 0, op, ": only one dimension can be inferred");
      infer = static_cast<int64_t>(i);
    } else {
      KILN_CHECK(shape[i] >= 0, op, ": invalid shape dimension ", shape[i]);
      KILN_CHECK(!__builtin_mul_overflow(known, shape[i], &known), op, ": shape ",
                 shape_str(size), " overflows");
    }
  }
  const int64_t numel = self.numel();
  if (infer >= 0) {
    KILN_CHECK(known != 0 && numel % known == 0, op, ": shape '", shape_str(size),
               "' is invalid for input of size ", numel);
    shape[infer] = numel / known;
  } else {
    KILN_CHECK(known == numel, op, ": shape '", shape_str(size), "' is invalid for input of size ",
               numel);
  }
  return shape;
}

Shape permute(const char* op, const Tensor& self, IntList dims) {
  KILN_CHECK(int64_t(dims.size()) == self.dim(), op,
             ": number of dims don't match in permute (input has ", self.dim(), ", got ",
             dims.size(), ")");
  std::vector<bool> seen(self.dim(), false);
  Shape out;
  for (int64_t d : dims) {
    const int64_t w = wrap_dim(d, self.dim());
    KILN_CHECK(!seen[w], op, ": repeated dim in permute");
    seen[w] = true;
    out.push_back(self.sizes()[w]);
  }
  return out;
}

Shape transpose(const char*, const Tensor& self, int64_t dim0, int64_t dim1) {
  Shape out = self.sizes();
  if (self.dim() == 0) {
    wrap_dim(dim0, 0);
    wrap_dim(dim1, 0);
    return out;
  }
  std::swap(out[wrap_dim(dim0, self.dim())], out[wrap_dim(dim1, self.dim())]);
  return out;
}

Shape expand(const char* op, const Tensor& self, IntList size) {
  KILN_CHECK(int64_t(size.size()) >= self.dim(), op,
             ": the number of sizes provided (", size.size(),
             ") must be greater or equal to the number of dimensions in the tensor (", self.dim(),
             ")");
  const int64_t lead = static_cast<int64_t>(size.size()) - self.dim();
  Shape out(size.size());
  for (int64_t i = 0; i < int64_t(size.size()); ++i) {
    if (i < lead) {
      KILN_CHECK(size[i] >= 0, op, ": the expanded size of the tensor (", size[i],
                 ") isn't allowed in a leading, non-existing dimension ", i);
      out[i] = size[i];
      continue;
    }
    const int64_t have = self.sizes()[i - lead];
    const int64_t want = size[i] == -1 ? have : size[i];
    KILN_CHECK(have == want || have == 1, op, ": the expanded size of the tensor (", want,
               ") must match the existing size (", have, ") at non-singleton dimension ", i,
               ".  Target sizes: ", shape_str(size), ".  Tensor sizes: ", shape_str(self.sizes()));
    out[i] = want;
  }
  return out;
}

Shape narrow(const char* op, const Tensor& self, int64_t dim, int64_t start, int64_t length) {
  KILN_CHECK(self.dim() > 0, "narrow() cannot be applied to a 0-dim tensor.");
  const int64_t d = wrap_dim(dim, self.dim());
  const int64_t size = self.sizes()[d];
  KILN_CHECK_INDEX(start >= -size && start <= size, op,
                   ": start out of range (expected to be in range of [", -size, ", ", size,
                   "], but got ", start, ")");
  if (start < 0) start += size;
  KILN_CHECK(length >= 0 && start <= size - length, op, ": start (", start, ") + length (", length,
             ") exceeds dimension size (", size, ").");
  Shape out = self.sizes();
  out[d] = length;
  return out;
}

Shape select(const char* op, const Tensor& self, int64_t dim, int64_t index) {
  KILN_CHECK_INDEX(self.dim() > 0, "select() cannot be applied to a 0-dim tensor.");
  const int64_t d = wrap_dim(dim, self.dim());
  const int64_t size = self.sizes()[d];
  KILN_CHECK_INDEX(index >= -size && index < size, "select(): index ", index,
                   " out of range for tensor of size ", shape_str(self.sizes()), " at dimension ",
                   d);
  Shape out = self.sizes();
  out.erase(out.begin() + d);
  return out;
}

SliceRange slice_range(int64_t size, std::optional<int64_t> start, std::optional<int64_t> end,
                       int64_t step) {
  int64_t s = start.value_or(0);
  int64_t e = end.value_or(std::numeric_limits<int64_t>::max());
  if (s < 0) s += size;
  if (e < 0) e += size;
  s = std::clamp<int64_t>(s, 0, size);
  e = std::clamp<int64_t>(e, s, size);
  return {s, (e - s + step - 1) / step};
}

Shape slice_shape(const char* op, const Tensor& self, int64_t dim, std::optional<int64_t> start,
                  std::optional<int64_t> end, int64_t step) {
  KILN_CHECK_INDEX(self.dim() > 0, "slice() cannot be applied to a 0-dim tensor.");
  KILN_CHECK_VALUE(step > 0, op, ": slice step must be positive");
  const int64_t d = wrap_dim(dim, self.dim());
  Shape out = self.sizes();
  out[d] = slice_range(out[d], start, end, step).length;
  return out;
}

std::vector<Shape> unbind(const char* op, const Tensor& self, int64_t dim) {
  KILN_CHECK_INDEX(self.dim() > 0, op, ": Dimension specified as ", dim,
                   " but tensor has no dimensions");
  const int64_t d = wrap_dim(dim, self.dim());
  Shape piece = self.sizes();
  piece.erase(piece.begin() + d);
  return std::vector<Shape>(self.sizes()[d], piece);
}

Shape squeeze(const char*, const Tensor& self) {
  Shape out;
  for (int64_t s : self.sizes()) {
    if (s != 1) out.push_back(s);
  }
  return out;
}

Shape squeeze(const char*, const Tensor& self, int64_t dim) {
  const int64_t d = wrap_dim(dim, self.dim());
  Shape out = self.sizes();
  if (self.dim() > 0 && out[d] == 1) out.erase(out.begin() + d);
  return out;
}

Shape squeeze(const char* op, const Tensor& self, IntList dims) {
  if (dims.empty()) return self.sizes();  // an empty list squeezes nothing (unlike reductions)
  const std::vector<int64_t> ds = kiln::reduce_dims(op, self.dim(), dims.vec());
  Shape out;
  for (int64_t d = 0; d < self.dim(); ++d) {
    const bool listed = std::binary_search(ds.begin(), ds.end(), d);
    if (!(listed && self.sizes()[d] == 1)) out.push_back(self.sizes()[d]);
  }
  return out;
}

Shape unsqueeze(const char*, const Tensor& self, int64_t dim) {
  const int64_t d = wrap_dim_inclusive(dim, self.dim());
  Shape out = self.sizes();
  out.insert(out.begin() + d, 1);
  return out;
}

Shape flatten(const char* op, const Tensor& self, int64_t start_dim, int64_t end_dim) {
  const int64_t s = wrap_dim(start_dim, self.dim());
  const int64_t e = wrap_dim(end_dim, self.dim());
  KILN_CHECK(s <= e, "flatten() has invalid args: start_dim cannot come after end_dim");
  if (self.dim() == 0) return {1};
  Shape out(self.sizes().begin(), self.sizes().begin() + s);
  int64_t n = 1;
  for (int64_t d = s; d <= e; ++d) n *= self.sizes()[d];
  out.push_back(n);
  out.insert(out.end(), self.sizes().begin() + e + 1, self.sizes().end());
  return out;
}

Shape unflatten(const char* op, const Tensor& self, int64_t dim, IntList sizes) {
  KILN_CHECK_INDEX(self.dim() > 0, op, ": Dimension specified as ", dim,
                   " but tensor has no dimensions");
  const int64_t d = wrap_dim(dim, self.dim());
  KILN_CHECK(!sizes.empty(), op, ": sizes must be non-empty");
  const int64_t size = self.sizes()[d];
  Shape piece = sizes.vec();
  int64_t infer = -1, known = 1;
  for (size_t i = 0; i < piece.size(); ++i) {
    if (piece[i] == -1) {
      KILN_CHECK(infer < 0, op, ": only one dimension can be inferred");
      infer = static_cast<int64_t>(i);
    } else {
      KILN_CHECK(piece[i] >= 0, op, ": invalid size ", piece[i], " in ", shape_str(sizes));
      known *= piece[i];
    }
  }
  if (infer >= 0 && known != 0 && size % known == 0) piece[infer] = size / known;
  KILN_CHECK(numel_of(piece) == size && (infer < 0 || known != 0), op, ": Provided sizes ",
             shape_str(sizes), " don't multiply up to the size of dim ", dim, " (", size,
             ") in the input tensor");
  Shape out(self.sizes().begin(), self.sizes().begin() + d);
  out.insert(out.end(), piece.begin(), piece.end());
  out.insert(out.end(), self.sizes().begin() + d + 1, self.sizes().end());
  return out;
}

Shape t(const char* op, const Tensor& self) {
  KILN_CHECK(self.dim() <= 2, "t() expects a tensor with <= 2 dimensions, but self is ", self.dim(),
             "D");
  Shape out = self.sizes();
  std::reverse(out.begin(), out.end());
  return out;
}

std::vector<int64_t> split_sizes(const char* op, const Tensor& self, int64_t split_size,
                                 int64_t dim) {
  KILN_CHECK(self.dim() > 0, "split expects at least a 1-dimensional tensor");
  KILN_CHECK(split_size >= 0,
             "split expects split_size be non-negative, but got split_size=", split_size);
  const int64_t size = self.sizes()[wrap_dim(dim, self.dim())];
  KILN_CHECK(split_size != 0 || size == 0, op,
             ": split_size can only be 0 if dimension size is 0, but got dimension size of ", size);
  const int64_t n =
      split_size == 0 ? 1 : std::max<int64_t>((size + split_size - 1) / split_size, 1);
  std::vector<int64_t> out(n, split_size);
  out.back() = size - split_size * (n - 1);
  return out;
}

std::vector<int64_t> split_with_sizes_check(const char* op, const Tensor& self, IntList split_sizes,
                                            int64_t dim) {
  KILN_CHECK(self.dim() > 0, "split expects at least a 1-dimensional tensor");
  const int64_t size = self.sizes()[wrap_dim(dim, self.dim())];
  int64_t sum = 0;
  for (int64_t s : split_sizes) {
    KILN_CHECK(s >= 0,
               "split_with_sizes expects split_sizes have only non-negative entries, "
               "but got split_sizes=",
               shape_str(split_sizes));
    sum += s;
  }
  KILN_CHECK(sum == size, "split_with_sizes expects split_sizes to sum exactly to ", size,
             " (input tensor's size at dimension ", dim,
             "), but got split_sizes=", shape_str(split_sizes));
  return split_sizes.vec();
}

std::vector<int64_t> chunk_sizes(const char* op, const Tensor& self, int64_t chunks, int64_t dim) {
  KILN_CHECK(self.dim() > 0, "chunk expects at least a 1-dimensional tensor");
  KILN_CHECK(chunks > 0, "chunk expects `chunks` to be greater than 0, got: ", chunks);
  const int64_t size = self.sizes()[wrap_dim(dim, self.dim())];
  // An empty dim still gives `chunks` (empty) pieces, as PyTorch does.
  if (size == 0) return std::vector<int64_t>(chunks, 0);
  return split_sizes(op, self, (size + chunks - 1) / chunks, dim);
}

static std::vector<Shape> pieces(const Tensor& self, int64_t dim,
                                 const std::vector<int64_t>& sizes) {
  const int64_t d = wrap_dim(dim, self.dim());
  std::vector<Shape> out;
  for (int64_t s : sizes) {
    out.push_back(self.sizes());
    out.back()[d] = s;
  }
  return out;
}

std::vector<Shape> split(const char* op, const Tensor& self, int64_t split_size, int64_t dim) {
  return pieces(self, dim, split_sizes(op, self, split_size, dim));
}

std::vector<Shape> split_with_sizes(const char* op, const Tensor& self, IntList split_sizes,
                                    int64_t dim) {
  return pieces(self, dim, split_with_sizes_check(op, self, split_sizes, dim));
}

std::vector<Shape> chunk(const char* op, const Tensor& self, int64_t chunks, int64_t dim) {
  return pieces(self, dim, chunk_sizes(op, self, chunks, dim));
}

Shape movedim_perm(const char* op, const Tensor& self, IntList source, IntList destination) {
  KILN_CHECK(source.size() == destination.size(), op,
             ": Invalid source or destination dims: source (", shape_str(source),
             " dims) should contain the same number of dims as destination (",
             shape_str(destination), " dims)");
  const int64_t nd = self.dim();
  std::vector<int64_t> perm(std::max<int64_t>(nd, 1), -1);
  std::vector<bool> src_used(perm.size(), false), dst_used(perm.size(), false);
  for (size_t i = 0; i < source.size(); ++i) {
    const int64_t s = wrap_dim(source[i], nd), t = wrap_dim(destination[i], nd);
    KILN_CHECK(!src_used[s], op, ": repeated dim in `source` (", shape_str(source), ")");
    KILN_CHECK(!dst_used[t], op, ": repeated dim in `destination` (", shape_str(destination), ")");
    src_used[s] = dst_used[t] = true;
    perm[t] = s;
  }
  // The dims not moved keep their order in the free positions.
  int64_t next = 0;
  for (int64_t t = 0; t < nd; ++t) {
    if (perm[t] >= 0) continue;
    while (src_used[next]) ++next;
    perm[t] = next++;
  }
  perm.resize(nd);
  return perm;
}

Shape movedim(const char* op, const Tensor& self, IntList source, IntList destination) {
  const Shape perm = movedim_perm(op, self, source, destination);
  Shape out;
  for (int64_t p : perm) out.push_back(self.sizes()[p]);
  return out;
}

}  // namespace kiln::rules
