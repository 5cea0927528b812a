// Work off the gRPC threads: a fixed pool of workers, and strands that run one session's work
// in order while different sessions run concurrently.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace kiln::server {

class WorkerPool {
 public:
  explicit WorkerPool(int threads);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  void submit(std::function<void()> task);
  // Stops taking work, runs what is queued, joins the threads.
  void shutdown();

 private:
  void loop();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;
  std::vector<std::thread> threads_;
  bool stopping_ = false;
};

// Tasks posted to a strand run one at a time, in order, on the pool.
class Strand : public std::enable_shared_from_this<Strand> {
 public:
  explicit Strand(WorkerPool* pool) : pool_(pool) {}
  void post(std::function<void()> task);
  // Tasks waiting (not counting one that is running).
  size_t pending();

 private:
  void drain();

  WorkerPool* pool_;
  std::mutex mu_;
  std::deque<std::function<void()>> tasks_;
  bool scheduled_ = false;
};

}  // namespace kiln::server
