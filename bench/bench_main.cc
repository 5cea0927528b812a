// Runs the registered cases: bench_main [--filter SUBSTRING] [--threads N] [--list]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

#include "bench/bench.h"
#include "engine/core/parallel.h"
#include "engine/core/generator.h"

namespace kiln::bench {

std::vector<Case>& registry() {
  static std::vector<Case> r;
  return r;
}

Tensor data(IntList shape, DType dtype) {
  Tensor t = empty_tensor(shape, DType::kFloat32);
  float* p = t.data_ptr<float>();
  uint32_t x = 12345;
  for (int64_t i = 0; i < t.numel(); ++i) {
    x = x * 1664525u + 1013904223u;
    p[i] = float(x >> 8) * (2.0f / 16777216.0f) - 1.0f;
  }
  return dtype == DType::kFloat32 ? t : to(t, std::nullopt, dtype, false);
}

}  // namespace kiln::bench

int main(int argc, char** argv) {
  using namespace kiln::bench;
  std::string filter;
  bool list = false;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--filter") && i + 1 < argc) filter = argv[++i];
    else if (!std::strcmp(argv[i], "--threads") && i + 1 < argc) kiln::set_num_threads(std::atoi(argv[++i]));
    else if (!std::strcmp(argv[i], "--list")) list = true;
  }
  for (const Case& c : registry()) {
    if (!filter.empty() && std::string(c.name).find(filter) == std::string::npos) continue;
    if (list) {
      std::printf("%s\n", c.name);
      continue;
    }
    Body body = c.setup();
    body();  // warm-up
    std::vector<double> times;
    double total = 0;
    while (times.size() < 5 || (total < 0.3 && times.size() < 1000)) {
      const auto t0 = std::chrono::steady_clock::now();
      body();
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      times.push_back(s);
      total += s;
    }
    std::sort(times.begin(), times.end());
    std::printf("%s\t%.9g\n", c.name, times[times.size() / 2]);
    std::fflush(stdout);
  }
  return 0;
}
