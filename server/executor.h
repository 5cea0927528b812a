// Runs a session's command batches (docs/protocol.md): decodes each packed command, resolves
// handles, calls ops through the table's boxed entry points, and answers sync commands. The
// only place where engine errors become OpError replies; nothing here ever throws out of a
// batch.
#pragma once

#include <functional>

#include "proto/kiln/v1/kiln.pb.h"
#include "server/metrics.h"
#include "server/session.h"

namespace kiln::server {

// Where replies go (the Execute stream's writer).
using Reply = std::function<void(kiln::v1::ExecuteResponse)>;

struct ExecutorOptions {
  uint64_t max_inline_bytes = 1 << 20;  // FETCH answers inline up to this size
};

class Executor {
 public:
  Executor(Metrics* metrics, ExecutorOptions options) : metrics_(metrics), options_(options) {}

  // Runs one batch on the calling thread (the session's strand).
  void run_batch(Session& s, const kiln::v1::ExecuteRequest& req, const Reply& reply);

  const ExecutorOptions& options() const { return options_; }

 private:
  Metrics* metrics_;
  ExecutorOptions options_;
};

// Builds the reply for an error of `kind`/`message`.
kiln::v1::OpError make_error(const Poison& p);

}  // namespace kiln::server
