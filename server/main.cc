// kilnd: Kiln's training daemon. Owns the devices and every tensor; clients drive it over
// gRPC (proto/kiln/v1). SIGTERM/SIGINT drain and stop it cleanly.
#include <malloc.h>
#include <signal.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "server/log.h"
#include "server/server.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:7878", "gRPC address (loopback unless told otherwise)");
ABSL_FLAG(std::string, metrics_listen, "127.0.0.1:9478",
          "Prometheus /metrics address; empty disables it");
ABSL_FLAG(std::string, data_dir, "", "where checkpoints and job state live (default: ./kiln-data)");
ABSL_FLAG(std::string, devices, "cpu", "devices to serve: cpu, or cpu,cuda (all GPUs)");
ABSL_FLAG(std::string, auth_token_file, "", "file holding the bearer token every RPC must carry");
ABSL_FLAG(std::string, tls_cert, "", "PEM certificate chain (TLS with --tls_key)");
ABSL_FLAG(std::string, tls_key, "", "PEM private key (TLS with --tls_cert)");
ABSL_FLAG(bool, allow_insecure_remote, false,
          "serve a non-loopback address without TLS and a token (not recommended)");
ABSL_FLAG(int64_t, session_memory_limit, 0,
          "bytes of tensors one session may hold; 0 means no limit");
ABSL_FLAG(double, grace_seconds, 10, "how long a session outlives its client's stream");
ABSL_FLAG(int, workers, 0, "threads running sessions' ops (0: one per core)");
ABSL_FLAG(int, max_sessions, 1024, "sessions held at once");
ABSL_FLAG(std::string, log_level, "info", "debug, info, warning or error");
ABSL_FLAG(int64_t, chunk_bytes, 1 << 20, "Download chunk size in bytes (64 KiB to 16 MiB)");
ABSL_FLAG(std::string, port_file, "", "write the bound gRPC port here once serving");

namespace {

std::string read_file(const std::string& path, const char* what) {
  std::ifstream f(path);
  if (!f) throw std::runtime_error(std::string("cannot read ") + what + " file " + path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("kilnd: Kiln's training daemon. kilnd --listen=127.0.0.1:7878");
  absl::ParseCommandLine(argc, argv);
  using namespace kiln::server;
  set_log_level(absl::GetFlag(FLAGS_log_level));

  // Block the stop signals in every thread; main waits for them below.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  signal(SIGPIPE, SIG_IGN);

  // Keep freed blocks up to 32 MiB (gRPC's read buffers, transfer chunks, mid-sized
  // tensors) in the heap instead of returning them to the kernel: first-touching fresh pages
  // was the largest cost of an Upload (perf: clear_page and page faults, ~45%), and on the
  // dev VM a 4 KiB fault costs ~35 us. Larger tensors are still mmap'ed and unmapped.
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);

  ServerConfig c;
  try {
    c.listen = absl::GetFlag(FLAGS_listen);
    c.metrics_listen = absl::GetFlag(FLAGS_metrics_listen);
    if (!absl::GetFlag(FLAGS_auth_token_file).empty()) {
      c.auth_token = trim(read_file(absl::GetFlag(FLAGS_auth_token_file), "token"));
      if (c.auth_token.empty()) throw std::runtime_error("the token file is empty");
    }
    if (!absl::GetFlag(FLAGS_tls_cert).empty()) c.tls_cert_pem = read_file(absl::GetFlag(FLAGS_tls_cert), "certificate");
    if (!absl::GetFlag(FLAGS_tls_key).empty()) c.tls_key_pem = read_file(absl::GetFlag(FLAGS_tls_key), "key");
    c.allow_insecure_remote = absl::GetFlag(FLAGS_allow_insecure_remote);
    c.session_memory_bytes = absl::GetFlag(FLAGS_session_memory_limit);
    const int64_t chunk = absl::GetFlag(FLAGS_chunk_bytes);
    if (chunk < (64 << 10) || chunk > (16 << 20)) {
      throw std::runtime_error("--chunk_bytes must be between 65536 and 16777216");
    }
    c.chunk_bytes = static_cast<size_t>(chunk);
    c.grace_seconds = absl::GetFlag(FLAGS_grace_seconds);
    c.workers = absl::GetFlag(FLAGS_workers);
    c.max_sessions = static_cast<size_t>(absl::GetFlag(FLAGS_max_sessions));
    c.data_dir = absl::GetFlag(FLAGS_data_dir).empty() ? "kiln-data" : absl::GetFlag(FLAGS_data_dir);
    const std::string devices = absl::GetFlag(FLAGS_devices);
    if (devices != "cpu" && devices.find("cuda") != std::string::npos) {
      log(LogLevel::kWarning, "--devices=", devices,
          ": this kilnd serves the devices its backends registered");
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "kilnd: %s\n", e.what());
    return 2;
  }

  KilnServer server(c);
  try {
    server.start();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "kilnd: %s\n", e.what());
    return 1;
  }
  log(LogLevel::kInfo, "kilnd serving on ", c.listen, " (port ", server.port(), ")",
      c.auth_token.empty() ? "" : ", bearer token required",
      c.tls_cert_pem.empty() ? "" : ", TLS",
      c.metrics_listen.empty() ? "" : ", metrics on http://" + c.metrics_listen + "/metrics");
  if (!absl::GetFlag(FLAGS_port_file).empty()) {
    std::ofstream(absl::GetFlag(FLAGS_port_file)) << server.port() << "\n";
  }

  int sig = 0;
  sigwait(&stop, &sig);
  log(LogLevel::kInfo, "kilnd: signal ", sig, ", draining");
  server.shutdown(5);
  log(LogLevel::kInfo, "kilnd: stopped");
  return 0;
}
