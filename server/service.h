// The Kiln gRPC service (callback API): Connect, Execute, Upload, Download, Disconnect.
// Handlers only validate, parse and hand work to the session's strand; ops never run on
// gRPC threads.
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "proto/kiln/v1/kiln.grpc.pb.h"
#include "server/executor.h"
#include "server/metrics.h"
#include "server/session_manager.h"

namespace kiln::server {

struct ServiceOptions {
  std::string auth_token;                 // empty: no auth
  uint64_t max_tensor_bytes = uint64_t(1) << 40;  // Upload refuses larger tensors
  size_t chunk_bytes = 1 << 20;           // Download chunk size
  // ---- checkpoints (save) ----
  std::string data_dir;                   // Save/Load paths are relative to it; empty: refused
  // ---- end checkpoints ----
};

class KilnService final : public kiln::v1::Kiln::CallbackService {
 public:
  KilnService(ServiceOptions options, SessionManager* sessions, Executor* executor,
              Metrics* metrics)
      : options_(std::move(options)), sessions_(sessions), executor_(executor), metrics_(metrics) {}

  grpc::ServerUnaryReactor* Connect(grpc::CallbackServerContext* ctx,
                                    const kiln::v1::ConnectRequest* req,
                                    kiln::v1::ConnectResponse* resp) override;
  grpc::ServerBidiReactor<kiln::v1::ExecuteRequest, kiln::v1::ExecuteResponse>* Execute(
      grpc::CallbackServerContext* ctx) override;
  grpc::ServerReadReactor<kiln::v1::UploadChunk>* Upload(grpc::CallbackServerContext* ctx,
                                                        kiln::v1::UploadResponse* resp) override;
  grpc::ServerWriteReactor<kiln::v1::DownloadChunk>* Download(
      grpc::CallbackServerContext* ctx, const kiln::v1::DownloadRequest* req) override;
  grpc::ServerUnaryReactor* Disconnect(grpc::CallbackServerContext* ctx,
                                       const kiln::v1::DisconnectRequest* req,
                                       kiln::v1::DisconnectResponse* resp) override;
  // ---- checkpoints (save): server/checkpoint_rpc.cc ----
  grpc::ServerUnaryReactor* Save(grpc::CallbackServerContext* ctx, const kiln::v1::SaveRequest* req,
                                 kiln::v1::SaveResponse* resp) override;
  grpc::ServerUnaryReactor* Load(grpc::CallbackServerContext* ctx, const kiln::v1::LoadRequest* req,
                                 kiln::v1::LoadResponse* resp) override;
  // ---- end checkpoints ----

  // Shared by the reactors.
  grpc::Status authorize(const grpc::CallbackServerContext* ctx) const;
  SessionManager* sessions() const { return sessions_; }
  Executor* executor() const { return executor_; }
  Metrics* metrics() const { return metrics_; }
  const ServiceOptions& options() const { return options_; }

 private:
  ServiceOptions options_;
  SessionManager* sessions_;
  Executor* executor_;
  Metrics* metrics_;
};

// grpc::StatusCode as Prometheus label ("OK", "UNAUTHENTICATED", ...).
const char* status_code_name(grpc::StatusCode code);

}  // namespace kiln::server
