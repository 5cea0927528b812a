#include "tests/ops/reference.h"

#include <cmath>
#include <fstream>
#include <sstream>

#include "engine/autograd/functions.h"

namespace kiln::testing {

const json& reference() {
  static const json j = [] {
    std::ifstream f("tests/ops/reference.json");
    KILN_CHECK(f.good(), "cannot open tests/ops/reference.json (Bazel builds it: //tests/ops:reference_json)");
    return json::parse(f);
  }();
  return j;
}

std::vector<const json*> entries_for(const std::string& op_full_name) {
  static const auto index = [] {
    std::unordered_map<std::string, std::vector<const json*>> m;
    for (const json& e : reference()["entries"]) m[e["op"].get<std::string>()].push_back(&e);
    return m;
  }();
  auto it = index.find(op_full_name);
  return it == index.end() ? std::vector<const json*>{} : it->second;
}

static double decode_float(const json& v) {
  if (v.is_string()) {
    const std::string s = v.get<std::string>();
    if (s == "nan") return NAN;
    return s == "inf" ? INFINITY : -INFINITY;
  }
  return v.get<double>();
}

Tensor decode_tensor(const json& j) {
  const Shape shape = j["shape"].get<Shape>();
  const DType dtype = dtype_from_name(j["dtype"].get<std::string>());
  Tensor t = empty_tensor(shape, dtype);
  const json& data = j["data"];
  KILN_DISPATCH_ALL(dtype, "decode", [&]<typename scalar_t>() {
    scalar_t* p = t.data_ptr<scalar_t>();
    for (size_t i = 0; i < data.size(); ++i) {
      if constexpr (std::is_same_v<scalar_t, bool>) {
        p[i] = data[i].get<bool>();
      } else if constexpr (std::is_integral_v<scalar_t>) {
        p[i] = static_cast<scalar_t>(data[i].get<int64_t>());
      } else {
        p[i] = scalar_t(decode_float(data[i]));
      }
    }
  });
  return t;
}

static IValue decode_arg(const OpArgInfo& info, const json& a, int slot,
                         std::vector<std::pair<std::pair<int, int>, Tensor>>* leaves) {
  auto leaf = [&](Tensor t, int index) {
    if (leaves && t.dtype() == DType::kFloat64) {
      t.set_requires_grad(true);
      leaves->push_back({{slot, index}, t});
    }
    return t;
  };
  if (a.contains("default")) return parse_default(info.type, info.default_);
  if (a.contains("t")) return leaf(decode_tensor(a["t"]), -1);
  if (a.contains("tl")) {
    std::vector<Tensor> ts;
    int i = 0;
    for (const json& t : a["tl"]) {
      ts.push_back(t.is_null() ? Tensor() : leaf(decode_tensor(t), i));
      ++i;
    }
    return ts;
  }
  if (a.contains("none")) return None{};
  if (a.contains("b")) return a["b"].get<bool>();
  if (a.contains("i")) return a["i"].get<int64_t>();
  if (a.contains("f")) return decode_float(a["f"]);
  if (a.contains("s")) return a["s"].get<std::string>();
  if (a.contains("dt")) return dtype_from_name(a["dt"].get<std::string>());
  if (a.contains("il")) return a["il"].get<Shape>();
  if (a.contains("fl")) return a["fl"].get<std::vector<double>>();
  KILN_CHECK(false, "cannot decode argument ", a.dump());
  return None{};
}

std::vector<IValue> decode_args(const OpInfo& op, const json& entry,
                                std::vector<std::pair<std::pair<int, int>, Tensor>>* leaves) {
  std::vector<IValue> args;
  int slot = 0;
  for (const json& a : entry["args"]) {
    args.push_back(decode_arg(op.args.at(slot), a, slot, leaves));
    ++slot;
  }
  return args;
}

OpVariant decode_variant(const json& entry) {
  const std::string v = entry["variant"].get<std::string>();
  if (v == "inplace") return OpVariant::kInplace;
  if (v == "out") return OpVariant::kOut;
  return OpVariant::kFunctional;
}

Tolerance tolerance_for(DType dtype, const json& entry) {
  Tolerance t{0, 0};
  switch (dtype) {
    case DType::kFloat16: t = {1e-3, 2e-3}; break;
    case DType::kBFloat16: t = {1e-2, 1.6e-2}; break;
    case DType::kFloat32: t = {1e-5, 1.3e-6}; break;
    case DType::kFloat64: t = {1e-7, 1e-7}; break;
    default: break;
  }
  if (entry.contains("atol")) t.atol = entry["atol"].get<double>();
  if (entry.contains("rtol")) t.rtol = entry["rtol"].get<double>();
  return t;
}

std::string compare(const Tensor& actual_any, const json& expected, Tolerance tol) {
  std::ostringstream os;
  const DType want = dtype_from_name(expected["dtype"].get<std::string>());
  if (actual_any.dtype() != want) {
    os << "dtype " << actual_any.dtype() << ", expected " << want;
    return os.str();
  }
  const Shape shape = expected["shape"].get<Shape>();
  if (actual_any.sizes() != shape) {
    os << "shape " << shape_str(actual_any.sizes()) << ", expected " << shape_str(shape);
    return os.str();
  }
  Tensor actual = contiguous(to(actual_any, kCPU, std::nullopt, false));
  const json& data = expected["data"];
  int bad = 0;
  for (int64_t i = 0; i < actual.numel(); ++i) {
    const double a = cpu_element_as_double(actual, i);
    const double e = data[i].is_boolean() ? double(data[i].get<bool>()) : decode_float(data[i]);
    // An infinite expected value must be met exactly: rtol * inf would accept anything.
    const bool ok = (std::isnan(a) && std::isnan(e)) || a == e ||
                    (!std::isinf(e) && std::fabs(a - e) <= tol.atol + tol.rtol * std::fabs(e));
    if (!ok && bad++ < 5) os << "[" << i << "] got " << a << " expected " << e << "; ";
  }
  if (bad) os << bad << " of " << actual.numel() << " elements differ";
  return os.str();
}

std::string describe(const json& entry) {
  std::ostringstream os;
  os << entry["op"].get<std::string>() << "[sample " << entry["sample"].get<int>();
  if (!entry["dtype"].is_null()) os << ", " << entry["dtype"].get<std::string>();
  if (entry["variant"] != "functional") os << ", " << entry["variant"].get<std::string>();
  if (!entry["name"].is_null()) os << ", " << entry["name"].get<std::string>();
  os << "]";
  return os.str();
}

}  // namespace kiln::testing
