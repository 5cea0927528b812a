// Storage: a reference-counted block of bytes on one device. Tensors that are views of one
// another share a Storage, and with it the version counter that autograd checks.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>

#include "engine/core/allocator.h"
#include "engine/core/device.h"

namespace kiln {

class StorageImpl {
 public:
  // Allocates `nbytes` on `device`, charged to the thread's current MemoryBudget.
  StorageImpl(size_t nbytes, Device device);
  // Wraps memory owned elsewhere (CPU only); `deleter` runs when the storage dies.
  StorageImpl(void* data, size_t nbytes, std::function<void(void*)> deleter);
  ~StorageImpl();
  StorageImpl(const StorageImpl&) = delete;
  StorageImpl& operator=(const StorageImpl&) = delete;

  void* data() const { return data_; }
  size_t nbytes() const { return nbytes_; }
  Device device() const { return device_; }

  // Bumped by every in-place write; saved tensors remember it.
  uint32_t version() const { return version_.load(std::memory_order_relaxed); }
  void bump_version() { version_.fetch_add(1, std::memory_order_relaxed); }

 private:
  void* data_ = nullptr;
  size_t nbytes_ = 0;
  Device device_;
  std::shared_ptr<MemoryBudget> budget_;
  std::function<void(void*)> deleter_;
  std::atomic<uint32_t> version_{0};
};

using Storage = std::shared_ptr<StorageImpl>;

}  // namespace kiln
