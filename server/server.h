// kilnd assembled: the gRPC server (with health and reflection), the worker pool, sessions,
// metrics, auth and TLS, from a ServerConfig (main.cc fills it from flags).
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "server/executor.h"
#include "server/metrics.h"
#include "server/service.h"
#include "server/session_manager.h"
#include "server/strand.h"

namespace kiln::server {

struct ServerConfig {
  std::string listen = "127.0.0.1:7878";
  std::string metrics_listen = "127.0.0.1:9478";  // empty: no /metrics
  std::string auth_token;                          // empty: no auth
  std::string tls_cert_pem, tls_key_pem;           // both set: TLS
  bool allow_insecure_remote = false;  // serve a non-loopback address without token and TLS
  int workers = 0;                     // 0: number of cores
  size_t chunk_bytes = 1 << 20;  // Download chunk size (the 64 MiB message limit bounds it)
  double grace_seconds = 10;
  int64_t session_memory_bytes = 0;    // 0: unbounded
  size_t max_sessions = 1024;
  uint64_t max_inline_bytes = 1 << 20;
  uint64_t max_tensor_bytes = uint64_t(1) << 40;
  std::string data_dir;  // checkpoints (Save/Load RPCs); empty: refused
};

// True for 127.0.0.0/8, ::1 and "localhost" listen addresses.
bool is_loopback(const std::string& address);

class KilnServer {
 public:
  explicit KilnServer(ServerConfig config);
  ~KilnServer();

  // Binds and starts serving; throws with a clear message on a bad config or a busy port.
  void start();
  // The port actually bound (useful with port 0).
  int port() const { return port_; }
  // Stops taking calls, lets in-flight ones finish up to `deadline_seconds`, frees sessions.
  void shutdown(double deadline_seconds = 5);
  SessionManager& sessions() { return *sessions_; }
  Metrics& metrics() { return *metrics_; }

 private:
  ServerConfig config_;
  std::unique_ptr<WorkerPool> pool_;
  std::unique_ptr<SessionManager> sessions_;
  std::unique_ptr<Metrics> metrics_;
  std::unique_ptr<Executor> executor_;
  std::unique_ptr<KilnService> service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  bool stopped_ = false;
};

}  // namespace kiln::server
