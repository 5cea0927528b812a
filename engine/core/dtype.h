// Element types and PyTorch's type-promotion rules.
#pragma once

#include <cstddef>
#include <cstdint>
#include <ostream>
#include <string_view>

#include "engine/core/error.h"
#include "engine/core/half.h"

namespace kiln {

// The order is the wire order: never renumber (proto/kiln/v1 mirrors it).
enum class DType : uint8_t {
  kBool = 0,
  kUInt8 = 1,
  kInt8 = 2,
  kInt32 = 3,
  kInt64 = 4,
  kFloat16 = 5,
  kBFloat16 = 6,
  kFloat32 = 7,
  kFloat64 = 8,
};
inline constexpr int kNumDTypes = 9;

size_t element_size(DType t);
// "float32", "int64", ... (PyTorch's names without the "torch.").
const char* dtype_name(DType t);
// Parses a name or alias ("float", "half", "long", "torch.float32"); throws on unknown.
DType dtype_from_name(std::string_view name);
std::ostream& operator<<(std::ostream& os, DType t);

inline bool is_floating(DType t) {
  return t == DType::kFloat16 || t == DType::kBFloat16 || t == DType::kFloat32 ||
         t == DType::kFloat64;
}
inline bool is_integral(DType t, bool include_bool) {
  return t == DType::kUInt8 || t == DType::kInt8 || t == DType::kInt32 || t == DType::kInt64 ||
         (include_bool && t == DType::kBool);
}
inline bool is_signed(DType t) { return t != DType::kBool && t != DType::kUInt8; }

// PyTorch's promote_types: the smallest type both can be represented in (bfloat16 with
// float16 gives float32; uint8 with int8 gives int16, which Kiln lacks, so int32).
DType promote_types(DType a, DType b);

// Can a value of type `from` be stored into `to` without a category demotion
// (float -> int, int -> bool)? PyTorch's can_cast, used for out= and in-place ops.
bool can_cast(DType from, DType to);

// The default floating type (float32), as torch.get_default_dtype(): the thread's override
// (kilnd sets one per session while it runs that session's ops) or the process-wide value.
DType default_float_dtype();
void set_default_float_dtype(DType t);
class DefaultDTypeScope {
 public:
  explicit DefaultDTypeScope(DType t);
  ~DefaultDTypeScope();
  DefaultDTypeScope(const DefaultDTypeScope&) = delete;
  DefaultDTypeScope& operator=(const DefaultDTypeScope&) = delete;

 private:
  int prev_;
};

// Maps C++ element types to DType and back.
template <typename T> struct DTypeOf;
template <> struct DTypeOf<bool> { static constexpr DType value = DType::kBool; };
template <> struct DTypeOf<uint8_t> { static constexpr DType value = DType::kUInt8; };
template <> struct DTypeOf<int8_t> { static constexpr DType value = DType::kInt8; };
template <> struct DTypeOf<int32_t> { static constexpr DType value = DType::kInt32; };
template <> struct DTypeOf<int64_t> { static constexpr DType value = DType::kInt64; };
template <> struct DTypeOf<Half> { static constexpr DType value = DType::kFloat16; };
template <> struct DTypeOf<BFloat16> { static constexpr DType value = DType::kBFloat16; };
template <> struct DTypeOf<float> { static constexpr DType value = DType::kFloat32; };
template <> struct DTypeOf<double> { static constexpr DType value = DType::kFloat64; };
template <typename T> inline constexpr DType dtype_of = DTypeOf<T>::value;

}  // namespace kiln

// ---- dtype dispatch: the one place that turns a runtime DType into a C++ type. ----
//
//   KILN_DISPATCH_ALL(t.dtype(), "add", [&]<typename scalar_t>() { kernel<scalar_t>(...); });
//
// The lambda is a template over the element type, so `if constexpr` on scalar_t discards
// what does not apply. A dtype outside the set is a clear "add: not implemented for bool".
#define KILN_DTYPE_CASE(enum_name, type, ...) \
  case ::kiln::DType::enum_name:              \
    return (__VA_ARGS__).template operator()<type>();

#define KILN_DISPATCH_SWITCH(dtype, name, CASES, ...)                                  \
  [&] {                                                                                \
    const ::kiln::DType _kiln_dt = (dtype);                                            \
    switch (_kiln_dt) {                                                                \
      CASES(__VA_ARGS__)                                                               \
      default:                                                                         \
        ::kiln::detail::throw_error(::kiln::ErrorKind::kNotImplemented,                \
                                    ::kiln::str(name, ": not implemented for ", _kiln_dt)); \
    }                                                                                  \
  }()

#define KILN_CASES_FLOATING(...)                    \
  KILN_DTYPE_CASE(kFloat32, float, __VA_ARGS__)     \
  KILN_DTYPE_CASE(kFloat64, double, __VA_ARGS__)    \
  KILN_DTYPE_CASE(kFloat16, ::kiln::Half, __VA_ARGS__) \
  KILN_DTYPE_CASE(kBFloat16, ::kiln::BFloat16, __VA_ARGS__)
#define KILN_CASES_INTEGRAL(...)                    \
  KILN_DTYPE_CASE(kUInt8, uint8_t, __VA_ARGS__)     \
  KILN_DTYPE_CASE(kInt8, int8_t, __VA_ARGS__)       \
  KILN_DTYPE_CASE(kInt32, int32_t, __VA_ARGS__)     \
  KILN_DTYPE_CASE(kInt64, int64_t, __VA_ARGS__)
#define KILN_CASES_BOOL(...) KILN_DTYPE_CASE(kBool, bool, __VA_ARGS__)
#define KILN_CASES_NUMERIC(...) KILN_CASES_FLOATING(__VA_ARGS__) KILN_CASES_INTEGRAL(__VA_ARGS__)
#define KILN_CASES_ALL(...) KILN_CASES_NUMERIC(__VA_ARGS__) KILN_CASES_BOOL(__VA_ARGS__)
#define KILN_CASES_INTEGRAL_AND_BOOL(...) \
  KILN_CASES_INTEGRAL(__VA_ARGS__) KILN_CASES_BOOL(__VA_ARGS__)

// Every dtype.
#define KILN_DISPATCH_ALL(dtype, name, ...) \
  KILN_DISPATCH_SWITCH(dtype, name, KILN_CASES_ALL, __VA_ARGS__)
// Every dtype but bool.
#define KILN_DISPATCH_NUMERIC(dtype, name, ...) \
  KILN_DISPATCH_SWITCH(dtype, name, KILN_CASES_NUMERIC, __VA_ARGS__)
// float32, float64, float16, bfloat16.
#define KILN_DISPATCH_FLOATING(dtype, name, ...) \
  KILN_DISPATCH_SWITCH(dtype, name, KILN_CASES_FLOATING, __VA_ARGS__)
// uint8, int8, int32, int64.
#define KILN_DISPATCH_INTEGRAL(dtype, name, ...) \
  KILN_DISPATCH_SWITCH(dtype, name, KILN_CASES_INTEGRAL, __VA_ARGS__)
// The integer types and bool.
#define KILN_DISPATCH_INTEGRAL_AND_BOOL(dtype, name, ...) \
  KILN_DISPATCH_SWITCH(dtype, name, KILN_CASES_INTEGRAL_AND_BOOL, __VA_ARGS__)
