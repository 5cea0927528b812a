// Index-family ops written from other ops (table/index.yaml, impl: composite): stack, the
// repeats, roll and the non-constant paddings. Their gradients come from the ops they call
// (cat, expand, index_select, ...), which accumulate wherever an entry was used twice.
#include <algorithm>

#include "engine/autograd/functions.h"
#include "engine/ops/rules.h"

namespace kiln {

namespace {

// `r`, or a copy of it when it is a view of `self` (repeat(x, [1, 1]) reshapes to a view, but
// the op always returns new storage, as PyTorch's does).
Tensor fresh(const Tensor& r, const Tensor& self) {
  return r.storage() == self.storage() ? clone(r) : r;
}

}  // namespace

Tensor stack(const std::vector<Tensor>& tensors, int64_t dim) {
  rules::stack("stack", tensors, dim);
  const int64_t d = wrap_dim_inclusive(dim, tensors[0].dim());
  std::vector<Tensor> parts;
  for (const Tensor& t : tensors) parts.push_back(unsqueeze(t, d));
  return cat(parts, d);
}

// self viewed as (1, s0, 1, s1, ..), broadcast to (r0, s0, r1, s1, ..), then each pair merged.
Tensor repeat(const Tensor& self, IntList repeats) {
  rules::check_defined("repeat", self, "self");
  const Shape out = rules::repeat("repeat", self, repeats);
  const int64_t lead = static_cast<int64_t>(repeats.size()) - self.dim();
  Shape pairs, expanded;
  for (int64_t i = 0; i < int64_t(repeats.size()); ++i) {
    const int64_t s = i < lead ? 1 : self.sizes()[i - lead];
    pairs.insert(pairs.end(), {1, s});
    expanded.insert(expanded.end(), {repeats[i], s});
  }
  return fresh(reshape(expand(reshape(self, pairs), expanded), out), self);
}

Tensor tile(const Tensor& self, IntList dims) {
  rules::check_defined("tile", self, "self");
  rules::tile("tile", self, dims);
  Shape r(std::max<int64_t>(self.dim() - int64_t(dims.size()), 0), 1);
  r.insert(r.end(), dims.begin(), dims.end());
  return repeat(self, r);
}

// Each entry along dim as (.., n, 1, ..) broadcast to (.., n, repeats, ..), then merged.
Tensor repeat_interleave(const Tensor& self, int64_t repeats, std::optional<int64_t> dim,
                         std::optional<int64_t> output_size) {
  rules::check_defined("repeat_interleave", self, "self");
  const Shape out = rules::repeat_interleave("repeat_interleave", self, repeats, dim);
  const Tensor x = dim ? self : flatten(self);
  const int64_t d = dim ? wrap_dim(*dim, self.dim()) : 0;
  KILN_CHECK(!output_size || *output_size == out[d], "repeat_interleave: output_size (",
             output_size.value_or(0), ") does not match the repeated size (", out[d], ")");
  Shape e = x.sizes();
  e.insert(e.begin() + d + 1, repeats);
  return fresh(reshape(expand(unsqueeze(x, d + 1), e), out), self);
}

// The entries along dim picked by repeat_interleave(repeats): index_select does the rest.
Tensor repeat_interleave(const Tensor& self, const Tensor& repeats, std::optional<int64_t> dim,
                         std::optional<int64_t> output_size) {
  rules::check_defined("repeat_interleave", self, "self");
  rules::check_defined("repeat_interleave", repeats, "repeats");
  KILN_CHECK_INDEX(!dim || self.dim() > 0, "repeat_interleave: Dimension specified as ",
                   dim.value_or(0), " but tensor has no dimensions");
  const Tensor x = dim ? self : flatten(self);
  const int64_t d = dim ? wrap_dim(*dim, self.dim()) : 0;
  KILN_CHECK(repeats.dim() <= 1, "repeat_interleave only accept 1D vector as repeat");
  // One repeat count applies to every entry.
  Tensor r = repeats.numel() == 1 ? expand(reshape(repeats, {1}), {x.sizes()[d]}) : repeats;
  KILN_CHECK(r.dim() == 1 && r.sizes()[0] == x.sizes()[d],
             "repeats must have the same size as input along dim");
  return index_select(x, d, repeat_interleave(r, output_size));
}

// Each shifted dim as two narrow slices swapped by cat; the flattened tensor when dims is [].
Tensor roll(const Tensor& self, IntList shifts, IntList dims) {
  rules::check_defined("roll", self, "self");
  rules::roll("roll", self, shifts, dims);
  if (dims.empty()) return view(roll(flatten(self), shifts, {0}), self.sizes());
  Tensor x = self;
  bool moved = false;
  for (size_t i = 0; i < dims.size(); ++i) {
    const int64_t d = wrap_dim(dims[i], self.dim()), n = self.sizes()[d];
    if (n == 0) continue;
    const int64_t s = ((shifts[i] % n) + n) % n;
    if (s == 0) continue;
    x = cat({narrow(x, d, n - s, s), narrow(x, d, 0, n - s)}, d);
    moved = true;
  }
  return moved ? x : clone(x);  // roll returns new storage even when nothing moves
}

// reflect / replicate / circular: along each padded dim, an index_select by the source
// position of every output entry (so the gradient accumulates where entries repeat).
Tensor pad(const Tensor& self, IntList pad, const std::string& mode, std::optional<double> value) {
  rules::check_defined("pad", self, "self");
  rules::pad("pad", self, pad, mode, value);
  if (mode == "constant") {
    return constant_pad_nd(self, pad, value ? Scalar(*value) : Scalar(0));
  }
  Tensor x = self;
  for (size_t i = 0; i < pad.size() / 2; ++i) {
    const int64_t d = self.dim() - 1 - int64_t(i), n = self.sizes()[d];
    const int64_t l = pad[2 * i], m = n + l + pad[2 * i + 1];
    Tensor idx = empty_tensor({m}, DType::kInt64);
    int64_t* p = idx.data_ptr<int64_t>();
    // circular repeats the entries that negative pads leave, [lo, lo + kept).
    const int64_t lo = std::max<int64_t>(-l, 0);
    const int64_t kept = n - lo - std::max<int64_t>(-pad[2 * i + 1], 0);
    for (int64_t j = 0; j < m; ++j) {
      int64_t s = j - l;
      if (mode == "reflect") {
        s = s < 0 ? -s : (s >= n ? 2 * (n - 1) - s : s);
      } else if (mode == "replicate") {
        s = std::clamp<int64_t>(s, 0, n - 1);
      } else {
        s = lo + (((j - std::max<int64_t>(l, 0)) % kept) + kept) % kept;
      }
      p[j] = s;
    }
    x = index_select(x, d, to(idx, self.device(), std::nullopt, false));
  }
  return x;
}

}  // namespace kiln
