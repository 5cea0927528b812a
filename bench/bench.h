// A tiny benchmark registry for Kiln's side of the side-by-side comparisons.
//
//   KILN_BENCH(add_16M_f32) {                      // the case name bench/compare.py uses
//     Tensor a = randn_like_bench({1 << 24}), b = ...;   // setup, not timed
//     return [=] { (void)kiln::add(a, b); };             // the timed body
//   }
//
// bench_main runs each case (after a warm-up) until ~0.3 s have passed and at least 5
// times, and prints "name<TAB>median seconds" per line.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "engine/autograd/functions.h"

namespace kiln::bench {

using Body = std::function<void()>;
using Setup = Body (*)();

struct Case {
  const char* name;
  Setup setup;
};

std::vector<Case>& registry();

struct Registrar {
  Registrar(const char* name, Setup setup) { registry().push_back({name, setup}); }
};

// Deterministic data for benchmarks (values do not matter, only that they are not denormal).
Tensor data(IntList shape, DType dtype = DType::kFloat32);

}  // namespace kiln::bench

#define KILN_BENCH(name)                                                          \
  static ::kiln::bench::Body kiln_bench_setup_##name();                          \
  static ::kiln::bench::Registrar kiln_bench_reg_##name(#name, &kiln_bench_setup_##name); \
  static ::kiln::bench::Body kiln_bench_setup_##name()
