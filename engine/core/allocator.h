// Memory: one allocator per device type, byte accounting per device, and per-session budgets.
//
// The CPU allocator is built in; a backend (kernels/cuda) registers its own allocator and
// copy routines through DeviceBackend at start-up, so core never names CUDA.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "engine/core/device.h"

namespace kiln {

// Live bytes per device, read by /metrics and memory_stats().
struct MemoryStats {
  std::atomic<int64_t> allocated{0};  // bytes held by live storages
  std::atomic<int64_t> peak{0};       // high-water mark of `allocated`
  std::atomic<int64_t> reserved{0};   // bytes held from the system (>= allocated with caching)
  std::atomic<int64_t> num_allocs{0}; // live allocations

  void on_alloc(int64_t n);
  void on_free(int64_t n);
};

class Allocator {
 public:
  virtual ~Allocator() = default;
  // Returns at least `nbytes` bytes aligned to 64; throws an OutOfMemory kiln::Error.
  virtual void* allocate(size_t nbytes, Device device) = 0;
  virtual void deallocate(void* ptr, size_t nbytes, Device device) = 0;
  // Returns cached blocks to the system (torch.cuda.empty_cache()).
  virtual void empty_cache() {}
};

// What core needs from a non-CPU backend: an allocator, copies and a sync point.
class DeviceBackend {
 public:
  virtual ~DeviceBackend() = default;
  virtual Allocator* allocator() = 0;
  virtual int device_count() = 0;
  virtual MemoryStats& stats(int index) = 0;
  // Copies bytes between host and device or within a device, ordered on the device's stream.
  virtual void copy_bytes(void* dst, Device dst_device, const void* src, Device src_device,
                          size_t nbytes) = 0;
  virtual void synchronize(Device device) = 0;
};

void register_backend(DeviceType type, DeviceBackend* backend);
// The backend for `type`, or nullptr (CPU has none: it is built in).
DeviceBackend* backend(DeviceType type);
// Throws "cuda: no CUDA backend in this build" / "device cuda:3 does not exist".
void check_device_available(Device device);

Allocator* cpu_allocator();
MemoryStats& memory_stats(Device device);

// Copies bytes between any two devices (CPU<->CPU is memcpy).
void copy_bytes(void* dst, Device dst_device, const void* src, Device src_device, size_t nbytes);

// A byte budget that allocations charge while it is current on the thread: kilnd makes one
// per session, so a session over its memory limit fails its own op with a clear error.
class MemoryBudget {
 public:
  explicit MemoryBudget(int64_t limit_bytes) : limit_(limit_bytes) {}
  // Throws OutOfMemory naming `nbytes`, the use and the limit when the charge does not fit.
  void charge(int64_t nbytes);
  void release(int64_t nbytes) { used_.fetch_sub(nbytes, std::memory_order_relaxed); }
  int64_t used() const { return used_.load(std::memory_order_relaxed); }
  int64_t limit() const { return limit_; }

 private:
  std::atomic<int64_t> used_{0};
  int64_t limit_;
};

// Makes `budget` current on this thread for the scope's lifetime (nullptr: no budget).
class MemoryBudgetScope {
 public:
  explicit MemoryBudgetScope(std::shared_ptr<MemoryBudget> budget);
  ~MemoryBudgetScope();
  MemoryBudgetScope(const MemoryBudgetScope&) = delete;
  MemoryBudgetScope& operator=(const MemoryBudgetScope&) = delete;

 private:
  std::shared_ptr<MemoryBudget> prev_;
};
const std::shared_ptr<MemoryBudget>& current_memory_budget();

}  // namespace kiln
