#include "server/safetensors.h"

#include <algorithm>
#include <cstring>
#include <set>
#include <utility>

#include "engine/core/error.h"

namespace kiln::server {
namespace {

constexpr int kMaxDepth = 16;
constexpr size_t kMaxDims = 64;

// A parsed JSON value. Numbers keep their text: the header needs exact u64 offsets, which a
// double cannot hold.
struct Json {
  enum Kind { kNull, kBool, kNumber, kString, kArray, kObject } kind = kNull;
  bool boolean = false;
  std::string text;  // string value, or the number's text
  std::vector<Json> items;
  std::vector<std::pair<std::string, Json>> fields;
};

[[noreturn]] void bad(const std::string& what) {
  throw Error(ErrorKind::kValue, "invalid safetensors header: " + what);
}

class Parser {
 public:
  explicit Parser(std::string_view s) : s_(s) {}

  Json document() {
    Json v = value(0);
    skip_ws();
    if (i_ != s_.size()) fail("trailing characters after the JSON object");
    return v;
  }

 private:
  [[noreturn]] void fail(const std::string& what) {
    bad(what + " (at byte " + std::to_string(i_) + ")");
  }
  void skip_ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r'))
      ++i_;
  }
  bool eat(char c) {
    skip_ws();
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  void expect(char c) {
    if (!eat(c)) fail(std::string("expected '") + c + "'");
  }
  bool literal(std::string_view w) {
    if (s_.substr(i_, w.size()) == w) {
      i_ += w.size();
      return true;
    }
    return false;
  }

  Json value(int depth) {
    if (depth > kMaxDepth) fail("nested too deeply");
    skip_ws();
    if (i_ >= s_.size()) fail("unexpected end");
    Json v;
    const char c = s_[i_];
    if (c == '{') {
      ++i_;
      v.kind = Json::kObject;
      if (eat('}')) return v;
      do {
        skip_ws();
        std::string key = string();
        expect(':');
        v.fields.emplace_back(std::move(key), value(depth + 1));
      } while (eat(','));
      expect('}');
    } else if (c == '[') {
      ++i_;
      v.kind = Json::kArray;
      if (eat(']')) return v;
      do v.items.push_back(value(depth + 1));
      while (eat(','));
      expect(']');
    } else if (c == '"') {
      v.kind = Json::kString;
      v.text = string();
    } else if (literal("true")) {
      v.kind = Json::kBool;
      v.boolean = true;
    } else if (literal("false")) {
      v.kind = Json::kBool;
    } else if (literal("null")) {
      v.kind = Json::kNull;
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      v.kind = Json::kNumber;
      const size_t start = i_;
      if (s_[i_] == '-') ++i_;
      auto digits = [&] {
        const size_t d0 = i_;
        while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
        if (i_ == d0) fail("malformed number");
      };
      digits();
      if (i_ < s_.size() && s_[i_] == '.') ++i_, digits();
      if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
        ++i_;
        if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-')) ++i_;
        digits();
      }
      v.text = std::string(s_.substr(start, i_ - start));
    } else {
      fail(std::string("unexpected character '") + c + "'");
    }
    return v;
  }

  static void put_utf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
      out += char(cp);
    } else if (cp < 0x800) {
      out += char(0xC0 | (cp >> 6));
      out += char(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += char(0xE0 | (cp >> 12));
      out += char(0x80 | ((cp >> 6) & 0x3F));
      out += char(0x80 | (cp & 0x3F));
    } else {
      out += char(0xF0 | (cp >> 18));
      out += char(0x80 | ((cp >> 12) & 0x3F));
      out += char(0x80 | ((cp >> 6) & 0x3F));
      out += char(0x80 | (cp & 0x3F));
    }
  }

  uint32_t hex4() {
    if (i_ + 4 > s_.size()) fail("truncated \\u escape");
    uint32_t v = 0;
    for (int k = 0; k < 4; ++k) {
      const char h = s_[i_++];
      v <<= 4;
      if (h >= '0' && h <= '9')
        v |= h - '0';
      else if (h >= 'a' && h <= 'f')
        v |= h - 'a' + 10;
      else if (h >= 'A' && h <= 'F')
        v |= h - 'A' + 10;
      else
        fail("bad \\u escape");
    }
    return v;
  }

  std::string string() {
    if (i_ >= s_.size() || s_[i_] != '"') fail("expected a string");
    ++i_;
    std::string out;
    while (true) {
      if (i_ >= s_.size()) fail("unterminated string");
      const char c = s_[i_++];
      if (c == '"') return out;
      if (static_cast<unsigned char>(c) < 0x20) fail("control character in a string");
      if (c != '\\') {
        out += c;
        continue;
      }
      if (i_ >= s_.size()) fail("unterminated string");
      const char e = s_[i_++];
      switch (e) {
        case '"':
          out += '"';
          break;
        case '\\':
          out += '\\';
          break;
        case '/':
          out += '/';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          uint32_t cp = hex4();
          if (cp >= 0xD800 && cp < 0xDC00) {
            if (!literal("\\u")) fail("lone surrogate in \\u escape");
            const uint32_t lo = hex4();
            if (lo < 0xDC00 || lo >= 0xE000) fail("bad surrogate pair");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          } else if (cp >= 0xDC00 && cp < 0xE000) {
            fail("lone surrogate in \\u escape");
          }
          put_utf8(out, cp);
          break;
        }
        default:
          fail("bad escape in a string");
      }
    }
  }

  std::string_view s_;
  size_t i_ = 0;
};

// A non-negative integer that fits in u64 (shapes and offsets).
uint64_t to_u64(const Json& v, const std::string& what) {
  if (v.kind != Json::kNumber || v.text.empty() || v.text[0] == '-' ||
      v.text.find_first_not_of("0123456789") != std::string::npos) {
    bad(what + " must be a non-negative integer");
  }
  uint64_t n = 0;
  for (char c : v.text) {
    const uint64_t d = uint64_t(c - '0');
    if (n > (UINT64_MAX - d) / 10) bad(what + " is too large");
    n = n * 10 + d;
  }
  return n;
}

struct FileDType {
  const char* name;
  size_t size;
  DType kiln;
};

// The file dtypes Kiln reads. I16 widens to int32 on load (Kiln has no int16).
constexpr FileDType kFileDTypes[] = {
    {"BOOL", 1, DType::kBool},   {"U8", 1, DType::kUInt8},      {"I8", 1, DType::kInt8},
    {"I16", 2, DType::kInt32},   {"I32", 4, DType::kInt32},     {"I64", 8, DType::kInt64},
    {"F16", 2, DType::kFloat16}, {"BF16", 2, DType::kBFloat16}, {"F32", 4, DType::kFloat32},
    {"F64", 8, DType::kFloat64},
};

// JSON is UTF-8, and names travel on as protobuf strings, which must be.
bool valid_utf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const size_t n = c < 0x80           ? 1
                     : (c >> 5) == 0x6  ? 2
                     : (c >> 4) == 0xE  ? 3
                     : (c >> 3) == 0x1E ? 4
                                        : 0;
    if (n == 0 || i + n > s.size()) return false;
    uint32_t cp = n == 1 ? c : n == 2 ? c & 0x1F : n == 3 ? c & 0x0F : c & 0x07;
    for (size_t k = 1; k < n; ++k) {
      const auto d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF.
    if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
        (cp >= 0xD800 && cp < 0xE000) || cp > 0x10FFFF) {
      return false;
    }
    i += n;
  }
  return true;
}

const FileDType* find_dtype(std::string_view name) {
  for (const auto& d : kFileDTypes) {
    if (name == d.name) return &d;
  }
  return nullptr;
}

}  // namespace

const char* safetensors_dtype(DType t) {
  switch (t) {
    case DType::kBool:
      return "BOOL";
    case DType::kUInt8:
      return "U8";
    case DType::kInt8:
      return "I8";
    case DType::kInt32:
      return "I32";
    case DType::kInt64:
      return "I64";
    case DType::kFloat16:
      return "F16";
    case DType::kBFloat16:
      return "BF16";
    case DType::kFloat32:
      return "F32";
    case DType::kFloat64:
      return "F64";
  }
  throw Error(ErrorKind::kInternal, "safetensors: unknown dtype");
}

size_t safetensors_element_size(std::string_view file_dtype) {
  const FileDType* d = find_dtype(file_dtype);
  return d ? d->size : 0;
}

SafetensorsHeader parse_safetensors_header(std::string_view json, uint64_t data_len,
                                           size_t max_tensors) {
  if (!valid_utf8(json)) bad("the header is not valid UTF-8");
  const Json doc = Parser(json).document();
  if (doc.kind != Json::kObject) bad("the header is not a JSON object");
  SafetensorsHeader h;
  std::set<std::string> names;
  for (const auto& [name, v] : doc.fields) {
    if (!names.insert(name).second) bad("duplicate key \"" + name + "\"");
    if (name == "__metadata__") {
      if (v.kind != Json::kObject) bad("__metadata__ must be an object of strings");
      for (const auto& [k, s] : v.fields) {
        if (s.kind != Json::kString) bad("__metadata__[\"" + k + "\"] is not a string");
        if (!h.metadata.emplace(k, s.text).second) bad("duplicate __metadata__ key \"" + k + "\"");
      }
      continue;
    }
    if (h.entries.size() >= max_tensors) {
      bad("more than " + std::to_string(max_tensors) + " tensors");
    }
    if (v.kind != Json::kObject) bad("tensor \"" + name + "\" is not an object");
    SafetensorsEntry e;
    e.name = name;
    const Json *dt = nullptr, *shape = nullptr, *offsets = nullptr;
    for (const auto& [k, f] : v.fields) {
      if (k == "dtype")
        dt = &f;
      else if (k == "shape")
        shape = &f;
      else if (k == "data_offsets")
        offsets = &f;
    }
    if (!dt || !shape || !offsets) {
      bad("tensor \"" + name + "\" needs dtype, shape and data_offsets");
    }
    if (dt->kind != Json::kString) bad("tensor \"" + name + "\": dtype is not a string");
    const FileDType* fd = find_dtype(dt->text);
    if (!fd) {
      throw Error(ErrorKind::kValue, "safetensors: tensor \"" + name + "\" has dtype " + dt->text +
                                         ", which Kiln does not support (BOOL, U8, I8, I16, I32, "
                                         "I64, F16, BF16, F32, F64)");
    }
    e.file_dtype = fd->name;
    e.dtype = fd->kiln;
    if (shape->kind != Json::kArray) bad("tensor \"" + name + "\": shape is not a list");
    if (shape->items.size() > kMaxDims) bad("tensor \"" + name + "\": too many dimensions");
    unsigned __int128 numel = 1;
    bool overflow = false;  // more elements than a u64 counts
    for (const Json& d : shape->items) {
      const uint64_t n = to_u64(d, "tensor \"" + name + "\": a dimension");
      if (n > uint64_t(INT64_MAX)) bad("tensor \"" + name + "\": a dimension is too large");
      e.shape.push_back(int64_t(n));
      numel *= n;
      if (numel > UINT64_MAX) overflow = true, numel = UINT64_MAX;
    }
    if (offsets->kind != Json::kArray || offsets->items.size() != 2) {
      bad("tensor \"" + name + "\": data_offsets must be [begin, end]");
    }
    e.begin = to_u64(offsets->items[0], "tensor \"" + name + "\": data_offsets");
    e.end = to_u64(offsets->items[1], "tensor \"" + name + "\": data_offsets");
    if (e.begin > e.end || e.end > data_len) {
      bad("tensor \"" + name + "\": data_offsets [" + std::to_string(e.begin) + ", " +
          std::to_string(e.end) + "] fall outside the " + std::to_string(data_len) +
          "-byte data section");
    }
    const bool empty = std::find(e.shape.begin(), e.shape.end(), 0) != e.shape.end();
    const unsigned __int128 want = empty ? 0 : numel * fd->size;
    if (want != e.end - e.begin || (overflow && !empty)) {
      bad("tensor \"" + name + "\": shape " + str(shape_str(e.shape)) + " of " + fd->name +
          " needs " +
          (want > UINT64_MAX || overflow ? std::string("over 2^64")
                                         : std::to_string(uint64_t(want))) +
          " bytes, data_offsets hold " + std::to_string(e.end - e.begin));
    }
    h.entries.push_back(std::move(e));
  }
  // The tensors must tile the data section: no holes, no overlap, nothing after.
  std::vector<const SafetensorsEntry*> order;
  for (const auto& e : h.entries) order.push_back(&e);
  std::sort(order.begin(), order.end(), [](auto* a, auto* b) {
    return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
  });
  uint64_t at = 0;
  for (const auto* e : order) {
    if (e->begin != at) {
      bad("tensor \"" + e->name + "\" starts at " + std::to_string(e->begin) + ", expected " +
          std::to_string(at) + " (tensors overlap or leave a hole)");
    }
    at = e->end;
  }
  if (at != data_len) {
    bad("the tensors cover " + std::to_string(at) + " bytes of a " + std::to_string(data_len) +
        "-byte data section");
  }
  return h;
}

std::string json_quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"')
      out += "\\\"";
    else if (c == '\\')
      out += "\\\\";
    else if (u < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string make_safetensors_header(const std::vector<SafetensorsEntry>& entries,
                                    const std::map<std::string, std::string>& metadata) {
  std::string j = "{";
  bool first = true;
  if (!metadata.empty()) {
    j += "\"__metadata__\":{";
    for (const auto& [k, v] : metadata) {
      if (!first) j += ",";
      first = false;
      j += json_quote(k) + ":" + json_quote(v);
    }
    j += "}";
    first = false;
  }
  for (const auto& e : entries) {
    if (!first) j += ",";
    first = false;
    j += json_quote(e.name) + ":{\"dtype\":\"" + e.file_dtype + "\",\"shape\":[";
    for (size_t i = 0; i < e.shape.size(); ++i) j += (i ? "," : "") + std::to_string(e.shape[i]);
    j += "],\"data_offsets\":[" + std::to_string(e.begin) + "," + std::to_string(e.end) + "]}";
  }
  j += "}";
  while (j.size() % 8 != 0) j += ' ';
  KILN_CHECK_VALUE(j.size() <= kMaxSafetensorsHeader, "safetensors: the header would be ", j.size(),
                   " bytes, over the format's limit of ", kMaxSafetensorsHeader);
  std::string out(8, '\0');
  uint64_t n = j.size();
  for (int i = 0; i < 8; ++i) out[i] = char((n >> (8 * i)) & 0xFF);
  return out + j;
}

}  // namespace kiln::server
