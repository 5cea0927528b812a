#include "server/metrics.h"

#include <netdb.h>
#include <poll.h>
#include <prometheus/collectable.h>
#include <prometheus/text_serializer.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sstream>
#include <stdexcept>
#include <thread>

#include "engine/core/allocator.h"
#include "engine/ops/op_info.h"

namespace kiln::server {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

// Values read at scrape time: live tensors and bytes per device, peaks, sessions.
class LiveCollectable : public prometheus::Collectable {
 public:
  explicit LiveCollectable(std::function<double()> sessions) : sessions_(std::move(sessions)) {}

  std::vector<MetricFamily> Collect() const override {
    std::vector<Device> devices{kCPU};
    if (DeviceBackend* b = backend(DeviceType::kCUDA)) {
      for (int i = 0; i < b->device_count(); ++i) devices.emplace_back(DeviceType::kCUDA, int16_t(i));
    }
    MetricFamily tensors{"kiln_live_tensors", "Tensor storages alive, per device.",
                         MetricType::Gauge, {}};
    MetricFamily bytes{"kiln_live_bytes", "Bytes held by live tensor storages, per device.",
                       MetricType::Gauge, {}};
    MetricFamily peak{"kiln_peak_bytes", "High-water mark of kiln_live_bytes, per device.",
                      MetricType::Gauge, {}};
    MetricFamily reserved{"kiln_reserved_bytes",
                          "Bytes reserved from the system by the allocator, per device.",
                          MetricType::Gauge, {}};
    for (const Device& d : devices) {
      MemoryStats& s = memory_stats(d);
      auto add = [&](MetricFamily& f, double v) {
        ClientMetric m;
        m.label = {{"device", d.str()}};
        m.gauge.value = v;
        f.metric.push_back(m);
      };
      add(tensors, double(s.num_allocs.load()));
      add(bytes, double(s.allocated.load()));
      add(peak, double(s.peak.load()));
      add(reserved, double(s.reserved.load()));
    }
    MetricFamily sessions{"kiln_sessions_active", "Sessions alive (attached or in grace).",
                          MetricType::Gauge, {}};
    ClientMetric m;
    m.gauge.value = sessions_();
    sessions.metric.push_back(m);
    return {tensors, bytes, peak, reserved, sessions};
  }

 private:
  std::function<double()> sessions_;
};

}  // namespace

// GET /metrics over plain HTTP/1.0, one connection at a time (scrapes are rare and small).
class MetricsHttp {
 public:
  MetricsHttp(const std::string& address, std::function<std::string()> body)
      : body_(std::move(body)) {
    const size_t colon = address.rfind(':');
    if (colon == std::string::npos) throw std::runtime_error("metrics address needs host:port: " + address);
    std::string host = address.substr(0, colon);
    if (host.size() > 1 && host.front() == '[') host = host.substr(1, host.size() - 2);
    const std::string port = address.substr(colon + 1);
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    addrinfo* res = nullptr;
    if (getaddrinfo(host.empty() ? nullptr : host.c_str(), port.c_str(), &hints, &res) != 0 || !res) {
      throw std::runtime_error("cannot resolve metrics address " + address);
    }
    fd_ = socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC, res->ai_protocol);
    const int one = 1;
    if (fd_ >= 0) setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    const bool ok = fd_ >= 0 && bind(fd_, res->ai_addr, res->ai_addrlen) == 0 && listen(fd_, 16) == 0;
    freeaddrinfo(res);
    if (!ok) {
      if (fd_ >= 0) close(fd_);
      throw std::runtime_error("cannot listen for /metrics on " + address);
    }
    thread_ = std::thread([this] { loop(); });
  }

  ~MetricsHttp() {
    stop_ = true;
    thread_.join();
    close(fd_);
  }

 private:
  void loop() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 200) <= 0) continue;
      const int c = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) continue;
      serve(c);
      close(c);
    }
  }

  void serve(int c) {
    timeval tv{2, 0};
    setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    std::string req;
    char buf[2048];
    while (req.find("\r\n\r\n") == std::string::npos && req.size() < 16384) {
      const ssize_t n = recv(c, buf, sizeof(buf), 0);
      if (n <= 0) break;
      req.append(buf, size_t(n));
    }
    std::string status = "200 OK", body;
    if (req.rfind("GET /metrics", 0) == 0 || req.rfind("GET / ", 0) == 0) {
      try {
        body = body_();
      } catch (const std::exception& e) {
        status = "500 Internal Server Error";
        body = std::string(e.what()) + "\n";
      }
    } else {
      status = "404 Not Found";
      body = "kilnd serves GET /metrics\n";
    }
    const std::string out = "HTTP/1.0 " + status +
                            "\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: " +
                            std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
    size_t off = 0;
    while (off < out.size()) {
      const ssize_t n = send(c, out.data() + off, out.size() - off, MSG_NOSIGNAL);
      if (n <= 0) break;
      off += size_t(n);
    }
  }

  std::function<std::string()> body_;
  int fd_ = -1;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

Metrics::~Metrics() { http_.reset(); }  // stop serving before the metrics go

Metrics::Metrics(std::function<double()> sessions)
    : registry_(std::make_shared<prometheus::Registry>()) {
  using namespace prometheus;
  rpcs_ = &BuildCounter()
               .Name("kiln_rpcs_total")
               .Help("RPCs finished, by method and gRPC status code.")
               .Register(*registry_);
  rpc_seconds_ = &BuildHistogram()
                      .Name("kiln_rpc_duration_seconds")
                      .Help("RPC latency, by method and gRPC status code.")
                      .Register(*registry_);
  ops_ = &BuildCounter().Name("kiln_ops_total").Help("Ops executed, by op.").Register(*registry_);
  op_errors_ = &BuildCounter()
                    .Name("kiln_op_errors_total")
                    .Help("Ops that failed, by error kind.")
                    .Register(*registry_);
  upload_bytes_ = &BuildCounter()
                       .Name("kiln_upload_bytes_total")
                       .Help("Tensor bytes received (Upload and inline PUT).")
                       .Register(*registry_)
                       .Add({});
  download_bytes_ = &BuildCounter()
                         .Name("kiln_download_bytes_total")
                         .Help("Tensor bytes sent (Download and inline FETCH).")
                         .Register(*registry_)
                         .Add({});
  sessions_expired_ = &BuildCounter()
                           .Name("kiln_sessions_expired_total")
                           .Help("Sessions freed after their grace window ran out.")
                           .Register(*registry_)
                           .Add({});
  batches_ = &BuildCounter()
                  .Name("kiln_batches_total")
                  .Help("Command batches executed.")
                  .Register(*registry_)
                  .Add({});
  op_counters_ = std::make_unique<std::atomic<prometheus::Counter*>[]>(kMaxOpId + 1);
  live_ = std::make_shared<LiveCollectable>(std::move(sessions));
}

void Metrics::serve(const std::string& address) {
  http_ = std::make_unique<MetricsHttp>(address, [this] {
    std::vector<prometheus::MetricFamily> families = registry_->Collect();
    for (auto& f : live_->Collect()) families.push_back(std::move(f));
    std::ostringstream out;
    prometheus::TextSerializer().Serialize(out, families);
    return out.str();
  });
}

void Metrics::rpc(const std::string& method, const std::string& code, double seconds) {
  rpcs_->Add({{"method", method}, {"code", code}}).Increment();
  static const prometheus::Histogram::BucketBoundaries kBuckets{
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
  rpc_seconds_->Add({{"method", method}, {"code", code}}, kBuckets).Observe(seconds);
}

void Metrics::op(OpId id) {
  const uint32_t i = static_cast<uint32_t>(id);
  if (i > kMaxOpId) return;
  prometheus::Counter* c = op_counters_[i].load(std::memory_order_acquire);
  if (c == nullptr) {
    const OpInfo* info = find_op(id);
    if (info == nullptr) return;
    std::lock_guard<std::mutex> lk(mu_);
    c = op_counters_[i].load();
    if (c == nullptr) {
      c = &ops_->Add({{"op", info->full_name}});
      op_counters_[i].store(c, std::memory_order_release);
    }
  }
  c->Increment();
}

void Metrics::op_error(const std::string& kind) { op_errors_->Add({{"kind", kind}}).Increment(); }

}  // namespace kiln::server
