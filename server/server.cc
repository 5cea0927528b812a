#include "server/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>

#include <thread>

#include "engine/core/error.h"

namespace kiln::server {

bool is_loopback(const std::string& address) {
  std::string host = address;
  if (!host.empty() && host[0] == '[') {
    host = host.substr(1, host.find(']') - 1);
  } else if (host.find(':') != std::string::npos) {
    host = host.substr(0, host.rfind(':'));
  }
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

KilnServer::KilnServer(ServerConfig config) : config_(std::move(config)) {}

KilnServer::~KilnServer() { shutdown(1); }

void KilnServer::start() {
  const bool remote = !is_loopback(config_.listen);
  const bool tls = !config_.tls_cert_pem.empty() && !config_.tls_key_pem.empty();
  KILN_CHECK_VALUE(config_.tls_cert_pem.empty() == config_.tls_key_pem.empty(),
                   "TLS needs both a certificate and a key");
  KILN_CHECK_VALUE(!remote || config_.allow_insecure_remote || (tls && !config_.auth_token.empty()),
                   "refusing to serve ", config_.listen,
                   " (not loopback) without TLS and a bearer token; pass --tls_cert, --tls_key "
                   "and --auth_token_file, or --allow_insecure_remote");
  const int workers = config_.workers > 0
                          ? config_.workers
                          : std::max(2, static_cast<int>(std::thread::hardware_concurrency()));
  pool_ = std::make_unique<WorkerPool>(workers);
  SessionManagerOptions so;
  so.grace_seconds = config_.grace_seconds;
  so.max_sessions = config_.max_sessions;
  so.limits.memory_bytes = config_.session_memory_bytes;
  sessions_ = std::make_unique<SessionManager>(so, pool_.get());
  metrics_ = std::make_unique<Metrics>([this] { return double(sessions_->size()); });
  sessions_->set_metrics(metrics_.get());
  ExecutorOptions eo;
  eo.max_inline_bytes = config_.max_inline_bytes;
  executor_ = std::make_unique<Executor>(metrics_.get(), eo);
  ServiceOptions svo;
  svo.auth_token = config_.auth_token;
  svo.chunk_bytes = config_.chunk_bytes;
  svo.max_tensor_bytes = config_.max_tensor_bytes;
  svo.data_dir = config_.data_dir;
  service_ = std::make_unique<KilnService>(svo, sessions_.get(), executor_.get(), metrics_.get());

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  std::shared_ptr<grpc::ServerCredentials> creds;
  if (tls) {
    grpc::SslServerCredentialsOptions opts;
    opts.pem_key_cert_pairs.push_back({config_.tls_key_pem, config_.tls_cert_pem});
    creds = grpc::SslServerCredentials(opts);
  } else {
    creds = grpc::InsecureServerCredentials();
  }
  builder.AddListeningPort(config_.listen, creds, &port_);
  builder.RegisterService(service_.get());
  builder.SetMaxReceiveMessageSize(64 << 20);
  builder.SetMaxSendMessageSize(64 << 20);
  // Notice dead peers on a quiet connection (a half-open TCP link never says goodbye).
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 10000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 5000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 1000);
  server_ = builder.BuildAndStart();
  KILN_CHECK(server_ != nullptr && port_ != 0, "kilnd could not listen on ", config_.listen,
             " (address in use, or not an address)");
  // Health by service name too (load balancers ask for "kiln.v1.Kiln", not only "").
  if (auto* health = server_->GetHealthCheckService()) {
    health->SetServingStatus(kiln::v1::Kiln::service_full_name(), true);
  }
  if (!config_.metrics_listen.empty()) metrics_->serve(config_.metrics_listen);
}

void KilnServer::shutdown(double deadline_seconds) {
  if (stopped_ || !server_) return;
  stopped_ = true;
  if (auto* health = server_->GetHealthCheckService()) health->Shutdown();  // NOT_SERVING
  server_->Shutdown(std::chrono::system_clock::now() +
                    std::chrono::milliseconds(int64_t(deadline_seconds * 1000)));
  server_->Wait();
  sessions_->stop();
  pool_->shutdown();
}

}  // namespace kiln::server
