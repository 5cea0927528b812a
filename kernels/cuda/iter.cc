#include "kernels/cuda/iter.h"

#include <algorithm>

#include "engine/core/allocator.h"

namespace kiln::cuda {

int32_t dt(DType d) { return int32_t(d); }

Params params(std::initializer_list<Scalar> values) {
  Params p;
  int k = 0;
  for (const Scalar& s : values) {
    KILN_ASSERT(k < 4, "too many params");
    p.f[k] = s.to<double>();
    p.i[k] = s.is_floating() ? int64_t(s.to<double>()) : s.to<int64_t>();
    ++k;
  }
  return p;
}

Tensor on_device(const Tensor& t, Device device) {
  if (!t.defined() || t.device() == device) return t;
  KILN_CHECK(t.device().is_cpu() && t.numel() == 1, "Expected all tensors to be on the same device, but found at least two devices, ",
             device, " and ", t.device(), "!");
  Tensor d = empty_tensor(t.sizes(), t.dtype(), device);
  copy_bytes(d.raw_data(), device, t.raw_data(), t.device(), t.nbytes());
  return d;
}

IterHolder make_iter(const char* op, const Tensor& out, std::initializer_list<Tensor> inputs) {
  IterHolder h;
  Iter& it = h.it;
  const int nargs = 1 + int(inputs.size());
  KILN_ASSERT(nargs <= kMaxArgs, op, ": too many elementwise operands");
  const Shape& sizes = out.sizes();
  const int nd = int(sizes.size());
  it.nargs = nargs;
  it.numel = out.numel();
  // Full-rank strides per arg (0 for broadcast dims), then coalesced below.
  std::vector<std::vector<int64_t>> st(size_t(nargs), std::vector<int64_t>(size_t(nd), 0));
  std::vector<const Tensor*> args{&out};
  h.keep.reserve(inputs.size());  // no reallocation: args point into it
  for (const Tensor& t : inputs) {
    if (t.defined() && t.device() != out.device()) {
      h.keep.push_back(on_device(t, out.device()));
      args.push_back(&h.keep.back());
    } else {
      args.push_back(&t);
    }
  }
  for (int k = 0; k < nargs; ++k) {
    const Tensor& t = *args[size_t(k)];
    it.data[k] = t.raw_data();
    it.dtype[k] = dt(t.dtype());
    const int td = int(t.dim());
    KILN_ASSERT(td <= nd, op, ": input has more dims than the output");
    for (int d = 0; d < td; ++d) {
      const int od = nd - td + d;
      const int64_t s = t.sizes()[size_t(d)];
      KILN_ASSERT(s == sizes[size_t(od)] || s == 1, op, ": input does not broadcast to output");
      st[size_t(k)][size_t(od)] = (s == 1 && sizes[size_t(od)] != 1) ? 0 : t.strides()[size_t(d)];
    }
  }
  // Coalesce: drop size-1 dims; merge dim d into d-1 when every arg steps over it evenly.
  std::vector<int64_t> cs;
  std::vector<std::vector<int64_t>> cst(static_cast<size_t>(nargs));
  for (int d = 0; d < nd; ++d) {
    const int64_t s = sizes[size_t(d)];
    if (s == 1) continue;
    bool merge = !cs.empty();
    for (int k = 0; merge && k < nargs; ++k) {
      merge = cst[size_t(k)].back() == st[size_t(k)][size_t(d)] * s;
    }
    if (merge) {
      cs.back() *= s;
      for (int k = 0; k < nargs; ++k) cst[size_t(k)].back() = st[size_t(k)][size_t(d)];
    } else {
      cs.push_back(s);
      for (int k = 0; k < nargs; ++k) cst[size_t(k)].push_back(st[size_t(k)][size_t(d)]);
    }
  }
  KILN_CHECK_NOT_IMPLEMENTED(int(cs.size()) <= kMaxDims, op, ": cuda kernels take at most ",
                             kMaxDims, " non-mergeable dims, got ", cs.size());
  it.ndim = int32_t(cs.size());
  bool contiguous = true;
  for (size_t d = 0; d < cs.size(); ++d) {
    it.sizes[d] = cs[d];
    for (int k = 0; k < nargs; ++k) {
      it.strides[k][d] = cst[size_t(k)][d];
      // After coalescing, dense-in-one-order args are a single dim of stride 1.
      if (cs.size() != 1 || cst[size_t(k)][d] != 1) contiguous = false;
    }
  }
  it.contiguous = contiguous || it.numel <= 1;
  if (it.ndim == 0) {  // a single element: one dim of size numel keeps the kernels simple
    it.ndim = 1;
    it.sizes[0] = it.numel;
  }
  return h;
}

OpScope::OpScope(const Tensor& out) : guard_(out.device()) {
  launch_.stream = compute_stream(out.device().index);
  launch_.max_blocks = std::max(1, multiprocessor_count(out.device().index) * 8);
}

void finish(const char* op, bool handled, DType dtype) {
  KILN_CHECK_NOT_IMPLEMENTED(handled, op, ": no cuda kernel for ", dtype);
  check_launch(op);
}

}  // namespace kiln::cuda
