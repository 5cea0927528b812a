#include "engine/ops/kernel_table.h"

#include <mutex>

#include "engine/ops/bind.h"

namespace kiln {
namespace {

KernelBinder g_binders[kNumDeviceTypes] = {};

}  // namespace

void register_kernel_binder(DeviceType type, KernelBinder binder) { g_binders[int(type)] = binder; }

KernelTable& kernel_table(DeviceType type) {
  static KernelTable tables[kNumDeviceTypes];
  static std::once_flag once;
  std::call_once(once, [] {
    bind_cpu(tables[int(DeviceType::kCPU)]);
    for (int t = 0; t < kNumDeviceTypes; ++t) {
      if (g_binders[t]) g_binders[t](tables[t]);
    }
  });
  return tables[int(type)];
}

}  // namespace kiln
