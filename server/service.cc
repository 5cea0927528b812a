#include "server/service.h"

#include <chrono>

#include "engine/core/allocator.h"
#include "engine/ops/op_id.h"

namespace kiln::server {

namespace {

constexpr const char* kServer = "kilnd/0.1";

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Constant-time comparison, so the token cannot be guessed byte by byte from timings.
bool same_secret(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

std::string metadata(const grpc::CallbackServerContext* ctx, const char* key) {
  const auto& md = ctx->client_metadata();
  auto it = md.find(key);
  return it == md.end() ? std::string() : std::string(it->second.data(), it->second.size());
}

// Finishes a unary call and records it.
grpc::ServerUnaryReactor* finish_unary(grpc::CallbackServerContext* ctx, Metrics* m,
                                       const char* method, std::chrono::steady_clock::time_point t0,
                                       grpc::Status status) {
  m->rpc(method, status_code_name(status.error_code()), seconds_since(t0));
  auto* r = ctx->DefaultReactor();
  r->Finish(status);
  return r;
}

}  // namespace

const char* status_code_name(grpc::StatusCode code) {
  switch (code) {
    case grpc::OK: return "OK";
    case grpc::CANCELLED: return "CANCELLED";
    case grpc::INVALID_ARGUMENT: return "INVALID_ARGUMENT";
    case grpc::DEADLINE_EXCEEDED: return "DEADLINE_EXCEEDED";
    case grpc::NOT_FOUND: return "NOT_FOUND";
    case grpc::ALREADY_EXISTS: return "ALREADY_EXISTS";
    case grpc::PERMISSION_DENIED: return "PERMISSION_DENIED";
    case grpc::RESOURCE_EXHAUSTED: return "RESOURCE_EXHAUSTED";
    case grpc::FAILED_PRECONDITION: return "FAILED_PRECONDITION";
    case grpc::ABORTED: return "ABORTED";
    case grpc::OUT_OF_RANGE: return "OUT_OF_RANGE";
    case grpc::UNIMPLEMENTED: return "UNIMPLEMENTED";
    case grpc::INTERNAL: return "INTERNAL";
    case grpc::UNAVAILABLE: return "UNAVAILABLE";
    case grpc::DATA_LOSS: return "DATA_LOSS";
    case grpc::UNAUTHENTICATED: return "UNAUTHENTICATED";
    default: return "UNKNOWN";
  }
}

grpc::Status KilnService::authorize(const grpc::CallbackServerContext* ctx) const {
  if (options_.auth_token.empty()) return grpc::Status::OK;
  const std::string got = metadata(ctx, "authorization");
  if (!same_secret(got, "Bearer " + options_.auth_token)) {
    return grpc::Status(grpc::UNAUTHENTICATED,
                        got.empty() ? "this kilnd needs a bearer token (authorization metadata)"
                                    : "bearer token refused");
  }
  return grpc::Status::OK;
}

grpc::ServerUnaryReactor* KilnService::Connect(grpc::CallbackServerContext* ctx,
                                               const kiln::v1::ConnectRequest* req,
                                               kiln::v1::ConnectResponse* resp) {
  const auto t0 = std::chrono::steady_clock::now();
  grpc::Status st = authorize(ctx);
  if (!st.ok()) return finish_unary(ctx, metrics_, "Connect", t0, st);
  if (req->protocol_version() != kiln::v1::PROTOCOL_VERSION_CURRENT) {
    return finish_unary(ctx, metrics_, "Connect", t0,
                        grpc::Status(grpc::FAILED_PRECONDITION,
                                     "protocol version " + std::to_string(req->protocol_version()) +
                                         " is not supported (kilnd speaks version " +
                                         std::to_string(kiln::v1::PROTOCOL_VERSION_CURRENT) + ")"));
  }
  if (req->op_table_hash() != kOpTableHash) {
    return finish_unary(ctx, metrics_, "Connect", t0,
                        grpc::Status(grpc::FAILED_PRECONDITION,
                                     "op table mismatch: client " + req->op_table_hash() +
                                         ", kilnd " + kOpTableHash +
                                         " (client and daemon come from different Kiln versions)"));
  }
  std::shared_ptr<Session> s;
  if (!req->resume_session().empty()) {
    s = sessions_->find(req->resume_session());
    if (!s) {
      return finish_unary(ctx, metrics_, "Connect", t0,
                          grpc::Status(grpc::NOT_FOUND, "session " + req->resume_session() +
                                                            " is gone (its grace window ran out)"));
    }
  } else {
    try {
      s = sessions_->create();
    } catch (const std::exception& e) {
      return finish_unary(ctx, metrics_, "Connect", t0,
                          grpc::Status(grpc::RESOURCE_EXHAUSTED, e.what()));
    }
  }
  resp->set_session_id(s->id());
  resp->set_protocol_version(kiln::v1::PROTOCOL_VERSION_CURRENT);
  resp->set_op_table_hash(kOpTableHash);
  resp->set_grace_seconds(sessions_->options().grace_seconds);
  resp->set_memory_limit_bytes(sessions_->options().limits.memory_bytes);
  resp->set_max_inline_bytes(executor_->options().max_inline_bytes);
  resp->set_executed_batch(s->executed_batch);
  resp->set_server(kServer);
  auto* cpu = resp->add_devices();
  cpu->set_name("cpu");
  cpu->set_description("host CPU");
  if (DeviceBackend* b = backend(DeviceType::kCUDA)) {
    for (int i = 0; i < b->device_count(); ++i) {
      auto* d = resp->add_devices();
      d->set_name(Device(DeviceType::kCUDA, int16_t(i)).str());
      d->set_description("CUDA device");
    }
  }
  return finish_unary(ctx, metrics_, "Connect", t0, grpc::Status::OK);
}

grpc::ServerUnaryReactor* KilnService::Disconnect(grpc::CallbackServerContext* ctx,
                                                  const kiln::v1::DisconnectRequest* req,
                                                  kiln::v1::DisconnectResponse*) {
  const auto t0 = std::chrono::steady_clock::now();
  grpc::Status st = authorize(ctx);
  if (st.ok()) {
    if (auto s = sessions_->find(req->session_id())) {
      sessions_->remove(req->session_id());
      s->strand()->post([s] { s->clear(); });
    }
  }
  return finish_unary(ctx, metrics_, "Disconnect", t0, st);
}

}  // namespace kiln::server
