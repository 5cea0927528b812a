// Host side of the elementwise launcher: Tensors -> Iter (broadcast strides, coalesced dims),
// and the launch context of the output's device.
#pragma once

#include <initializer_list>
#include <vector>

#include "engine/core/tensor.h"
#include "kernels/cuda/cuda_util.h"
#include "kernels/cuda/launch_args.h"

namespace kiln::cuda {

// An Iter and the tensors it points into that the caller did not own (a CPU 0-dim scalar
// moved to the device): they stay alive until the launch is queued, after which the caching
// allocator's stream order keeps their memory safe.
struct IterHolder {
  Iter it;
  std::vector<Tensor> keep;
};

// out is written; every input broadcasts to out's shape (PyTorch's rules, checked by the op
// layer). `op` names the op in errors.
IterHolder make_iter(const char* op, const Tensor& out, std::initializer_list<Tensor> inputs);

// Makes out's device current for the scope and gives its stream and grid cap.
class OpScope {
 public:
  explicit OpScope(const Tensor& out);
  const Launch& launch() const { return launch_; }

 private:
  DeviceGuard guard_;
  Launch launch_;
};

// A tensor on `device` with the value of `t` (t itself when it is already there): CPU 0-dim
// scalars are allowed beside CUDA tensors, as in PyTorch.
Tensor on_device(const Tensor& t, Device device);

// Throws "<op>: no cuda kernel for <dtype>" when a launcher reports an unhandled dtype, then
// checks the launch.
void finish(const char* op, bool handled, DType dtype);

int32_t dt(DType d);
Params params(std::initializer_list<Scalar> values);

}  // namespace kiln::cuda
