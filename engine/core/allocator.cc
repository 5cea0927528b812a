#include "engine/core/allocator.h"

#include <cstdlib>
#include <cstring>

#include "engine/core/error.h"
#include "engine/core/shape.h"

namespace kiln {

void MemoryStats::on_alloc(int64_t n) {
  const int64_t now = allocated.fetch_add(n, std::memory_order_relaxed) + n;
  num_allocs.fetch_add(1, std::memory_order_relaxed);
  int64_t p = peak.load(std::memory_order_relaxed);
  while (now > p && !peak.compare_exchange_weak(p, now, std::memory_order_relaxed)) {
  }
}

void MemoryStats::on_free(int64_t n) {
  allocated.fetch_sub(n, std::memory_order_relaxed);
  num_allocs.fetch_sub(1, std::memory_order_relaxed);
}

namespace {

MemoryStats g_cpu_stats;
DeviceBackend* g_backends[kNumDeviceTypes] = {};

class CpuAllocator final : public Allocator {
 public:
  void* allocate(size_t nbytes, Device) override {
    // 64-byte alignment serves AVX-512 loads and keeps rows of small tensors apart.
    const size_t rounded = (std::max<size_t>(nbytes, 1) + 63) & ~size_t(63);
    void* p = std::aligned_alloc(64, rounded);
    KILN_CHECK_OOM(p != nullptr, "CPU out of memory: tried to allocate ", nbytes, " bytes");
    g_cpu_stats.on_alloc(static_cast<int64_t>(nbytes));
    g_cpu_stats.reserved.fetch_add(static_cast<int64_t>(nbytes), std::memory_order_relaxed);
    return p;
  }
  void deallocate(void* ptr, size_t nbytes, Device) override {
    std::free(ptr);
    g_cpu_stats.on_free(static_cast<int64_t>(nbytes));
    g_cpu_stats.reserved.fetch_sub(static_cast<int64_t>(nbytes), std::memory_order_relaxed);
  }
};

thread_local std::shared_ptr<MemoryBudget> t_budget;

}  // namespace

void register_backend(DeviceType type, DeviceBackend* b) { g_backends[int(type)] = b; }

DeviceBackend* backend(DeviceType type) { return g_backends[int(type)]; }

void check_device_available(Device device) {
  if (device.is_cpu()) {
    KILN_CHECK_VALUE(device.index == 0, "cpu device index must be 0, got ", device.index);
    return;
  }
  DeviceBackend* b = backend(device.type);
  KILN_CHECK_NOT_IMPLEMENTED(b != nullptr, device_type_name(device.type),
                             ": this kilnd was built without the ",
                             device_type_name(device.type), " backend");
  const int n = b->device_count();
  KILN_CHECK_VALUE(device.index >= 0 && device.index < n, "device ", device,
                   " does not exist (", n, " ", device_type_name(device.type),
                   " device(s) present)");
}

Allocator* cpu_allocator() {
  static CpuAllocator a;
  return &a;
}

MemoryStats& memory_stats(Device device) {
  if (device.is_cpu()) return g_cpu_stats;
  check_device_available(device);
  return backend(device.type)->stats(device.index);
}

void copy_bytes(void* dst, Device dst_device, const void* src, Device src_device,
                size_t nbytes) {
  if (nbytes == 0) return;
  if (dst_device.is_cpu() && src_device.is_cpu()) {
    std::memcpy(dst, src, nbytes);
    return;
  }
  const Device gpu = dst_device.is_cpu() ? src_device : dst_device;
  check_device_available(gpu);
  backend(gpu.type)->copy_bytes(dst, dst_device, src, src_device, nbytes);
}

void MemoryBudget::charge(int64_t nbytes) {
  const int64_t now = used_.fetch_add(nbytes, std::memory_order_relaxed) + nbytes;
  if (now > limit_) {
    used_.fetch_sub(nbytes, std::memory_order_relaxed);
    KILN_CHECK_OOM(false, "session memory limit exceeded: allocating ", nbytes,
                   " bytes with ", now - nbytes, " bytes in use would pass the limit of ",
                   limit_, " bytes");
  }
}

MemoryBudgetScope::MemoryBudgetScope(std::shared_ptr<MemoryBudget> budget)
    : prev_(std::move(t_budget)) {
  t_budget = std::move(budget);
}

MemoryBudgetScope::~MemoryBudgetScope() { t_budget = std::move(prev_); }

const std::shared_ptr<MemoryBudget>& current_memory_budget() { return t_budget; }

}  // namespace kiln
