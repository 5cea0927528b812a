// Save and Load: checkpoints written from, and read into, a session's handle table without the
// tensors crossing the wire. Both run on the session's strand, so a Save sees every batch the
// daemon received before it and never races the session's ops; disk I/O stays off gRPC threads.
#include <chrono>

#include "engine/core/allocator.h"
#include "engine/core/error.h"
#include "server/checkpoint.h"
#include "server/service.h"

namespace kiln::server {
namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Runs `body` and turns whatever it throws into the RPC's status; nothing escapes to the
// worker (a malformed file fails its request, never the daemon).
template <typename F>
grpc::Status guarded(const char* method, F&& body) {
  const std::string prefix = std::string(method) + ": ";
  try {
    return body();
  } catch (const CheckpointError& e) {
    return grpc::Status(e.code(), prefix + e.what());
  } catch (const Error& e) {
    return grpc::Status(
        e.kind() == ErrorKind::kOutOfMemory ? grpc::RESOURCE_EXHAUSTED : grpc::INVALID_ARGUMENT,
        prefix + e.what());
  } catch (const std::bad_alloc&) {
    return grpc::Status(grpc::RESOURCE_EXHAUSTED, prefix + "out of memory");
  } catch (const std::exception& e) {
    return grpc::Status(grpc::INTERNAL, prefix + e.what());
  }
}

CheckpointLimits limits_of(const ServiceOptions& o) {
  CheckpointLimits l;
  l.max_tensor_bytes = o.max_tensor_bytes;
  return l;
}

grpc::Status save(const ServiceOptions& o, Session& s, const kiln::v1::SaveRequest& req,
                  kiln::v1::SaveResponse* resp) {
  std::vector<std::pair<std::string, Tensor>> tensors;
  tensors.reserve(req.tensors_size());
  for (const auto& e : req.tensors()) {
    Slot slot = s.get(e.handle());
    if (slot.poison) {
      const Poison& p = *slot.poison;
      return grpc::Status(
          grpc::FAILED_PRECONDITION,
          "Save: tensor \"" + e.name() + "\" holds the error of a failed op: " + p.kind + ": " +
              p.message + " (from " + p.op + (p.callsite.empty() ? "" : " at " + p.callsite) + ")");
    }
    if (!slot.tensor.defined()) {
      return grpc::Status(grpc::INVALID_ARGUMENT, "Save: tensor \"" + e.name() + "\" is None");
    }
    tensors.emplace_back(e.name(), std::move(slot.tensor));
  }
  const std::map<std::string, std::string> md(req.metadata().begin(), req.metadata().end());
  MemoryBudgetScope budget(s.budget());
  resp->set_nbytes(save_checkpoint(o.data_dir, req.path(), tensors, md, limits_of(o)));
  return grpc::Status::OK;
}

grpc::Status load(const ServiceOptions& o, Session& s, const kiln::v1::LoadRequest& req,
                  kiln::v1::LoadResponse* resp) {
  if (req.first_handle() == 0 || req.max_tensors() == 0 ||
      req.first_handle() + req.max_tensors() < req.first_handle()) {
    return grpc::Status(grpc::INVALID_ARGUMENT,
                        "Load: first_handle and max_tensors name no handles");
  }
  const Device device = req.device().empty() ? kCPU : Device::parse(req.device());
  CheckpointLimits limits = limits_of(o);
  limits.max_tensors = std::min<uint64_t>(limits.max_tensors, req.max_tensors());
  LoadedCheckpoint ck;
  {
    MemoryBudgetScope budget(s.budget());
    ck = load_checkpoint(o.data_dir, req.path(), device, limits);
  }
  for (size_t i = 0; i < ck.tensors.size(); ++i) {
    if (s.contains(req.first_handle() + i)) {
      return grpc::Status(
          grpc::INVALID_ARGUMENT,
          "Load: handle " + std::to_string(req.first_handle() + i) + " is already in use");
    }
  }
  size_t put = 0;
  try {
    for (; put < ck.tensors.size(); ++put) {
      const auto& [name, t] = ck.tensors[put];
      const uint64_t h = req.first_handle() + put;
      auto* lt = resp->add_tensors();
      lt->set_name(name);
      lt->set_handle(h);
      lt->set_dtype(static_cast<uint32_t>(t.dtype()));
      for (int64_t d : t.sizes()) lt->add_shape(d);
      s.put(h, t);
    }
  } catch (...) {
    // All or nothing: a half-loaded checkpoint would leave handles the client never learns of.
    for (size_t i = 0; i < put; ++i) s.free(req.first_handle() + i);
    throw;
  }
  for (const auto& [k, v] : ck.metadata) (*resp->mutable_metadata())[k] = v;
  resp->set_nbytes(ck.nbytes);
  return grpc::Status::OK;
}

}  // namespace

grpc::ServerUnaryReactor* KilnService::Save(grpc::CallbackServerContext* ctx,
                                            const kiln::v1::SaveRequest* req,
                                            kiln::v1::SaveResponse* resp) {
  const auto t0 = std::chrono::steady_clock::now();
  auto* reactor = ctx->DefaultReactor();
  auto finish = [this, reactor, t0](grpc::Status st) {
    metrics_->rpc("Save", status_code_name(st.error_code()), seconds_since(t0));
    reactor->Finish(st);
  };
  grpc::Status st = authorize(ctx);
  std::shared_ptr<Session> s;
  if (st.ok() && !(s = sessions_->find(req->session_id()))) {
    st = grpc::Status(grpc::NOT_FOUND, "Save: no session " + req->session_id());
  }
  if (!st.ok()) {
    finish(st);
    return reactor;
  }
  s->strand()->post([this, s, req, resp, finish] {
    finish(guarded("Save", [&] { return save(options_, *s, *req, resp); }));
  });
  return reactor;
}

grpc::ServerUnaryReactor* KilnService::Load(grpc::CallbackServerContext* ctx,
                                            const kiln::v1::LoadRequest* req,
                                            kiln::v1::LoadResponse* resp) {
  const auto t0 = std::chrono::steady_clock::now();
  auto* reactor = ctx->DefaultReactor();
  auto finish = [this, reactor, t0](grpc::Status st) {
    metrics_->rpc("Load", status_code_name(st.error_code()), seconds_since(t0));
    reactor->Finish(st);
  };
  grpc::Status st = authorize(ctx);
  std::shared_ptr<Session> s;
  if (st.ok() && !(s = sessions_->find(req->session_id()))) {
    st = grpc::Status(grpc::NOT_FOUND, "Load: no session " + req->session_id());
  }
  if (!st.ok()) {
    finish(st);
    return reactor;
  }
  s->strand()->post([this, s, req, resp, finish] {
    finish(guarded("Load", [&] { return load(options_, *s, *req, resp); }));
  });
  return reactor;
}

}  // namespace kiln::server
