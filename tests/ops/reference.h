// Reads tests/ops/reference.json (written by gen_reference.py from PyTorch) and turns its
// entries into Kiln calls: boxed arguments in, outputs compared with tolerances by dtype.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/autograd/boxed.h"

namespace kiln::testing {

using json = nlohmann::json;

// The parsed reference file (loaded once).
const json& reference();
// Entries of one op, in file order.
std::vector<const json*> entries_for(const std::string& op_full_name);

Tensor decode_tensor(const json& j);
// Boxed arguments of an entry; `as_grad_leaves` makes float64 inputs require grad and lists
// them (slot, index in list or -1) in `leaves`.
std::vector<IValue> decode_args(const OpInfo& op, const json& entry,
                                std::vector<std::pair<std::pair<int, int>, Tensor>>* leaves = nullptr);
OpVariant decode_variant(const json& entry);

// Tolerances for an output dtype (sample overrides win).
struct Tolerance {
  double atol, rtol;
};
Tolerance tolerance_for(DType dtype, const json& entry);

// Empty when `actual` matches `expected` (dtype, shape, values within tolerance, NaN == NaN);
// otherwise what differs, for the failure message.
std::string compare(const Tensor& actual, const json& expected, Tolerance tol);

// "add[sample 2, float16]" for messages.
std::string describe(const json& entry);

}  // namespace kiln::testing
