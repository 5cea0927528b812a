// A client session: the tensors it named (its handle table), its memory budget, random
// stream, grad mode and callsites. Sessions never see each other's handles: every lookup goes
// through the session that owns the stream or transfer.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "engine/core/allocator.h"
#include "engine/core/generator.h"
#include "engine/core/tensor.h"
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
  uint64_t executed_batch = 0;
  std::unordered_map<uint32_t, std::string> callsites;
  const std::shared_ptr<Strand>& strand() const { return strand_; }

  // ---- lease ----
  void attach();
  void detach();
  bool attached() const { return attached_.load(); }
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

  std::atomic<bool> attached_{false};
  std::atomic<int64_t> detached_at_ns_{0};
};

}  // namespace kiln::server
