#include "server/strand.h"

namespace kiln::server {

WorkerPool::WorkerPool(int threads) {
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { loop(); });
}

WorkerPool::~WorkerPool() { shutdown(); }

void WorkerPool::submit(std::function<void()> task) {
  {
    std::lock_guard<std::mutex> lk(mu_);
    tasks_.push_back(std::move(task));
  }
  cv_.notify_one();
}

void WorkerPool::shutdown() {
  {
    std::lock_guard<std::mutex> lk(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
  threads_.clear();
}

void WorkerPool::loop() {
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock<std::mutex> lk(mu_);
      cv_.wait(lk, [&] { return stopping_ || !tasks_.empty(); });
      if (tasks_.empty()) return;
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    task();
  }
}

void Strand::post(std::function<void()> task) {
  bool schedule = false;
  {
    std::lock_guard<std::mutex> lk(mu_);
    tasks_.push_back(std::move(task));
    if (!scheduled_) scheduled_ = schedule = true;
  }
  if (schedule) pool_->submit([self = shared_from_this()] { self->drain(); });
}

size_t Strand::pending() {
  std::lock_guard<std::mutex> lk(mu_);
  return tasks_.size();
}

void Strand::drain() {
  // Run a few tasks, then yield the worker so that other sessions get a turn.
  for (int n = 0; n < 8; ++n) {
    std::function<void()> task;
    {
      std::lock_guard<std::mutex> lk(mu_);
      if (tasks_.empty()) {
        scheduled_ = false;
        return;
      }
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    task();
  }
  pool_->submit([self = shared_from_this()] { self->drain(); });
}

}  // namespace kiln::server
