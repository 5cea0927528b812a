#include "kernels/cuda/caching_allocator.h"

#include <cuda_runtime_api.h>

#include <string>

#include "kernels/cuda/cuda_util.h"

namespace kiln::cuda {
namespace {

constexpr size_t kMinBlock = 512;            // every block is a multiple of this
constexpr size_t kSmallLimit = 1 << 20;      // requests up to 1 MiB come from small segments
constexpr size_t kSmallSegment = 2 << 20;    // one cudaMalloc serves many small requests
constexpr size_t kMidLimit = 10 << 20;       // requests up to 10 MiB share 20 MiB segments
constexpr size_t kMidSegment = 20 << 20;
constexpr size_t kLargeRound = 2 << 20;      // bigger requests are rounded to 2 MiB

std::string mib(size_t n) {
  char buf[64];
  snprintf(buf, sizeof buf, "%.2f MiB", double(n) / (1 << 20));
  return buf;
}

}  // namespace

size_t CachingAllocator::round_size(size_t nbytes) {
  if (nbytes < kMinBlock) return kMinBlock;
  return (nbytes + kMinBlock - 1) / kMinBlock * kMinBlock;
}

CachingAllocator::DeviceState& CachingAllocator::state(int device) {
  if (size_t(device) >= states_.size()) states_.resize(size_t(device) + 1);
  return states_[size_t(device)];
}

CachingAllocator::Block* CachingAllocator::find_free(DeviceState& st, size_t size, bool small) {
  auto& pool = small ? st.small_free : st.large_free;
  Block key;
  key.size = size;
  key.ptr = nullptr;
  auto it = pool.lower_bound(&key);
  if (it == pool.end()) return nullptr;
  Block* b = *it;
  // A huge cached block is not cut up for a much smaller request (it would pin the segment).
  if (!small && size < kMidLimit && b->size >= kMidLimit * 2) return nullptr;
  pool.erase(it);
  return b;
}

CachingAllocator::Block* CachingAllocator::new_segment(int device, size_t size, bool small) {
  const size_t seg = small ? kSmallSegment
                     : size <= kMidLimit ? kMidSegment
                                         : (size + kLargeRound - 1) / kLargeRound * kLargeRound;
  void* p = nullptr;
  cudaError_t err = cudaMalloc(&p, seg);
  if (err == cudaErrorMemoryAllocation) {
    (void)cudaGetLastError();  // clear it, then give the cache back and try once more
    release_cached(device);
    err = cudaMalloc(&p, seg);
  }
  if (err != cudaSuccess) {
    (void)cudaGetLastError();
    if (err != cudaErrorMemoryAllocation) throw_cuda_error(err, "cudaMalloc");
    size_t free_b = 0, total_b = 0;
    (void)cudaMemGetInfo(&free_b, &total_b);
    (void)cudaGetLastError();
    MemoryStats& s = stats_[device];
    KILN_CHECK_OOM(false, "CUDA out of memory. Tried to allocate ", mib(size), " (GPU ", device,
                   "; ", mib(total_b), " total capacity; ", mib(free_b), " free; ",
                   mib(size_t(s.allocated.load())), " allocated by Kiln; ",
                   mib(size_t(s.reserved.load())), " reserved by Kiln)");
  }
  stats_[device].reserved.fetch_add(int64_t(seg), std::memory_order_relaxed);
  Block* b = new Block;
  b->device = device;
  b->size = seg;
  b->ptr = static_cast<char*>(p);
  b->small = small;
  return b;
}

void* CachingAllocator::allocate(size_t nbytes, Device device) {
  const int dev = device.index;
  KILN_CHECK_OOM(nbytes <= (size_t(1) << 50), "CUDA out of memory. Tried to allocate ",
                 mib(nbytes));
  const size_t size = round_size(nbytes);
  const bool small = size <= kSmallLimit;
  DeviceGuard guard(device);
  std::lock_guard<std::mutex> lk(mu_);
  DeviceState& st = state(dev);
  Block* b = find_free(st, size, small);
  if (b == nullptr) b = new_segment(dev, size, small);
  // Split: the tail stays in the pool when it is worth keeping.
  const size_t rest = b->size - size;
  if (rest >= (small ? kMinBlock : kSmallLimit + 1)) {
    Block* tail = new Block;
    tail->device = dev;
    tail->size = rest;
    tail->ptr = b->ptr + size;
    tail->small = small;
    tail->prev = b;
    tail->next = b->next;
    if (b->next) b->next->prev = tail;
    b->next = tail;
    b->size = size;
    (small ? st.small_free : st.large_free).insert(tail);
  }
  b->allocated = true;
  live_[b->ptr] = b;
  stats_[dev].on_alloc(int64_t(b->size));
  return b->ptr;
}

void CachingAllocator::deallocate(void* ptr, size_t, Device) {
  if (ptr == nullptr) return;
  std::lock_guard<std::mutex> lk(mu_);
  auto it = live_.find(ptr);
  KILN_ASSERT(it != live_.end(), "cuda allocator: freeing an unknown pointer");
  Block* b = it->second;
  live_.erase(it);
  stats_[b->device].on_free(int64_t(b->size));
  b->allocated = false;
  DeviceState& st = state(b->device);
  auto& pool = b->small ? st.small_free : st.large_free;
  // Merge with free neighbours (they are in the pool: take them out first).
  if (b->prev && !b->prev->allocated) {
    Block* p = b->prev;
    pool.erase(p);
    p->size += b->size;
    p->next = b->next;
    if (b->next) b->next->prev = p;
    delete b;
    b = p;
  }
  if (b->next && !b->next->allocated) {
    Block* n = b->next;
    pool.erase(n);
    b->size += n->size;
    b->next = n->next;
    if (n->next) n->next->prev = b;
    delete n;
  }
  pool.insert(b);
}

void CachingAllocator::release_cached(int device) {
  DeviceState& st = state(device);
  for (auto* pool : {&st.small_free, &st.large_free}) {
    for (auto it = pool->begin(); it != pool->end();) {
      Block* b = *it;
      if (b->prev == nullptr && b->next == nullptr) {  // the whole segment is free
        DeviceGuard guard(Device(DeviceType::kCUDA, int16_t(device)));
        // cudaFree waits for the device, so queued kernels that used the block finish first.
        check(cudaFree(b->ptr), "cudaFree");
        stats_[device].reserved.fetch_sub(int64_t(b->size), std::memory_order_relaxed);
        delete b;
        it = pool->erase(it);
      } else {
        ++it;
      }
    }
  }
}

void CachingAllocator::empty_cache() {
  std::lock_guard<std::mutex> lk(mu_);
  for (size_t d = 0; d < states_.size(); ++d) release_cached(int(d));
}

}  // namespace kiln::cuda
