// A Python number: bool, int (int64) or float (double). Carries its category so that
// promotion can follow PyTorch's rule for Python scalars (`int_tensor * 2.5` is float32).
#pragma once

#include <cstdint>
#include <ostream>

#include "engine/core/dtype.h"

namespace kiln {

class Scalar {
 public:
  enum class Kind : uint8_t { kBool, kInt, kFloat };

  Scalar() : Scalar(int64_t(0)) {}
  Scalar(bool v) : kind_(Kind::kBool) { i_ = v; }  // NOLINT
  Scalar(int v) : kind_(Kind::kInt) { i_ = v; }    // NOLINT
  Scalar(long v) : kind_(Kind::kInt) { i_ = v; }   // NOLINT
  Scalar(long long v) : kind_(Kind::kInt) { i_ = v; }  // NOLINT
  Scalar(unsigned v) : kind_(Kind::kInt) { i_ = v; }   // NOLINT
  Scalar(double v) : kind_(Kind::kFloat) { d_ = v; }   // NOLINT
  Scalar(float v) : kind_(Kind::kFloat) { d_ = v; }    // NOLINT
  Scalar(Half v) : Scalar(float(v)) {}                 // NOLINT
  Scalar(BFloat16 v) : Scalar(float(v)) {}             // NOLINT

  Kind kind() const { return kind_; }
  bool is_bool() const { return kind_ == Kind::kBool; }
  bool is_integral() const { return kind_ == Kind::kInt; }
  bool is_floating() const { return kind_ == Kind::kFloat; }

  // The dtype a 0-dim tensor made from this number has: bool, int64 or float64.
  DType dtype() const {
    return kind_ == Kind::kFloat ? DType::kFloat64
                                 : (kind_ == Kind::kInt ? DType::kInt64 : DType::kBool);
  }

  template <typename T>
  T to() const {
    if constexpr (std::is_same_v<T, bool>) {
      return kind_ == Kind::kFloat ? d_ != 0.0 : i_ != 0;
    } else {
      return kind_ == Kind::kFloat ? static_cast<T>(d_) : static_cast<T>(i_);
    }
  }
  double to_double() const { return to<double>(); }
  int64_t to_int() const { return to<int64_t>(); }
  bool to_bool() const { return to<bool>(); }

  bool operator==(const Scalar& o) const {
    if (kind_ == Kind::kFloat || o.kind_ == Kind::kFloat) return to_double() == o.to_double();
    return i_ == o.i_;
  }

 private:
  Kind kind_;
  union {
    int64_t i_;
    double d_;
  };
};

std::ostream& operator<<(std::ostream& os, const Scalar& s);

}  // namespace kiln
