#include "engine/core/scalar.h"

namespace kiln {

std::ostream& operator<<(std::ostream& os, const Scalar& s) {
  switch (s.kind()) {
    case Scalar::Kind::kBool: return os << (s.to_bool() ? "True" : "False");
    case Scalar::Kind::kInt: return os << s.to_int();
    case Scalar::Kind::kFloat: return os << s.to_double();
  }
  return os;
}

}  // namespace kiln
