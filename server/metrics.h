// kilnd's Prometheus metrics (prometheus-cpp's registry, served on /metrics by a small HTTP
// loop of our own: Debian's prometheus-cpp Exposer crashes in civetweb's mg_printf on the
// first scrape). Names follow Prometheus
// conventions: `kiln_` prefix, base units, `_total` counters, histograms for latency.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "engine/ops/op_id.h"

namespace kiln::server {

class MetricsHttp;

class Metrics {
 public:
  // `sessions` reports the live session count at scrape time.
  explicit Metrics(std::function<double()> sessions);
  ~Metrics();

  // Starts serving /metrics on `address` ("127.0.0.1:9478"); throws on a bad address.
  void serve(const std::string& address);
  const std::shared_ptr<prometheus::Registry>& registry() const { return registry_; }

  void rpc(const std::string& method, const std::string& code, double seconds);
  void op(OpId id);  // one op executed
  void op_error(const std::string& kind);
  prometheus::Counter& upload_bytes() { return *upload_bytes_; }
  prometheus::Counter& download_bytes() { return *download_bytes_; }
  prometheus::Counter& sessions_expired() { return *sessions_expired_; }
  prometheus::Counter& batches() { return *batches_; }

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<MetricsHttp> http_;
  prometheus::Family<prometheus::Counter>* rpcs_;
  prometheus::Family<prometheus::Histogram>* rpc_seconds_;
  prometheus::Family<prometheus::Counter>* ops_;
  prometheus::Family<prometheus::Counter>* op_errors_;
  prometheus::Counter* upload_bytes_;
  prometheus::Counter* download_bytes_;
  prometheus::Counter* sessions_expired_;
  prometheus::Counter* batches_;
  std::mutex mu_;
  // By op id, made on first use; read without the lock.
  std::unique_ptr<std::atomic<prometheus::Counter*>[]> op_counters_;
  std::shared_ptr<prometheus::Collectable> live_;
};

}  // namespace kiln::server
