#include "server/executor.h"

#include <cstring>

#include "engine/autograd/boxed.h"
#include "engine/autograd/engine.h"
#include "engine/autograd/functions.h"
#include "engine/autograd/grad_mode.h"
#include "engine/autograd/node.h"
#include "engine/core/printing.h"
#include "server/wire_reader.h"

namespace kiln::server {
namespace {

enum Kind : uint8_t {
  kOp = 1, kFree = 2, kSync = 3, kFetch = 4, kMeta = 5, kFormat = 6, kCallsite = 7, kPut = 8,
  kBackward = 9, kGrad = 10, kSetRequiresGrad = 11, kGetGrad = 12, kSetGrad = 13,
  kGradState = 14, kRetainGrad = 15, kGradMode = 16, kManualSeed = 17, kDetach = 18,
  kSetDefaultDtype = 19,
};

enum Tag : uint8_t {
  kNone = 0, kHandle = 1, kInt = 2, kFloat = 3, kBool = 4, kInts = 5, kFloats = 6, kStr = 7,
  kDtype = 8, kDevice = 9, kHandles = 10,
};

constexpr uint32_t kMaxShapeDims = 64;

// Thrown when an input handle is poisoned: the op is skipped and its outputs inherit it.
struct Poisoned {
  std::shared_ptr<const Poison> poison;
};

DType wire_dtype(uint8_t d) {
  KILN_CHECK_VALUE(d < kNumDTypes, "unknown dtype code ", int(d));
  return static_cast<DType>(d);
}

// One batch's execution state.
class BatchRun {
 public:
  BatchRun(Session& s, const kiln::v1::ExecuteRequest& req, const Reply& reply, Metrics* metrics,
           const ExecutorOptions& options)
      : s_(s), req_(req), reply_(reply), metrics_(metrics), options_(options),
        r_(req.commands()) {}

  void run() {
    while (!r_.done()) {
      const uint8_t kind = r_.u8();
      try {
        command(kind);
      } catch (const Poisoned&) {
        // Already reported where it started.
      } catch (const Error& e) {
        if (malformed_) {
          report("batch", e.kind(), e.what(), "");
          return;  // the rest of the batch cannot be parsed
        }
        report(current_op_, e.kind(), e.what(), callsite_);
      } catch (const std::bad_alloc&) {
        report(current_op_, ErrorKind::kOutOfMemory, "out of memory", callsite_);
      } catch (const std::exception& e) {
        report(current_op_, ErrorKind::kInternal, e.what(), callsite_);
      }
      ++index_;
      current_op_ = "command";
      callsite_.clear();
    }
  }

 private:
  // ---- decoding helpers (a decode failure marks the batch malformed) ----
  template <typename F>
  auto decode(F&& f) {
    try {
      return f();
    } catch (const Error&) {
      malformed_ = true;
      throw;
    }
  }

  Slot slot(uint64_t h) const { return s_.get(h); }

  // For replies: a lookup failure becomes the reply's error, so the client always gets its
  // answer.
  Slot slot_or_poison(uint64_t h) const {
    try {
      return s_.get(h);
    } catch (const Error& e) {
      auto p = std::make_shared<Poison>();
      p->op = current_op_;
      p->kind = error_kind_name(e.kind());
      p->message = e.what();
      Slot sl;
      sl.poison = p;
      return sl;
    }
  }

  Tensor tensor(uint64_t h) const {
    Slot sl = slot(h);
    if (sl.poison) throw Poisoned{sl.poison};
    KILN_CHECK_VALUE(sl.tensor.defined(), "handle ", h, " holds None, not a tensor");
    return sl.tensor;
  }

  IValue value(std::vector<uint64_t>* handles_used) {
    const uint8_t tag = decode([&] { return r_.u8(); });
    switch (tag) {
      case kNone: return None{};
      case kHandle: {
        const uint64_t h = decode([&] { return r_.u64(); });
        handles_used->push_back(h);
        return tensor(h);
      }
      case kInt: return decode([&] { return r_.i64(); });
      case kFloat: return decode([&] { return r_.f64(); });
      case kBool: return decode([&] { return r_.u8() != 0; });
      case kInts: return decode([&] { return r_.array<int64_t>("int list"); });
      case kFloats: return decode([&] { return r_.array<double>("float list"); });
      case kStr: return decode([&] { return r_.str("string"); });
      case kDtype: return wire_dtype(decode([&] { return r_.u8(); }));
      case kDevice: return Device::parse(decode([&] { return r_.str("device"); }));
      case kHandles: {
        const std::vector<uint64_t> hs = decode([&] { return r_.array<uint64_t>("handle list"); });
        std::vector<Tensor> ts;
        ts.reserve(hs.size());
        for (uint64_t h : hs) {
          if (h == 0) {
            ts.emplace_back();
            continue;
          }
          handles_used->push_back(h);
          ts.push_back(tensor(h));
        }
        return ts;
      }
      default:
        malformed_ = true;
        r_.fail("unknown value tag " + std::to_string(tag));
    }
  }

  void report(const std::string& op, ErrorKind kind, const std::string& message,
              const std::string& callsite) {
    auto p = std::make_shared<Poison>();
    p->batch = req_.batch();
    p->index = index_;
    p->op = op;
    p->kind = error_kind_name(kind);
    p->message = message;
    p->callsite = callsite;
    for (uint64_t h : pending_outputs_) s_.put_poison(h, p);
    pending_outputs_.clear();
    metrics_->op_error(p->kind);
    kiln::v1::ExecuteResponse resp;
    *resp.mutable_error() = make_error(*p);
    reply_(std::move(resp));
  }

  std::string callsite_name(uint32_t id) const {
    auto it = s_.callsites.find(id);
    return it == s_.callsites.end() ? std::string() : it->second;
  }

  // ---- commands ----
  void command(uint8_t kind) {
    pending_outputs_.clear();
    switch (kind) {
      case kOp: return op();
      case kFree: {
        const auto hs = decode([&] { return r_.array<uint64_t>("free list"); });
        for (uint64_t h : hs) s_.free(h);
        return;
      }
      case kSync: {
        const uint64_t req = decode([&] { return r_.u64(); });
        kiln::v1::ExecuteResponse resp;
        resp.mutable_sync()->set_request(req);
        resp.mutable_sync()->set_executed_batch(s_.executed_batch);
        reply_(std::move(resp));
        return;
      }
      case kFetch: return fetch();
      case kMeta: return meta();
      case kFormat: return format();
      case kCallsite: {
        const uint32_t id = decode([&] { return r_.u32(); });
        std::string text = decode([&] { return r_.str("callsite"); });
        KILN_CHECK_VALUE(s_.callsites.size() < 1000000, "too many callsites");
        s_.callsites[id] = std::move(text);
        return;
      }
      case kPut: return put();
      case kBackward: return backward();
      case kGrad: return grad_cmd();
      case kSetRequiresGrad: {
        const uint64_t h = decode([&] { return r_.u64(); });
        const bool flag = decode([&] { return r_.u8(); }) != 0;
        current_op_ = "requires_grad_";
        tensor(h).set_requires_grad(flag);
        return;
      }
      case kGetGrad: {
        const uint64_t h = decode([&] { return r_.u64(); });
        const uint64_t out = decode([&] { return r_.u64(); });
        current_op_ = "grad";
        KILN_CHECK_VALUE(out != 0 && !s_.contains(out), "grad: output handle ", out, " is in use");
        pending_outputs_ = {out};
        const Tensor g = tensor(h).grad();
        s_.put(out, g);
        return;
      }
      case kSetGrad: {
        const uint64_t h = decode([&] { return r_.u64(); });
        const uint64_t g = decode([&] { return r_.u64(); });
        current_op_ = "grad";
        tensor(h).set_grad(g == 0 ? Tensor() : tensor(g));
        return;
      }
      case kGradState: return grad_state();
      case kRetainGrad: {
        const uint64_t h = decode([&] { return r_.u64(); });
        current_op_ = "retain_grad";
        retain_grad(tensor(h));
        return;
      }
      case kGradMode: {
        GradMode::set_enabled(decode([&] { return r_.u8(); }) != 0);
        return;
      }
      case kManualSeed: {
        s_.generator()->manual_seed(decode([&] { return r_.u64(); }));
        return;
      }
      case kDetach: {
        const uint64_t h = decode([&] { return r_.u64(); });
        const uint64_t out = decode([&] { return r_.u64(); });
        current_op_ = "detach";
        KILN_CHECK_VALUE(out != 0 && !s_.contains(out), "detach: output handle ", out, " is in use");
        pending_outputs_ = {out};
        s_.put(out, tensor(h).detach());
        return;
      }
      case kSetDefaultDtype: {
        const DType d = wire_dtype(decode([&] { return r_.u8(); }));
        KILN_CHECK_TYPE(d == DType::kFloat32 || d == DType::kFloat64,
                        "only floating point types are supported as the default type");
        s_.default_dtype = d;
        dtype_scope_.emplace(d);
        return;
      }
      default:
        malformed_ = true;
        r_.fail("unknown command kind " + std::to_string(kind));
    }
  }

  void op() {
    const uint16_t op_id = decode([&] { return r_.u16(); });
    const uint8_t variant = decode([&] { return r_.u8(); });
    const uint32_t cs = decode([&] { return r_.u32(); });
    const uint8_t n_out = decode([&] { return r_.u8(); });
    const std::vector<uint64_t> outs = decode([&] { return r_.fixed_array<uint64_t>(n_out, "outputs"); });
    const uint8_t n_args = decode([&] { return r_.u8(); });
    callsite_ = callsite_name(cs);
    const OpInfo* info = find_op(static_cast<OpId>(op_id));
    // Decode every argument before failing on the op, so the batch stays parseable.
    std::vector<IValue> args;
    args.reserve(n_args);
    std::vector<uint64_t> used;
    std::shared_ptr<const Poison> poison;
    for (uint8_t i = 0; i < n_args; ++i) {
      try {
        args.push_back(value(&used));
      } catch (const Poisoned& p) {
        if (!poison) poison = p.poison;
        args.push_back(None{});
      }
    }
    // Outputs that already exist are the client's mistake: refuse without touching them.
    for (uint64_t h : outs) {
      KILN_CHECK_VALUE(h != 0 && !s_.contains(h), info ? info->name : "op", ": output handle ", h,
                       h == 0 ? " is reserved" : " is already in use");
    }
    pending_outputs_ = outs;
    KILN_CHECK_VALUE(info != nullptr, "unknown op id ", op_id);
    current_op_ = info->name;
    KILN_CHECK_VALUE(variant <= 2, info->name, ": unknown variant ", int(variant));
    const OpVariant v = static_cast<OpVariant>(variant);
    Tensor out;
    uint64_t written = 0;  // the handle an in-place / out= op writes
    if (v == OpVariant::kOut) {
      KILN_CHECK_VALUE(!args.empty() && !used.empty(), info->name, ": out= needs a tensor");
      written = used.back();
      if (!poison) out = std::get<Tensor>(args.back());
      args.pop_back();
    } else if (v == OpVariant::kInplace && !used.empty()) {
      written = used.front();
    }
    if (written) pending_outputs_.push_back(written);
    if (poison) {
      for (uint64_t h : pending_outputs_) s_.put_poison(h, poison);
      pending_outputs_.clear();
      return;
    }
    std::vector<Tensor> results = call_boxed(info->id, v, std::move(args), out);
    metrics_->op(info->id);
    if (v == OpVariant::kFunctional) {
      KILN_CHECK_VALUE(results.size() == n_out, info->name, " returned ", results.size(),
                       " tensors but the client named ", int(n_out), " output handles");
      for (size_t i = 0; i < results.size(); ++i) s_.put(pending_outputs_[i], std::move(results[i]));
    }
    pending_outputs_.clear();
  }

  void put() {
    const uint64_t h = decode([&] { return r_.u64(); });
    const DType dtype = wire_dtype(decode([&] { return r_.u8(); }));
    const uint8_t ndim = decode([&] { return r_.u8(); });
    KILN_CHECK_VALUE(ndim <= kMaxShapeDims, "tensor of ", int(ndim), " dims");
    const Shape shape = decode([&] { return r_.fixed_array<int64_t>(ndim, "shape"); });
    const Device device = Device::parse(decode([&] { return r_.str("device"); }));
    const uint64_t nbytes = decode([&] { return r_.u64(); });
    const std::string_view data = decode([&] { return r_.bytes(nbytes, "tensor bytes"); });
    const bool requires_grad = decode([&] { return r_.u8(); }) != 0;
    current_op_ = "tensor";
    KILN_CHECK_VALUE(h != 0 && !s_.contains(h), "tensor: handle ", h,
                     h == 0 ? " is reserved" : " is already in use");
    pending_outputs_ = {h};
    const int64_t n = checked_numel(shape, "tensor");
    KILN_CHECK_VALUE(uint64_t(n) * element_size(dtype) == nbytes, "tensor: ", nbytes,
                     " bytes sent for shape ", shape_str(shape), " of ", dtype, " (",
                     uint64_t(n) * element_size(dtype), " expected)");
    KILN_CHECK_VALUE(nbytes <= options_.max_inline_bytes * 64, "tensor: ", nbytes,
                     " bytes is too large to send inline; use Upload");
    Tensor t = empty_tensor(shape, dtype, kCPU);
    if (nbytes) std::memcpy(t.raw_data(), data.data(), nbytes);
    if (!device.is_cpu()) t = to(t, device, std::nullopt, false);
    if (requires_grad) t.set_requires_grad(true);
    metrics_->upload_bytes().Increment(double(nbytes));
    s_.put(h, std::move(t));
    pending_outputs_.clear();
  }

  void fetch() {
    const uint64_t req = decode([&] { return r_.u64(); });
    const uint64_t h = decode([&] { return r_.u64(); });
    kiln::v1::ExecuteResponse resp;
    auto* f = resp.mutable_fetch();
    f->set_request(req);
    current_op_ = "fetch";
    Slot sl = slot_or_poison(h);
    if (!sl.poison && !sl.tensor.defined()) {
      auto p = std::make_shared<Poison>();
      p->op = "fetch";
      p->kind = "ValueError";
      p->message = str("handle ", h, " holds None");
      sl.poison = p;
    }
    if (sl.poison) {
      *f->mutable_error() = make_error(*sl.poison);
    } else {
      const Tensor& t = sl.tensor;
      if (t.nbytes() > options_.max_inline_bytes) {
        f->set_nbytes(t.nbytes());
      } else {
        const Tensor c = contiguous(to(t.detach(), kCPU, std::nullopt, false));
        auto* v = f->mutable_value();
        v->set_dtype(static_cast<uint32_t>(c.dtype()));
        for (int64_t d : c.sizes()) v->add_shape(d);
        v->set_data(static_cast<const char*>(c.raw_data()), c.nbytes());
        metrics_->download_bytes().Increment(double(c.nbytes()));
      }
    }
    reply_(std::move(resp));
  }

  void meta() {
    const uint64_t req = decode([&] { return r_.u64(); });
    const uint64_t h = decode([&] { return r_.u64(); });
    kiln::v1::ExecuteResponse resp;
    auto* m = resp.mutable_meta();
    m->set_request(req);
    current_op_ = "meta";
    Slot sl = slot_or_poison(h);
    if (sl.poison) {
      *m->mutable_error() = make_error(*sl.poison);
    } else if (sl.tensor.defined()) {
      m->set_dtype(static_cast<uint32_t>(sl.tensor.dtype()));
      for (int64_t d : sl.tensor.sizes()) m->add_shape(d);
      m->set_requires_grad(sl.tensor.requires_grad());
    }
    reply_(std::move(resp));
  }

  void format() {
    const uint64_t req = decode([&] { return r_.u64(); });
    const uint64_t h = decode([&] { return r_.u64(); });
    kiln::v1::ExecuteResponse resp;
    auto* f = resp.mutable_format();
    f->set_request(req);
    current_op_ = "format";
    Slot sl = slot_or_poison(h);
    if (sl.poison) {
      *f->mutable_error() = make_error(*sl.poison);
    } else if (!sl.tensor.defined()) {
      f->set_text("None");
    } else {
      ReprOptions ro;
      if (sl.tensor.grad_fn()) ro.grad_fn_name = node_name(sl.tensor.grad_fn().get());
      ro.requires_grad = sl.tensor.requires_grad();
      f->set_text(tensor_repr(sl.tensor, ro));
    }
    reply_(std::move(resp));
  }

  std::vector<Tensor> tensors_or_none(const std::vector<uint64_t>& hs) {
    std::vector<Tensor> out;
    out.reserve(hs.size());
    for (uint64_t h : hs) out.push_back(h == 0 ? Tensor() : tensor(h));
    return out;
  }

  static std::optional<bool> retain_flag(uint8_t r) {
    return r == 2 ? std::nullopt : std::optional<bool>(r != 0);
  }

  void backward() {
    const uint32_t cs = decode([&] { return r_.u32(); });
    const auto roots = decode([&] { return r_.array<uint64_t>("roots"); });
    const auto grads = decode([&] { return r_.fixed_array<uint64_t>(roots.size(), "gradients"); });
    const uint8_t retain = decode([&] { return r_.u8(); });
    const bool create = decode([&] { return r_.u8(); }) != 0;
    current_op_ = "backward";
    callsite_ = callsite_name(cs);
    const std::vector<Tensor> rs = tensors_or_none(roots);
    std::vector<Tensor> gs = tensors_or_none(grads);
    bool any = false;
    for (const Tensor& g : gs) any = any || g.defined();
    kiln::backward(rs, any ? gs : std::vector<Tensor>{}, retain_flag(retain), create);
  }

  void grad_cmd() {
    const uint64_t req = decode([&] { return r_.u64(); });
    const uint32_t cs = decode([&] { return r_.u32(); });
    const auto outputs = decode([&] { return r_.array<uint64_t>("outputs"); });
    const auto grad_outputs =
        decode([&] { return r_.fixed_array<uint64_t>(outputs.size(), "grad_outputs"); });
    const auto inputs = decode([&] { return r_.array<uint64_t>("inputs"); });
    const auto results = decode([&] { return r_.fixed_array<uint64_t>(inputs.size(), "results"); });
    const uint8_t retain = decode([&] { return r_.u8(); });
    const bool create = decode([&] { return r_.u8(); }) != 0;
    const bool allow_unused = decode([&] { return r_.u8(); }) != 0;
    current_op_ = "grad";
    callsite_ = callsite_name(cs);
    kiln::v1::ExecuteResponse resp;
    auto* g = resp.mutable_grad_state();
    g->set_request(req);
    pending_outputs_ = results;
    try {
      const std::vector<Tensor> outs = tensors_or_none(outputs);
      std::vector<Tensor> gos = tensors_or_none(grad_outputs);
      bool any = false;
      for (const Tensor& t : gos) any = any || t.defined();
      std::vector<Tensor> r = kiln::grad(outs, tensors_or_none(inputs),
                                         any ? gos : std::vector<Tensor>{}, retain_flag(retain),
                                         create, allow_unused);
      for (size_t i = 0; i < r.size(); ++i) {
        g->add_defined(r[i].defined());
        s_.put(results[i], r[i]);
      }
      pending_outputs_.clear();
    } catch (...) {
      // Report first (poisoning the results), then answer so the client stops waiting.
      try {
        throw;
      } catch (const Poisoned& p) {
        for (uint64_t h : pending_outputs_) s_.put_poison(h, p.poison);
        pending_outputs_.clear();
      } catch (const Error& e) {
        report(current_op_, e.kind(), e.what(), callsite_);
      }
      g->clear_defined();
      for (size_t i = 0; i < results.size(); ++i) g->add_defined(false);
    }
    reply_(std::move(resp));
  }

  void grad_state() {
    const uint64_t req = decode([&] { return r_.u64(); });
    const auto hs = decode([&] { return r_.array<uint64_t>("handles"); });
    kiln::v1::ExecuteResponse resp;
    auto* g = resp.mutable_grad_state();
    g->set_request(req);
    for (uint64_t h : hs) {
      bool defined = false;
      try {
        Slot sl = slot(h);
        defined = !sl.poison && sl.tensor.defined() && sl.tensor.grad().defined();
      } catch (const Error&) {
      }
      g->add_defined(defined);
    }
    reply_(std::move(resp));
  }

  Session& s_;
  const kiln::v1::ExecuteRequest& req_;
  const Reply& reply_;
  Metrics* metrics_;
  const ExecutorOptions& options_;
  WireReader r_;
  uint32_t index_ = 0;
  bool malformed_ = false;
  std::string current_op_ = "command";
  std::string callsite_;
  std::vector<uint64_t> pending_outputs_;  // poisoned if the command fails
  std::optional<DefaultDTypeScope> dtype_scope_;
};

}  // namespace

kiln::v1::OpError make_error(const Poison& p) {
  kiln::v1::OpError e;
  e.set_batch(p.batch);
  e.set_index(p.index);
  e.set_op(p.op);
  e.set_kind(p.kind);
  e.set_message(p.message);
  e.set_callsite(p.callsite);
  return e;
}

void Executor::run_batch(Session& s, const kiln::v1::ExecuteRequest& req, const Reply& reply) {
  if (req.batch() != 0 && req.batch() <= s.executed_batch) return;  // re-sent after a resume
  MemoryBudgetScope budget(s.budget());
  GeneratorScope generator(s.generator());
  DefaultDTypeScope dtype(s.default_dtype);
  const bool prev_grad = GradMode::is_enabled();
  GradMode::set_enabled(s.grad_enabled);
  BatchRun(s, req, reply, metrics_, options_).run();
  s.grad_enabled = GradMode::is_enabled();
  GradMode::set_enabled(prev_grad);
  if (req.batch() != 0) s.executed_batch = req.batch();
  metrics_->batches().Increment();
}

}  // namespace kiln::server
