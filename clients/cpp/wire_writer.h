// Encodes Kiln's packed commands (docs/protocol.md) for ExecuteRequest.commands.
//
//   WireWriter w;
//   w.op(OpId::add, 0, /*callsite=*/0, {3}, {Value::handle(1), Value::handle(2)});
//   w.fetch(/*request=*/7, /*handle=*/3);
//   req.set_commands(w.take());
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace kiln::client {

enum class Cmd : uint8_t {
  kOp = 1, kFree = 2, kSync = 3, kFetch = 4, kMeta = 5, kFormat = 6, kCallsite = 7, kPut = 8,
  kBackward = 9, kGrad = 10, kSetRequiresGrad = 11, kGetGrad = 12, kSetGrad = 13,
  kGradState = 14, kRetainGrad = 15, kGradMode = 16, kManualSeed = 17, kDetach = 18,
  kSetDefaultDtype = 19,
};

// One argument of an OP command.
struct Value {
  enum Tag : uint8_t {
    kNone = 0, kHandle = 1, kInt = 2, kFloat = 3, kBool = 4, kInts = 5, kFloats = 6, kStr = 7,
    kDtype = 8, kDevice = 9, kHandles = 10,
  };
  Tag tag = kNone;
  int64_t i = 0;
  double f = 0;
  std::vector<int64_t> ints;
  std::vector<double> floats;
  std::vector<uint64_t> handles;
  std::string s;

  static Value none() { return {}; }
  static Value handle(uint64_t h) { Value v; v.tag = kHandle; v.i = int64_t(h); return v; }
  static Value integer(int64_t x) { Value v; v.tag = kInt; v.i = x; return v; }
  static Value real(double x) { Value v; v.tag = kFloat; v.f = x; return v; }
  static Value boolean(bool b) { Value v; v.tag = kBool; v.i = b; return v; }
  static Value int_list(std::vector<int64_t> x) { Value v; v.tag = kInts; v.ints = std::move(x); return v; }
  static Value string(std::string x) { Value v; v.tag = kStr; v.s = std::move(x); return v; }
  static Value dtype(uint8_t d) { Value v; v.tag = kDtype; v.i = d; return v; }
  static Value device(std::string d) { Value v; v.tag = kDevice; v.s = std::move(d); return v; }
  static Value handle_list(std::vector<uint64_t> h) { Value v; v.tag = kHandles; v.handles = std::move(h); return v; }
};

class WireWriter {
 public:
  template <typename T>
  void put(T v) {
    const size_t n = buf_.size();
    buf_.resize(n + sizeof(T));
    std::memcpy(&buf_[n], &v, sizeof(T));
  }
  void bytes(const void* p, size_t n) { buf_.append(static_cast<const char*>(p), n); }
  void str(const std::string& s) {
    put<uint32_t>(uint32_t(s.size()));
    bytes(s.data(), s.size());
  }
  void kind(Cmd c) { put<uint8_t>(uint8_t(c)); }

  void value(const Value& v) {
    put<uint8_t>(v.tag);
    switch (v.tag) {
      case Value::kNone: break;
      case Value::kHandle: put<uint64_t>(uint64_t(v.i)); break;
      case Value::kInt: put<int64_t>(v.i); break;
      case Value::kFloat: put<double>(v.f); break;
      case Value::kBool: put<uint8_t>(uint8_t(v.i)); break;
      case Value::kInts:
        put<uint32_t>(uint32_t(v.ints.size()));
        bytes(v.ints.data(), v.ints.size() * 8);
        break;
      case Value::kFloats:
        put<uint32_t>(uint32_t(v.floats.size()));
        bytes(v.floats.data(), v.floats.size() * 8);
        break;
      case Value::kStr:
      case Value::kDevice: str(v.s); break;
      case Value::kDtype: put<uint8_t>(uint8_t(v.i)); break;
      case Value::kHandles:
        put<uint32_t>(uint32_t(v.handles.size()));
        bytes(v.handles.data(), v.handles.size() * 8);
        break;
    }
  }

  // variant: 0 functional, 1 in-place, 2 out= (out tensor last in args).
  void op(uint16_t op_id, uint8_t variant, uint32_t callsite, const std::vector<uint64_t>& outs,
          const std::vector<Value>& args) {
    kind(Cmd::kOp);
    put<uint16_t>(op_id);
    put<uint8_t>(variant);
    put<uint32_t>(callsite);
    put<uint8_t>(uint8_t(outs.size()));
    bytes(outs.data(), outs.size() * 8);
    put<uint8_t>(uint8_t(args.size()));
    for (const Value& v : args) value(v);
  }
  void free(const std::vector<uint64_t>& hs) {
    kind(Cmd::kFree);
    put<uint32_t>(uint32_t(hs.size()));
    bytes(hs.data(), hs.size() * 8);
  }
  void sync(uint64_t request) { kind(Cmd::kSync); put<uint64_t>(request); }
  void fetch(uint64_t request, uint64_t h) { kind(Cmd::kFetch); put<uint64_t>(request); put<uint64_t>(h); }
  void meta(uint64_t request, uint64_t h) { kind(Cmd::kMeta); put<uint64_t>(request); put<uint64_t>(h); }
  void format(uint64_t request, uint64_t h) { kind(Cmd::kFormat); put<uint64_t>(request); put<uint64_t>(h); }
  void callsite(uint32_t id, const std::string& text) { kind(Cmd::kCallsite); put<uint32_t>(id); str(text); }
  void put_tensor(uint64_t h, uint8_t dtype, const std::vector<int64_t>& shape, const void* data,
                  uint64_t nbytes, bool requires_grad = false, const std::string& device = "cpu") {
    kind(Cmd::kPut);
    put<uint64_t>(h);
    put<uint8_t>(dtype);
    put<uint8_t>(uint8_t(shape.size()));
    bytes(shape.data(), shape.size() * 8);
    str(device);
    put<uint64_t>(nbytes);
    bytes(data, nbytes);
    put<uint8_t>(requires_grad);
  }
  void backward(uint32_t callsite, const std::vector<uint64_t>& roots,
                const std::vector<uint64_t>& grads, uint8_t retain = 2, bool create = false) {
    kind(Cmd::kBackward);
    put<uint32_t>(callsite);
    put<uint32_t>(uint32_t(roots.size()));
    bytes(roots.data(), roots.size() * 8);
    bytes(grads.data(), grads.size() * 8);
    put<uint8_t>(retain);
    put<uint8_t>(create);
  }
  void get_grad(uint64_t h, uint64_t out) { kind(Cmd::kGetGrad); put<uint64_t>(h); put<uint64_t>(out); }
  void set_requires_grad(uint64_t h, bool f) { kind(Cmd::kSetRequiresGrad); put<uint64_t>(h); put<uint8_t>(f); }
  void grad_mode(bool enabled) { kind(Cmd::kGradMode); put<uint8_t>(enabled); }
  void manual_seed(uint64_t seed) { kind(Cmd::kManualSeed); put<uint64_t>(seed); }

  const std::string& data() const { return buf_; }
  std::string take() { return std::move(buf_); }
  void clear() { buf_.clear(); }

 private:
  std::string buf_;
};

}  // namespace kiln::client
