// The CUDA caching allocator and transfers: reuse, stats, empty_cache, OOM recovery, copies
// both ways and across layouts. Skips with "no GPU" where there is none.
#include <gtest/gtest.h>

#include "engine/autograd/operators.h"
#include "engine/core/allocator.h"
#include "engine/ops/ops.h"
#include "tests/cuda/cuda_test_util.h"

namespace kiln {
namespace {

const Device kGpu{DeviceType::kCUDA, 0};

// 0, 1, 2, ... as float64 on the CPU, then cast.
Tensor iota(int64_t n, DType dtype) {
  Tensor t = empty_tensor({n}, DType::kFloat64);
  double* p = t.data_ptr<double>();
  for (int64_t i = 0; i < n; ++i) p[i] = double(i);
  return ops::to(t, std::nullopt, dtype, false);
}

// Same shape and values (compared in float64 on the CPU).
bool same(const Tensor& a, const Tensor& b) {
  if (a.sizes() != b.sizes()) return false;
  Tensor x = ops::contiguous(ops::to(a, kCPU, DType::kFloat64, false));
  Tensor y = ops::contiguous(ops::to(b, kCPU, DType::kFloat64, false));
  for (int64_t i = 0; i < x.numel(); ++i) {
    if (x.data_ptr<double>()[i] != y.data_ptr<double>()[i]) return false;
  }
  return true;
}

TEST(CudaAllocator, ReusesFreedBlocks) {
  KILN_REQUIRE_GPU();
  void* first = nullptr;
  {
    Tensor a = empty_tensor({1000}, DType::kFloat32, kGpu);
    first = a.raw_data();
  }
  Tensor b = empty_tensor({1000}, DType::kFloat32, kGpu);
  EXPECT_EQ(b.raw_data(), first) << "a freed block of the same size class is handed out again";
}

TEST(CudaAllocator, StatsTrackAllocatedReservedPeak) {
  KILN_REQUIRE_GPU();
  MemoryStats& s = memory_stats(kGpu);
  const int64_t before = s.allocated.load();
  {
    Tensor a = empty_tensor({1 << 20}, DType::kFloat32, kGpu);  // 4 MiB
    EXPECT_GE(s.allocated.load(), before + (4 << 20));
    EXPECT_GE(s.reserved.load(), s.allocated.load());
    EXPECT_GE(s.peak.load(), s.allocated.load());
  }
  EXPECT_EQ(s.allocated.load(), before);
  EXPECT_GE(s.peak.load(), before + (4 << 20));
}

TEST(CudaAllocator, EmptyCacheReturnsUnusedSegments) {
  KILN_REQUIRE_GPU();
  MemoryStats& s = memory_stats(kGpu);
  { Tensor a = empty_tensor({64 << 20}, DType::kUInt8, kGpu); }
  const int64_t cached = s.reserved.load();
  backend(DeviceType::kCUDA)->allocator()->empty_cache();
  EXPECT_LE(s.reserved.load(), cached - (64 << 20));
}

TEST(CudaAllocator, OutOfMemoryThrowsAndTheNextOpWorks) {
  KILN_REQUIRE_GPU();
  try {
    Tensor huge = empty_tensor({int64_t(1) << 46}, DType::kUInt8, kGpu);  // 64 TiB
    FAIL() << "allocating 64 TiB succeeded";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kOutOfMemory) << e.what();
    EXPECT_NE(std::string(e.what()).find("CUDA out of memory"), std::string::npos) << e.what();
  }
  Tensor x = ops::full({4}, 2.5, DType::kFloat32, kGpu);
  EXPECT_EQ(ops::sum(x).item().to<double>(), 10.0);
}

TEST(CudaCopy, RoundTripsAndConverts) {
  KILN_REQUIRE_GPU();
  Tensor cpu = iota(24 * 1024 * 1024 / 4 + 7, DType::kFloat32);  // > staging buffer
  Tensor gpu = ops::to(cpu, kGpu, std::nullopt, false);
  EXPECT_EQ(gpu.device(), kGpu);
  Tensor back = ops::to(gpu, kCPU, std::nullopt, false);
  EXPECT_TRUE(same(back, cpu));
  // Strided source and a dtype change on the device.
  Tensor m = ops::reshape(iota(12, DType::kInt64), {3, 4});
  Tensor mt = ops::to(ops::to(ops::t(m), kGpu, std::nullopt, false), kCPU, DType::kFloat64, false);
  EXPECT_TRUE(same(mt, ops::to(ops::t(m), std::nullopt, DType::kFloat64, false)));
  // A strided destination on the device.
  Tensor d = ops::zeros({4, 3}, DType::kFloat32, kGpu);
  ops::copy_(ops::t(d), ops::to(m, std::nullopt, DType::kFloat32, false), false);
  EXPECT_TRUE(same(ops::to(d, kCPU, std::nullopt, false),
                         ops::to(ops::t(m), std::nullopt, DType::kFloat32, false)));
}

TEST(CudaDevice, MixedDevicesErrorLikePyTorch) {
  KILN_REQUIRE_GPU();
  Tensor a = ops::ones({3}, DType::kFloat32, kGpu);
  Tensor b = ops::ones({3}, DType::kFloat32);
  try {
    ops::add(a, b, 1);
    FAIL() << "cuda + cpu succeeded";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("Expected all tensors to be on the same device, but "
                                         "found at least two devices, cuda:0 and cpu!"),
              std::string::npos)
        << e.what();
  }
  // A 0-dim CPU tensor is allowed beside CUDA tensors.
  Tensor s = scalar_tensor(2.0, DType::kFloat32);
  Tensor r = ops::mul(a, s);
  EXPECT_EQ(r.device(), kGpu);
  EXPECT_EQ(ops::sum(r).item().to<double>(), 6.0);
}

}  // namespace
}  // namespace kiln
