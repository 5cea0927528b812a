// fill_ and copy_ (dtype casts, strided layouts, broadcasts) on one device.
#include "kernels/cuda/elementwise.cuh"
#include "kernels/cuda/launchers.h"

namespace kiln::cuda {
namespace {

template <typename C>
struct FillOp {
  C v;
  __device__ C operator()() const { return v; }
};

struct Identity {
  template <typename C>
  __device__ C operator()(C a) const { return a; }
};

bool is_float(int32_t d) { return d == kF16 || d == kBF16 || d == kF32 || d == kF64; }

}  // namespace

bool launch_fill(const Iter& it, const Params& p, const Launch& l) {
  switch (it.dtype[0]) {
    case kF16: case kBF16: case kF32:
      launch_elementwise<0, float>(it, l, FillOp<float>{float(p.f[0])});
      return true;
    case kF64:
      launch_elementwise<0, double>(it, l, FillOp<double>{p.f[0]});
      return true;
    case kBool:  // any nonzero number is true (0.5 included)
      launch_elementwise<0, int64_t>(it, l, FillOp<int64_t>{p.i[0] != 0 || p.f[0] != 0.0});
      return true;
    default:  // integers: the exact int64 value
      launch_elementwise<0, int64_t>(it, l, FillOp<int64_t>{p.i[0]});
      return true;
  }
}

// Casts go through the widest type either side needs: int64 between integers (exact), double
// when float64 is involved, float otherwise (float16/bfloat16/float32 <-> anything narrower).
bool launch_copy(const Iter& it, const Launch& l) {
  const int32_t a = it.dtype[0], b = it.dtype[1];
  if (a == kF64 || b == kF64) {
    launch_elementwise<1, double>(it, l, Identity{});
  } else if (is_float(a) || is_float(b)) {
    launch_elementwise<1, float>(it, l, Identity{});
  } else {
    launch_elementwise<1, int64_t>(it, l, Identity{});
  }
  return true;
}

}  // namespace kiln::cuda
