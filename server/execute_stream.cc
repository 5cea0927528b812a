// The Execute stream: batches in, replies out, in order per session.
#include <chrono>
#include <cstdlib>
#include <deque>
#include <mutex>

#include "server/service.h"

namespace kiln::server {
namespace {

using kiln::v1::ExecuteRequest;
using kiln::v1::ExecuteResponse;
using Reactor = grpc::ServerBidiReactor<ExecuteRequest, ExecuteResponse>;

// Serializes writes on one stream (gRPC allows one outstanding write) and outlives the
// reactor: strand tasks still holding it after the call ended write into nothing.
class StreamWriter final : public ReplySink {
 public:
  explicit StreamWriter(Reactor* r) : r_(r) {}

  void write(ExecuteResponse resp) override {
    std::lock_guard<std::recursive_mutex> lk(mu_);
    if (!r_ || finish_requested_) return;
    queue_.push_back(std::move(resp));
    if (!writing_) {
      writing_ = true;
      r_->StartWrite(&queue_.front());
    }
  }

  void on_write_done(bool ok) {
    std::lock_guard<std::recursive_mutex> lk(mu_);
    if (!queue_.empty()) queue_.pop_front();
    if (!ok) queue_.clear();  // the client went away; nothing more can be sent
    if (!queue_.empty() && r_) {
      r_->StartWrite(&queue_.front());
      return;
    }
    writing_ = false;
    if (finish_requested_ && !finished_ && r_) {
      finished_ = true;
      r_->Finish(status_);
    }
  }

  // Ends the call once queued replies are written.
  void finish(grpc::Status st) {
    std::lock_guard<std::recursive_mutex> lk(mu_);
    if (finish_requested_ || !r_) return;
    finish_requested_ = true;
    status_ = std::move(st);
    if (!writing_) {
      finished_ = true;
      r_->Finish(status_);
    }
  }

  void close() {
    std::lock_guard<std::recursive_mutex> lk(mu_);
    r_ = nullptr;
  }

 private:
  std::recursive_mutex mu_;  // gRPC may run OnWriteDone inline from StartWrite
  Reactor* r_;
  std::deque<ExecuteResponse> queue_;
  bool writing_ = false;
  bool finish_requested_ = false;
  bool finished_ = false;
  grpc::Status status_;
};

class ExecuteReactor final : public Reactor {
 public:
  ExecuteReactor(KilnService* svc, grpc::CallbackServerContext* ctx)
      : svc_(svc), t0_(std::chrono::steady_clock::now()) {
    writer_ = std::make_shared<StreamWriter>(this);
    grpc::Status st = svc->authorize(ctx);
    if (st.ok()) {
      const auto& md = ctx->client_metadata();
      auto it = md.find("kiln-session");
      const std::string id = it == md.end() ? "" : std::string(it->second.data(), it->second.size());
      // A resumed stream: the client missed the replies of batches from this one on.
      auto rf = md.find("kiln-replay-from");
      if (rf != md.end()) {
        replay_from_ = std::strtoull(std::string(rf->second.data(), rf->second.size()).c_str(),
                                     nullptr, 10);
      }
      session_ = svc->sessions()->find(id);
      if (!session_) {
        st = grpc::Status(grpc::NOT_FOUND,
                          id.empty() ? "Execute needs kiln-session metadata (call Connect first)"
                                     : "session " + id + " does not exist (expired or never opened)");
      }
    }
    if (!st.ok()) {
      status_ = st;
      writer_->finish(st);
      return;
    }
    session_->attach();
    // On the strand, so that every batch queued before (from a broken stream too) has run
    // and kept its replies, and every batch read from here on answers on this stream.
    std::shared_ptr<ReplySink> sink = writer_;
    session_->strand()->post([s = session_, sink, from = replay_from_] { s->take_over(sink, from); });
    StartRead(&req_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      // The client half-closed or vanished: let the queued batches run, then end the call.
      auto w = writer_;
      session_->strand()->post([w] { w->finish(grpc::Status::OK); });
      return;
    }
    auto batch = std::make_shared<ExecuteRequest>(std::move(req_));
    req_.Clear();
    auto session = session_;
    Executor* ex = svc_->executor();
    session_->strand()->post([ex, session, batch] {
      Session* s = session.get();
      const uint64_t b = batch->batch();
      ex->run_batch(*s, *batch, [s, b](ExecuteResponse r) { s->reply(b, std::move(r)); });
    });
    StartRead(&req_);
  }

  void OnWriteDone(bool ok) override { writer_->on_write_done(ok); }

  void OnDone() override {
    writer_->close();
    if (session_) session_->detach();
    svc_->metrics()->rpc("Execute", status_code_name(status_.error_code()),
                         std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count());
    delete this;
  }

 private:
  KilnService* svc_;
  std::chrono::steady_clock::time_point t0_;
  std::shared_ptr<StreamWriter> writer_;
  std::shared_ptr<Session> session_;
  ExecuteRequest req_;
  uint64_t replay_from_ = 0;
  grpc::Status status_;
};

}  // namespace

Reactor* KilnService::Execute(grpc::CallbackServerContext* ctx) {
  return new ExecuteReactor(this, ctx);
}

}  // namespace kiln::server
