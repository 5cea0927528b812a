// Checkpoint files under kilnd's data directory: safetensors written atomically (a temp file
// in the target folder, fsync, rename, fsync of the folder) and read back into tensors.
//
// Paths are relative to the data directory and confined to it: absolute paths, "..", empty
// components and symbolic links anywhere on the way are refused (each folder is opened with
// O_NOFOLLOW relative to its parent, so a link swapped in mid-call cannot redirect the write).
// Errors are CheckpointError with the gRPC code the RPC answers with.
#pragma once

#include <grpcpp/grpcpp.h>

#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "engine/core/device.h"
#include "engine/core/tensor.h"

namespace kiln::server {

class CheckpointError : public std::runtime_error {
 public:
  CheckpointError(grpc::StatusCode code, const std::string& msg)
      : std::runtime_error(msg), code_(code) {}
  grpc::StatusCode code() const { return code_; }

 private:
  grpc::StatusCode code_;
};

struct CheckpointLimits {
  size_t max_tensors = 1 << 20;
  uint64_t max_tensor_bytes = uint64_t(1) << 40;
  size_t max_metadata_bytes = 16 << 20;
};

// Writes `tensors` (any device, any strides: their values are written) as a safetensors file
// at data_dir/rel. Tensors are laid out by element size, largest first, so each starts aligned.
// Returns the file's size. The file appears whole or not at all.
uint64_t save_checkpoint(const std::string& data_dir, const std::string& rel,
                         const std::vector<std::pair<std::string, Tensor>>& tensors,
                         const std::map<std::string, std::string>& metadata,
                         const CheckpointLimits& limits = {});

struct LoadedCheckpoint {
  std::vector<std::pair<std::string, Tensor>> tensors;  // header order
  std::map<std::string, std::string> metadata;
  uint64_t nbytes = 0;
};

// Reads data_dir/rel onto `device`. Allocations go through the calling thread's MemoryBudget.
// A malformed or truncated file throws CheckpointError(DATA_LOSS) saying what is wrong.
LoadedCheckpoint load_checkpoint(const std::string& data_dir, const std::string& rel, Device device,
                                 const CheckpointLimits& limits = {});

// Splits and checks a relative path ("a/b/c.safetensors" -> {"a", "b", "c.safetensors"}).
std::vector<std::string> checkpoint_path_parts(const std::string& rel);

}  // namespace kiln::server
