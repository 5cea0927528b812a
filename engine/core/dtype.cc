#include "engine/core/dtype.h"

#include <atomic>
#include <string>

namespace kiln {

size_t element_size(DType t) {
  switch (t) {
    case DType::kBool:
    case DType::kUInt8:
    case DType::kInt8: return 1;
    case DType::kFloat16:
    case DType::kBFloat16: return 2;
    case DType::kInt32:
    case DType::kFloat32: return 4;
    case DType::kInt64:
    case DType::kFloat64: return 8;
  }
  KILN_ASSERT(false, "bad dtype ", int(t));
}

const char* dtype_name(DType t) {
  switch (t) {
    case DType::kBool: return "bool";
    case DType::kUInt8: return "uint8";
    case DType::kInt8: return "int8";
    case DType::kInt32: return "int32";
    case DType::kInt64: return "int64";
    case DType::kFloat16: return "float16";
    case DType::kBFloat16: return "bfloat16";
    case DType::kFloat32: return "float32";
    case DType::kFloat64: return "float64";
  }
  return "invalid";
}

std::ostream& operator<<(std::ostream& os, DType t) { return os << dtype_name(t); }

DType dtype_from_name(std::string_view name) {
  if (name.substr(0, 6) == "torch.") name.remove_prefix(6);
  if (name.substr(0, 5) == "kiln.") name.remove_prefix(5);
  struct Alias {
    std::string_view name;
    DType dtype;
  };
  static constexpr Alias kAliases[] = {
      {"bool", DType::kBool},         {"uint8", DType::kUInt8},       {"int8", DType::kInt8},
      {"int32", DType::kInt32},       {"int", DType::kInt32},         {"int64", DType::kInt64},
      {"long", DType::kInt64},        {"float16", DType::kFloat16},   {"half", DType::kFloat16},
      {"bfloat16", DType::kBFloat16}, {"float32", DType::kFloat32},   {"float", DType::kFloat32},
      {"float64", DType::kFloat64},   {"double", DType::kFloat64},
  };
  for (const Alias& a : kAliases) {
    if (a.name == name) return a.dtype;
  }
  KILN_CHECK_TYPE(false, "unknown dtype '", std::string(name), "'");
  return DType::kFloat32;
}

DType promote_types(DType a, DType b) {
  if (a == b) return a;
  using D = DType;
  constexpr D b1 = D::kBool, u1 = D::kUInt8, i1 = D::kInt8, i4 = D::kInt32, i8 = D::kInt64,
              f2 = D::kFloat16, bf = D::kBFloat16, f4 = D::kFloat32, f8 = D::kFloat64;
  // Rows and columns in enum order: b1 u1 i1 i4 i8 f2 bf f4 f8. uint8 + int8 is int16 in
  // PyTorch; Kiln has no int16, so it widens to int32.
  static constexpr D kTable[kNumDTypes][kNumDTypes] = {
      /* b1 */ {b1, u1, i1, i4, i8, f2, bf, f4, f8},
      /* u1 */ {u1, u1, i4, i4, i8, f2, bf, f4, f8},
      /* i1 */ {i1, i4, i1, i4, i8, f2, bf, f4, f8},
      /* i4 */ {i4, i4, i4, i4, i8, f2, bf, f4, f8},
      /* i8 */ {i8, i8, i8, i8, i8, f2, bf, f4, f8},
      /* f2 */ {f2, f2, f2, f2, f2, f2, f4, f4, f8},
      /* bf */ {bf, bf, bf, bf, bf, f4, bf, f4, f8},
      /* f4 */ {f4, f4, f4, f4, f4, f4, f4, f4, f8},
      /* f8 */ {f8, f8, f8, f8, f8, f8, f8, f8, f8},
  };
  return kTable[int(a)][int(b)];
}

bool can_cast(DType from, DType to) {
  if (is_floating(from) && is_integral(to, /*include_bool=*/true)) return false;
  if (from != DType::kBool && to == DType::kBool) return false;
  return true;
}

namespace {
std::atomic<DType> g_default_float{DType::kFloat32};
thread_local int t_default_float = -1;  // -1: no override
}  // namespace

DType default_float_dtype() {
  if (t_default_float >= 0) return static_cast<DType>(t_default_float);
  return g_default_float.load(std::memory_order_relaxed);
}

DefaultDTypeScope::DefaultDTypeScope(DType t) : prev_(t_default_float) {
  KILN_CHECK_TYPE(t == DType::kFloat32 || t == DType::kFloat64,
                  "only float32 and float64 can be the default dtype, got ", t);
  t_default_float = static_cast<int>(t);
}

DefaultDTypeScope::~DefaultDTypeScope() { t_default_float = prev_; }

void set_default_float_dtype(DType t) {
  KILN_CHECK_TYPE(t == DType::kFloat32 || t == DType::kFloat64,
                  "only float32 and float64 can be the default dtype, got ", t);
  g_default_float.store(t, std::memory_order_relaxed);
}

}  // namespace kiln
