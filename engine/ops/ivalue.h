// A boxed argument: what a client sends for one parameter of an op, before it is unpacked
// into the C++ type the op's signature asks for.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "engine/core/tensor.h"

namespace kiln {

struct None {};

// In a std::vector<Tensor>, an undefined Tensor stands for None (Tensor?[] arguments).

using IValue = std::variant<None, Tensor, std::vector<Tensor>, int64_t, double, bool, Shape,
                            std::string, DType, Device, std::vector<double>>;

const char* ivalue_kind_name(const IValue& v);

}  // namespace kiln
