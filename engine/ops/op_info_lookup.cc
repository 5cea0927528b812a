#include <string>
#include <unordered_map>

#include "engine/ops/kernel_table.h"
#include "engine/ops/op_info.h"

namespace kiln {

const OpInfo* find_op(OpId id) {
  static const std::vector<const OpInfo*> by_id = [] {
    std::vector<const OpInfo*> v(kMaxOpId + 1, nullptr);
    for (const OpInfo& op : all_ops()) v[static_cast<uint32_t>(op.id)] = &op;
    return v;
  }();
  const auto i = static_cast<uint32_t>(id);
  return i < by_id.size() ? by_id[i] : nullptr;
}

const OpInfo* find_op(std::string_view full_name) {
  static const std::unordered_map<std::string_view, const OpInfo*> by_name = [] {
    std::unordered_map<std::string_view, const OpInfo*> m;
    for (const OpInfo& op : all_ops()) m[op.full_name] = &op;
    return m;
  }();
  auto it = by_name.find(full_name);
  return it == by_name.end() ? nullptr : it->second;
}

bool supports(OpId id, DType dtype, Device device) {
  const OpInfo* op = find_op(id);
  if (op == nullptr) return false;
  const uint32_t set = op->dtypes[static_cast<int>(device.type)];
  if (std::string_view(op->impl) != "kernel") {
    return set == 0 || (set & dtype_bit(dtype)) != 0;
  }
  return (set & dtype_bit(dtype)) != 0;
}

}  // namespace kiln
