// Scaled dot-product attention, unfused (the table's op returns the probabilities, which a
// flash kernel never materializes): scores = scale Q K^T by a strided-batched GEMM, the
// masked softmax (causal, bool or additive mask, dropout) in place over the (batch, L, S)
// rows, then P V. Broadcast batch dims are expanded by a copy first. Dropout follows the CPU
// kernel: element e of the scores keeps when word e % 4 of Philox counter e / 4 is >= p;
// dropped entries keep their probability with the sign bit set (the backward reads it).
#include <cmath>

#include "engine/core/generator.h"
#include "kernels/cuda/linalg_blas.h"
#include "kernels/cuda/nn_common.cuh"
#include "kernels/cuda/nn_kernels.h"

namespace kiln::cuda {

using namespace cuda_nn;  // NOLINT

namespace {

__device__ __forceinline__ float philox_uniform(uint64_t e, uint64_t seed, uint64_t offset) {
  const uint64_t ctr = offset + e / 4;
  uint32_t c0 = uint32_t(ctr), c1 = uint32_t(ctr >> 32), c2 = 0, c3 = 0;
  uint32_t k0 = uint32_t(seed), k1 = uint32_t(seed >> 32);
#pragma unroll
  for (int r = 0; r < 10; ++r) {
    const uint32_t hi0 = __umulhi(0xD2511F53u, c0), lo0 = 0xD2511F53u * c0;
    const uint32_t hi1 = __umulhi(0xCD9E8D57u, c2), lo1 = 0xCD9E8D57u * c2;
    const uint32_t n0 = hi1 ^ c1 ^ k0, n2 = hi0 ^ c3 ^ k1;
    c0 = n0;
    c1 = lo1;
    c2 = n2;
    c3 = lo0;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  const uint32_t w[4] = {c0, c1, c2, c3};
  return float(w[e % 4] >> 8) * (1.0f / 16777216.0f);
}

struct SoftmaxArgs {
  int64_t l = 0, s = 0;
  bool causal = false;
  const bool* bool_mask = nullptr;  // (batch, L, S) dense, or null
  const void* add_mask = nullptr;   // (batch, L, S) dense in T, or null
  float p = 0;                      // dropout probability
  uint64_t seed = 0, offset = 0;
};

// One block per (batch, row): mask, softmax, dropout. p (batch, L, S) in place; pd gets the
// dropped and rescaled copy when dropout is on.
template <typename T>
__global__ void masked_softmax_rows(T* __restrict__ p, T* __restrict__ pd, SoftmaxArgs a,
                                    acc_t<T> keep_scale) {
  using A = acc_t<T>;
  __shared__ A scratch[32];
  const int64_t row = blockIdx.x;  // batch * L + i
  const int64_t i = row % a.l;
  T* pr = p + row * a.s;
  const T* am = a.add_mask ? static_cast<const T*>(a.add_mask) + row * a.s : nullptr;
  const bool* bm = a.bool_mask ? a.bool_mask + row * a.s : nullptr;
  auto score = [&](int64_t j) -> A {
    if ((a.causal && j > i) || (bm && !bm[j])) return -dev_inf<A>();
    A v = to_acc(pr[j]);
    if (am) v += to_acc(am[j]);
    return v;
  };
  A m = -dev_inf<A>();
  for (int64_t j = threadIdx.x; j < a.s; j += blockDim.x) {
    const A v = score(j);
    m = (v > m || v != v) ? v : m;
  }
  m = block_max(m, scratch);
  A se = 0;
  for (int64_t j = threadIdx.x; j < a.s; j += blockDim.x) se += dev_exp(score(j) - m);
  se = block_sum(se, scratch);
  // A row with nothing to attend to is NaN, as softmax of an all -inf row.
  const A inv = m == -dev_inf<A>() ? A(nan("")) : A(1) / se;
  for (int64_t j = threadIdx.x; j < a.s; j += blockDim.x) {
    A v = dev_exp(score(j) - m) * inv;
    if (m == -dev_inf<A>()) v = A(nan(""));
    if (pd) {
      const bool keep = philox_uniform(uint64_t(row * a.s + j), a.seed, a.offset) >= a.p;
      pd[row * a.s + j] = from_acc<T>(keep ? v * keep_scale : A(0));
      if (!keep) v = -fabs(v);
    }
    pr[j] = from_acc<T>(v);
  }
}

// pd = signbit(p) ? 0 : p * keep_scale
template <typename T>
__global__ void undrop(T* __restrict__ pd, const T* __restrict__ p, int64_t n, acc_t<T> keep_scale) {
  using A = acc_t<T>;
  for (int64_t x = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; x < n;
       x += int64_t(gridDim.x) * blockDim.x) {
    const A v = to_acc(p[x]);
    pd[x] = from_acc<T>(signbit(v) ? A(0) : v * keep_scale);
  }
}

// dS = |P| (dP' - rowsum(dP' |P|)), dP' = dP through dropout; in place over dp rows.
template <typename T>
__global__ void softmax_grad_rows(T* __restrict__ dp, const T* __restrict__ p, int64_t s,
                                  bool drop, acc_t<T> keep_scale) {
  using A = acc_t<T>;
  __shared__ A scratch[32];
  const int64_t row = blockIdx.x;
  T* d = dp + row * s;
  const T* pr = p + row * s;
  auto dval = [&](int64_t j) -> A {
    const A pv = to_acc(pr[j]);
    if (drop) return signbit(pv) ? A(0) : to_acc(d[j]) * keep_scale;
    return to_acc(d[j]);
  };
  A dot = 0;
  for (int64_t j = threadIdx.x; j < s; j += blockDim.x) dot += dval(j) * fabs(to_acc(pr[j]));
  dot = block_sum(dot, scratch);
  for (int64_t j = threadIdx.x; j < s; j += blockDim.x) {
    const A v = dval(j);
    d[j] = from_acc<T>(fabs(to_acc(pr[j])) * (v - dot));
  }
}

int row_threads(int64_t n) {
  int t = 32;
  while (t < 512 && t < n) t *= 2;
  return t;
}

// `t` (..., r, c) expanded to (batch..., r, c) as a dense (nb, r, c) tensor.
Tensor batched(const Tensor& t, const Shape& batch, int64_t nb, const char* op) {
  Shape full = batch;
  full.push_back(t.size(-2));
  full.push_back(t.size(-1));
  if (t.sizes() == full && t.is_contiguous()) {
    return make_view(t, {nb, t.size(-2), t.size(-1)},
                     {t.size(-2) * t.size(-1), t.size(-1), 1}, t.storage_offset());
  }
  Tensor d = empty_tensor(full, t.dtype(), t.device());
  expand_into(d, t, op);
  return make_view(d, {nb, t.size(-2), t.size(-1)}, {t.size(-2) * t.size(-1), t.size(-1), 1}, 0);
}

Tensor as3(const Tensor& t, int64_t nb) {
  KILN_ASSERT(t.is_contiguous(), "attention: output layout");
  return make_view(t, {nb, t.size(-2), t.size(-1)}, {t.size(-2) * t.size(-1), t.size(-1), 1},
                   t.storage_offset());
}

void check_rows(const char* op, int64_t rows) {
  KILN_CHECK(rows <= int64_t(std::numeric_limits<int>::max()), op, ": too many rows for cuda");
}

}  // namespace

void scaled_dot_product_attention(const Tensor& output, const Tensor& attn, const Tensor& query,
                                  const Tensor& key, const Tensor& value,
                                  const Tensor& attn_mask, double dropout_p, bool is_causal) {
  static constexpr const char* kOp = "_scaled_dot_product_attention";
  DeviceGuard guard(output, kOp);
  const int64_t l = query.size(-2), e = query.size(-1), s = key.size(-2);
  const Shape batch(attn.sizes().begin(), attn.sizes().end() - 2);
  const int64_t nb = numel_of(batch);
  if (attn.numel() == 0) {
    // No scores: each output row is an empty sum (S == 0) or there are no rows.
    if (output.numel() > 0) zero_(output, kOp);
    return;
  }
  check_rows(kOp, nb * l);
  cudaStream_t st = stream_for(output);
  const Tensor q = batched(query, batch, nb, kOp), k = batched(key, batch, nb, kOp),
               v = batched(value, batch, nb, kOp);
  const Tensor p3 = as3(attn, nb), o3 = as3(output, nb);
  gemm(kOp, p3, mat3d(q), transposed(mat3d(k)), 1.0 / std::sqrt(double(e)), 0.0);
  SoftmaxArgs a;
  a.l = l;
  a.s = s;
  a.causal = is_causal;
  Tensor mask;
  if (attn_mask.defined()) {
    const Tensor m = attn_mask.dtype() == DType::kBool ? attn_mask
                                                       : dense_as(attn_mask, attn.dtype(), kOp);
    mask = empty_tensor(attn.sizes(), m.dtype(), attn.device());
    expand_into(mask, m, kOp);
    if (m.dtype() == DType::kBool) {
      a.bool_mask = ptr<bool>(mask);
    } else {
      a.add_mask = mask.raw_data();
    }
  }
  const bool drop = dropout_p > 0;
  Tensor pd;
  if (drop) {
    const std::pair<uint64_t, uint64_t> stream =
        default_generator().reserve((uint64_t(nb * l * s) + 3) / 4);
    a.seed = stream.first;
    a.offset = stream.second;
    a.p = float(dropout_p);
    pd = empty_tensor({nb, l, s}, attn.dtype(), attn.device());
  }
  const double keep_scale = dropout_p < 1 ? 1 / (1 - dropout_p) : 0;
  dispatch_floating(attn.dtype(), kOp, [&](auto T_tag) {
    using T = typename decltype(T_tag)::type;
    masked_softmax_rows<T><<<unsigned(nb * l), row_threads(s), 0, st>>>(
        ptr<T>(p3), drop ? ptr<T>(pd) : nullptr, a, acc_t<T>(keep_scale));
  });
  check_launch(kOp);
  gemm(kOp, o3, mat3d(drop ? pd : p3), mat3d(v), 1.0, 0.0);
}

void scaled_dot_product_attention_backward(const Tensor& grad_query, const Tensor& grad_key,
                                           const Tensor& grad_value, const Tensor& grad_output,
                                           const Tensor& query, const Tensor& key,
                                           const Tensor& value, const Tensor& attn_,
                                           double dropout_p) {
  static constexpr const char* kOp = "_scaled_dot_product_attention_backward";
  DeviceGuard guard(grad_query, kOp);
  const int64_t l = query.size(-2), e = query.size(-1), s = key.size(-2);
  const Shape batch(grad_output.sizes().begin(), grad_output.sizes().end() - 2);
  const int64_t nb = numel_of(batch);
  cudaStream_t st = stream_for(grad_query);
  const Tensor gq3 = as3(grad_query, nb), gk3 = as3(grad_key, nb), gv3 = as3(grad_value, nb);
  if (nb == 0) return;
  const Tensor q = batched(query, batch, nb, kOp), k = batched(key, batch, nb, kOp),
               v = batched(value, batch, nb, kOp), g = batched(grad_output, batch, nb, kOp);
  const Tensor p = batched(attn_, batch, nb, kOp);
  const bool drop = dropout_p > 0;
  const double keep_scale = dropout_p < 1 ? 1 / (1 - dropout_p) : 0;
  const int64_t n = nb * l * s;
  Tensor pd = p;
  if (drop && n > 0) {
    pd = empty_tensor({nb, l, s}, p.dtype(), p.device());
    dispatch_floating(p.dtype(), kOp, [&](auto T_tag) {
    using T = typename decltype(T_tag)::type;
      undrop<T><<<grid_for(n), kThreads, 0, st>>>(ptr<T>(pd), ptr<T>(p), n, acc_t<T>(keep_scale));
    });
    check_launch(kOp);
  }
  // dV = dropout(P)^T dO; dP = dO V^T.
  gemm(kOp, gv3, transposed(mat3d(pd)), mat3d(g), 1.0, 0.0);
  Tensor dp = empty_tensor({nb, l, s}, p.dtype(), p.device());
  gemm(kOp, dp, mat3d(g), transposed(mat3d(v)), 1.0, 0.0);
  if (n > 0) {
    check_rows(kOp, nb * l);
    dispatch_floating(p.dtype(), kOp, [&](auto T_tag) {
    using T = typename decltype(T_tag)::type;
      softmax_grad_rows<T><<<unsigned(nb * l), row_threads(s), 0, st>>>(
          ptr<T>(dp), ptr<T>(p), s, drop, acc_t<T>(keep_scale));
    });
    check_launch(kOp);
  }
  // dQ = scale dS K; dK = scale dS^T Q.
  const double scale = 1.0 / std::sqrt(double(e));
  gemm(kOp, gq3, mat3d(dp), mat3d(k), scale, 0.0);
  gemm(kOp, gk3, transposed(mat3d(dp)), mat3d(q), scale, 0.0);
}

}  // namespace kiln::cuda
