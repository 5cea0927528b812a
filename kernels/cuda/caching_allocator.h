// The CUDA caching allocator: cudaMalloc is slow and synchronizing, so freed blocks are kept
// and handed out again. Blocks live in segments (one cudaMalloc each); a request takes the
// best-fitting free block of its pool (small requests <= 1 MiB share 2 MiB segments), splits
// off the rest, and a freed block merges with free neighbours of its segment.
//
// Stream-aware reuse: every block belongs to the compute stream of its device, and all of
// the backend's kernels run on that stream, so a block freed by the host while kernels that
// read it are still queued can be handed out at once: later users are ordered after them.
// Transfers on the copy stream are fenced with events and finished before the copy returns.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <set>
#include <unordered_map>
#include <vector>

#include "engine/core/allocator.h"

namespace kiln::cuda {

// Device indices the backend serves (more GPUs in one box are not used).
inline constexpr int kMaxDevices = 16;

class CachingAllocator final : public Allocator {
 public:
  // `stats`: one MemoryStats per device index (kMaxDevices of them).
  explicit CachingAllocator(MemoryStats* stats) : stats_(stats) {}
  ~CachingAllocator() override = default;  // the driver reclaims memory at process exit

  // Throws OutOfMemory ("CUDA out of memory. Tried to allocate ...") after returning the
  // cache to the driver and trying once more.
  void* allocate(size_t nbytes, Device device) override;
  void deallocate(void* ptr, size_t nbytes, Device device) override;
  // Frees every segment with no live block, on every device.
  void empty_cache() override;

  // Rounded size a request of `nbytes` takes (for tests).
  static size_t round_size(size_t nbytes);

 private:
  struct Block {
    int device = 0;
    size_t size = 0;
    char* ptr = nullptr;
    bool allocated = false;
    bool small = false;  // pool
    Block* prev = nullptr;  // neighbours within the segment
    Block* next = nullptr;
  };
  struct BySize {
    bool operator()(const Block* a, const Block* b) const {
      return a->size != b->size ? a->size < b->size : a->ptr < b->ptr;
    }
  };
  struct DeviceState {
    std::set<Block*, BySize> small_free, large_free;
  };

  Block* find_free(DeviceState& st, size_t size, bool small);
  Block* new_segment(int device, size_t size, bool small);
  void release_cached(int device);  // holds mu_
  DeviceState& state(int device);

  std::mutex mu_;
  std::vector<DeviceState> states_;
  std::unordered_map<void*, Block*> live_;
  MemoryStats* stats_;
};

}  // namespace kiln::cuda
