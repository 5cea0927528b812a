// Binding kernels to ops: one file per backend fills that backend's KernelTable.
#pragma once

#include "engine/ops/kernel_table.h"

namespace kiln {

// engine/ops/bind_cpu.cc.
void bind_cpu(KernelTable& t);

// A backend built as a separate library (kernels/cuda) registers its binder at start-up.
using KernelBinder = void (*)(KernelTable&);
void register_kernel_binder(DeviceType type, KernelBinder binder);

}  // namespace kiln
