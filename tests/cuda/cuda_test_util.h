// Shared by the CUDA tests: skip cleanly (and visibly) where there is no GPU.
#pragma once

#include <gtest/gtest.h>

#include "engine/core/allocator.h"

// Skips the test with "skipped: no GPU" when this build has no CUDA backend or the machine
// has no device (no driver, no GPU).
#define KILN_REQUIRE_GPU()                                                              \
  do {                                                                                  \
    ::kiln::DeviceBackend* kiln_b = ::kiln::backend(::kiln::DeviceType::kCUDA);         \
    if (kiln_b == nullptr) GTEST_SKIP() << "skipped: no GPU (built without CUDA)";      \
    if (kiln_b->device_count() == 0) GTEST_SKIP() << "skipped: no GPU";                 \
  } while (0)
