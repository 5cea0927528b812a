// Host-side helpers shared by the CUDA backend's .cc files: error checks that throw
// kiln::Error naming the op, the current device's compute stream, device guards.
#pragma once

#include <cuda_runtime_api.h>

#include "engine/core/device.h"
#include "engine/core/error.h"

namespace kiln::cuda {

// Throws kiln::Error "<what>: CUDA error: <string>" (OutOfMemory for cudaErrorMemoryAllocation)
// and clears the sticky-free error state so the next op can run.
[[noreturn]] void throw_cuda_error(cudaError_t err, const char* what);

inline void check(cudaError_t err, const char* what) {
  if (err != cudaSuccess) throw_cuda_error(err, what);
}

// After a kernel launch: launch-configuration errors surface here, not at the next sync.
inline void check_launch(const char* what) { check(cudaGetLastError(), what); }

// Number of usable devices; 0 without a driver or GPU (never throws).
int device_count();

// Makes `device` current on this thread for the scope (restores the previous one).
class DeviceGuard {
 public:
  explicit DeviceGuard(Device device);
  ~DeviceGuard();
  DeviceGuard(const DeviceGuard&) = delete;
  DeviceGuard& operator=(const DeviceGuard&) = delete;

 private:
  int prev_ = -1;
};

// The compute stream of a device: every kernel of the backend runs on it, so ops on one
// device are ordered without events and the allocator can reuse freed blocks at once.
cudaStream_t compute_stream(int index);
// The copy stream of a device (host<->device transfers), ordered against the compute stream
// with events.
cudaStream_t copy_stream(int index);

// Properties cached per device.
int multiprocessor_count(int index);

}  // namespace kiln::cuda
