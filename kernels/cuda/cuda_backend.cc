// The CUDA DeviceBackend: device discovery, streams, the caching allocator, host<->device
// copies through pinned staging buffers. Registered with engine/core at static-init time;
// nothing here touches the driver until a CUDA tensor is first made, so kilnd starts (and
// reports 0 devices) on machines without a GPU or driver.
#include <cuda_runtime_api.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <mutex>
#include <vector>

#include "engine/core/allocator.h"
#include "kernels/cuda/caching_allocator.h"
#include "kernels/cuda/cuda_util.h"

namespace kiln::cuda {

void throw_cuda_error(cudaError_t err, const char* what) {
  (void)cudaGetLastError();  // clear a non-sticky error so the next op starts clean
  const ErrorKind kind =
      err == cudaErrorMemoryAllocation ? ErrorKind::kOutOfMemory : ErrorKind::kRuntime;
  detail::throw_error(kind, detail::str_cat(what, ": CUDA error: ", cudaGetErrorString(err),
                                            " (", cudaGetErrorName(err), ")"));
}

int device_count() {
  static const int n = [] {
    int c = 0;
    if (cudaGetDeviceCount(&c) != cudaSuccess) {
      (void)cudaGetLastError();
      c = 0;
    }
    return std::min(c, kMaxDevices);
  }();
  return n;
}

DeviceGuard::DeviceGuard(Device device) {
  int cur = 0;
  check(cudaGetDevice(&cur), "cudaGetDevice");
  if (cur != device.index) {
    prev_ = cur;
    check(cudaSetDevice(device.index), "cudaSetDevice");
  }
}

DeviceGuard::~DeviceGuard() {
  if (prev_ >= 0) (void)cudaSetDevice(prev_);
}

namespace {

// Pinned host memory for transfers: two buffers per device so one can be filled while the
// other is in flight.
constexpr size_t kStagingBytes = 8 << 20;

struct PerDevice {
  std::once_flag once;
  cudaStream_t compute = nullptr;
  cudaStream_t copy = nullptr;
  cudaEvent_t staged[2] = {nullptr, nullptr};
  char* staging[2] = {nullptr, nullptr};
  cudaEvent_t fence = nullptr;  // orders the two streams
  int sm_count = 0;
  std::mutex copy_mu;  // one transfer at a time uses the staging buffers
};

std::vector<std::unique_ptr<PerDevice>>& devices() {
  static std::vector<std::unique_ptr<PerDevice>> v = [] {
    std::vector<std::unique_ptr<PerDevice>> d;
    for (int i = 0; i < device_count(); ++i) d.push_back(std::make_unique<PerDevice>());
    return d;
  }();
  return v;
}

PerDevice& dev(int index) {
  auto& v = devices();
  KILN_CHECK_VALUE(index >= 0 && size_t(index) < v.size(), "device cuda:", index,
                   " does not exist (", v.size(), " cuda device(s) present)");
  PerDevice& d = *v[size_t(index)];
  std::call_once(d.once, [&] {
    DeviceGuard g(Device(DeviceType::kCUDA, int16_t(index)));
    // Non-blocking: the legacy default stream (used by libraries we call) never
    // serializes with ours.
    check(cudaStreamCreateWithFlags(&d.compute, cudaStreamNonBlocking), "cudaStreamCreate");
    check(cudaStreamCreateWithFlags(&d.copy, cudaStreamNonBlocking), "cudaStreamCreate");
    check(cudaEventCreateWithFlags(&d.fence, cudaEventDisableTiming), "cudaEventCreate");
    for (int i = 0; i < 2; ++i) {
      check(cudaEventCreateWithFlags(&d.staged[i], cudaEventDisableTiming), "cudaEventCreate");
      void* p = nullptr;
      check(cudaHostAlloc(&p, kStagingBytes, cudaHostAllocDefault), "cudaHostAlloc");
      d.staging[i] = static_cast<char*>(p);
    }
    check(cudaDeviceGetAttribute(&d.sm_count, cudaDevAttrMultiProcessorCount, index),
          "cudaDeviceGetAttribute");
  });
  return d;
}

// `second` waits for everything queued so far on `first`.
void order(PerDevice& d, cudaStream_t first, cudaStream_t second) {
  check(cudaEventRecord(d.fence, first), "cudaEventRecord");
  check(cudaStreamWaitEvent(second, d.fence, 0), "cudaStreamWaitEvent");
}

class CudaBackend final : public DeviceBackend {
 public:
  CudaBackend() : allocator_(stats_) {}

  Allocator* allocator() override { return &allocator_; }
  int device_count() override { return cuda::device_count(); }
  MemoryStats& stats(int index) override { return stats_[index]; }

  void copy_bytes(void* dst, Device dst_device, const void* src, Device src_device,
                  size_t nbytes) override {
    if (nbytes == 0) return;
    if (dst_device.is_cuda() && src_device.is_cuda()) {
      copy_d2d(dst, dst_device.index, src, src_device.index, nbytes);
    } else if (dst_device.is_cuda()) {
      copy_h2d(dst, dst_device.index, static_cast<const char*>(src), nbytes);
    } else {
      copy_d2h(static_cast<char*>(dst), src, src_device.index, nbytes);
    }
  }

  void synchronize(Device device) override {
    PerDevice& d = dev(device.index);
    check(cudaStreamSynchronize(d.compute), "synchronize");
    check(cudaStreamSynchronize(d.copy), "synchronize");
  }

 private:

  static void copy_d2d(void* dst, int dst_idx, const void* src, int src_idx, size_t n) {
    PerDevice& s = dev(src_idx);
    DeviceGuard g(Device(DeviceType::kCUDA, int16_t(src_idx)));
    if (dst_idx == src_idx) {
      check(cudaMemcpyAsync(dst, src, n, cudaMemcpyDeviceToDevice, s.compute), "copy_");
      return;
    }
    // Across devices: the destination's queued work must not still be using dst.
    PerDevice& d = dev(dst_idx);
    check(cudaStreamSynchronize(d.compute), "copy_");
    check(cudaMemcpyPeerAsync(dst, dst_idx, src, src_idx, n, s.compute), "copy_");
    check(cudaStreamSynchronize(s.compute), "copy_");
  }

  // Host -> device through pinned buffers on the copy stream. It returns once the host
  // bytes are consumed (the caller may free them); the compute stream waits for the data.
  static void copy_h2d(void* dst, int idx, const char* src, size_t n) {
    PerDevice& d = dev(idx);
    DeviceGuard g(Device(DeviceType::kCUDA, int16_t(idx)));
    std::lock_guard<std::mutex> lk(d.copy_mu);
    order(d, d.compute, d.copy);  // dst may be a reused block still read by queued kernels
    char* out = static_cast<char*>(dst);
    int buf = 0;
    for (size_t done = 0; done < n; done += kStagingBytes, buf ^= 1) {
      const size_t len = std::min(kStagingBytes, n - done);
      check(cudaEventSynchronize(d.staged[buf]), "copy_");  // the buffer's last copy is done
      std::memcpy(d.staging[buf], src + done, len);
      check(cudaMemcpyAsync(out + done, d.staging[buf], len, cudaMemcpyHostToDevice, d.copy),
            "copy_");
      check(cudaEventRecord(d.staged[buf], d.copy), "cudaEventRecord");
    }
    order(d, d.copy, d.compute);
    check(cudaStreamSynchronize(d.copy), "copy_");
  }

  // Device -> host: waits for the kernels that produce src, then drains through pinned
  // buffers; the bytes are in dst when it returns.
  static void copy_d2h(char* dst, const void* src, int idx, size_t n) {
    PerDevice& d = dev(idx);
    DeviceGuard g(Device(DeviceType::kCUDA, int16_t(idx)));
    std::lock_guard<std::mutex> lk(d.copy_mu);
    order(d, d.compute, d.copy);
    const char* in = static_cast<const char*>(src);
    // Two chunks in flight: queue chunk k+1 before copying chunk k out of its buffer.
    size_t pending_at = 0, pending_len = 0;
    int buf = 0;
    for (size_t done = 0; done < n; done += kStagingBytes, buf ^= 1) {
      const size_t len = std::min(kStagingBytes, n - done);
      check(cudaMemcpyAsync(d.staging[buf], in + done, len, cudaMemcpyDeviceToHost, d.copy),
            "copy_");
      check(cudaEventRecord(d.staged[buf], d.copy), "cudaEventRecord");
      if (pending_len) {
        check(cudaEventSynchronize(d.staged[buf ^ 1]), "copy_");
        std::memcpy(dst + pending_at, d.staging[buf ^ 1], pending_len);
      }
      pending_at = done;
      pending_len = len;
    }
    if (pending_len) {
      check(cudaEventSynchronize(d.staged[buf ^ 1]), "copy_");
      std::memcpy(dst + pending_at, d.staging[buf ^ 1], pending_len);
    }
  }

  MemoryStats stats_[kMaxDevices];
  CachingAllocator allocator_;
};

CudaBackend& the_backend() {
  static CudaBackend b;
  return b;
}

// Static registration: core (and /metrics) find the backend; no CUDA call happens here.
[[maybe_unused]] const bool kRegistered = [] {
  register_backend(DeviceType::kCUDA, &the_backend());
  return true;
}();

}  // namespace

cudaStream_t compute_stream(int index) { return dev(index).compute; }
cudaStream_t copy_stream(int index) { return dev(index).copy; }
int multiprocessor_count(int index) { return dev(index).sm_count; }

}  // namespace kiln::cuda
