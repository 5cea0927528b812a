// The .cu entry points, called by the host wrappers (*.cc). Each returns false when it has
// no kernel for the dtypes in `it` (the wrapper turns that into a clear error).
#pragma once

#include "kernels/cuda/launch_args.h"

namespace kiln::cuda {

// copy.cu. it: (out) / (out, src).
bool launch_fill(const Iter& it, const Params& p, const Launch& l);
bool launch_copy(const Iter& it, const Launch& l);

}  // namespace kiln::cuda

namespace kiln::cuda {

// unary.cu / unary_activation.cu. it: (out, a). Params per op as noted.
enum class UnaryOp : int32_t {
  kNeg, kExp, kExpm1, kLog, kLog1p, kLog2, kLog10, kSqrt, kRsqrt, kReciprocal, kSin, kCos,
  kTan, kTanh, kSigmoid, kErf, kAbs, kSign, kSquare, kFloor, kCeil, kRound, kTrunc,
  kClamp,       // f/i[0] min, f/i[1] max, i[2] bit 0: has min, bit 1: has max
  kLogicalNot, kIsnan, kIsinf, kIsfinite,  // out bool
  kNanToNum,    // f[0] nan, f[1] posinf, f[2] neginf (already defaulted for the dtype)
  kPowTensorScalar,  // f/i[0] exponent
  kPowScalar,        // f/i[0] base; a is the exponent
  // unary_activation.cu:
  kRelu, kGelu /* i[0]: 1 = tanh */, kSilu, kLeakyRelu /* f[0] */, kElu /* f[0..2] */,
  kSoftplus /* f[0] beta, f[1] threshold */, kHardtanh /* f/i[0..1] */, kLogSigmoid, kMish,
  kHardswish, kHardsigmoid,
};
bool launch_unary(UnaryOp op, const Iter& it, const Params& p, const Launch& l);
bool launch_activation(UnaryOp op, const Iter& it, const Params& p, const Launch& l);

}  // namespace kiln::cuda

namespace kiln::cuda {

// binary.cu / compare.cu. it: (out, a, b); out has a's dtype except for the bool-valued ops.
enum class BinaryOp : int32_t {
  kAdd /* f/i[0] alpha */, kSub /* f/i[0] alpha */, kMul, kDiv, kDivTrunc, kDivFloor,
  kRemainder, kFmod, kPow, kAtan2, kXlogy, kHypot, kCopysign,
  // compare.cu:
  kMaximum, kMinimum, kFmax, kFmin, kBitAnd, kBitOr, kBitXor, kShl, kShr,
  kEq, kNe, kLt, kLe, kGt, kGe, kLogicalAnd, kLogicalOr, kLogicalXor,  // out bool
};
bool launch_binary(BinaryOp op, const Iter& it, const Params& p, const Launch& l);
bool launch_compare(BinaryOp op, const Iter& it, const Launch& l);
// Sets *flag (device int32, zeroed by the caller) to 1 if any element of it's arg 1 is 0.
bool launch_any_zero(const Iter& it, int32_t* flag, const Launch& l);

// ternary.cu.
// where: it (out, cond, a, b) with cond bool/uint8 and a, b of out's dtype.
bool launch_where(const Iter& it, const Launch& l);
enum class TernaryOp : int32_t {
  kLerpScalar /* (out, a, b), f[0] weight */, kLerpTensor /* (out, a, b, w) */,
  kAddcmul /* (out, s, t1, t2), f/i[0] value */, kAddcdiv /* f[0] value */,
  kClampBoth /* (out, a, lo, hi) */, kClampLo /* (out, a, lo) */, kClampHi /* (out, a, hi) */,
};
bool launch_ternary(TernaryOp op, const Iter& it, const Params& p, const Launch& l);

}  // namespace kiln::cuda

namespace kiln::cuda {

// reduce.cu. Output m (of num_out, row-major over kept dims) reduces num_red elements of
// `in`; outputs are addressed through out_strides (and out2_strides for indices).
struct ReduceIter {
  int32_t kept_ndim = 0, red_ndim = 0;
  int64_t num_out = 1, num_red = 1;
  int64_t kept_sizes[kMaxDims] = {}, kept_in[kMaxDims] = {}, kept_out[kMaxDims] = {};
  int64_t red_sizes[kMaxDims] = {}, red_in[kMaxDims] = {};
  const void* in = nullptr;
  void* out = nullptr;
  void* out2 = nullptr;  // int64 indices (max.dim, min.dim) or nullptr
  int32_t in_dtype = 0, out_dtype = 0;
};
enum class ReduceOp : int32_t {
  kSum, kMean, kProd, kMax, kMin, kArgmax, kArgmin,  // arg*: index to out (int64) or out2
  kVar /* i[0] correction */, kStd, kNorm /* f[0] p */, kLogsumexp, kAll, kAny, kCountNonzero,
};
// `scratch`: device memory of reduce_scratch_bytes(...) bytes (or nullptr when that is 0).
bool launch_reduce(ReduceOp op, const ReduceIter& ri, const Params& p, void* scratch,
                   const Launch& l);
// Bytes of scratch the split (two-pass) path of a reduction needs; 0 for one pass.
int64_t reduce_scratch_bytes(const ReduceIter& ri, const Launch& l);

// scan.cu: cumsum / cumprod along one dim. it (out, in) over the lanes (the scanned dim
// removed); `len` elements along it with strides out_step / in_step.
bool launch_scan(bool prod, const Iter& it, int64_t len, int64_t out_step, int64_t in_step,
                 const Launch& l);

}  // namespace kiln::cuda

namespace kiln::cuda {

// index.cu. Index tensors are int64 (the host casts them).
// Finds an index outside [0, size): *bad (device int64, preset by the caller to
// kNoBadIndex) gets one such value. it: (index, index).
inline constexpr int64_t kNoBadIndex = INT64_MIN;
bool launch_check_index(const Iter& it, int64_t size, int64_t* bad, const Launch& l);
// out[o] = src[s + index[i] * src_step]. it: (out, index, src) with src's stride along the
// indexed dim zeroed (the index supplies it).
bool launch_gather(const Iter& it, int64_t src_step, const Launch& l);
// dst[d + index[i] * dst_step] (op)= alpha * src[s]. it: (dst, index, src); op 0 set, 1 add
// (atomic), 2 multiply (atomic). Duplicate indices with op 0 leave one of the writes.
bool launch_scatter(const Iter& it, int64_t dst_step, int op, const Params& alpha,
                    const Launch& l);
// tril / triu: out = keep ? self : 0 with keep from (row, col) of the last two dims.
// it: (out, self); rows/cols of the matrices.
bool launch_triangle(const Iter& it, int64_t rows, int64_t cols, int64_t diagonal, bool lower,
                     const Launch& l);

}  // namespace kiln::cuda

namespace kiln::cuda {

// select.cu: nonzero and masked_select in two passes over fixed chunks. it: (x, flag[, src])
// where flag (arg 1) is tested != 0 in row-major order of it's linear index.
inline constexpr int64_t kSelectChunk = 4096;
// counts[c] = nonzeros of flag in chunk c (int64 device array of ceil(numel / chunk)).
bool launch_select_count(const Iter& it, int64_t* counts, const Launch& l);
// Writes each selected element at starts[c] + its rank within chunk c: for nonzero
// (src_dtype < 0) its coordinates over `sizes` (ndim int64s per row of out); otherwise the
// element of arg 2 (raw, of src's dtype width).
struct SelectShape {
  int32_t ndim = 0;
  int64_t sizes[kMaxDims] = {};
};
bool launch_select_write(const Iter& it, const int64_t* starts, void* out, int32_t src_dtype,
                         const SelectShape& shape, const Launch& l);

}  // namespace kiln::cuda
