// cumsum, cumprod. Floating scans accumulate in double (as PyTorch's CPU scans do); integer
// scans run in the output's type (int64 unless dtype= says otherwise).
#include <vector>

#include "kernels/cpu/reduce.h"
#include "kernels/cpu/reduce_ops.h"

namespace kiln::cpu {
namespace {

template <typename T>
using scan_acc_t = std::conditional_t<kIsFloat<T>, double, T>;

// A long contiguous cumsum lane in fixed chunks: chunk totals (in parallel), their running
// offsets (in order), then each chunk's scan from its offset (in parallel). The chunking
// depends on the length only, so the result does not depend on the thread count.
inline constexpr int64_t kScanChunk = 1 << 16;

template <typename T>
void cumsum_long(const T* in, T* out, int64_t n) {
  using A = scan_acc_t<T>;
  const int64_t chunks = (n + kScanChunk - 1) / kScanChunk;
  std::vector<A> offset(chunks + 1, A(0));
  parallel_for(0, chunks, 1, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      const int64_t lo = c * kScanChunk, hi = std::min(n, lo + kScanChunk);
      constexpr int kLanes = 8;
      A part[kLanes] = {};
      int64_t j = lo;
      for (; j + kLanes <= hi; j += kLanes) {
        for (int k = 0; k < kLanes; ++k) part[k] += A(in[j + k]);
      }
      for (; j < hi; ++j) part[0] += A(in[j]);
      A s = A(0);
      for (int k = 0; k < kLanes; ++k) s += part[k];
      offset[c + 1] = s;
    }
  });
  for (int64_t c = 0; c < chunks; ++c) offset[c + 1] += offset[c];
  parallel_for(0, chunks, 1, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      const int64_t lo = c * kScanChunk, hi = std::min(n, lo + kScanChunk);
      A acc = offset[c];
      for (int64_t j = lo; j < hi; ++j) {
        acc += A(in[j]);
        out[j] = T(acc);
      }
    }
  });
}

template <bool kProd>
void scan(const char* op, const Tensor& out, const Tensor& self, int64_t dim) {
  const int64_t d = wrap_dim(dim, self.dim());
  const LaneGeometry lanes(self, out, d);
  KILN_DISPATCH_NUMERIC(out.dtype(), op, [&]<typename scalar_t>() {
    using A = scan_acc_t<scalar_t>;
    const scalar_t* in = static_cast<const scalar_t*>(self.raw_data());
    scalar_t* o = static_cast<scalar_t*>(out.raw_data());
    if (!kProd && lanes.g.num_out == 1 && lanes.len >= 2 * kScanChunk && lanes.in_stride == 1 &&
        lanes.out_stride == 1) {
      const auto [i0, o0] = lanes.g.out_offsets(0);
      cumsum_long(in + i0, o + o0, lanes.len);
      return;
    }
    lanes.for_each(lanes.len, [&](int64_t i0, int64_t o0) {
      A acc = kProd ? A(1) : A(0);
      for (int64_t j = 0; j < lanes.len; ++j) {
        const A x = A(in[i0 + j * lanes.in_stride]);
        acc = kProd ? A(acc * x) : A(acc + x);
        o[o0 + j * lanes.out_stride] = scalar_t(acc);
      }
    });
  });
}

}  // namespace

void cumsum(const Tensor& out, const Tensor& self, int64_t dim, std::optional<DType>) {
  scan<false>("cumsum", out, self, dim);
}

void cumprod(const Tensor& out, const Tensor& self, int64_t dim, std::optional<DType>) {
  scan<true>("cumprod", out, self, dim);
}

}  // namespace kiln::cpu
