// What the host side hands to the .cu launchers: plain structs, no engine headers, so nvcc
// compiles only kernels (quickly) and the engine's C++20 headers stay with the host compiler.
#pragma once

#include <cstdint>

typedef struct CUstream_st* cudaStream_t;

namespace kiln::cuda {

inline constexpr int kMaxDims = 12;  // after coalescing; more dims are refused on the host
inline constexpr int kMaxArgs = 5;   // out + up to 4 inputs

// dtype codes: kiln::DType's values (engine/core/dtype.h), repeated here for nvcc.
enum Dt : int32_t { kBool = 0, kU8, kI8, kI32, kI64, kF16, kBF16, kF32, kF64 };

// An elementwise problem: arg 0 is written, args 1.. are read, all addressed by the same
// index over `sizes` through their own element strides (0 where broadcast). `contiguous`
// means every arg is dense in the same order (strides are then not read).
struct Iter {
  int32_t ndim = 0;
  int32_t nargs = 0;
  int64_t numel = 0;
  bool contiguous = false;
  int64_t sizes[kMaxDims] = {};
  int64_t strides[kMaxArgs][kMaxDims] = {};
  void* data[kMaxArgs] = {};
  int32_t dtype[kMaxArgs] = {};
};

// Number parameters of an op (alpha, bounds, ...), in double and int64 both so integer ops
// keep exact 64-bit values.
struct Params {
  double f[4] = {0, 0, 0, 0};
  int64_t i[4] = {0, 0, 0, 0};
};

// Launch context: the device's compute stream and a block-count cap (SMs x resident blocks).
struct Launch {
  cudaStream_t stream = nullptr;
  int max_blocks = 1024;
};

}  // namespace kiln::cuda
