#include "engine/core/printing.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <vector>

#include "engine/core/tensor.h"

namespace kiln {
namespace {

NodeNamer g_node_namer = nullptr;

// An element as shown: integers keep all 64 bits, everything else goes through double.
struct Val {
  double d = 0;
  int64_t i = 0;
};

// Reads element `idx` (a multi-index) of a CPU tensor.
class Reader {
 public:
  explicit Reader(const Tensor& t) : t_(t) {}
  Val at(const std::vector<int64_t>& idx) const {
    int64_t off = 0;
    for (size_t d = 0; d < idx.size(); ++d) off += idx[d] * t_.strides()[d];
    return KILN_DISPATCH_ALL(t_.dtype(), "print", [&]<typename scalar_t>() -> Val {
      const scalar_t v = static_cast<const scalar_t*>(t_.raw_data())[off];
      if constexpr (std::is_integral_v<scalar_t>) {
        return Val{static_cast<double>(v), static_cast<int64_t>(v)};
      } else {
        return Val{static_cast<double>(static_cast<opmath_t<scalar_t>>(v)), 0};
      }
    });
  }

 private:
  const Tensor& t_;
};

std::string fmt(const char* spec, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, spec, v);
  return buf;
}

std::string non_finite(double v) {
  if (std::isnan(v)) return "nan";
  return v > 0 ? "inf" : "-inf";
}

// Chooses a notation and column width from the values that will be shown (PyTorch's
// _Formatter): integers print as "3.", sci mode when max/min > 1000, max > 1e8 or min < 1e-4.
class Formatter {
 public:
  Formatter(DType dtype, const std::vector<Val>& values, const PrintOptions& o)
      : floating_(is_floating(dtype)), bool_(dtype == DType::kBool), o_(o) {
    if (!floating_) {
      for (const Val& v : values) width_ = std::max(width_, raw(v).size());
      return;
    }
    std::vector<double> nz;
    for (const Val& v : values) {
      if (std::isfinite(v.d) && v.d != 0) nz.push_back(v.d);
    }
    if (!nz.empty()) {
      double lo = INFINITY, hi = 0;
      for (double v : nz) {
        lo = std::min(lo, std::fabs(v));
        hi = std::max(hi, std::fabs(v));
        if (v != std::ceil(v)) int_mode_ = false;
      }
      sci_ = hi / lo > 1000.0 || hi > 1.0e8 || (!int_mode_ && lo < 1.0e-4);
      for (double v : nz) {
        const size_t w = sci_ ? sci(v).size() : int_mode_ ? fmt("%.0f", v).size() + 1 : fixed(v).size();
        width_ = std::max(width_, w);
      }
    }
    if (o_.sci_mode) sci_ = *o_.sci_mode;
  }

  size_t width() const { return width_; }

  std::string format(const Val& val) const {
    std::string s;
    const double v = val.d;
    if (!floating_) {
      s = raw(val);
    } else if (!std::isfinite(v)) {
      s = non_finite(v);
    } else if (sci_) {
      s = sci(v);
    } else if (int_mode_) {
      s = fmt("%.0f", v) + ".";
    } else {
      s = fixed(v);
    }
    if (s.size() < width_) s.insert(0, width_ - s.size(), ' ');
    return s;
  }

 private:
  std::string raw(const Val& v) const {
    if (bool_) return v.i != 0 ? "True" : "False";
    return std::to_string(v.i);
  }
  std::string sci(double v) const { return fmt(("%." + std::to_string(o_.precision) + "e").c_str(), v); }
  std::string fixed(double v) const {
    std::string s = fmt(("%." + std::to_string(o_.precision) + "f").c_str(), v);
    if (s == "-0." + std::string(o_.precision, '0') && v == 0) s.erase(0, 1);
    return s;
  }

  bool floating_;
  bool bool_;
  const PrintOptions& o_;
  bool int_mode_ = true;
  bool sci_ = false;
  size_t width_ = 1;
};

class Printer {
 public:
  Printer(const Tensor& t, const PrintOptions& o) : t_(t), r_(t), o_(o) {
    summarize_ = double(t.numel()) > o.threshold;
  }

  // Indices kept along dim `d` when summarizing: the first and last `edgeitems`.
  std::vector<int64_t> kept(int64_t d) const {
    const int64_t n = t_.sizes()[d];
    std::vector<int64_t> k;
    if (summarize_ && n > 2 * o_.edgeitems) {
      for (int64_t i = 0; i < o_.edgeitems; ++i) k.push_back(i);
      for (int64_t i = n - o_.edgeitems; i < n; ++i) k.push_back(i);
    } else {
      for (int64_t i = 0; i < n; ++i) k.push_back(i);
    }
    return k;
  }

  void collect(std::vector<int64_t>& idx, std::vector<Val>& out) const {
    const size_t d = idx.size();
    if (int64_t(d) == t_.dim()) {
      out.push_back(r_.at(idx));
      return;
    }
    for (int64_t i : kept(d)) {
      idx.push_back(i);
      collect(idx, out);
      idx.pop_back();
    }
  }

  std::string run(int indent) {
    std::vector<int64_t> idx;
    std::vector<Val> shown;
    collect(idx, shown);
    Formatter f(t_.dtype(), shown, o_);
    return render(idx, indent, f);
  }

 private:
  bool elided(int64_t d, int64_t i) const {
    return summarize_ && t_.sizes()[d] > 2 * o_.edgeitems && i == o_.edgeitems;
  }

  std::string render(std::vector<int64_t>& idx, int indent, const Formatter& f) const {
    const int64_t d = static_cast<int64_t>(idx.size());
    const int64_t rest = t_.dim() - d;
    if (rest == 0) return f.format(r_.at(idx));
    std::vector<std::string> items;
    const std::vector<int64_t> keep = kept(d);
    for (size_t j = 0; j < keep.size(); ++j) {
      if (elided(d, keep[j]) && j == size_t(o_.edgeitems)) items.push_back(rest == 1 ? " ..." : "...");
      idx.push_back(keep[j]);
      items.push_back(rest == 1 ? f.format(r_.at(idx)) : render(idx, indent + 1, f));
      idx.pop_back();
    }
    std::string s = "[";
    if (rest == 1) {
      const size_t elem_len = f.width() + 2;
      const size_t per_line =
          std::max<size_t>(1, size_t(std::max<int64_t>(0, o_.linewidth - indent)) / elem_len);
      for (size_t i = 0; i < items.size(); ++i) {
        if (i > 0) s += (i % per_line == 0) ? ",\n" + std::string(indent + 1, ' ') : ", ";
        s += items[i];
      }
    } else {
      const std::string sep = "," + std::string(rest - 1, '\n') + std::string(indent + 1, ' ');
      for (size_t i = 0; i < items.size(); ++i) s += (i ? sep : "") + items[i];
    }
    return s + "]";
  }

  const Tensor& t_;
  Reader r_;
  const PrintOptions& o_;
  bool summarize_ = false;
};

// Values must be on the CPU to be read; a device tensor's addressed span is copied once.
Tensor to_cpu_for_print(const Tensor& t) {
  if (t.device().is_cpu()) return t;
  int64_t hi = 0;
  for (int64_t d = 0; d < t.dim(); ++d) hi += (t.sizes()[d] - 1) * t.strides()[d];
  const int64_t span = t.numel() == 0 ? 0 : hi + 1;
  Tensor cpu = empty_tensor({span}, t.dtype(), kCPU);
  copy_bytes(cpu.raw_data(), kCPU, t.raw_data(), t.device(), size_t(span) * t.element_size());
  return make_view(cpu, t.sizes(), t.strides(), 0);
}

}  // namespace

PrintOptions& print_options() {
  static PrintOptions opts;
  return opts;
}

void set_print_profile(const std::string& profile) {
  PrintOptions& o = print_options();
  if (profile == "default") {
    o = PrintOptions{};
  } else if (profile == "short") {
    o = PrintOptions{};
    o.precision = 2;
    o.edgeitems = 2;
  } else if (profile == "full") {
    o = PrintOptions{};
    o.threshold = INFINITY;
  } else {
    KILN_CHECK_VALUE(false, "unknown print profile '", profile,
                     "' (expected default, short or full)");
  }
}

std::string tensor_values_str(const Tensor& t, int indent, const PrintOptions& opts) {
  if (t.numel() == 0) return "[]";
  Tensor cpu = to_cpu_for_print(t);
  return Printer(cpu, opts).run(indent);
}

std::string tensor_repr(const Tensor& t, const ReprOptions& ro) {
  const PrintOptions& o = ro.options ? *ro.options : print_options();
  const int indent = static_cast<int>(ro.prefix.size());
  std::vector<std::string> suffixes;
  if (!t.device().is_cpu()) suffixes.push_back("device='" + t.device().str() + "'");
  const bool default_dtype = t.dtype() == default_float_dtype() || t.dtype() == DType::kInt64 ||
                             t.dtype() == DType::kBool;
  std::string body;
  if (t.numel() == 0) {
    if (t.dim() != 1) {
      // Python's str(tuple(shape)): "(0, 3)".
      std::string size = "size=(";
      for (int64_t d = 0; d < t.dim(); ++d) size += (d ? ", " : "") + std::to_string(t.sizes()[d]);
      suffixes.push_back(size + ")");
    }
    if (t.dtype() != default_float_dtype()) {
      suffixes.push_back("dtype=" + ro.module + "." + dtype_name(t.dtype()));
    }
    body = "[]";
  } else {
    if (!default_dtype) suffixes.push_back("dtype=" + ro.module + "." + dtype_name(t.dtype()));
    body = tensor_values_str(t, indent, o);
  }
  if (!ro.grad_fn_name.empty()) {
    suffixes.push_back("grad_fn=<" + ro.grad_fn_name + ">");
  } else if (ro.requires_grad) {
    suffixes.push_back("requires_grad=True");
  }
  std::string s = ro.prefix + body;
  // PyTorch measures the last line as len(s) - s.rfind("\n") + 1 (rfind gives -1 if none).
  const size_t nl = s.rfind('\n');
  size_t last_line = nl == std::string::npos ? s.size() + 2 : s.size() - nl + 1;
  for (const std::string& suf : suffixes) {
    if (last_line + suf.size() + 2 > size_t(o.linewidth)) {
      s += ",\n" + std::string(indent, ' ') + suf;
      last_line = indent + suf.size();
    } else {
      s += ", " + suf;
      last_line += suf.size() + 2;
    }
  }
  return s + ")";
}

std::string python_float_repr(double x) {
  if (std::isnan(x)) return "nan";
  if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
  // Shortest round-trip digits d1.d2d3...e<exp>, then Python's layout: positional when
  // -4 <= exp < 16, else scientific with a signed exponent of at least two digits.
  char buf[64];
  const auto res = std::to_chars(buf, buf + sizeof(buf), x, std::chars_format::scientific);
  std::string sci(buf, res.ptr);
  std::string sign;
  if (sci[0] == '-') {
    sign = "-";
    sci.erase(0, 1);
  }
  const size_t e = sci.find('e');
  const int exp = std::stoi(sci.substr(e + 1));
  std::string digits = sci.substr(0, e);
  digits.erase(std::remove(digits.begin(), digits.end(), '.'), digits.end());
  if (exp < -4 || exp >= 16) {
    std::string out = sign + digits.substr(0, 1);
    if (digits.size() > 1) out += "." + digits.substr(1);
    const int a = exp < 0 ? -exp : exp;
    return out + (exp < 0 ? "e-" : "e+") + (a < 10 ? "0" : "") + std::to_string(a);
  }
  const int point = exp + 1;  // digits before the decimal point
  if (point <= 0) return sign + "0." + std::string(-point, '0') + digits;
  if (point >= int(digits.size())) return sign + digits + std::string(point - digits.size(), '0') + ".0";
  return sign + digits.substr(0, point) + "." + digits.substr(point);
}

void set_node_namer(NodeNamer namer) { g_node_namer = namer; }

std::string Tensor::str() const {
  if (!defined()) return "tensor(undefined)";
  ReprOptions ro;
  if (grad_fn() && g_node_namer) ro.grad_fn_name = g_node_namer(grad_fn().get());
  ro.requires_grad = requires_grad();
  return tensor_repr(*this, ro);
}

}  // namespace kiln
