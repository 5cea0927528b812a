// Convolution through cuDNN's legacy (descriptor) API: forward, backward data and backward
// filter, with groups, stride, padding and dilation; a transposed convolution is the
// backward-data pass of the plain one (its output_padding is in the output's shape). 1-d
// runs as 2-d with H = 1. Algorithms come from cuDNN's heuristics (_v7), workspaces from
// the caching allocator. float32 runs without TF32 (results match the CPU's precision);
// float16/bfloat16 compute in float. The bias add and the bias gradient are small kernels of
// this file (the gradient is a fixed-order per-channel sum, deterministic).
#include <cudnn.h>

#include <array>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "kernels/cuda/nn_common.cuh"
#include "kernels/cuda/nn_kernels.h"

namespace kiln::cuda {

using namespace cuda_nn;  // NOLINT

namespace {

void check_cudnn(cudnnStatus_t st, const char* op, const char* what) {
  if (st == CUDNN_STATUS_SUCCESS) return;
  const ErrorKind kind =
      st == CUDNN_STATUS_ALLOC_FAILED ? ErrorKind::kOutOfMemory : ErrorKind::kRuntime;
  detail::throw_error(kind, str(op, ": cuDNN error in ", what, ": ", cudnnGetErrorString(st)));
}

// One handle per device, made on first use; cuDNN handles are not safe to share between
// threads at once, so an op holds the lock while it enqueues its work.
std::mutex g_handle_mu;

cudnnHandle_t handle_for(const Tensor& t, const char* op) {
  static std::unordered_map<int, cudnnHandle_t> handles;  // never freed: lives with the process
  cudnnHandle_t& h = handles[t.device().index];
  if (!h) check_cudnn(cudnnCreate(&h), op, "cudnnCreate");
  check_cudnn(cudnnSetStream(h, stream_for(t)), op, "cudnnSetStream");
  return h;
}

struct TensorDesc {
  cudnnTensorDescriptor_t d = nullptr;
  const char* op;
  explicit TensorDesc(const char* o) : op(o) {
    check_cudnn(cudnnCreateTensorDescriptor(&d), op, "cudnnCreateTensorDescriptor");
  }
  ~TensorDesc() { (void)cudnnDestroyTensorDescriptor(d); }
  TensorDesc(const TensorDesc&) = delete;
  TensorDesc& operator=(const TensorDesc&) = delete;
};

struct FilterDesc {
  cudnnFilterDescriptor_t d = nullptr;
  explicit FilterDesc(const char* op) {
    check_cudnn(cudnnCreateFilterDescriptor(&d), op, "cudnnCreateFilterDescriptor");
  }
  ~FilterDesc() { (void)cudnnDestroyFilterDescriptor(d); }
  FilterDesc(const FilterDesc&) = delete;
  FilterDesc& operator=(const FilterDesc&) = delete;
};

struct ConvDesc {
  cudnnConvolutionDescriptor_t d = nullptr;
  explicit ConvDesc(const char* op) {
    check_cudnn(cudnnCreateConvolutionDescriptor(&d), op, "cudnnCreateConvolutionDescriptor");
  }
  ~ConvDesc() { (void)cudnnDestroyConvolutionDescriptor(d); }
  ConvDesc(const ConvDesc&) = delete;
  ConvDesc& operator=(const ConvDesc&) = delete;
};

cudnnDataType_t cudnn_type(DType dt, const char* op) {
  switch (dt) {
    case DType::kFloat32: return CUDNN_DATA_FLOAT;
    case DType::kFloat64: return CUDNN_DATA_DOUBLE;
    case DType::kFloat16: return CUDNN_DATA_HALF;
    case DType::kBFloat16: return CUDNN_DATA_BFLOAT16;
    default: break;
  }
  KILN_CHECK_NOT_IMPLEMENTED(false, op, ": not implemented for cuda/", dt);
  return CUDNN_DATA_FLOAT;
}

int to_int(int64_t v, const char* op) {
  KILN_CHECK(v >= 0 && v <= int64_t(std::numeric_limits<int>::max()), op,
             ": a size of ", v, " is too large for cudnn");
  return int(v);
}

// The tensor's sizes as 4-d (N, C, H, W); a 1-d signal (N, C, L) is (N, C, 1, L).
std::array<int, 4> dims4(const Tensor& t, const char* op) {
  KILN_CHECK(t.numel() <= int64_t(std::numeric_limits<int>::max()), op,
             ": tensors of 2^31 or more elements are not supported by cudnn");
  const auto& s = t.sizes();
  if (t.dim() == 3) return {to_int(s[0], op), to_int(s[1], op), 1, to_int(s[2], op)};
  KILN_CHECK(t.dim() == 4, op, ": expected a 3-d or 4-d tensor for cudnn, got ", t.dim(), "-d");
  return {to_int(s[0], op), to_int(s[1], op), to_int(s[2], op), to_int(s[3], op)};
}

// The operation's parameters and its descriptors, ready for a cuDNN call.
struct Conv {
  const char* op;
  cudnnHandle_t h;
  DType dtype;
  TensorDesc x, y;  // the plain convolution's input and output
  FilterDesc w;
  ConvDesc conv;
  Conv(const char* o, cudnnHandle_t handle, DType dt, const Tensor& xt, const Tensor& wt,
       const Tensor& yt, IntList stride, IntList padding, IntList dilation, int64_t groups)
      : op(o), h(handle), dtype(dt), x(o), y(o), w(o), conv(o) {
    const cudnnDataType_t ty = cudnn_type(dt, op);
    const auto xd = dims4(xt, op), yd = dims4(yt, op), wd = dims4(wt, op);
    check_cudnn(cudnnSetTensor4dDescriptor(x.d, CUDNN_TENSOR_NCHW, ty, xd[0], xd[1], xd[2], xd[3]),
                op, "cudnnSetTensor4dDescriptor");
    check_cudnn(cudnnSetTensor4dDescriptor(y.d, CUDNN_TENSOR_NCHW, ty, yd[0], yd[1], yd[2], yd[3]),
                op, "cudnnSetTensor4dDescriptor");
    check_cudnn(cudnnSetFilter4dDescriptor(w.d, ty, CUDNN_TENSOR_NCHW, wd[0], wd[1], wd[2], wd[3]),
                op, "cudnnSetFilter4dDescriptor");
    const bool one_d = xt.dim() == 3;
    const auto at = [&](IntList l, size_t i) { return to_int(l[l.size() == 1 ? 0 : i], op); };
    const int ph = one_d ? 0 : at(padding, 0), pw = at(padding, one_d ? 0 : 1);
    const int sh = one_d ? 1 : at(stride, 0), sw = at(stride, one_d ? 0 : 1);
    const int dh = one_d ? 1 : at(dilation, 0), dw = at(dilation, one_d ? 0 : 1);
    const cudnnDataType_t compute = dt == DType::kFloat64 ? CUDNN_DATA_DOUBLE : CUDNN_DATA_FLOAT;
    check_cudnn(cudnnSetConvolution2dDescriptor(conv.d, ph, pw, sh, sw, dh, dw,
                                                CUDNN_CROSS_CORRELATION, compute),
                op, "cudnnSetConvolution2dDescriptor");
    check_cudnn(cudnnSetConvolutionGroupCount(conv.d, to_int(groups, op)), op,
                "cudnnSetConvolutionGroupCount");
    // float32 stays off TF32 tensor cores: results then match the CPU's float32 precision.
    const cudnnMathType_t math = dt == DType::kFloat32   ? CUDNN_FMA_MATH
                                 : dt == DType::kFloat64 ? CUDNN_DEFAULT_MATH
                                                         : CUDNN_TENSOR_OP_MATH;
    check_cudnn(cudnnSetConvolutionMathType(conv.d, math), op, "cudnnSetConvolutionMathType");
  }

  // cuDNN's alpha/beta: double for double data, float otherwise.
  const void* one() const { return dtype == DType::kFloat64 ? (const void*)&kOneD : &kOneF; }
  const void* zero() const { return dtype == DType::kFloat64 ? (const void*)&kZeroD : &kZeroF; }
  static constexpr double kOneD = 1.0, kZeroD = 0.0;
  static constexpr float kOneF = 1.0f, kZeroF = 0.0f;
};

Tensor workspace(size_t bytes, const Tensor& like) {
  if (bytes == 0) return Tensor();
  return empty_tensor({int64_t(bytes)}, DType::kUInt8, like.device());
}

// The first algorithm cuDNN's heuristics rank as usable.
template <typename Perf>
Perf pick(const Perf* perf, int n, const char* op, const char* what) {
  for (int i = 0; i < n; ++i) {
    if (perf[i].status == CUDNN_STATUS_SUCCESS) return perf[i];
  }
  KILN_CHECK(false, op, ": cudnn has no ", what, " algorithm for these sizes");
  return perf[0];
}

// y = conv(x, w)
void run_forward(const Conv& c, const Tensor& x, const Tensor& w, const Tensor& y) {
  int max_n = 0, got = 0;
  check_cudnn(cudnnGetConvolutionForwardAlgorithmMaxCount(c.h, &max_n), c.op,
              "cudnnGetConvolutionForwardAlgorithmMaxCount");
  std::vector<cudnnConvolutionFwdAlgoPerf_t> perf(size_t(max_n > 0 ? max_n : 1));
  check_cudnn(cudnnGetConvolutionForwardAlgorithm_v7(c.h, c.x.d, c.w.d, c.conv.d, c.y.d, max_n,
                                                     &got, perf.data()),
              c.op, "cudnnGetConvolutionForwardAlgorithm_v7");
  const auto algo = pick(perf.data(), got, c.op, "forward").algo;
  size_t bytes = 0;
  check_cudnn(cudnnGetConvolutionForwardWorkspaceSize(c.h, c.x.d, c.w.d, c.conv.d, c.y.d, algo,
                                                      &bytes),
              c.op, "cudnnGetConvolutionForwardWorkspaceSize");
  const Tensor ws = workspace(bytes, y);
  check_cudnn(cudnnConvolutionForward(c.h, c.one(), c.x.d, x.raw_data(), c.w.d, w.raw_data(),
                                      c.conv.d, algo, ws.defined() ? ws.raw_data() : nullptr,
                                      bytes, c.zero(), c.y.d, y.raw_data()),
              c.op, "cudnnConvolutionForward");
}

// dx = conv's input gradient from dy (also the transposed convolution's forward).
void run_backward_data(const Conv& c, const Tensor& dy, const Tensor& w, const Tensor& dx) {
  int max_n = 0, got = 0;
  check_cudnn(cudnnGetConvolutionBackwardDataAlgorithmMaxCount(c.h, &max_n), c.op,
              "cudnnGetConvolutionBackwardDataAlgorithmMaxCount");
  std::vector<cudnnConvolutionBwdDataAlgoPerf_t> perf(size_t(max_n > 0 ? max_n : 1));
  check_cudnn(cudnnGetConvolutionBackwardDataAlgorithm_v7(c.h, c.w.d, c.y.d, c.conv.d, c.x.d,
                                                          max_n, &got, perf.data()),
              c.op, "cudnnGetConvolutionBackwardDataAlgorithm_v7");
  const auto algo = pick(perf.data(), got, c.op, "backward-data").algo;
  size_t bytes = 0;
  check_cudnn(cudnnGetConvolutionBackwardDataWorkspaceSize(c.h, c.w.d, c.y.d, c.conv.d, c.x.d,
                                                           algo, &bytes),
              c.op, "cudnnGetConvolutionBackwardDataWorkspaceSize");
  const Tensor ws = workspace(bytes, dx);
  check_cudnn(cudnnConvolutionBackwardData(c.h, c.one(), c.w.d, w.raw_data(), c.y.d,
                                           dy.raw_data(), c.conv.d, algo,
                                           ws.defined() ? ws.raw_data() : nullptr, bytes,
                                           c.zero(), c.x.d, dx.raw_data()),
              c.op, "cudnnConvolutionBackwardData");
}

// dw = conv's filter gradient from x and dy.
void run_backward_filter(const Conv& c, const Tensor& x, const Tensor& dy, const Tensor& dw) {
  int max_n = 0, got = 0;
  check_cudnn(cudnnGetConvolutionBackwardFilterAlgorithmMaxCount(c.h, &max_n), c.op,
              "cudnnGetConvolutionBackwardFilterAlgorithmMaxCount");
  std::vector<cudnnConvolutionBwdFilterAlgoPerf_t> perf(size_t(max_n > 0 ? max_n : 1));
  check_cudnn(cudnnGetConvolutionBackwardFilterAlgorithm_v7(c.h, c.x.d, c.y.d, c.conv.d, c.w.d,
                                                            max_n, &got, perf.data()),
              c.op, "cudnnGetConvolutionBackwardFilterAlgorithm_v7");
  const auto algo = pick(perf.data(), got, c.op, "backward-filter").algo;
  size_t bytes = 0;
  check_cudnn(cudnnGetConvolutionBackwardFilterWorkspaceSize(c.h, c.x.d, c.y.d, c.conv.d, c.w.d,
                                                             algo, &bytes),
              c.op, "cudnnGetConvolutionBackwardFilterWorkspaceSize");
  const Tensor ws = workspace(bytes, dw);
  check_cudnn(cudnnConvolutionBackwardFilter(c.h, c.one(), c.x.d, x.raw_data(), c.y.d,
                                             dy.raw_data(), c.conv.d, algo,
                                             ws.defined() ? ws.raw_data() : nullptr, bytes,
                                             c.zero(), c.w.d, dw.raw_data()),
              c.op, "cudnnConvolutionBackwardFilter");
}

// y (N, C, S) += b[c]
template <typename T>
__global__ void add_bias(T* __restrict__ y, const T* __restrict__ b, int64_t c, int64_t s,
                         int64_t total) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total;
       i += int64_t(gridDim.x) * blockDim.x) {
    y[i] = from_acc<T>(to_acc(y[i]) + to_acc(b[(i / s) % c]));
  }
}

// gb[c] = sum over (n, s) of g (N, C, S); one block per channel.
template <typename T>
__global__ void bias_grad(T* __restrict__ gb, const T* __restrict__ g, int64_t n, int64_t c,
                          int64_t s) {
  using A = acc_t<T>;
  __shared__ A scratch[32];
  const int64_t ch = blockIdx.x;
  A acc = 0;
  for (int64_t b = 0; b < n; ++b) {
    const T* gc = g + (b * c + ch) * s;
    for (int64_t i = threadIdx.x; i < s; i += blockDim.x) acc += to_acc(gc[i]);
  }
  acc = block_sum(acc, scratch);
  if (threadIdx.x == 0) gb[ch] = from_acc<T>(acc);
}

}  // namespace

void convolution(const Tensor& out, const Tensor& input_, const Tensor& weight_,
                 const Tensor& bias_, IntList stride, IntList padding, IntList dilation,
                 bool transposed, IntList, int64_t groups) {
  static constexpr const char* kOp = "convolution";
  if (out.numel() == 0) return;
  DeviceGuard guard(out, kOp);
  cudaStream_t s = stream_for(out);
  const DType dt = out.dtype();
  const Tensor input = dense_as(input_, dt, kOp), weight = dense_as(weight_, dt, kOp);
  if (input.numel() == 0 || weight.numel() == 0) {
    zero_(out, kOp);  // a sum over nothing; only the bias remains
  } else {
    std::lock_guard<std::mutex> lock(g_handle_mu);
    cudnnHandle_t h = handle_for(out, kOp);
    if (transposed) {
      // The transposed convolution of x is the plain one's input gradient with dy = x.
      const Conv c(kOp, h, dt, out, weight, input, stride, padding, dilation, groups);
      run_backward_data(c, input, weight, out);
    } else {
      const Conv c(kOp, h, dt, input, weight, out, stride, padding, dilation, groups);
      run_forward(c, input, weight, out);
    }
  }
  if (bias_.defined()) {
    const Tensor bias = dense_as(bias_, dt, kOp);
    const int64_t n = out.sizes()[0], ch = out.sizes()[1];
    const int64_t sp = out.numel() / (n * ch), total = out.numel();
    dispatch_floating(dt, kOp, [&](auto T_tag) {
      using T = typename decltype(T_tag)::type;
      add_bias<T><<<grid_for(total), kThreads, 0, s>>>(ptr<T>(out), ptr<T>(bias), ch, sp, total);
    });
    check_launch(kOp);
  }
}

void convolution_backward(const Tensor& grad_input, const Tensor& grad_weight,
                          const Tensor& grad_bias, const Tensor& grad_output_,
                          const Tensor& input_, const Tensor& weight_,
                          const std::optional<Shape>&, IntList stride, IntList padding,
                          IntList dilation, bool transposed, IntList, int64_t groups,
                          IntList output_mask) {
  static constexpr const char* kOp = "convolution_backward";
  const auto wanted = [&](size_t i, const Tensor& t) {
    return output_mask.size() > i && output_mask[i] && t.defined() && t.numel() > 0;
  };
  const bool want_x = wanted(0, grad_input), want_w = wanted(1, grad_weight),
             want_b = wanted(2, grad_bias);
  if (!want_x && !want_w && !want_b) return;
  const Tensor& any = want_x ? grad_input : want_w ? grad_weight : grad_bias;
  DeviceGuard guard(any, kOp);
  cudaStream_t s = stream_for(any);
  const DType dt = grad_output_.dtype();
  const Tensor gy = dense_as(grad_output_, dt, kOp);
  const Tensor input = dense_as(input_, dt, kOp), weight = dense_as(weight_, dt, kOp);
  if (want_x || want_w) {
    if (gy.numel() == 0 || input.numel() == 0 || weight.numel() == 0) {
      // Some factor of every product is missing: the gradients are sums of nothing.
      if (want_x) zero_(grad_input, kOp);
      if (want_w) zero_(grad_weight, kOp);
    } else {
      std::lock_guard<std::mutex> lock(g_handle_mu);
      cudnnHandle_t h = handle_for(any, kOp);
      // Transposed: the plain convolution runs from grad_output's shape to input's.
      const Tensor& px = transposed ? gy : input;
      const Tensor& py = transposed ? input : gy;
      const Conv c(kOp, h, dt, px, weight, py, stride, padding, dilation, groups);
      if (want_x) {
        if (transposed) {
          run_forward(c, gy, weight, grad_input);
        } else {
          run_backward_data(c, gy, weight, grad_input);
        }
      }
      if (want_w) run_backward_filter(c, px, py, grad_weight);
    }
  }
  if (want_b) {
    const int64_t n = gy.sizes()[0], ch = gy.sizes()[1];
    const int64_t sp = n * ch > 0 ? gy.numel() / (n * ch) : 0;
    KILN_CHECK(ch <= int64_t(std::numeric_limits<int>::max()), kOp,
               ": too many channels for cuda");
    dispatch_floating(dt, kOp, [&](auto T_tag) {
      using T = typename decltype(T_tag)::type;
      bias_grad<T><<<unsigned(ch), kThreads, 0, s>>>(ptr<T>(grad_bias), ptr<T>(gy), n, ch, sp);
    });
    check_launch(kOp);
  }
}

}  // namespace kiln::cuda
