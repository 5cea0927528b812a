// Sessions by id: creation, resume within the grace window, expiry after it.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

#include "server/metrics.h"
#include "server/session.h"

namespace kiln::server {

struct SessionManagerOptions {
  double grace_seconds = 10;
  size_t max_sessions = 1024;
  SessionLimits limits;
};

class SessionManager {
 public:
  SessionManager(SessionManagerOptions options, WorkerPool* pool);
  ~SessionManager();

  void set_metrics(Metrics* m) { metrics_ = m; }

  // A new session; throws when the daemon holds max_sessions.
  std::shared_ptr<Session> create();
  // The session with this id, or nullptr.
  std::shared_ptr<Session> find(const std::string& id);
  // Ends a session now (Disconnect).
  void remove(const std::string& id);
  size_t size();
  const SessionManagerOptions& options() const { return options_; }
  // Frees sessions whose grace ran out (the reaper thread calls it every ~100 ms).
  void reap();
  void stop();

 private:
  SessionManagerOptions options_;
  WorkerPool* pool_;
  Metrics* metrics_ = nullptr;
  std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<Session>> sessions_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread reaper_;
};

}  // namespace kiln::server
