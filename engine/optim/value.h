// The values an optimizer's hyperparameters and state hold, and the ordered dict that holds
// them: the C++ shape of what PyTorch keeps in `param_groups` and `state` (numbers, flags,
// the betas tuple, None, tensors).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "engine/core/tensor.h"

namespace kiln::optim {

// None (std::monostate), a flag, an integer, a number, a tuple of numbers, or a tensor.
using Value = std::variant<std::monostate, bool, int64_t, double, std::vector<double>, Tensor>;

// A string-keyed dict that keeps insertion order, like a Python dict.
class Dict {
 public:
  using Item = std::pair<std::string, Value>;

  Dict() = default;
  Dict(std::initializer_list<Item> items);

  bool contains(std::string_view key) const { return find(key) != nullptr; }
  // nullptr when absent.
  const Value* find(std::string_view key) const;
  Value* find(std::string_view key);
  // Throws ValueError naming the key when absent.
  const Value& at(std::string_view key) const;
  // Replaces the value of `key` in place, or appends it.
  void set(std::string_view key, Value value);
  bool erase(std::string_view key);

  size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }
  auto begin() const { return items_.begin(); }
  auto end() const { return items_.end(); }

 private:
  std::vector<Item> items_;
};

// Typed reads; `what` names the value in the error when it has another type.
// A number is an int64 or a double (not a flag), as a Python number.
double as_number(const Value& v, std::string_view what);
bool as_flag(const Value& v, std::string_view what);
const Tensor& as_tensor(const Value& v, std::string_view what);
const std::vector<double>& as_numbers(const Value& v, std::string_view what);
bool is_none(const Value& v);
bool is_tensor(const Value& v);

// How Python would print the value: 0.001, 1e-08, True, None, (0.9, 0.999), tensor(...).
std::string value_repr(const Value& v);

}  // namespace kiln::optim
