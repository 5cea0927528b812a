#include "engine/core/allocator.h"

#include <cstdint>
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
    // 64-byte alignment serves AVX-512 loads and keeps rows of small tensors apart. It is
    // done by hand over malloc (the original pointer sits just below the aligned one):
    // glibc's aligned_alloc splits off and frees the slack around each block, small
    // allocations settle in it, and a freed block of the same size can then never be reused;
    // the heap grows by every output of 128 KiB-32 MiB and each one page-faults afresh.
    KILN_CHECK_OOM(nbytes <= SIZE_MAX - 64, "CPU out of memory: tried to allocate ", nbytes,
                   " bytes");
    void* base = std::malloc(nbytes + 64);
    KILN_CHECK_OOM(base != nullptr, "CPU out of memory: tried to allocate ", nbytes, " bytes");
    // malloc's result is 16-aligned, so the next 64-byte boundary past base + 8 is at most
    // base + 64: room for the header, inside the block.
    const uintptr_t at = (reinterpret_cast<uintptr_t>(base) + 8 + 63) & ~uintptr_t(63);
    void* p = reinterpret_cast<void*>(at);
    static_cast<void**>(p)[-1] = base;
    g_cpu_stats.on_alloc(static_cast<int64_t>(nbytes));
    g_cpu_stats.reserved.fetch_add(static_cast<int64_t>(nbytes), std::memory_order_relaxed);
    return p;
  }
  void deallocate(void* ptr, size_t nbytes, Device) override {
    std::free(static_cast<void**>(ptr)[-1]);
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
