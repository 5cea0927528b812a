#include "engine/core/storage.h"

#include "engine/core/error.h"

namespace kiln {

StorageImpl::StorageImpl(size_t nbytes, Device device)
    : nbytes_(nbytes), device_(device), budget_(current_memory_budget()) {
  check_device_available(device);
  if (budget_) budget_->charge(static_cast<int64_t>(nbytes));
  try {
    Allocator* a = device.is_cpu() ? cpu_allocator() : backend(device.type)->allocator();
    data_ = a->allocate(nbytes, device);
  } catch (...) {
    if (budget_) budget_->release(static_cast<int64_t>(nbytes));
    throw;
  }
}

StorageImpl::StorageImpl(void* data, size_t nbytes, std::function<void(void*)> deleter)
    : data_(data), nbytes_(nbytes), device_(kCPU), deleter_(std::move(deleter)) {}

StorageImpl::~StorageImpl() {
  if (deleter_) {
    deleter_(data_);
    return;
  }
  Allocator* a = device_.is_cpu() ? cpu_allocator() : backend(device_.type)->allocator();
  a->deallocate(data_, nbytes_, device_);
  if (budget_) budget_->release(static_cast<int64_t>(nbytes_));
}

}  // namespace kiln
