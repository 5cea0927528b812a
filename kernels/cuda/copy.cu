// fill_ and copy_ (dtype casts, strided layouts, broadcasts) on one device.
#include "kernels/cuda/elementwise.cuh"
#include "kernels/cuda/launchers.h"

namespace kiln::cuda {
namespace {

template <typename T>
struct FillOp {
  T v;
  __device__ T operator()() const { return v; }
};

struct Identity {
  template <typename C>
  __device__ C operator()(C a) const { return a; }
};

template <typename T>
T param_as(const Params& p) {
  if constexpr (std::is_same_v<T, bool>) return p.i[0] != 0 || p.f[0] != 0.0;
  else if constexpr (std::is_integral_v<T>) return static_cast<T>(p.i[0]);
  else if constexpr (std::is_same_v<T, __half>) return __double2half(p.f[0]);
  else if constexpr (std::is_same_v<T, __nv_bfloat16>) return __double2bfloat16(p.f[0]);
  else return static_cast<T>(p.f[0]);
}

// Same dtype: move bytes by element size (no conversion, four instantiations in all).
template <typename T>
void copy_same(const Iter& it, const Launch& l) {
  launch_elementwise<1, T, T>(it, l, Identity{});
}

template <typename Out>
bool cast_from(const Iter& it, const Launch& l) {
  // Casts take the strided kernel only: they are rare next to same-dtype copies, and this
  // keeps 81 pairs at one kernel each.
  auto go = [&](auto in_tag) {
    using In = decltype(in_tag);
    if (it.numel == 0) return;
    ew_strided<1, Out, In, Identity>
        <<<blocks_for(it.numel, l), kThreads, 0, l.stream>>>(it, Identity{});
  };
  switch (it.dtype[1]) {
    case kBool: go(bool{}); return true;
    case kU8: go(uint8_t{}); return true;
    case kI8: go(int8_t{}); return true;
    case kI32: go(int32_t{}); return true;
    case kI64: go(int64_t{}); return true;
    case kF16: go(__half{}); return true;
    case kBF16: go(__nv_bfloat16{}); return true;
    case kF32: go(float{}); return true;
    case kF64: go(double{}); return true;
  }
  return false;
}

int elem_size(int32_t d) {
  switch (d) {
    case kBool: case kU8: case kI8: return 1;
    case kF16: case kBF16: return 2;
    case kI32: case kF32: return 4;
    default: return 8;
  }
}

}  // namespace

bool launch_fill(const Iter& it, const Params& p, const Launch& l) {
  switch (it.dtype[0]) {
    KILN_CUDA_ALL_CASES(launch_elementwise<0, T, T>(it, l, FillOp<T>{param_as<T>(p)}))
  }
  return false;
}

bool launch_copy(const Iter& it, const Launch& l) {
  if (it.dtype[0] == it.dtype[1]) {
    switch (elem_size(it.dtype[0])) {
      case 1: copy_same<uint8_t>(it, l); return true;
      case 2: copy_same<uint16_t>(it, l); return true;
      case 4: copy_same<uint32_t>(it, l); return true;
      default: copy_same<uint64_t>(it, l); return true;
    }
  }
  switch (it.dtype[0]) {
    KILN_CUDA_ALL_CASES(return cast_from<T>(it, l))
  }
  return false;
}

}  // namespace kiln::cuda
