// A client session: the tensors it named (its handle table), its memory budget, random
// stream, grad mode and callsites. Sessions never see each other's handles: every lookup goes
// through the session that owns the stream or transfer.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "engine/core/allocator.h"
#include "engine/core/generator.h"
#include "engine/core/tensor.h"
#include "proto/kiln/v1/kiln.pb.h"
#include "server/strand.h"

namespace kiln::server {

// Why a handle holds no tensor: the op that should have made it failed.
struct Poison {
  uint64_t batch = 0;
  uint32_t index = 0;
  std::string op, kind, message, callsite;
};

struct Slot {
  Tensor tensor;                          // undefined with poison, or for a None (.grad)
  std::shared_ptr<const Poison> poison;
};

// Where a session's replies go: the writer of its newest Execute stream.
class ReplySink {
 public:
  virtual ~ReplySink() = default;
  virtual void write(kiln::v1::ExecuteResponse r) = 0;
};

struct SessionLimits {
  int64_t memory_bytes = 0;       // 0: unbounded
  size_t max_handles = 16u << 20;
};

class Session {
 public:
  Session(std::string id, const SessionLimits& limits, WorkerPool* pool);
  ~Session();

  const std::string& id() const { return id_; }

  // ---- handle table (thread-safe: transfers run beside the op stream) ----
  // Installs a new handle; throws if it is 0, in use, or the table is full.
  void put(uint64_t handle, Tensor t);
  void put_poison(uint64_t handle, std::shared_ptr<const Poison> p);
  // Throws "handle N does not exist" for unknown handles.
  Slot get(uint64_t handle) const;
  bool contains(uint64_t handle) const;
  void free(uint64_t handle);
  size_t num_handles() const;
  // Drops every handle (end of session); memory goes back as the tensors die.
  void clear();

  // ---- execution state (touched only from the session's strand) ----
  const std::shared_ptr<MemoryBudget>& budget() const { return budget_; }
  const std::shared_ptr<Generator>& generator() const { return generator_; }
  bool grad_enabled = true;
  DType default_dtype = DType::kFloat32;
  std::atomic<uint64_t> executed_batch{0};  // read by Connect on a resume
  std::unordered_map<uint32_t, std::string> callsites;
  const std::shared_ptr<Strand>& strand() const { return strand_; }

  // ---- replies (strand only) ----
  // Sends a reply of batch `batch` to the newest stream, and keeps a copy (the last
  // kKeptReplies, up to kKeptReplyBytes) in case that stream breaks before the client reads it.
  void reply(uint64_t batch, kiln::v1::ExecuteResponse r);
  // A resumed stream takes over: the kept replies of batches >= replay_from go to it first
  // (0: none). Later replies, also those of batches the old stream delivered late, go to it.
  void take_over(std::shared_ptr<ReplySink> sink, uint64_t replay_from);

  // ---- lease: attached while at least one Execute stream is open ----
  void attach();
  void detach();
  bool attached() const { return attached_.load() > 0; }
  // Seconds since the stream went away (0 while attached).
  double detached_seconds() const;

 private:
  const std::string id_;
  const SessionLimits limits_;
  std::shared_ptr<MemoryBudget> budget_;
  std::shared_ptr<Generator> generator_;
  std::shared_ptr<Strand> strand_;

  mutable std::mutex mu_;
  std::unordered_map<uint64_t, Slot> handles_;

  std::shared_ptr<ReplySink> sink_;
  std::deque<std::pair<uint64_t, kiln::v1::ExecuteResponse>> kept_;
  size_t kept_bytes_ = 0;

  std::atomic<int> attached_{0};  // a resumed stream can open before the broken one closes
  std::atomic<int64_t> detached_at_ns_{0};
};

}  // namespace kiln::server
