// Counter-based random numbers (Philox4x32-10, Salmon et al. 2011): element i of a random
// op draws from counter (offset + i / 4), so the same seed gives the same tensor on every run
// and every thread count, and a kernel can start anywhere in the stream.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>

namespace kiln {

struct Philox4x32 {
  static std::array<uint32_t, 4> round10(std::array<uint32_t, 4> ctr, std::array<uint32_t, 2> key) {
    constexpr uint32_t kM0 = 0xD2511F53, kM1 = 0xCD9E8D57;
    constexpr uint32_t kW0 = 0x9E3779B9, kW1 = 0xBB67AE85;
    for (int r = 0; r < 10; ++r) {
      const uint64_t p0 = uint64_t(kM0) * ctr[0];
      const uint64_t p1 = uint64_t(kM1) * ctr[2];
      ctr = {uint32_t(p1 >> 32) ^ ctr[1] ^ key[0], uint32_t(p1),
             uint32_t(p0 >> 32) ^ ctr[3] ^ key[1], uint32_t(p0)};
      key[0] += kW0;
      key[1] += kW1;
    }
    return ctr;
  }
};

// Random state for one stream: a seed and the next unused counter. Thread-safe.
class Generator {
 public:
  explicit Generator(uint64_t seed = 67280421310721ULL) : seed_(seed) {}

  void manual_seed(uint64_t seed) {
    std::lock_guard<std::mutex> lk(mu_);
    seed_ = seed;
    offset_ = 0;
  }
  uint64_t seed() const {
    std::lock_guard<std::mutex> lk(mu_);
    return seed_;
  }
  uint64_t offset() const {
    std::lock_guard<std::mutex> lk(mu_);
    return offset_;
  }
  void set_state(uint64_t seed, uint64_t offset) {
    std::lock_guard<std::mutex> lk(mu_);
    seed_ = seed;
    offset_ = offset;
  }

  // Reserves `n` 128-bit counters; returns (seed, first counter).
  std::pair<uint64_t, uint64_t> reserve(uint64_t n) {
    std::lock_guard<std::mutex> lk(mu_);
    const uint64_t first = offset_;
    offset_ += n;
    return {seed_, first};
  }

 private:
  mutable std::mutex mu_;
  uint64_t seed_;
  uint64_t offset_ = 0;
};

// A stream position handed to a kernel: block(c) gives the 4 words of counter c.
struct PhiloxStream {
  uint64_t seed = 0;
  uint64_t offset = 0;
  std::array<uint32_t, 4> block(uint64_t c) const {
    const uint64_t ctr = offset + c;
    return Philox4x32::round10({uint32_t(ctr), uint32_t(ctr >> 32), 0, 0},
                               {uint32_t(seed), uint32_t(seed >> 32)});
  }
  // Uniform in [0, 1) with 24 (float) or 53 (double) random bits.
  static float to_float(uint32_t u) { return float(u >> 8) * (1.0f / 16777216.0f); }
  static double to_double(uint32_t hi, uint32_t lo) {
    return double((uint64_t(hi) << 21) ^ (lo >> 11)) * (1.0 / 9007199254740992.0);
  }
};

// The generator random ops use when none is given: the thread's override (kilnd installs one
// per session, so sessions do not share a stream) or the process-wide default.
Generator& default_generator();
class GeneratorScope {
 public:
  explicit GeneratorScope(std::shared_ptr<Generator> g);
  ~GeneratorScope();
  GeneratorScope(const GeneratorScope&) = delete;
  GeneratorScope& operator=(const GeneratorScope&) = delete;

 private:
  std::shared_ptr<Generator> prev_;
};
// torch.manual_seed: seeds the current default generator.
void manual_seed(uint64_t seed);

}  // namespace kiln
