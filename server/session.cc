#include "server/session.h"

#include <limits>

namespace kiln::server {

namespace {
int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
}  // namespace

Session::Session(std::string id, const SessionLimits& limits, WorkerPool* pool)
    : id_(std::move(id)),
      limits_(limits),
      budget_(std::make_shared<MemoryBudget>(limits.memory_bytes > 0
                                                 ? limits.memory_bytes
                                                 : std::numeric_limits<int64_t>::max())),
      generator_(std::make_shared<Generator>()),
      strand_(std::make_shared<Strand>(pool)) {
  detached_at_ns_ = now_ns();
}

Session::~Session() { clear(); }

void Session::put(uint64_t handle, Tensor t) {
  KILN_CHECK_VALUE(handle != 0, "handle 0 is reserved");
  std::lock_guard<std::mutex> lk(mu_);
  KILN_CHECK_VALUE(handles_.size() < limits_.max_handles, "session holds the maximum of ",
                   limits_.max_handles, " tensors; free some first");
  auto [it, inserted] = handles_.try_emplace(handle);
  KILN_CHECK_VALUE(inserted, "handle ", handle, " is already in use");
  it->second.tensor = std::move(t);
}

void Session::put_poison(uint64_t handle, std::shared_ptr<const Poison> p) {
  if (handle == 0) return;
  std::lock_guard<std::mutex> lk(mu_);
  Slot& s = handles_[handle];
  s.tensor = Tensor();
  s.poison = std::move(p);
}

Slot Session::get(uint64_t handle) const {
  std::lock_guard<std::mutex> lk(mu_);
  auto it = handles_.find(handle);
  KILN_CHECK_VALUE(it != handles_.end(), "handle ", handle,
                   " does not exist in this session (freed, or never created)");
  return it->second;
}

bool Session::contains(uint64_t handle) const {
  std::lock_guard<std::mutex> lk(mu_);
  return handles_.count(handle) > 0;
}

void Session::free(uint64_t handle) {
  Slot dead;  // destroyed outside the lock: freeing memory can take a while
  std::lock_guard<std::mutex> lk(mu_);
  auto it = handles_.find(handle);
  if (it == handles_.end()) return;
  dead = std::move(it->second);
  handles_.erase(it);
}

size_t Session::num_handles() const {
  std::lock_guard<std::mutex> lk(mu_);
  return handles_.size();
}

void Session::clear() {
  std::unordered_map<uint64_t, Slot> dead;
  {
    std::lock_guard<std::mutex> lk(mu_);
    dead.swap(handles_);
  }
}

void Session::attach() { ++attached_; }

void Session::detach() {
  detached_at_ns_ = now_ns();
  --attached_;
}

namespace {
constexpr size_t kKeptReplies = 256;
constexpr size_t kKeptReplyBytes = 16 << 20;
}  // namespace

void Session::reply(uint64_t batch, kiln::v1::ExecuteResponse r) {
  kept_bytes_ += r.ByteSizeLong();
  kept_.emplace_back(batch, r);
  while (kept_.size() > kKeptReplies || (kept_bytes_ > kKeptReplyBytes && kept_.size() > 1)) {
    kept_bytes_ -= kept_.front().second.ByteSizeLong();
    kept_.pop_front();
  }
  if (sink_) sink_->write(std::move(r));
}

void Session::take_over(std::shared_ptr<ReplySink> sink, uint64_t replay_from) {
  sink_ = std::move(sink);
  if (replay_from == 0) return;
  for (const auto& [batch, r] : kept_) {
    if (batch >= replay_from) sink_->write(r);
  }
}

double Session::detached_seconds() const {
  if (attached_) return 0;
  return double(now_ns() - detached_at_ns_.load()) * 1e-9;
}

}  // namespace kiln::server
