// Kiln's side of bench/cuda_bench.py: each case builds its inputs on cuda:0, warms up, then
// times repeated runs between device synchronizations and prints "name<TAB>median ms<TAB>work"
// (work: bytes moved or flops per run, for the bandwidth/throughput columns).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "engine/autograd/functions.h"
#include "engine/core/allocator.h"
#include "engine/ops/ops.h"
#include "kernels/cuda/linalg_blas.h"

namespace kiln {
namespace {

const Device kGpu{DeviceType::kCUDA, 0};

void sync() { backend(DeviceType::kCUDA)->synchronize(kGpu); }

Tensor data(IntList shape, DType dtype) {
  // Values in [0, 1) made on the CPU (not denormal, not huge), then moved over once.
  Tensor t = empty_tensor(shape, DType::kFloat32);
  float* p = t.data_ptr<float>();
  uint32_t x = 12345;
  for (int64_t i = 0; i < t.numel(); ++i) {
    x = x * 1664525u + 1013904223u;
    p[i] = float(x >> 8) * (1.0f / 16777216.0f);
  }
  return ops::to(t, kGpu, dtype, false);
}

Tensor classes(int64_t n, int64_t c) {
  Tensor t = empty_tensor({n}, DType::kInt64);
  for (int64_t i = 0; i < n; ++i) t.data_ptr<int64_t>()[i] = (i * 7919) % c;
  return ops::to(t, kGpu, std::nullopt, false);
}

double median_ms(const std::function<void()>& body) {
  for (int i = 0; i < 3; ++i) body();
  sync();
  std::vector<double> ms;
  const auto start = std::chrono::steady_clock::now();
  while (ms.size() < 10 || (ms.size() < 200 && std::chrono::steady_clock::now() - start <
                                                   std::chrono::milliseconds(1000))) {
    const auto t0 = std::chrono::steady_clock::now();
    body();
    sync();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                     .count());
  }
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

void report(const char* name, double work, const std::function<void()>& body) {
  std::printf("%s\t%.4f\t%.6g\n", name, median_ms(body), work);
  std::fflush(stdout);
}

void run(const std::string& filter) {
  auto want = [&](const char* name) {
    return filter.empty() || std::string(name).find(filter) != std::string::npos;
  };
  const int64_t n = 4096;
  if (want("matmul_4096_bf16")) {
    const Tensor a = data({n, n}, DType::kBFloat16), b = data({n, n}, DType::kBFloat16);
    report("matmul_4096_bf16", 2.0 * n * n * n, [&] { (void)ops::mm(a, b); });
  }
  if (want("matmul_4096_fp32")) {
    const Tensor a = data({n, n}, DType::kFloat32), b = data({n, n}, DType::kFloat32);
    cuda_nn::set_allow_tf32(false);
    report("matmul_4096_fp32", 2.0 * n * n * n, [&] { (void)ops::mm(a, b); });
    cuda_nn::set_allow_tf32(true);
    report("matmul_4096_tf32", 2.0 * n * n * n, [&] { (void)ops::mm(a, b); });
    cuda_nn::set_allow_tf32(false);
  }
  const int64_t m = int64_t(1) << 26;  // 64M float32 = 256 MiB
  if (want("copy_256MiB")) {
    const Tensor a = data({m}, DType::kFloat32);
    Tensor b = ops::empty({m}, DType::kFloat32, kGpu);
    report("copy_256MiB", 2.0 * 4 * m, [&] { ops::copy_(b, a, false); });
  }
  if (want("add_64M_f32")) {
    const Tensor a = data({m}, DType::kFloat32), b = data({m}, DType::kFloat32);
    report("add_64M_f32", 3.0 * 4 * m, [&] { (void)ops::add(a, b); });
  }
  if (want("softmax_8192x4096_f32")) {
    const Tensor x = data({8192, 4096}, DType::kFloat32);
    report("softmax_8192x4096_f32", 2.0 * 4 * 8192 * 4096, [&] { (void)ops::softmax(x, -1); });
  }
  if (want("layer_norm_8192x4096_f32")) {
    const Tensor x = data({8192, 4096}, DType::kFloat32);
    const Tensor w = data({4096}, DType::kFloat32), b = data({4096}, DType::kFloat32);
    report("layer_norm_8192x4096_f32", 2.0 * 4 * 8192 * 4096,
           [&] { (void)ops::native_layer_norm(x, {4096}, w, b, 1e-5); });
  }
  if (want("cross_entropy_4096x32000_f32")) {
    const Tensor x = data({4096, 32000}, DType::kFloat32);
    const Tensor t = classes(4096, 32000);
    report("cross_entropy_4096x32000_f32", 4.0 * 4096 * 32000,
           [&] { (void)ops::cross_entropy(x, t, Tensor(), -100, "mean", 0.0); });
  }
  if (want("attention_8x16x2048x64_bf16")) {
    const Tensor q = data({8, 16, 2048, 64}, DType::kBFloat16);
    const Tensor k = data({8, 16, 2048, 64}, DType::kBFloat16);
    const Tensor v = data({8, 16, 2048, 64}, DType::kBFloat16);
    report("attention_8x16x2048x64_bf16", 4.0 * 8 * 16 * 2048.0 * 2048 * 64,
           [&] { (void)ops::_scaled_dot_product_attention(q, k, v, Tensor(), 0.0, false); });
  }
  if (want("adamw_100M_f32")) {
    std::vector<Tensor> p, g, m1, m2, mx, st;
    for (int i = 0; i < 10; ++i) {
      p.push_back(data({10000000}, DType::kFloat32));
      g.push_back(data({10000000}, DType::kFloat32));
      m1.push_back(ops::zeros({10000000}, DType::kFloat32, kGpu));
      m2.push_back(ops::zeros({10000000}, DType::kFloat32, kGpu));
      st.push_back(ops::zeros({}, DType::kFloat32, kCPU));
    }
    report("adamw_100M_f32", 7.0 * 4 * 1e8, [&] {
      ops::_fused_adamw_(p, g, m1, m2, mx, st, 1e-3, 0.9, 0.999, 0.01, 1e-8, false, false);
    });
  }
}

}  // namespace
}  // namespace kiln

int main(int argc, char** argv) {
  const std::string filter = argc > 1 ? argv[1] : "";
  try {
    kiln::check_device_available(kiln::kGpu);
    kiln::run(filter);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cuda_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
