#include "engine/core/shape.h"

#include <algorithm>

#include "engine/core/error.h"

namespace kiln {

std::ostream& operator<<(std::ostream& os, ShapeStr s) {
  os << '[';
  for (size_t i = 0; i < s.v.size(); ++i) os << (i ? ", " : "") << s.v[i];
  return os << ']';
}

std::ostream& operator<<(std::ostream& os, const Shape& s) { return os << ShapeStr{s}; }

int64_t checked_numel(IntList sizes, const char* what) {
  int64_t n = 1;
  for (int64_t s : sizes) {
    KILN_CHECK_VALUE(s >= 0, what, ": negative dimension ", s, " in size ", shape_str(sizes));
    KILN_CHECK_VALUE(!__builtin_mul_overflow(n, s, &n), what, ": size ", shape_str(sizes),
                     " has too many elements (overflows int64)");
  }
  return n;
}

Shape contiguous_strides(IntList sizes) {
  Shape strides(sizes.size());
  int64_t s = 1;
  for (size_t i = sizes.size(); i-- > 0;) {
    strides[i] = s;
    s *= std::max<int64_t>(sizes[i], 1);
  }
  return strides;
}

int64_t wrap_dim(int64_t dim, int64_t ndim) {
  const int64_t n = std::max<int64_t>(ndim, 1);  // scalars accept dim 0 and -1, like PyTorch
  KILN_CHECK_INDEX(dim >= -n && dim < n, "Dimension out of range (expected to be in range of [",
                   -n, ", ", n - 1, "], but got ", dim, ")");
  return dim < 0 ? dim + n : dim;
}

std::vector<int64_t> reduce_dims(const char* op, int64_t ndim, const std::optional<Shape>& dims) {
  std::vector<int64_t> out;
  if (!dims || dims->empty()) {
    for (int64_t d = 0; d < ndim; ++d) out.push_back(d);
    return out;
  }
  std::vector<bool> seen(std::max<int64_t>(ndim, 1), false);
  for (int64_t d : *dims) {
    const int64_t w = wrap_dim(d, ndim);
    KILN_CHECK(!seen[w], op, ": dim ", w, " appears multiple times in the list of dims");
    seen[w] = true;
    out.push_back(w);
  }
  std::sort(out.begin(), out.end());
  return out;
}

Shape broadcast_shapes(const char* op, IntList a, IntList b) {
  const size_t n = std::max(a.size(), b.size());
  Shape out(n);
  for (size_t i = 0; i < n; ++i) {
    const int64_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
    const int64_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
    KILN_CHECK(da == db || da == 1 || db == 1, op, ": shapes ", shape_str(a), " and ",
               shape_str(b), " do not broadcast (size ", da, " vs ", db, " at dimension ", i,
               ")");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

}  // namespace kiln
