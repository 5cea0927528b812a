#include "engine/core/generator.h"

namespace kiln {
namespace {
thread_local std::shared_ptr<Generator> t_generator;
}

Generator& default_generator() {
  static Generator global;
  return t_generator ? *t_generator : global;
}

GeneratorScope::GeneratorScope(std::shared_ptr<Generator> g) : prev_(std::move(t_generator)) {
  t_generator = std::move(g);
}

GeneratorScope::~GeneratorScope() { t_generator = std::move(prev_); }

void manual_seed(uint64_t seed) { default_generator().manual_seed(seed); }

}  // namespace kiln
