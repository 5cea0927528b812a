// Reductions over any set of dims: one block per output (threads stride over the reduced
// elements, then a shared-memory tree), or, when there are fewer outputs than the GPU has
// room for blocks, each output split over `groups` blocks whose partial accumulators a
// second kernel merges. Outputs are stored through a runtime dtype switch (sum(dtype=...),
// bool/uint8 for all/any), so kernels are instantiated per reducer and input dtype only.
#include "kernels/cuda/launchers.h"
#include "kernels/cuda/reduce_ops.cuh"

namespace kiln::cuda {
namespace {

constexpr int kMaxAccBytes = 32;  // the largest acc_t (Welford<double>) fits

template <typename V>
__device__ void store_result(const ReduceIter& ri, int64_t off, V v) {
  store_dyn(ri.out, off, ri.out_dtype, v);
}
template <typename C>
__device__ void store_result(const ReduceIter& ri, int64_t off, ArgPair<C> v) {
  const int64_t idx = v.i < 0 ? 0 : v.i;
  if (ri.out2 != nullptr) {  // values and indices
    store_dyn(ri.out, off, ri.out_dtype, v.v);
    static_cast<int64_t*>(ri.out2)[off] = idx;
  } else {
    store_dyn(ri.out, off, ri.out_dtype, idx);
  }
}

// Offsets of output m: (into in, into out).
__device__ __forceinline__ void out_offsets(const ReduceIter& ri, int64_t m, int64_t& in_off,
                                            int64_t& out_off) {
  in_off = 0;
  out_off = 0;
  for (int d = ri.kept_ndim - 1; d >= 0; --d) {
    const int64_t s = ri.kept_sizes[d];
    const int64_t q = m / s;
    const int64_t r = m - q * s;
    in_off += r * ri.kept_in[d];
    out_off += r * ri.kept_out[d];
    m = q;
  }
}

__device__ __forceinline__ int64_t red_offset(const ReduceIter& ri, int64_t r) {
  int64_t off = 0;
  for (int d = ri.red_ndim - 1; d >= 0; --d) {
    const int64_t s = ri.red_sizes[d];
    const int64_t q = r / s;
    off += (r - q * s) * ri.red_in[d];
    r = q;
  }
  return off;
}

// Tree-combines one acc per thread; thread 0 gets the result.
template <typename Red, typename Acc>
__device__ Acc block_combine(const Red& red, Acc acc) {
  __shared__ __align__(16) unsigned char smem[kThreads * kMaxAccBytes];
  Acc* sh = reinterpret_cast<Acc*>(smem);
  sh[threadIdx.x] = acc;
  __syncthreads();
  for (int w = kThreads / 2; w > 0; w >>= 1) {
    if (int(threadIdx.x) < w) sh[threadIdx.x] = red.combine(sh[threadIdx.x], sh[threadIdx.x + w]);
    __syncthreads();
  }
  Acc r = sh[0];
  __syncthreads();  // smem is reused by the next output of this block
  return r;
}

// Pass 1 (or the only pass): job = (output m, group g); group g reduces its contiguous share
// of the reduced elements, threads striding through it (coalesced when the reduced dim is
// the innermost). Reducers that care about order (arg*) compare indices themselves.
template <typename Red, typename C>
__global__ void __launch_bounds__(kThreads)
    reduce_kernel(ReduceIter ri, Red red, int64_t groups, void* partials) {
  using Acc = typename Red::acc_t;
  const int64_t jobs = ri.num_out * groups;
  const int64_t chunk = (ri.num_red + groups - 1) / groups;
  for (int64_t job = blockIdx.x; job < jobs; job += gridDim.x) {
    const int64_t m = job / groups, g = job - m * groups;
    int64_t in_off, out_off;
    out_offsets(ri, m, in_off, out_off);
    const int64_t lo = g * chunk;
    const int64_t hi = lo + chunk < ri.num_red ? lo + chunk : ri.num_red;
    Acc acc = red.init();
    for (int64_t r = lo + threadIdx.x; r < hi; r += kThreads) {
      acc = red.reduce(acc, load_dyn<C>(ri.in, in_off + red_offset(ri, r), ri.in_dtype), r);
    }
    acc = block_combine(red, acc);
    if (threadIdx.x == 0) {
      if (groups == 1) store_result(ri, out_off, red.project(acc, ri.num_red));
      else static_cast<Acc*>(partials)[job] = acc;
    }
  }
}

// Pass 2: merges the groups' partials of each output in group order.
template <typename Red>
__global__ void __launch_bounds__(kThreads)
    merge_kernel(ReduceIter ri, Red red, int64_t groups, const void* partials) {
  using Acc = typename Red::acc_t;
  const Acc* part = static_cast<const Acc*>(partials);
  for (int64_t m = blockIdx.x; m < ri.num_out; m += gridDim.x) {
    int64_t in_off, out_off;
    out_offsets(ri, m, in_off, out_off);
    // groups <= kThreads (see groups_for), so each thread holds at most one partial.
    Acc acc = int64_t(threadIdx.x) < groups ? part[m * groups + threadIdx.x] : red.init();
    acc = block_combine(red, acc);
    if (threadIdx.x == 0) store_result(ri, out_off, red.project(acc, ri.num_red));
  }
}

int64_t groups_for(const ReduceIter& ri, const Launch& l) {
  if (ri.num_out >= l.max_blocks || ri.num_red < int64_t(kThreads) * 64) return 1;
  int64_t g = ri.num_red / (int64_t(kThreads) * 32);
  const int64_t room = l.max_blocks / (ri.num_out > 0 ? ri.num_out : 1);
  if (g > room) g = room;
  if (g > kThreads) g = kThreads;
  return g < 1 ? 1 : g;
}

template <typename Red, typename C>
void run(const ReduceIter& ri, const Red& red, void* scratch, const Launch& l) {
  static_assert(sizeof(typename Red::acc_t) <= kMaxAccBytes, "acc too large");
  if (ri.num_out == 0) return;
  const int64_t groups = groups_for(ri, l);
  const int64_t jobs = ri.num_out * groups;
  const int blocks = int(jobs < l.max_blocks ? jobs : l.max_blocks);
  reduce_kernel<Red, C><<<blocks, kThreads, 0, l.stream>>>(ri, red, groups, scratch);
  if (groups > 1) {
    const int b2 = int(ri.num_out < l.max_blocks ? ri.num_out : l.max_blocks);
    merge_kernel<Red><<<b2, kThreads, 0, l.stream>>>(ri, red, groups, scratch);
  }
}

}  // namespace

int64_t reduce_scratch_bytes(const ReduceIter& ri, const Launch& l) {
  const int64_t g = groups_for(ri, l);
  return g > 1 ? ri.num_out * g * kMaxAccBytes : 0;
}

// Reducers are instantiated per compute type (float for float16/bfloat16/float32, double,
// int64 for integers and bool); the input's dtype is read at run time.
bool launch_reduce(ReduceOp op, const ReduceIter& ri, const Params& p, void* scratch,
                   const Launch& l) {
  switch (op) {
    case ReduceOp::kSum: case ReduceOp::kMean: {
      const bool mean = op == ReduceOp::kMean;
      KILN_CUDA_COMPUTE(ri.in_dtype, run<SumR<C>, C>(ri, {mean}, scratch, l))
    }
    case ReduceOp::kProd:
      KILN_CUDA_COMPUTE(ri.in_dtype, run<ProdR<C>, C>(ri, {}, scratch, l))
    case ReduceOp::kMax: case ReduceOp::kMin: {
      const bool mx = op == ReduceOp::kMax;
      KILN_CUDA_COMPUTE(ri.in_dtype, run<MaxMinR<C>, C>(ri, {mx}, scratch, l))
    }
    case ReduceOp::kArgmax: case ReduceOp::kArgmin: {
      const bool mx = op == ReduceOp::kArgmax;
      KILN_CUDA_COMPUTE(ri.in_dtype, run<ArgR<C>, C>(ri, {mx}, scratch, l))
    }
    case ReduceOp::kAll: case ReduceOp::kAny: case ReduceOp::kCountNonzero: {
      const int kind = op == ReduceOp::kAll ? 0 : (op == ReduceOp::kAny ? 1 : 2);
      KILN_CUDA_COMPUTE(ri.in_dtype, run<TruthR<C>, C>(ri, {kind}, scratch, l))
    }
    default: break;
  }
  // Floating-only reducers.
  const bool dbl = ri.in_dtype == kF64;
  switch (op) {
    case ReduceOp::kVar: case ReduceOp::kStd: {
      const bool sq = op == ReduceOp::kStd;
      if (dbl) run<VarR<double>, double>(ri, {p.i[0], sq}, scratch, l);
      else run<VarR<float>, float>(ri, {p.i[0], sq}, scratch, l);
      return true;
    }
    case ReduceOp::kNorm:
      if (dbl) run<NormR<double>, double>(ri, {p.f[0]}, scratch, l);
      else run<NormR<float>, float>(ri, {p.f[0]}, scratch, l);
      return true;
    case ReduceOp::kLogsumexp:
      if (dbl) run<LseR<double>, double>(ri, {}, scratch, l);
      else run<LseR<float>, float>(ri, {}, scratch, l);
      return true;
    default: return false;
  }
}

}  // namespace kiln::cuda
