#include "engine/optim/value.h"

#include "engine/core/printing.h"

namespace kiln::optim {

Dict::Dict(std::initializer_list<Item> items) {
  for (const Item& it : items) set(it.first, it.second);
}

const Value* Dict::find(std::string_view key) const {
  for (const Item& it : items_) {
    if (it.first == key) return &it.second;
  }
  return nullptr;
}

Value* Dict::find(std::string_view key) {
  for (Item& it : items_) {
    if (it.first == key) return &it.second;
  }
  return nullptr;
}

const Value& Dict::at(std::string_view key) const {
  const Value* v = find(key);
  KILN_CHECK_VALUE(v != nullptr, "no entry '", key, "'");
  return *v;
}

void Dict::set(std::string_view key, Value value) {
  if (Value* v = find(key)) {
    *v = std::move(value);
  } else {
    items_.emplace_back(std::string(key), std::move(value));
  }
}

bool Dict::erase(std::string_view key) {
  for (auto it = items_.begin(); it != items_.end(); ++it) {
    if (it->first == key) {
      items_.erase(it);
      return true;
    }
  }
  return false;
}

namespace {

const char* type_name(const Value& v) {
  switch (v.index()) {
    case 0: return "None";
    case 1: return "bool";
    case 2: return "int";
    case 3: return "float";
    case 4: return "tuple";
    default: return "Tensor";
  }
}

}  // namespace

double as_number(const Value& v, std::string_view what) {
  if (const auto* d = std::get_if<double>(&v)) return *d;
  if (const auto* i = std::get_if<int64_t>(&v)) return double(*i);
  KILN_CHECK_TYPE(false, what, " must be a number, not ", type_name(v));
  return 0;
}

bool as_flag(const Value& v, std::string_view what) {
  const auto* b = std::get_if<bool>(&v);
  KILN_CHECK_TYPE(b != nullptr, what, " must be a bool, not ", type_name(v));
  return *b;
}

const Tensor& as_tensor(const Value& v, std::string_view what) {
  const auto* t = std::get_if<Tensor>(&v);
  KILN_CHECK_TYPE(t != nullptr && t->defined(), what, " must be a Tensor, not ", type_name(v));
  return *t;
}

const std::vector<double>& as_numbers(const Value& v, std::string_view what) {
  const auto* t = std::get_if<std::vector<double>>(&v);
  KILN_CHECK_TYPE(t != nullptr, what, " must be a tuple of numbers, not ", type_name(v));
  return *t;
}

bool is_none(const Value& v) { return std::holds_alternative<std::monostate>(v); }
bool is_tensor(const Value& v) { return std::holds_alternative<Tensor>(v); }

std::string value_repr(const Value& v) {
  switch (v.index()) {
    case 0: return "None";
    case 1: return std::get<bool>(v) ? "True" : "False";
    case 2: return std::to_string(std::get<int64_t>(v));
    case 3: return python_float_repr(std::get<double>(v));
    case 4: {
      const auto& xs = std::get<std::vector<double>>(v);
      std::string s = "(";
      for (size_t i = 0; i < xs.size(); ++i) s += (i ? ", " : "") + python_float_repr(xs[i]);
      return s + (xs.size() == 1 ? ",)" : ")");
    }
    default: return std::get<Tensor>(v).str();
  }
}

}  // namespace kiln::optim
