#include <cstdlib>
#include <cstring>
#include <string_view>

#include "engine/autograd/boxed.h"

namespace kiln {

const char* ivalue_kind_name(const IValue& v) {
  static const char* kNames[] = {"None",   "Tensor", "list of Tensors", "int",    "float", "bool",
                                 "list of ints", "str", "dtype", "device", "list of floats"};
  return kNames[v.index()];
}

BoxedArgs::BoxedArgs(const OpInfo& op, std::vector<IValue> args, Tensor out)
    : op_(op), args_(std::move(args)), defaults_(op.args.size()), out_(std::move(out)) {
  KILN_CHECK_TYPE(args_.size() <= op.args.size(), op.name, "() takes ", op.args.size(),
                  " arguments but ", args_.size(), " were given");
}

const IValue& BoxedArgs::get(size_t i, const char* name) {
  if (i < args_.size()) return args_[i];
  const OpArgInfo& a = op_.args[i];
  KILN_CHECK_TYPE(a.default_ != nullptr, op_.name, "() missing required argument '", name, "'");
  defaults_[i] = parse_default(a.type, a.default_);
  return defaults_[i];
}

void BoxedArgs::bad(size_t i, const char* name, const char* expected) {
  const IValue& v = i < args_.size() ? args_[i] : defaults_[i];
  KILN_CHECK_TYPE(false, op_.name, "(): argument '", name, "' must be ", expected, ", not ",
                  ivalue_kind_name(v));
  __builtin_unreachable();
}

Tensor BoxedArgs::tensor(size_t i, const char* name) {
  const IValue& v = get(i, name);
  if (auto* t = std::get_if<Tensor>(&v)) return *t;
  // A Python number where a Tensor goes: a 0-dim "wrapped number" (x + 2).
  if (auto* n = std::get_if<int64_t>(&v)) return wrapped_scalar(Scalar(*n));
  if (auto* d = std::get_if<double>(&v)) return wrapped_scalar(Scalar(*d));
  if (auto* b = std::get_if<bool>(&v)) return wrapped_scalar(Scalar(*b));
  bad(i, name, "Tensor");
}

Tensor BoxedArgs::optional_tensor(size_t i, const char* name) {
  if (std::holds_alternative<None>(get(i, name))) return Tensor();
  return tensor(i, name);
}

std::vector<Tensor> BoxedArgs::tensor_list(size_t i, const char* name) {
  const IValue& v = get(i, name);
  if (auto* l = std::get_if<std::vector<Tensor>>(&v)) return *l;
  if (auto* t = std::get_if<Tensor>(&v)) return {*t};
  bad(i, name, "tuple of Tensors");
}

std::vector<Tensor> BoxedArgs::optional_tensor_list(size_t i, const char* name) {
  return tensor_list(i, name);  // undefined entries are the Nones
}

int64_t BoxedArgs::int_(size_t i, const char* name) {
  const IValue& v = get(i, name);
  if (auto* n = std::get_if<int64_t>(&v)) return *n;
  if (auto* b = std::get_if<bool>(&v)) return *b;
  bad(i, name, "int");
}

std::optional<int64_t> BoxedArgs::optional_int(size_t i, const char* name) {
  if (std::holds_alternative<None>(get(i, name))) return std::nullopt;
  return int_(i, name);
}

Shape BoxedArgs::int_list(size_t i, const char* name) {
  const IValue& v = get(i, name);
  if (auto* l = std::get_if<Shape>(&v)) return *l;
  if (auto* n = std::get_if<int64_t>(&v)) return {*n};  // int[1] accepts a plain int
  bad(i, name, "tuple of ints");
}

std::optional<Shape> BoxedArgs::optional_int_list(size_t i, const char* name) {
  if (std::holds_alternative<None>(get(i, name))) return std::nullopt;
  return int_list(i, name);
}

double BoxedArgs::float_(size_t i, const char* name) {
  const IValue& v = get(i, name);
  if (auto* d = std::get_if<double>(&v)) return *d;
  if (auto* n = std::get_if<int64_t>(&v)) return static_cast<double>(*n);
  bad(i, name, "float");
}

std::optional<double> BoxedArgs::optional_float(size_t i, const char* name) {
  if (std::holds_alternative<None>(get(i, name))) return std::nullopt;
  return float_(i, name);
}

bool BoxedArgs::bool_(size_t i, const char* name) {
  const IValue& v = get(i, name);
  if (auto* b = std::get_if<bool>(&v)) return *b;
  bad(i, name, "bool");
}

Scalar BoxedArgs::scalar(size_t i, const char* name) {
  const IValue& v = get(i, name);
  if (auto* n = std::get_if<int64_t>(&v)) return Scalar(*n);
  if (auto* d = std::get_if<double>(&v)) return Scalar(*d);
  if (auto* b = std::get_if<bool>(&v)) return Scalar(*b);
  if (auto* t = std::get_if<Tensor>(&v)) {
    if (t->numel() == 1) return t->item();
  }
  bad(i, name, "Number");
}

std::optional<Scalar> BoxedArgs::optional_scalar(size_t i, const char* name) {
  if (std::holds_alternative<None>(get(i, name))) return std::nullopt;
  return scalar(i, name);
}

DType BoxedArgs::dtype(size_t i, const char* name) {
  const IValue& v = get(i, name);
  if (auto* d = std::get_if<DType>(&v)) return *d;
  if (auto* s = std::get_if<std::string>(&v)) return dtype_from_name(*s);
  bad(i, name, "torch.dtype");
}

std::optional<DType> BoxedArgs::optional_dtype(size_t i, const char* name) {
  if (std::holds_alternative<None>(get(i, name))) return std::nullopt;
  return dtype(i, name);
}

std::optional<Device> BoxedArgs::optional_device(size_t i, const char* name) {
  const IValue& v = get(i, name);
  if (std::holds_alternative<None>(v)) return std::nullopt;
  if (auto* d = std::get_if<Device>(&v)) return *d;
  if (auto* s = std::get_if<std::string>(&v)) return Device::parse(*s);
  bad(i, name, "torch.device");
}

std::string BoxedArgs::string(size_t i, const char* name) {
  const IValue& v = get(i, name);
  if (auto* s = std::get_if<std::string>(&v)) return *s;
  bad(i, name, "str");
}

std::optional<std::string> BoxedArgs::optional_string(size_t i, const char* name) {
  if (std::holds_alternative<None>(get(i, name))) return std::nullopt;
  return string(i, name);
}

IValue parse_default(const char* schema_type, const char* text) {
  const std::string_view t(text);
  const std::string_view type(schema_type);
  if (t == "None") return None{};
  if (t == "True") return true;
  if (t == "False") return false;
  if (!t.empty() && (t[0] == '"' || t[0] == '\'')) return std::string(t.substr(1, t.size() - 2));
  if (!t.empty() && t[0] == '[') {
    Shape v;
    const std::string inner(t.substr(1, t.size() - 2));
    const char* p = inner.c_str();
    while (*p) {
      char* end;
      const long long n = std::strtoll(p, &end, 10);
      if (end == p) break;
      v.push_back(n);
      p = end;
      while (*p == ',' || *p == ' ') ++p;
    }
    return v;
  }
  if (type.substr(0, 10) == "ScalarType") return dtype_from_name(t);
  const std::string s(t);
  const bool is_float = s.find_first_of(".eE") != std::string::npos && s.find("inf") == std::string::npos;
  if (type.substr(0, 5) == "float" || is_float) return std::strtod(s.c_str(), nullptr);
  return static_cast<int64_t>(std::strtoll(s.c_str(), nullptr, 10));
}

std::vector<Tensor> call_boxed(OpId id, OpVariant variant, std::vector<IValue> args, Tensor out) {
  const OpInfo* op = find_op(id);
  KILN_CHECK_VALUE(op != nullptr, "unknown op id ", static_cast<uint32_t>(id));
  BoxedFn fn = boxed_fn(id, variant);
  KILN_CHECK_VALUE(fn != nullptr, op->name, ": has no ",
                   variant == OpVariant::kInplace ? "in-place" : "out=", " variant");
  KILN_CHECK_TYPE(variant != OpVariant::kOut || out.defined(), op->name, ": out= needs a tensor");
  BoxedArgs a(*op, std::move(args), std::move(out));
  return fn(a);
}

}  // namespace kiln
