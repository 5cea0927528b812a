#include "server/session_manager.h"

#include <random>
#include <vector>

namespace kiln::server {

namespace {
std::string random_id() {
  static thread_local std::random_device rd;
  static const char* kHex = "0123456789abcdef";
  std::string s(32, '0');
  for (int i = 0; i < 32; i += 8) {
    uint32_t v = rd();
    for (int j = 0; j < 8; ++j) s[i + j] = kHex[(v >> (4 * j)) & 15];
  }
  return s;
}
}  // namespace

SessionManager::SessionManager(SessionManagerOptions options, WorkerPool* pool)
    : options_(options), pool_(pool) {
  reaper_ = std::thread([this] {
    std::unique_lock<std::mutex> lk(mu_);
    while (!stopping_) {
      cv_.wait_for(lk, std::chrono::milliseconds(100));
      lk.unlock();
      reap();
      lk.lock();
    }
  });
}

SessionManager::~SessionManager() { stop(); }

void SessionManager::stop() {
  {
    std::lock_guard<std::mutex> lk(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (reaper_.joinable()) reaper_.join();
  std::unordered_map<std::string, std::shared_ptr<Session>> dead;
  {
    std::lock_guard<std::mutex> lk(mu_);
    dead.swap(sessions_);
  }
}

std::shared_ptr<Session> SessionManager::create() {
  auto s = std::make_shared<Session>(random_id(), options_.limits, pool_);
  std::lock_guard<std::mutex> lk(mu_);
  KILN_CHECK(sessions_.size() < options_.max_sessions, "kilnd holds the maximum of ",
             options_.max_sessions, " sessions");
  sessions_[s->id()] = s;
  return s;
}

std::shared_ptr<Session> SessionManager::find(const std::string& id) {
  std::lock_guard<std::mutex> lk(mu_);
  auto it = sessions_.find(id);
  return it == sessions_.end() ? nullptr : it->second;
}

void SessionManager::remove(const std::string& id) {
  std::shared_ptr<Session> dead;
  std::lock_guard<std::mutex> lk(mu_);
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return;
  dead = std::move(it->second);
  sessions_.erase(it);
}

size_t SessionManager::size() {
  std::lock_guard<std::mutex> lk(mu_);
  return sessions_.size();
}

void SessionManager::reap() {
  std::vector<std::shared_ptr<Session>> expired;
  {
    std::lock_guard<std::mutex> lk(mu_);
    for (auto it = sessions_.begin(); it != sessions_.end();) {
      if (!it->second->attached() && it->second->detached_seconds() > options_.grace_seconds) {
        expired.push_back(std::move(it->second));
        it = sessions_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& s : expired) {
    // Free the tensors on the session's strand, after any work still queued there.
    std::shared_ptr<Session> keep = s;
    s->strand()->post([keep] { keep->clear(); });
    if (metrics_) metrics_->sessions_expired().Increment();
  }
}

}  // namespace kiln::server
