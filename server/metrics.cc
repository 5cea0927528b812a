#include "server/metrics.h"

#include <prometheus/collectable.h>

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

Metrics::Metrics(std::function<double()> sessions)
    : registry_(std::make_shared<prometheus::Registry>()) {
  using namespace prometheus;
  rpcs_ = &BuildCounter()
               .Name("kiln_rpcs_total")
               .Help("RPCs finished, by method and gRPC status code.")
               .Register(*registry_);
  rpc_seconds_ = &BuildHistogram()
                      .Name("kiln_rpc_duration_seconds")
                      .Help("RPC latency, by method.")
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
  exposer_ = std::make_unique<prometheus::Exposer>(address);
  exposer_->RegisterCollectable(registry_);
  exposer_->RegisterCollectable(live_);
}

void Metrics::rpc(const std::string& method, const std::string& code, double seconds) {
  rpcs_->Add({{"method", method}, {"code", code}}).Increment();
  static const prometheus::Histogram::BucketBoundaries kBuckets{
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
  rpc_seconds_->Add({{"method", method}}, kBuckets).Observe(seconds);
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
